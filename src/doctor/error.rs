//! What can stop `zeeg doctor` before or instead of its report.

use miette::Diagnostic;
use thiserror::Error;

/// A doctor run refused or unable to finish.
#[derive(Debug, Error, Diagnostic)]
pub enum DoctorError {
    /// `--write` without a terminal to confirm on, and no `--auto-approve`.
    #[error(
        "refusing to send the write checks without confirmation: there is no terminal to ask on"
    )]
    #[diagnostic(
        code(zeeg::doctor::no_terminal),
        help("Nothing was written. Run again with --auto-approve (as in CI), or without --write.")
    )]
    NoTerminal,

    /// The user answered anything but yes.
    #[error("write checks cancelled: they were not approved")]
    #[diagnostic(
        code(zeeg::doctor::declined),
        help("Nothing was written. `zeeg doctor` without --write runs the read-only checks.")
    )]
    Declined,

    /// The confirmation could not be read.
    #[error("could not read the confirmation")]
    #[diagnostic(
        code(zeeg::doctor::prompt),
        help("Nothing was written. Run again, or pass --auto-approve.")
    )]
    Prompt {
        #[source]
        source: std::io::Error,
    },
}
