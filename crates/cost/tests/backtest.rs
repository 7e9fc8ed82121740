//! The backtest's scoring on a hand-computable series, and the forecaster's
//! accuracy on the benchmark file of `../shared/data/cost/`.

#![allow(clippy::unwrap_used, reason = "test")]

use std::path::Path;

use landfall_cost::backtest::{self, ape, Options};
use landfall_cost::date::{Date, Month};
use landfall_cost::forecast::Calibration;
use landfall_cost::series::{read_series_file, Series};

/// The benchmark series: `LANDFALL_COST_SERIES`, else
/// `../shared/data/cost/series_60.csv.gz` beside the repository root.
fn benchmark_file() -> Option<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("LANDFALL_COST_SERIES")
            .map(Into::into)
            .unwrap_or_default(),
        root.join("../shared/data/cost/series_60.csv.gz"),
    ];
    let found = candidates.into_iter().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "../shared/data/cost/series_60.csv.gz is missing (CI=true: the accuracy test must run)"
        );
        eprintln!("skipped: ../shared/data/cost/series_60.csv.gz is not here");
    }
    found
}

/// The anchors of `../shared/data/cost/README.md` (statsforecast 2.1.1 with
/// the same preparation): the best of seasonal naive, AutoETS and AutoTheta
/// per cutoff (day 0, 10, 20), as fractions.
const BEST_ANCHOR_MONTH_END: [f64; 3] = [0.109, 0.074, 0.046];
const BEST_ANCHOR_NEXT_MONTH: [f64; 3] = [0.131, 0.117, 0.124];

#[test]
fn forecaster_meets_the_anchors_on_the_benchmark_series() {
    let Some(path) = benchmark_file() else { return };
    let series = read_series_file(&path).unwrap();
    let started = std::time::Instant::now();
    let report = backtest::run(&series, &Options::default()).unwrap();
    eprintln!("{}", serde_json::to_string_pretty(&report).unwrap());
    eprintln!("backtest took {:?}", started.elapsed());
    assert_eq!(report.cases, 360);
    assert_eq!(
        report.scored_origins.first().map(String::as_str),
        Some("2025-04")
    );
    assert_eq!(
        report.scored_origins.last().map(String::as_str),
        Some("2025-09")
    );
    for (k, cutoff) in ["0", "10", "20"].into_iter().enumerate() {
        let month_end = report.month_end_mape[cutoff];
        let next_month = report.next_month_mape[cutoff];
        assert!(
            month_end <= BEST_ANCHOR_MONTH_END[k],
            "month-end MAPE at day {cutoff}: {month_end:.4}"
        );
        assert!(
            next_month <= BEST_ANCHOR_NEXT_MONTH[k],
            "next-month MAPE at day {cutoff}: {next_month:.4}"
        );
        for coverage in [
            report.coverage80_month_end[cutoff],
            report.coverage80_next_month[cutoff],
        ] {
            assert!(
                (0.75..=0.85).contains(&coverage),
                "80 % coverage at day {cutoff}: {coverage:.3}"
            );
        }
    }
}

/// 100 a day until May 2025, 200 a day from June; on day 1 of each month a
/// fee of 10 % of the previous month's usage. Seen from 1 June (day 0) the
/// forecaster can only carry May: month-end 30 × 100 + 310 (May's fee rate
/// on May's 3,100) = 3,310 against 6,000 + 310 = 6,310; next month
/// 31 × 100 + 10 % of June's forecast 3,000 = 3,400 against 6,200 + 600.
/// May, the calibration origin, was forecast exactly: no correction, a band
/// of zero width that the June actuals fall outside.
#[test]
fn scoring_of_a_hand_computable_series() {
    let start = Date::parse("2024-01-01").unwrap();
    let end = Date::parse("2025-07-31").unwrap();
    let step = Date::parse("2025-06-01").unwrap();
    let days = end.days_since(start) as usize + 1;
    let usage: Vec<f64> = (0..days)
        .map(|i| {
            if start.add_days(i as i32) < step {
                100.0
            } else {
                200.0
            }
        })
        .collect();
    let fee: Vec<f64> = (0..days)
        .map(|i| {
            let day = start.add_days(i as i32);
            let previous = day.month().plus(-1);
            if day.day() != 1 || previous < Month::new(2024, 1) {
                return 0.0;
            }
            previous
                .days()
                .map(|d| usage[d.days_since(start) as usize])
                .sum::<f64>()
                * 0.1
        })
        .collect();
    let series = vec![Series {
        name: "step".into(),
        start,
        usage,
        fee,
    }];
    let options = Options {
        origins: 2,
        scored: 1,
        ..Options::default()
    };
    let report = backtest::run(&series, &options).unwrap();
    assert_eq!(report.scored_origins, ["2025-06"]);
    assert_eq!(report.calibration_origins, ["2025-05"]);
    assert_eq!(report.cases, 1);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(
        close(report.month_end_mape["0"], 3000.0 / 6310.0),
        "{:?}",
        report.month_end_mape
    );
    assert!(
        close(report.next_month_mape["0"], 3400.0 / 6800.0),
        "{:?}",
        report.next_month_mape
    );
    assert_eq!(report.coverage80_month_end["0"], 0.0);
    assert_eq!(report.anomalies, 0);
}

#[test]
fn calibration_and_percentage_errors() {
    assert_eq!(ape(90.0, 100.0), 0.1);
    assert_eq!(ape(0.0, 0.0), 0.0);
    // Ratios actual / forecast: the multiplier is their median weighted by
    // 1 / ratio (what minimises the mean absolute percentage error).
    let c = Calibration::from_ratios(&[0.5, 1.0, 1.0, 2.0, 4.0]);
    // Weights 2, 1, 1, 0.5, 0.25 (total 4.75): half is reached within 1.0.
    assert_eq!(c.multiplier, 1.0);
    // 10th percentile: position 0.4 between 0.5 and 1.0; 90th: 3.6 between 2 and 4.
    assert!(
        (c.low - 0.7).abs() < 1e-12 && (c.high - 3.2).abs() < 1e-12,
        "{c:?}"
    );
    assert_eq!(Calibration::from_ratios(&[]), Calibration::NONE);
}
