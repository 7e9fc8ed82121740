//! `landfall cost report`: per domain, what was spent, what will be, and why
//! it differs from last month and from the budget.
//!
//! Amounts are amortized (effective) cost, in cents while they are added up,
//! so every decomposition adds up exactly: the contributors shown plus
//! "other" are the difference, to the cent.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::attribution::UNALLOCATED;
use crate::date::{Date, Month};
use crate::forecast::{clean, forecast_months, forecast_usage, Calibration, Params};
use crate::series::Series;
use crate::store::{DailyCost, Period};

/// Contributors shown by name; the rest are "other".
pub const TOP: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    New,
    Removed,
    Grew,
    Shrank,
    Unchanged,
}

/// One part of a difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub name: String,
    pub before: f64,
    pub after: f64,
    pub difference: f64,
    pub change: Change,
}

/// A difference and its parts (which add up to it exactly).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decomposition {
    pub before: f64,
    pub after: f64,
    pub difference: f64,
    pub contributions: Vec<Contribution>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastBand {
    pub month_end: f64,
    /// The 80 % interval, from the forecaster's own past errors on this
    /// domain; absent until there is enough history to calibrate it.
    pub month_end_low: Option<f64>,
    pub month_end_high: Option<f64>,
    pub next_month: f64,
    pub next_month_low: Option<f64>,
    pub next_month_high: Option<f64>,
    /// Past months the band was calibrated on.
    pub calibrated_on: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetView {
    pub monthly: f64,
    pub forecast_minus_budget: f64,
    pub forecast_percent_of_budget: f64,
    /// The difference forecast − budget as last month's gap to the budget
    /// plus, by service, the forecast (spread as the month to date) against
    /// last month.
    pub decomposition: Decomposition,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainReport {
    pub domain: String,
    pub month: String,
    pub as_of: String,
    /// `estimated` or `final` (from the billing period), `missing`.
    pub data_state: String,
    pub execution_id: Option<String>,
    pub month_to_date: f64,
    pub forecast: ForecastBand,
    pub last_month_same_day: f64,
    pub last_month_full: f64,
    pub budget: Option<BudgetView>,
    /// Month to date vs last month to the same day, by service.
    pub vs_last_month_by_service: Decomposition,
    /// The same difference by account and environment.
    pub vs_last_month_by_account: Decomposition,
    /// Spikes clipped from the forecaster's training data.
    pub anomaly_days: Vec<String>,
    /// Each day of last month and this month: spend to `as_of`, then the
    /// forecast (what the charts draw).
    pub daily: Vec<DailyPoint>,
    /// Launches the spec knows about, when they were looked for
    /// ([`add_launches`]); `forecast` (and the budget view) include them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launches: Option<DomainLaunches>,
}

/// A domain's launches and retirements since the spec snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainLaunches {
    /// The spec snapshot compared against; `None`: none yet, nothing added.
    pub since: Option<String>,
    pub assumption: &'static str,
    /// Added to the month-end forecast and its band.
    pub month_end: f64,
    /// Added to the next-month forecast and its band.
    pub next_month: f64,
    pub items: Vec<crate::launches::Launch>,
}

/// Adds each domain's launches to its forecast (and band, and the budget
/// view) and records them in the report.
pub fn add_launches(report: &mut Report, launches: &crate::launches::Launches) {
    for d in &mut report.domains {
        let items: Vec<crate::launches::Launch> = launches.of(&d.domain, None).cloned().collect();
        let month_end: f64 = items.iter().map(|l| l.month_end).sum();
        let next_month: f64 = items.iter().map(|l| l.next_month).sum();
        let before = d.forecast.clone();
        crate::outlook::shift(&mut d.forecast, month_end, next_month);
        // The chart's remaining days carry the launches evenly: each runs
        // every remaining day.
        let days = d.daily.iter().filter(|p| p.forecast.is_some()).count();
        if days > 0 {
            let per_day = |after: Option<f64>, before: Option<f64>| {
                after.zip(before).map(|(a, b)| (a - b) / days as f64)
            };
            let forecast = per_day(Some(d.forecast.month_end), Some(before.month_end));
            let low = per_day(d.forecast.month_end_low, before.month_end_low);
            let high = per_day(d.forecast.month_end_high, before.month_end_high);
            for point in d.daily.iter_mut().filter(|p| p.forecast.is_some()) {
                for (value, by) in [
                    (&mut point.forecast, forecast),
                    (&mut point.low, low),
                    (&mut point.high, high),
                ] {
                    if let (Some(value), Some(by)) = (value.as_mut(), by) {
                        *value += by;
                    }
                }
            }
        }
        if let Some(b) = &mut d.budget {
            let forecast = cents(d.forecast.month_end);
            let monthly = cents(b.monthly);
            b.forecast_minus_budget = dollars(forecast - monthly);
            if monthly != 0 {
                b.forecast_percent_of_budget = 100.0 * forecast as f64 / monthly as f64;
            }
            // The launches are a contributor of their own, so the parts
            // still add up to the difference.
            let added = forecast - cents(before.month_end);
            if added != 0 {
                let decomposition = &mut b.decomposition;
                decomposition.contributions.push(contribution(
                    "launches the spec knows about",
                    0,
                    added,
                ));
                decomposition.after = dollars(forecast);
                decomposition.difference = dollars(forecast - monthly);
            }
        }
        d.launches = Some(DomainLaunches {
            since: launches.since.clone(),
            assumption: launches.assumption,
            month_end: dollars(cents(month_end)),
            next_month: dollars(cents(next_month)),
            items,
        });
    }
}

/// One day of the daily chart: what was spent, or what is forecast with its
/// band (the month-end band spread over the remaining days in proportion to
/// the daily usage forecast, so the days add up to the month-end figures).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyPoint {
    pub day: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub as_of: String,
    pub currency: String,
    pub domains: Vec<DomainReport>,
    /// Month-to-date cost no domain could be found for, and its share.
    pub unallocated_month_to_date: f64,
    pub unallocated_share: f64,
}

/// What the report needs besides the store.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub rows: Vec<DailyCost>,
    pub periods: Vec<Period>,
    /// Monthly budget per domain.
    pub budgets: BTreeMap<String, f64>,
    pub currency: String,
    /// Default: the last day in the store.
    pub as_of: Option<Date>,
    /// Default: every domain in the store except `unallocated`.
    pub domain: Option<String>,
}

pub fn cents(value: f64) -> i64 {
    (value * 100.0).round() as i64
}

pub(crate) fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

pub fn build(input: &ReportInput) -> Option<Report> {
    let as_of = input
        .as_of
        .or_else(|| input.rows.iter().map(|r| r.day).max())?;
    let start = input.rows.iter().map(|r| r.day).min()?;
    let month = as_of.month();
    let domains = domains(input);
    let in_month_to_date = |r: &DailyCost| r.day.month() == month && r.day <= as_of;
    let total_mtd: i64 = input
        .rows
        .iter()
        .filter(|r| in_month_to_date(r))
        .map(|r| cents(r.effective))
        .sum();
    let unallocated_mtd: i64 = input
        .rows
        .iter()
        .filter(|r| in_month_to_date(r) && r.domain == UNALLOCATED)
        .map(|r| cents(r.effective))
        .sum();
    let period = input.periods.iter().find(|p| p.period == month.to_string());
    let reports = domains
        .iter()
        .map(|domain| {
            let rows: Vec<&DailyCost> = input.rows.iter().filter(|r| &r.domain == domain).collect();
            domain_report(
                domain,
                &rows,
                start,
                as_of,
                period,
                input.budgets.get(domain).copied(),
            )
        })
        .collect();
    Some(Report {
        as_of: as_of.to_string(),
        currency: if input.currency.is_empty() {
            "USD".into()
        } else {
            input.currency.clone()
        },
        domains: reports,
        unallocated_month_to_date: dollars(unallocated_mtd),
        unallocated_share: if total_mtd == 0 {
            0.0
        } else {
            unallocated_mtd as f64 / total_mtd as f64
        },
    })
}

/// The domains a report or forecast covers: `input.domain`, else every
/// domain with spend in the store.
pub(crate) fn domains(input: &ReportInput) -> Vec<String> {
    let mut domains: Vec<String> = input
        .rows
        .iter()
        .map(|r| r.domain.clone())
        .filter(|d| d != UNALLOCATED)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if let Some(only) = &input.domain {
        domains.retain(|d| d == only);
        if domains.is_empty() {
            domains.push(only.clone());
        }
    }
    domains
}

fn domain_report(
    domain: &str,
    rows: &[&DailyCost],
    start: Date,
    as_of: Date,
    period: Option<&Period>,
    budget: Option<f64>,
) -> DomainReport {
    let month = as_of.month();
    let last = month.plus(-1);
    // The same day of last month (its last day when it is shorter).
    let same_day = last
        .first_day()
        .add_days(as_of.day().min(last.len()) as i32 - 1);
    let sum_by = |from: Date, to: Date, key: &dyn Fn(&DailyCost) -> String| {
        let mut out: BTreeMap<String, i64> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.day >= from && r.day <= to) {
            *out.entry(key(r)).or_default() += cents(r.effective);
        }
        out
    };
    let by_service = |r: &DailyCost| r.service.clone();
    let by_account = |r: &DailyCost| format!("{} ({})", r.account_name, r.environment);
    let now_service = sum_by(month.first_day(), as_of, &by_service);
    let before_service = sum_by(last.first_day(), same_day, &by_service);
    let month_to_date: i64 = now_service.values().sum();
    let last_same_day: i64 = before_service.values().sum();
    let last_service = sum_by(last.first_day(), last.last_day(), &by_service);
    let last_full: i64 = last_service.values().sum();

    let series = daily_series(domain, rows, start, as_of);
    let forecast = forecast_band(&series, as_of, month_to_date);
    let daily = daily_points(&series, as_of, &forecast, month_to_date);
    let vs_last_month_by_service = decompose(&before_service, &now_service, TOP);
    let budget = budget.map(|monthly| {
        let monthly_cents = (monthly * 100.0).round() as i64;
        let forecast_cents = cents(forecast.month_end);
        BudgetView {
            monthly,
            forecast_minus_budget: dollars(forecast_cents - monthly_cents),
            forecast_percent_of_budget: if monthly_cents == 0 {
                0.0
            } else {
                100.0 * forecast_cents as f64 / monthly_cents as f64
            },
            decomposition: budget_decomposition(
                monthly_cents,
                forecast_cents,
                &now_service,
                &last_service,
            ),
        }
    });
    DomainReport {
        domain: domain.to_string(),
        month: month.to_string(),
        as_of: as_of.to_string(),
        data_state: period.map_or("missing".into(), |p| p.state.clone()),
        execution_id: period.map(|p| p.execution_id.clone()),
        month_to_date: dollars(month_to_date),
        forecast,
        last_month_same_day: dollars(last_same_day),
        last_month_full: dollars(last_full),
        budget,
        vs_last_month_by_service,
        vs_last_month_by_account: decompose(
            &sum_by(last.first_day(), same_day, &by_account),
            &sum_by(month.first_day(), as_of, &by_account),
            TOP,
        ),
        anomaly_days: clean(&series, &Params::default())
            .anomalies
            .iter()
            .map(|a| a.date.to_string())
            .collect(),
        daily,
        launches: None,
    }
}

/// Last month and this month day by day: the actuals to `as_of`, then the
/// month-end forecast and band spread over the remaining days.
fn daily_points(
    series: &Series,
    as_of: Date,
    forecast: &ForecastBand,
    month_to_date: i64,
) -> Vec<DailyPoint> {
    let month = as_of.month();
    let params = Params::default();
    let rest: Vec<Date> = month.days().filter(|d| *d > as_of).collect();
    let shape = forecast_usage(
        series,
        &clean(series, &params).usage,
        series.len(),
        &rest,
        &params,
    );
    let shape_total: f64 = shape.iter().sum();
    let spread = |total: Option<f64>, i: usize| {
        let remaining = total? - dollars(month_to_date);
        Some(if shape_total > 0.0 {
            remaining * shape[i] / shape_total
        } else {
            remaining / rest.len() as f64
        })
    };
    let actuals = month
        .plus(-1)
        .days()
        .chain(month.days())
        .filter(|d| *d <= as_of);
    let mut points: Vec<DailyPoint> = actuals
        .map(|day| DailyPoint {
            day: day.to_string(),
            actual: Some(series.index_of(day).map_or(0.0, |i| series.total(i))),
            forecast: None,
            low: None,
            high: None,
        })
        .collect();
    points.extend(rest.iter().enumerate().map(|(i, day)| DailyPoint {
        day: day.to_string(),
        actual: None,
        forecast: spread(Some(forecast.month_end), i),
        low: spread(forecast.month_end_low, i),
        high: spread(forecast.month_end_high, i),
    }));
    points
}

/// The domain's daily spend: usage apart from fees, tax, credits and
/// adjustments (which the forecaster carries as what they are).
pub(crate) fn daily_series(domain: &str, rows: &[&DailyCost], start: Date, as_of: Date) -> Series {
    let days = (as_of.days_since(start) + 1).max(0) as usize;
    let mut series = Series {
        name: domain.to_string(),
        start,
        usage: vec![0.0; days],
        fee: vec![0.0; days],
    };
    for r in rows {
        let Some(i) = series.index_of(r.day) else {
            continue;
        };
        if r.charge_category == "Usage" {
            series.usage[i] += r.effective;
        } else {
            series.fee[i] += r.effective;
        }
    }
    series
}

/// Month-end and next-month forecasts from the day after `as_of`, banded by
/// the forecaster's errors on the same day of up to six earlier months.
pub(crate) fn forecast_band(series: &Series, as_of: Date, month_to_date: i64) -> ForecastBand {
    let params = Params::default();
    let cleaned = clean(series, &params);
    let cutoff = series.len();
    let complete = as_of == as_of.month().last_day();
    let raw = forecast_months(series, &cleaned, cutoff, &params);
    // A complete month: its total is known; the next month is forecast from day 0.
    let (month_end, next_month) = if complete {
        (dollars(month_to_date), raw.month_end)
    } else {
        (raw.month_end, raw.next_month)
    };

    let month = as_of.month();
    let day = if complete { 0 } else { as_of.day() };
    let mut month_end_ratios = Vec::new();
    let mut next_month_ratios = Vec::new();
    for k in 1..=6 {
        let past = if complete {
            month.plus(1 - k)
        } else {
            month.plus(-k)
        };
        let Some(first) = series.index_of(past.first_day()) else {
            break;
        };
        if first < 28 {
            break;
        }
        let past_cutoff = first + (day.min(past.len()) as usize);
        let f = forecast_months(series, &cleaned, past_cutoff, &params);
        let total = |m: Month| -> Option<f64> {
            let a = series.index_of(m.first_day())?;
            let b = series.index_of(m.last_day())?;
            (b < cutoff).then(|| (a..=b).map(|i| series.total(i)).sum())
        };
        if let Some(actual) = total(past) {
            month_end_ratios.push(actual / f.month_end);
        }
        if let Some(actual) = total(past.plus(1)) {
            next_month_ratios.push(actual / f.next_month);
        }
    }
    let band = |ratios: &[f64], value: f64| {
        if ratios.len() < 3 {
            return (value, None, None);
        }
        let c = Calibration::from_ratios(ratios);
        (
            value * c.multiplier,
            Some(value * c.low),
            Some(value * c.high),
        )
    };
    let (month_end, month_end_low, month_end_high) = if complete {
        (month_end, Some(month_end), Some(month_end))
    } else {
        band(&month_end_ratios, month_end)
    };
    let (next_month, next_month_low, next_month_high) = band(&next_month_ratios, next_month);
    ForecastBand {
        month_end,
        month_end_low,
        month_end_high,
        next_month,
        next_month_low,
        next_month_high,
        calibrated_on: month_end_ratios.len(),
    }
}

/// `after − before` by name: the `top` largest changes by name, the rest as
/// "other", adding up to the difference exactly.
pub fn decompose(
    before: &BTreeMap<String, i64>,
    after: &BTreeMap<String, i64>,
    top: usize,
) -> Decomposition {
    let names: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut parts: Vec<(String, i64, i64)> = names
        .into_iter()
        .map(|n| {
            (
                n.clone(),
                before.get(n).copied().unwrap_or(0),
                after.get(n).copied().unwrap_or(0),
            )
        })
        .filter(|(_, b, a)| a != b)
        .collect();
    parts.sort_by(|x, y| {
        (y.2 - y.1)
            .abs()
            .cmp(&(x.2 - x.1).abs())
            .then_with(|| x.0.cmp(&y.0))
    });
    let total_before: i64 = before.values().sum();
    let total_after: i64 = after.values().sum();
    let mut contributions: Vec<Contribution> = parts
        .iter()
        .take(top)
        .map(|(name, b, a)| contribution(name, *b, *a))
        .collect();
    if parts.len() > top {
        let (b, a) = parts[top..]
            .iter()
            .fold((0, 0), |(b, a), p| (b + p.1, a + p.2));
        contributions.push(contribution("other", b, a));
    }
    Decomposition {
        before: dollars(total_before),
        after: dollars(total_after),
        difference: dollars(total_after - total_before),
        contributions,
    }
}

fn contribution(name: &str, before: i64, after: i64) -> Contribution {
    let change = match (before, after) {
        (b, a) if b == a => Change::Unchanged,
        (0, _) => Change::New,
        (_, 0) => Change::Removed,
        (b, a) if a > b => Change::Grew,
        _ => Change::Shrank,
    };
    Contribution {
        name: name.to_string(),
        before: dollars(before),
        after: dollars(after),
        difference: dollars(after - before),
        change,
    }
}

/// forecast − budget = (last month − budget) + (forecast − last month), the
/// second part by service: each service's share of the forecast (its share
/// of the month to date) against its last month.
fn budget_decomposition(
    budget: i64,
    forecast: i64,
    month_to_date: &BTreeMap<String, i64>,
    last_month: &BTreeMap<String, i64>,
) -> Decomposition {
    let last_full: i64 = last_month.values().sum();
    let names: Vec<&String> = month_to_date.keys().collect();
    let weights: Vec<i64> = month_to_date.values().copied().collect();
    let mut projected: BTreeMap<String, i64> = BTreeMap::new();
    if weights.iter().sum::<i64>() == 0 {
        projected.insert("this month".into(), forecast);
    } else {
        for (name, share) in names.into_iter().zip(apportion(forecast, &weights)) {
            projected.insert(name.clone(), share);
        }
    }
    let by_service = decompose(last_month, &projected, TOP);
    let mut contributions = vec![contribution("last month vs budget", budget, last_full)];
    contributions.extend(by_service.contributions);
    Decomposition {
        before: dollars(budget),
        after: dollars(forecast),
        difference: dollars(forecast - budget),
        contributions,
    }
}

/// Splits `total` in proportion to `weights` (whose sum is not 0), in whole
/// cents that add up to `total` exactly.
pub fn apportion(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    let exact: Vec<i128> = weights
        .iter()
        .map(|w| i128::from(total) * i128::from(*w))
        .collect();
    let mut shares: Vec<i64> = exact.iter().map(|e| e.div_euclid(sum) as i64).collect();
    let mut left = total - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(exact[*i].rem_euclid(sum.abs())));
    let step = left.signum();
    for i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        shares[*i] += step;
        left -= step;
    }
    shares
}

/// The table "Launches the spec knows about" of a domain: nothing when none
/// were found, a sentence when the store has no spec snapshot yet.
fn launches_markdown(out: &mut String, d: &DomainReport, money: &dyn Fn(f64) -> String) {
    use std::fmt::Write as _;
    let Some(l) = &d.launches else {
        return;
    };
    let Some(since) = &l.since else {
        let _ = writeln!(
            out,
            "\nLaunches the spec knows about: none added (the store has no spec snapshot yet; the next `landfall cost ingest` records one)."
        );
        return;
    };
    if l.items.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Launches the spec knows about (since the spec snapshot of {since}): {:+.2} at month end, {:+.2} next month\n\nIncluded in the forecast above; {}.\n\n| change | environment | region | item | monthly | month end | next month | not priced |\n|---|---|---|---|---|---|---|---|",
        l.month_end, l.next_month, l.assumption
    );
    for i in &l.items {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} `{}` | {} | {:+.2} | {:+.2} | {} |",
            i.change.as_str(),
            i.environment,
            i.region,
            i.kind.as_str(),
            i.name,
            if i.estimate.lines.is_empty() {
                "not priced".to_string()
            } else {
                money(i.monthly)
            },
            i.month_end,
            i.next_month,
            i.estimate
                .not_priced
                .iter()
                .map(|n| n.resource.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
}

/// The report for people, one section per domain.
pub fn markdown(report: &Report) -> String {
    use std::fmt::Write as _;
    let money = |v: f64| format!("{} {v:.2}", report.currency);
    let mut out = String::new();
    for d in &report.domains {
        let _ = writeln!(
            out,
            "# Spend of {} — {} (as of {})\n",
            d.domain, d.month, d.as_of
        );
        let _ = writeln!(
            out,
            "Data: {}{}.\n",
            d.data_state,
            d.execution_id
                .as_ref()
                .map_or(String::new(), |e| format!(" (delivery {e})"))
        );
        let band = |low: Option<f64>, high: Option<f64>| match (low, high) {
            (Some(l), Some(h)) => format!("80 % band {} – {}", money(l), money(h)),
            _ => "no band yet (needs three earlier months to calibrate)".to_string(),
        };
        let _ = writeln!(out, "| | amount |\n|---|---|");
        let _ = writeln!(out, "| month to date | {} |", money(d.month_to_date));
        let _ = writeln!(
            out,
            "| month-end forecast | {} ({}) |",
            money(d.forecast.month_end),
            band(d.forecast.month_end_low, d.forecast.month_end_high)
        );
        let _ = writeln!(
            out,
            "| next month forecast | {} ({}) |",
            money(d.forecast.next_month),
            band(d.forecast.next_month_low, d.forecast.next_month_high)
        );
        let _ = writeln!(
            out,
            "| last month, same day | {} |",
            money(d.last_month_same_day)
        );
        let _ = writeln!(out, "| last month, full | {} |", money(d.last_month_full));
        if let Some(b) = &d.budget {
            let _ = writeln!(out, "| budget | {} |", money(b.monthly));
            let _ = writeln!(
                out,
                "| forecast vs budget | {:+.2} ({:.0} % of budget) |",
                b.forecast_minus_budget, b.forecast_percent_of_budget
            );
        }
        let mut section = |title: &str, decomposition: &Decomposition| {
            let _ = writeln!(
                out,
                "\n## {title}: {:+.2} ({} → {})\n\n| contributor | change | before | after | difference |\n|---|---|---|---|---|",
                decomposition.difference,
                money(decomposition.before),
                money(decomposition.after)
            );
            for c in &decomposition.contributions {
                let _ = writeln!(
                    out,
                    "| {} | {:?} | {:.2} | {:.2} | {:+.2} |",
                    c.name, c.change, c.before, c.after, c.difference
                );
            }
        };
        section(
            "vs last month (same day), by service",
            &d.vs_last_month_by_service,
        );
        section(
            "vs last month (same day), by account",
            &d.vs_last_month_by_account,
        );
        if let Some(b) = &d.budget {
            section("forecast vs budget", &b.decomposition);
        }
        if !d.anomaly_days.is_empty() {
            let _ = writeln!(
                out,
                "\nAnomalies (days clipped from the forecast's training): {}",
                d.anomaly_days.join(", ")
            );
        }
        launches_markdown(&mut out, d, &money);
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Unallocated this month: {} ({:.1} % of all spend).",
        money(report.unallocated_month_to_date),
        100.0 * report.unallocated_share
    );
    out
}
