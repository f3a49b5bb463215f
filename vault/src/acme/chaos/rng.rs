//! Seeded, counter-based draws: the `n`-th decision of a stream is a pure function of the
//! seed, the stream and `n` (SplitMix64's finaliser), so decisions need no shared generator
//! behind a lock (each stream counts with one atomic) and the same seed with the same request
//! sequence gives the same decisions on any machine.

use std::sync::atomic::{AtomicU64, Ordering};

/// A stream of decisions: its own id and counter.
#[derive(Debug)]
pub struct Stream {
    key: u64,
    next: AtomicU64,
}

impl Stream {
    /// The stream `id` (a small constant per knob) under `seed`.
    pub fn new(seed: u64, id: u64) -> Self {
        Self {
            key: mix(seed ^ mix(id.wrapping_add(0x5851_f42d_4c95_7f2d))),
            next: AtomicU64::new(0),
        }
    }

    /// The next draw, uniform in `[0, 1)`.
    pub fn draw(&self) -> f64 {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        unit(mix(self.key ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
    }

    /// `true` with probability `rate` (a rate of 1 always, 0 never, without drawing).
    pub fn chance(&self, rate: f64) -> bool {
        if rate >= 1.0 {
            return true;
        }
        rate > 0.0 && self.draw() < rate
    }
}

/// SplitMix64's output function.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The top 53 bits as a float in `[0, 1)`.
fn unit(z: u64) -> f64 {
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// A seed for a document that names none: from the system RNG, else the time.
pub fn fresh_seed() -> u64 {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    match SystemRandom::new().fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    }
}
