//! Where output goes. Commands ask the printer instead of printing directly, so
//! quiet mode, colour and terminal detection are decided in one place.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use indicatif::ProgressBar;

use crate::api::Notices;
use crate::cli::{ColorChoice, GlobalArgs};

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

    /// Writes a status line to stderr unless quiet; above the progress bar
    /// while one is drawn.
    pub fn status(&self, line: &str) {
        if self.quiet {
            return;
        }
        let progress = self
            .progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match progress.as_ref() {
            Some(bar) => bar.println(line),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        }
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

    /// The API client's lines about waiting (a retry, a slow answer), as
    /// status lines: every command says on stderr when it waits.
    pub fn notices(&self) -> Notices {
        let printer = self.clone();
        Notices::to(move |line| printer.status(line))
    }

    /// Prints an error report to stderr, always.
    pub fn error(&self, report: &miette::Report) {
        let _ = writeln!(std::io::stderr().lock(), "{report:?}");
    }

    /// Sets miette's rendering (colour, width) to match this printer.
    pub fn install_error_hook(&self) {
        let color = self.stderr_color();
        let _ = miette::set_hook(Box::new(move |_| {
            Box::new(
                miette::MietteHandlerOpts::new()
                    .color(color)
                    .unicode(color)
                    .terminal_links(false)
                    .width(100)
                    .build(),
            )
        }));
    }
}
