//! `--latency`: the wait before each answer, as long as asked and hardly longer.
//!
//! tokio's timer counts whole milliseconds (a deadline is rounded up to the next
//! tick, and the driver's epoll timeout is in whole ms), so a `tokio::time::sleep`
//! of 5 ms answered after 6–6.5 ms: a sandbox emulating a slow API in CI was
//! slower than it said. Here one thread holds every pending deadline in order and
//! sleeps on a condition variable until the earliest (the kernel wakes it within
//! tens of microseconds), then wakes the requests whose time has come. No thread
//! spins, and there is no limit on how many requests wait at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// The delay every request waits before the sandbox looks at it.
pub(crate) struct Latency {
    /// `None` when there is no latency: no thread, no wait.
    timer: Option<Arc<Timer>>,
    delay: Duration,
}

struct Timer {
    state: Mutex<Pending>,
    changed: Condvar,
}

#[derive(Default)]
struct Pending {
    /// Keyed by deadline, then by arrival, so equal deadlines stay distinct.
    waiting: BTreeMap<(Instant, u64), oneshot::Sender<()>>,
    next_id: u64,
    /// Set when the sandbox's app is dropped: the thread then ends.
    closed: bool,
}

impl Latency {
    pub(crate) fn new(delay: Duration) -> Latency {
        if delay.is_zero() {
            return Latency { timer: None, delay };
        }
        let timer = Arc::new(Timer {
            state: Mutex::new(Pending::default()),
            changed: Condvar::new(),
        });
        let run = timer.clone();
        // Should the thread not start, the waits fall back to tokio's timer
        // (see `wait`): slower than asked, never faster.
        let started = std::thread::Builder::new()
            .name("sandbox-latency".into())
            .spawn(move || run.run());
        Latency {
            timer: started.is_ok().then_some(timer),
            delay,
        }
    }

    /// Waits until `delay` has passed since now; never returns earlier.
    pub(crate) async fn wait(&self) {
        if self.delay.is_zero() {
            return;
        }
        let deadline = Instant::now() + self.delay;
        let Some(timer) = &self.timer else {
            return tokio::time::sleep_until(deadline.into()).await;
        };
        let (done, woken) = oneshot::channel();
        {
            let mut pending = timer.lock();
            let id = pending.next_id;
            pending.next_id += 1;
            let earliest = pending
                .waiting
                .keys()
                .next()
                .is_none_or(|&(at, _)| deadline < at);
            pending.waiting.insert((deadline, id), done);
            if earliest {
                timer.changed.notify_one();
            }
        }
        // An error means the timer thread is gone (the app is being dropped);
        // the deadline still holds.
        if woken.await.is_err() {
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

impl Drop for Latency {
    fn drop(&mut self) {
        if let Some(timer) = &self.timer {
            timer.lock().closed = true;
            timer.changed.notify_one();
        }
    }
}

impl Timer {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        // Linux lets a timed wait end up to 50 µs late by default, to batch
        // wake-ups; this thread's only job is to be on time. Without it, the
        // waits are a little later, never earlier.
        #[cfg(target_os = "linux")]
        let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1));
        let mut pending = self.lock();
        while !pending.closed {
            let now = Instant::now();
            while let Some(due) = pending.waiting.first_entry() {
                if due.key().0 > now {
                    break;
                }
                // A request whose client went away has dropped its receiver.
                let _ = due.remove().send(());
            }
            pending = match pending.waiting.keys().next() {
                Some(&(at, _)) => {
                    let (guard, _) = self
                        .changed
                        .wait_timeout(pending, at - now)
                        .unwrap_or_else(PoisonError::into_inner);
                    guard
                }
                None => self
                    .changed
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_wait_ends_before_its_delay_even_among_many() {
        let latency = Arc::new(Latency::new(Duration::from_millis(3)));
        let waits = (0..200).map(|i| {
            let latency = latency.clone();
            tokio::spawn(async move {
                // Staggered, so deadlines arrive out of order with the earliest.
                tokio::time::sleep(Duration::from_micros(i % 7 * 100)).await;
                let started = Instant::now();
                latency.wait().await;
                started.elapsed()
            })
        });
        for waited in futures::future::join_all(waits).await {
            let waited = waited.unwrap();
            assert!(waited >= Duration::from_millis(3), "{waited:?}");
        }
    }

    #[tokio::test]
    async fn a_zero_latency_starts_no_thread_and_does_not_wait() {
        let latency = Latency::new(Duration::ZERO);
        assert!(latency.timer.is_none());
        latency.wait().await;
    }
}
