//! Progress bars where people wait: on standard error when it is a terminal, and nowhere else,
//! so logs, pipes and CI output stay free of control sequences. One place for every command
//! (`ingest-file`, `loadgen`, `bench`, `demo`, `compact`), so they look and behave alike.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of `total` steps (or a spinner without one) drawn with `template` (indicatif's
/// syntax), or a hidden bar when `quiet` or standard error is not a terminal.
pub fn bar(quiet: bool, total: Option<u64>, template: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let fallback = if total.is_some() {
        ProgressStyle::default_bar()
    } else {
        ProgressStyle::default_spinner()
    };
    bar.set_style(ProgressStyle::with_template(template).unwrap_or(fallback));
    // A spinner moves while its caller waits on something that reports nothing.
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
