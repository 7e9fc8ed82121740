//! `landfall cost report` over the golden CUR 2.0 export, and the property
//! every decomposition keeps: its parts add up to the difference, to the cent.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::BTreeMap;
use std::path::Path;

use landfall_cost::attribution::AccountMap;
use landfall_cost::date::Date;
use landfall_cost::export::discover;
use landfall_cost::report::{self, apportion, cents, decompose, Change, ReportInput};
use landfall_cost::store::Store;
use proptest::prelude::*;

fn golden_store(dir: &Path) -> Store {
    let mut map = AccountMap::new(
        [
            "trading",
            "web",
            "risk",
            "payments",
            "matching",
            "market-data",
        ]
        .map(String::from),
    );
    for (account, domain, environment) in [
        ("trading-prod", "trading", "prod"),
        ("trading-dev", "trading", "dev"),
        ("matching-prod", "matching", "prod"),
        ("market-data-prod", "market-data", "prod"),
        ("web-prod", "web", "prod"),
        ("web-staging", "web", "staging"),
        ("risk-prod", "risk", "prod"),
        ("payments-prod", "payments", "prod"),
    ] {
        map.owned(account, domain, environment);
    }
    map.shared("shared-services");
    map.shared("networking");
    let mut store = Store::open(&dir.join("cost.sqlite")).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports/cur2");
    store.ingest(&discover(&from).unwrap(), &map).unwrap();
    store
}

#[test]
fn report_over_the_golden_export_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = golden_store(dir.path());
    let rows = store.daily().unwrap();
    let input = ReportInput {
        rows: rows.clone(),
        periods: store.periods().unwrap(),
        budgets: BTreeMap::from([("trading".to_string(), 30_000.0)]),
        currency: "USD".into(),
        as_of: Date::parse("2025-10-15"),
        domain: Some("trading".into()),
    };
    let report = report::build(&input).unwrap();
    assert_eq!(report.domains.len(), 1);
    let trading = &report.domains[0];
    assert_eq!(
        (trading.month.as_str(), trading.data_state.as_str()),
        ("2025-10", "estimated")
    );
    let sum = |from: &str, to: &str| -> f64 {
        let (from, to) = (Date::parse(from).unwrap(), Date::parse(to).unwrap());
        let total: i64 = rows
            .iter()
            .filter(|r| r.domain == "trading" && r.day >= from && r.day <= to)
            .map(|r| cents(r.effective))
            .sum();
        total as f64 / 100.0
    };
    assert_eq!(trading.month_to_date, sum("2025-10-01", "2025-10-15"));
    assert_eq!(trading.last_month_same_day, sum("2025-09-01", "2025-09-15"));
    assert_eq!(trading.last_month_full, sum("2025-09-01", "2025-09-30"));
    // Forecast: the month to date plus the rest; no band without history.
    assert!(trading.forecast.month_end > trading.month_to_date);
    assert_eq!(trading.forecast.month_end_low, None);
    for d in [
        &trading.vs_last_month_by_service,
        &trading.vs_last_month_by_account,
        &trading.budget.as_ref().unwrap().decomposition,
    ] {
        let parts: i64 = d.contributions.iter().map(|c| cents(c.difference)).sum();
        assert_eq!(parts, cents(d.difference));
        assert_eq!(cents(d.difference), cents(d.after) - cents(d.before));
    }
    // Each contributor is classified by what happened to it.
    for c in &trading.vs_last_month_by_service.contributions {
        let expected = match (cents(c.before), cents(c.after)) {
            (0, _) => Change::New,
            (_, 0) => Change::Removed,
            (b, a) if a > b => Change::Grew,
            _ => Change::Shrank,
        };
        assert_eq!(c.change, expected, "{c:?}");
    }
    assert!(!trading.vs_last_month_by_service.contributions.is_empty());
    let markdown = report::markdown(&report);
    assert!(
        markdown.contains("# Spend of trading — 2025-10 (as of 2025-10-15)"),
        "{markdown}"
    );
    assert!(report.unallocated_share > 0.0 && report.unallocated_share < 0.5);
}

fn amounts() -> impl Strategy<Value = BTreeMap<String, i64>> {
    prop::collection::btree_map("[a-h]", -10_000_000i64..10_000_000, 0..8)
}

proptest! {
    #[test]
    fn contributions_sum_to_the_difference(before in amounts(), after in amounts(), top in 0usize..6) {
        let d = decompose(&before, &after, top);
        let parts: i64 = d.contributions.iter().map(|c| cents(c.difference)).sum();
        let difference = after.values().sum::<i64>() - before.values().sum::<i64>();
        prop_assert_eq!(parts, difference);
        prop_assert!(d.contributions.len() <= top + 1);
        for c in &d.contributions {
            prop_assert_eq!(cents(c.difference), cents(c.after) - cents(c.before));
        }
    }

    #[test]
    fn apportioned_shares_sum_to_the_total(total in -10_000_000i64..10_000_000, weights in prop::collection::vec(-100_000i64..100_000, 1..8)) {
        prop_assume!(weights.iter().sum::<i64>() != 0);
        prop_assert_eq!(apportion(total, &weights).iter().sum::<i64>(), total);
    }
}
