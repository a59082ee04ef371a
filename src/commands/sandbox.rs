//! `zeeg sandbox serve`: run the local emulator.

use crate::cli::SandboxServeArgs;
use crate::commands::Printer;
use crate::exit::ExitStatus;

pub async fn serve(_printer: &Printer, _args: SandboxServeArgs) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`zeeg sandbox serve` is not built yet"))
}
