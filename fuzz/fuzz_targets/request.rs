//! `request`: one request through vault's whole request path (middleware, route table,
//! handlers, store) of a real vault on a throwaway data dir (restarted every
//! `fuzz::RESTART_EVERY` inputs); see `vault::fuzzing::request` for the property (no panic,
//! no 5xx).
#![no_main]

use fuzz::Fresh;
use libfuzzer_sys::Corpus;

static VAULT: Fresh<vault::fuzzing::Requests> = Fresh::new("vault-fuzz-", |dir| {
    vault::fuzzing::Requests::start(dir).expect("vault starts")
});

// Inputs that are not HTTP requests are dropped from the corpus.
libfuzzer_sys::fuzz_target!(|data: &[u8]| -> Corpus {
    match VAULT.with(|vault| vault::fuzzing::request(vault, data)) {
        Some(_) => Corpus::Keep,
        None => Corpus::Reject,
    }
});
