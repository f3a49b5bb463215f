//! `policy`: see `vault::fuzzing::policy` for what it runs and the property it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vault::fuzzing::policy(data));
