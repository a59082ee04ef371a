//! Runs jobs through a send function, at most `--parallelism` at once, until
//! all are done or a stop is requested.
//!
//! The number in flight is the user's and never moves: the API's 429s are
//! the shared pace's business (`api::pace`), which spaces the requests out
//! in time. Halving the concurrency on a 429 used to be the instrument, and
//! a few stray 429s then left a run crawling at one request at a time.
//!
//! A job whose try failed transiently (the send function says when it may
//! be tried again, as the API's retry policy decided) goes back into a queue
//! ordered by that instant and gives up its slot: the next entry is sent
//! meanwhile, so a few failures cost their own backoff, not the run's
//! throughput. A retry that is due goes before fresh entries.
//!
//! Jobs are taken from their iterator only as slots free up, and each is
//! kept only until its result is in: the jobs of a big file are never all
//! made at once.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rustc_hash::FxHashMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::progress::Progress;
use super::{EntryResult, Failure, Job, Reason, Sent, Stopped};
use crate::api::{Cause, Pacer, Retry};
use crate::interrupt::Stop;

/// How to run.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// Requests in flight at most.
    pub parallelism: usize,
    /// The rate-limit note stays up this long after the last 429.
    pub note_linger: Duration,
    /// After a stop, how long requests in flight may take to finish.
    pub grace: Duration,
    /// The pace the send function waits for, told how much work is left.
    pub pace: Option<Pacer>,
}

impl ExecutorConfig {
    pub fn new(parallelism: usize) -> ExecutorConfig {
        ExecutorConfig {
            parallelism: parallelism.max(1),
            note_linger: Duration::from_secs(2),
            grace: Duration::from_secs(30),
            pace: None,
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
    /// Tries abandoned in flight after a stop (a second Ctrl-C, or the grace
    /// period ran out): whether they reached the API is unknown.
    pub abandoned: usize,
    /// Whether a stop was requested before all jobs were sent.
    pub interrupted: bool,
    /// Why the run stopped early on its own: a failure that every further
    /// request would share.
    pub aborted: Option<Reason>,
    /// How long the run took.
    pub elapsed: Duration,
}

/// What a finished try hands back to the loop, with its slot: the slot is
/// freed only once the loop has taken the answer in, so a fatal answer
/// stops the run before another request can take the slot.
type Tried = (usize, Result<Sent, Failure>, OwnedSemaphorePermit);

/// Sends every job with `send(payload, try)` (tries count from 1), at most
/// `limit` at once, and collects the results. A failure of one job never
/// stops the others; a failure that says to retry puts the job back for
/// later without holding a slot. A stop request stops new sends and waits
/// (up to the grace period) for those in flight; a fatal failure stops new
/// sends too. Jobs still waiting to be retried then fail with their last
/// reason.
pub async fn execute<T, F, Fut>(
    jobs: impl IntoIterator<Item = Job<T>, IntoIter: ExactSizeIterator>,
    send: F,
    config: &ExecutorConfig,
    progress: &Progress,
    stop: &Stop,
) -> Execution
where
    T: Send + Sync + 'static,
    F: Fn(Arc<T>, u32) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Sent, Failure>> + Send + 'static,
{
    let begun = Instant::now();
    let mut run = Run::new(jobs.into_iter(), config, progress);
    let mut in_flight: JoinSet<Tried> = JoinSet::new();
    let interrupted = run.send_all(Arc::new(send), &mut in_flight, stop).await;
    if interrupted {
        run.wait_for_in_flight(&mut in_flight, config.grace, stop)
            .await;
    }
    run.give_up_waiting(if interrupted {
        Stopped::Interrupted
    } else {
        Stopped::Aborted
    });
    run.into_execution(interrupted, begun.elapsed())
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The loop's bookkeeping: the jobs still to take, those taken and not
/// finished (by index), the retry queue.
struct Run<'a, T, I> {
    fresh: I,
    /// How many jobs the iterator said it holds.
    total: usize,
    /// Jobs sent or waiting to be retried, by index; each leaves with its
    /// result.
    open: FxHashMap<usize, Open<T>>,
    results: Vec<Option<EntryResult>>,
    next_fresh: usize,
    /// Jobs waiting to be retried, earliest instant first.
    waiting: BinaryHeap<Reverse<(Instant, usize)>>,
    slots: Arc<Semaphore>,
    progress: &'a Progress,
    aborted: Option<Reason>,
    last_throttle: Option<Instant>,
    note_linger: Duration,
    /// Tries in flight whose wait was abandoned after a stop.
    abandoned: usize,
    pace: Option<Pacer>,
}

/// A job taken from the iterator, with the try it is at (1 before its first
/// send) and, while it waits to be retried, its last failure.
struct Open<T> {
    job: Job<Arc<T>>,
    tries: u32,
    cause: Option<Cause>,
}

impl<'a, T, I: ExactSizeIterator<Item = Job<T>>> Run<'a, T, I> {
    fn new(fresh: I, config: &ExecutorConfig, progress: &'a Progress) -> Run<'a, T, I> {
        let total = fresh.len();
        Run {
            slots: Arc::new(Semaphore::new(config.parallelism.max(1))),
            fresh,
            total,
            open: FxHashMap::default(),
            results: vec![None; total],
            next_fresh: 0,
            waiting: BinaryHeap::new(),
            progress,
            aborted: None,
            last_throttle: None,
            note_linger: config.note_linger,
            abandoned: 0,
            pace: config.pace.clone(),
        }
    }

    /// Sends jobs until all are answered, a fatal failure stops the run
    /// (after those in flight are answered), or a stop is requested (then
    /// `true`, with tries still in flight).
    async fn send_all<F, Fut>(
        &mut self,
        send: Arc<F>,
        in_flight: &mut JoinSet<Tried>,
        stop: &Stop,
    ) -> bool
    where
        T: Send + Sync + 'static,
        F: Fn(Arc<T>, u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Sent, Failure>> + Send + 'static,
    {
        loop {
            let now = Instant::now();
            let due = self
                .waiting
                .peek()
                .is_some_and(|Reverse((at, _))| *at <= now);
            let fresh = self.next_fresh < self.total;
            if !fresh && self.waiting.is_empty() && in_flight.is_empty() {
                return false;
            }
            if self.aborted.is_some() {
                while let Some(joined) = in_flight.join_next().await {
                    self.finished(joined, Some(Stopped::Aborted));
                }
                return false;
            }
            let wake = self.waiting.peek().map(|Reverse((at, _))| *at);
            tokio::select! {
                biased;
                () = stop.stopping() => return true,
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    self.finished(joined, None);
                }
                permit = Arc::clone(&self.slots).acquire_owned(), if due || fresh => {
                    // The semaphore is never closed.
                    let Ok(permit) = permit else {
                        continue;
                    };
                    let Some(index) = self.next_job() else {
                        continue;
                    };
                    let Some(open) = self.open.get(&index) else {
                        continue;
                    };
                    let send = Arc::clone(&send);
                    let payload = Arc::clone(&open.job.payload);
                    let tries = open.tries;
                    in_flight.spawn(async move {
                        let answer = send(payload, tries).await;
                        (index, answer, permit)
                    });
                }
                () = sleep_until_some(wake), if !due && wake.is_some() => {}
            }
        }
    }

    /// After a stop: takes in the answers of the tries in flight, for up to
    /// `grace` or until a second stop, then abandons the rest.
    async fn wait_for_in_flight(
        &mut self,
        in_flight: &mut JoinSet<Tried>,
        grace: Duration,
        stop: &Stop,
    ) {
        self.progress.println(&format!(
            "Stopping: no new requests; waiting for {} in flight to finish…",
            in_flight.len()
        ));
        let drain = async {
            while let Some(joined) = in_flight.join_next().await {
                self.finished(joined, Some(Stopped::Interrupted));
            }
        };
        let finished = tokio::select! {
            () = drain => true,
            () = tokio::time::sleep(grace) => false,
            () = stop.abandoning() => false,
        };
        if !finished {
            // Their outcome is unknown; a rerun of apply settles them,
            // since an upsert by matching attribute is idempotent.
            in_flight.abort_all();
            // A try that had already been answered still tells its outcome:
            // only the aborted ones end without a result, and are counted
            // apart from those never sent.
            while let Some(joined) = in_flight.join_next().await {
                match joined {
                    Err(error) if error.is_cancelled() => self.abandoned += 1,
                    joined => self.finished(joined, Some(Stopped::Interrupted)),
                }
            }
        }
    }

    /// The results in the jobs' order, and what did not get one.
    fn into_execution(self, interrupted: bool, elapsed: Duration) -> Execution {
        let total = self.results.len();
        let results: Vec<EntryResult> = self.results.into_iter().flatten().collect();
        Execution {
            // Jobs never started; the abandoned ones had started.
            not_sent: total - results.len() - self.abandoned,
            abandoned: self.abandoned,
            results,
            interrupted,
            aborted: self.aborted,
            elapsed,
        }
    }

    /// The job to send next: a retry that is due, else the next fresh one.
    fn next_job(&mut self) -> Option<usize> {
        if let Some(pace) = &self.pace {
            pace.remaining(self.total - self.next_fresh + self.waiting.len());
        }
        let now = Instant::now();
        if self
            .waiting
            .peek()
            .is_some_and(|Reverse((at, _))| *at <= now)
        {
            return self.waiting.pop().map(|Reverse((_, index))| index);
        }
        if self.next_fresh < self.total {
            let Some(job) = self.fresh.next() else {
                // Fewer than the iterator said: there are no more.
                self.total = self.next_fresh;
                return None;
            };
            let index = self.next_fresh;
            self.next_fresh += 1;
            let job = Job {
                source: job.source,
                label: job.label,
                action: job.action,
                payload: Arc::new(job.payload),
            };
            let open = Open {
                job,
                tries: 1,
                cause: None,
            };
            self.open.insert(index, open);
            return Some(index);
        }
        None
    }

    /// Takes in a finished try. After a stop (`stopped` says which), a try
    /// that asks to be retried fails instead.
    fn finished(
        &mut self,
        joined: Result<Tried, tokio::task::JoinError>,
        stopped: Option<Stopped>,
    ) {
        // `_permit` lives to the end: the slot frees once this is taken in.
        let (index, answer, _permit) = match joined {
            Ok(tried) => tried,
            // A task only ends this way when aborted or when the send
            // function panicked; neither leaves a result to show.
            Err(error) => {
                tracing::debug!("an upsert task ended without a result: {error}");
                return;
            }
        };
        if !self.open.contains_key(&index) {
            return;
        }
        let outcome = match (answer, stopped) {
            (Ok(sent), _) => Ok(sent),
            (Err(Failure::Retry(retry)), None) => return self.retry_later(index, retry),
            // After a stop the try is not made.
            (Err(Failure::Retry(retry)), Some(stopped)) => Err(Reason::NotRetried {
                cause: retry.cause,
                stopped,
            }),
            (Err(Failure::Entry(reason)), _) => Err(reason),
            (Err(Failure::Fatal(reason)), _) => {
                if self.aborted.is_none() {
                    self.progress.println(&format!("Stopping: {reason}"));
                    self.aborted = Some(reason.clone());
                }
                Err(reason)
            }
        };
        let Some(Open { job, .. }) = self.open.remove(&index) else {
            return;
        };
        let result = match outcome {
            Ok(sent) => {
                self.end_throttle_note();
                EntryResult::sent(job.source, job.label, job.action, sent)
            }
            Err(reason) => EntryResult::failed(job.source, job.label, job.action, reason),
        };
        self.progress.entry_finished(&result);
        if let Some(slot) = self.results.get_mut(index) {
            *slot = Some(result);
        }
    }

    /// A success after the last throttled answer has lingered long enough
    /// takes the rate-limit note off the progress display.
    fn end_throttle_note(&mut self) {
        if self
            .last_throttle
            .is_some_and(|at| at.elapsed() >= self.note_linger)
        {
            self.last_throttle = None;
            self.progress.rate_limited(None);
        }
    }

    /// Puts the job at `index` back in line for its next try, once `retry`
    /// says how long to wait.
    fn retry_later(&mut self, index: usize, retry: Retry) {
        let Some(open) = self.open.get_mut(&index) else {
            return;
        };
        if let Some(pace) = retry.pace {
            self.last_throttle = Some(Instant::now());
            self.progress.rate_limited(Some(pace));
        }
        self.progress
            .println(&retry.line(&open.job.source.to_string()));
        open.tries = retry.next_try;
        open.cause = Some(retry.cause);
        self.waiting
            .push(Reverse((Instant::now() + retry.wait, index)));
    }

    /// After a stop, the jobs still waiting to be retried fail with the
    /// reason of their last try.
    fn give_up_waiting(&mut self, stopped: Stopped) {
        while let Some(Reverse((_, index))) = self.waiting.pop() {
            let Some(Open { job, cause, .. }) = self.open.remove(&index) else {
                continue;
            };
            // A job waits only after a try that asked to be retried.
            let Some(cause) = cause else {
                continue;
            };
            let result = EntryResult::failed(
                job.source,
                job.label,
                job.action,
                Reason::NotRetried { cause, stopped },
            );
            self.progress.entry_finished(&result);
            if let Some(slot) = self.results.get_mut(index) {
                *slot = Some(result);
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::api::RetryPolicy;
    use crate::apply::Failure;
    use crate::apply::{Action, Outcome};
    use crate::interrupt;
    use crate::manifest::SourceLocation;

    /// `n` jobs, creates and updates in turn, their payload their index.
    pub(in crate::apply) fn jobs(n: usize) -> Vec<Job<usize>> {
        (0..n)
            .map(|i| Job {
                source: SourceLocation {
                    file: PathBuf::from("people.yaml").into(),
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
        ExecutorConfig::new(parallelism)
    }

    /// The retry the API's policy decides after try `tries` failed with `cause`.
    fn retry(cause: Cause, tries: u32) -> Failure {
        match RetryPolicy::default().after(&cause, tries) {
            Some(retry) => Failure::retry(retry),
            None => Failure::entry(cause.to_string()),
        }
    }

    #[tokio::test]
    async fn every_job_gets_a_result_in_order_and_failures_do_not_stop_others() {
        let execution = execute(
            jobs(50),
            |i: Arc<usize>, _| async move {
                let i = *i;
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
                    reason: format!("boom {i}").into(),
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
    async fn never_more_in_flight_than_the_parallelism_nor_more_jobs_taken() {
        let current = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        // Jobs taken from the iterator and not yet answered, at most.
        let taken = Arc::new(AtomicUsize::new(0));
        let ahead = Arc::new(AtomicUsize::new(0));
        let counted = {
            let taken = taken.clone();
            jobs(40).into_iter().inspect(move |_| {
                taken.fetch_add(1, Ordering::SeqCst);
            })
        };
        let (c, p, t, a) = (current.clone(), peak.clone(), taken.clone(), ahead.clone());
        let answered = Arc::new(AtomicUsize::new(0));
        execute(
            counted,
            move |_, _| {
                let (c, p, t, a) = (c.clone(), p.clone(), t.clone(), a.clone());
                let answered = answered.clone();
                async move {
                    let now = c.fetch_add(1, Ordering::SeqCst) + 1;
                    p.fetch_max(now, Ordering::SeqCst);
                    let open = t.load(Ordering::SeqCst) - answered.load(Ordering::SeqCst);
                    a.fetch_max(open, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    c.fetch_sub(1, Ordering::SeqCst);
                    answered.fetch_add(1, Ordering::SeqCst);
                    Ok(Sent { created: true })
                }
            },
            &config(3),
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(taken.load(Ordering::SeqCst), 40);
        // An answer counts before its slot is free: one more at most.
        assert!(ahead.load(Ordering::SeqCst) <= 4, "{ahead:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_job_does_not_delay_the_others() {
        // One slot only: if the job waiting to be retried kept it, the other
        // 29 would wait behind its backoff.
        let finished = Arc::new(Mutex::new(Vec::new()));
        let f = finished.clone();
        let begun = Instant::now();
        let execution = execute(
            jobs(30),
            move |i: Arc<usize>, tries| {
                let f = f.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    if *i == 0 && tries < 3 {
                        return Err(retry(Cause::Server { status: 503 }, tries));
                    }
                    f.lock().unwrap().push((*i, tries, begun.elapsed()));
                    Ok(Sent { created: true })
                }
            },
            &config(1),
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        assert!(execution.results.iter().all(|r| !r.is_failed()));
        let finished = finished.lock().unwrap();
        let others = finished.iter().filter(|(i, ..)| *i != 0);
        let last_other = others.map(|(.., at)| *at).max().unwrap();
        // 31 tries of 10 ms: the others are done in about 0.3 s, while job 0
        // waits 0.25 s and then 0.5 s (plus jitter) between its three tries.
        assert!(last_other < Duration::from_millis(350), "{last_other:?}");
        let (_, tries, at) = finished.iter().find(|(i, ..)| *i == 0).unwrap();
        assert_eq!(*tries, 3);
        assert!(*at >= Duration::from_millis(750), "{at:?}");
        assert!(execution.elapsed < Duration::from_millis(1_000));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_429_costs_its_own_request_its_retry_after() {
        let pacer = Pacer::default();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let (p, s) = (pacer.clone(), starts.clone());
        let begun = Instant::now();
        let execution = execute(
            jobs(20),
            move |i: Arc<usize>, tries| {
                let (p, s) = (p.clone(), s.clone());
                async move {
                    let ticket = p.ready().await;
                    s.lock().unwrap().push((*i, tries, begun.elapsed()));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    if *i == 5 && tries == 1 {
                        assert!(!p.throttled(ticket), "a lone 429 cut the pace");
                        let retry_after = Some(Duration::from_secs(1));
                        return Err(retry(Cause::RateLimited { retry_after }, tries));
                    }
                    p.accepted(ticket);
                    Ok(Sent { created: true })
                }
            },
            &config(2),
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        assert!(execution.results.iter().all(|r| !r.is_failed()));
        let starts = starts.lock().unwrap();
        // The other 19 went on at once: 10 rounds of 5 ms.
        let others = starts.iter().filter(|(i, ..)| *i != 5).map(|(.., at)| *at);
        assert!(others.max().unwrap() < Duration::from_millis(100));
        // The throttled one came back after its Retry-After, no sooner.
        let (.., again) = starts
            .iter()
            .find(|(i, tries, _)| *i == 5 && *tries == 2)
            .unwrap();
        assert!(*again >= Duration::from_secs(1), "{again:?}");
        assert_eq!(starts.len(), 21);
        assert_eq!(pacer.rate(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_during_a_wait_to_retry_ends_at_once() {
        let (handle, stop) = interrupt::channel();
        let begun = Instant::now();
        let execution = execute(
            jobs(3),
            move |i: Arc<usize>, tries| {
                let handle = handle.clone();
                async move {
                    if *i == 2 {
                        handle.request();
                    }
                    Err::<Sent, _>(retry(Cause::Refused, tries))
                }
            },
            &config(1),
            &Progress::hidden(),
            &stop,
        )
        .await;
        assert!(begun.elapsed() < Duration::from_millis(100));
        assert!(execution.interrupted);
        assert_eq!(execution.results.len(), 3, "each was sent once");
        for result in &execution.results {
            assert_eq!(
                result.outcome,
                Outcome::Failed {
                    reason: "connection refused (not retried: apply was interrupted)".into()
                }
            );
        }
    }

    #[tokio::test]
    async fn a_job_that_keeps_failing_ends_with_its_last_reason() {
        let execution = execute(
            jobs(1),
            |_, tries| async move {
                // What the client gives once the policy says no more.
                if tries >= 2 {
                    return Err(Failure::entry("gave up after 2 tries"));
                }
                Err(Failure::retry(crate::api::Retry {
                    wait: Duration::from_millis(5),
                    next_try: tries + 1,
                    max_tries: 2,
                    cause: Cause::Dropped,
                    pace: None,
                }))
            },
            &config(1),
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        assert_eq!(
            execution.results[0].outcome,
            Outcome::Failed {
                reason: "gave up after 2 tries".into()
            }
        );
    }

    #[tokio::test]
    async fn a_surprising_status_is_noted() {
        let execution = execute(
            jobs(2),
            // Job 0 is a planned create answered 200; job 1 a planned update answered 201.
            |i: Arc<usize>, _| async move { Ok(Sent { created: *i == 1 }) },
            &config(2),
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
    async fn a_stop_starts_nothing_new_and_lets_in_flight_finish() {
        let (handle, stop) = interrupt::channel();
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let execution = execute(
            jobs(100),
            move |i: Arc<usize>, _| {
                let s = s.clone();
                let handle = handle.clone();
                async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    if *i == 10 {
                        handle.request();
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(Sent { created: true })
                }
            },
            &config(4),
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
            move |i: Arc<usize>, _| {
                let handle = handle.clone();
                async move {
                    if *i == 0 {
                        handle.request();
                        handle.request();
                    }
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok(Sent { created: true })
                }
            },
            &config(2),
            &Progress::hidden(),
            &stop,
        )
        .await;
        assert!(begun.elapsed() < Duration::from_secs(5));
        assert!(execution.interrupted);
        assert!(execution.results.is_empty());
        // Two were in flight: their outcome is unknown, so they are not
        // counted with the eight never sent.
        assert_eq!(execution.abandoned, 2);
        assert_eq!(execution.not_sent, 8);
    }

    #[tokio::test]
    async fn an_entry_answered_before_a_second_stop_is_reported_not_counted_as_abandoned() {
        // Whether the answer is taken in before the abandon is the select's
        // draw: several runs make a lost answer all but certain to show.
        for _ in 0..16 {
            let (handle, stop) = interrupt::channel();
            let execution = execute(
                jobs(2),
                move |i: Arc<usize>, _| {
                    let handle = handle.clone();
                    async move {
                        if *i == 0 {
                            handle.request();
                            handle.request();
                            return Err(Failure::entry("the API rejected it"));
                        }
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        Ok(Sent { created: true })
                    }
                },
                &config(2),
                &Progress::hidden(),
                &stop,
            )
            .await;
            assert!(execution.interrupted);
            assert_eq!(execution.results.len(), 1, "{:?}", execution.results);
            assert_eq!(
                execution.results[0].outcome,
                Outcome::Failed {
                    reason: "the API rejected it".into()
                }
            );
            assert_eq!(execution.abandoned, 1);
            assert_eq!(execution.not_sent, 0);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_parallelism_one_nothing_follows_a_fatal_answer() {
        // The slot used to be freed inside the task, before the loop had
        // taken its answer in: another request could start in between.
        // Many runs on two threads make that window all but certain to show.
        for _ in 0..200 {
            let started = Arc::new(AtomicUsize::new(0));
            let s = started.clone();
            let execution = execute(
                jobs(3),
                move |_, _| {
                    let s = s.clone();
                    async move {
                        s.fetch_add(1, Ordering::SeqCst);
                        Err::<Sent, _>(Failure::fatal("the token may not write"))
                    }
                },
                &config(1),
                &Progress::hidden(),
                &Stop::never(),
            )
            .await;
            assert_eq!(started.load(Ordering::SeqCst), 1);
            assert_eq!(execution.not_sent, 2);
        }
    }

    #[tokio::test]
    async fn a_fatal_failure_starts_nothing_new() {
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let execution = execute(
            jobs(100),
            move |_, _| {
                let s = s.clone();
                async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Err::<Sent, _>(Failure::fatal("the token may not write"))
                }
            },
            &config(4),
            &Progress::hidden(),
            &Stop::never(),
        )
        .await;
        let started = started.load(Ordering::SeqCst);
        assert!(started <= 8, "{started} started");
        assert_eq!(execution.aborted, Some("the token may not write".into()));
        assert!(!execution.interrupted);
        assert_eq!(execution.results.len(), started);
        assert_eq!(execution.not_sent, 100 - started);
    }
}
