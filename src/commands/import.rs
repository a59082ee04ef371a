//! `zeeg import`.

use crate::cli::{GlobalArgs, ImportArgs};
use crate::commands::Printer;
use crate::exit::ExitStatus;

pub async fn run(
    _printer: &Printer,
    _global: &GlobalArgs,
    _args: ImportArgs,
) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`zeeg import` is not built yet"))
}
