//! The crate's integration tests, one module per former test binary, linked into one
//! binary: each binary links the whole service, and 50-odd of them filled CI's disk.

mod acme_support;
mod common;
mod entra_support;

mod access;
mod acme_chaos;
mod acme_core;
mod acme_core_errors;
mod acme_core_lifecycle;
mod acme_core_orders;
mod acme_ext;
mod acme_ext_admin;
mod acme_validation;
mod cli;
mod dashboard_api;
mod dashboard_ui;
mod exactly_once;
mod fuzz_corpus;
mod group_commit;
mod identity;
mod leases;
mod lifetime_scripted_ca;
mod metrics_throttle;
mod orphans;
mod partner_worker;
mod proxy;
mod tls;
mod vaults;
