//! The sandbox's accept loop: HTTP/1 connections served by hyper with a
//! header read timeout, and a graceful stop.
//!
//! `axum::serve` sets no timer on hyper's connection builder, so hyper's
//! header read timeout never fired: a client that sent half a request head
//! (or nothing) held its connection, and a task, for as long as it liked;
//! 1,000 of them were all held open. Here every connection gets the timer.

use std::io;
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long a client has to send a whole request head, from when the
/// connection is ready for one (new, or idle after an answer). zeeg's client
/// sends it at once; the slowest real client on a network is far faster.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `stop` resolves, then lets the
/// requests in flight finish (idle connections close at once) and returns.
pub(crate) async fn serve(
    mut listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        // axum's `Listener::accept` retries what a failed accept leaves
        // (a reset before accept, or too many open files: after a pause).
        let (stream, _) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = &mut stop => break,
        };
        // A `Router` serves hyper's request bodies as they come.
        let service = TowerToHyperService::new(router.clone());
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection that ends in an error (a timeout, a reset) is
            // the client's business; the sandbox serves the next.
            let _ = connection.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{SandboxConfig, build, http};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::time::Instant;

    /// A sandbox with a short header timeout; its address and stop switch.
    async fn sandbox(
        timeout: Duration,
    ) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let app = build(SandboxConfig::default()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = http::router(Arc::new(app));
        tokio::spawn(serve(listener, router, timeout, async move {
            let _ = stopped.await;
        }));
        (addr, stop)
    }

    /// Reads until the server closes the connection; what it sent.
    async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        answer
    }

    #[tokio::test]
    async fn a_client_that_sends_half_a_header_is_let_go() {
        let timeout = Duration::from_millis(300);
        let (addr, _stop) = sandbox(timeout).await;
        let mut slow = Vec::new();
        for _ in 0..50 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(b"GET /v2/crm/people HTTP/1.1\r\nHost: sandbox\r\nAuthor")
                .await
                .unwrap();
            slow.push(stream);
        }
        let started = Instant::now();
        // Meanwhile the sandbox answers a whole request.
        let answer = reqwest::get(format!("http://{addr}/v2/crm/people"))
            .await
            .unwrap();
        assert_eq!(answer.status(), 401, "served beside the slow clients");
        for stream in &mut slow {
            let answer = tokio::time::timeout(Duration::from_secs(5), until_closed(stream))
                .await
                .expect("the sandbox closes a connection whose head is late");
            // hyper answers 408 Request Timeout, or just closes.
            let answer = String::from_utf8_lossy(&answer);
            assert!(
                answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
                "{answer}"
            );
        }
        let waited = started.elapsed();
        assert!(
            waited >= timeout / 2,
            "closed before the timeout: {waited:?}"
        );
        assert!(waited < Duration::from_secs(3), "{waited:?}");
    }

    #[tokio::test]
    async fn a_client_that_sends_nothing_is_let_go_too() {
        let (addr, _stop) = sandbox(Duration::from_millis(200)).await;
        let mut silent = TcpStream::connect(addr).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), until_closed(&mut silent))
            .await
            .expect("the sandbox closes a connection that sends nothing");
    }

    #[tokio::test]
    async fn a_request_in_flight_finishes_after_stop() {
        let app = build(SandboxConfig {
            latency: Duration::from_millis(300),
            ..SandboxConfig::default()
        })
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            http::router(Arc::new(app)),
            HEADER_READ_TIMEOUT,
            async move {
                let _ = stopped.await;
            },
        ));
        let request = tokio::spawn(reqwest::get(format!("http://{addr}/v2/crm/people")));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = stop.send(());
        let answer = request.await.unwrap().unwrap();
        assert_eq!(answer.status(), 401);
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server stops once the request is answered")
            .unwrap()
            .unwrap();
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "no longer listening"
        );
    }
}
