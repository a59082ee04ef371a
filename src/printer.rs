//! Where output goes. Commands ask the printer instead of printing directly, so
//! quiet mode, colour and terminal detection are decided in one place: data on
//! stdout ([`Printer::out`]), status lines, errors and what the person must see
//! on stderr, the progress of an apply ([`Printer::progress`]) and the yes/no
//! prompt ([`Printer::ask`]). While a bar is drawn, every line goes above it.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use miette::{Diagnostic, LabeledSpan};

use crate::api::Notices;
use crate::apply::Progress;
use crate::cli::{ColorChoice, GlobalArgs};
use crate::terminal;

/// What became of a yes/no question ([`Printer::ask`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Yes,
    No,
    /// There is no terminal to ask on.
    NoTerminal,
}

/// Decides colour, verbosity and terminal-ness for one run.
#[derive(Debug, Clone)]
pub struct Printer {
    color_choice: ColorChoice,
    no_color: bool,
    quiet: bool,
    verbose: u8,
    color: bool,
    stdout_is_terminal: bool,
    stderr_is_terminal: bool,
    stdin_is_terminal: bool,
    /// The progress bar on stderr while one is drawn (shared by clones):
    /// status lines then go above it, so they never tear it.
    progress: Arc<Mutex<Option<ProgressBar>>>,
}

impl Printer {
    pub fn new(global: &GlobalArgs) -> Printer {
        let stdout_is_terminal = std::io::stdout().is_terminal();
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_terminal && !no_color,
        };
        Printer {
            color_choice: global.color,
            no_color,
            quiet: global.quiet,
            verbose: global.verbose,
            color,
            stdout_is_terminal,
            stderr_is_terminal,
            stdin_is_terminal: std::io::stdin().is_terminal(),
            progress: Arc::default(),
        }
    }

    /// Whether stderr (logs, diagnostics) should carry ANSI colours: the
    /// `--color` choice, else a terminal without `NO_COLOR`.
    pub fn stderr_color(&self) -> bool {
        match self.color_choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => self.stderr_is_terminal && !self.no_color,
        }
    }

    /// Whether output should carry ANSI colours.
    pub fn color(&self) -> bool {
        self.color
    }

    pub fn quiet(&self) -> bool {
        self.quiet
    }

    pub fn verbose(&self) -> u8 {
        self.verbose
    }

    /// Whether standard output is a terminal (progress bars, prompts).
    pub fn stdout_is_terminal(&self) -> bool {
        self.stdout_is_terminal
    }

    /// Whether standard error is a terminal.
    pub fn stderr_is_terminal(&self) -> bool {
        self.stderr_is_terminal
    }

    /// Writes the main output of a command (a plan, a schema) to stdout.
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`zeeg plan | head`) is not an error worth a panic.
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// Writes the main output of a command piece by piece through `write`,
    /// buffered: a plan of a big file is never held as one text. A closed
    /// pipe ends the writing and is not an error, as with [`Printer::out`].
    pub fn out_with(&self, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
        let mut stdout = std::io::BufWriter::with_capacity(OUT_BUFFER, std::io::stdout().lock());
        let _ = write(&mut stdout).and_then(|()| stdout.flush());
    }

    /// Like [`Printer::out_with`], on stderr: text the person must see that
    /// stdout must not hold (see [`Printer::stderr`]).
    pub fn stderr_with(&self, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
        let write = || {
            let mut stderr =
                std::io::BufWriter::with_capacity(OUT_BUFFER, std::io::stderr().lock());
            let _ = write(&mut stderr).and_then(|()| stderr.flush());
        };
        match self.drawn() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Writes a status line to stderr unless quiet; above the progress bar
    /// while one is drawn.
    pub fn status(&self, line: &str) {
        if !self.quiet {
            self.line(line);
        }
    }

    /// A line on stderr, above the bar while one is drawn.
    fn line(&self, line: &str) {
        match self.drawn() {
            Some(bar) => bar.println(line),
            None => {
                // A closed stderr is no reason to stop.
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        }
    }

    fn drawn(&self) -> Option<ProgressBar> {
        self.progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The progress of `total` entries: nothing when quiet, a bar on a
    /// terminal (status lines then go above it until
    /// [`Printer::progress_done`]), else a status line per entry.
    pub fn progress(&self, total: u64) -> Progress {
        if self.quiet {
            return Progress::hidden();
        }
        if self.stderr_is_terminal {
            let progress = Progress::bar(total);
            self.progress_drawn(progress.bar_handle());
            return progress;
        }
        let printer = self.clone();
        Progress::lines(move |line| printer.line(line))
    }

    /// Status lines go above `bar` until [`Printer::progress_done`].
    pub fn progress_drawn(&self, bar: Option<ProgressBar>) {
        *self
            .progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = bar;
    }

    /// The progress bar is gone: status lines go straight to stderr again.
    pub fn progress_done(&self) {
        self.progress_drawn(None);
    }

    /// A progress bar of `len` steps drawn with indicatif's `template`, on a
    /// terminal and unless quiet (hidden otherwise); status lines go above
    /// it until it is finished or dropped.
    pub fn progress_bar(&self, len: u64, template: &str) -> Bar {
        let bar = self.draws_progress().then(|| {
            let bar = ProgressBar::new(len);
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        });
        self.bar(bar)
    }

    /// A spinner with `message`, like [`Printer::progress_bar`], for work
    /// whose length is not known.
    pub fn spinner(&self, message: &str) -> Bar {
        let bar = self.draws_progress().then(|| {
            let bar = ProgressBar::new_spinner().with_message(message.to_string());
            bar.enable_steady_tick(SPINNER_TICK);
            bar
        });
        self.bar(bar)
    }

    fn draws_progress(&self) -> bool {
        self.stderr_is_terminal && !self.quiet
    }

    fn bar(&self, bar: Option<ProgressBar>) -> Bar {
        self.progress_drawn(bar.clone());
        Bar {
            printer: self.clone(),
            bar,
        }
    }

    /// The API client's lines about waiting (a retry, a slow answer), as
    /// status lines: every command says on stderr when it waits.
    pub fn notices(&self) -> Notices {
        let printer = self.clone();
        Notices::to(move |line| printer.status(line))
    }

    /// Writes lines that are errors (failed entries, refusals) to stderr,
    /// even when quiet. The text is zeeg's own, with anything from a server
    /// already escaped.
    pub fn errors(&self, text: &str) {
        self.stderr(text);
    }

    /// Writes text the person must see, even when quiet, to stderr because
    /// stdout must not hold it: the plan before the prompt when stdout holds
    /// JSON, the requests `doctor --write` asks to send.
    pub fn stderr(&self, text: &str) {
        let write = || {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        };
        match self.drawn() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Whether [`Printer::ask`] can ask a person: stdin and stderr are both
    /// terminals.
    pub fn can_ask(&self) -> bool {
        self.stdin_is_terminal && self.stderr_is_terminal
    }

    /// Asks `question` on the terminal (on stderr, so piped output stays
    /// clean) and reads one line, off the async workers. A person can be
    /// asked only when stdin and stderr are both terminals.
    pub async fn ask(&self, question: &'static str) -> std::io::Result<Reply> {
        if !self.can_ask() {
            return Ok(Reply::NoTerminal);
        }
        let asked = tokio::task::spawn_blocking(move || {
            ask_on(question, std::io::stderr(), std::io::stdin().lock())
        });
        let agreed = asked.await.map_err(std::io::Error::other)??;
        Ok(if agreed { Reply::Yes } else { Reply::No })
    }

    /// Prints an error report to stderr, always, with every word of it that
    /// may come from a file or a server escaped (see [`crate::terminal`]).
    pub fn error(&self, report: &miette::Report) {
        let escaped = Escaped::new(report.as_ref());
        let shown = Shown(&handler(self.stderr_color()), &escaped);
        // Rendered whole, then written once: stderr is unbuffered, and
        // writing piece by piece took a system call per fragment (3 million
        // for 20,000 problems, most of the time of reporting them).
        let text = format!("{shown:?}\n");
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// Sets miette's rendering (colour, width) to match this printer, for
    /// the reports printed elsewhere than [`Printer::error`].
    pub fn install_error_hook(&self) {
        let color = self.stderr_color();
        let _ = miette::set_hook(Box::new(move |_| Box::new(handler(color))));
    }
}

/// How often a spinner turns.
/// Bytes of output gathered before each write: a plan of a big file goes
/// out in a few thousand writes, not one per line.
const OUT_BUFFER: usize = 64 * 1024;

const SPINNER_TICK: Duration = Duration::from_millis(120);

/// A progress bar or spinner on stderr (or nothing, where none is drawn),
/// known to the printer so that status lines go above it. Cleared when
/// finished or dropped, even on an early return.
#[derive(Debug)]
pub struct Bar {
    printer: Printer,
    bar: Option<ProgressBar>,
}

impl Bar {
    /// Sets how many steps are done.
    pub fn set_position(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    /// Clears the bar.
    pub fn finish(self) {}
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            self.printer.progress_done();
        }
    }
}

fn handler(color: bool) -> miette::MietteHandler {
    miette::MietteHandlerOpts::new()
        .color(color)
        .unicode(color)
        .terminal_links(false)
        .width(100)
        .build()
}

/// A diagnostic rendered by a handler.
struct Shown<'a>(&'a miette::MietteHandler, &'a dyn Diagnostic);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        miette::ReportHandler::debug(self.0, self.1, f)
    }
}

/// A diagnostic whose message, help, labels and causes are escaped; its
/// source snippet is the inner one's (people files give escaped excerpts).
struct Escaped<'a> {
    inner: &'a dyn Diagnostic,
    message: String,
    help: Option<String>,
    cause: Option<Box<Cause>>,
    related: Vec<Escaped<'a>>,
}

impl<'a> Escaped<'a> {
    fn new(inner: &'a dyn Diagnostic) -> Escaped<'a> {
        Escaped {
            inner,
            message: terminal::escaped(&inner.to_string()).into_owned(),
            help: inner
                .help()
                .map(|help| terminal::escaped_keeping_lines(&help.to_string()).into_owned()),
            cause: Cause::chain(inner.diagnostic_source().map_or_else(
                || inner.source(),
                |source| Some(source as &dyn std::error::Error),
            )),
            related: inner
                .related()
                .into_iter()
                .flatten()
                .map(Escaped::new)
                .collect(),
        }
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Escaped<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl Diagnostic for Escaped<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.inner.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let labels = self.inner.labels()?.map(|label| {
            let text = label.label().map(|l| terminal::escaped(l).into_owned());
            if label.primary() {
                LabeledSpan::new_primary_with_span(text, *label.inner())
            } else {
                LabeledSpan::new_with_span(text, *label.inner())
            }
        });
        Some(Box::new(labels.collect::<Vec<_>>().into_iter()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

/// One cause of an error, escaped, and its own cause.
#[derive(Debug)]
struct Cause {
    message: String,
    source: Option<Box<Cause>>,
}

impl Cause {
    fn chain(error: Option<&dyn std::error::Error>) -> Option<Box<Cause>> {
        let error = error?;
        Some(Box::new(Cause {
            message: terminal::escaped(&error.to_string()).into_owned(),
            source: Cause::chain(error.source()),
        }))
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// Writes `question` on `output` and reads one line from `input`: only `y`
/// or `yes` (any case) agrees; anything else, or end of input, declines.
fn ask_on(
    question: &str,
    mut output: impl Write,
    mut input: impl std::io::BufRead,
) -> std::io::Result<bool> {
    output.write_all(question.as_bytes())?;
    output.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> bool {
        let mut shown = Vec::new();
        let agreed = ask_on("Go? [y/N] ", &mut shown, text.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(shown).unwrap(), "Go? [y/N] ");
        agreed
    }

    #[test]
    fn only_yes_agrees() {
        assert!(answer("y\n"));
        assert!(answer(" YES \n"));
        assert!(!answer("\n"));
        assert!(!answer("n\n"));
        assert!(!answer("yep\n"));
        assert!(!answer(""));
    }
}
