//! `landfall cost forecast`: month-end and next-month spend per domain and
//! per domain × environment, each with its 80 % band.
//!
//! The same forecaster and calibration as the report (`report::forecast_band`
//! over `report::daily_series`), applied to each domain's rows and to each
//! environment's share of them. Launches the spec knows about (accounts,
//! services and stores new or grown since the spec snapshot of the last
//! ingest, and retirements) are added by [`add_launches`] as lines of their
//! own: each line's `month_end` and `next_month` (and their bands, shifted)
//! include them, and its `launches` say by how much and why.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::launches::{Launch, Launches};
use crate::report::{cents, daily_series, domains, forecast_band, ForecastBand, ReportInput};
use crate::store::DailyCost;

/// One forecast line: a domain (`environment` absent) or one of its environments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastLine {
    pub domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub month_to_date: f64,
    /// The forecast, launches included.
    #[serde(flatten)]
    pub forecast: ForecastBand,
    /// What the launches add to it (absent when none touch this line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launches: Option<LineLaunches>,
}

/// The launches of one forecast line and what they add.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineLaunches {
    /// Added to the month-end forecast and its band.
    pub month_end: f64,
    /// Added to the next-month forecast and its band.
    pub next_month: f64,
    pub items: Vec<Launch>,
}

/// Where the launches come from, once per outlook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaunchBasis {
    /// The spec snapshot compared against; `None`: the store has none yet
    /// and nothing was added.
    pub since: Option<String>,
    pub assumption: &'static str,
    /// Launches and retirements found (in the domains shown).
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlook {
    pub as_of: String,
    pub month: String,
    pub next_month: String,
    pub currency: String,
    /// Each domain, followed by its environments (by name).
    pub lines: Vec<ForecastLine>,
    /// Set by [`add_launches`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launches: Option<LaunchBasis>,
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
            launches: None,
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
        launches: None,
    })
}

/// Adds the launches (of the outlook's domains, or of `only`) to their
/// domain's and environment's lines; a domain or environment with no
/// spend yet gets lines of its own.
pub fn add_launches(outlook: &mut Outlook, launches: &Launches, only: Option<&str>) {
    let shown: Vec<&Launch> = launches
        .items
        .iter()
        .filter(|l| only.is_none_or(|d| l.domain == d))
        .collect();
    outlook.launches = Some(LaunchBasis {
        since: launches.since.clone(),
        assumption: launches.assumption,
        count: shown.len(),
    });
    for launch in &shown {
        for environment in [None, Some(launch.environment.as_str())] {
            let found = outlook
                .lines
                .iter()
                .position(|l| l.domain == launch.domain && l.environment.as_deref() == environment);
            let index = found.unwrap_or_else(|| {
                outlook.lines.push(ForecastLine {
                    domain: launch.domain.clone(),
                    environment: environment.map(str::to_string),
                    month_to_date: 0.0,
                    forecast: ForecastBand {
                        month_end: 0.0,
                        month_end_low: None,
                        month_end_high: None,
                        next_month: 0.0,
                        next_month_low: None,
                        next_month_high: None,
                        calibrated_on: 0,
                    },
                    launches: None,
                });
                outlook.lines.len() - 1
            });
            let line = &mut outlook.lines[index];
            let added = line.launches.get_or_insert(LineLaunches {
                month_end: 0.0,
                next_month: 0.0,
                items: Vec::new(),
            });
            added.month_end = round_cents(added.month_end + launch.month_end);
            added.next_month = round_cents(added.next_month + launch.next_month);
            added.items.push((*launch).clone());
        }
    }
    // Once per line, so a retirement met before a launch is not lost to
    // the floor at zero.
    for line in &mut outlook.lines {
        if let Some(added) = &line.launches {
            shift(&mut line.forecast, added.month_end, added.next_month);
        }
    }
    // Each domain first, then its environments by name.
    outlook.lines.sort_by(|a, b| {
        (&a.domain, a.environment.is_some(), &a.environment).cmp(&(
            &b.domain,
            b.environment.is_some(),
            &b.environment,
        ))
    });
}

/// Moves a forecast and its band by what launches add. Retirements take
/// away at most what is forecast: never below zero.
pub fn shift(forecast: &mut ForecastBand, month_end: f64, next_month: f64) {
    let add = |value: &mut f64, by: f64| *value = (*value + by).max(0.0);
    add(&mut forecast.month_end, month_end);
    add(&mut forecast.next_month, next_month);
    for (bound, by) in [
        (&mut forecast.month_end_low, month_end),
        (&mut forecast.month_end_high, month_end),
        (&mut forecast.next_month_low, next_month),
        (&mut forecast.next_month_high, next_month),
    ] {
        if let Some(value) = bound {
            add(value, by);
        }
    }
}

fn round_cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
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
        if let Some(added) = &l.launches {
            let _ = writeln!(
                out,
                "{:<28} {:>14} {:>+14.2} {:>29} {:>+14.2} {:>29}",
                format!(
                    "{}  of which launches ({})",
                    if l.environment.is_some() { "  " } else { "" },
                    added.items.len()
                ),
                "",
                added.month_end,
                "",
                added.next_month,
                "",
            );
        }
    }
    out.push_str(
        "\nBands are calibrated on the forecaster's errors on up to six earlier months (three at least).\n",
    );
    match &outlook.launches {
        None => {}
        Some(LaunchBasis { since: None, .. }) => out.push_str(
            "Launches the spec knows about: none added, the store has no spec snapshot yet (the next `landfall cost ingest` records one).\n",
        ),
        Some(basis) => {
            let _ = writeln!(
                out,
                "Launches the spec knows about, since the spec snapshot of {}: {} (month end and next month include them; {}).",
                basis.since.as_deref().unwrap_or(""),
                if basis.count == 0 { "none".to_string() } else { basis.count.to_string() },
                basis.assumption
            );
            let mut seen = std::collections::BTreeSet::new();
            for l in outlook.lines.iter().filter(|l| l.environment.is_none()) {
                for launch in l.launches.iter().flat_map(|a| &a.items) {
                    if !seen.insert((&launch.domain, &launch.environment, &launch.region, launch.kind, &launch.name)) {
                        continue;
                    }
                    let _ = writeln!(
                        out,
                        "  {} {}/{} {} {} `{}`: {}{}",
                        launch.change.as_str(),
                        launch.domain,
                        launch.environment,
                        launch.region,
                        launch.kind.as_str(),
                        launch.name,
                        if launch.estimate.lines.is_empty() {
                            "not priced".to_string()
                        } else {
                            format!(
                                "{:+.2} a month, month end {:+.2}, next month {:+.2}",
                                launch.monthly, launch.month_end, launch.next_month
                            )
                        },
                        if launch.estimate.not_priced.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "; not priced: {}",
                                launch
                                    .estimate
                                    .not_priced
                                    .iter()
                                    .map(|n| format!("{} ({})", n.resource, n.reason))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    );
                }
            }
        }
    }
    out
}
