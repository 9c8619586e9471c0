//! Progress on stderr while a run works: a bar with a labelled time estimate for stages whose size
//! is known, a spinner with a count (where there is one) and the time spent for the others
//! (reading, finding candidates, writing). Shown only when stderr is a terminal, never with
//! `--quiet`.

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use reprint::Progress;

/// The time a stage must have run before its estimate is shown: early rates are dominated by
/// start-up (threads, caches, the first large documents).
const ETA_AFTER: Duration = Duration::from_secs(3);

/// The share of a stage that must be done before its estimate is shown, in thousandths.
const ETA_AFTER_DONE: u64 = 50;

/// The time left in a stage of `total` steps, `done` of them after `elapsed`, at the rate so far;
/// `None` until the stage has run [`ETA_AFTER`] and done [`ETA_AFTER_DONE`]‰ of its steps, before
/// which a rate means little ("1/100000 (17m)").
pub fn time_left(elapsed: Duration, done: u64, total: u64) -> Option<Duration> {
    if total == 0 || done >= total || elapsed < ETA_AFTER || done * 1000 < total * ETA_AFTER_DONE {
        return None;
    }
    Some(elapsed.mul_f64((total - done) as f64 / done as f64))
}

/// A duration as a person reads it: "45s", "3m 05s", "1h 02m".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// The estimate as the bar shows it: "about 1m 20s left", or nothing while it is held back.
fn eta_label(elapsed: Duration, done: u64, total: u64) -> String {
    time_left(elapsed, done, total).map_or_else(String::new, |left| {
        format!("about {} left", human(left.max(Duration::from_secs(1))))
    })
}

/// Drives an indicatif bar from the library's progress calls, and spinners for the binary's own
/// stages; hidden when stderr is not a terminal or the run is quiet.
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar on stderr, or a hidden one.
    pub fn new(quiet: bool) -> Bar {
        let shown = !quiet && io::stderr().is_terminal();
        Bar::to(if shown {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        })
    }

    fn to(target: ProgressDrawTarget) -> Bar {
        Bar(ProgressBar::with_draw_target(None, target))
    }

    /// Starts a stage whose size is unknown, shown as a spinner with the time spent (and a count,
    /// if the stage advances).
    pub fn spin(&self, stage: &'static str) {
        self.start(stage, 0);
    }
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} {eta_label}")
        .expect("valid template")
        .progress_chars("=> ")
        .with_key(
            "eta_label",
            |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&eta_label(s.elapsed(), s.pos(), s.len().unwrap_or(0)));
            },
        )
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>14} {spinner} {count}{elapsed}")
        .expect("valid template")
        .with_key("count", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            if s.pos() > 0 {
                let _ = write!(w, "{} done, ", s.pos());
            }
        })
}

impl Progress for Bar {
    /// A stage of `total` steps, or of an unknown number when `total` is 0.
    fn start(&self, stage: &'static str, total: u64) {
        self.0.reset();
        if total == 0 {
            self.0.set_style(spinner_style());
            self.0.unset_length();
            self.0.enable_steady_tick(Duration::from_millis(120));
        } else {
            self.0.disable_steady_tick();
            self.0.set_style(bar_style());
            self.0.set_length(total);
        }
        self.0.set_message(stage);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.disable_steady_tick();
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_is_held_back_until_it_means_something() {
        let secs = Duration::from_secs;
        // One step of 100,000 after a second: no estimate (it would say 17 minutes).
        assert_eq!(time_left(secs(1), 1, 100_000), None);
        // Long enough, but too little done.
        assert_eq!(time_left(secs(10), 4_999, 100_000), None);
        // Much done, but too early.
        assert_eq!(
            time_left(Duration::from_millis(2_900), 50_000, 100_000),
            None
        );
        // Both: the rate so far.
        assert_eq!(time_left(secs(10), 5_000, 100_000), Some(secs(190)));
        assert_eq!(time_left(secs(4), 50, 100), Some(secs(4)));
        // Done, or nothing to do.
        assert_eq!(time_left(secs(10), 100, 100), None);
        assert_eq!(time_left(secs(10), 0, 0), None);
    }

    #[test]
    fn the_estimate_is_labelled() {
        let secs = Duration::from_secs;
        assert_eq!(eta_label(secs(10), 5_000, 100_000), "about 3m 10s left");
        assert_eq!(eta_label(secs(1), 1, 100_000), "");
        assert_eq!(eta_label(secs(30), 99_999, 100_000), "about 1s left");
        assert_eq!(human(secs(45)), "45s");
        assert_eq!(human(secs(3 * 3600 + 125)), "3h 02m");
    }

    /// With no terminal (as under `cargo test`) or `--quiet`, nothing is drawn.
    #[test]
    fn progress_is_hidden_without_a_terminal_and_when_quiet() {
        assert!(Bar::new(true).0.is_hidden());
        if !io::stderr().is_terminal() {
            assert!(Bar::new(false).0.is_hidden());
        }
    }
}
