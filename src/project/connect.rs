//! Connecting to the API a command talks to: the real one, another the user
//! names, or the project's in-process sandbox.

use std::path::{Path, PathBuf};

use miette::Context;

use crate::api::{ApiError, Client, ClientConfig, Token, destination};
use crate::cli::GlobalArgs;
use crate::manifest::{self, Manifest, ProjectRoot};
use crate::plan::{Live, PlanError, PlanKey};
use crate::printer::Printer;
use crate::project::secrets;
use crate::sandbox::RunningSandbox;

/// A client for the API, or for an in-process sandbox kept alive as long as
/// the connection.
pub struct Connection {
    pub client: Client,
    /// The key of saved plans made or applied over this connection.
    pub plan_key: PlanKey,
    sandbox: Option<RunningSandbox>,
}

impl Connection {
    /// Reads what the plan of `manifest` needs (with what that took at
    /// `-v`): `plan` and `apply` read the same way.
    pub async fn read_live(&self, manifest: &Manifest) -> Result<Live, PlanError> {
        let reading = std::time::Instant::now();
        let live = crate::plan::read_for(&self.client, manifest).await?;
        tracing::info!(
            total = live.people.total,
            read = live.people.read(),
            kept = live.people.kept(),
            strategy = ?live.people.strategy,
            requests = self.client.stats().requests,
            elapsed_ms = reading.elapsed().as_millis() as u64,
            companies = live.companies.companies.len(),
            "live people read"
        );
        Ok(live)
    }

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
/// Connects for a command that reads no people files (`import`, `doctor`)
/// as `zeeg plan FOLDER` would: to the API the project of `folder` names
/// in its zeeg.yaml (read and checked as `plan` reads it), or to that
/// project's sandbox; also gives the project root.
pub async fn connect_for_folder(
    printer: &Printer,
    global: &GlobalArgs,
    sandbox: bool,
    folder: &Path,
) -> miette::Result<(PathBuf, Connection)> {
    let ProjectRoot { root, config_file } = manifest::project_root(folder);
    let configured_url = match (config_file, sandbox) {
        (Some(file), false) => {
            let config = manifest::read_config(&file)
                .map_err(|diagnostics| diagnostics.without(&secrets(global)))?;
            config.api_url
        }
        _ => None,
    };
    let connection = connect(printer, global, sandbox, &root, configured_url.as_deref()).await?;
    Ok((root, connection))
}

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
        &manifest::shown(&project_root.join(manifest::CONFIG_FILE)),
    )?;
    let token = load_token(global.token_file.clone()).await?;
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

/// The token, read on a thread of its own: a `--token-file` pipe waits for
/// its writer, and meanwhile Ctrl-C must still end the command (the thread
/// ends with the process).
async fn load_token(token_file: Option<PathBuf>) -> Result<Token, ApiError> {
    let (sender, answer) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = sender.send(Token::load(token_file.as_deref()));
    });
    answer.await.unwrap_or(Err(ApiError::MissingToken))
}
