//! The pace against the world `zeeg-api.md` allows, in paused time: apply's
//! executor, the retry policy and the shared pace, sending to the sandbox's
//! own rate limit and faults (as a model, without HTTP: the same rows run
//! through the real binary in `cargo bench --bench apply`).
//!
//! One test per row of the pacing targets, each at default settings.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::{Execution, ExecutorConfig, Failure, Progress, Sent, execute};
use crate::api::{Cause, Pacer, RetryPolicy};
use crate::interrupt::Stop;
use crate::sandbox::faults::Fault;
use crate::sandbox::limit::TokenBucket;
use crate::sandbox::{FailMix, Faults, RateLimit};

/// A loopback round trip.
const LATENCY: Duration = Duration::from_micros(600);

/// The sandbox as a model: its rate limit and its faults.
struct World {
    bucket: Option<Mutex<TokenBucket>>,
    faults: Faults,
    throttled: AtomicUsize,
    requests: AtomicUsize,
}

impl World {
    fn new(limit: Option<RateLimit>, faults: Faults) -> Arc<World> {
        World::started_before(limit, faults, Duration::ZERO)
    }

    /// A sandbox that started `head_start` before the client's first
    /// request: its bucket, empty then, has refilled for that long.
    fn started_before(
        limit: Option<RateLimit>,
        faults: Faults,
        head_start: Duration,
    ) -> Arc<World> {
        let started = Instant::now().into_std() - head_start;
        Arc::new(World {
            bucket: limit.map(|limit| Mutex::new(TokenBucket::new(limit, started))),
            faults,
            throttled: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
        })
    }

    /// What the sandbox answers now: `Ok` or the cause of a failed try.
    fn answer(&self) -> Result<(), Cause> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if let Some(bucket) = &self.bucket {
            let taken = bucket
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(Instant::now().into_std());
            if let Err(wait) = taken {
                let seconds = wait.as_secs_f64().ceil().max(1.0);
                return Err(Cause::RateLimited {
                    retry_after: Some(Duration::from_secs_f64(seconds)),
                });
            }
        }
        match self.faults.draw() {
            None => Ok(()),
            Some(Fault::ServerError) => Err(Cause::Server { status: 500 }),
            Some(Fault::Throttled) => Err(Cause::RateLimited {
                retry_after: Some(Duration::from_secs(1)),
            }),
            Some(Fault::ThrottledBare) => Err(Cause::RateLimited { retry_after: None }),
            Some(Fault::Dropped) => Err(Cause::Dropped),
        }
    }
}

struct Run {
    execution: Execution,
    elapsed: Duration,
    requests: usize,
    throttled: usize,
    /// The pace every 100 ms, from the start.
    paces: Vec<Option<f64>>,
}

/// `n` creates at the default parallelism against `world`.
async fn run(n: usize, world: Arc<World>) -> Run {
    let jobs = super::executor::tests::jobs(n);
    let pacer = Pacer::default();
    let paces = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let (pacer, paces) = (pacer.clone(), paces.clone());
        tokio::spawn(async move {
            loop {
                paces
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(pacer.rate());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let begun = Instant::now();
    let sent_to = world.clone();
    let paced = pacer.clone();
    let execution = execute(
        jobs,
        move |_, tries| {
            let (pacer, world) = (paced.clone(), sent_to.clone());
            async move {
                let ticket = pacer.ready().await;
                tokio::time::sleep(LATENCY / 2).await;
                let answer = world.answer();
                tokio::time::sleep(LATENCY / 2).await;
                let cause = match answer {
                    Ok(()) => {
                        pacer.accepted(ticket);
                        return Ok(Sent { created: true });
                    }
                    Err(cause) => cause,
                };
                let cut = matches!(cause, Cause::RateLimited { .. }) && pacer.throttled(ticket);
                if matches!(cause, Cause::RateLimited { .. }) {
                    world.throttled.fetch_add(1, Ordering::SeqCst);
                }
                match RetryPolicy::default().after(&cause, tries) {
                    Some(mut retry) => {
                        retry.pace = cut.then(|| pacer.rate()).flatten();
                        Err(Failure::retry(retry))
                    }
                    None => Err(Failure::entry(cause.to_string())),
                }
            }
        },
        &ExecutorConfig {
            pace: Some(pacer.clone()),
            ..ExecutorConfig::new(4)
        },
        &Progress::hidden(),
        &Stop::never(),
    )
    .await;
    let elapsed = begun.elapsed();
    sampler.abort();
    let paces = paces.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Run {
        execution,
        elapsed,
        requests: world.requests.load(Ordering::SeqCst),
        throttled: world.throttled.load(Ordering::SeqCst),
        paces,
    }
}

fn limit(per_second: u32) -> Option<RateLimit> {
    NonZeroU32::new(per_second).map(RateLimit::constant)
}

fn share(run: &Run) -> f64 {
    run.throttled as f64 / run.requests.max(1) as f64
}

#[tokio::test(start_paused = true)]
async fn stray_faults_cost_their_own_requests_only() {
    // 300 creates, 15 % of requests failing: 40 % answered 500, 30 % 429
    // with `Retry-After: 1`, 30 % dropped. Over several draws of the faults.
    for seed in 0..8 {
        fastrand::seed(seed);
        let faults = Faults {
            rate: 0.15,
            mix: FailMix::parse("500=0.4,429=0.3,drop=0.3").unwrap_or_default(),
        };
        let run = run(300, World::new(None, faults)).await;
        let failed = run
            .execution
            .results
            .iter()
            .filter(|r| r.is_failed())
            .count();
        assert_eq!(
            (run.execution.results.len(), failed),
            (300, 0),
            "seed {seed}"
        );
        assert!(run.throttled > 0, "seed {seed}: the mix sent no 429");
        assert!(
            run.elapsed <= Duration::from_secs(5),
            "seed {seed}: {:?} with {} 429s",
            run.elapsed,
            run.throttled
        );
        assert!(
            run.paces.iter().all(Option::is_none),
            "seed {seed}: stray 429s paced the run: {:?}",
            run.paces
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_empty_bucket_at_the_start_is_found_and_held() {
    // 2,000 creates at 100/s, the bucket empty at the start: the ideal is 20 s.
    let run = run(2_000, World::new(limit(100), Faults::default())).await;
    assert!(run.execution.results.iter().all(|r| !r.is_failed()));
    assert!(run.elapsed <= Duration::from_secs(21), "{:?}", run.elapsed);
    assert!(
        share(&run) <= 0.02,
        "{} of {} were 429",
        run.throttled,
        run.requests
    );
}

#[tokio::test(start_paused = true)]
async fn a_limit_that_drops_and_recovers_is_followed() {
    // 100/s, 20/s from 5 s, 100/s again from 15 s: the ideal for 2,000 is
    // 500 + 200 + 1,300 at 100/s = 28 s.
    let schedule = RateLimit::schedule("100@0,20@5,100@15").ok();
    let run = run(2_000, World::new(schedule, Faults::default())).await;
    assert!(run.execution.results.iter().all(|r| !r.is_failed()));
    assert!(
        run.elapsed.as_secs_f64() <= 28.0 * 1.2,
        "{:?} against an ideal of 28 s",
        run.elapsed
    );
    assert!(
        share(&run) <= 0.05,
        "{} of {} were 429",
        run.throttled,
        run.requests
    );
    // Above 80/s within 5 s of the limit's return (15 s in, 100 ms a sample;
    // the schedule starts at the first request, which is the run's start).
    let back = run
        .paces
        .iter()
        .enumerate()
        .skip(150)
        .find(|(_, pace)| pace.is_some_and(|p| p > 80.0))
        .map(|(i, _)| Duration::from_millis(100 * i as u64 - 15_000));
    assert!(
        back.is_some_and(|b| b <= Duration::from_secs(5)),
        "back above 80/s {back:?} after the limit returned"
    );
    // In the slow step the pace stays near 20/s, not far above it.
    let slow: Vec<f64> = run.paces[70..140].iter().flatten().copied().collect();
    let mean = slow.iter().sum::<f64>() / slow.len().max(1) as f64;
    assert!(
        (12.0..=30.0).contains(&mean),
        "{mean:.1}/s in the 20/s step"
    );
}

#[tokio::test(start_paused = true)]
async fn a_short_run_against_a_low_limit_keeps_to_it() {
    // 200 creates at 50/s, the bucket empty: the ideal is 4 s. The client
    // starts at once, or a little after the sandbox as a process does.
    for head_start in [0, 10, 20, 50, 100] {
        let world = World::started_before(
            limit(50),
            Faults::default(),
            Duration::from_millis(head_start),
        );
        let run = run(200, world).await;
        assert!(run.execution.results.iter().all(|r| !r.is_failed()));
        assert!(
            run.elapsed <= Duration::from_millis(4_400),
            "{:?} when the sandbox started {head_start} ms before",
            run.elapsed
        );
    }
}
