//! An adaptive concurrency limit: how many upserts may be in flight at once.
//!
//! It starts at the configured parallelism, halves when the API answers 429
//! (at most once per cool-down, since one burst of 429s is one signal, not
//! many) and grows back by one after a run of successes, never above its
//! ceiling. Zeeg's docs advise against parallel bursts, so shrinking fast and
//! growing slowly is the point.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// How the limit moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterConfig {
    /// The limit at the start and the ceiling it grows back to.
    pub max: usize,
    /// Successes in a row (with no 429 in between) that earn one more slot.
    pub grow_after: usize,
    /// After a halving, further 429s within this time do not halve again:
    /// they most likely belong to the same burst.
    pub cooldown: Duration,
}

impl LimiterConfig {
    /// The defaults for a given parallelism.
    pub fn new(parallelism: usize) -> LimiterConfig {
        LimiterConfig {
            max: parallelism.max(1),
            grow_after: 20,
            cooldown: Duration::from_secs(1),
        }
    }
}

#[derive(Debug)]
struct State {
    limit: usize,
    in_flight: usize,
    streak: usize,
    last_halving: Option<Instant>,
}

/// The shared limiter; cheap to clone.
#[derive(Debug, Clone)]
pub struct Limiter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: LimiterConfig,
    state: Mutex<State>,
    // Woken whenever a slot may have become free (a release or a growth).
    freed: Notify,
}

/// One slot of the limit; released on drop.
#[derive(Debug)]
pub struct Permit {
    inner: Arc<Inner>,
}

impl Limiter {
    pub fn new(config: LimiterConfig) -> Limiter {
        let config = LimiterConfig {
            max: config.max.max(1),
            grow_after: config.grow_after.max(1),
            ..config
        };
        Limiter {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    limit: config.max,
                    in_flight: 0,
                    streak: 0,
                    last_halving: None,
                }),
                config,
                freed: Notify::new(),
            }),
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.inner.lock().limit
    }

    /// Requests holding a permit right now.
    pub fn in_flight(&self) -> usize {
        self.inner.lock().in_flight
    }

    /// Waits for a free slot. When the limit was just lowered, callers wait
    /// until enough in-flight requests have finished.
    pub async fn acquire(&self) -> Permit {
        loop {
            // Registered before the check, so a release between the check
            // and the await still wakes us (`notify_waiters` counts futures
            // from their creation).
            let freed = self.inner.freed.notified();
            {
                let mut state = self.inner.lock();
                if state.in_flight < state.limit {
                    state.in_flight += 1;
                    return Permit {
                        inner: Arc::clone(&self.inner),
                    };
                }
            }
            freed.await;
        }
    }

    /// The API answered 429: halve the limit (not below one), unless it was
    /// halved within the cool-down. Returns whether it was halved.
    pub fn throttled(&self) -> bool {
        self.throttled_at(Instant::now())
    }

    fn throttled_at(&self, now: Instant) -> bool {
        let mut state = self.inner.lock();
        state.streak = 0;
        let cooling = state
            .last_halving
            .is_some_and(|at| now.saturating_duration_since(at) < self.inner.config.cooldown);
        if cooling {
            return false;
        }
        state.last_halving = Some(now);
        let halved = (state.limit / 2).max(1);
        let changed = halved != state.limit;
        state.limit = halved;
        changed
    }

    /// A request finished without a 429: after a run of them, one more slot.
    pub fn succeeded(&self) {
        let grew = {
            let mut state = self.inner.lock();
            state.streak += 1;
            if state.streak >= self.inner.config.grow_after && state.limit < self.inner.config.max {
                state.limit += 1;
                state.streak = 0;
                true
            } else {
                false
            }
        };
        if grew {
            self.inner.freed.notify_waiters();
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few counters, valid after any panic of a holder.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut state = self.inner.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.inner.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: usize, grow_after: usize) -> Limiter {
        Limiter::new(LimiterConfig {
            max,
            grow_after,
            cooldown: Duration::from_secs(1),
        })
    }

    #[test]
    fn halves_on_throttle_down_to_one() {
        let limiter = limiter(8, 5);
        let start = Instant::now();
        let mut at = start;
        let mut seen = vec![limiter.limit()];
        for _ in 0..5 {
            at += Duration::from_secs(2);
            limiter.throttled_at(at);
            seen.push(limiter.limit());
        }
        assert_eq!(seen, [8, 4, 2, 1, 1, 1]);
    }

    #[test]
    fn a_burst_of_429s_within_the_cooldown_halves_once() {
        let limiter = limiter(16, 5);
        let at = Instant::now();
        assert!(limiter.throttled_at(at));
        assert!(!limiter.throttled_at(at + Duration::from_millis(10)));
        assert!(!limiter.throttled_at(at + Duration::from_millis(900)));
        assert_eq!(limiter.limit(), 8);
        assert!(limiter.throttled_at(at + Duration::from_millis(1100)));
        assert_eq!(limiter.limit(), 4);
    }

    #[test]
    fn grows_back_by_one_per_run_of_successes_up_to_the_start_value() {
        let limiter = limiter(4, 3);
        limiter.throttled();
        assert_eq!(limiter.limit(), 2);
        for _ in 0..2 {
            limiter.succeeded();
        }
        assert_eq!(limiter.limit(), 2, "two successes are not a run of three");
        limiter.succeeded();
        assert_eq!(limiter.limit(), 3);
        for _ in 0..30 {
            limiter.succeeded();
        }
        assert_eq!(limiter.limit(), 4, "never above the start value");
    }

    #[test]
    fn a_throttle_breaks_the_run_of_successes() {
        let limiter = limiter(8, 3);
        let at = Instant::now();
        limiter.throttled_at(at);
        limiter.succeeded();
        limiter.succeeded();
        // Inside the cool-down: no halving, but the run starts over.
        limiter.throttled_at(at + Duration::from_millis(1));
        limiter.succeeded();
        limiter.succeeded();
        assert_eq!(limiter.limit(), 4);
        limiter.succeeded();
        assert_eq!(limiter.limit(), 5);
    }

    #[tokio::test]
    async fn never_hands_out_more_permits_than_the_limit() {
        let limiter = limiter(3, 100);
        let held: Vec<Permit> = vec![
            limiter.acquire().await,
            limiter.acquire().await,
            limiter.acquire().await,
        ];
        assert_eq!(limiter.in_flight(), 3);
        let waiting = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(waiting.is_err(), "a fourth permit while three are held");
        drop(held);
        assert_eq!(limiter.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_lowered_limit_waits_for_in_flight_requests_to_drain() {
        let limiter = limiter(4, 100);
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(limiter.acquire().await);
        }
        limiter.throttled();
        assert_eq!(limiter.limit(), 2);
        held.pop();
        held.pop();
        // Two in flight against a limit of two: still no room.
        let blocked = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(blocked.is_err());
        held.pop();
        let granted = tokio::time::timeout(Duration::from_millis(500), limiter.acquire()).await;
        assert!(
            granted.is_ok(),
            "a slot freed below the new limit is handed out"
        );
    }

    #[tokio::test]
    async fn growth_wakes_a_waiter() {
        let limiter = limiter(2, 1);
        limiter.throttled();
        let _first = limiter.acquire().await;
        let waiter = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire().await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        limiter.succeeded();
        let granted = tokio::time::timeout(Duration::from_millis(500), waiter).await;
        assert!(granted.is_ok(), "growing the limit hands the new slot out");
    }
}
