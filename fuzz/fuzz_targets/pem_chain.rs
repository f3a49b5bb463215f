//! `pem_chain`: see `vault::fuzzing::pem_chain` for what it runs and the property it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault::fuzzing::pem_chain(data));
