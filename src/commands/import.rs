//! `zeeg import`.

use crate::cli::{ImportArgs, GlobalArgs};
use crate::commands::Printer;
use crate::exit::ExitStatus;

pub async fn run(_printer: &Printer, _global: &GlobalArgs, _args: ImportArgs) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`zeeg import` is not built yet"))
}
