//! The crate's integration tests, one module per former test binary, linked into one
//! binary: each binary links the whole service, and 50-odd of them filled CI's disk.

mod acme_certbot;
mod acme_partner;
mod acme_provider;
mod acme_provider_casim;
mod acme_provider_pebble;
mod acmebot;
mod api_versions;
mod casim_certbot;
mod dashboard;
mod entra_rust_sdk;
mod exactly_once;
mod input_rules;
mod lifecycle;
mod lifetime;
mod lifetime_partner;
mod partnered;
mod persistence;
mod platform;
mod platform_python;
mod raw_http;
mod sdk_certificates;
mod sdk_import_merge;
mod sdk_keys_secrets;
mod sdk_python_js;
