//! The desired side, as plan and apply both take it: the project's entries
//! narrowed by `--only` / `--exclude`, what zeeg.yaml says about refusals,
//! and how invalid files are reported.

use std::path::PathBuf;

use crate::api::Token;
use crate::cli::GlobalArgs;
use crate::manifest::{self, Diagnostics, Manifest};
use crate::plural::counted;
use crate::printer::Printer;
use crate::secret::Secrets;
use crate::targeting::{Targeting, TargetingError};

/// The project's people files under `paths`, or `None` when they are invalid,
/// after printing every problem (see [`report_invalid`]).
pub fn load(
    printer: &Printer,
    global: &GlobalArgs,
    paths: &[PathBuf],
    redact: bool,
) -> Option<Manifest> {
    let loading = std::time::Instant::now();
    match manifest::load(paths) {
        Ok(manifest) => {
            tracing::info!(
                entries = manifest.entries.len(),
                files = manifest.files.len(),
                elapsed_ms = loading.elapsed().as_millis() as u64,
                "people files loaded"
            );
            Some(manifest)
        }
        Err(diagnostics) => {
            report_invalid(printer, global, diagnostics, redact);
            None
        }
    }
}

/// Prints every problem of invalid people files exactly as `zeeg validate`
/// does (with contact data masked under `--redact`), and that nothing was sent.
pub fn report_invalid(
    printer: &Printer,
    global: &GlobalArgs,
    diagnostics: Diagnostics,
    redact: bool,
) {
    let what = diagnostics.what_to_fix();
    let diagnostics = diagnostics.without(&secrets(global));
    let diagnostics = if redact {
        diagnostics.redacted()
    } else {
        diagnostics
    };
    print_diagnostics(printer, diagnostics);
    printer.status(&format!(
        "Nothing was planned or applied: fix {what} and run again."
    ));
}

/// Prints every problem, one diagnostic each, then a count: `validate`,
/// `plan` and `apply` all print invalid files so, and they look the same.
pub fn print_diagnostics(printer: &Printer, diagnostics: Diagnostics) {
    let count = diagnostics.problems.len();
    let files = diagnostics.file_count();
    for problem in diagnostics.problems {
        printer.error(&miette::Report::new(problem));
    }
    let in_files = match files {
        0 => String::new(),
        n => format!(" in {}", counted(n, "file", "files")),
    };
    printer.status(&format!(
        "error: {} found{in_files}",
        counted(count, "problem", "problems"),
    ));
}

/// What diagnostics never quote (see [`crate::secret`]): the values of
/// environment variables named like secrets, and the token of
/// `--token-file` when that is a plain file (a pipe is left for the token's
/// own read).
pub fn secrets(global: &GlobalArgs) -> Secrets {
    let secrets = Secrets::of_environment();
    let token = global
        .token_file
        .as_deref()
        .filter(|path| std::fs::metadata(path).is_ok_and(|m| m.is_file()))
        .map(Token::from_file);
    match token {
        Some(Ok(token)) => secrets.and(token.expose()),
        _ => secrets,
    }
}

/// `--only` / `--exclude`: keeps the selected entries and says how many were
/// left out, so a narrowed plan is never mistaken for the whole picture;
/// globs that select nothing are an error, not an empty plan.
///
/// The declared companies are narrowed with them (see
/// [`Targeting::select_companies`]): plan and apply both call this, so they
/// work on the same companies.
pub fn select_entries(
    printer: &Printer,
    manifest: &mut Manifest,
    only: &[String],
    exclude: &[String],
    redact: bool,
) -> miette::Result<()> {
    let shown = |error: TargetingError| if redact { error.redacted() } else { error };
    let targeting = Targeting::new(only, exclude).map_err(shown)?;
    if !targeting.is_active() {
        return Ok(());
    }
    let entries = std::mem::take(&mut manifest.entries);
    let total = entries.len();
    let (selected, left_out) = match targeting.select(only, exclude, entries) {
        Ok(selection) => selection,
        // A file of companies alone may be selected: that is not nothing.
        Err(error) => {
            let companies = targeting.select_companies(manifest.companies.clone(), &[]);
            if companies.is_empty() {
                return Err(shown(error).into());
            }
            (Vec::new(), total)
        }
    };
    let companies = std::mem::take(&mut manifest.companies);
    let declared = companies.len();
    manifest.companies = targeting.select_companies(companies, &selected);
    let companies_left_out = declared - manifest.companies.len();
    manifest.entries = selected;
    printer.status(&left_out_line(manifest, left_out, companies_left_out));
    Ok(())
}

/// `3 entries left out by --only/--exclude; 6 selected.`; when the files
/// declare companies, they are counted apart, so a left-out company change
/// is never hidden behind "0 entries".
fn left_out_line(manifest: &Manifest, people: usize, companies: usize) -> String {
    let selected = manifest.entries.len();
    if companies == 0 && manifest.companies.is_empty() {
        return format!(
            "{} left out by --only/--exclude; {selected} selected.",
            counted(people, "entry", "entries"),
        );
    }
    format!(
        "{} and {} left out by --only/--exclude; {} and {} selected.",
        counted(companies, "company", "companies"),
        counted(people, "person", "people"),
        counted(manifest.companies.len(), "company", "companies"),
        counted(selected, "person", "people"),
    )
}
