//! How long to wait before trying a request again.

use std::time::{Duration, SystemTime};

use backon::{ExponentialBackoff, ExponentialBuilder};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::assumed::DEFAULT_MAX_RETRY_AFTER;

/// When and how often the client tries a request again after a 429, a 5xx, a
/// timeout or a broken connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included; at least 1.
    pub max_tries: u32,
    /// The first backoff; each further one doubles, plus up to as much again
    /// of random jitter so that parallel requests spread out.
    pub base_delay: Duration,
    /// The longest backoff (before jitter).
    pub max_delay: Duration,
    /// The longest wait the client grants a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_tries: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// The backoff delays between tries, `max_tries - 1` of them.
    pub(crate) fn backoff(&self) -> ExponentialBackoff {
        use backon::BackoffBuilder;
        ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_tries.saturating_sub(1) as usize)
            .build()
    }

    /// The wait before the next try: the server's `Retry-After` when it gave
    /// one (capped, plus a little jitter so that waiting requests do not all
    /// return in the same instant), else the backoff's delay.
    pub(crate) fn delay(&self, retry_after: Option<Duration>, backoff: Duration) -> Duration {
        match retry_after {
            Some(wait) => {
                let spread = self.base_delay.min(Duration::from_millis(250));
                wait.min(self.max_retry_after) + spread.mul_f64(fastrand::f64())
            }
            None => backoff,
        }
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

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let policy = RetryPolicy {
            max_tries: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            ..RetryPolicy::default()
        };
        let delays: Vec<Duration> = policy.backoff().collect();
        assert_eq!(delays.len(), 5, "one delay between each pair of tries");
        let floors = [100, 200, 400, 400, 400];
        for (delay, floor) in delays.iter().zip(floors) {
            let floor = Duration::from_millis(floor);
            assert!(
                *delay >= floor && *delay < floor * 2,
                "{delay:?} vs {floor:?}"
            );
        }
    }

    #[test]
    fn retry_after_wins_over_backoff_but_is_capped() {
        let policy = RetryPolicy {
            max_retry_after: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let backoff = Duration::from_secs(1);
        let wait = policy.delay(Some(Duration::from_secs(3)), backoff);
        assert!(wait >= Duration::from_secs(3) && wait < Duration::from_millis(3250));
        let capped = policy.delay(Some(Duration::from_secs(3600)), backoff);
        assert!(capped < Duration::from_millis(10_250));
        assert_eq!(policy.delay(None, backoff), backoff);
    }
}
