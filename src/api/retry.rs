//! Whether, when and how often a request is tried again: the one place that
//! decides it. The client's own loop (reads) and apply's executor (writes,
//! which wait without holding a concurrency slot) both ask [`RetryPolicy::after`];
//! neither has rules of its own.

use std::fmt;
use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::assumed::DEFAULT_MAX_RETRY_AFTER;

/// When and how often the client tries a request again.
///
/// - 429: after its `Retry-After`, else 1 s, 2 s, 4 s … (`base_delay`,
///   doubling up to `max_delay`), as Zeeg advises; `max_tries` in all.
/// - 5xx and dropped connections: the same doubling from a quarter of
///   `base_delay`: they are usually a blip, not a signal to slow down, and
///   six tries are over within about 8 s.
/// - Connection refused and timeouts: at most 3 tries; refused waits
///   2 × and 4 × `base_delay`, so it gives up within about 10 s.
/// - Everything else (an unknown host, a certificate that does not verify,
///   400/401/403/404/422): never; no retry can mend it.
///
/// Each wait gets up to a tenth more of random jitter (Zeeg advises a small
/// one), so that parallel requests spread out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all for 429s, 5xx and dropped connections, the first
    /// included; at least 1.
    pub max_tries: u32,
    /// The first backoff after a 429 without `Retry-After`.
    pub base_delay: Duration,
    /// The longest backoff (before jitter).
    pub max_delay: Duration,
    /// The longest wait the client grants a server's `Retry-After`.
    pub max_retry_after: Duration,
}

/// Tries in all for a refused connection or a request without an answer.
pub const HOPELESS_TRIES: u32 = 3;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_tries: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

/// Why a try failed in a way another try may mend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// 429, with the server's `Retry-After` if it sent one.
    RateLimited { retry_after: Option<Duration> },
    /// A 5xx.
    Server { status: u16 },
    /// Nothing listens at the address.
    Refused,
    /// No (complete) answer within the request timeout.
    Timeout,
    /// The connection broke before a complete answer.
    Dropped,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::RateLimited { .. } => f.write_str("429 Too Many Requests"),
            Cause::Server { status } => write!(f, "server error {status}"),
            Cause::Refused => f.write_str("connection refused"),
            Cause::Timeout => f.write_str("no answer in time"),
            Cause::Dropped => f.write_str("connection closed before an answer"),
        }
    }
}

/// The decision to try again: how long to wait, and the line that says so.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    pub wait: Duration,
    /// The try that comes next (2 for the first retry).
    pub next_try: u32,
    /// The most tries this cause gets.
    pub max_tries: u32,
    pub cause: Cause,
    /// Set when this answer's 429 was the one that told the shared pace
    /// of a limit: the pace it was cut to, in requests per second.
    pub pace: Option<f64>,
}

impl fmt::Display for Retry {
    /// `retrying in 2 s: connection refused (try 2 of 3)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "retrying in {}: {} (try {} of {})",
            seconds(self.wait),
            self.cause,
            self.next_try,
            self.max_tries
        )
    }
}

impl Retry {
    /// The line that says so, naming what waits: `retrying GET
    /// /crm/people in 2 s: connection refused (try 2 of 3)`.
    pub fn line(&self, subject: &str) -> String {
        format!(
            "retrying {subject} in {}: {} (try {} of {})",
            seconds(self.wait),
            self.cause,
            self.next_try,
            self.max_tries
        )
    }
}

impl RetryPolicy {
    /// Whether to try again after try number `tries` (from 1) failed with
    /// `cause`, and after how long; `None` means give up.
    pub fn after(&self, cause: &Cause, tries: u32) -> Option<Retry> {
        let (max_tries, first) = match cause {
            Cause::RateLimited { .. } => (self.max_tries, self.base_delay),
            Cause::Server { .. } | Cause::Dropped => (self.max_tries, self.base_delay / 4),
            Cause::Refused => (HOPELESS_TRIES, self.base_delay * 2),
            Cause::Timeout => (HOPELESS_TRIES, self.base_delay),
        };
        let max_tries = max_tries.max(1);
        if tries >= max_tries {
            return None;
        }
        let backoff = ExponentialBuilder::default()
            .with_min_delay(first)
            .with_max_delay(self.max_delay.max(first))
            .with_factor(2.0)
            .with_max_times(tries as usize)
            .build()
            .last()
            .unwrap_or(first);
        let wait = match cause {
            Cause::RateLimited {
                retry_after: Some(wait),
            } => {
                // A little spread, so that the requests a burst of 429s
                // sent back do not all return in the same instant; little,
                // because the shared pace spaces them out anyway, and the
                // last entry's wait is the run's end.
                let wait = (*wait).min(self.max_retry_after);
                let spread = (wait / 20).min(Duration::from_millis(50));
                wait + spread.mul_f64(fastrand::f64())
            }
            _ => backoff + backoff.mul_f64(fastrand::f64() / 10.0),
        };
        Some(Retry {
            wait,
            next_try: tries + 1,
            max_tries,
            cause: cause.clone(),
            pace: None,
        })
    }
}

/// Reads `Retry-After` as delay seconds or as an HTTP date; `None` when it is
/// absent or unreadable. A date in the past means "now".
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `2 s`, `1.5 s`, `250 ms`: how a wait is shown.
pub fn seconds(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 10_000 && ms % 1_000 >= 100 {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        format!("{} s", duration.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after(&headers(&later), now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(retry_after(&headers(&earlier), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    fn waits(policy: &RetryPolicy, cause: &Cause) -> Vec<Duration> {
        (1..)
            .map_while(|tries| policy.after(cause, tries))
            .map(|retry| retry.wait)
            .collect()
    }

    fn within(delays: &[Duration], floors_ms: &[u64]) {
        assert_eq!(delays.len(), floors_ms.len(), "{delays:?}");
        for (delay, floor) in delays.iter().zip(floors_ms) {
            let floor = Duration::from_millis(*floor);
            assert!(
                *delay >= floor && *delay <= floor.mul_f64(1.1),
                "{delay:?} vs {floor:?}"
            );
        }
    }

    #[test]
    fn a_429_without_retry_after_backs_off_from_one_second_doubling_to_the_cap() {
        let policy = RetryPolicy {
            max_delay: Duration::from_secs(4),
            ..RetryPolicy::default()
        };
        let delays = waits(&policy, &Cause::RateLimited { retry_after: None });
        within(&delays, &[1_000, 2_000, 4_000, 4_000, 4_000]);
    }

    #[test]
    fn server_errors_back_off_from_a_quarter_second() {
        let delays = waits(&RetryPolicy::default(), &Cause::Server { status: 503 });
        within(&delays, &[250, 500, 1_000, 2_000, 4_000]);
        let dropped = waits(&RetryPolicy::default(), &Cause::Dropped);
        assert_eq!(dropped.len(), 5);
    }

    #[test]
    fn a_refused_connection_gets_three_tries_within_ten_seconds() {
        let delays = waits(&RetryPolicy::default(), &Cause::Refused);
        within(&delays, &[2_000, 4_000]);
        assert!(delays.iter().sum::<Duration>() < Duration::from_secs(8));
        assert_eq!(waits(&RetryPolicy::default(), &Cause::Timeout).len(), 2);
    }

    #[test]
    fn retry_after_wins_over_backoff_but_is_capped() {
        let policy = RetryPolicy {
            max_retry_after: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let cause = |seconds| Cause::RateLimited {
            retry_after: Some(Duration::from_secs(seconds)),
        };
        let wait = policy.after(&cause(3), 1).unwrap().wait;
        assert!(wait >= Duration::from_secs(3) && wait < Duration::from_millis(3050));
        let capped = policy.after(&cause(3600), 1).unwrap().wait;
        assert!(capped < Duration::from_millis(10_050));
    }

    #[test]
    fn the_retry_line_says_how_long_why_and_which_try() {
        let retry = Retry {
            wait: Duration::from_secs(2),
            next_try: 2,
            max_tries: 3,
            cause: Cause::Refused,
            pace: None,
        };
        assert_eq!(
            retry.to_string(),
            "retrying in 2 s: connection refused (try 2 of 3)"
        );
        assert_eq!(seconds(Duration::from_millis(1_540)), "1.5 s");
        assert_eq!(seconds(Duration::from_millis(4_020)), "4 s");
        assert_eq!(seconds(Duration::from_millis(250)), "250 ms");
    }
}
