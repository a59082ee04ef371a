//! `zeeg apply`: plan (or check a saved plan), confirm, then upsert.

use std::path::Path;

use crate::api::Client;
use crate::apply::names::PlanNames;
use crate::apply::phases::{PhaseContext, Phases, execute_phases};
use crate::apply::report::{Report, RunStats, StaleEntry};
use crate::apply::selection::Selected;
use crate::apply::{self, ApplyError, ExecutorConfig, selection};
use crate::cli::{ApplyArgs, ApplyFormat, GlobalArgs};
use crate::exit::ExitStatus;
use crate::manifest::{self, Manifest};
use crate::plan::{self, Live, Plan, RenderOptions, SavedPlan, WarningCode};
use crate::printer::{Printer, Reply};
use crate::project::{Connection, connect};
use crate::project::{load, select_entries};

/// The question before anything is written.
const QUESTION: &str = "Apply these changes? [y/N] ";

pub async fn run(
    printer: &Printer,
    global: &GlobalArgs,
    args: ApplyArgs,
) -> miette::Result<ExitStatus> {
    // A saved plan that cannot be read fails before anything else happens.
    let saved = args.plan.as_deref().map(SavedPlan::read).transpose()?;
    // A saved plan knows the paths it was made from: without paths, read those.
    let paths = match (&saved, args.target.paths.is_empty()) {
        (Some(saved), true) if !saved.paths.is_empty() => {
            let root = manifest::project_root(Path::new(".")).root;
            saved.paths.iter().map(|path| root.join(path)).collect()
        }
        _ => args.target.paths.clone(),
    };
    let Some(manifest) = load(printer, global, &paths, args.target.redact) else {
        return Ok(ExitStatus::Failure);
    };
    if let (Some(saved), Some(file)) = (&saved, &args.plan) {
        saved.check_paths(file, &manifest.paths)?;
        saved.check_files(file, &manifest.files)?;
    }
    let connection = connect(
        printer,
        global,
        args.target.sandbox,
        &manifest.root,
        manifest.config.api_url.as_deref(),
    )
    .await?;
    let result = select_and_apply(printer, &connection, manifest, saved, &args).await;
    connection.close().await;
    result
}

/// Narrows the entries by `--only`/`--exclude` (a saved plan's own, opened
/// with the connection's key), then plans and applies.
async fn select_and_apply(
    printer: &Printer,
    connection: &Connection,
    mut manifest: Manifest,
    saved: Option<SavedPlan>,
    args: &ApplyArgs,
) -> miette::Result<ExitStatus> {
    let (only, exclude) = match (&saved, &args.plan) {
        // The entries the plan was made for, as it was made.
        (Some(saved), Some(file)) => saved.targeting(
            file,
            &args.target.only,
            &args.target.exclude,
            &connection.plan_key,
        )?,
        _ => (args.target.only.clone(), args.target.exclude.clone()),
    };
    select_entries(printer, &mut manifest, &only, &exclude, args.target.redact)?;
    plan_and_apply(printer, connection, &manifest, saved, args).await
}

async fn plan_and_apply(
    printer: &Printer,
    connection: &Connection,
    manifest: &Manifest,
    saved: Option<SavedPlan>,
    args: &ApplyArgs,
) -> miette::Result<ExitStatus> {
    let live = connection.read_live(manifest).await?;
    let fresh = fresh_plan(manifest, &live, args)?;
    let (selected, stale) = select(connection, manifest, saved.as_ref(), &fresh, args);
    let must_ask = saved.is_none() && !args.auto_approve;
    if saved.is_none() && (!printer.quiet() || must_ask) {
        show_plan(printer, &fresh, args);
    }
    if let (Some(path), false) = (&args.plan, printer.quiet()) {
        printer.status(&saved_plan_line(path, selected.len(), stale.len()));
    }
    if selected.is_empty() && stale.is_empty() {
        nothing_to_apply(printer, &fresh, saved.is_some(), args);
        return Ok(ExitStatus::Success);
    }
    selected.check(&fresh, args.force, args.allow_destructive)?;
    if must_ask && !selected.is_empty() {
        ask(printer, &fresh).await?;
    }
    let report = execute(
        printer,
        &connection.client,
        manifest,
        &fresh,
        &selected,
        stale,
        args,
    )
    .await?;
    print_report(printer, &report, args);
    Ok(report.exit_status())
}

/// The plan of what the live CRM needs now.
fn fresh_plan<'a>(
    manifest: &'a Manifest,
    live: &'a Live,
    args: &ApplyArgs,
) -> miette::Result<Plan<'a>> {
    let mut fresh = plan::plan_against(manifest, live)?;
    // Each flag is the answer to its warning: printing it would mislead.
    let answered = |code: WarningCode| match code {
        WarningCode::SafetyLimit => args.force,
        WarningCode::Destructive => args.allow_destructive,
    };
    fresh.warnings.retain(|warning| !answered(warning.code));
    Ok(fresh)
}

/// The changes to send: all of the fresh plan's, or those of the saved plan
/// that still match it; and the saved ones that do not.
fn select(
    connection: &Connection,
    manifest: &Manifest,
    saved: Option<&SavedPlan>,
    fresh: &Plan<'_>,
    args: &ApplyArgs,
) -> (Selected, Vec<StaleEntry>) {
    // Redaction is opt-in here: the person applying is the one who asked.
    let redact = args.target.redact;
    match saved {
        Some(saved) => {
            selection::from_saved(saved, fresh, &manifest.files, &connection.plan_key, redact)
        }
        None => selection::everything(fresh),
    }
}

/// The plan as `zeeg plan` shows it; on stderr when stdout holds only the
/// JSON results.
fn show_plan(printer: &Printer, fresh: &Plan<'_>, args: &ApplyArgs) {
    let json = args.format == ApplyFormat::Json;
    let options = RenderOptions {
        color: printer.color() && !json,
        redact: args.target.redact,
    };
    let write = |out: &mut dyn std::io::Write| plan::render::write_text(out, fresh, &options);
    if json {
        printer.stderr_with(write);
    } else {
        printer.out_with(write);
    }
}

fn nothing_to_apply(printer: &Printer, fresh: &Plan<'_>, from_saved: bool, args: &ApplyArgs) {
    if from_saved {
        printer.status("Nothing to apply: the saved plan holds no changes.");
    }
    if args.format == ApplyFormat::Json {
        printer.out(&empty_report(fresh).render_json());
    }
}

/// `Apply these changes? [y/N]`, before anything is written.
async fn ask(printer: &Printer, fresh: &Plan<'_>) -> Result<(), ApplyError> {
    if !printer.stdout_is_terminal() && printer.can_ask() {
        // The plan went to a file or a pipe: whoever answers the prompt
        // on the terminal still sees what they agree to. Without a
        // terminal nobody is asked, and the refusal says so.
        printer.errors(&format!("{}\n", plan::render::summary_line(fresh)));
    }
    approved(printer.ask(QUESTION).await)
}

/// Whether apply may go on after asking [`QUESTION`].
fn approved(reply: std::io::Result<Reply>) -> Result<(), ApplyError> {
    match reply {
        Ok(Reply::Yes) => Ok(()),
        Ok(Reply::No) => Err(ApplyError::Declined),
        Ok(Reply::NoTerminal) => Err(ApplyError::NoTerminal),
        Err(source) => Err(ApplyError::Prompt { source }),
    }
}

/// Sends the selected changes, with progress, until done or interrupted.
async fn execute<'p>(
    printer: &Printer,
    client: &Client,
    manifest: &Manifest,
    fresh: &'p Plan<'p>,
    selected: &Selected,
    stale: Vec<StaleEntry>,
    args: &ApplyArgs,
) -> miette::Result<Report<'p>> {
    let parallelism = args
        .parallelism
        .unwrap_or(manifest.config.apply.parallelism)
        .max(1);
    let config = ExecutorConfig {
        pace: Some(client.pacer().clone()),
        ..ExecutorConfig::new(usize::from(parallelism))
    };
    // Installed only now: until here Ctrl-C simply ends the process, and
    // nothing has been written.
    let (handle, stop) = crate::interrupt::channel();
    let listener = handle
        .listen_for_signals()
        .map_err(|source| ApplyError::Signals { source })?;
    // While the bar is drawn, the client's own lines (a slow answer) go above it.
    let progress = printer.progress(selected.len() as u64);
    let run = PhaseContext {
        client,
        plan: fresh,
        selected,
        redact: args.target.redact,
        config: &config,
        progress: &progress,
        stop: &stop,
    };
    let phases = execute_phases(&run).await;
    listener.abort();
    printer.progress_done();
    if phases.interrupted() {
        // Left on screen at its final count, the one the summary gives.
        progress.abandon();
    } else {
        progress.finish();
    }
    // Named as the jobs were: masked when the user asked for it.
    let names = PlanNames {
        plan: fresh,
        redact: args.target.redact,
    };
    Ok(report(client, phases, stale, names))
}

/// The run's results with the request figures of the whole command.
fn report<'p>(
    client: &Client,
    phases: Phases,
    stale: Vec<StaleEntry>,
    names: PlanNames<'p>,
) -> Report<'p> {
    let stats = client.stats();
    let Phases {
        attributes,
        companies,
        people,
    } = phases;
    let asserting = [&attributes, &companies]
        .iter()
        .filter_map(|phase| phase.as_ref())
        .map(|phase| phase.elapsed.as_secs_f64())
        .sum::<f64>();
    Report {
        stats: Some(RunStats {
            requests: stats.requests,
            rate_limited: stats.rate_limited,
            retries: stats.retries,
            upsert_seconds: people.elapsed.as_secs_f64() + asserting,
        }),
        attributes,
        companies,
        execution: people,
        stale,
        names: Box::new(names),
    }
}

fn print_report(printer: &Printer, report: &Report, args: &ApplyArgs) {
    if args.format == ApplyFormat::Json {
        printer.out_with(|out| report.write_json(out));
    } else if printer.quiet() {
        // -q: errors only, on stderr; the exit status says the rest.
        printer.errors(&report.render_errors());
    } else {
        printer.out(&report.render_text());
    }
}

fn saved_plan_line(path: &Path, current: usize, stale: usize) -> String {
    let mut line = format!(
        "Saved plan {}: {current} change(s) still match",
        path.display()
    );
    if stale > 0 {
        line.push_str(&format!(", {stale} stale (not applied)"));
    }
    line.push('.');
    line
}

fn empty_report<'p>(fresh: &'p Plan<'p>) -> Report<'p> {
    Report {
        attributes: None,
        companies: None,
        execution: apply::Execution {
            results: Default::default(),
            not_sent: 0,
            abandoned: 0,
            interrupted: false,
            aborted: None,
            elapsed: std::time::Duration::ZERO,
        },
        stale: Vec::new(),
        stats: None,
        // Nothing to name.
        names: Box::new(PlanNames {
            plan: fresh,
            redact: false,
        }),
    }
}
