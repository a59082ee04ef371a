//! Ctrl-C and SIGTERM, for every command that listens. `plan` and `import`
//! end at the first signal, having written nothing; during an apply, the
//! first asks the executor to start nothing new and let requests in flight
//! finish, and a second one stops waiting for them.

use tokio::sync::watch;

/// The sending side: whoever decides that the command should stop.
#[derive(Debug, Clone)]
pub struct StopHandle {
    level: watch::Sender<u8>,
}

/// The receiving side, held by the command (apply's executor, or the
/// wait of `plan` and `import`).
#[derive(Debug, Clone)]
pub struct Stop {
    level: watch::Receiver<u8>,
}

const STOP_STARTING: u8 = 1;
const ABANDON: u8 = 2;

/// A linked pair; nothing is requested until the handle says so.
pub fn channel() -> (StopHandle, Stop) {
    let (level, receiver) = watch::channel(0);
    (StopHandle { level }, Stop { level: receiver })
}

impl StopHandle {
    /// One more request to stop: the first stops new work, the second
    /// abandons the wait for work in flight.
    pub fn request(&self) {
        self.level
            .send_modify(|level| *level = level.saturating_add(1));
    }

    /// Stops on SIGINT (Ctrl-C) and SIGTERM, once per signal, from now on.
    /// Install it only after any prompt: while it runs, Ctrl-C no longer
    /// kills the process.
    pub fn listen_for_signals(&self) -> std::io::Result<tokio::task::JoinHandle<()>> {
        let handle = self.clone();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut interrupt = signal(SignalKind::interrupt())?;
            let mut terminate = signal(SignalKind::terminate())?;
            Ok(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        received = interrupt.recv() => if received.is_none() { break },
                        received = terminate.recv() => if received.is_none() { break },
                    }
                    handle.request();
                }
            }))
        }
        #[cfg(not(unix))]
        {
            Ok(tokio::spawn(async move {
                while tokio::signal::ctrl_c().await.is_ok() {
                    handle.request();
                }
            }))
        }
    }
}

impl Stop {
    /// A stop that is never requested.
    pub fn never() -> Stop {
        // With the handle gone, `reach` waits forever.
        let (_, stop) = channel();
        stop
    }

    /// Whether stopping was requested.
    pub fn requested(&self) -> bool {
        *self.level.borrow() >= STOP_STARTING
    }

    /// Resolves once stopping is requested.
    pub async fn stopping(&self) {
        Self::reach(self.level.clone(), STOP_STARTING).await
    }

    /// Resolves once the wait for in-flight work should be abandoned.
    pub async fn abandoning(&self) {
        Self::reach(self.level.clone(), ABANDON).await
    }

    async fn reach(mut level: watch::Receiver<u8>, wanted: u8) {
        if level.wait_for(|level| *level >= wanted).await.is_err() {
            // The handle is gone: nobody can ask any more.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn each_request_raises_the_level() {
        let (handle, stop) = channel();
        assert!(!stop.requested());
        let early = tokio::time::timeout(Duration::from_millis(20), stop.stopping()).await;
        assert!(early.is_err());
        handle.request();
        assert!(stop.requested());
        tokio::time::timeout(Duration::from_millis(100), stop.stopping())
            .await
            .expect("stopping resolves after one request");
        let abandoning = tokio::time::timeout(Duration::from_millis(20), stop.abandoning()).await;
        assert!(abandoning.is_err(), "one request does not abandon");
        handle.request();
        tokio::time::timeout(Duration::from_millis(100), stop.abandoning())
            .await
            .expect("abandoning resolves after two requests");
    }
}
