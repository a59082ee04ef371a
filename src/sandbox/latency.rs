//! `--latency`: each answer leaves as long after its request arrived as asked,
//! and hardly later.
//!
//! tokio's timer counts whole milliseconds (a deadline is rounded up to the next
//! tick, and the driver's epoll timeout is in whole ms), so a `tokio::time::sleep`
//! of 5 ms answered after 6–6.5 ms. The next version kept the deadlines on a
//! thread of its own that slept on a condition variable: precise, but every
//! answer cost two hops between threads (a worker woke that thread for a new
//! earliest deadline, and at the deadline it woke a worker), about four context
//! switches a request at `--latency 5` one at a time.
//!
//! On Linux one timerfd per sandbox (a kernel timer with nanosecond deadlines
//! and no slack) is armed for the earliest pending deadline and watched by
//! tokio's reactor like a socket. When it fires, the worker that was waiting in
//! epoll anyway wakes the requests whose time has come: no thread, no hop, one
//! file descriptor however many requests wait. Elsewhere, or should the timerfd
//! not be had, the wait falls back to tokio's timer: later, never earlier.

use std::time::{Duration, Instant};

/// The delay between a request's arrival and its answer.
pub(crate) struct Latency {
    delay: Duration,
    /// Started by the first wait (it needs the runtime's reactor); `None`
    /// inside when the timerfd could not be had.
    #[cfg(target_os = "linux")]
    timer: std::sync::OnceLock<Option<std::sync::Arc<precise::Timer>>>,
}

impl Latency {
    pub(crate) fn new(delay: Duration) -> Latency {
        Latency {
            delay,
            #[cfg(target_os = "linux")]
            timer: std::sync::OnceLock::new(),
        }
    }

    /// When the answer to a request arriving now may leave.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.delay
    }

    /// Waits until `deadline`; never returns earlier. Without a latency,
    /// returns at once.
    pub(crate) async fn until(&self, deadline: Instant) {
        if self.delay.is_zero() {
            return;
        }
        #[cfg(target_os = "linux")]
        if let Some(timer) = self.timer.get_or_init(precise::Timer::start) {
            return timer.until(deadline).await;
        }
        tokio::time::sleep_until(deadline.into()).await;
    }
}

impl Drop for Latency {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(Some(timer)) = self.timer.get() {
            timer.close();
        }
    }
}

#[cfg(target_os = "linux")]
mod precise {
    use std::collections::BTreeMap;
    use std::os::fd::OwnedFd;
    use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
    use std::time::{Duration, Instant};

    use rustix::time::{Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec};
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;
    use tokio::sync::oneshot;

    pub(super) struct Timer {
        fd: AsyncFd<OwnedFd>,
        state: Mutex<Pending>,
    }

    #[derive(Default)]
    struct Pending {
        /// Keyed by deadline, then by arrival, so equal deadlines stay distinct.
        waiting: BTreeMap<(Instant, u64), oneshot::Sender<()>>,
        next_id: u64,
        /// Set when the sandbox's app is dropped: the task then ends.
        closed: bool,
    }

    impl Timer {
        /// The timer and the task that answers its expirations; `None` when
        /// the kernel gives no timerfd (the waits then use tokio's timer).
        pub(super) fn start() -> Option<Arc<Timer>> {
            let fd = rustix::time::timerfd_create(
                TimerfdClockId::Monotonic,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            )
            .ok()?;
            // SAFETY: the `AsyncFd` owns the timerfd, which stays open (and
            // the same) until the `AsyncFd` is dropped.
            let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.ok()?;
            let timer = Arc::new(Timer {
                fd,
                state: Mutex::new(Pending::default()),
            });
            tokio::spawn(timer.clone().run());
            Some(timer)
        }

        pub(super) async fn until(&self, deadline: Instant) {
            let (done, woken) = oneshot::channel();
            {
                let mut pending = self.lock();
                let id = pending.next_id;
                pending.next_id += 1;
                let earliest = pending
                    .waiting
                    .keys()
                    .next()
                    .is_none_or(|&(at, _)| deadline < at);
                pending.waiting.insert((deadline, id), done);
                if earliest {
                    self.arm(Some(deadline));
                }
            }
            // An error means the task is gone (the app is being dropped, or
            // the timer failed); the deadline still holds.
            if woken.await.is_err() {
                tokio::time::sleep_until(deadline.into()).await;
            }
        }

        pub(super) fn close(&self) {
            let mut pending = self.lock();
            pending.closed = true;
            // Fires at once, so the task sees `closed` and ends.
            self.arm(Some(Instant::now()));
        }

        fn lock(&self) -> MutexGuard<'_, Pending> {
            self.state.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// Sets the timer to fire at `at` (at once if that has passed), or
        /// stops it. Called with the lock held, so arming stays in order.
        fn arm(&self, at: Option<Instant>) {
            let left = at.map(|at| {
                // A zero value would stop the timer instead of firing it.
                at.saturating_duration_since(Instant::now())
                    .max(Duration::from_nanos(1))
            });
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let value = left.map_or(zero, |left| Timespec {
                tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
                tv_nsec: left.subsec_nanos().into(),
            });
            let spec = Itimerspec {
                it_interval: zero,
                it_value: value,
            };
            // Cannot fail for a valid timerfd and value; should it, the
            // waiters fall back to tokio's timer when the task ends.
            let _ =
                rustix::time::timerfd_settime(self.fd.get_ref(), TimerfdTimerFlags::empty(), &spec);
        }

        /// Each time the timer fires, wakes the requests whose deadline has
        /// come and arms it for the next. Ends when the app is dropped or the
        /// reactor fails; then the waiters' senders are dropped, and each
        /// waits out its deadline on tokio's timer.
        async fn run(self: Arc<Timer>) {
            loop {
                let Ok(mut ready) = self.fd.readable().await else {
                    break;
                };
                let mut expirations = [0u8; 8];
                // Readiness is cleared only when the read would block, so
                // an expiration between the read and the clearing is never
                // lost.
                match ready.try_io(|fd| Ok(rustix::io::read(fd.get_ref(), &mut expirations)?)) {
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) => break,
                    Err(_would_block) => continue,
                }
                let mut pending = self.lock();
                if pending.closed {
                    break;
                }
                let now = Instant::now();
                while let Some(due) = pending.waiting.first_entry() {
                    if due.key().0 > now {
                        break;
                    }
                    // A request whose client went away has dropped its receiver.
                    let _ = due.remove().send(());
                }
                let next = pending.waiting.keys().next().map(|&(at, _)| at);
                self.arm(next);
            }
            self.lock().waiting.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn no_wait_ends_before_its_deadline_even_among_many() {
        let latency = Arc::new(Latency::new(Duration::from_millis(3)));
        let waits = (0..200).map(|i| {
            let latency = latency.clone();
            tokio::spawn(async move {
                // Staggered, so deadlines arrive out of order with the earliest.
                tokio::time::sleep(Duration::from_micros(i % 7 * 100)).await;
                let started = Instant::now();
                latency.until(latency.deadline()).await;
                started.elapsed()
            })
        });
        for waited in futures::future::join_all(waits).await {
            let waited = waited.unwrap();
            assert!(waited >= Duration::from_millis(3), "{waited:?}");
        }
    }

    #[tokio::test]
    async fn a_deadline_already_past_and_a_zero_latency_do_not_wait() {
        let latency = Latency::new(Duration::from_millis(50));
        let started = Instant::now();
        latency.until(started).await;
        assert!(started.elapsed() < Duration::from_millis(50));
        let none = Latency::new(Duration::ZERO);
        none.until(none.deadline() + Duration::from_secs(60)).await;
        #[cfg(target_os = "linux")]
        assert!(none.timer.get().is_none(), "no timer without a latency");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn on_linux_the_waits_use_the_timerfd_and_end_with_the_app() {
        let latency = Latency::new(Duration::from_millis(2));
        latency.until(latency.deadline()).await;
        let timer = latency.timer.get().cloned().flatten();
        let timer = timer.expect("a timerfd on Linux");
        drop(latency);
        // The task lets go of its handle once it has seen the close.
        for _ in 0..100 {
            if Arc::strong_count(&timer) == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the timer's task did not end when the app was dropped");
    }
}
