//! Progress while applying: an indicatif bar on a terminal, one plain line
//! per finished entry elsewhere, or nothing. Everything printed during a run
//! goes through [`Progress::println`] so it never tears the bar.
//!
//! Which of the three a run gets is the command's printer's decision
//! (`printer::Printer::progress`); plain lines go to the sink it gives.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::{EntryResult, Outcome};

/// Shared by the executor's tasks; cheap to clone.
#[derive(Debug, Clone)]
pub struct Progress {
    kind: Arc<Kind>,
}

enum Kind {
    Bar(ProgressBar),
    Lines(Box<LineSink>),
    Hidden,
}

/// Where plain lines go.
pub type LineSink = dyn Fn(&str) + Send + Sync;

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Bar(bar) => f.debug_tuple("Bar").field(bar).finish(),
            Kind::Lines(_) => f.write_str("Lines"),
            Kind::Hidden => f.write_str("Hidden"),
        }
    }
}

const TEMPLATE: &str = "{spinner} [{bar:30}] {pos}/{len} · {rate} · ETA {eta} {wide_msg}";

impl Progress {
    /// A bar on standard error (a terminal).
    pub fn bar(total: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(TEMPLATE)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            // Upserts per second as a whole number: `37/s`, not `37.2145/s`.
            .with_key(
                "rate",
                |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{}/s", whole_rate(state.per_sec()));
                },
            )
            .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            kind: Arc::new(Kind::Bar(bar)),
        }
    }

    /// One line per finished entry, each given to `sink`.
    pub fn lines(sink: impl Fn(&str) + Send + Sync + 'static) -> Progress {
        Progress {
            kind: Arc::new(Kind::Lines(Box::new(sink))),
        }
    }

    /// Nothing at all (quiet mode, tests).
    pub fn hidden() -> Progress {
        Progress {
            kind: Arc::new(Kind::Hidden),
        }
    }

    /// An entry finished: move the bar, or print its line. Failures and notes
    /// are printed above the bar as they happen, so a long run shows them
    /// early.
    pub fn entry_finished(&self, result: &EntryResult) {
        match &*self.kind {
            Kind::Bar(bar) => {
                if result.is_failed() || result.note.is_some() {
                    bar.println(entry_line(result));
                }
                bar.inc(1);
            }
            Kind::Lines(sink) => sink(&entry_line(result)),
            Kind::Hidden => {}
        }
    }

    /// The API's 429s told of a limit, and the shared pace was cut to
    /// `Some(requests per second)`; or they stopped (`None`).
    pub fn rate_limited(&self, pace: Option<f64>) {
        match (&*self.kind, pace) {
            (Kind::Bar(bar), Some(pace)) => bar.set_message(format!(
                "· pacing at {} requests/s for the API's rate limit",
                shown_rate(pace)
            )),
            (Kind::Bar(bar), None) => bar.set_message(""),
            (Kind::Lines(sink), Some(pace)) => sink(&format!(
                "rate limited by the API: pacing at {} requests/s",
                shown_rate(pace)
            )),
            (Kind::Lines(_), None) | (Kind::Hidden, _) => {}
        }
    }

    /// The bar, when there is one, so that other output can go above it.
    pub fn bar_handle(&self) -> Option<ProgressBar> {
        match &*self.kind {
            Kind::Bar(bar) => Some(bar.clone()),
            Kind::Lines(_) | Kind::Hidden => None,
        }
    }

    /// Prints a line on standard error without tearing the bar.
    pub fn println(&self, line: &str) {
        match &*self.kind {
            Kind::Bar(bar) => bar.println(line),
            Kind::Lines(sink) => sink(line),
            Kind::Hidden => {}
        }
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        if let Kind::Bar(bar) = &*self.kind {
            bar.finish_and_clear();
        }
    }

    /// Stops the bar where it is and leaves it drawn, after an interrupt: its
    /// count is then the summary's (every entry that got an answer).
    pub fn abandon(&self) {
        if let Kind::Bar(bar) = &*self.kind {
            bar.abandon();
        }
    }
}

/// A rate rounded to a whole number (NaN and infinities, before any entry
/// finished, read 0).
fn whole_rate(per_second: f64) -> u64 {
    if per_second.is_finite() && per_second > 0.0 {
        per_second.round() as u64
    } else {
        0
    }
}

/// `created people/team.yaml:4 email jane@acme.com`, with the reason of a
/// failure and any note.
pub fn entry_line(result: &EntryResult) -> String {
    let mut line = match &result.outcome {
        Outcome::Created => format!("created {} {}", result.source, result.label),
        Outcome::Updated => format!("updated {} {}", result.source, result.label),
        Outcome::Failed { reason } => {
            format!("failed  {} {}: {reason}", result.source, result.label)
        }
    };
    if let Some(note) = &result.note {
        line.push_str(" (note: ");
        line.push_str(note);
        line.push(')');
    }
    line
}

/// A pace as shown: whole requests per second, or one decimal below ten.
fn shown_rate(pace: f64) -> String {
    if pace < 10.0 {
        format!("{pace:.1}")
    } else {
        format!("{pace:.0}")
    }
}
