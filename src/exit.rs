//! The process exit codes, decided in one place.

/// What a command tells the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success, or a plan without changes.
    Success,
    /// 1: an error: invalid input, API failure, refused.
    Failure,
    /// 2: `plan --detailed-exitcode` found changes.
    Changes,
    /// 3: `apply` finished but some entries failed.
    PartialFailure,
    /// 4: a saved plan is stale.
    Stale,
    /// 130: interrupted by Ctrl-C or SIGTERM.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::PartialFailure => 3,
            ExitStatus::Stale => 4,
            ExitStatus::Interrupted => 130,
        }
    }

    /// The status of a command line clap did not run: `--help` and
    /// `--version` succeed; anything that does not parse is an error (1), never
    /// clap's own 2, which `plan --detailed-exitcode` reserves for "changes".
    pub fn for_command_line(error: &clap::Error) -> ExitStatus {
        use clap::error::ErrorKind;
        match error.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitStatus::Success,
            _ => ExitStatus::Failure,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}
