//! `zeeg validate`: offline checks of people files.

use crate::cli::ValidateArgs;
use crate::commands::Printer;
use crate::exit::ExitStatus;

pub fn run(_printer: &Printer, _args: ValidateArgs) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`zeeg validate` is not built yet"))
}
