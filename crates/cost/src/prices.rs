//! The public price list snapshot Landfall prices launches from:
//! `crates/cost/data/prices.tsv`, committed with the code and regenerated
//! from the AWS Price List Bulk API offer files by `scripts/refresh-prices.sh`.
//!
//! One row per (service code, region, usage): the On-Demand USD price of one
//! unit, the day it took effect and where it came from. Usages are
//! Landfall's own names for what the workload layer creates (the refresh
//! script maps offer-file products onto them):
//!
//! | service code | usage | unit |
//! |---|---|---|
//! | `AmazonECS` | `fargate-vcpu`, `fargate-gb` (Linux/x86) | `Hrs` |
//! | `AmazonEC2` | `instance:<type>` (Linux, shared tenancy) | `Hrs` |
//! | `AmazonRDS` | `aurora-mysql:<class>`, `aurora-postgresql:<class>`, `<engine>:<class>:single-az` or `:multi-az`, `gp3-storage` | `Hrs`, `GB-Mo` |
//! | `AmazonElastiCache` | `valkey:<node type>`, `memcached:<node type>` | `Hrs` |
//! | `AmazonMSK` | `broker:<type>`, `broker-storage` | `Hrs`, `GB-Mo` |
//! | `AWSELB` | `alb` (load balancer hours) | `Hrs` |
//! | `awskms` | `key` | `Mo` |
//!
//! The list is data, read and checked once: a malformed row is an error
//! naming its file and line, and every bad row is reported in one run.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::error::CostError;

/// The committed snapshot, compiled in.
pub const COMMITTED: &str = include_str!("../data/prices.tsv");
/// Its path in the repository, for errors.
pub const COMMITTED_PATH: &str = "crates/cost/data/prices.tsv";

/// The columns of a row, in order.
pub const COLUMNS: [&str; 7] = [
    "service",
    "region",
    "usage",
    "unit",
    "usd",
    "effective",
    "source",
];

/// Hours in a month, as AWS's pricing calculator and infracost count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// How a price is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    /// Per hour of one running unit (an instance, a vCPU, a GB of memory).
    #[serde(rename = "Hrs")]
    Hours,
    /// Per month of one unit (a KMS key).
    #[serde(rename = "Mo")]
    Month,
    /// Per GB of provisioned storage per month.
    #[serde(rename = "GB-Mo")]
    GbMonth,
}

impl Unit {
    fn parse(text: &str) -> Option<Unit> {
        match text {
            "Hrs" => Some(Unit::Hours),
            "Mo" => Some(Unit::Month),
            "GB-Mo" => Some(Unit::GbMonth),
            _ => None,
        }
    }

    /// Units of this price one continuously held quantity uses in a month.
    pub fn per_month(self) -> f64 {
        match self {
            Unit::Hours => HOURS_PER_MONTH,
            Unit::Month | Unit::GbMonth => 1.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Hours => "Hrs",
            Unit::Month => "Mo",
            Unit::GbMonth => "GB-Mo",
        }
    }
}

/// One price.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Price {
    pub unit: Unit,
    pub usd: f64,
    pub effective: String,
    pub source: String,
}

/// The price list: service code, region and usage to price.
#[derive(Debug, Clone, Default)]
pub struct PriceList {
    prices: BTreeMap<(String, String, String), Price>,
}

impl PriceList {
    /// The committed snapshot. It is checked by the tests, so an error here
    /// is a defect of the committed file.
    pub fn committed() -> Result<PriceList, Vec<CostError>> {
        PriceList::parse(COMMITTED_PATH, COMMITTED)
    }

    /// Reads a price list file (tab-separated, a header row naming
    /// [`COLUMNS`], `#` comments and blank lines ignored).
    pub fn parse(path: &str, text: &str) -> Result<PriceList, Vec<CostError>> {
        let mut errors = Vec::new();
        let mut list = PriceList::default();
        let mut header = false;
        let error = |line: usize, message: String| CostError::Format {
            path: path.to_string(),
            line,
            message,
        };
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            if raw.trim().is_empty() || raw.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = raw.split('\t').collect();
            if !header {
                if fields != COLUMNS {
                    errors.push(error(
                        line,
                        format!(
                            "the header is `{}`, expected the tab-separated columns `{}`",
                            raw,
                            COLUMNS.join("\\t")
                        ),
                    ));
                    return Err(errors);
                }
                header = true;
                continue;
            }
            if fields.len() != COLUMNS.len() {
                errors.push(error(
                    line,
                    format!(
                        "{} tab-separated fields, expected {} ({})",
                        fields.len(),
                        COLUMNS.len(),
                        COLUMNS.join(", ")
                    ),
                ));
                continue;
            }
            if let Some(column) = COLUMNS
                .iter()
                .zip(&fields)
                .find(|(_, f)| f.trim().is_empty() || f.trim() != **f)
                .map(|(c, _)| c)
            {
                errors.push(error(
                    line,
                    format!("`{column}` is empty or has surrounding spaces"),
                ));
                continue;
            }
            let [service, region, usage, unit, usd, effective, source] = [
                fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6],
            ];
            let Some(unit) = Unit::parse(unit) else {
                errors.push(error(
                    line,
                    format!("unit `{unit}` is not one of Hrs, Mo, GB-Mo"),
                ));
                continue;
            };
            let usd = match usd.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => v,
                _ => {
                    errors.push(error(
                        line,
                        format!(
                            "usd `{usd}` is not a price (a non-negative number such as 0.04656)"
                        ),
                    ));
                    continue;
                }
            };
            if Date::parse(effective).is_none() || effective.len() != 10 {
                errors.push(error(
                    line,
                    format!("effective `{effective}` is not a date (YYYY-MM-DD)"),
                ));
                continue;
            }
            if !source.starts_with("https://") {
                errors.push(error(
                    line,
                    format!(
                        "source `{source}` is not an https:// address of where the price was read"
                    ),
                ));
                continue;
            }
            let key = (service.to_string(), region.to_string(), usage.to_string());
            if list.prices.contains_key(&key) {
                errors.push(error(
                    line,
                    format!("a second price for {service} {region} {usage}: keep one row per service, region and usage"),
                ));
                continue;
            }
            list.prices.insert(
                key,
                Price {
                    unit,
                    usd,
                    effective: effective.to_string(),
                    source: source.to_string(),
                },
            );
        }
        if !header {
            errors.push(error(
                1,
                format!("no header row (`{}`)", COLUMNS.join("\\t")),
            ));
        }
        if errors.is_empty() {
            Ok(list)
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, service: &str, region: &str, usage: &str) -> Option<&Price> {
        self.prices
            .get(&(service.to_string(), region.to_string(), usage.to_string()))
    }

    pub fn len(&self) -> usize {
        self.prices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prices.is_empty()
    }
}
