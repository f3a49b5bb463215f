//! The live progress bar of a load run (stderr, drawn only on a terminal).

use super::options::LoadOptions;
use super::state::Shared;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::Ordering;

/// A bar over certificates (with a count) or seconds (with only a duration).
pub(super) fn progress_bar(opts: &LoadOptions) -> ProgressBar {
    let (len, template) = match opts.certificates {
        Some(k) => (
            k,
            "{elapsed_precise} [{bar:30}] {pos}/{len} certificates  {msg}",
        ),
        None => (
            opts.duration.map(|d| d.as_secs().max(1)).unwrap_or(1),
            "{elapsed_precise} [{bar:30}] {pos}/{len} s  {msg}",
        ),
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Position and rates from the live counters.
pub(super) fn update_bar(bar: &ProgressBar, shared: &Shared) {
    let l = &shared.live;
    let (done, failed) = (
        l.completed.load(Ordering::Relaxed),
        l.failed.load(Ordering::Relaxed),
    );
    let secs = shared.started.elapsed().as_secs_f64().max(1e-3);
    let requests = l.requests.load(Ordering::Relaxed);
    match shared.opts.certificates {
        Some(_) => bar.set_position(done + failed),
        None => bar.set_position(shared.started.elapsed().as_secs()),
    }
    bar.set_message(format!(
        "{:.0} cert/s  {:.0} req/s  completed {done}  errors {failed}  429s {}",
        done as f64 / secs,
        requests as f64 / secs,
        l.throttled.load(Ordering::Relaxed)
    ));
}
