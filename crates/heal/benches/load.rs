//! Load on the webhook, on loopback: concurrent Alertmanager-shaped posts
//! (one alert each, distinct episodes) for a fixed time at a fixed rate;
//! reports accepted alerts per second, latency percentiles, loss (accepted
//! but not in the journal), decisions per second and resident memory.
//!
//!     cargo bench -p landfall-heal --bench load -- [seconds] [rate]
//!
//! Defaults: 20 s at 2,000 alerts/s (the target: 2,000/s sustained, p99 at
//! most 50 ms, no loss; 1,000 decisions/s; under 100 MB).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use landfall_heal::journal::Journal;
use landfall_heal::server::{self, Executor, Service};
use landfall_heal::{Engine, Rulebook, SqliteJournal};

struct Nothing;

impl Executor for Nothing {
    fn execute(&self, _: &str, _: &str, _: &str) -> Result<String, String> {
        Ok(String::new())
    }
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn body(i: u64, starts_at: &str) -> String {
    format!(
        r#"{{"receiver":"remediation","status":"firing","version":"4","groupKey":"{{}}:{{alertname=\"EcsServiceBelowDesiredCount\"}}","truncatedAlerts":0,"groupLabels":{{}},"commonLabels":{{}},"commonAnnotations":{{}},"externalURL":"http://am","alerts":[{{"status":"firing","labels":{{"alertname":"EcsServiceBelowDesiredCount","service":"order-gateway","environment":"prod","region":"eu-central-1","domain":"trading"}},"annotations":{{}},"startsAt":"{starts_at}","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"{i:016x}"}}]}}"#
    )
}

/// One keep-alive connection posting `count` alerts from `first` on, each
/// body made just before it is sent (held bodies would count as the
/// service's memory, which is measured in this process); returns latencies.
fn client(
    port: u16,
    first: u64,
    count: u64,
    starts_at: &str,
    interval: Duration,
    token: &str,
) -> Vec<Duration> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut latencies = Vec::with_capacity(count as usize);
    let start = Instant::now();
    let mut buf = vec![0u8; 4096];
    for n in 0..count {
        let b = body(first + n, starts_at);
        let due = start + interval * n as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let sent = Instant::now();
        let req = format!(
            "POST /alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        );
        stream.write_all(req.as_bytes()).unwrap();
        // Read one response (small: headers and a short JSON body).
        let mut got = Vec::new();
        loop {
            let k = stream.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..k]);
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    assert!(head.starts_with("http/1.1 200"), "{head}");
                    break;
                }
            }
        }
        latencies.push(sent.elapsed());
    }
    latencies
}

fn main() {
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with("--")).collect();
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let rate: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let dir = std::env::temp_dir().join(format!("landfall-heal-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let resolved = landfall_model::reference();
    let (book, _) = Rulebook::from_model(resolved.model.as_ref().unwrap());
    let journal = Arc::new(SqliteJournal::open(&dir.join("journal.sqlite")).unwrap());
    let engine = Engine {
        journal: Arc::clone(&journal),
        rulebook: book,
        dry_run: true,
    };
    let token = "load-token-0123456789";
    let service = Service::new(engine, Nothing, token.to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The front only: the worker runs on a thread below, counting decisions.
    let port = server::start_on_loopback(&runtime, Arc::clone(&service), false).unwrap();
    let decided = Arc::new(AtomicU64::new(0));
    // The worker, counting decisions.
    {
        let svc = Arc::clone(&service);
        let decided = Arc::clone(&decided);
        std::thread::spawn(move || loop {
            match server::work_once(&svc) {
                Ok(0) => std::thread::sleep(Duration::from_millis(5)),
                Ok(n) => {
                    decided.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) => panic!("{e}"),
            }
        });
    }
    let connections = 16u64;
    let total = seconds * rate;
    let per = total / connections;
    let interval = Duration::from_secs_f64(connections as f64 / rate as f64);
    let starts_at = {
        let now = server::now();
        // An RFC 3339 time a minute ago is not needed for ingest; any valid one is.
        let _ = now;
        "2026-12-06T01:00:04.810095908Z".to_owned()
    };
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut threads = Vec::new();
    for c in 0..connections {
        let latencies = Arc::clone(&latencies);
        let starts_at = starts_at.clone();
        threads.push(std::thread::spawn(move || {
            let l = client(port, c * per, per, &starts_at, interval, token);
            latencies.lock().unwrap().extend(l);
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = started.elapsed();
    let sent = per * connections;
    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
    // Decisions continue after ingest ends.
    let decide_start = Instant::now();
    while decided.load(Ordering::Relaxed) < sent
        && decide_start.elapsed() < Duration::from_secs(120)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Measured before the check below reads the whole journal into memory.
    let rss = rss_mib();
    let journaled = journal.history(usize::MAX).unwrap().len() as u64;
    let in_journal: u64 = {
        let undecided = journal.undecided(usize::MAX).unwrap().len() as u64;
        journaled + undecided
    };
    println!(
        "heal load: {sent} alerts over {connections} connections in {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  ingest: {:.0} alerts/s accepted",
        sent as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  webhook latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        l[l.len() - 1].as_secs_f64() * 1e3
    );
    println!(
        "  loss: {} (accepted {sent}, in the journal {in_journal})",
        sent.saturating_sub(in_journal)
    );
    println!(
        "  decisions: {} in {:.1} s after ingest began ({:.0}/s overall)",
        decided.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
        decided.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
    );
    println!("  resident memory (service and load generator): {rss:.0} MiB");
    // Restart to ready: a second service on the same (now large) journal,
    // from opening it to its first healthy answer.
    let restart = Instant::now();
    let journal = Arc::new(SqliteJournal::open(&dir.join("journal.sqlite")).unwrap());
    let (book, _) = Rulebook::from_model(resolved.model.as_ref().unwrap());
    let engine = Engine {
        journal,
        rulebook: book,
        dry_run: true,
    };
    let again = Service::new(engine, Nothing, token.to_owned());
    let port = server::start_on_loopback(&runtime, again, true).unwrap();
    while landfall_testkit::services::http("GET", port, "/healthz", &[], b"")
        .map(|r| r.0)
        .unwrap_or(0)
        != 200
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!(
        "  restart to ready on a journal of {in_journal} signals: {:.0} ms",
        restart.elapsed().as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&dir);
}
