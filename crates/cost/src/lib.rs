//! Spend per domain: billing data in, daily aggregates, forecasts with
//! calibrated intervals, and differences explained.
//!
//! ```text
//! series file ─▶ series ─▶ forecast (clean, profile, level, fees) ─▶ backtest (scoring, calibration)
//! ```
//!
//! No AWS SDK here: the CLI fetches, this crate reads files.

pub mod backtest;
pub mod date;
pub mod error;
pub mod forecast;
pub mod series;

pub use error::CostError;
