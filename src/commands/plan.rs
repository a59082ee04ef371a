//! `zeeg plan`: validate, read the live CRM, print what apply would change.
//!
//! The plan is computed whole before anything is printed, so a plan that
//! fails half-way prints no partial plan; it is then written change by
//! change.

use std::io::Write;

use crate::cli::{GlobalArgs, PlanArgs, PlanFormat, TargetArgs};
use crate::exit::ExitStatus;
use crate::plan::{self, Plan, RenderOptions, SavedPlan};
use crate::printer::Printer;
use crate::project::connect;
use crate::project::{load, select_entries};

pub async fn run(
    printer: &Printer,
    global: &GlobalArgs,
    args: PlanArgs,
) -> miette::Result<ExitStatus> {
    let PlanArgs {
        target,
        format,
        out,
        detailed_exitcode,
    } = args;
    let redact = redaction(&target, format);
    let Some(mut manifest) = load(printer, global, &target.paths, redact) else {
        return Ok(ExitStatus::Failure);
    };
    select_entries(
        printer,
        &mut manifest,
        &target.only,
        &target.exclude,
        redact,
    )?;
    // The files read, by their real place: `shown` is relative to here.
    let inputs: Vec<std::path::PathBuf> = manifest
        .files
        .iter()
        .map(|file| manifest.root.join(&file.path))
        .chain(manifest.config_file.clone())
        .collect();
    if let Some(path) = &out {
        // Before the CRM is read: nothing would be written anyway.
        SavedPlan::check_out(path, &inputs)?;
    }
    let connection = connect(
        printer,
        global,
        target.sandbox,
        &manifest.root,
        manifest.config.api_url.as_deref(),
    )
    .await?;
    let live = connection.read_live(&manifest).await;
    let plan_key = connection.plan_key.clone();
    connection.close().await;
    let live = live?;
    let plan = plan::plan_against(&manifest, &live)?;
    let color = printer.color();
    if let Some(path) = out {
        let saved = SavedPlan::new(&plan, &manifest.files, &manifest.paths, &plan_key);
        saved
            .with_targeting(&target.only, &target.exclude, &plan_key)
            .write(&path, &inputs)?;
        printer.status(&format!("Saved the plan to {}.", path.display()));
    }
    let options = RenderOptions { color, redact };
    printer.out_with(|out| render(out, &plan, format, &options));
    Ok(exit_status(&plan, detailed_exitcode))
}

/// 2 for changes only when asked (`--detailed-exitcode`), else 0.
fn exit_status(plan: &Plan<'_>, detailed_exitcode: bool) -> ExitStatus {
    if detailed_exitcode && !plan.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}

/// Writes the plan in `format`; markdown, bounded by its limit, is
/// rendered whole first.
fn render(
    out: &mut dyn Write,
    plan: &Plan<'_>,
    format: PlanFormat,
    options: &RenderOptions,
) -> std::io::Result<()> {
    match format {
        PlanFormat::Text => plan::render::write_text(out, plan, options),
        PlanFormat::Json => plan::render::write_json(out, plan, options),
        PlanFormat::Markdown => out.write_all(plan::render_markdown(plan, options).as_bytes()),
    }
}

/// `--redact` / `--no-redact` win; otherwise markdown in CI (a comment
/// anyone with access to the pull request can read) is redacted.
fn redaction(target: &TargetArgs, format: PlanFormat) -> bool {
    if target.redact {
        return true;
    }
    if target.no_redact {
        return false;
    }
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    format == PlanFormat::Markdown && in_ci
}
