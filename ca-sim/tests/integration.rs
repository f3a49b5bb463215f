//! The crate's integration tests, one module per former test binary, linked into one
//! binary: each binary links the whole service, and 50-odd of them filled CI's disk.

mod common;

mod acme;
mod dashboard;
mod digicert;
mod digicert_lookup;
mod fuzz_corpus;
mod globalsign;
mod ocsp;
mod process;
mod wosign;
