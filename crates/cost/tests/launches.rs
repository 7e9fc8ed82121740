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
    // Daily ingests do not grow the store without end.
    for day in 3..=20 {
        store
            .record_spec_snapshot(&format!("2025-10-{day:02}T06:00:00Z"), &items[..1])
            .unwrap();
    }
    drop(store);
    let connection = rusqlite::Connection::open(dir.path().join("cost.sqlite")).unwrap();
    let kept: Vec<String> = connection
        .prepare("SELECT taken FROM spec_snapshots ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kept.len(), Store::SPEC_SNAPSHOTS_KEPT);
    assert_eq!(kept.last().unwrap(), "2025-10-20T06:00:00Z");
    assert_eq!(kept[0], "2025-10-11T06:00:00Z");
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
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-6, "{a} != {b}");
    close(web.forecast.month_end, before.month_end + 21.39);
    close(web.forecast.next_month, before.next_month + 41.45);
    let (low, high) = (
        before.month_end_low.unwrap(),
        before.month_end_high.unwrap(),
    );
    close(web.forecast.month_end_low.unwrap(), low + 21.39);
    close(web.forecast.month_end_high.unwrap(), high + 21.39);
    close(
        web.forecast.next_month_high.unwrap(),
        before.next_month_high.unwrap() + 41.45,
    );
    assert_eq!(
        forecast.lines[3].launches.as_ref().unwrap().month_end,
        21.39
    );
    // trading has no spend: its lines are the launch alone.
    close(forecast.lines[0].forecast.month_end, 21.39);
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

/// scripts/refresh-prices.sh on offer files of the documented layout
/// (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html),
/// tests/fixtures/offers: On-Demand USD prices of what Landfall creates, and
/// none of the look-alikes (Fargate on ARM, Aurora I/O-Optimized, Windows,
/// Redis, network load balancers, reserved terms, KMS request tiers); the
/// file it writes is a valid price list.
#[test]
fn the_refresh_script_reads_offer_files_into_a_valid_price_list() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prices.tsv");
    let run = std::process::Command::new("bash")
        .arg(root.join("scripts/refresh-prices.sh"))
        .arg("eu-central-1")
        .env(
            "OFFERS",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/offers"),
        )
        .env("OUT", &out)
        .output()
        .expect("bash runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let prices = PriceList::parse("prices.tsv", &text).unwrap();
    let price = |service: &str, usage: &str| {
        prices
            .get(service, "eu-central-1", usage)
            .map(|p| (p.usd, p.unit.as_str(), p.effective.as_str()))
    };
    assert_eq!(
        price("AmazonECS", "fargate-vcpu"),
        Some((0.04656, "Hrs", "2026-11-01"))
    );
    assert_eq!(
        price("AmazonECS", "fargate-gb"),
        Some((0.00511, "Hrs", "2026-11-01"))
    );
    assert_eq!(
        price("AmazonEC2", "instance:c7i.metal-24xl").unwrap().0,
        4.9
    );
    assert_eq!(
        price("AmazonRDS", "aurora-mysql:db.r6i.large").unwrap().0,
        0.31
    );
    assert_eq!(
        price("AmazonRDS", "postgres:db.m6i.large:multi-az")
            .unwrap()
            .0,
        0.396
    );
    assert_eq!(
        price("AmazonRDS", "gp3-storage:multi-az").unwrap().1,
        "GB-Mo"
    );
    assert_eq!(
        price("AmazonElastiCache", "valkey:cache.r7g.large")
            .unwrap()
            .0,
        0.196
    );
    assert_eq!(
        price("AmazonMSK", "broker:kafka.m7g.large").unwrap().0,
        0.238
    );
    assert_eq!(price("AmazonMSK", "broker-storage").unwrap().1, "GB-Mo");
    assert_eq!(price("AWSELB", "alb").unwrap().0, 0.027);
    assert_eq!(price("awskms", "key"), Some((1.0, "Mo", "2026-11-01")));
    // 13 rows: nothing of the look-alikes.
    assert_eq!(prices.len(), 13, "{text}");
    assert!(text.contains(
        "\thttps://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonRDS/current/eu-central-1/index.json\n"
    ));
}

/// What the workload layer creates, in the quantities the inventory
/// records: the metal share of a latency-sensitive service, MSK brokers in
/// every AZ with their storage, the account's data key and load balancer.
#[test]
fn the_inventory_counts_what_the_workload_layer_creates() {
    let items = reference_items();
    // matching-engine-eth: 2 tasks of 16 vCPU on c7i.metal-24xl (96 vCPUs).
    let engine = find(
        &items,
        Kind::Service,
        "matching-engine-eth",
        "prod",
        "eu-central-1",
    );
    assert_eq!(engine.quantities.len(), 1);
    assert_eq!(engine.quantities[0].usage, "instance:c7i.metal-24xl");
    assert!((engine.quantities[0].quantity - 32.0 / 96.0).abs() < 1e-12);
    // trading-bus: 2 brokers in each of the region's AZs, 1000 GB each.
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().unwrap();
    let azs = model
        .regions
        .iter()
        .find(|r| r.name == "eu-central-1")
        .unwrap()
        .azs
        .len() as f64;
    let bus = find(&items, Kind::Store, "trading-bus", "prod", "eu-central-1");
    assert_eq!(bus.quantities[0].usage, "broker:kafka.m7g.2xlarge");
    assert_eq!(bus.quantities[0].quantity, 2.0 * azs);
    assert_eq!(bus.quantities[1].usage, "broker-storage");
    assert_eq!(bus.quantities[1].quantity, 2000.0 * azs);
    // The account of matching in prod: its data key and internal load balancer.
    let account = items
        .iter()
        .find(|i| {
            i.kind == Kind::Account
                && i.domain == "matching"
                && i.environment == "prod"
                && i.region == "eu-central-1"
        })
        .unwrap();
    let usages: Vec<&str> = account
        .quantities
        .iter()
        .map(|q| q.usage.as_str())
        .collect();
    assert_eq!(usages, ["key", "alb"]);
    // Outside production one task.
    let dev = find(
        &items,
        Kind::Service,
        "admin-console-api",
        "dev",
        "eu-central-1",
    );
    assert_eq!(dev.quantities[0].quantity, 0.5);
}

#[test]
fn without_a_spec_snapshot_the_forecast_says_nothing_was_added() {
    let start = Date::parse("2025-09-01").unwrap();
    let rows: Vec<DailyCost> = (0..45)
        .map(|i| DailyCost {
            period: start.add_days(i).month().to_string(),
            day: start.add_days(i),
            account_id: "1".into(),
            account_name: "web-prod".into(),
            domain: "web".into(),
            environment: "prod".into(),
            service: "AmazonECS".into(),
            charge_category: "Usage".into(),
            billed: 10.0,
            effective: 10.0,
        })
        .collect();
    let mut forecast = outlook::build(&ReportInput {
        rows,
        ..ReportInput::default()
    })
    .unwrap();
    let before = forecast.lines.clone();
    let found = launches::compare(
        None,
        &reference_items(),
        &test_prices(),
        Date::parse("2025-10-15").unwrap(),
    );
    outlook::add_launches(&mut forecast, &found, None);
    assert_eq!(forecast.lines, before);
    assert!(outlook::text(&forecast).contains("none added, the store has no spec snapshot yet"));
    let json = serde_json::to_value(&forecast).unwrap();
    assert!(json["launches"]["since"].is_null());
    assert_eq!(json["launches"]["count"], 0);
}

/// The report: the domain's forecast, band, budget view and daily chart
/// include its launches, and the markdown and HTML have the table.
#[test]
fn the_report_includes_the_launches_and_lists_them() {
    let start = Date::parse("2025-03-01").unwrap();
    let rows: Vec<DailyCost> = (0..229)
        .map(|i| DailyCost {
            period: start.add_days(i).month().to_string(),
            day: start.add_days(i),
            account_id: "1".into(),
            account_name: "web-prod".into(),
            domain: "web".into(),
            environment: "prod".into(),
            service: "AmazonECS".into(),
            charge_category: "Usage".into(),
            billed: 100.0,
            effective: 100.0,
        })
        .collect();
    let input = ReportInput {
        rows,
        currency: "USD".into(),
        as_of: Date::parse("2025-10-15"),
        budgets: [("web".to_string(), 3000.0)].into(),
        ..ReportInput::default()
    };
    let mut report = landfall_cost::report::build(&input).unwrap();
    let before = report.domains[0].clone();
    let mut current = reference_items();
    let snapshot = Snapshot {
        taken: "2025-10-01T06:00:00Z".into(),
        items: current.clone(),
    };
    let mut launched = find(
        &current,
        Kind::Service,
        "admin-console-api",
        "prod",
        "eu-central-1",
    )
    .clone();
    launched.name = "web-new".into();
    current.push(launched);
    let found = launches::compare(
        Some(&snapshot),
        &current,
        &test_prices(),
        Date::parse("2025-10-15").unwrap(),
    );
    landfall_cost::report::add_launches(&mut report, &found);
    let web = &report.domains[0];
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-6, "{a} != {b}");
    close(web.forecast.month_end, before.forecast.month_end + 21.39);
    close(web.forecast.next_month, before.forecast.next_month + 41.45);
    close(
        web.forecast.month_end_high.unwrap(),
        before.forecast.month_end_high.unwrap() + 21.39,
    );
    let budget = web.budget.as_ref().unwrap();
    close(
        budget.forecast_minus_budget,
        ((web.forecast.month_end - 3000.0) * 100.0).round() / 100.0,
    );
    let parts: f64 = budget
        .decomposition
        .contributions
        .iter()
        .map(|c| c.difference)
        .sum();
    close(parts, budget.decomposition.difference);
    assert_eq!(
        budget.decomposition.contributions.last().unwrap().name,
        "launches the spec knows about"
    );
    // The chart's remaining days add up to the month end with the launches.
    let rest: f64 = web.daily.iter().filter_map(|p| p.forecast).sum();
    close(rest, web.forecast.month_end - web.month_to_date);
    let launches = web.launches.as_ref().unwrap();
    assert_eq!((launches.month_end, launches.next_month), (21.39, 41.45));
    let markdown = landfall_cost::report::markdown(&report);
    assert!(markdown.contains("## Launches the spec knows about (since the spec snapshot of 2025-10-01T06:00:00Z): +21.39 at month end, +41.45 next month"), "{markdown}");
    assert!(markdown.contains("| new | prod | eu-central-1 | service `web-new` | USD 41.45 | +21.39 | +41.45 | CloudWatch Logs ingestion |"), "{markdown}");
    let html = landfall_cost::html::html(&report);
    assert!(html.contains(
        "Launches the spec knows about (since the spec snapshot of 2025-10-01T06:00:00Z)"
    ));
    assert!(
        html.contains("new service `web-new` (prod, eu-central-1)"),
        "{html}"
    );

    // Without a snapshot the report says so and changes nothing.
    let mut plain = landfall_cost::report::build(&input).unwrap();
    landfall_cost::report::add_launches(
        &mut plain,
        &launches::compare(
            None,
            &current,
            &test_prices(),
            Date::parse("2025-10-15").unwrap(),
        ),
    );
    assert_eq!(plain.domains[0].forecast, before.forecast);
    assert!(landfall_cost::report::markdown(&plain)
        .contains("Launches the spec knows about: none added (the store has no spec snapshot yet"));
}
