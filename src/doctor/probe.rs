//! The doctor's reads: raw GETs through [`Client::get_raw`], so that every
//! answer can be checked as it came, with what the answers said about rate
//! limits noted on the way.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::{ApiError, Client};

/// Tries per probe: a 429 or a 5xx is asked again, as the client would, so
/// that a passing hiccup is not reported as a difference.
const MAX_TRIES: u32 = 4;

/// The longest the doctor waits for a `Retry-After`: it should finish in
/// about a minute.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// One answer, as it came.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body read the way zeeg's client reads it.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// What the answers said about rate limits.
#[derive(Debug, Clone, Default)]
pub(crate) struct Seen {
    /// Rate-limit headers by name, with the last value seen.
    pub headers: BTreeMap<String, String>,
    /// The `Retry-After` of each 429 (None: the 429 had none).
    pub limited: Vec<Option<String>>,
}

pub(crate) struct Probe {
    client: Client,
    redact: bool,
    seen: Seen,
}

impl Probe {
    pub fn new(client: Client, redact: bool) -> Probe {
        Probe {
            client,
            redact,
            seen: Seen::default(),
        }
    }

    pub fn redact(&self) -> bool {
        self.redact
    }

    pub fn seen(&self) -> &Seen {
        &self.seen
    }

    /// `GET path?query`, asked again after a 429 or a 5xx (waiting as the
    /// server asks, at most [`MAX_WAIT`]); the last answer is returned
    /// whatever its status.
    pub async fn get(&mut self, path: &str, query: &[(&str, String)]) -> Result<Answer, ApiError> {
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut backoff = Duration::from_secs(1);
        let mut tries = 0;
        loop {
            tries += 1;
            let raw = self.client.get_raw(path, &query).await?;
            let retry_after = self.note(&raw.headers, raw.status);
            let transient = raw.status == 429 || raw.status >= 500;
            if !transient || tries >= MAX_TRIES {
                return Ok(Answer {
                    status: raw.status,
                    body: raw.body,
                });
            }
            let wait = retry_after.unwrap_or(backoff).min(MAX_WAIT);
            backoff *= 2;
            tracing::warn!(
                "{path} answered {}: asking again in {} s",
                raw.status,
                wait.as_secs_f64().ceil()
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Notes the rate-limit headers of an answer; returns the wait its
    /// `Retry-After` asks for, read as zeeg's client reads it.
    fn note(&mut self, headers: &[(String, String)], status: u16) -> Option<Duration> {
        let mut retry_after = None;
        for (name, value) in headers {
            if is_rate_limit_header(name) {
                self.seen.headers.insert(name.clone(), value.clone());
            }
            if name == "retry-after" {
                retry_after = Some(value.clone());
            }
        }
        if status == 429 {
            self.seen.limited.push(retry_after.clone());
        }
        retry_after.and_then(|value| read_retry_after(&value))
    }
}

/// `Retry-After` through the client's own reader (seconds or HTTP date).
pub(crate) fn read_retry_after(value: &str) -> Option<Duration> {
    let mut map = HeaderMap::new();
    map.insert(
        HeaderName::from_static("retry-after"),
        HeaderValue::from_str(value).ok()?,
    );
    crate::api::retry::retry_after(&map, SystemTime::now())
}

/// `X-RateLimit-Limit`, `RateLimit-Remaining`, `Retry-After` and the like.
fn is_rate_limit_header(name: &str) -> bool {
    name == "retry-after" || name.contains("ratelimit") || name.contains("rate-limit")
}
