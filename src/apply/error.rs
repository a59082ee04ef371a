//! What can stop `zeeg apply` before it writes anything.

use miette::Diagnostic;
use thiserror::Error;

use crate::plan::safety::SafetyLimitExceeded;

/// An apply refused or unable to start.
#[derive(Debug, Error, Diagnostic)]
pub enum ApplyError {
    /// No terminal to ask on, and `--auto-approve` was not given.
    #[error("refusing to apply without confirmation: there is no terminal to ask on")]
    #[diagnostic(
        code(zeeg::apply::no_terminal),
        help(
            "Nothing was written. Review the plan above, then run again with --auto-approve (as in CI), \
             or save it with `zeeg plan --out FILE` and run `zeeg apply --plan FILE`."
        )
    )]
    NoTerminal,

    /// The user answered anything but yes.
    #[error("apply cancelled: the changes were not approved")]
    #[diagnostic(code(zeeg::apply::declined), help("Nothing was written."))]
    Declined,

    /// The confirmation could not be read.
    #[error("could not read the confirmation")]
    #[diagnostic(
        code(zeeg::apply::prompt),
        help("Nothing was written. Run again, or pass --auto-approve.")
    )]
    Prompt {
        #[source]
        source: std::io::Error,
    },

    /// Ctrl-C and SIGTERM could not be caught, so an interrupt would lose the summary.
    #[error("could not listen for Ctrl-C and SIGTERM")]
    #[diagnostic(
        code(zeeg::apply::signals),
        help("Nothing was written. This is unusual; please report it with your platform.")
    )]
    Signals {
        #[source]
        source: std::io::Error,
    },

    /// The plan removes options that live records hold.
    #[error("apply refuses to clear values: {}", .changes.join("; "))]
    #[diagnostic(
        code(zeeg::apply::destructive),
        help(
            "Nothing was written. Keep the options in the declarations, or run again with --allow-destructive to remove them and clear their values."
        )
    )]
    Destructive {
        /// `people attribute tier (zeeg.yaml:5) removes an option 2 records hold`.
        changes: Vec<String>,
    },

    /// Too many updates at once.
    #[error(transparent)]
    #[diagnostic(transparent)]
    SafetyLimit(#[from] SafetyLimitExceeded),
}
