//! Spend per domain: billing data in, daily aggregates, forecasts with
//! calibrated intervals, and differences explained.
//!
//! ```text
//! export dir ─▶ export (manifest, files) ─▶ scan (Parquet columns; else lines: CUR 2.0 / FOCUS 1.2) ─▶ attribution ─▶ store (SQLite)
//! series file ─▶ series ─▶ forecast (clean, profile, level, fees) ─▶ backtest (scoring, calibration)
//! store ─▶ report (differences, decomposed) / outlook (forecasts per domain and environment)
//! model ─▶ inventory ─▶ store (spec snapshot at ingest) ─▶ launches (new since the snapshot, priced from prices) ─▶ outlook / report
//! ```
//!
//! No AWS SDK here: the CLI fetches, this crate reads files (and the
//! resolved model, for what the spec runs).

pub mod attribution;
pub mod backtest;
pub mod date;
pub mod error;
pub mod export;
pub mod forecast;
pub mod html;
pub mod inventory;
pub mod launches;
pub mod lines;
pub mod notify;
pub mod outlook;
pub mod prices;
pub mod pricing;
pub mod report;
pub mod scan;
pub mod series;
pub mod store;

pub use error::CostError;
