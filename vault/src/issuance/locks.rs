//! Per-name mutual exclusion. Every read-modify-write of a certificate name (create, merge,
//! cancel, delete, the worker's completion) holds that name's lock, so the rules of spec §4.1
//! are checked and applied atomically within this process.

use tokio::sync::{Mutex, MutexGuard};

const STRIPES: usize = 256;

/// A fixed set of lock stripes; names hash onto them (no per-name allocation to clean up).
pub struct NameLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for NameLocks {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl NameLocks {
    /// Locks the stripe of `key` (an already lowercased name).
    pub async fn lock(&self, key: &str) -> MutexGuard<'_, ()> {
        // FNV-1a: stable, cheap, good enough spread for lock striping.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.as_bytes() {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.stripes[(hash % STRIPES as u64) as usize].lock().await
    }
}
