//! `zeeg sandbox serve`: run the local emulator until Ctrl-C or SIGTERM.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::cli::SandboxServeArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::sandbox::{
    self, CustomAttribute, FailMix, Faults, GrantedToken, RateLimit, RetryAfter, SandboxConfig,
    SandboxError,
};

pub async fn serve(printer: &Printer, args: SandboxServeArgs) -> miette::Result<ExitStatus> {
    let config = config_from(&args)?;
    let default_token = config.tokens.is_empty();
    // Installed before the line below: a script may signal as soon as it reads it.
    let stop = stop_signal();
    let running = sandbox::start(config, args.addr).await?;
    // Scripts and tests wait for exactly this line; `out` flushes it. The URL
    // is the API's base URL, `/v2` included: what ZEEG_API_URL takes.
    let url = running.base_url();
    printer.out(&format!("listening on {url}\n"));
    if default_token {
        // Not a secret: it is the sandbox's built-in token, printed so that a
        // newcomer can copy both lines.
        printer.out(&format!(
            "token: {} (no --token given; it reads and writes)\n",
            sandbox::DEFAULT_TOKEN
        ));
    }
    printer.status(&format!(
        "Try: ZEEG_API_URL={url} ZEEG_API_TOKEN={} zeeg plan PATH",
        if default_token {
            sandbox::DEFAULT_TOKEN
        } else {
            "<a --token>"
        }
    ));
    stop.await;
    running.shutdown().await?;
    Ok(ExitStatus::Success)
}

fn config_from(args: &SandboxServeArgs) -> Result<SandboxConfig, SandboxError> {
    let rate_limit = match (args.rate_limit, &args.rate_schedule) {
        (Some(n), _) => Some(RateLimit::constant(
            NonZeroU32::new(n).ok_or(SandboxError::BadRateLimit)?,
        )),
        (None, Some(schedule)) => Some(RateLimit::schedule(schedule)?),
        (None, None) => None,
    };
    let rate_limit = match (rate_limit, args.rate_burst) {
        (Some(limit), Some(burst)) => {
            Some(limit.with_burst(NonZeroU32::new(burst).ok_or(SandboxError::BadRateBurst)?))
        }
        (limit, _) => limit,
    };
    let faults = Faults {
        rate: args.fail_rate,
        mix: match &args.fail_mix {
            Some(mix) => FailMix::parse(mix)?,
            None => FailMix::default(),
        },
    };
    Ok(SandboxConfig {
        tokens: args
            .tokens
            .iter()
            .map(|t| GrantedToken::parse(t))
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
        faults,
        retry_after: RetryAfter {
            seconds: args.retry_after,
            as_date: args.retry_after_date,
        },
    })
}

/// Ctrl-C or SIGTERM. The handlers are registered when this is called, not
/// when the future is first polled.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
