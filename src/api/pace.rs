//! Pacing: the request rate every request of a command shares, learned from
//! the API's 429s.
//!
//! Zeeg publishes no rate numbers, says limits vary by endpoint and plan, and
//! shares a workspace's limit with every other integration (`zeeg-api.md`,
//! "Rate limits" and "The world a client meets"). So a 429 may be a stray one
//! that this client's rate did not cause, or the sign of a limit. The rule:
//!
//! - **A lone 429 costs only its own request.** Its `Retry-After` (or the
//!   backoff) delays that request's retry (`retry.rs`); nothing else waits,
//!   and the rate stays as it was.
//! - **The rate is cut only when the 429s say the send rate is above a
//!   limit**: among the answers to requests sent since the last cut (within
//!   the last second), at least [`PaceConfig::signal`] are 429s; while
//!   unpaced, a third of the latest 48 answers, or the latest four all. Answers
//!   to requests sent *before* a cut tell of the old rate and never cut
//!   again.
//! - **The cut is to what the API accepted**, measured over the requests sent
//!   since the last cut (at most [`PaceConfig::window`] back): above a limit,
//!   the accepted rate *is* the limit (or, when the last second alone
//!   accepted more, a share of that: a limit that just rose is not held
//!   down by the average). When too few were accepted to measure
//!   (an empty bucket at the start), the send rate times the accepted share
//!   estimates it. The new rate is [`PaceConfig::cut_to`] of that. No
//!   `Retry-After` pauses every request, so no window this is measured over
//!   holds a pause; and the measure starts afresh at each cut, so it never
//!   holds the slower pace before it either.
//! - **A guess is checked at once.** When the cut had too few accepted
//!   answers to measure (an empty bucket at the start, a limit that just
//!   fell), the estimate is a guess: the pace then doubles every quarter of
//!   a second until the next signal, whose cut counts as measured.
//! - **After a measured cut the rate comes back**: it grows by
//!   [`PaceConfig::growth_per_second`] at first and then ever faster while no
//!   limit is signalled ([`PaceConfig::acceleration`]), so a limit that
//!   rose again is found within seconds, while one that did not is
//!   approached gently.
//! - **No probe at the end**: once the requests left take under 1.5 s at the
//!   limit the last cut found, the pace holds at that limit. Above it only a
//!   429 could be learned, and that 429's `Retry-After` would be the run's
//!   end.
//! - **Concurrency is not the instrument**: the number of requests in flight
//!   is the user's `--parallelism` and never moves with 429s; only this pace
//!   does.
//!
//! It is a token bucket holding one request, so requests leave evenly.
//! Hand-written: `governor`'s quota is fixed once built, and this one moves
//! with every signal.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// How many of the latest answers tell an unpaced client of a limit: at a
/// third of them, stray 429s (a few in a hundred) are all but never
/// mistaken for one.
const UNPACED_SAMPLE: usize = 48;

/// Or this many 429s in a row: stray ones (a few in a hundred) all but
/// never come so.
const UNPACED_RUN: usize = 4;

/// Accepted answers that measure a limit.
const MEASURED: usize = 10;

/// The work left that counts as the end of it, in time at the found limit.
const ENDGAME: Duration = Duration::from_millis(1500);

/// Until a limit is measured, the pace doubles this often (seconds).
const UNMEASURED_DOUBLING: f64 = 0.25;

/// How the pace moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceConfig {
    /// The rate after a cut is this share of the rate the API accepted.
    pub cut_to: f64,
    /// Right after a cut, the rate grows by this share per second.
    pub growth_per_second: f64,
    /// After this long without a limit signal the growth speeds up ...
    pub calm: Duration,
    /// ... by this much more (share per second) for every second beyond `calm`.
    pub acceleration: f64,
    /// The longest span the accepted rate is measured over.
    pub window: Duration,
    /// 429s among the answers since the last cut (within a second) that
    /// signal a limit.
    pub signal: usize,
    /// The rate never falls below this many requests per second.
    pub min_rate: f64,
}

impl Default for PaceConfig {
    fn default() -> Self {
        PaceConfig {
            cut_to: 0.85,
            growth_per_second: 0.2,
            calm: Duration::from_millis(1500),
            acceleration: 0.3,
            window: Duration::from_secs(5),
            signal: 2,
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

/// When a request left, handed back with its answer: answers are judged by
/// the pace their request was sent at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    sent: Instant,
}

#[derive(Debug)]
struct State {
    /// Requests per second at the last cut; `None` until the first.
    rate: Option<f64>,
    /// What the last cut found the API to accept: near the end of the work
    /// the pace holds there instead of probing above it.
    limit: f64,
    /// Requests still to send, when the caller knows.
    remaining: Option<usize>,
    /// Whether the last cut measured the limit from accepted answers; until
    /// one does (an empty bucket at the start), the rate doubles quickly.
    measured: bool,
    tokens: f64,
    refilled: Instant,
    /// The last cut (or the first request): answers to requests sent
    /// before it do not count towards the next signal or measure.
    since: Option<Instant>,
    /// Answers to requests sent since `since`: when sent, and whether 429.
    answers: VecDeque<(Instant, bool)>,
    /// Requests sent since `since`.
    sends: VecDeque<Instant>,
}

impl Pacer {
    pub fn new(config: PaceConfig) -> Pacer {
        let now = Instant::now();
        Pacer {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State {
                    rate: None,
                    limit: 0.0,
                    remaining: None,
                    measured: false,
                    tokens: 0.0,
                    refilled: now,
                    since: None,
                    answers: VecDeque::new(),
                    sends: VecDeque::new(),
                }),
            }),
        }
    }

    /// The pace now in requests per second, `None` while unpaced.
    pub fn rate(&self) -> Option<f64> {
        let state = self.inner.lock();
        self.inner.grown(&state, Instant::now())
    }

    /// Waits until a request may start (with a token of the bucket once a
    /// rate is known) and returns its ticket.
    pub async fn ready(&self) -> Ticket {
        loop {
            let wake = {
                let mut state = self.inner.lock();
                let now = Instant::now();
                match self.inner.take(&mut state, now) {
                    None => {
                        state.since.get_or_insert(now);
                        state.sends.push_back(now);
                        self.inner.forget(&mut state, now);
                        return Ticket { sent: now };
                    }
                    Some(at) => at,
                }
            };
            tokio::time::sleep_until(wake).await;
        }
    }

    /// How many requests are still to be sent (retries included). Near the
    /// end of the work the pace stops probing above the limit it found: a
    /// probe's 429 costs its request a `Retry-After`, and the last request's
    /// wait is the run's end, while a higher rate found then gains nothing.
    pub fn remaining(&self, requests: usize) {
        self.inner.lock().remaining = Some(requests);
    }

    /// The request of `ticket` got an answer other than 429.
    pub fn accepted(&self, ticket: Ticket) {
        self.answered(ticket, false);
    }

    /// The request of `ticket` got a 429. Returns whether the rate was cut.
    pub fn throttled(&self, ticket: Ticket) -> bool {
        self.answered(ticket, true)
    }

    fn answered(&self, ticket: Ticket, throttled: bool) -> bool {
        let now = Instant::now();
        let mut state = self.inner.lock();
        if state.since.is_some_and(|since| ticket.sent < since) {
            return false;
        }
        state.answers.push_back((ticket.sent, throttled));
        self.inner.forget(&mut state, now);
        if !throttled || !self.inner.signalled(&state, now) {
            return false;
        }
        self.inner.cut(&mut state, now);
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

    /// Drops what lies beyond the window.
    fn forget(&self, state: &mut State, now: Instant) {
        let old = |at: &Instant| now.saturating_duration_since(*at) > self.config.window;
        while state.answers.front().is_some_and(|(at, _)| old(at)) {
            state.answers.pop_front();
        }
        while state.sends.front().is_some_and(old) {
            state.sends.pop_front();
        }
    }

    /// Whether the answers since the last cut say the rate is above a limit.
    fn signalled(&self, state: &State, now: Instant) -> bool {
        let second = Duration::from_secs(1);
        let recent = state
            .answers
            .iter()
            .rev()
            .take_while(|(at, _)| now.saturating_duration_since(*at) <= second);
        let (mut answers, mut throttled) = (0usize, 0usize);
        for (_, was_429) in recent {
            answers += 1;
            throttled += usize::from(*was_429);
            // Unpaced, only the latest answers count: a limit that starts
            // mid-run must not wait for a third of a second's answers.
            if state.rate.is_none() && answers == UNPACED_SAMPLE {
                break;
            }
        }
        let enough = throttled >= self.config.signal.max(1);
        match state.rate {
            Some(_) => enough,
            // Unpaced, the 429s must be a third of the latest answers, or
            // the latest few all: a few stray ones among many accepted are
            // not a limit, but a bucket just emptied is.
            None => {
                let in_a_row = state
                    .answers
                    .iter()
                    .rev()
                    .take(UNPACED_RUN)
                    .filter(|(_, was_429)| *was_429)
                    .count();
                let full = answers == UNPACED_SAMPLE;
                in_a_row == UNPACED_RUN || (enough && full && throttled * 3 >= answers)
            }
        }
    }

    /// Sets the rate to a share of what the API accepted since the last cut.
    fn cut(&self, state: &mut State, now: Instant) {
        let since = state.since.unwrap_or(now);
        let from = since.max(now.checked_sub(self.config.window).unwrap_or(since));
        let span = now
            .saturating_duration_since(from)
            .max(Duration::from_millis(10))
            .as_secs_f64();
        let answers = state.answers.len();
        let accepted = state.answers.iter().filter(|(_, t)| !*t).count();
        let sent = state.sends.len();
        let accepted_rate = accepted as f64 / span;
        // Too few accepted to measure a rate: the send rate times the share
        // accepted (one more of each, so that none accepted is not zero).
        // The last second alone, when the limit just moved: the average
        // since the cut may still hold a lower limit from before.
        let second = Duration::from_secs(1);
        let last_second = state
            .answers
            .iter()
            .filter(|(at, t)| !*t && now.saturating_duration_since(*at) <= second)
            .count() as f64
            / span.min(1.0);
        // One round of doubling after a guess, not more: the cut that ends
        // it counts as measured, however few it saw accepted.
        let measured = accepted >= MEASURED || (state.rate.is_some() && !state.measured);
        let estimate = if accepted >= MEASURED {
            accepted_rate.max(last_second * self.config.cut_to)
        } else {
            (sent as f64 / span) * (accepted + 1) as f64 / (answers + 1) as f64
        };
        let current = self.grown(state, now).unwrap_or(f64::INFINITY);
        let limit = current.min(estimate).max(self.config.min_rate);
        let rate = (limit * self.config.cut_to).max(self.config.min_rate);
        state.limit = limit;
        state.rate = Some(rate);
        state.measured = measured;
        state.tokens = state.tokens.min(1.0);
        state.refilled = now;
        state.since = Some(now);
        state.answers.clear();
        state.sends.clear();
    }

    /// The rate now: grown since the last cut, but not beyond the limit it
    /// found once the work left is under [`ENDGAME`] at that rate.
    fn grown(&self, state: &State, now: Instant) -> Option<f64> {
        let grown = self.grown_freely(state, now)?;
        let cap = state.rate.unwrap_or(grown).max(state.limit);
        let ending = state
            .remaining
            .is_some_and(|left| (left as f64) < cap * ENDGAME.as_secs_f64());
        Some(if ending { grown.min(cap) } else { grown })
    }

    /// The rate now, grown since the last cut.
    fn grown_freely(&self, state: &State, now: Instant) -> Option<f64> {
        let rate = state.rate?;
        let since = state
            .since
            .map_or(0.0, |at| now.saturating_duration_since(at).as_secs_f64());
        if !state.measured {
            return Some(rate * (since / UNMEASURED_DOUBLING).min(30.0).exp2());
        }
        let calm = (since - self.config.calm.as_secs_f64()).max(0.0);
        let exponent =
            self.config.growth_per_second * since + self.config.acceleration * calm * calm / 2.0;
        Some(rate * exponent.min(30.0).exp())
    }

    /// Takes a token; otherwise says when one will be there.
    fn take(&self, state: &mut State, now: Instant) -> Option<Instant> {
        let rate = self.grown(state, now)?;
        let elapsed = now.saturating_duration_since(state.refilled).as_secs_f64();
        state.tokens = (state.tokens + elapsed * rate).min(1.0);
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

    /// A ticket sent now, and the answer to it after `ms`.
    async fn answer(pacer: &Pacer, ms: u64, throttled: bool) -> bool {
        let ticket = pacer.ready().await;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        if throttled {
            pacer.throttled(ticket)
        } else {
            pacer.accepted(ticket);
            false
        }
    }

    /// A pacer cut once from a measured rate: 100 accepted over a second,
    /// then 429s until the cut.
    async fn measured_cut() -> Pacer {
        let pacer = Pacer::default();
        for _ in 0..100 {
            answer(&pacer, 10, false).await;
        }
        while !answer(&pacer, 10, true).await {}
        pacer
    }

    #[tokio::test(start_paused = true)]
    async fn unpaced_until_a_limit_is_signalled() {
        let pacer = Pacer::default();
        let begun = Instant::now();
        for _ in 0..1_000 {
            pacer.ready().await;
        }
        assert_eq!(begun.elapsed(), Duration::ZERO);
        assert_eq!(pacer.rate(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_429_cuts_nothing_and_pauses_nobody() {
        let pacer = Pacer::default();
        for i in 0..200 {
            // One in twenty answered 429, as stray ones come.
            assert!(!answer(&pacer, 1, i % 20 == 7).await, "cut at {i}");
        }
        assert_eq!(pacer.rate(), None);
        let begun = Instant::now();
        pacer.ready().await;
        assert_eq!(begun.elapsed(), Duration::ZERO, "nobody waits");
    }

    #[tokio::test(start_paused = true)]
    async fn four_429s_in_a_row_cut_to_the_accepted_rate() {
        let pacer = Pacer::default();
        // 100 accepted over a second, then the answers turn to 429s.
        for _ in 0..100 {
            answer(&pacer, 10, false).await;
        }
        for i in 1..4 {
            assert!(!answer(&pacer, 10, true).await, "429 number {i} cut");
        }
        assert!(answer(&pacer, 10, true).await, "the fourth in a row cuts");
        let rate = pacer.rate().expect("paced");
        // About 100 a second were accepted; the pace is cut_to of that.
        assert!((75.0..=90.0).contains(&rate), "{rate}");
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_that_are_a_third_of_the_latest_answers_cut() {
        let pacer = Pacer::default();
        for _ in 0..100 {
            answer(&pacer, 10, false).await;
        }
        // One in two answered 429, never four in a row: the 32nd answer
        // holds the sixteenth 429, a third of the latest 48.
        let mut cut_at = None;
        for i in 1..=48 {
            if answer(&pacer, 10, i % 2 == 0).await {
                cut_at = Some(i);
                break;
            }
        }
        assert_eq!(cut_at, Some(32));
    }

    #[tokio::test(start_paused = true)]
    async fn answers_to_requests_sent_before_a_cut_do_not_cut_again() {
        let pacer = Pacer::default();
        let early: Vec<Ticket> = {
            let mut tickets = Vec::new();
            for _ in 0..8 {
                tickets.push(pacer.ready().await);
            }
            tickets
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        let cuts: Vec<bool> = early.iter().map(|t| pacer.throttled(*t)).collect();
        assert_eq!(cuts.iter().filter(|c| **c).count(), 1, "{cuts:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_bucket_at_the_start_is_not_a_rate_of_zero() {
        let pacer = Pacer::default();
        // Nothing accepted yet: every answer a 429.
        let mut cut = false;
        for _ in 0..4 {
            cut |= answer(&pacer, 1, true).await;
        }
        assert!(cut);
        let rate = pacer.rate().expect("paced");
        assert!(rate > 10.0, "learned {rate}/s from no accepted answer");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_cut_the_rate_comes_back_within_seconds() {
        let pacer = measured_cut().await;
        let cut = pacer.rate().expect("paced");
        tokio::time::sleep(Duration::from_secs(1)).await;
        let soon = pacer.rate().expect("paced");
        assert!(soon < cut * 1.3, "gentle near the limit: {cut} -> {soon}");
        tokio::time::sleep(Duration::from_secs(4)).await;
        let later = pacer.rate().expect("paced");
        assert!(later > cut * 4.0, "back within seconds: {cut} -> {later}");
    }

    #[tokio::test(start_paused = true)]
    async fn near_the_end_of_the_work_the_pace_holds_at_the_limit_found() {
        let pacer = measured_cut().await;
        let limit = pacer.rate().expect("paced") / PaceConfig::default().cut_to;
        pacer.remaining(20);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let held = pacer.rate().expect("paced");
        assert!(held <= limit * 1.001, "probed above {limit} to {held}");
        assert!(held >= limit * 0.999, "held below {limit} at {held}");
        pacer.remaining(10_000);
        let free = pacer.rate().expect("paced");
        assert!(free > limit * 2.0, "{free}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_guess_doubles_until_the_next_signal() {
        let pacer = Pacer::default();
        for _ in 0..4 {
            answer(&pacer, 1, true).await;
        }
        let guess = pacer.rate().expect("paced");
        tokio::time::sleep(Duration::from_secs(1)).await;
        let later = pacer.rate().expect("paced");
        assert!(later > guess * 15.0, "{guess} -> {later}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_rate_spaces_requests_evenly() {
        let pacer = Pacer::default();
        for _ in 0..4 {
            answer(&pacer, 1, true).await;
        }
        let rate = pacer.rate().expect("paced");
        let begun = Instant::now();
        for _ in 0..10 {
            pacer.ready().await;
        }
        let spent = begun.elapsed().as_secs_f64();
        let expected = 9.0 / rate;
        assert!(
            (expected * 0.8..expected * 1.2).contains(&spent),
            "{spent} s for 10 at {rate}/s"
        );
    }
}
