//! State the clients of one run share: the options, the certificate tickets (assigned to
//! issuers by the mix) and the live counters the progress bar reads.

use super::mix::Issuer;
use super::options::LoadOptions;
use crate::extca::ExternalCa;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use tokio::time::Instant;

/// Counters the progress bar reads while the clients run.
#[derive(Default)]
pub(super) struct Live {
    pub(super) completed: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) requests: AtomicU64,
    pub(super) throttled: AtomicU64,
}

/// Hands out certificate numbers and issuers (largest deficit against the mix first).
pub(super) struct Tickets {
    pub(super) next: u64,
    pub(super) assigned: Vec<u64>,
}

/// What every client of the run reads: options, names, the CA for merges, counters, tickets.
pub(super) struct Shared {
    pub(super) opts: LoadOptions,
    pub(super) vault_url: String,
    pub(super) prefix: String,
    pub(super) ca: ExternalCa,
    pub(super) live: Live,
    pub(super) tickets: Mutex<Tickets>,
    pub(super) started: Instant,
}

impl Shared {
    /// The next certificate number and its issuer; `None` once the count or the duration is
    /// reached.
    pub(super) fn ticket(&self) -> Option<(u64, Issuer)> {
        if let Some(d) = self.opts.duration {
            if self.started.elapsed() >= d {
                return None;
            }
        }
        let mut t = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        if self.opts.certificates.is_some_and(|k| t.next >= k) {
            return None;
        }
        let n = t.next;
        t.next += 1;
        let total = n as f64 + 1.0;
        let (idx, _) = self
            .opts
            .mix
            .0
            .iter()
            .enumerate()
            .map(|(i, (_, w))| (i, w * total - t.assigned[i] as f64))
            .fold(
                (0, f64::MIN),
                |best, cur| if cur.1 > best.1 { cur } else { best },
            );
        t.assigned[idx] += 1;
        Some((n, self.opts.mix.0[idx].0))
    }
}

#[cfg(test)]
mod tests {
    use super::super::poll::PollPolicy;
    use super::*;
    use std::time::Duration;

    #[test]
    fn tickets_follow_the_mix() {
        let opts = LoadOptions {
            clients: 1,
            certificates: Some(10),
            duration: None,
            mix: "Self:0.5,DigiCert:0.3,Unknown:0.2".parse().unwrap(),
            poll: PollPolicy::RetryAfter,
            cert_timeout: Duration::from_secs(1),
            max_time: Duration::from_secs(1),
            progress: false,
        };
        let shared = Shared {
            vault_url: String::new(),
            prefix: String::new(),
            ca: ExternalCa::new().unwrap(),
            live: Live::default(),
            tickets: Mutex::new(Tickets {
                next: 0,
                assigned: vec![0; 3],
            }),
            started: Instant::now(),
            opts,
        };
        let mut counts = std::collections::BTreeMap::new();
        while let Some((_, i)) = shared.ticket() {
            *counts.entry(i).or_insert(0) += 1;
        }
        assert_eq!(counts[&Issuer::SelfSigned], 5);
        assert_eq!(counts[&Issuer::DigiCert], 3);
        assert_eq!(counts[&Issuer::Unknown], 2);
    }
}
