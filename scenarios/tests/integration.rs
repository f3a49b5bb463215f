//! The crate's integration tests, one module per former test binary, linked into one
//! binary: each binary links the whole service, and 50-odd of them filled CI's disk.

mod acme;
mod cases;
mod common;
mod dashboard;
mod demo;
mod load;
