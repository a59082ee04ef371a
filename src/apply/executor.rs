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
use super::results::{Arriving, Results};
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
    pub results: Results,
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
    results: Arriving,
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
            results: Arriving::new(total),
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
        let total = self.results.room();
        let results = self.results.finish();
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
                entry: job.entry,
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
        self.results.set(index, job.entry, result);
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
            self.results.set(index, job.entry, result);
        }
    }
}

#[cfg(test)]
pub(super) mod tests;
