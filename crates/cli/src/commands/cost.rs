//! `landfall cost`: spend per domain (backtest the forecaster).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use landfall_cost::backtest::{self, Options, Report, CUTOFFS};
use landfall_cost::series::read_series_file;

use crate::args::Format;

#[derive(Debug, Subcommand)]
pub enum CostCommand {
    /// Score the forecaster on daily series (`series,ds,usage,fee,total`,
    /// CSV or .csv.gz): month-end and next-month MAPE and 80 % interval
    /// coverage over the last 6 of 12 rolling origins, forecasts made on
    /// day 0, 10 and 20.
    #[command(
        after_help = "Examples:\n  landfall cost backtest --series history.csv.gz\n  landfall cost backtest --series history.csv --format json | jq .month_end_mape"
    )]
    Backtest(BacktestArgs),
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The series file.
    #[arg(long, value_name = "FILE")]
    pub series: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(command: CostCommand) -> anyhow::Result<ExitCode> {
    match command {
        CostCommand::Backtest(args) => backtest(&args),
    }
}

fn backtest(args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    let series = match read_series_file(&args.series) {
        Ok(series) => series,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    let report = match backtest::run(&series, &Options::default()) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {}: {error}", args.series.display());
            return Ok(ExitCode::from(super::INVALID));
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print!("{}", render_text(&report)),
    }
    Ok(ExitCode::SUCCESS)
}

fn render_text(report: &Report) -> String {
    let mut out = format!(
        "{} series, {} cases per cutoff; scored origins {}…{}, calibrated on {}…{}; {} spike days clipped\n\n",
        report.series,
        report.cases,
        report.scored_origins.first().map_or("", String::as_str),
        report.scored_origins.last().map_or("", String::as_str),
        report.calibration_origins.first().map_or("", String::as_str),
        report.calibration_origins.last().map_or("", String::as_str),
        report.anomalies,
    );
    out.push_str("cutoff  month-end MAPE  next-month MAPE  80% coverage month-end  80% coverage next month\n");
    for cutoff in CUTOFFS {
        let key = cutoff.to_string();
        let percent = |map: &std::collections::BTreeMap<String, f64>| {
            map.get(&key).copied().unwrap_or(f64::NAN) * 100.0
        };
        let fraction = |map: &std::collections::BTreeMap<String, f64>| {
            map.get(&key).copied().unwrap_or(f64::NAN)
        };
        out.push_str(&format!(
            "day {cutoff:<3} {:>13.1}% {:>15.1}% {:>23.2} {:>24.2}\n",
            percent(&report.month_end_mape),
            percent(&report.next_month_mape),
            fraction(&report.coverage80_month_end),
            fraction(&report.coverage80_next_month),
        ));
    }
    out
}
