//! `landfall cost ingest` over the golden exports (`tests/fixtures/exports`,
//! written by `cargo run -p landfall-cost --example golden_exports`): both
//! tables give the same store, a re-delivery replaces its month, a closed
//! month that moves is a restatement, and bad input leaves the store as it was.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use landfall_cost::attribution::AccountMap;
use landfall_cost::export::discover;
use landfall_cost::store::{DailyCost, Store};

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exports")
        .join(name)
}

/// The reference platform's accounts the golden exports use.
fn accounts() -> AccountMap {
    let mut map = AccountMap::new(
        [
            "trading",
            "matching",
            "market-data",
            "web",
            "risk",
            "payments",
        ]
        .map(String::from),
    );
    for domain in [
        "trading",
        "matching",
        "market-data",
        "web",
        "risk",
        "payments",
    ] {
        for environment in ["dev", "staging", "prod"] {
            map.owned(&format!("{domain}-{environment}"), domain, environment);
        }
    }
    map.shared("shared-services");
    map.shared("networking");
    map
}

fn ingest(
    store: &mut Store,
    from: &Path,
) -> Result<Vec<landfall_cost::store::Ingested>, landfall_cost::CostError> {
    let deliveries = discover(from)?;
    store.ingest(&deliveries, &accounts())
}

fn by_domain(rows: &[DailyCost]) -> BTreeMap<(String, String), (i64, i64)> {
    let mut out: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for row in rows {
        let entry = out
            .entry((row.domain.clone(), row.environment.clone()))
            .or_default();
        entry.0 += (row.billed * 100.0).round() as i64;
        entry.1 += (row.effective * 100.0).round() as i64;
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn cur2_and_focus_exports_give_the_same_daily_costs() {
    let dir = tempfile::tempdir().unwrap();
    let mut cur = Store::open(&dir.path().join("cur.sqlite")).unwrap();
    let mut focus = Store::open(&dir.path().join("focus.sqlite")).unwrap();
    let from_cur = ingest(&mut cur, &fixtures("cur2")).unwrap();
    let from_focus = ingest(&mut focus, &fixtures("focus12")).unwrap();
    assert_eq!(from_cur.len(), 2);
    assert_eq!(from_cur[0].period, "2025-09");
    assert_eq!(from_cur[0].state, "final");
    assert_eq!(from_cur[1].state, "estimated");
    for (a, b) in from_cur.iter().zip(&from_focus) {
        assert!(
            (a.billed - b.billed).abs() < 0.01,
            "{} vs {}",
            a.billed,
            b.billed
        );
        assert!((a.effective - b.effective).abs() < 0.01);
        assert_eq!(a.lines, b.lines);
    }
    let cur_rows = by_domain(&cur.daily().unwrap());
    assert_eq!(cur_rows, by_domain(&focus.daily().unwrap()));
    // Shared accounts by tag (environment `shared`); a tag naming no domain and
    // an account the model does not know are unallocated, and reported.
    assert!(cur_rows.contains_key(&("trading".into(), "shared".into())));
    assert!(cur_rows.contains_key(&("unallocated".into(), "unallocated".into())));
    let unallocated: Vec<&String> = from_cur[0].unallocated.keys().collect();
    assert_eq!(
        unallocated,
        ["legacy-billing", "networking", "shared-services"]
    );
}

#[test]
fn focus_csv_gives_what_focus_parquet_gives() {
    let dir = tempfile::tempdir().unwrap();
    let mut parquet = Store::open(&dir.path().join("parquet.sqlite")).unwrap();
    let mut csv = Store::open(&dir.path().join("csv.sqlite")).unwrap();
    ingest(&mut parquet, &fixtures("focus12")).unwrap();
    let from_csv = ingest(&mut csv, &fixtures("focus12-csv")).unwrap();
    assert_eq!((from_csv.len(), from_csv[0].state.as_str()), (1, "final"));
    let september = |rows: Vec<DailyCost>| -> Vec<DailyCost> {
        rows.into_iter().filter(|r| r.period == "2025-09").collect()
    };
    let (a, b) = (
        september(parquet.daily().unwrap()),
        september(csv.daily().unwrap()),
    );
    assert_eq!(by_domain(&a), by_domain(&b));
    assert_eq!(a.len(), b.len());
}

#[test]
fn amortized_cost_follows_the_savings_plan_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cost.sqlite")).unwrap();
    ingest(&mut store, &fixtures("cur2")).unwrap();
    let rows = store.daily().unwrap();
    let day_one: Vec<&DailyCost> = rows
        .iter()
        .filter(|r| r.account_name == "trading-prod" && r.day.to_string() == "2025-09-01")
        .collect();
    let ec2 = day_one
        .iter()
        .find(|r| r.service == "AmazonEC2" && r.charge_category == "Usage")
        .unwrap();
    // Covered usage and its negation: billed nets to 0, effective is the plan's rate.
    assert!(ec2.billed.abs() < 0.005, "{}", ec2.billed);
    assert!(ec2.effective > 0.0);
    // The recurring fee: billed in full, effective only the unused commitment.
    let fee = day_one
        .iter()
        .find(|r| r.service == "ComputeSavingsPlans")
        .unwrap();
    assert_eq!(
        (fee.charge_category.as_str(), fee.billed),
        ("Purchase", 48.0)
    );
    assert!((fee.effective - 4.8).abs() < 1e-9);
}

#[test]
fn a_redelivered_month_replaces_the_snapshot_and_a_closed_month_that_moves_is_a_restatement() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cost.sqlite")).unwrap();
    ingest(&mut store, &fixtures("cur2")).unwrap();
    let first = store.daily().unwrap();
    // The same delivery again: nothing changes, nothing restated.
    let again = ingest(&mut store, &fixtures("cur2")).unwrap();
    assert!(again.iter().all(|i| i.replaced && i.restatement.is_none()));
    assert_eq!(store.daily().unwrap(), first);
    assert!(store.restatements().unwrap().is_empty());

    let restated = ingest(&mut store, &fixtures("cur2-restated")).unwrap();
    let restatement = restated[0]
        .restatement
        .clone()
        .expect("2025-09 was final and moved");
    assert_eq!(restatement.period, "2025-09");
    assert!(((restatement.billed_after - restatement.billed_before) - (17.0 - 120.0)).abs() < 0.01);
    assert_eq!(store.restatements().unwrap(), vec![restatement]);
    // October untouched, September replaced (not added to).
    let september: f64 = store
        .daily()
        .unwrap()
        .iter()
        .filter(|r| r.period == "2025-09")
        .map(|r| r.billed)
        .sum();
    assert!((september - restated[0].billed).abs() < 0.01);
    assert_eq!(store.periods().unwrap().len(), 2);
}

/// Every way an export can be wrong: a clear error naming the file, and the
/// store exactly as it was.
#[test]
fn bad_input_is_refused_and_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cost.sqlite")).unwrap();
    ingest(&mut store, &fixtures("cur2")).unwrap();
    let before = (store.daily().unwrap(), store.periods().unwrap());

    let mut broken = |name: &str, damage: &dyn Fn(&Path)| -> String {
        let copy = dir.path().join(name);
        copy_dir(&fixtures("cur2"), &copy);
        damage(&copy);
        let error = ingest(&mut store, &copy).expect_err(name).to_string();
        assert_eq!(
            (store.daily().unwrap(), store.periods().unwrap()),
            before,
            "{name} changed the store"
        );
        error
    };
    let october_data = "data/BILLING_PERIOD=2025-10/landfall-cur2-00001.snappy.parquet";

    let error = broken("truncated", &|root| {
        let file = root.join(october_data);
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    });
    assert!(
        error.contains("BILLING_PERIOD=2025-10/landfall-cur2-00001.snappy.parquet"),
        "{error}"
    );
    assert!(error.contains("Parquet"), "{error}");

    let error = broken("no-manifest", &|root| {
        std::fs::remove_file(
            root.join("metadata/BILLING_PERIOD=2025-10/landfall-cur2-Manifest.json"),
        )
        .unwrap();
    });
    assert!(
        error.contains("data/BILLING_PERIOD=2025-10") && error.contains("no manifest"),
        "{error}"
    );

    let error = broken("other-columns", &|root| {
        // A FOCUS file is fine; a file of neither table is not.
        std::fs::copy(fixtures("not-billing.parquet"), root.join(october_data)).unwrap();
    });
    assert!(
        error.contains("unknown column set") && error.contains("2025-10"),
        "{error}"
    );

    let error = broken("other-payer", &|root| {
        let manifest = root.join("metadata/BILLING_PERIOD=2025-10/landfall-cur2-Manifest.json");
        let text = std::fs::read_to_string(&manifest)
            .unwrap()
            .replace("111111111111", "999999999999");
        std::fs::write(manifest, text).unwrap();
    });
    assert!(
        error.contains("payer account 111111111111") && error.contains("999999999999"),
        "{error}"
    );

    // A whole delivery from another organization, consistent in itself.
    let error = ingest(&mut store, &fixtures("cur2-other-payer"))
        .expect_err("another payer")
        .to_string();
    assert!(
        error.contains("from payer account 999999999999")
            && error.contains("holds payer 111111111111"),
        "{error}"
    );
    assert!(
        error.contains("cur2-other-payer/metadata/BILLING_PERIOD=2025-10"),
        "{error}"
    );
    assert_eq!((store.daily().unwrap(), store.periods().unwrap()), before);
}
