//! `zeeg schema`: print or write the JSON Schemas.

use crate::cli::SchemaArgs;
use crate::commands::Printer;
use crate::exit::ExitStatus;

pub fn run(_printer: &Printer, _args: SchemaArgs) -> miette::Result<ExitStatus> {
    Err(miette::miette!("`zeeg schema` is not built yet"))
}
