//! `zeeg validate`: offline checks of people files.

use crate::cli::{DiagnosticFormat, GlobalArgs, ValidateArgs};
use crate::exit::ExitStatus;
use crate::manifest::{self, ProblemRecord};
use crate::plural::{and_joined, counted};
use crate::printer::Printer;
use crate::project::{print_diagnostics, secrets};

pub fn run(
    printer: &Printer,
    global: &GlobalArgs,
    args: ValidateArgs,
) -> miette::Result<ExitStatus> {
    let result =
        manifest::check(&args.paths).map_err(|diagnostics| diagnostics.without(&secrets(global)));
    if args.format == DiagnosticFormat::Json {
        let records: Vec<ProblemRecord> = match &result {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics.problems.iter().map(|p| p.to_record()).collect(),
        };
        let mut text = serde_json::to_string_pretty(&records)
            .map_err(|e| miette::miette!("could not write JSON: {e}"))?;
        text.push('\n');
        printer.out(&text);
        return Ok(match result {
            Ok(_) => ExitStatus::Success,
            Err(_) => ExitStatus::Failure,
        });
    }
    match result {
        Ok(checked) => {
            for hint in &checked.hints {
                printer.status(&format!("note: {hint}"));
            }
            printer.status(&summary(&checked));
            Ok(ExitStatus::Success)
        }
        Err(diagnostics) => {
            print_diagnostics(printer, diagnostics);
            Ok(ExitStatus::Failure)
        }
    }
}

/// `3 people, 1 company and 2 attributes in 2 files: valid`.
fn summary(checked: &manifest::Checked) -> String {
    let mut parts = vec![counted(checked.people, "person", "people")];
    if checked.companies > 0 {
        parts.push(counted(checked.companies, "company", "companies"));
    }
    if checked.attributes > 0 {
        parts.push(counted(checked.attributes, "attribute", "attributes"));
    }
    format!(
        "{} in {}: valid",
        and_joined(&parts),
        counted(checked.files, "file", "files")
    )
}
