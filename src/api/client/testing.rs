//! A per-test API on loopback for the client's unit tests: it answers a
//! script of replies in order and records every request it was sent.

use std::sync::Mutex;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;

use super::*;

/// The token the test clients send, and that must never come back in text.
pub(super) const TOKEN: &str = "tok-3f9a-secret";

/// One scripted answer.
pub(super) struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// `status` with `body` as JSON.
    pub(super) fn json(status: u16, body: Value) -> Reply {
        Reply::raw(status, body.to_string())
    }

    /// `status` with `body` as it is.
    pub(super) fn raw(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub(super) fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// A request as the API received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Received {
    /// `PUT /v2/crm/people?matchingAttribute=email`
    pub(super) line: String,
    /// The body, as JSON (`null` when there is none).
    pub(super) body: Value,
}

#[derive(Clone, Default)]
struct Script {
    replies: Arc<Mutex<std::collections::VecDeque<Reply>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

/// The API of one test.
pub(super) struct Mock {
    /// Its base URL, `http://127.0.0.1:PORT/v2`.
    pub(super) url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Mock {
    /// Serves `replies`, one per request, then 500s.
    pub(super) async fn serve(replies: Vec<Reply>) -> Mock {
        let script = Script {
            replies: Arc::new(Mutex::new(replies.into())),
            received: Arc::default(),
        };
        let received = script.received.clone();
        let router = Router::new().fallback(answer).with_state(script);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Mock {
            url: format!("http://127.0.0.1:{port}/v2"),
            received,
        }
    }

    /// A client of this API with the default settings and [`TOKEN`].
    pub(super) fn client(&self) -> Client {
        client_of(&self.url)
    }

    /// What was sent so far, in order.
    pub(super) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// A client of `url` with the default settings and [`TOKEN`].
pub(super) fn client_of(url: &str) -> Client {
    Client::new(ClientConfig::new(Token::new(TOKEN)).with_base_url(url)).unwrap()
}

async fn answer(State(script): State<Script>, request: Request) -> Response {
    let line = format!("{} {}", request.method(), request.uri());
    let bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    script
        .received
        .lock()
        .unwrap()
        .push(Received { line, body });
    let reply = script.replies.lock().unwrap().pop_front();
    let reply = reply.unwrap_or_else(|| Reply::raw(500, "no reply scripted"));
    let mut response = Response::builder().status(reply.status);
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}
