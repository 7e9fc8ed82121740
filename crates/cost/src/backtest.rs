//! `landfall cost backtest`: the forecaster scored on a file of daily series,
//! exactly as `../shared/data/cost/README.md` describes.
//!
//! Origins are the last `origins` months that have a complete following
//! month; forecasts are made on day 0, 10 and 20 of each (the days before
//! are known, nothing after). The last `scored` origins are scored; the
//! earlier ones calibrate: each forecast is corrected and banded from the
//! errors of the previous `scored` origins whose actuals were known at its
//! cutoff (pooled over the file's series, per target and cutoff).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Month;
use crate::error::CostError;
use crate::forecast::{clean, forecast_months, Calibration, MonthForecast, Params};
use crate::series::Series;

/// The days into the origin month forecasts are made on.
pub const CUTOFFS: [u32; 3] = [0, 10, 20];

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Origin months (calibration and scored).
    pub origins: usize,
    /// Of which the last ones are scored.
    pub scored: usize,
    pub params: Params,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            origins: 12,
            scored: 6,
            params: Params::default(),
        }
    }
}

/// Scores per cutoff (keys "0", "10", "20"), as fractions.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub month_end_mape: BTreeMap<String, f64>,
    pub next_month_mape: BTreeMap<String, f64>,
    pub coverage80_month_end: BTreeMap<String, f64>,
    pub coverage80_next_month: BTreeMap<String, f64>,
    /// Scored cases per cutoff (series × scored origins).
    pub cases: usize,
    pub series: usize,
    /// The scored origin months.
    pub scored_origins: Vec<String>,
    /// The calibration origin months.
    pub calibration_origins: Vec<String>,
    /// Days clipped from training as spikes, over all series.
    pub anomalies: usize,
}

/// One forecast and what happened.
#[derive(Debug, Clone, Copy)]
struct Case {
    forecast: MonthForecast,
    month_end_actual: f64,
    next_month_actual: f64,
}

pub fn run(series: &[Series], options: &Options) -> Result<Report, CostError> {
    let origins = origin_months(series, options)?;
    // cases[cutoff][series][origin]
    let mut cases = vec![vec![Vec::with_capacity(origins.len()); series.len()]; CUTOFFS.len()];
    let mut anomalies = 0;
    for (s, one) in series.iter().enumerate() {
        let cleaned = clean(one, &options.params);
        anomalies += cleaned.anomalies.len();
        for month in &origins {
            let first = one.index_of(month.first_day()).unwrap_or(0);
            let month_end_actual = month_total(one, *month);
            let next_month_actual = month_total(one, month.plus(1));
            for (k, cutoff) in CUTOFFS.iter().enumerate() {
                let forecast =
                    forecast_months(one, &cleaned, first + *cutoff as usize, &options.params);
                cases[k][s].push(Case {
                    forecast,
                    month_end_actual,
                    next_month_actual,
                });
            }
        }
    }

    let mut report = Report {
        month_end_mape: BTreeMap::new(),
        next_month_mape: BTreeMap::new(),
        coverage80_month_end: BTreeMap::new(),
        coverage80_next_month: BTreeMap::new(),
        cases: series.len() * options.scored,
        series: series.len(),
        scored_origins: origins[origins.len() - options.scored..]
            .iter()
            .map(Month::to_string)
            .collect(),
        calibration_origins: origins[..origins.len() - options.scored]
            .iter()
            .map(Month::to_string)
            .collect(),
        anomalies,
    };
    for (k, cutoff) in CUTOFFS.iter().enumerate() {
        let by_series = &cases[k];
        let mut scores = Scores::default();
        for o in origins.len() - options.scored..origins.len() {
            // Month-end actuals are known for origins before this one; the
            // next-month actual of origin o-1 is this origin's month, not yet known.
            let month_end = calibration(by_series, o.saturating_sub(options.scored)..o, |c| {
                c.month_end_actual / c.forecast.month_end
            });
            let next_month = calibration(
                by_series,
                o.saturating_sub(options.scored + 1)..o.saturating_sub(1),
                |c| c.next_month_actual / c.forecast.next_month,
            );
            for cases in by_series {
                let case = cases[o];
                scores.add_month_end(case.forecast.month_end, case.month_end_actual, &month_end);
                scores.add_next_month(
                    case.forecast.next_month,
                    case.next_month_actual,
                    &next_month,
                );
            }
        }
        let key = cutoff.to_string();
        report
            .month_end_mape
            .insert(key.clone(), scores.month_end_ape / scores.count as f64);
        report
            .next_month_mape
            .insert(key.clone(), scores.next_month_ape / scores.count as f64);
        report.coverage80_month_end.insert(
            key.clone(),
            scores.month_end_covered as f64 / scores.count as f64,
        );
        report
            .coverage80_next_month
            .insert(key, scores.next_month_covered as f64 / scores.count as f64);
    }
    Ok(report)
}

#[derive(Default)]
struct Scores {
    count: usize,
    month_end_ape: f64,
    next_month_ape: f64,
    month_end_covered: usize,
    next_month_covered: usize,
}

impl Scores {
    fn add_month_end(&mut self, forecast: f64, actual: f64, calibration: &Calibration) {
        self.count += 1;
        self.month_end_ape += ape(forecast * calibration.multiplier, actual);
        self.month_end_covered += usize::from(covered(forecast, actual, calibration));
    }

    fn add_next_month(&mut self, forecast: f64, actual: f64, calibration: &Calibration) {
        self.next_month_ape += ape(forecast * calibration.multiplier, actual);
        self.next_month_covered += usize::from(covered(forecast, actual, calibration));
    }
}

/// Absolute percentage error, as a fraction (0 when both are 0).
pub fn ape(forecast: f64, actual: f64) -> f64 {
    if actual == 0.0 {
        if forecast == 0.0 {
            0.0
        } else {
            1.0
        }
    } else {
        (forecast - actual).abs() / actual
    }
}

fn covered(forecast: f64, actual: f64, calibration: &Calibration) -> bool {
    forecast * calibration.low <= actual && actual <= forecast * calibration.high
}

fn calibration(
    by_series: &[Vec<Case>],
    origins: std::ops::Range<usize>,
    ratio: impl Fn(&Case) -> f64,
) -> Calibration {
    let ratios: Vec<f64> = by_series
        .iter()
        .flat_map(|cases| cases[origins.clone()].iter().map(&ratio))
        .collect();
    Calibration::from_ratios(&ratios)
}

fn month_total(series: &Series, month: Month) -> f64 {
    month
        .days()
        .filter_map(|d| series.index_of(d))
        .map(|i| series.total(i))
        .sum()
}

/// The last `options.origins` months whose following month every series
/// covers completely, with at least two months of history before the first.
fn origin_months(series: &[Series], options: &Options) -> Result<Vec<Month>, CostError> {
    if options.scored == 0 || options.scored > options.origins {
        return Err(CostError::Invalid(format!(
            "{} scored origins of {}: at least one, at most all",
            options.scored, options.origins
        )));
    }
    let start = series
        .iter()
        .map(|s| s.start)
        .max()
        .ok_or_else(|| CostError::Invalid("no series".into()))?;
    let end = series
        .iter()
        .map(Series::end)
        .min()
        .ok_or_else(|| CostError::Invalid("no series".into()))?;
    // The last month complete in every series is the last "following month".
    let mut last = end.month();
    if end != last.last_day() {
        last = last.plus(-1);
    }
    let last_origin = last.plus(-1);
    let first_origin = last_origin.plus(-(options.origins as i32 - 1));
    let history = first_origin.first_day().days_since(start);
    if history < 56 {
        return Err(CostError::Invalid(format!(
            "the series run from {start} to {end}: {} origin months up to {last_origin} need history from at least {} (8 weeks before {first_origin})",
            options.origins,
            first_origin.first_day().add_days(-56)
        )));
    }
    Ok((0..options.origins as i32)
        .map(|k| first_origin.plus(k))
        .collect())
}
