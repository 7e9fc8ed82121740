//! The spend forecaster: month-end and next-month totals of one daily series.
//!
//! Usage and fees are forecast apart. Usage: spikes are clipped from the
//! training data (and reported as anomalies), a weekly profile and a
//! month-end effect are estimated on the cleaned log series, the level is an
//! exponentially weighted mean of the deseasonalised days, blended with a
//! seasonal naive forecast (last week repeated), plus an allowance for the
//! share of spend spikes have taken in the last year (spikes clipped from
//! training still happen in the future). Fees (Savings Plans and reservation
//! fees, support, tax) are what they are: the ratio of a month's fees to the
//! previous month's usage is carried, and they arrive on the days of the
//! month they arrived last month.
//!
//! Point forecasts and intervals are then calibrated on the method's own past
//! errors (`Calibration`), which is what makes the 80 % band mean 80 %.

use crate::date::{Date, Month};
use crate::series::Series;

/// Tuning of the usage forecaster. The defaults were chosen on synthetic
/// series (`../shared/data/cost/README.md` describes the generator).
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// A day above this multiple of the rolling median is a spike.
    pub spike_factor: f64,
    /// Days of the rolling median a spike is judged against.
    pub spike_window: usize,
    /// Days the weekly profile is estimated over.
    pub weekday_window: usize,
    /// Days the month-end effect is estimated over.
    pub month_end_window: usize,
    /// Last days of a month that month-end batch work falls on.
    pub month_end_days: u32,
    /// A month-end effect smaller than this (log) is noise, not an effect.
    pub month_end_min: f64,
    /// Half-life, in days, of the level's exponential weights.
    pub level_half_life: f64,
    /// Days the level is averaged over.
    pub level_window: usize,
    /// Weight of the seasonal naive forecast in the blend.
    pub seasonal_naive_weight: f64,
    /// Share of the last year's clipped spike spend added back to forecasts.
    pub spike_allowance: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            spike_factor: 2.0,
            spike_window: 28,
            weekday_window: 84,
            month_end_window: 180,
            month_end_days: 3,
            month_end_min: 0.03,
            level_half_life: 10.0,
            level_window: 60,
            seasonal_naive_weight: 0.3,
            spike_allowance: 0.3,
        }
    }
}

/// A day whose usage was clipped from training.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Anomaly {
    pub date: Date,
    pub actual: f64,
    /// The rolling median it was replaced by.
    pub expected: f64,
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Usage with spikes replaced by the rolling median (the day and the 27
/// before it, as `pandas.Series.rolling(28).median()`). Causal: the value of
/// day `i` depends only on days up to `i`, so one cleaning serves every
/// forecast origin of a backtest.
#[derive(Debug, Clone)]
pub struct Cleaned {
    pub usage: Vec<f64>,
    pub anomalies: Vec<Anomaly>,
}

pub fn clean(series: &Series, params: &Params) -> Cleaned {
    let raw = &series.usage;
    let mut usage = raw.clone();
    let mut anomalies = Vec::new();
    let mut window = Vec::with_capacity(params.spike_window);
    for i in 0..raw.len() {
        window.clear();
        window.extend_from_slice(&raw[(i + 1).saturating_sub(params.spike_window)..=i]);
        let median = median(&mut window);
        if raw[i] > params.spike_factor * median {
            anomalies.push(Anomaly {
                date: series.date(i),
                actual: raw[i],
                expected: median,
            });
            usage[i] = median;
        }
    }
    Cleaned { usage, anomalies }
}

/// Forecasts for one origin: made with the days before `cutoff` only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthForecast {
    /// Total (usage and fees) of the cutoff's month: seen days plus forecast.
    pub month_end: f64,
    /// Total of the month after.
    pub next_month: f64,
}

/// Month-end and next-month totals seen from day index `cutoff` (the days
/// before it are known). `cleaned` is `clean(series)`.
pub fn forecast_months(
    series: &Series,
    cleaned: &Cleaned,
    cutoff: usize,
    params: &Params,
) -> MonthForecast {
    let cutoff = cutoff.min(series.len());
    let month = series.date(cutoff).month();
    let first = series.index_of(month.first_day()).unwrap_or(0).min(cutoff);
    let seen_days = (cutoff - first) as u32;
    let rest: Vec<Date> = month.days().skip(seen_days as usize).collect();
    let next: Vec<Date> = month.plus(1).days().collect();
    let horizon: Vec<Date> = rest.iter().chain(&next).copied().collect();
    let usage = forecast_usage(series, &cleaned.usage[..cutoff], cutoff, &horizon, params);
    let (usage_rest, usage_next) = usage.split_at(rest.len());
    let seen_total: f64 = (first..cutoff).map(|i| series.total(i)).sum();
    let seen_usage: f64 = series.usage[first..cutoff].iter().sum();

    let ratio = fee_ratio(series, month, cutoff);
    let previous_usage = month_sum(series, month.plus(-1), cutoff, &series.usage).unwrap_or(0.0);
    let fee_unseen =
        ratio * previous_usage * fee_share_after(series, month.plus(-1), seen_days, cutoff);
    let usage_month = seen_usage + usage_rest.iter().sum::<f64>();
    MonthForecast {
        month_end: seen_total + usage_rest.iter().sum::<f64>() + fee_unseen,
        next_month: usage_next.iter().sum::<f64>() + ratio * usage_month,
    }
}

/// Daily usage forecast for `horizon` from the cleaned history `history`
/// (days `0..cutoff` of `series`).
pub fn forecast_usage(
    series: &Series,
    history: &[f64],
    cutoff: usize,
    horizon: &[Date],
    params: &Params,
) -> Vec<f64> {
    let n = history.len();
    if n == 0 {
        return vec![0.0; horizon.len()];
    }
    let date = |i: usize| series.date(i);
    let month_end = |d: Date| d.in_last_days_of_month(params.month_end_days);
    // Log values, floored at 1 % of the recent median so a zero day (an
    // account not yet in use) does not dominate the profile.
    let mut recent: Vec<f64> = history[n.saturating_sub(params.level_window)..].to_vec();
    let floor = (median(&mut recent) * 0.01).max(1e-9);
    let log: Vec<f64> = history.iter().map(|v| v.max(floor).ln()).collect();

    let weekday = weekday_profile(&log, n, &date, &month_end, params.weekday_window);
    let month_end_effect = month_end_effect(&log, n, &date, &month_end, &weekday, params);
    let deseasonalised = |i: usize| {
        log[i]
            - weekday[date(i).weekday()]
            - if month_end(date(i)) {
                month_end_effect
            } else {
                0.0
            }
    };

    let from = n.saturating_sub(params.level_window);
    let (mut weighted, mut weights) = (0.0, 0.0);
    for i in from..n {
        let weight = 0.5f64.powf((n - 1 - i) as f64 / params.level_half_life);
        weighted += weight * deseasonalised(i).exp();
        weights += weight;
    }
    let level = (weighted / weights).ln();

    let year = n.saturating_sub(365);
    let clipped: f64 = (year..n)
        .map(|i| (series.usage[i] - history[i]).max(0.0))
        .sum();
    let kept: f64 = history[year..].iter().sum();
    let allowance = 1.0 + params.spike_allowance * if kept > 0.0 { clipped / kept } else { 0.0 };

    let start = date(cutoff.min(n));
    horizon
        .iter()
        .map(|d| {
            let seasonal =
                level + weekday[d.weekday()] + if month_end(*d) { month_end_effect } else { 0.0 };
            let model = seasonal.exp();
            let blended = if n >= 7 {
                let back = d.days_since(start).rem_euclid(7) as usize;
                let naive = history[n - 7 + back];
                (1.0 - params.seasonal_naive_weight) * model + params.seasonal_naive_weight * naive
            } else {
                model
            };
            blended * allowance
        })
        .collect()
}

/// Mean log deviation of each weekday from the centred 7-day mean, over the
/// last `window` days (month-end days left out), centred on zero.
fn weekday_profile(
    log: &[f64],
    n: usize,
    date: &dyn Fn(usize) -> Date,
    month_end: &dyn Fn(Date) -> bool,
    window: usize,
) -> [f64; 7] {
    let from = n.saturating_sub(window);
    let (mut sums, mut counts) = ([0.0; 7], [0usize; 7]);
    for i in (from + 3)..n.saturating_sub(3) {
        if month_end(date(i)) {
            continue;
        }
        let centred: f64 = log[i - 3..=i + 3].iter().sum::<f64>() / 7.0;
        sums[date(i).weekday()] += log[i] - centred;
        counts[date(i).weekday()] += 1;
    }
    if counts.contains(&0) {
        return [0.0; 7];
    }
    let mut profile = [0.0; 7];
    for k in 0..7 {
        profile[k] = sums[k] / counts[k] as f64;
    }
    let mean = profile.iter().sum::<f64>() / 7.0;
    profile.map(|p| p - mean)
}

/// Median log lift of month-end days over the two weeks before them.
fn month_end_effect(
    log: &[f64],
    n: usize,
    date: &dyn Fn(usize) -> Date,
    month_end: &dyn Fn(Date) -> bool,
    weekday: &[f64; 7],
    params: &Params,
) -> f64 {
    let from = n.saturating_sub(params.month_end_window);
    let deseasonalised = |i: usize| log[i] - weekday[date(i).weekday()];
    let mut lifts = Vec::new();
    let mut before = Vec::new();
    for i in (from + 14)..n {
        if month_end(date(i)) {
            before.clear();
            before.extend((i - 14..i - 3).map(deseasonalised));
            lifts.push(deseasonalised(i) - median(&mut before));
        }
    }
    if lifts.len() < 3 {
        return 0.0;
    }
    let effect = median(&mut lifts);
    if effect.abs() < params.month_end_min {
        0.0
    } else {
        effect
    }
}

/// Fees of a month over the previous month's usage: the median of the last
/// three complete months (0 when there are no fees).
fn fee_ratio(series: &Series, month: Month, cutoff: usize) -> f64 {
    let mut ratios: Vec<f64> = (1..=3)
        .filter_map(|k| {
            let fees = month_sum(series, month.plus(-k), cutoff, &series.fee)?;
            let usage = month_sum(series, month.plus(-k - 1), cutoff, &series.usage)?;
            (usage > 0.0).then_some(fees / usage)
        })
        .collect();
    if ratios.is_empty() {
        0.0
    } else {
        median(&mut ratios)
    }
}

/// Share of `month`'s fees charged after its day `seen_days` (fees come on
/// the same days of the month as the month before).
fn fee_share_after(series: &Series, month: Month, seen_days: u32, cutoff: usize) -> f64 {
    let Some(total) = month_sum(series, month, cutoff, &series.fee) else {
        return if seen_days == 0 { 1.0 } else { 0.0 };
    };
    if total <= 0.0 {
        return 1.0;
    }
    let after: f64 = month
        .days()
        .filter(|d| d.day() > seen_days)
        .filter_map(|d| series.index_of(d))
        .map(|i| series.fee[i])
        .sum();
    after / total
}

/// Sum of `values` over `month` when the whole month is known before `cutoff`.
fn month_sum(series: &Series, month: Month, cutoff: usize, values: &[f64]) -> Option<f64> {
    let first = series.index_of(month.first_day())?;
    let last = series.index_of(month.last_day())?;
    (last < cutoff).then(|| values[first..=last].iter().sum())
}

/// Median (the lower middle value of an even count); sorts `values`.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// A forecast's correction and 80 % band, from the method's own past errors
/// (ratios actual / forecast at the same horizon).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Calibration {
    /// Multiplier that minimises the mean absolute percentage error over the
    /// past ratios (their median weighted by 1 / ratio).
    pub multiplier: f64,
    /// 10th and 90th percentiles of the ratios.
    pub low: f64,
    pub high: f64,
}

impl Calibration {
    /// No past errors: no correction, no band.
    pub const NONE: Calibration = Calibration {
        multiplier: 1.0,
        low: 1.0,
        high: 1.0,
    };

    pub fn from_ratios(ratios: &[f64]) -> Calibration {
        let mut ratios: Vec<f64> = ratios
            .iter()
            .copied()
            .filter(|r| r.is_finite() && *r > 0.0)
            .collect();
        if ratios.is_empty() {
            return Calibration::NONE;
        }
        ratios.sort_by(f64::total_cmp);
        let total: f64 = ratios.iter().map(|r| 1.0 / r).sum();
        let mut cumulative = 0.0;
        let mut multiplier = ratios[ratios.len() - 1];
        for r in &ratios {
            cumulative += 1.0 / r;
            if cumulative >= total / 2.0 {
                multiplier = *r;
                break;
            }
        }
        Calibration {
            multiplier,
            low: quantile(&ratios, 0.1),
            high: quantile(&ratios, 0.9),
        }
    }
}

/// Linear-interpolated quantile of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
}
