//! The executor's tests: results in order, the parallelism, retries, stops.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::api::RetryPolicy;
use crate::apply::Failure;
use crate::apply::results::Settled;
use crate::apply::{Action, Outcome};
use crate::interrupt;
use crate::manifest::SourceLocation;

/// `n` jobs, creates and updates in turn, their payload their index.
pub(in crate::apply) fn jobs(n: usize) -> Vec<Job<usize>> {
    (0..n)
        .map(|i| Job {
            entry: i,
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

/// The results in order, to index.
fn results(execution: &Execution) -> Vec<Settled<'_>> {
    execution.results.iter().collect()
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
        assert_eq!(result.entry, i);
        let expected = if i % 10 == 3 {
            Outcome::Failed {
                reason: format!("boom {i}").into(),
            }
        } else if i % 2 == 0 {
            Outcome::Created
        } else {
            Outcome::Updated
        };
        assert_eq!(*result.outcome, expected);
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
    for result in execution.results.iter() {
        assert_eq!(
            *result.outcome,
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
        *results(&execution)[0].outcome,
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
    assert_eq!(*results(&execution)[0].outcome, Outcome::Updated);
    assert!(
        results(&execution)[0]
            .note
            .unwrap_or("")
            .contains("planned as a create")
    );
    assert_eq!(*results(&execution)[1].outcome, Outcome::Created);
    assert!(
        results(&execution)[1]
            .note
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
            *results(&execution)[0].outcome,
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
