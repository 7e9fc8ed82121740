//! Launches the spec knows about: the price list, what an item costs, what
//! is new (or gone) since the spec snapshot, and how it enters the forecast.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_cost::date::Date;
use landfall_cost::inventory::{self, Item, Kind};
use landfall_cost::launches::{self, Change, Snapshot};
use landfall_cost::outlook;
use landfall_cost::prices::{PriceList, HOURS_PER_MONTH};
use landfall_cost::pricing;
use landfall_cost::report::ReportInput;
use landfall_cost::store::{DailyCost, Store};

fn reference_items() -> Vec<Item> {
    let resolved = landfall_model::reference();
    inventory::of(
        resolved
            .model
            .as_ref()
            .expect("the reference platform resolves"),
    )
}

fn find<'a>(
    items: &'a [Item],
    kind: Kind,
    name: &str,
    environment: &str,
    region: &str,
) -> &'a Item {
    items
        .iter()
        .find(|i| {
            i.kind == kind && i.name == name && i.environment == environment && i.region == region
        })
        .unwrap_or_else(|| panic!("{name} in {environment} {region}"))
}

/// A price list of the tests' own, with a row for everything they price.
const TEST_PRICES: &str = "service\tregion\tusage\tunit\tusd\teffective\tsource
AmazonECS\teu-central-1\tfargate-vcpu\tHrs\t0.04656\t2026-12-06\thttps://aws.amazon.com/fargate/pricing/
AmazonECS\teu-central-1\tfargate-gb\tHrs\t0.00511\t2026-12-06\thttps://aws.amazon.com/fargate/pricing/
AmazonElastiCache\teu-central-1\tvalkey:cache.r7g.large\tHrs\t0.2\t2026-12-06\thttps://example.test/prices
awskms\teu-central-1\tkey\tMo\t1.00\t2026-12-06\thttps://aws.amazon.com/kms/pricing/
";

fn test_prices() -> PriceList {
    PriceList::parse("test-prices.tsv", TEST_PRICES).unwrap()
}

#[test]
fn the_committed_price_list_is_valid_and_prices_fargate_in_the_reference_regions() {
    let prices = PriceList::committed().unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    for region in ["eu-central-1", "eu-west-1"] {
        for usage in ["fargate-vcpu", "fargate-gb"] {
            let price = prices.get("AmazonECS", region, usage).unwrap();
            assert!(price.usd > 0.0 && price.source.starts_with("https://"));
        }
    }
}

/// admin-console-api (reference/services/web): 512 CPU units, 1024 MiB,
/// two tasks in production; priced by hand from the committed rows of
/// eu-central-1: 2 × 0.5 vCPU × 0.04656 + 2 × 1 GB × 0.00511 per hour.
#[test]
fn a_fargate_service_is_priced_from_its_tasks_cpu_and_memory() {
    let items = reference_items();
    let service = find(
        &items,
        Kind::Service,
        "admin-console-api",
        "prod",
        "eu-central-1",
    );
    let estimate = pricing::price(&PriceList::committed().unwrap(), service);
    let vcpu = 2.0 * 0.5 * 0.04656 * HOURS_PER_MONTH;
    let memory = 2.0 * 1.0 * 0.00511 * HOURS_PER_MONTH;
    assert_eq!(estimate.lines.len(), 2, "{estimate:#?}");
    assert!(
        (estimate.lines[0].monthly - vcpu).abs() < 1e-9,
        "{estimate:#?}"
    );
    assert_eq!(estimate.lines[0].quantity, 1.0);
    assert_eq!(estimate.lines[0].unit_price, 0.04656);
    assert!(
        (estimate.lines[1].monthly - memory).abs() < 1e-9,
        "{estimate:#?}"
    );
    assert!((estimate.monthly - (vcpu + memory)).abs() < 1e-9);
    assert!(
        (estimate.monthly - 41.4494).abs() < 1e-9,
        "{}",
        estimate.monthly
    );
    // What it costs by use is said, not counted.
    assert!(estimate
        .not_priced
        .iter()
        .any(|n| n.resource == "CloudWatch Logs ingestion" && n.reason == "depends on use"));
    // Every production region is a cell of its own: the same service in eu-west-1.
    find(
        &items,
        Kind::Service,
        "admin-console-api",
        "prod",
        "eu-west-1",
    );
}

#[test]
fn what_the_price_list_does_not_cover_is_listed_not_priced() {
    let items = reference_items();
    // An Aurora cluster: no Aurora rows in the committed snapshot.
    let store = items
        .iter()
        .find(|i| {
            i.kind == Kind::Store && i.quantities.iter().any(|q| q.usage.starts_with("aurora-"))
        })
        .unwrap();
    let estimate = pricing::price(&PriceList::committed().unwrap(), store);
    assert_eq!(estimate.monthly, 0.0);
    assert!(estimate.lines.is_empty());
    for q in &store.quantities {
        assert!(
            estimate
                .not_priced
                .iter()
                .any(|n| n.resource == q.resource && n.reason.contains(&q.usage)),
            "{} missing from {estimate:#?}",
            q.usage
        );
    }
}

#[test]
fn added_items_are_launches_priced_and_prorated_and_removed_ones_retirements() {
    let mut current = reference_items();
    let service = find(
        &current,
        Kind::Service,
        "admin-console-api",
        "prod",
        "eu-central-1",
    )
    .clone();
    // A store of the tests' own, priced by the tests' price list.
    let mut store = service.clone();
    store.kind = Kind::Store;
    store.name = "session-cache".into();
    store.quantities = vec![inventory::Quantity {
        service: "AmazonElastiCache".into(),
        usage: "valkey:cache.r7g.large".into(),
        resource: "2 × cache.r7g.large".into(),
        quantity: 2.0,
    }];
    store.usage_based = Vec::new();
    current.push(store.clone());
    // The snapshot had neither, but had a service the spec no longer has.
    let mut retired = service.clone();
    retired.name = "legacy-api".into();
    let mut before: Vec<Item> = current
        .iter()
        .filter(|i| i.key() != service.key() && i.key() != store.key())
        .cloned()
        .collect();
    before.push(retired);
    let snapshot = Snapshot {
        taken: "2025-10-01T06:00:00Z".into(),
        items: before,
    };
    let as_of = Date::parse("2025-10-15").unwrap();
    let found = launches::compare(Some(&snapshot), &current, &test_prices(), as_of);
    assert_eq!(found.since.as_deref(), Some("2025-10-01T06:00:00Z"));
    assert_eq!((found.remaining_days, found.days_in_month), (16, 31));
    let summary: Vec<(&str, Change, f64)> = found
        .items
        .iter()
        .map(|l| (l.name.as_str(), l.change, l.monthly))
        .collect();
    // 2 × 0.5 vCPU × 0.04656 + 2 GB × 0.00511, 730 hours; 2 nodes × 0.2, 730 hours.
    // In order: services, then stores (by name).
    assert_eq!(
        summary,
        [
            ("admin-console-api", Change::New, 41.45),
            ("legacy-api", Change::Removed, -41.45),
            ("session-cache", Change::New, 292.0),
        ]
    );
    let cache = &found.items[2];
    assert_eq!(cache.month_end, 150.71, "292 × 16 / 31");
    assert_eq!(cache.next_month, 292.0);
    assert_eq!(cache.estimate.lines[0].quantity, 2.0);
    let retirement = &found.items[1];
    assert_eq!(retirement.month_end, -21.39, "-41.4494 × 16 / 31");
    assert!(retirement.estimate.lines.iter().all(|l| l.quantity < 0.0));

    // Grown: two more tasks are a launch of the difference only.
    let mut grown = current.clone();
    let bigger = grown.iter_mut().find(|i| i.key() == service.key()).unwrap();
    for q in &mut bigger.quantities {
        q.quantity *= 2.0;
    }
    let found = launches::compare(
        Some(&Snapshot {
            taken: "t".into(),
            items: current.clone(),
        }),
        &grown,
        &test_prices(),
        as_of,
    );
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].change, Change::Grown);
    assert_eq!(found.items[0].monthly, 41.45);
    // And back: a retirement of the difference.
    let found = launches::compare(
        Some(&Snapshot {
            taken: "t".into(),
            items: grown,
        }),
        &current,
        &test_prices(),
        as_of,
    );
    assert_eq!(found.items[0].change, Change::Shrunk);
    assert_eq!(found.items[0].monthly, -41.45);

    // No snapshot: nothing is added, and that is said.
    let none = launches::compare(None, &current, &test_prices(), as_of);
    assert!(none.since.is_none() && none.items.is_empty());
    // The same spec: nothing new.
    let same = launches::compare(
        Some(&Snapshot {
            taken: "t".into(),
            items: current.clone(),
        }),
        &current,
        &test_prices(),
        as_of,
    );
    assert!(same.items.is_empty());
}

#[test]
fn a_malformed_price_file_names_each_bad_line() {
    let text = "# comment\nservice\tregion\tusage\tunit\tusd\teffective\tsource\n\
                AmazonECS\teu-central-1\tfargate-vcpu\tHrs\tcheap\t2026-12-06\thttps://a.test/\n\
                AmazonECS\teu-central-1\tfargate-gb\tHours\t0.1\t2026-12-06\thttps://a.test/\n\
                AmazonECS\teu-central-1\tfargate-gb\tHrs\t0.1\n\
                awskms\teu-central-1\tkey\tMo\t1\t2026-13-01\thttps://a.test/\n\
                awskms\teu-west-1\tkey\tMo\t1\t2026-12-01\thttps://a.test/\n\
                awskms\teu-west-1\tkey\tMo\t1\t2026-12-01\thttps://a.test/\n";
    let errors: Vec<String> = PriceList::parse("prices.tsv", text)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(
        errors[0].starts_with("prices.tsv:3: usd `cheap`"),
        "{errors:#?}"
    );
    assert!(
        errors[1].starts_with("prices.tsv:4: unit `Hours`"),
        "{errors:#?}"
    );
    assert!(
        errors[2].starts_with("prices.tsv:5: 5 tab-separated fields, expected 7"),
        "{errors:#?}"
    );
    assert!(
        errors[3].starts_with("prices.tsv:6: effective `2026-13-01`"),
        "{errors:#?}"
    );
    assert!(
        errors[4].starts_with("prices.tsv:8: a second price"),
        "{errors:#?}"
    );

    let errors = PriceList::parse("prices.tsv", "service,region\n").unwrap_err();
    assert!(
        errors[0]
            .to_string()
            .starts_with("prices.tsv:1: the header"),
        "{errors:?}"
    );
}

#[test]
fn the_store_keeps_the_last_spec_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cost.sqlite")).unwrap();
    assert!(store.last_spec_snapshot().unwrap().is_none());
    let items = reference_items();
    store
        .record_spec_snapshot("2025-10-01T06:00:00Z", &items[..3])
        .unwrap();
    store
        .record_spec_snapshot("2025-10-02T06:00:00Z", &items)
        .unwrap();
    let last = store.last_spec_snapshot().unwrap().unwrap();
    assert_eq!(last.taken, "2025-10-02T06:00:00Z");
    assert_eq!(last.items, items);
}

/// The launches enter the domain's and the environment's lines: forecast
/// and band shifted by the contributions, the launches listed; a domain
/// with no spend yet gets lines of its own.
#[test]
fn launches_shift_the_forecast_lines_they_belong_to() {
    let start = Date::parse("2025-03-01").unwrap();
    let rows: Vec<DailyCost> = (0..229)
        .map(|i| {
            let day = start.add_days(i);
            DailyCost {
                period: day.month().to_string(),
                day,
                account_id: "1".into(),
                account_name: "web-prod".into(),
                domain: "web".into(),
                environment: "prod".into(),
                service: "AmazonECS".into(),
                charge_category: "Usage".into(),
                billed: 100.0,
                effective: 100.0,
            }
        })
        .collect();
    let input = ReportInput {
        rows,
        currency: "USD".into(),
        as_of: Date::parse("2025-10-15"),
        ..ReportInput::default()
    };
    let mut forecast = outlook::build(&input).unwrap();
    let before = forecast.lines[0].forecast.clone();
    let mut current = reference_items();
    let mut launched = find(
        &current,
        Kind::Service,
        "admin-console-api",
        "prod",
        "eu-central-1",
    )
    .clone();
    launched.name = "web-new".into();
    let mut elsewhere = launched.clone();
    elsewhere.domain = "trading".into();
    let snapshot = Snapshot {
        taken: "2025-10-01T06:00:00Z".into(),
        items: current.clone(),
    };
    current.push(launched);
    current.push(elsewhere);
    let found = launches::compare(
        Some(&snapshot),
        &current,
        &test_prices(),
        Date::parse("2025-10-15").unwrap(),
    );
    outlook::add_launches(&mut forecast, &found, None);
    let names: Vec<(&str, Option<&str>)> = forecast
        .lines
        .iter()
        .map(|l| (l.domain.as_str(), l.environment.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("trading", None),
            ("trading", Some("prod")),
            ("web", None),
            ("web", Some("prod"))
        ]
    );
    let web = &forecast.lines[2];
    let added = web.launches.as_ref().unwrap();
    assert_eq!(added.items.len(), 1);
    assert_eq!(added.month_end, 21.39);
    assert_eq!(added.next_month, 41.45);
    let round = |v: f64| (v * 100.0).round() / 100.0;
    assert_eq!(web.forecast.month_end, round(before.month_end + 21.39));
    assert_eq!(web.forecast.next_month, round(before.next_month + 41.45));
    if let (Some(low), Some(shifted)) = (before.month_end_low, web.forecast.month_end_low) {
        assert_eq!(shifted, round(low + 21.39));
    }
    assert_eq!(
        forecast.lines[3].launches.as_ref().unwrap().month_end,
        21.39
    );
    // trading has no spend: its lines are the launch alone.
    assert_eq!(forecast.lines[0].forecast.month_end, 21.39);
    assert_eq!(forecast.lines[0].month_to_date, 0.0);
    let text = outlook::text(&forecast);
    assert!(
        text.contains("since the spec snapshot of 2025-10-01T06:00:00Z: 2"),
        "{text}"
    );
    assert!(
        text.contains("new web/prod eu-central-1 service `web-new`: +41.45 a month"),
        "{text}"
    );

    // --domain web: only web's launch.
    let mut only = outlook::build(&ReportInput {
        domain: Some("web".into()),
        ..input.clone()
    })
    .unwrap();
    outlook::add_launches(&mut only, &found, Some("web"));
    assert_eq!(only.lines.len(), 2);
    assert_eq!(only.launches.as_ref().unwrap().count, 1);
}
