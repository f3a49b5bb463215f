//! `csr`: see `shared::fuzzing::csr` for what it runs and the property it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| shared::fuzzing::csr(data));
