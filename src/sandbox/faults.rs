//! `--fail-rate`, `--fail-mix` and `--retry-after`: the trouble a workspace's
//! API answers at any time, whatever the client's own rate
//! (`zeeg-api.md`, "The world a client meets").

use std::time::{Duration, SystemTime};

use axum::http::HeaderValue;

use super::SandboxError;

/// One simulated fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 500 with the API's error body.
    ServerError,
    /// 429 with a `Retry-After`: another integration used the workspace's
    /// limit.
    Throttled,
    /// 429 without `Retry-After`.
    ThrottledBare,
    /// The connection closes before an answer.
    Dropped,
}

impl Fault {
    const ALL: [(Fault, &'static str); 4] = [
        (Fault::ServerError, "500"),
        (Fault::Throttled, "429"),
        (Fault::ThrottledBare, "429-bare"),
        (Fault::Dropped, "drop"),
    ];
}

/// Which faults a failing request meets, each with its share.
#[derive(Debug, Clone, PartialEq)]
pub struct FailMix {
    shares: Vec<(Fault, f64)>,
}

impl Default for FailMix {
    /// Every fault the API page allows, alike.
    fn default() -> Self {
        FailMix {
            shares: Fault::ALL.iter().map(|(fault, _)| (*fault, 0.25)).collect(),
        }
    }
}

impl FailMix {
    /// `500=0.4,429=0.3,drop=0.3`; the shares are weights, scaled to one.
    pub fn parse(text: &str) -> Result<FailMix, SandboxError> {
        let bad = |reason: String| SandboxError::BadFailMix {
            text: text.to_string(),
            reason,
        };
        let mut shares = Vec::new();
        for part in text.split(',').map(str::trim) {
            let (name, share) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("`{part}` is not FAULT=SHARE")))?;
            let fault = Fault::ALL
                .iter()
                .find(|(_, known)| *known == name.trim())
                .map(|(fault, _)| *fault)
                .ok_or_else(|| bad(format!("unknown fault `{}`", name.trim())))?;
            let share: f64 = share
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| bad(format!("`{}` is not a share", share.trim())))?;
            if shares.iter().any(|(seen, _)| *seen == fault) {
                return Err(bad(format!("`{}` is given twice", name.trim())));
            }
            shares.push((fault, share));
        }
        let total: f64 = shares.iter().map(|(_, share)| share).sum();
        if total <= 0.0 {
            return Err(bad("the shares add up to nothing".to_string()));
        }
        for (_, share) in &mut shares {
            *share /= total;
        }
        Ok(FailMix { shares })
    }

    /// The fault for a draw `x` in `0..1`.
    fn pick(&self, x: f64) -> Fault {
        let mut below = 0.0;
        for (fault, share) in &self.shares {
            below += share;
            if x < below {
                return *fault;
            }
        }
        self.shares
            .last()
            .map_or(Fault::ServerError, |(fault, _)| *fault)
    }
}

/// Which requests fail, and how.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// Share (0..=1) of requests that fail.
    pub rate: f64,
    pub mix: FailMix,
}

impl Faults {
    /// The fault this request meets, if any.
    pub(crate) fn draw(&self) -> Option<Fault> {
        (self.rate > 0.0 && fastrand::f64() < self.rate).then(|| self.mix.pick(fastrand::f64()))
    }
}

/// What a 429 says in `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryAfter {
    /// Always this many seconds; else the rate limit's own wait (rounded up
    /// to whole seconds, at least 1), and 1 s for a simulated 429.
    pub seconds: Option<u64>,
    /// As an HTTP date rather than seconds.
    pub as_date: bool,
}

impl RetryAfter {
    /// The header for a wait of `wait` (the limit's, or `None` for a
    /// simulated 429), at `now`.
    pub(crate) fn header(&self, wait: Option<Duration>, now: SystemTime) -> HeaderValue {
        let seconds = self
            .seconds
            .unwrap_or_else(|| wait.map_or(1, |w| w.as_secs_f64().ceil().max(1.0) as u64));
        if self.as_date {
            // An HTTP date has whole seconds: the next one after the wait,
            // so that a client waiting until then waits long enough.
            let at = now + Duration::from_secs(seconds);
            let whole = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(Duration::ZERO, |d| Duration::from_secs(d.as_secs() + 1));
            let date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + whole);
            HeaderValue::from_str(&date).unwrap_or(HeaderValue::from(seconds))
        } else {
            HeaderValue::from(seconds)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mix_is_scaled_to_one_and_picks_by_share() {
        let mix = FailMix::parse("500=0.4, 429=0.3,drop=0.3").unwrap();
        assert_eq!(mix.pick(0.1), Fault::ServerError);
        assert_eq!(mix.pick(0.5), Fault::Throttled);
        assert_eq!(mix.pick(0.95), Fault::Dropped);
        let weights = FailMix::parse("429-bare=2,500=2").unwrap();
        assert_eq!(weights.pick(0.49), Fault::ThrottledBare);
        assert_eq!(weights.pick(0.51), Fault::ServerError);
    }

    #[test]
    fn the_default_mix_holds_every_fault() {
        let mix = FailMix::default();
        let seen: Vec<Fault> = [0.1, 0.3, 0.6, 0.9].iter().map(|x| mix.pick(*x)).collect();
        assert_eq!(
            seen,
            [
                Fault::ServerError,
                Fault::Throttled,
                Fault::ThrottledBare,
                Fault::Dropped
            ]
        );
    }

    #[test]
    fn a_bad_mix_says_why() {
        for (text, why) in [
            ("500", "FAULT=SHARE"),
            ("503=1", "unknown fault `503`"),
            ("500=lots", "not a share"),
            ("500=1,500=2", "twice"),
            ("500=0", "nothing"),
        ] {
            match FailMix::parse(text) {
                Err(SandboxError::BadFailMix { reason, .. }) => {
                    assert!(reason.contains(why), "{text}: {reason}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_400);
        let auto = RetryAfter::default();
        assert_eq!(auto.header(Some(Duration::from_millis(10)), now), "1");
        assert_eq!(auto.header(Some(Duration::from_millis(2_100)), now), "3");
        assert_eq!(auto.header(None, now), "1");
        let fixed = RetryAfter {
            seconds: Some(4),
            as_date: false,
        };
        assert_eq!(fixed.header(Some(Duration::from_millis(10)), now), "4");
        let date = RetryAfter {
            seconds: Some(2),
            as_date: true,
        };
        let value = date.header(None, now);
        let when = httpdate::parse_http_date(value.to_str().unwrap()).unwrap();
        let wait = when.duration_since(now).unwrap();
        assert!(
            wait >= Duration::from_secs(2) && wait <= Duration::from_secs(3),
            "{wait:?}"
        );
    }
}
