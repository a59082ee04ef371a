//! Runs jobs through a send function under the adaptive limit, until all are
//! done or a stop is requested.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::interrupt::Stop;
use super::limiter::{Limiter, LimiterConfig};
use super::progress::Progress;
use super::{EntryResult, Failure, Job, Sent};

/// Reads how many 429 answers the API client has seen so far. The client
/// retries 429s itself, so this running count is how the executor learns of
/// them.
pub type ThrottleProbe = Arc<dyn Fn() -> u64 + Send + Sync>;

/// How to run.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    pub limiter: LimiterConfig,
    /// How often the throttle probe is read.
    pub probe_interval: Duration,
    /// The rate-limit note stays up this long after the last 429.
    pub note_linger: Duration,
    /// After a stop, how long requests in flight may take to finish.
    pub grace: Duration,
}

impl ExecutorConfig {
    pub fn new(parallelism: usize) -> ExecutorConfig {
        ExecutorConfig {
            limiter: LimiterConfig::new(parallelism),
            probe_interval: Duration::from_millis(50),
            note_linger: Duration::from_secs(2),
            grace: Duration::from_secs(30),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Execution {
    /// One result per job that was sent, in the jobs' order.
    pub results: Vec<EntryResult>,
    /// Jobs never started because a stop was requested.
    pub not_sent: usize,
    /// Whether a stop was requested before all jobs were sent.
    pub interrupted: bool,
    /// Why the run stopped early on its own: a failure that every further
    /// request would share.
    pub aborted: Option<String>,
    /// The lowest concurrency limit the run fell to.
    pub min_limit: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

/// Sends every job with `send`, at most `limit` at once, and collects the
/// results. A failure of one job never stops the others; a stop request
/// stops new jobs and waits (up to the grace period) for those in flight.
/// A fatal failure stops new jobs too, and waits for those in flight.
pub async fn execute<T, F, Fut>(
    jobs: Vec<Job<T>>,
    send: F,
    config: &ExecutorConfig,
    throttle: Option<ThrottleProbe>,
    progress: &Progress,
    stop: &Stop,
) -> Execution
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Sent, Failure>> + Send + 'static,
{
    let begun = Instant::now();
    let total = jobs.len();
    let send = Arc::new(send);
    let limiter = Limiter::new(config.limiter);
    let watcher =
        throttle.map(|probe| watch_throttle(probe, limiter.clone(), progress.clone(), config));

    let mut slots: Vec<Option<EntryResult>> = vec![None; total];
    let mut min_limit = limiter.limit();
    let mut in_flight = JoinSet::new();
    let mut pending = jobs.into_iter().enumerate().peekable();
    let mut interrupted = false;
    let mut aborted: Option<String> = None;

    loop {
        if pending.peek().is_none() && in_flight.is_empty() {
            break;
        }
        if aborted.is_some() {
            while let Some(joined) = in_flight.join_next().await {
                let _ = record(joined, &mut slots, &limiter, progress);
            }
            break;
        }
        tokio::select! {
            biased;
            () = stop.stopping() => {
                interrupted = true;
                break;
            }
            Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Some(reason) = record(joined, &mut slots, &limiter, progress) {
                    progress.println(&format!("Stopping: {reason}"));
                    aborted = Some(reason);
                }
            }
            permit = limiter.acquire(), if pending.peek().is_some() => {
                min_limit = min_limit.min(limiter.limit());
                if let Some((index, job)) = pending.next() {
                    let send = Arc::clone(&send);
                    in_flight.spawn(async move {
                        let answer = send(job.payload).await;
                        drop(permit);
                        let result = match answer {
                            Ok(sent) => EntryResult::sent(job.source, job.label, job.action, sent),
                            Err(failure) => {
                                let result = EntryResult::failed(job.source, job.label, job.action, failure.reason.clone());
                                return (index, result, failure.fatal.then_some(failure.reason));
                            }
                        };
                        (index, result, None)
                    });
                }
            }
        }
    }

    if interrupted {
        progress.println(&format!(
            "Stopping: no new requests; waiting for {} in flight to finish…",
            in_flight.len()
        ));
        let drain = async {
            while let Some(joined) = in_flight.join_next().await {
                let _ = record(joined, &mut slots, &limiter, progress);
            }
        };
        let finished = tokio::select! {
            () = drain => true,
            () = tokio::time::sleep(config.grace) => false,
            () = stop.abandoning() => false,
        };
        if !finished {
            // Their outcome is unknown; a rerun of apply settles them,
            // since an upsert by matching attribute is idempotent.
            in_flight.abort_all();
        }
    }
    if let Some(watcher) = watcher {
        watcher.abort();
    }

    let mut results = Vec::with_capacity(total);
    let mut abandoned = 0;
    for slot in slots {
        match slot {
            Some(result) => results.push(result),
            None => abandoned += 1,
        }
    }
    Execution {
        results,
        // Jobs never started, and in-flight ones abandoned after a stop
        // (whether those reached the API is unknown).
        not_sent: abandoned,
        interrupted,
        aborted,
        min_limit,
        elapsed: begun.elapsed(),
    }
}

/// Keeps a finished job's result; returns the reason of a fatal failure.
fn record(
    joined: Result<(usize, EntryResult, Option<String>), tokio::task::JoinError>,
    slots: &mut [Option<EntryResult>],
    limiter: &Limiter,
    progress: &Progress,
) -> Option<String> {
    match joined {
        Ok((index, result, fatal)) => {
            if !result.is_failed() {
                limiter.succeeded();
            }
            progress.entry_finished(&result);
            if let Some(slot) = slots.get_mut(index) {
                *slot = Some(result);
            }
            fatal
        }
        // A task only ends this way when aborted or when the send function
        // panicked; neither leaves a result to show.
        Err(error) => {
            tracing::debug!("an upsert task ended without a result: {error}");
            None
        }
    }
}

/// Reads the throttle probe on a timer: a rising count halves the limit and
/// shows the rate-limit note until 429s stop for a while.
fn watch_throttle(
    probe: ThrottleProbe,
    limiter: Limiter,
    progress: Progress,
    config: &ExecutorConfig,
) -> tokio::task::JoinHandle<()> {
    let interval = config.probe_interval;
    let linger = config.note_linger;
    tokio::spawn(async move {
        let mut seen = probe();
        let mut last_throttle: Option<Instant> = None;
        // What the progress shows, so it changes only when the state does.
        let mut shown: Option<usize> = None;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = probe();
            if now > seen {
                seen = now;
                last_throttle = Some(Instant::now());
                limiter.throttled();
                let limit = limiter.limit();
                if shown != Some(limit) {
                    shown = Some(limit);
                    progress.rate_limited(Some(limit));
                }
            } else if last_throttle.is_some_and(|at| at.elapsed() >= linger) {
                last_throttle = None;
                shown = None;
                progress.rate_limited(None);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    use super::*;
    use crate::apply::Failure;
    use crate::apply::{Action, Outcome, interrupt};
    use crate::manifest::SourceLocation;

    fn jobs(n: usize) -> Vec<Job<usize>> {
        (0..n)
            .map(|i| Job {
                source: SourceLocation {
                    file: PathBuf::from("people.yaml"),
                    line: i + 1,
                    column: 3,
                },
                label: format!("email p{i}@example.com"),
                action: if i.is_multiple_of(2) {
                    Action::Create
                } else {
                    Action::Update
                },
                payload: i,
            })
            .collect()
    }

    fn config(parallelism: usize) -> ExecutorConfig {
        let mut config = ExecutorConfig::new(parallelism);
        config.probe_interval = Duration::from_millis(5);
        config
    }

    #[tokio::test]
    async fn every_job_gets_a_result_in_order_and_failures_do_not_stop_others() {
        let execution = execute(
            jobs(50),
            |i: usize| async move {
                tokio::time::sleep(Duration::from_millis((i % 7) as u64)).await;
                if i % 10 == 3 {
                    Err(Failure::entry(format!("boom {i}")))
                } else {
                    Ok(Sent {
                        created: i.is_multiple_of(2),
                    })
                }
            },
            &config(4),
            None,
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        assert_eq!(execution.results.len(), 50);
        assert_eq!(execution.not_sent, 0);
        assert!(!execution.interrupted);
        for (i, result) in execution.results.iter().enumerate() {
            assert_eq!(result.source.line, i + 1);
            let expected = if i % 10 == 3 {
                Outcome::Failed {
                    reason: format!("boom {i}"),
                }
            } else if i % 2 == 0 {
                Outcome::Created
            } else {
                Outcome::Updated
            };
            assert_eq!(result.outcome, expected);
            assert_eq!(result.note, None);
        }
    }

    #[tokio::test]
    async fn never_more_in_flight_than_the_parallelism() {
        let current = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (c, p) = (current.clone(), peak.clone());
        execute(
            jobs(40),
            move |_| {
                let (c, p) = (c.clone(), p.clone());
                async move {
                    let now = c.fetch_add(1, Ordering::SeqCst) + 1;
                    p.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    c.fetch_sub(1, Ordering::SeqCst);
                    Ok(Sent { created: true })
                }
            },
            &config(3),
            None,
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_surprising_status_is_noted() {
        let execution = execute(
            jobs(2),
            // Job 0 is a planned create answered 200; job 1 a planned update answered 201.
            |i: usize| async move { Ok(Sent { created: i == 1 }) },
            &config(2),
            None,
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        assert_eq!(execution.results[0].outcome, Outcome::Updated);
        assert!(
            execution.results[0]
                .note
                .as_deref()
                .unwrap_or("")
                .contains("planned as a create")
        );
        assert_eq!(execution.results[1].outcome, Outcome::Created);
        assert!(
            execution.results[1]
                .note
                .as_deref()
                .unwrap_or("")
                .contains("planned as an update")
        );
    }

    #[tokio::test]
    async fn throttles_seen_by_the_probe_lower_the_concurrency() {
        let throttles = Arc::new(AtomicU64::new(0));
        let current = Arc::new(AtomicUsize::new(0));
        let late_peak = Arc::new(AtomicUsize::new(0));
        let (t, c, lp) = (throttles.clone(), current.clone(), late_peak.clone());
        let probe_source = throttles.clone();
        let probe: ThrottleProbe = Arc::new(move || probe_source.load(Ordering::SeqCst));
        let mut config = config(8);
        config.limiter.grow_after = 1_000;
        let execution = execute(
            jobs(120),
            move |i: usize| {
                let (t, c, lp) = (t.clone(), c.clone(), lp.clone());
                async move {
                    let now = c.fetch_add(1, Ordering::SeqCst) + 1;
                    if i == 10 {
                        t.fetch_add(1, Ordering::SeqCst);
                    }
                    if i >= 80 {
                        lp.fetch_max(now, Ordering::SeqCst);
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    c.fetch_sub(1, Ordering::SeqCst);
                    Ok(Sent { created: true })
                }
            },
            &config,
            Some(probe),
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        assert_eq!(execution.min_limit, 4);
        assert!(
            late_peak.load(Ordering::SeqCst) <= 4,
            "concurrency after the 429 stays halved"
        );
    }

    #[tokio::test]
    async fn a_stop_starts_nothing_new_and_lets_in_flight_finish() {
        let (handle, stop) = interrupt::channel();
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let execution = execute(
            jobs(100),
            move |i: usize| {
                let s = s.clone();
                let handle = handle.clone();
                async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    if i == 10 {
                        handle.request();
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(Sent { created: true })
                }
            },
            &config(4),
            None,
            &Progress::hidden(),
            &stop,
        )
        .await;
        let started = started.load(Ordering::SeqCst);
        assert!(execution.interrupted);
        assert!(started < 20, "{started} started after the stop");
        assert_eq!(
            execution.results.len(),
            started,
            "every started request finished"
        );
        assert_eq!(execution.not_sent, 100 - started);
    }

    #[tokio::test]
    async fn a_second_stop_abandons_the_wait() {
        let (handle, stop) = interrupt::channel();
        let begun = Instant::now();
        let execution = execute(
            jobs(10),
            move |i: usize| {
                let handle = handle.clone();
                async move {
                    if i == 0 {
                        handle.request();
                        handle.request();
                    }
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok(Sent { created: true })
                }
            },
            &config(2),
            None,
            &Progress::hidden(),
            &stop,
        )
        .await;
        assert!(begun.elapsed() < Duration::from_secs(5));
        assert!(execution.interrupted);
        assert!(execution.results.is_empty());
        assert_eq!(execution.not_sent, 10);
    }

    #[tokio::test]
    async fn a_fatal_failure_starts_nothing_new() {
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let execution = execute(
            jobs(100),
            move |_| {
                let s = s.clone();
                async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Err::<Sent, _>(Failure::fatal("the token may not write"))
                }
            },
            &config(4),
            None,
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        let started = started.load(Ordering::SeqCst);
        assert!(started <= 8, "{started} started");
        assert_eq!(
            execution.aborted.as_deref(),
            Some("the token may not write")
        );
        assert!(!execution.interrupted);
        assert_eq!(execution.results.len(), started);
        assert_eq!(execution.not_sent, 100 - started);
    }
}
