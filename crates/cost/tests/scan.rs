//! The columnar fast path of `cost ingest` (`scan`) gives what the
//! line-by-line reader (`lines::read_parquet` summed by `Attributed::add`)
//! gives: the same store keys, the same sums, the same unallocated report,
//! on the golden exports and on a generated CUR 2.0 file of several row
//! groups read in parallel; and the same answer every time.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

#[path = "../benches/cur2_file.rs"]
mod cur2_file;

use std::path::{Path, PathBuf};

use landfall_cost::attribution::AccountMap;
use landfall_cost::date::Month;
use landfall_cost::lines::read_parquet;
use landfall_cost::scan::{aggregate_columnar, aggregate_file, aggregate_lines, FileAggregate};
use parquet::basic::Encoding;

fn fixture(export: &str, period: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exports")
        .join(export)
        .join(format!("data/BILLING_PERIOD={period}"))
        .join(file)
}

/// The golden exports' accounts (as tests/ingest.rs maps them).
fn golden_accounts() -> AccountMap {
    let domains = [
        "trading",
        "matching",
        "market-data",
        "web",
        "risk",
        "payments",
    ];
    let mut map = AccountMap::new(domains.map(String::from));
    for domain in domains {
        for environment in ["dev", "staging", "prod"] {
            map.owned(&format!("{domain}-{environment}"), domain, environment);
        }
    }
    map.shared("shared-services");
    map.shared("networking");
    map
}

fn line_by_line(path: &Path, payer: &str, period: Month, accounts: &AccountMap) -> FileAggregate {
    let (format, lines) = read_parquet(path).unwrap();
    aggregate_lines(path, format, &lines, payer, period, accounts).unwrap()
}

fn assert_same(fast: &FileAggregate, slow: &FileAggregate, what: &str) {
    assert_eq!(fast.format, slow.format, "{what}");
    assert_eq!(fast.lines, slow.lines, "{what}");
    assert_eq!(fast.is_final, slow.is_final, "{what}");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()));
    let keys = |f: &FileAggregate| f.attributed.rows.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(fast), keys(slow), "{what}: store keys");
    for ((key, a), b) in fast
        .attributed
        .rows
        .iter()
        .zip(slow.attributed.rows.values())
    {
        assert!(
            close(a.0, b.0) && close(a.1, b.1),
            "{what}: {key:?} {a:?} vs {b:?}"
        );
    }
    let unallocated =
        |f: &FileAggregate| f.attributed.unallocated.keys().cloned().collect::<Vec<_>>();
    assert_eq!(unallocated(fast), unallocated(slow), "{what}: unallocated");
    for (account, a) in &fast.attributed.unallocated {
        assert!(
            close(*a, slow.attributed.unallocated[account]),
            "{what}: unallocated {account}"
        );
    }
}

#[test]
fn the_golden_exports_give_the_same_aggregates_both_ways() {
    let accounts = golden_accounts();
    for (export, period, file) in [
        ("cur2", "2025-09", "landfall-cur2-00001.snappy.parquet"),
        ("cur2", "2025-10", "landfall-cur2-00001.snappy.parquet"),
        (
            "cur2-restated",
            "2025-09",
            "landfall-cur2-00001.snappy.parquet",
        ),
        ("focus12", "2025-09", "landfall-focus-00001.snappy.parquet"),
        ("focus12", "2025-10", "landfall-focus-00001.snappy.parquet"),
    ] {
        let path = fixture(export, period, file);
        let month = Month::parse(period).unwrap();
        let fast = aggregate_columnar(&path, "111111111111", month, &accounts)
            .unwrap()
            .expect("the fast path reads the golden exports");
        let slow = line_by_line(&path, "111111111111", month, &accounts);
        assert_same(&fast, &slow, &format!("{export} {period}"));
        assert!(!fast.attributed.unallocated.is_empty());
    }
}

#[test]
fn row_groups_read_in_parallel_give_the_line_by_line_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cur2.parquet");
    // 60,000 lines in row groups of 7,000: nine groups, the last partial.
    cur2_file::write(&path, 60_000, 7_000, 11);
    let groups = parquet::file::reader::FileReader::metadata(
        &parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&path).unwrap())
            .unwrap(),
    )
    .num_row_groups();
    assert_eq!(groups, 9);
    let accounts = cur2_file::account_map();
    let month = Month::new(2025, 10);
    let fast = aggregate_columnar(&path, cur2_file::PAYER, month, &accounts)
        .unwrap()
        .expect("the fast path reads it");
    let slow = line_by_line(&path, cur2_file::PAYER, month, &accounts);
    assert_same(&fast, &slow, "generated");
    assert_eq!(fast.lines, 60_000);
    assert!(fast.is_final);
    // Every attribution occurs: owned, shared by tag, unallocated.
    let environments: std::collections::BTreeSet<&str> =
        fast.attributed.rows.keys().map(|k| k.4.as_str()).collect();
    assert!(environments.is_superset(&["prod", "shared", "unallocated"].into()));
    // The same answer, to the bit, on every run (row groups are summed in order).
    for _ in 0..3 {
        let again = aggregate_file(&path, cur2_file::PAYER, month, &accounts).unwrap();
        assert_eq!(again.attributed.rows, fast.attributed.rows);
        assert_eq!(again.attributed.unallocated, fast.attributed.unallocated);
    }
}

#[test]
fn a_line_from_another_payer_is_refused_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cur2.parquet");
    cur2_file::write(&path, 20_000, 3_000, 5);
    let accounts = cur2_file::account_map();
    let month = Month::new(2025, 10);
    let fast = aggregate_file(&path, "999999999999", month, &accounts)
        .unwrap_err()
        .to_string();
    let (format, lines) = read_parquet(&path).unwrap();
    let slow = aggregate_lines(&path, format, &lines, "999999999999", month, &accounts)
        .unwrap_err()
        .to_string();
    assert_eq!(fast, slow);
    assert!(
        fast.contains("a line of payer account 111111111111 in payer 999999999999's export"),
        "{fast}"
    );
}

/// What other writers do: data page v2, pages of a few hundred bytes (map
/// entries of one row split across pages), dictionaries that overflow into
/// PLAIN pages; and strings in an encoding the fast path does not decode,
/// which sends the file line by line with the same result.
#[test]
fn other_page_layouts_give_the_same_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = cur2_file::account_map();
    let month = Month::new(2025, 10);
    let layouts = [
        (
            "v1, small pages, dictionaries overflowing to PLAIN",
            cur2_file::Layout {
                data_page_bytes: Some(512),
                dictionary_page_bytes: Some(96),
                ..Default::default()
            },
            true,
        ),
        (
            "v2, small pages",
            cur2_file::Layout {
                page_v2: true,
                data_page_bytes: Some(512),
                ..Default::default()
            },
            true,
        ),
        (
            "v2, PLAIN strings",
            cur2_file::Layout {
                page_v2: true,
                string_encoding: Some(Encoding::PLAIN),
                ..Default::default()
            },
            true,
        ),
        (
            "DELTA_LENGTH_BYTE_ARRAY strings",
            cur2_file::Layout {
                string_encoding: Some(Encoding::DELTA_LENGTH_BYTE_ARRAY),
                ..Default::default()
            },
            false,
        ),
    ];
    for (i, (what, layout, columnar)) in layouts.iter().enumerate() {
        let path = dir.path().join(format!("layout-{i}.parquet"));
        cur2_file::write_laid_out(&path, 12_000, 5_000, 3, layout);
        let fast = aggregate_columnar(&path, cur2_file::PAYER, month, &accounts).unwrap();
        assert_eq!(fast.is_some(), *columnar, "{what}");
        let any = aggregate_file(&path, cur2_file::PAYER, month, &accounts).unwrap();
        let slow = line_by_line(&path, cur2_file::PAYER, month, &accounts);
        assert_same(&any, &slow, what);
        if let Some(fast) = fast {
            assert_same(&fast, &slow, what);
        }
    }
}

/// A bad line anywhere: the error names the first one in the file, as the
/// line-by-line reader does, however the row groups are shared out.
#[test]
fn the_first_bad_line_is_reported_whichever_row_group_fails_first() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = cur2_file::account_map();
    let month = Month::new(2025, 10);
    for (what, layout, expected) in [
        (
            "unknown line item types in the fifth and second row groups",
            cur2_file::Layout {
                bad_kind_rows: vec![21_017, 7_500],
                ..Default::default()
            },
            "row 7501: unknown line_item_line_item_type `NotALineItemType`",
        ),
        (
            "an empty account id before an unknown type",
            cur2_file::Layout {
                bad_kind_rows: vec![19_999],
                empty_account_rows: vec![15_001],
                ..Default::default()
            },
            "row 15002: `line_item_usage_account_id` is empty",
        ),
    ] {
        let path = dir.path().join("bad.parquet");
        cur2_file::write_laid_out(&path, 24_000, 5_000, 9, &layout);
        let fast = aggregate_columnar(&path, cur2_file::PAYER, month, &accounts)
            .unwrap_err()
            .to_string();
        let slow = read_parquet(&path).unwrap_err().to_string();
        assert_eq!(fast, slow, "{what}");
        assert!(fast.ends_with(expected), "{what}: {fast}");
    }
}
