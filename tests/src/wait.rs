//! Waiting for state without sleeping for it: [`eventually`] polls a check with a deadline, and
//! [`DEADLINE`] bounds every single wait of these tests.

use std::{
    future::Future,
    time::{Duration, Instant},
};

/// Generous upper bound for any single wait in these tests.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Calls `check` until it returns `Some`, at most for `timeout` (short pauses in between).
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}
