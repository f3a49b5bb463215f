//! `pkcs12`: see `shared::fuzzing::pkcs12` for what it runs and the property it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| shared::fuzzing::pkcs12(data));
