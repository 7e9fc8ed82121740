//! Running stacks in dependency order, not in organization-wide waves.
//!
//! Waves are a plan's way of saying what comes first; as barriers they make
//! the slowest stack of a wave hold back every account, and one failure
//! anywhere stop the whole organization. Here a stack starts as soon as
//! every stack it depends on has succeeded, at most `limit` at once, and a
//! failure holds back only the stacks that depend on it (transitively);
//! everything else goes on.

use std::collections::HashMap;
use std::future::Future;

use tokio::task::JoinSet;

/// One unit of work and the names of the jobs it waits for. Names not
/// among the jobs are taken as already done (stacks left out of the deploy,
/// the organization layer applied before).
#[derive(Debug, Clone)]
pub struct Job<T> {
    pub name: String,
    pub depends_on: Vec<String>,
    pub item: T,
}

/// What became of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished<R> {
    /// It ran; the caller's `succeeded` decides what its result means.
    Ran(R),
    /// It never started: `failed` is the job whose failure it waits on
    /// (the first one, followed through blocked jobs to the root).
    Blocked { failed: String },
}

/// Runs `start` on every job whose dependencies all succeeded, at most
/// `limit` at once, starting ready jobs in input order (the plan's order).
/// `finished` is told of each result as it comes (for journals and
/// progress). Results are returned in input order.
pub async fn in_dependency_order<T, R, F, Fut>(
    jobs: Vec<Job<T>>,
    limit: usize,
    succeeded: impl Fn(&R) -> bool,
    mut finished: impl FnMut(&str, &Finished<R>),
    start: F,
) -> Vec<Finished<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    let limit = limit.max(1);
    let n = jobs.len();
    let index: HashMap<String, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.name.clone(), i))
        .collect();
    let mut waits_for: Vec<Vec<usize>> = Vec::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    let mut items: Vec<Option<T>> = Vec::with_capacity(n);
    for job in jobs {
        let mut deps: Vec<usize> = job
            .depends_on
            .iter()
            .filter_map(|d| index.get(d).copied())
            .collect();
        deps.sort_unstable();
        deps.dedup();
        waits_for.push(deps);
        names.push(job.name);
        items.push(Some(job.item));
    }
    let mut results: Vec<Option<Finished<R>>> = (0..n).map(|_| None).collect();
    // The root failure behind each job that did not succeed.
    let mut failed_root: Vec<Option<String>> = vec![None; n];
    // Dropping the set aborts what runs: a deploy whose future is dropped
    // (Ctrl-C, a timeout) leaves nothing running behind it.
    let mut set = JoinSet::new();
    let mut task_of: HashMap<tokio::task::Id, usize> = HashMap::new();
    loop {
        // Settle what can be settled without running anything: jobs held
        // back by a failure, in input order so the root is the first one.
        let mut progressed = true;
        while progressed {
            progressed = false;
            for i in 0..n {
                if items[i].is_none() {
                    continue;
                }
                if let Some(root) = waits_for[i].iter().find_map(|&d| failed_root[d].clone()) {
                    items[i] = None;
                    let blocked = Finished::Blocked {
                        failed: root.clone(),
                    };
                    finished(&names[i], &blocked);
                    results[i] = Some(blocked);
                    failed_root[i] = Some(root);
                    progressed = true;
                }
            }
        }
        // Start what is ready.
        for i in 0..n {
            if set.len() >= limit {
                break;
            }
            let ready = items[i].is_some()
                && waits_for[i].iter().all(|&d| {
                    matches!(results[d], Some(Finished::Ran(_))) && failed_root[d].is_none()
                });
            if !ready {
                continue;
            }
            let Some(item) = items[i].take() else {
                continue;
            };
            let handle = set.spawn(start(item));
            task_of.insert(handle.id(), i);
        }
        let Some(joined) = set.join_next_with_id().await else {
            break;
        };
        let (i, result) = match joined {
            Ok((id, result)) => (task_of.get(&id).copied(), result),
            // A job that panicked has no result: it failed, and what
            // depends on it is held back.
            Err(e) => {
                if let Some(&i) = task_of.get(&e.id()) {
                    failed_root[i] = Some(names[i].clone());
                }
                continue;
            }
        };
        let Some(i) = i else {
            continue;
        };
        if !succeeded(&result) {
            failed_root[i] = Some(names[i].clone());
        }
        let ran = Finished::Ran(result);
        finished(&names[i], &ran);
        results[i] = Some(ran);
    }
    // A job left over waits on a cycle, or panicked: it has no result.
    for i in 0..n {
        if results[i].is_none() {
            let stuck = Finished::Blocked {
                failed: waits_for[i]
                    .iter()
                    .find(|&&d| results[d].is_none() || failed_root[d].is_some())
                    .map_or_else(|| names[i].clone(), |&d| names[d].clone()),
            };
            finished(&names[i], &stuck);
            results[i] = Some(stuck);
        }
    }
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    fn job(name: &str, deps: &[&str]) -> Job<(String, u64)> {
        Job {
            name: name.into(),
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
            item: (name.to_owned(), 0),
        }
    }

    fn slow(mut j: Job<(String, u64)>, ms: u64) -> Job<(String, u64)> {
        j.item.1 = ms;
        j
    }

    /// Runs `jobs`; a job named `bad*` fails. Returns the results and the
    /// order in which jobs started.
    async fn run(
        jobs: Vec<Job<(String, u64)>>,
        limit: usize,
    ) -> (Vec<Finished<(String, bool)>>, Vec<String>, usize) {
        let started = Arc::new(Mutex::new(Vec::new()));
        let now = Arc::new(Mutex::new((0usize, 0usize)));
        let s = started.clone();
        let c = now.clone();
        let results = in_dependency_order(
            jobs,
            limit,
            |r: &(String, bool)| r.1,
            |_, _| {},
            move |(name, ms): (String, u64)| {
                let s = s.clone();
                let c = c.clone();
                async move {
                    s.lock().unwrap().push(name.clone());
                    {
                        let mut c = c.lock().unwrap();
                        c.0 += 1;
                        c.1 = c.1.max(c.0);
                    }
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    c.lock().unwrap().0 -= 1;
                    let ok = !name.starts_with("bad");
                    (name, ok)
                }
            },
        )
        .await;
        let order = started.lock().unwrap().clone();
        let peak = now.lock().unwrap().1;
        (results, order, peak)
    }

    #[tokio::test]
    async fn a_failure_holds_back_only_what_depends_on_it() {
        // Two accounts: `a` fails its network stack; `b` is independent.
        let jobs = vec![
            job("bad-network-a", &[]),
            job("network-b", &[]),
            job("services-a", &["bad-network-a"]),
            job("services-b", &["network-b"]),
            job("edge-a", &["services-a"]),
        ];
        let (results, order, _) = run(jobs, 4).await;
        assert_eq!(results[0], Finished::Ran(("bad-network-a".into(), false)));
        assert_eq!(results[1], Finished::Ran(("network-b".into(), true)));
        assert_eq!(
            results[2],
            Finished::Blocked {
                failed: "bad-network-a".into()
            }
        );
        assert_eq!(results[3], Finished::Ran(("services-b".into(), true)));
        // Followed to the root, not the blocked stack in between.
        assert_eq!(
            results[4],
            Finished::Blocked {
                failed: "bad-network-a".into()
            }
        );
        assert!(!order.contains(&"services-a".to_owned()));
    }

    #[tokio::test]
    async fn a_stack_starts_when_its_own_dependencies_are_done_not_its_waves() {
        // `slow` is in the first wave; `b2` is in the second but depends
        // only on the quick `b1`: it does not wait for `slow`.
        let jobs = vec![
            slow(job("slow", &[]), 300),
            job("b1", &[]),
            job("b2", &["b1"]),
            job("after-slow", &["slow"]),
        ];
        let (results, order, _) = run(jobs, 4).await;
        assert!(results
            .iter()
            .all(|r| matches!(r, Finished::Ran((_, true)))));
        let pos = |n: &str| order.iter().position(|o| o == n).unwrap();
        assert!(pos("b2") < pos("after-slow"), "{order:?}");
    }

    #[tokio::test]
    async fn no_more_than_the_limit_run_at_once() {
        let jobs: Vec<_> = (0..10)
            .map(|i| slow(job(&format!("s{i}"), &[]), 20))
            .collect();
        let (results, order, peak) = run(jobs, 3).await;
        assert_eq!(results.len(), 10);
        assert_eq!(peak, 3);
        // Ready jobs start in the plan's order.
        assert_eq!(order[..3], ["s0", "s1", "s2"]);
    }

    #[tokio::test]
    async fn unknown_dependencies_are_taken_as_done_and_cycles_do_not_hang() {
        let jobs = vec![
            job("x", &["left-out-of-the-deploy"]),
            job("c1", &["c2"]),
            job("c2", &["c1"]),
        ];
        let (results, _, _) = run(jobs, 2).await;
        assert_eq!(results[0], Finished::Ran(("x".into(), true)));
        assert!(matches!(results[1], Finished::Blocked { .. }));
        assert!(matches!(results[2], Finished::Blocked { .. }));
    }

    /// A deploy cut off (its future dropped on Ctrl-C or a timeout) must
    /// not leave stack operations starting behind the next run's back.
    #[tokio::test]
    async fn dropping_the_run_stops_its_jobs() {
        let finished = Arc::new(Mutex::new(0usize));
        let f = finished.clone();
        let run = in_dependency_order(
            vec![job("a", &[]), job("b", &[])],
            2,
            |_: &()| true,
            |_, _| {},
            move |_| {
                let f = f.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    *f.lock().unwrap() += 1;
                }
            },
        );
        assert!(tokio::time::timeout(Duration::from_millis(50), run)
            .await
            .is_err());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(*finished.lock().unwrap(), 0);
    }
}
