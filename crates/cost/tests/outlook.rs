//! `landfall cost forecast`: per domain and per domain × environment, with
//! the report's forecaster and band.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_cost::date::Date;
use landfall_cost::outlook;
use landfall_cost::report::{self, cents, ReportInput};
use landfall_cost::store::DailyCost;

/// Eight months of two domains, `prod` about three times `dev`, a weekly
/// cycle and a monthly support fee.
fn history() -> Vec<DailyCost> {
    let start = Date::parse("2025-03-01").unwrap();
    let mut rows = Vec::new();
    for i in 0..245 {
        let day = start.add_days(i);
        let weekly = if day.weekday() >= 5 { 0.7 } else { 1.0 };
        for (domain, scale) in [("trading", 1.0), ("web", 0.4)] {
            for (environment, share) in [("prod", 300.0), ("dev", 100.0)] {
                let row = |service: &str, category: &str, amount: f64| DailyCost {
                    period: day.month().to_string(),
                    day,
                    account_id: format!("{domain}-{environment}-id"),
                    account_name: format!("{domain}-{environment}"),
                    domain: domain.into(),
                    environment: environment.into(),
                    service: service.into(),
                    charge_category: category.into(),
                    billed: amount,
                    effective: amount,
                };
                let drift = 1.0 + f64::from(i) / 1000.0;
                rows.push(row("AmazonEC2", "Usage", scale * share * weekly * drift));
                if day.day() == 1 {
                    rows.push(row("AWSSupportBusiness", "Fee", scale * share));
                }
            }
        }
    }
    rows
}

fn input(as_of: &str, domain: Option<&str>) -> ReportInput {
    ReportInput {
        rows: history(),
        currency: "USD".into(),
        as_of: Date::parse(as_of),
        domain: domain.map(str::to_string),
        ..ReportInput::default()
    }
}

#[test]
fn each_domain_then_its_environments_with_bands() {
    let outlook = outlook::build(&input("2025-10-15", None)).unwrap();
    let names: Vec<(String, Option<String>)> = outlook
        .lines
        .iter()
        .map(|l| (l.domain.clone(), l.environment.clone()))
        .collect();
    let expected: Vec<(String, Option<String>)> = [
        ("trading", None),
        ("trading", Some("dev")),
        ("trading", Some("prod")),
        ("web", None),
        ("web", Some("dev")),
        ("web", Some("prod")),
    ]
    .iter()
    .map(|(d, e)| (d.to_string(), e.map(str::to_string)))
    .collect();
    assert_eq!(names, expected);
    assert_eq!(
        (outlook.month.as_str(), outlook.next_month.as_str()),
        ("2025-10", "2025-11")
    );
    for line in &outlook.lines {
        let f = &line.forecast;
        let (low, high) = (f.month_end_low.unwrap(), f.month_end_high.unwrap());
        assert!(low <= f.month_end && f.month_end <= high, "{line:?}");
        let (low, high) = (f.next_month_low.unwrap(), f.next_month_high.unwrap());
        assert!(low <= f.next_month && f.next_month <= high, "{line:?}");
        assert!(f.month_end > line.month_to_date, "{line:?}");
        assert!(f.calibrated_on >= 3, "{line:?}");
    }
    // The environments' months to date add up to their domain's.
    let mtd = |domain: &str, environment: Option<&str>| {
        outlook
            .lines
            .iter()
            .filter(|l| l.domain == domain && l.environment.as_deref() == environment)
            .map(|l| cents(l.month_to_date))
            .sum::<i64>()
    };
    assert_eq!(
        mtd("trading", Some("prod")) + mtd("trading", Some("dev")),
        mtd("trading", None)
    );
    // Prod is about three times dev, and so is its forecast.
    let month_end = |environment: &str| {
        outlook
            .lines
            .iter()
            .find(|l| l.domain == "web" && l.environment.as_deref() == Some(environment))
            .unwrap()
            .forecast
            .month_end
    };
    let ratio = month_end("prod") / month_end("dev");
    assert!((2.7..3.3).contains(&ratio), "{ratio}");
}

#[test]
fn the_domain_line_is_the_reports_forecast() {
    let input = input("2025-10-15", Some("web"));
    let outlook = outlook::build(&input).unwrap();
    let report = report::build(&input).unwrap();
    assert_eq!(outlook.lines[0].forecast, report.domains[0].forecast);
    assert_eq!(
        outlook.lines[0].month_to_date,
        report.domains[0].month_to_date
    );
    assert!(outlook.lines.iter().all(|l| l.domain == "web"));
    let text = outlook::text(&outlook);
    assert!(
        text.contains("Forecast as of 2025-10-15 (USD; month 2025-10, next month 2025-11)"),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("  prod ")), "{text}");
}

#[test]
fn an_empty_store_has_no_forecast() {
    assert!(outlook::build(&ReportInput::default()).is_none());
}
