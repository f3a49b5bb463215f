//! Pacing of the demo's chapters, so a viewer can follow each flow on the dashboards: wait for
//! Enter (`demo --ui` on a terminal), wait a fixed time (`--pace 3s`), or not at all (plain
//! `demo`). [`Pace::choose`] picks one from the flags and whether stdin is a terminal.

use std::time::Duration;

/// The pace `--ui` falls back to when stdin is not a terminal and no `--pace` was given: a key
/// press could never come (CI, a pipe), and the demo must not hang.
pub const DEFAULT_PACE: Duration = Duration::from_secs(3);

/// How the demo waits between chapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pace {
    /// One chapter right after the other (plain `demo`).
    #[default]
    None,
    /// Wait for Enter on stdin.
    KeyPress,
    /// Wait this long.
    Wait(Duration),
}

impl Pace {
    /// The pace for `--ui` / `--pace` when stdin is (or is not) a terminal, and a note to print
    /// when the choice was a fallback the user did not ask for.
    pub fn choose(
        ui: bool,
        pace: Option<Duration>,
        stdin_is_terminal: bool,
    ) -> (Pace, Option<String>) {
        match (pace, ui) {
            (Some(d), _) => (Pace::Wait(d), None),
            (None, false) => (Pace::None, None),
            (None, true) if stdin_is_terminal => (Pace::KeyPress, None),
            (None, true) => (
                Pace::Wait(DEFAULT_PACE),
                Some(format!(
                    "stdin is not a terminal: chapters follow each other every {}s (--pace to change)",
                    DEFAULT_PACE.as_secs()
                )),
            ),
        }
    }

    /// The prompt shown before `next` (say `chapter 3/11 digicert-ov`), or `None` when there is
    /// no wait.
    pub fn prompt(self, next: &str) -> Option<String> {
        match self {
            Pace::None => None,
            Pace::KeyPress => Some(format!("⏸  Next: {next} — press Enter")),
            Pace::Wait(d) => Some(format!("⏸  Next: {next} in {}", human(d))),
        }
    }

    /// Waits as the pace says. A closed stdin (Ctrl-D, end of a pipe) ends a key-press wait.
    pub async fn wait(self) {
        match self {
            Pace::None => {}
            Pace::Wait(d) => tokio::time::sleep(d).await,
            Pace::KeyPress => {
                // Reading a line blocks: a blocking-pool thread does it, and it is awaited here,
                // so no read is left behind when the demo ends.
                let _ = tokio::task::spawn_blocking(|| {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)
                })
                .await;
            }
        }
    }
}

/// `500ms`, `3s`, `1.5s`, `2m`: a duration as the `--pace` grammar writes it.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_follows_flags_and_terminal() {
        let s3 = Duration::from_secs(3);
        let ms = Duration::from_millis(10);
        assert_eq!(Pace::choose(false, None, true), (Pace::None, None));
        assert_eq!(Pace::choose(false, None, false), (Pace::None, None));
        assert_eq!(Pace::choose(false, Some(s3), true), (Pace::Wait(s3), None));
        assert_eq!(Pace::choose(true, None, true), (Pace::KeyPress, None));
        assert_eq!(Pace::choose(true, Some(ms), false), (Pace::Wait(ms), None));
        let (pace, note) = Pace::choose(true, None, false);
        assert_eq!(pace, Pace::Wait(DEFAULT_PACE));
        assert!(note.is_some_and(|n| n.contains("not a terminal") && n.contains("3s")));
    }

    #[test]
    fn prompts_name_the_next_chapter() {
        assert_eq!(Pace::None.prompt("chapter 2/11 x"), None);
        assert_eq!(
            Pace::KeyPress.prompt("chapter 2/11 x").as_deref(),
            Some("⏸  Next: chapter 2/11 x — press Enter")
        );
        let w = |ms| Pace::Wait(Duration::from_millis(ms)).prompt("chapter 2/11 x");
        assert_eq!(w(500).as_deref(), Some("⏸  Next: chapter 2/11 x in 500ms"));
        assert_eq!(w(3000).as_deref(), Some("⏸  Next: chapter 2/11 x in 3s"));
        assert_eq!(w(1500).as_deref(), Some("⏸  Next: chapter 2/11 x in 1.5s"));
        assert_eq!(w(120_000).as_deref(), Some("⏸  Next: chapter 2/11 x in 2m"));
    }

    #[tokio::test]
    async fn waits_about_as_long_as_asked() {
        let started = std::time::Instant::now();
        Pace::Wait(Duration::from_millis(20)).wait().await;
        Pace::None.wait().await;
        assert!(started.elapsed() >= Duration::from_millis(20));
    }
}
