//! `zeeg sandbox serve`: run the local emulator until Ctrl-C or SIGTERM.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::cli::SandboxServeArgs;
use crate::commands::Printer;
use crate::exit::ExitStatus;
use crate::sandbox::{self, CustomAttribute, SandboxConfig, SandboxError, Token};

pub async fn serve(printer: &Printer, args: SandboxServeArgs) -> miette::Result<ExitStatus> {
    let config = config_from(&args)?;
    if config.tokens.is_empty() {
        printer.status(&format!(
            "no --token given: accepting the token `{}` for reading and writing",
            sandbox::DEFAULT_TOKEN
        ));
    }
    let running = sandbox::start(config, args.addr).await?;
    // Scripts and tests wait for exactly this line; `out` flushes it.
    printer.out(&format!("listening on http://{}\n", running.addr()));
    wait_for_stop_signal().await;
    running.shutdown().await?;
    Ok(ExitStatus::Success)
}

fn config_from(args: &SandboxServeArgs) -> Result<SandboxConfig, SandboxError> {
    let rate_limit = match args.rate_limit {
        None => None,
        Some(n) => Some(NonZeroU32::new(n).ok_or(SandboxError::BadRateLimit)?),
    };
    Ok(SandboxConfig {
        tokens: args
            .tokens
            .iter()
            .map(|t| Token::parse(t))
            .collect::<Result<_, _>>()?,
        custom_attributes: args
            .custom_attributes
            .iter()
            .map(|a| CustomAttribute::parse(a))
            .collect::<Result<_, _>>()?,
        seed: args.seed.clone(),
        state: args.state.clone(),
        rate_limit,
        latency: Duration::from_millis(args.latency),
        fail_rate: args.fail_rate,
    })
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
