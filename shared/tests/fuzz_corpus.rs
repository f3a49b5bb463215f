//! Replays the committed corpora of shared's fuzz targets (`fuzz/corpus/pkcs12`,
//! `fuzz/corpus/csr`) through the functions the targets run (`shared::fuzzing`), so every
//! seed and every input the fuzzer kept (crashes it found included) is checked by the normal
//! suite on stable.

use shared::fuzzing;

#[test]
fn pkcs12_corpus_replays() {
    assert!(fuzzing::replay("pkcs12", fuzzing::pkcs12) > 0);
}

#[test]
fn csr_corpus_replays() {
    assert!(fuzzing::replay("csr", fuzzing::csr) > 0);
}
