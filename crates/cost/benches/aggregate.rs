//! `cost ingest`'s aggregation against DuckDB on the same CUR 2.0 file:
//!
//!     cargo bench -p landfall-cost --bench aggregate
//!
//! Generates once (cached in the target directory, deterministic) a
//! 10,000,000-row CUR 2.0 Parquet file (40 accounts, 30 services, hourly
//! lines over October 2025, `resource_tags` a MAP, row groups of 2^20 rows),
//! then, best of 3 runs, each contender in its own child process:
//! - Landfall: `scan::aggregate_file`, the code `cost ingest` reads a data
//!   file with (daily billed and amortized cost per account, domain,
//!   environment, service and charge category), and separately the whole
//!   `Store::ingest` (discovery, aggregation and the SQLite write);
//! - DuckDB (PyPI, `scripts/requirements-bench.txt`, in `.venv/`) running
//!   the same aggregation in SQL (aggregate_duckdb.py), default threads.
//!
//! Time is the aggregation alone (process start, Python import excluded);
//! memory is each child's peak resident set (VmHWM). The per domain,
//! service and day sums must agree to the cent, else the bench fails. Last,
//! the reference platform's own month (its accounts, 12 services each,
//! hourly) is ingested whole: the target is under 1 s.
//!
//! `LANDFALL_BENCH_ROWS` and `LANDFALL_BENCH_RUNS` change the size and the
//! number of runs; `LANDFALL_BENCH_PYTHON` the Python with DuckDB.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark")]

#[path = "cur2_file.rs"]
mod cur2_file;

// The `landfall` binary's allocator (crates/cli/src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cur2_file::Owner;
use landfall_cost::attribution::AccountMap;
use landfall_cost::date::{Date, Month};
use landfall_cost::export::discover;
use landfall_cost::scan::aggregate_file;
use landfall_cost::store::Store;
use serde_json::{json, Value};

const ROW_GROUP_ROWS: usize = 1 << 20;
const SEED: u64 = 7;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The reference platform's accounts as the CLI maps them (workload
/// accounts to their domain and environment, the others shared).
fn reference_accounts() -> (Vec<(String, String, Owner)>, Vec<String>) {
    let model = landfall_model::reference()
        .model
        .expect("the reference resolves");
    let accounts = model
        .accounts
        .iter()
        .enumerate()
        .map(|(i, account)| {
            let owner = match (account.domain, account.environment) {
                (Some(d), Some(e)) => Owner::Domain(
                    model.domain(d).name.clone(),
                    model.environment(e).name.clone(),
                ),
                _ => Owner::Shared,
            };
            (format!("3100000000{i:02}"), account.name.clone(), owner)
        })
        .collect();
    let domains = model.domains.iter().map(|d| d.name.clone()).collect();
    (accounts, domains)
}

fn account_map(accounts: &[(String, String, Owner)], domains: &[String]) -> AccountMap {
    let mut map = AccountMap::new(domains.iter().cloned());
    for (_, name, owner) in accounts {
        match owner {
            Owner::Domain(domain, environment) => map.owned(name, domain, environment),
            Owner::Shared => map.shared(name),
            Owner::Unknown => {}
        }
    }
    map
}

fn period() -> Month {
    Month::new(cur2_file::YEAR as i32, cur2_file::MONTH as u32)
}

/// Child: Landfall's aggregation of one file, sums per domain, service, day.
fn child_aggregate(path: &Path) {
    let map = cur2_file::account_map();
    let start = Instant::now();
    let file = aggregate_file(path, cur2_file::PAYER, period(), &map).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let mut groups: BTreeMap<(String, String, i32), (f64, f64)> = BTreeMap::new();
    for ((day, _, _, domain, _, service, _), (billed, effective)) in &file.attributed.rows {
        let sums = groups
            .entry((domain.clone(), service.clone(), day.days_since(Date::EPOCH)))
            .or_default();
        sums.0 += billed;
        sums.1 += effective;
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|((d, s, day), (b, e))| json!([d, s, day, b, e]))
        .collect();
    println!(
        "{}",
        json!({
            "seconds": seconds,
            "peak_kib": peak_kib(),
            "lines": file.lines,
            "store_rows": file.attributed.rows.len(),
            "groups": groups,
        })
    );
}

/// Child: the whole `Store::ingest` of a delivery into a fresh store.
fn child_ingest(delivery: &Path, reference: bool) {
    let map = if reference {
        let (accounts, domains) = reference_accounts();
        account_map(&accounts, &domains)
    } else {
        cur2_file::account_map()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cost.sqlite")).unwrap();
    let start = Instant::now();
    let deliveries = discover(delivery).unwrap();
    let ingested = store.ingest(&deliveries, &map).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "seconds": seconds,
            "peak_kib": peak_kib(),
            "lines": ingested.iter().map(|i| i.lines).sum::<usize>(),
            "store_rows": store.daily().unwrap().len(),
        })
    );
}

fn run_child(args: &[&str]) -> Value {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "child {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn python() -> PathBuf {
    if let Ok(python) = std::env::var("LANDFALL_BENCH_PYTHON") {
        return python.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

fn run_duckdb(file: &Path, accounts_json: &Path) -> Result<Value, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/aggregate_duckdb.py");
    let output = Command::new(python())
        .arg(script)
        .arg(file)
        .arg(accounts_json)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python().display()))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())
}

struct Best {
    seconds: f64,
    peak_kib: u64,
}

impl Best {
    fn new() -> Self {
        Best {
            seconds: f64::INFINITY,
            peak_kib: 0,
        }
    }
    /// Best time; the highest peak over the runs.
    fn add(&mut self, run: &Value) {
        self.seconds = self.seconds.min(run["seconds"].as_f64().unwrap());
        self.peak_kib = self.peak_kib.max(run["peak_kib"].as_u64().unwrap());
    }
    fn mib(&self) -> f64 {
        self.peak_kib as f64 / 1024.0
    }
}

type Groups = BTreeMap<(String, String, i64), (f64, f64)>;

fn groups(run: &Value) -> Groups {
    run["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                (
                    g[0].as_str().unwrap().to_string(),
                    g[1].as_str().unwrap().to_string(),
                    g[2].as_i64().unwrap(),
                ),
                (g[3].as_f64().unwrap(), g[4].as_f64().unwrap()),
            )
        })
        .collect()
}

/// Differences over half a cent, and the largest difference.
fn compare(landfall: &Groups, duckdb: &Groups) -> (Vec<String>, f64) {
    let mut problems = Vec::new();
    let mut largest: f64 = 0.0;
    for (key, (b, e)) in landfall {
        match duckdb.get(key) {
            None => problems.push(format!("{key:?}: only in Landfall")),
            Some((db, de)) => {
                let d = (b - db).abs().max((e - de).abs());
                largest = largest.max(d);
                if d >= 0.005 {
                    problems.push(format!(
                        "{key:?}: Landfall {b:.4}/{e:.4}, DuckDB {db:.4}/{de:.4}"
                    ));
                }
            }
        }
    }
    for key in duckdb.keys().filter(|k| !landfall.contains_key(*k)) {
        problems.push(format!("{key:?}: only in DuckDB"));
    }
    (problems, largest)
}

fn cached(path: &Path, make: impl FnOnce(&Path)) {
    if path.exists() {
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let start = Instant::now();
    make(path);
    eprintln!(
        "generated {} in {:.1} s",
        path.display(),
        start.elapsed().as_secs_f64()
    );
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("child-aggregate") => return child_aggregate(Path::new(&args[2])),
        Some("child-ingest") => return child_ingest(Path::new(&args[2]), args[3] == "reference"),
        _ => {}
    }
    let rows = env_usize("LANDFALL_BENCH_ROWS", 10_000_000);
    let runs = env_usize("LANDFALL_BENCH_RUNS", 3).max(1);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("landfall-cost-aggregate");
    let file = dir.join(format!("cur2-{rows}-seed{SEED}-v2.parquet"));
    cached(&file, |p| cur2_file::write(p, rows, ROW_GROUP_ROWS, SEED));
    let delivery = dir.join(format!("delivery-{rows}"));
    if !delivery.exists() {
        cur2_file::delivery(&delivery, &file);
    }
    let accounts_json = dir.join("accounts.json");
    let accounts: Vec<Value> = cur2_file::accounts()
        .into_iter()
        .filter(|(_, _, owner)| *owner != Owner::Unknown)
        .map(|(_, name, owner)| match owner {
            Owner::Domain(domain, _) => json!({"name": name, "domain": domain, "shared": false}),
            _ => json!({"name": name, "domain": null, "shared": true}),
        })
        .collect();
    std::fs::write(
        &accounts_json,
        json!({"accounts": accounts, "domains": cur2_file::DOMAINS}).to_string(),
    )
    .unwrap();

    let file_arg = file.to_str().unwrap();
    let delivery_arg = delivery.to_str().unwrap();
    let (mut landfall, mut ingest, mut duckdb) = (Best::new(), Best::new(), Best::new());
    let (mut landfall_groups, mut duckdb_run, mut duckdb_error) = (None, None, None);
    let (mut lines, mut store_rows) = (0, 0);
    for _ in 0..runs {
        let run = run_child(&["child-aggregate", file_arg]);
        landfall.add(&run);
        lines = run["lines"].as_u64().unwrap() as usize;
        landfall_groups.get_or_insert_with(|| groups(&run));
        let run = run_child(&["child-ingest", delivery_arg, "bench"]);
        ingest.add(&run);
        store_rows = run["store_rows"].as_u64().unwrap() as usize;
        match run_duckdb(&file, &accounts_json) {
            Ok(run) => {
                duckdb.add(&run);
                duckdb_run.get_or_insert(run);
            }
            Err(e) => {
                duckdb_error = Some(e);
                break;
            }
        }
    }

    let (reference_accounts, reference_domains) = reference_accounts();
    let reference_rows = reference_accounts.len() * 12 * cur2_file::HOURS;
    let reference_file = dir.join(format!("reference-{reference_rows}-v2.parquet"));
    cached(&reference_file, |p| {
        cur2_file::write_accounts(
            p,
            &reference_accounts,
            &reference_domains,
            reference_rows,
            ROW_GROUP_ROWS,
            SEED,
            &cur2_file::Layout::default(),
        )
    });
    let reference_delivery = dir.join(format!("reference-delivery-{reference_rows}"));
    if !reference_delivery.exists() {
        cur2_file::delivery(&reference_delivery, &reference_file);
    }
    let mut reference = Best::new();
    for _ in 0..runs {
        reference.add(&run_child(&[
            "child-ingest",
            reference_delivery.to_str().unwrap(),
            "reference",
        ]));
    }

    let size = std::fs::metadata(&file).map_or(0, |m| m.len()) as f64 / (1 << 20) as f64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!();
    println!(
        "CUR 2.0 Parquet, {} rows ({size:.0} MiB, row groups of {} rows), best of {runs}, {cores} cores",
        thousands(lines),
        thousands(ROW_GROUP_ROWS)
    );
    println!("{:<44} {:>8} {:>9}", "", "seconds", "peak MiB");
    println!(
        "{:<44} {:>8.2} {:>9.0}",
        "Landfall aggregation (scan::aggregate_file)",
        landfall.seconds,
        landfall.mib()
    );
    println!(
        "{:<44} {:>8.2} {:>9.0}",
        "Landfall ingest (the above + SQLite write)",
        ingest.seconds,
        ingest.mib()
    );
    println!("  ({} store rows)", thousands(store_rows));
    let mut failed = false;
    match (&duckdb_run, &duckdb_error) {
        (Some(run), _) => {
            println!(
                "{:<44} {:>8.2} {:>9.0}",
                format!(
                    "DuckDB {} ({} threads, Python process)",
                    run["version"].as_str().unwrap_or("?"),
                    run["threads"]
                ),
                duckdb.seconds,
                duckdb.mib()
            );
            let landfall_groups = landfall_groups.unwrap();
            let (problems, largest) = compare(&landfall_groups, &groups(run));
            if problems.is_empty() {
                println!(
                    "sums: {} (domain, service, day) groups, equal to the cent (largest difference {largest:.2e})",
                    thousands(landfall_groups.len())
                );
            } else {
                failed = true;
                println!("sums DIFFER in {} groups:", problems.len());
                for p in problems.iter().take(20) {
                    println!("  {p}");
                }
            }
            println!(
                "Landfall vs DuckDB: {:.2}x the speed, {:.2}x the memory",
                duckdb.seconds / landfall.seconds,
                landfall.mib() / duckdb.mib()
            );
        }
        (None, Some(error)) => println!(
            "DuckDB: not run ({}); `.venv/bin/pip install -r scripts/requirements-bench.txt`",
            error.lines().last().unwrap_or_default()
        ),
        (None, None) => {}
    }
    println!(
        "reference platform's month: {} rows ({} accounts, 12 services, hourly), ingest {:.2} s, peak {:.0} MiB (target under 1 s)",
        thousands(reference_rows),
        reference_accounts.len(),
        reference.seconds,
        reference.mib()
    );
    if failed {
        std::process::exit(1);
    }
}
