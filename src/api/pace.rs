//! Pacing: the request rate every request of a command shares, learned from
//! the API's 429s.
//!
//! Zeeg publishes no rate numbers and says limits vary by endpoint and plan
//! (`zeeg-api.md`, "Rate limits"), so the pacer starts unpaced and learns:
//!
//! - On the first 429 it sets the rate to what the API accepted over the
//!   last couple of seconds, a little below; on later 429s it cuts the rate
//!   again (once per cool-down: one burst of 429s is one signal).
//! - While no 429 comes, the rate rises slowly, so a limit that was lifted,
//!   or estimated too low, is found again.
//! - A 429's `Retry-After` pauses every new request until it has passed.
//!
//! It is a token bucket with a small burst (half a second of the rate), so a
//! pause is followed by the burst the API's own bucket has refilled, then an
//! even pace. Hand-written: `governor`'s quota is fixed once built, and this
//! one must move with every 429.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// How the pace moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceConfig {
    /// The rate after a 429 is this share of the rate the API accepted just
    /// before it.
    pub cut_to: f64,
    /// While no 429 comes, the rate grows by this share per second.
    pub growth_per_second: f64,
    /// How far back accepted answers count towards the learned rate.
    pub window: Duration,
    /// 429s within this time of a cut do not cut again.
    pub cooldown: Duration,
    /// The bucket holds this much time's worth of requests.
    pub burst: Duration,
    /// The rate never falls below this many requests per second.
    pub min_rate: f64,
}

impl Default for PaceConfig {
    fn default() -> Self {
        PaceConfig {
            cut_to: 0.9,
            growth_per_second: 0.05,
            window: Duration::from_secs(2),
            cooldown: Duration::from_secs(1),
            burst: Duration::from_millis(500),
            min_rate: 0.2,
        }
    }
}

/// The shared pace of one command's requests; cheap to clone.
#[derive(Debug, Clone)]
pub struct Pacer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: PaceConfig,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Requests per second; `None` until the first 429.
    rate: Option<f64>,
    tokens: f64,
    refilled: Instant,
    /// No request starts before this instant (a `Retry-After`).
    paused_until: Option<Instant>,
    last_cut: Option<Instant>,
    /// When answers other than 429 arrived, within the window.
    accepted: VecDeque<Instant>,
    started: Instant,
}

/// What [`Pacer::ready`] waited for, for the caller's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Waited {
    pub paused: bool,
    pub paced: bool,
}

impl Pacer {
    pub fn new(config: PaceConfig) -> Pacer {
        let now = Instant::now();
        Pacer {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State {
                    rate: None,
                    tokens: 0.0,
                    refilled: now,
                    paused_until: None,
                    last_cut: None,
                    accepted: VecDeque::new(),
                    started: now,
                }),
            }),
        }
    }

    /// The learned rate in requests per second, `None` while unpaced.
    pub fn rate(&self) -> Option<f64> {
        self.inner.lock().rate
    }

    /// Until when new requests wait for a `Retry-After`, if they do.
    pub fn paused_until(&self) -> Option<Instant> {
        let state = self.inner.lock();
        state.paused_until.filter(|until| *until > Instant::now())
    }

    /// Waits until a request may start: past any `Retry-After` pause, and
    /// with a token of the bucket once a rate is known.
    pub async fn ready(&self) -> Waited {
        let mut waited = Waited::default();
        loop {
            let wake = {
                let mut state = self.inner.lock();
                let now = Instant::now();
                match state.paused_until {
                    Some(until) if until > now => {
                        waited.paused = true;
                        Some(until)
                    }
                    _ => self.inner.take(&mut state, now),
                }
            };
            match wake {
                None => return waited,
                Some(at) => {
                    waited.paced |= !waited.paused;
                    tokio::time::sleep_until(at).await;
                }
            }
        }
    }

    /// An answer other than 429 arrived: it counts towards the learned rate.
    pub fn accepted(&self) {
        let now = Instant::now();
        let mut state = self.inner.lock();
        let window = self.inner.config.window;
        while state
            .accepted
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) > window)
        {
            state.accepted.pop_front();
        }
        state.accepted.push_back(now);
    }

    /// A 429 arrived, with the server's `Retry-After` if it gave one. Returns
    /// whether the rate was cut (the first 429 of a burst).
    pub fn throttled(&self, retry_after: Option<Duration>) -> bool {
        self.throttled_at(Instant::now(), retry_after)
    }

    fn throttled_at(&self, now: Instant, retry_after: Option<Duration>) -> bool {
        let config = &self.inner.config;
        let mut state = self.inner.lock();
        if let Some(wait) = retry_after {
            let until = now + wait;
            state.paused_until = Some(state.paused_until.map_or(until, |at| at.max(until)));
        }
        let cooling = state
            .last_cut
            .is_some_and(|at| now.saturating_duration_since(at) < config.cooldown);
        if cooling {
            return false;
        }
        // Accepted over the window, or since the start when that is
        // shorter (but never counted over less than a second: the first
        // 429 often follows an instant burst).
        let span = now
            .saturating_duration_since(state.started)
            .min(config.window)
            .max(Duration::from_secs(1));
        let recent = state
            .accepted
            .iter()
            .filter(|at| now.saturating_duration_since(**at) <= config.window)
            .count();
        let measured = recent as f64 / span.as_secs_f64();
        let current = self.inner.grown(&state, now);
        let base = match current {
            Some(rate) => rate.min(measured.max(config.min_rate)),
            None => measured,
        };
        let rate = (base * config.cut_to).max(config.min_rate);
        state.rate = Some(rate);
        state.tokens = state.tokens.min(1.0);
        state.refilled = now;
        state.last_cut = Some(now);
        true
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A few numbers, valid after any panic of a holder.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The rate now, grown since the last cut.
    fn grown(&self, state: &State, now: Instant) -> Option<f64> {
        let rate = state.rate?;
        let since = state
            .last_cut
            .map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
        Some(rate * (1.0 + self.config.growth_per_second * since.as_secs_f64()))
    }

    /// Takes a token; otherwise says when one will be there.
    fn take(&self, state: &mut State, now: Instant) -> Option<Instant> {
        let rate = self.grown(state, now)?;
        let capacity = (rate * self.config.burst.as_secs_f64()).max(1.0);
        let elapsed = now.saturating_duration_since(state.refilled).as_secs_f64();
        state.tokens = (state.tokens + elapsed * rate).min(capacity);
        state.refilled = now;
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            None
        } else {
            Some(now + Duration::from_secs_f64((1.0 - state.tokens) / rate))
        }
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(PaceConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn unpaced_until_the_first_429() {
        let pacer = Pacer::default();
        let begun = Instant::now();
        for _ in 0..1_000 {
            pacer.ready().await;
        }
        assert_eq!(begun.elapsed(), Duration::ZERO);
        assert_eq!(pacer.rate(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_429_sets_the_rate_below_what_was_accepted() {
        let pacer = Pacer::default();
        for _ in 0..100 {
            pacer.ready().await;
            pacer.accepted();
        }
        assert!(pacer.throttled(None));
        let rate = pacer.rate().unwrap();
        assert!((rate - 90.0).abs() < 1e-6, "{rate}");
        assert!(!pacer.throttled(None), "the same burst cuts once");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_every_new_request() {
        let pacer = Pacer::default();
        pacer.accepted();
        pacer.throttled(Some(Duration::from_secs(1)));
        let begun = Instant::now();
        let waited = pacer.ready().await;
        assert!(waited.paused);
        assert!(begun.elapsed() >= Duration::from_secs(1));
        // A shorter Retry-After does not end a longer pause early.
        pacer.throttled(Some(Duration::from_secs(3)));
        pacer.throttled(Some(Duration::from_secs(1)));
        let until = pacer.paused_until().unwrap();
        assert!(until - Instant::now() >= Duration::from_millis(2_900));
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_rate_spaces_requests_and_grows_without_429s() {
        let pacer = Pacer::new(PaceConfig {
            burst: Duration::ZERO,
            ..PaceConfig::default()
        });
        for _ in 0..10 {
            pacer.accepted();
        }
        // 10 accepted over (at least) a second: 9 per second.
        pacer.throttled(None);
        let begun = Instant::now();
        for _ in 0..10 {
            pacer.ready().await;
        }
        let spent = begun.elapsed().as_secs_f64();
        assert!((0.9..1.2).contains(&spent), "{spent}");
        tokio::time::sleep(Duration::from_secs(10)).await;
        let later = pacer
            .inner
            .grown(&pacer.inner.lock(), Instant::now())
            .unwrap();
        assert!(later > 12.0, "grown to {later}");
    }
}
