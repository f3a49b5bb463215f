//! Tests of the nonce store: single use, rejection of unknown and garbled values, the memory
//! bound, restart, concurrency.

use super::*;
use std::sync::Arc;

#[test]
fn nonce_shape() {
    let store = NonceStore::new(100);
    let a = store.issue().unwrap();
    let b = store.issue().unwrap();
    assert_ne!(a, b);
    assert_eq!(a.len(), 22);
    assert!(a
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 16);
}

#[test]
fn redeem_once() {
    let store = NonceStore::new(100);
    let n = store.issue().unwrap();
    assert_eq!(store.outstanding(), 1);
    assert_eq!(store.redeem(&n), Ok(()));
    assert_eq!(store.redeem(&n), Err(NonceRejected::Unknown));
    assert_eq!(store.outstanding(), 0);
}

#[test]
fn unknown_and_garbled_rejected() {
    let store = NonceStore::new(100);
    let n = store.issue().unwrap();
    // Well-formed but never issued.
    assert_eq!(
        store.redeem(&URL_SAFE_NO_PAD.encode([7u8; 16])),
        Err(NonceRejected::Unknown)
    );
    for garbled in [
        "",
        "abc",
        "!!!!!!!!!!!!!!!!!!!!!!",       // 22 characters, not base64url
        "AAAAAAAAAAAAAAAAAAAAAA==",     // padded
        "AAAAAAAAAAAAAAAAAAAAAB",       // non-canonical trailing bits
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", // too long
        "+/AAAAAAAAAAAAAAAAAAAA",       // standard, not URL-safe, alphabet
    ] {
        assert_eq!(
            store.redeem(garbled),
            Err(NonceRejected::Malformed),
            "{garbled:?}"
        );
    }
    let mut tampered = n.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(store.redeem(&tampered).is_err());
    // The real one is untouched by all of that.
    assert_eq!(store.redeem(&n), Ok(()));
}

#[test]
fn restart_forgets_nonces() {
    let before = NonceStore::new(100);
    let n = before.issue().unwrap();
    drop(before);
    let after = NonceStore::new(100);
    assert_eq!(after.redeem(&n), Err(NonceRejected::Unknown));
}

#[test]
fn eviction_is_bounded_and_oldest_first() {
    // One shard: the bound and the order are exact.
    let store = NonceStore::with_shards(8, 1);
    assert_eq!(store.capacity(), 8);
    let issued: Vec<String> = (0..20).map(|_| store.issue().unwrap()).collect();
    assert_eq!(store.outstanding(), 8);
    for old in &issued[..12] {
        assert_eq!(store.redeem(old), Err(NonceRejected::Unknown));
    }
    for recent in &issued[12..] {
        assert_eq!(store.redeem(recent), Ok(()));
    }
    assert_eq!(store.outstanding(), 0);
}

#[test]
fn a_nonce_lives_until_capacity_more_are_issued() {
    // Eviction goes by issue order: redeeming others does not extend a nonce's life.
    let store = NonceStore::with_shards(4, 1);
    let first = store.issue().unwrap();
    for _ in 0..3 {
        let n = store.issue().unwrap();
        store.redeem(&n).unwrap();
    }
    let second = store.issue().unwrap();
    assert_eq!(store.redeem(&first), Err(NonceRejected::Unknown));
    for _ in 0..3 {
        store.issue().unwrap();
    }
    assert_eq!(store.redeem(&second), Ok(()));
}

#[test]
fn sharded_store_stays_within_capacity() {
    let store = NonceStore::new(64);
    let cap = store.capacity();
    assert!((64..64 + 16).contains(&cap));
    let issued: Vec<String> = (0..2000).map(|_| store.issue().unwrap()).collect();
    assert!(store.outstanding() <= cap);
    // The first ones are long gone; the last is there.
    assert_eq!(store.redeem(&issued[0]), Err(NonceRejected::Unknown));
    assert_eq!(store.redeem(&issued[1999]), Ok(()));
}

#[test]
fn concurrent_issue_and_redeem() {
    let store = Arc::new(NonceStore::new(100_000));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mine: Vec<String> = (0..1000).map(|_| store.issue().unwrap()).collect();
                mine.iter().filter(|n| store.redeem(n).is_ok()).count()
            })
        })
        .collect();
    let redeemed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(redeemed, 8000);
    assert_eq!(store.outstanding(), 0);

    // Racing redemptions of the same nonces: each succeeds exactly once.
    let shared: Arc<Vec<String>> = Arc::new((0..2000).map(|_| store.issue().unwrap()).collect());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || shared.iter().filter(|n| store.redeem(n).is_ok()).count())
        })
        .collect();
    let wins: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(wins, 2000);
}
