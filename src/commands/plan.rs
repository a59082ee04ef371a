//! `zeeg plan`: validate, read the live CRM, print what apply would change.
//!
//! The whole output is rendered before anything is printed, so a plan that
//! fails half-way prints no partial plan.

use std::path::{Path, PathBuf};

use miette::Context;

use crate::api::{Client, ClientConfig, Token, destination};
use crate::cli::{GlobalArgs, PlanArgs, PlanFormat, TargetArgs};
use crate::commands::Printer;
use crate::exit::ExitStatus;
use crate::manifest::{self, Diagnostics, Entry};
use crate::plan::{self, PlanKey, PlanOptions, RenderOptions, SavedPlan};
use crate::sandbox::RunningSandbox;
use crate::targeting::Targeting;

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
    let loading = std::time::Instant::now();
    let mut manifest = match manifest::load(&target.paths) {
        Ok(manifest) => manifest,
        Err(diagnostics) => {
            report_invalid(printer, diagnostics, redact);
            return Ok(ExitStatus::Failure);
        }
    };
    tracing::info!(
        entries = manifest.entries.len(),
        files = manifest.files.len(),
        elapsed_ms = loading.elapsed().as_millis() as u64,
        "people files loaded"
    );
    manifest.entries = select_entries(printer, manifest.entries, &target.only, &target.exclude)?;
    let connection = connect(
        printer,
        global,
        target.sandbox,
        &manifest.root,
        manifest.config.api_url.as_deref(),
    )
    .await?;

    let reading = std::time::Instant::now();
    let live = plan::live::read_live(&connection.client, &manifest.entries).await?;
    let stats = connection.client.stats();
    tracing::info!(
        total = live.total,
        read = live.people.len(),
        strategy = ?live.strategy,
        requests = stats.requests,
        elapsed_ms = reading.elapsed().as_millis() as u64,
        "live people read"
    );
    let plan_key = connection.plan_key.clone();
    connection.close().await;

    let plan = plan::compute(
        &manifest.entries,
        &live.people,
        &plan_options(&manifest.config),
    )?;
    let options = RenderOptions {
        color: printer.color(),
        redact,
    };
    let text = match format {
        PlanFormat::Text => plan::render_text(&plan, &options),
        PlanFormat::Json => plan::render_json(&plan, &options),
        PlanFormat::Markdown => plan::render_markdown(&plan, &options),
    };
    if let Some(path) = out {
        SavedPlan::new(&plan, &manifest.files, &manifest.paths, &plan_key)
            .with_targeting(&target.only, &target.exclude)
            .write(&path)?;
        printer.status(&format!("Saved the plan to {}.", path.display()));
    }
    printer.out(&text);

    Ok(if detailed_exitcode && !plan.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// What the plan needs of zeeg.yaml to say what apply would refuse.
pub fn plan_options(config: &manifest::Config) -> PlanOptions {
    PlanOptions {
        max_update_percent: f64::from(config.apply.max_update_percent),
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

/// A client for the API, or for an in-process sandbox kept alive as long as
/// the connection.
pub struct Connection {
    pub client: Client,
    /// The key of saved plans made or applied over this connection.
    pub plan_key: PlanKey,
    sandbox: Option<RunningSandbox>,
}

impl Connection {
    /// Stops the in-process sandbox, if any, once its answers are in.
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox
            && let Err(error) = sandbox.shutdown().await
        {
            tracing::warn!("the sandbox did not stop cleanly: {error}");
        }
    }
}

/// Connects to the API [`destination::base_url`] chooses (`--api-url` /
/// `ZEEG_API_URL`, else `apiUrl` in the project's zeeg.yaml if it may receive
/// the token, else the real one), with the token from `ZEEG_API_TOKEN` /
/// `--token-file`; with
/// `--sandbox`, starts the project's sandbox (state in `<root>/.zeeg/`) and
/// uses its built-in token instead.
pub async fn connect(
    printer: &Printer,
    global: &GlobalArgs,
    sandbox: bool,
    project_root: &Path,
    configured_url: Option<&str>,
) -> miette::Result<Connection> {
    if sandbox {
        let (running, token) = crate::sandbox::start_for_project(project_root)
            .await
            .wrap_err("could not start the in-process sandbox")?;
        let token = Token::new(token);
        let plan_key = PlanKey::from_token(&token);
        let mut config = ClientConfig::new(token).with_base_url(running.base_url());
        config.notices = printer.notices();
        let client = Client::new(config)?;
        return Ok(Connection {
            client,
            plan_key,
            sandbox: Some(running),
        });
    }
    // Before the token is read: a refused host is refused whatever the token.
    let base_url = destination::base_url(
        global.api_url.as_deref(),
        configured_url,
        &shown(&project_root.join(crate::manifest::CONFIG_FILE)),
    )?;
    let token = Token::load(global.token_file.as_deref())?;
    let plan_key = PlanKey::from_token(&token);
    let mut config = ClientConfig::new(token).with_base_url(base_url);
    config.notices = printer.notices();
    let client = Client::new(config)?;
    Ok(Connection {
        client,
        plan_key,
        sandbox: None,
    })
}

/// A path relative to the current folder when under it, as a user would type it.
fn shown(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|current| path.strip_prefix(current).ok())
        .map_or_else(|| path.to_path_buf(), Path::to_path_buf)
}

/// Prints every problem of invalid people files exactly as `zeeg validate`
/// does (with contact data masked under `--redact`), and that nothing was sent.
pub fn report_invalid(printer: &Printer, diagnostics: Diagnostics, redact: bool) {
    let what = diagnostics.what_to_fix();
    let diagnostics = if redact {
        diagnostics.redacted()
    } else {
        diagnostics
    };
    super::validate::print_diagnostics(printer, diagnostics);
    printer.status(&format!(
        "Nothing was planned or applied: fix {what} and run again."
    ));
}

/// `--only` / `--exclude`: keeps the selected entries and says how many were
/// left out, so a narrowed plan is never mistaken for the whole picture;
/// globs that select nothing are an error, not an empty plan.
pub fn select_entries(
    printer: &Printer,
    entries: Vec<Entry>,
    only: &[String],
    exclude: &[String],
) -> miette::Result<Vec<Entry>> {
    let targeting = Targeting::new(only, exclude)?;
    if !targeting.is_active() {
        return Ok(entries);
    }
    let (selected, left_out) = targeting.select(only, exclude, entries)?;
    printer.status(&format!(
        "{left_out} {} left out by --only/--exclude; {} selected.",
        if left_out == 1 { "entry" } else { "entries" },
        selected.len()
    ));
    Ok(selected)
}
