//! `zeeg apply`: plan (or check a saved plan), confirm, then upsert.

use std::path::Path;

use crate::api::Client;
use crate::apply::report::{Report, RunStats, StaleEntry};
use crate::apply::send;
use crate::apply::{self, ApplyError, ExecutorConfig, Progress, confirm, selection};
use crate::cli::{ApplyArgs, ApplyFormat, GlobalArgs};
use crate::commands::Printer;
use crate::commands::connect::{Connection, connect};
use crate::commands::entries::{load, plan_options, select_entries};
use crate::exit::ExitStatus;
use crate::manifest::{self, Manifest};
use crate::plan::{self, Plan, RenderOptions, SavedPlan, WarningCode, safety};

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
    let Some(mut manifest) = load(printer, &paths, args.target.redact) else {
        return Ok(ExitStatus::Failure);
    };
    let (only, exclude) = match (&saved, &args.plan) {
        (Some(saved), Some(file)) => {
            saved.check_paths(file, &manifest.paths)?;
            saved.check_files(file, &manifest.files)?;
            // The entries the plan was made for, as it was made.
            saved.targeting(file, &args.target.only, &args.target.exclude)?
        }
        _ => (args.target.only.clone(), args.target.exclude.clone()),
    };
    select_entries(printer, &mut manifest, &only, &exclude)?;
    let connection = connect(
        printer,
        global,
        args.target.sandbox,
        &manifest.root,
        manifest.config.api_url.as_deref(),
    )
    .await?;
    let result = plan_and_apply(printer, &connection, &manifest, saved, &args).await;
    connection.close().await;
    result
}

async fn plan_and_apply(
    printer: &Printer,
    connection: &Connection,
    manifest: &Manifest,
    saved: Option<SavedPlan>,
    args: &ApplyArgs,
) -> miette::Result<ExitStatus> {
    let client = &connection.client;
    let (live, companies) =
        plan::live::read_people_and_companies(client, &manifest.entries, &manifest.companies)
            .await?;
    let mut fresh = plan::compute_with_companies(
        &manifest.entries,
        &manifest.companies,
        &live.people,
        &companies.companies,
        &plan_options(&manifest.config),
    )?;
    if args.force {
        // --force is the answer to that warning: printing it would mislead.
        fresh
            .warnings
            .retain(|warning| warning.code != WarningCode::SafetyLimit);
    }
    // Redaction is opt-in here: the person applying is the one who asked.
    let redact = args.target.redact;
    let json = args.format == ApplyFormat::Json;

    let (selected, stale) = match &saved {
        Some(saved) => {
            selection::from_saved(saved, &fresh, &manifest.files, &connection.plan_key, redact)
        }
        None => selection::everything(&fresh),
    };

    let must_ask = saved.is_none() && !args.auto_approve;
    if saved.is_none() && (!printer.quiet() || must_ask) {
        let text = plan::render_text(
            &fresh,
            &RenderOptions {
                color: printer.color() && !json,
                redact,
            },
        );
        if json {
            // Standard output holds only the JSON results.
            eprint!("{text}");
        } else {
            printer.out(&text);
        }
    }
    if let (Some(path), false) = (&args.plan, printer.quiet()) {
        printer.status(&saved_plan_line(path, selected.len(), stale.len()));
    }

    if selected.is_empty() && stale.is_empty() {
        if saved.is_some() {
            printer.status("Nothing to apply: the saved plan holds no changes.");
        }
        if json {
            printer.out(&empty_report(stale).render_json());
        }
        return Ok(ExitStatus::Success);
    }

    let updates = selected
        .iter()
        .filter(|&&i| fresh.changes[i].action == apply::Action::Update)
        .count();
    safety::check(
        updates,
        fresh.changes.len() + fresh.unchanged,
        plan_options(&manifest.config).max_update_percent,
        args.force,
    )
    .map_err(ApplyError::from)?;

    if must_ask && !selected.is_empty() {
        if !printer.stdout_is_terminal() {
            // The plan went to a file or a pipe: whoever answers the prompt
            // on the terminal still sees what they agree to.
            printer.errors(&format!("{}\n", plan::render::summary_line(&fresh)));
        }
        tokio::task::spawn_blocking(confirm::confirm)
            .await
            .map_err(|e| miette::miette!("the confirmation prompt failed: {e}"))??;
    }

    let report = execute(printer, client, manifest, &fresh, &selected, stale, args).await?;
    if json {
        printer.out(&report.render_json());
    } else if printer.quiet() {
        // -q: errors only, on stderr; the exit status says the rest.
        printer.errors(&report.render_errors());
    } else {
        printer.out(&report.render_text());
    }
    Ok(report.exit_status())
}

/// Sends the selected changes, with progress, until done or interrupted.
async fn execute(
    printer: &Printer,
    client: &Client,
    manifest: &Manifest,
    fresh: &Plan,
    selected: &[usize],
    stale: Vec<StaleEntry>,
    args: &ApplyArgs,
) -> miette::Result<Report> {
    let jobs = selection::jobs(fresh, selected, args.target.redact);
    let parallelism = args
        .parallelism
        .unwrap_or(manifest.config.apply.parallelism)
        .max(1);
    let config = ExecutorConfig::new(usize::from(parallelism));
    let progress = if printer.quiet() {
        Progress::hidden()
    } else if printer.stderr_is_terminal() {
        Progress::bar(jobs.len() as u64)
    } else {
        Progress::lines()
    };

    // Installed only now: until here Ctrl-C simply ends the process, and
    // nothing has been written.
    let (handle, stop) = apply::interrupt::channel();
    let listener = handle
        .listen_for_signals()
        .map_err(|source| ApplyError::Signals { source })?;
    // The client's own lines (a slow answer) go above the bar too.
    printer.progress_drawn(progress.bar_handle());
    let execution = apply::execute(
        jobs,
        send::sender(client.clone()),
        &config,
        &progress,
        &stop,
    )
    .await;
    listener.abort();
    printer.progress_done();
    if execution.interrupted {
        // Left on screen at its final count, the one the summary gives.
        progress.abandon();
    } else {
        progress.finish();
    }

    let stats = client.stats();
    Ok(Report {
        stats: Some(RunStats {
            requests: stats.requests,
            rate_limited: stats.rate_limited,
            retries: stats.retries,
            upsert_seconds: execution.elapsed.as_secs_f64(),
            min_parallelism: execution.min_limit,
        }),
        execution,
        stale,
    })
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

fn empty_report(stale: Vec<StaleEntry>) -> Report {
    Report {
        execution: apply::Execution {
            results: Vec::new(),
            not_sent: 0,
            interrupted: false,
            aborted: None,
            min_limit: 0,
            elapsed: std::time::Duration::ZERO,
        },
        stale,
        stats: None,
    }
}
