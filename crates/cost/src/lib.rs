//! Spend per domain: billing data in, daily aggregates, forecasts with
//! calibrated intervals, and differences explained.
//!
//! ```text
//! export dir ─▶ export (manifest, files) ─▶ scan (Parquet columns; else lines: CUR 2.0 / FOCUS 1.2) ─▶ attribution ─▶ store (SQLite)
//! series file ─▶ series ─▶ forecast (clean, profile, level, fees) ─▶ backtest (scoring, calibration)
//! store ─▶ report (differences, decomposed) / outlook (forecasts per domain and environment)
//! ```
//!
//! No AWS SDK here: the CLI fetches, this crate reads files.

pub mod attribution;
pub mod backtest;
pub mod date;
pub mod error;
pub mod export;
pub mod forecast;
pub mod html;
pub mod lines;
pub mod notify;
pub mod outlook;
pub mod report;
pub mod scan;
pub mod series;
pub mod store;

pub use error::CostError;
