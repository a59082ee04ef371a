//! `zeeg plan`.

use crate::cli::{GlobalArgs, PlanArgs};
use crate::commands::Printer;
use crate::exit::ExitStatus;

pub async fn run(
    _printer: &Printer,
    _global: &GlobalArgs,
    _args: PlanArgs,
) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`zeeg plan` is not built yet"))
}
