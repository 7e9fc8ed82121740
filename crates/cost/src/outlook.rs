//! `landfall cost forecast`: month-end and next-month spend per domain and
//! per domain × environment, each with its 80 % band.
//!
//! The same forecaster and calibration as the report (`report::forecast_band`
//! over `report::daily_series`), applied to each domain's rows and to each
//! environment's share of them. Launches the spec knows about are not added
//! yet: the store keeps no snapshot of the spec to tell what is new.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::report::{cents, daily_series, domains, forecast_band, ForecastBand, ReportInput};
use crate::store::DailyCost;

/// One forecast line: a domain (`environment` absent) or one of its environments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastLine {
    pub domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub month_to_date: f64,
    #[serde(flatten)]
    pub forecast: ForecastBand,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlook {
    pub as_of: String,
    pub month: String,
    pub next_month: String,
    pub currency: String,
    /// Each domain, followed by its environments (by name).
    pub lines: Vec<ForecastLine>,
}

/// Forecasts for the domains of `input` as of `input.as_of` (default: the
/// last day in the store); `None` when the store is empty.
pub fn build(input: &ReportInput) -> Option<Outlook> {
    let as_of = input
        .as_of
        .or_else(|| input.rows.iter().map(|r| r.day).max())?;
    let start = input.rows.iter().map(|r| r.day).min()?;
    let month = as_of.month();
    let line = |domain: &str, environment: Option<&str>, rows: &[&DailyCost]| {
        let month_to_date: i64 = rows
            .iter()
            .filter(|r| r.day.month() == month && r.day <= as_of)
            .map(|r| cents(r.effective))
            .sum();
        let series = daily_series(domain, rows, start, as_of);
        ForecastLine {
            domain: domain.to_string(),
            environment: environment.map(str::to_string),
            month_to_date: month_to_date as f64 / 100.0,
            forecast: forecast_band(&series, as_of, month_to_date),
        }
    };
    let mut lines = Vec::new();
    for domain in domains(input) {
        let rows: Vec<&DailyCost> = input.rows.iter().filter(|r| r.domain == domain).collect();
        lines.push(line(&domain, None, &rows));
        let environments: BTreeSet<&str> = rows.iter().map(|r| r.environment.as_str()).collect();
        for environment in environments {
            let rows: Vec<&DailyCost> = rows
                .iter()
                .copied()
                .filter(|r| r.environment == environment)
                .collect();
            lines.push(line(&domain, Some(environment), &rows));
        }
    }
    Some(Outlook {
        as_of: as_of.to_string(),
        month: month.to_string(),
        next_month: month.plus(1).to_string(),
        currency: if input.currency.is_empty() {
            "USD".into()
        } else {
            input.currency.clone()
        },
        lines,
    })
}

/// A table for the terminal: one row per line, environments indented.
pub fn text(outlook: &Outlook) -> String {
    let band = |low: Option<f64>, high: Option<f64>| match (low, high) {
        (Some(l), Some(h)) => format!("{l:.2} – {h:.2}"),
        _ => "(no band yet)".to_string(),
    };
    let mut out = format!(
        "Forecast as of {} ({}; month {}, next month {})\n\n",
        outlook.as_of, outlook.currency, outlook.month, outlook.next_month
    );
    let _ = writeln!(
        out,
        "{:<28} {:>14} {:>14} {:>29} {:>14} {:>29}",
        "domain / environment",
        "month to date",
        "month end",
        "80 % band",
        "next month",
        "80 % band"
    );
    for l in &outlook.lines {
        let name = match &l.environment {
            Some(environment) => format!("  {environment}"),
            None => l.domain.clone(),
        };
        let f = &l.forecast;
        let _ = writeln!(
            out,
            "{name:<28} {:>14.2} {:>14.2} {:>29} {:>14.2} {:>29}",
            l.month_to_date,
            f.month_end,
            band(f.month_end_low, f.month_end_high),
            f.next_month,
            band(f.next_month_low, f.next_month_high),
        );
    }
    out.push_str(
        "\nBands are calibrated on the forecaster's errors on up to six earlier months (three at least).\n\
         Launches the spec knows about (accounts, services, stores added since the last ingest) are not added yet.\n",
    );
    out
}
