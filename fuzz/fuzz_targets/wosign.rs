//! `wosign`: one request to a real ca-sim on a throwaway data dir (restarted every
//! `fuzz::RESTART_EVERY` inputs); see `ca_sim::fuzzing::wosign` for what it runs and the
//! property it asserts.
#![no_main]

use fuzz::Fresh;
use libfuzzer_sys::Corpus;

static SIM: Fresh<ca_sim::fuzzing::Sim> = Fresh::new("ca-sim-fuzz-", |dir| {
    ca_sim::fuzzing::Sim::start(dir).expect("ca-sim starts")
});

// Inputs that are not requests on the dialect's paths are dropped from the corpus.
libfuzzer_sys::fuzz_target!(|data: &[u8]| -> Corpus {
    match SIM.with(|sim| ca_sim::fuzzing::wosign(sim, data)) {
        Some(_) => Corpus::Keep,
        None => Corpus::Reject,
    }
});
