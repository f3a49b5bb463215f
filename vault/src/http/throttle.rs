//! Throttling emulation modelled on Key Vault's service limits: per vault, per 10 s window,
//! separate budgets for creates (create and import: 20 by default) and for every other
//! operation (4,000 by default). A request over budget gets 429 `Throttled` with
//! `Retry-After` and is not counted. Off unless configured.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Key Vault's window.
pub const WINDOW: Duration = Duration::from_secs(10);

/// The budgets are configuration (`--throttle-*`); named here too, where they are enforced.
pub use crate::config::Limits;

/// Sliding-window admission for the two request classes.
pub struct Throttle {
    limits: Limits,
    creates: Mutex<VecDeque<Instant>>,
    other: Mutex<VecDeque<Instant>>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            creates: Mutex::new(VecDeque::new()),
            other: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether a request may proceed now; `Err(retry_after)` when over budget.
    pub fn admit(&self, is_create: bool, now: Instant) -> Result<(), Duration> {
        let (window, limit) = if is_create {
            (&self.creates, self.limits.creates)
        } else {
            (&self.other, self.limits.other)
        };
        let mut window = window.lock().unwrap_or_else(|p| p.into_inner());
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() < limit {
            window.push_back(now);
            return Ok(());
        }
        let oldest = window.front().copied().unwrap_or(now);
        Err(WINDOW.saturating_sub(now.duration_since(oldest)))
    }
}

/// Create-class requests: `POST /certificates/{name}/create` and `/import`.
pub fn is_create(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && path.starts_with("/certificates/")
        && (path.ends_with("/create") || path.ends_with("/import"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_per_window_and_retry_after() {
        let t = Throttle::new(Limits {
            creates: 2,
            other: 3,
        });
        let start = Instant::now();
        assert!(t.admit(true, start).is_ok());
        assert!(t.admit(true, start + Duration::from_secs(1)).is_ok());
        let wait = t.admit(true, start + Duration::from_secs(2)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(8));
        // Refused requests are not counted; the window slides.
        assert!(t.admit(true, start + Duration::from_secs(10)).is_ok());
        // The other class has its own budget.
        for _ in 0..3 {
            assert!(t.admit(false, start).is_ok());
        }
        assert!(t.admit(false, start).is_err());
    }

    #[test]
    fn create_class_is_create_and_import() {
        use axum::http::Method;
        assert!(is_create(&Method::POST, "/certificates/a/create"));
        assert!(is_create(&Method::POST, "/certificates/a/import"));
        assert!(!is_create(&Method::GET, "/certificates/a/pending"));
        assert!(!is_create(&Method::POST, "/certificates/a/pending/merge"));
    }
}
