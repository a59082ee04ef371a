//! `--rate-limit`, `--rate-burst` and `--rate-schedule`: a token bucket of N
//! requests per second, as a workspace's limit is.
//!
//! The bucket is **empty when the sandbox starts**: the workspace's other
//! integrations have just used it (`zeeg-api.md`, "The world a client
//! meets"); it refills from then on. It holds `--rate-burst` tokens at most
//! (N by default). A schedule changes N during the run; its clock starts at
//! the first request the sandbox answers, so a bench's or a test's schedule
//! lines up with the client's run, not with the sandbox's start.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use super::SandboxError;

/// The limit: requests per second from given moments of the run on, and the
/// bucket's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// `(from, per_second)`, sorted by `from`, the first from zero.
    steps: Vec<(Duration, NonZeroU32)>,
    burst: Option<NonZeroU32>,
}

impl RateLimit {
    /// N requests per second throughout.
    pub fn constant(per_second: NonZeroU32) -> RateLimit {
        RateLimit {
            steps: vec![(Duration::ZERO, per_second)],
            burst: None,
        }
    }

    /// `100@0,20@5,100@15`: 100 per second from the first request, 20 from
    /// 5 s after it, 100 again from 15 s.
    pub fn schedule(text: &str) -> Result<RateLimit, SandboxError> {
        let bad = |reason: &str| SandboxError::BadRateSchedule {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let mut steps: Vec<(Duration, NonZeroU32)> = Vec::new();
        for step in text.split(',').map(str::trim) {
            let (rate, at) = step
                .split_once('@')
                .ok_or_else(|| bad(&format!("`{step}` is not RATE@SECONDS")))?;
            let rate: u32 = rate
                .trim()
                .parse()
                .map_err(|_| bad(&format!("`{rate}` is not a whole number of requests")))?;
            let rate = NonZeroU32::new(rate).ok_or_else(|| bad("a rate must be at least 1"))?;
            let at: f64 = at
                .trim()
                .parse()
                .ok()
                .filter(|at: &f64| at.is_finite() && *at >= 0.0)
                .ok_or_else(|| bad(&format!("`{at}` is not a number of seconds")))?;
            let at = Duration::from_secs_f64(at);
            if steps.last().is_some_and(|(last, _)| *last >= at) {
                return Err(bad("the steps must be in order of time"));
            }
            steps.push((at, rate));
        }
        match steps.first() {
            Some((first, _)) if first.is_zero() => Ok(RateLimit { steps, burst: None }),
            _ => Err(bad("the first step must start at 0")),
        }
    }

    /// The bucket holds at most `burst` tokens, whatever the rate.
    pub fn with_burst(self, burst: NonZeroU32) -> RateLimit {
        RateLimit {
            burst: Some(burst),
            ..self
        }
    }

    /// Requests per second at `elapsed` into the run.
    pub fn per_second_at(&self, elapsed: Duration) -> u32 {
        self.steps
            .iter()
            .rev()
            .find(|(from, _)| *from <= elapsed)
            .or(self.steps.first())
            .map_or(1, |(_, rate)| rate.get())
    }

    /// Requests the ideal client gets answered within `elapsed` of the run,
    /// starting with an empty bucket: the schedule's integral.
    pub fn ideal_answered_within(&self, elapsed: Duration) -> f64 {
        let mut total = 0.0;
        for (i, (from, rate)) in self.steps.iter().enumerate() {
            let until = self.steps.get(i + 1).map_or(elapsed, |(next, _)| *next);
            let until = until.min(elapsed);
            if until > *from {
                total += (until - *from).as_secs_f64() * f64::from(rate.get());
            }
        }
        total
    }
}

#[derive(Debug)]
pub(crate) struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    /// The first request: the schedule's zero.
    started: Option<Instant>,
    /// The last refill.
    last: Instant,
}

impl TokenBucket {
    /// An empty bucket at `now`.
    pub(crate) fn new(limit: RateLimit, now: Instant) -> TokenBucket {
        TokenBucket {
            limit,
            tokens: 0.0,
            started: None,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is available.
    pub(crate) fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let started = *self.started.get_or_insert(now);
        let last = std::mem::replace(&mut self.last, now);
        // The rate of the step the refill lies in; steps are seconds apart
        // and requests milliseconds, so the rate at its end is close enough.
        let rate = f64::from(
            self.limit
                .per_second_at(now.saturating_duration_since(started)),
        );
        let capacity = self.limit.burst.map_or(rate, |b| f64::from(b.get()));
        let elapsed = now.saturating_duration_since(last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(n: u32) -> RateLimit {
        RateLimit::constant(NonZeroU32::new(n).unwrap())
    }

    #[test]
    fn the_bucket_starts_empty_and_refills_at_n_per_second() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(limit(2), start);
        let wait = bucket.take(start).unwrap_err();
        assert!(wait <= Duration::from_millis(500) && wait > Duration::from_millis(400));
        assert!(bucket.take(start + Duration::from_millis(500)).is_ok());
        assert!(bucket.take(start + Duration::from_millis(500)).is_err());
        // Two seconds idle fill it to its size of two, no more.
        let later = start + Duration::from_millis(2_500);
        assert!(bucket.take(later).is_ok());
        assert!(bucket.take(later).is_ok());
        assert!(bucket.take(later).is_err());
    }

    #[test]
    fn a_burst_sets_the_size_of_the_bucket() {
        let start = Instant::now();
        let mut bucket =
            TokenBucket::new(limit(100).with_burst(NonZeroU32::new(3).unwrap()), start);
        let _ = bucket.take(start);
        let later = start + Duration::from_secs(5);
        for _ in 0..3 {
            assert!(bucket.take(later).is_ok());
        }
        assert!(bucket.take(later).is_err());
    }

    #[test]
    fn a_schedule_changes_the_rate_from_the_first_request_on() {
        let schedule = RateLimit::schedule("100@0, 20@5,100@15").unwrap();
        assert_eq!(schedule.per_second_at(Duration::from_secs(4)), 100);
        assert_eq!(schedule.per_second_at(Duration::from_secs(5)), 20);
        assert_eq!(schedule.per_second_at(Duration::from_secs(30)), 100);
        assert_eq!(
            schedule.ideal_answered_within(Duration::from_secs(20)),
            500.0 + 200.0 + 500.0
        );
        let start = Instant::now();
        let mut bucket = TokenBucket::new(schedule, start);
        let _ = bucket.take(start);
        // In the slow step, the bucket holds 20 and a second refills 20.
        let slow = start + Duration::from_secs(7);
        let answered = (0..100)
            .filter(|i| bucket.take(slow + Duration::from_millis(10 * i)).is_ok())
            .count();
        assert!((39..=41).contains(&answered), "{answered}");
    }

    #[test]
    fn a_bad_schedule_says_why() {
        for (text, why) in [
            ("100", "RATE@SECONDS"),
            ("100@1", "start at 0"),
            ("100@0,20@5,30@5", "in order"),
            ("0@0", "at least 1"),
            ("fast@0", "whole number"),
            ("100@soon", "number of seconds"),
        ] {
            let error = RateLimit::schedule(text).unwrap_err().to_string();
            let help = match RateLimit::schedule(text).unwrap_err() {
                SandboxError::BadRateSchedule { reason, .. } => reason,
                other => panic!("{other}"),
            };
            assert!(help.contains(why), "{text}: {error} / {help}");
        }
    }
}
