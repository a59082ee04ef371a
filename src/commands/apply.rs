//! `zeeg apply`.

use crate::cli::{ApplyArgs, GlobalArgs};
use crate::commands::Printer;
use crate::exit::ExitStatus;

pub async fn run(
    _printer: &Printer,
    _global: &GlobalArgs,
    _args: ApplyArgs,
) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`zeeg apply` is not built yet"))
}
