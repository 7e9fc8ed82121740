//! Writes the small golden Data Exports deliveries the ingest tests read
//! (`tests/fixtures/exports/`), deterministically:
//!
//!     cargo run -p landfall-cost --example golden_exports
//!
//! The same billing lines in two tables: `cur2/` (CUR 2.0 columns, with
//! Savings Plans coverage, its negation and recurring fee, support fees,
//! tax and credits) and `focus12/` (all 57 FOCUS 1.2 columns, Savings Plans
//! as FOCUS has them, see `charges`; `tests/focus_validator.rs` runs the
//! FinOps Foundation's validator on them). Two billing periods: 2025-09 invoiced (final) and 2025-10
//! estimated. `cur2-restated/` is 2025-09 delivered again after its close,
//! with a refund and a corrected charge; `cur2-other-payer/` is October
//! from another organization's management account; `focus12-csv/` is
//! September as FOCUS CSV. `not-billing.parquet` is a Parquet
//! file of neither table. Accounts are the reference
//! platform's, plus `legacy-billing`, which the model does not know.

// A one-off generator: stopping at the first failure is what it should do.
#![allow(clippy::unwrap_used)]

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

const PAYER: &str = "111111111111";
const OTHER_PAYER: &str = "999999999999";

#[derive(Clone)]
struct Line {
    account_id: String,
    account_name: String,
    day: i64, // days since 1970-01-01
    kind: &'static str,
    service: &'static str,
    unblended: f64,
    effective: f64,
    sp_effective: f64,
    sp_commitment: f64,
    sp_used: f64,
    tags: Vec<(String, String)>,
}

/// Deterministic pseudo-random numbers (a 64-bit LCG).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn lines(year: i64, month: i64, days: i64, seed: u64, restated: bool) -> Vec<Line> {
    let accounts = [
        ("210000000001", "trading-prod"),
        ("210000000002", "trading-dev"),
        ("210000000003", "matching-prod"),
        ("210000000004", "market-data-prod"),
        ("210000000005", "web-prod"),
        ("210000000006", "web-staging"),
        ("210000000007", "risk-prod"),
        ("210000000008", "payments-prod"),
        ("210000000009", "shared-services"),
        ("210000000010", "networking"),
        ("210000000011", "legacy-billing"),
    ];
    let services = [
        "AmazonEC2",
        "AmazonRDS",
        "AmazonS3",
        "AWSELB",
        "AmazonCloudFront",
        "AmazonMSK",
    ];
    let mut rng = Lcg(seed);
    let mut out = Vec::new();
    let first = days_from_civil(year, month, 1);
    for (a, (id, name)) in accounts.iter().enumerate() {
        let scale = 40.0 + 25.0 * a as f64;
        for d in 0..days {
            for (s, service) in services.iter().enumerate() {
                if (a + s) % 3 == 2 {
                    continue;
                }
                let cost = cents(scale * (0.5 + rng.next()) / (1 + s) as f64);
                // Shared accounts tag what each domain uses.
                let tags = match *name {
                    "shared-services" | "networking" => {
                        let domain =
                            ["trading", "web", "risk", "observability-only"][(d as usize + s) % 4];
                        vec![(
                            landfall_cost::lines::DOMAIN_TAG.to_string(),
                            domain.to_string(),
                        )]
                    }
                    _ => vec![("user:cost-centre".to_string(), "platform".to_string())],
                };
                let mut line = Line {
                    account_id: id.to_string(),
                    account_name: name.to_string(),
                    day: first + d,
                    kind: "Usage",
                    service,
                    unblended: cost,
                    effective: cost,
                    sp_effective: 0.0,
                    sp_commitment: 0.0,
                    sp_used: 0.0,
                    tags,
                };
                // EC2 in trading-prod is covered by a Savings Plan at 30 % off.
                if *name == "trading-prod" && *service == "AmazonEC2" {
                    line.kind = "SavingsPlanCoveredUsage";
                    line.sp_effective = cents(cost * 0.7);
                    line.effective = line.sp_effective;
                    let mut negation = line.clone();
                    negation.kind = "SavingsPlanNegation";
                    negation.unblended = -cost;
                    negation.effective = 0.0;
                    out.push(negation);
                }
                out.push(line);
            }
        }
    }
    let base = |name: &str,
                kind: &'static str,
                service: &'static str,
                day: i64,
                unblended: f64,
                effective: f64| Line {
        account_id: accounts
            .iter()
            .find(|a| a.1 == name)
            .map(|a| a.0)
            .unwrap_or_default()
            .to_string(),
        account_name: name.to_string(),
        day: first + day,
        kind,
        service,
        unblended,
        effective,
        sp_effective: 0.0,
        sp_commitment: 0.0,
        sp_used: 0.0,
        tags: Vec::new(),
    };
    // The Savings Plan's recurring fee, hourly commitment billed per day; 90 % used.
    for d in 0..days {
        let mut fee = base(
            "trading-prod",
            "SavingsPlanRecurringFee",
            "ComputeSavingsPlans",
            d,
            48.0,
            4.8,
        );
        fee.sp_commitment = 48.0;
        fee.sp_used = 43.2;
        out.push(fee);
    }
    out.push(base(
        "trading-prod",
        "Fee",
        "AWSSupportBusiness",
        0,
        310.0,
        310.0,
    ));
    out.push(base(
        "web-prod",
        "Credit",
        "AmazonCloudFront",
        14,
        -25.0,
        -25.0,
    ));
    for name in ["trading-prod", "web-prod", "risk-prod", "legacy-billing"] {
        out.push(base(name, "Tax", "AmazonEC2", days - 1, 42.5, 42.5));
    }
    if restated {
        out.push(base(
            "payments-prod",
            "Refund",
            "AmazonRDS",
            days - 1,
            -120.0,
            -120.0,
        ));
        if let Some(line) = out
            .iter_mut()
            .find(|l| l.account_name == "risk-prod" && l.kind == "Usage")
        {
            line.unblended = cents(line.unblended + 17.0);
            line.effective = line.unblended;
        }
    }
    out
}

fn focus_category(kind: &str) -> &'static str {
    match kind {
        "Usage"
        | "SavingsPlanCoveredUsage"
        | "SavingsPlanNegation"
        | "SavingsPlanUnused"
        | "DiscountedUsage" => "Usage",
        "SavingsPlanRecurringFee" | "SavingsPlanUpfrontFee" | "RIFee" | "Fee" => "Purchase",
        "Tax" => "Tax",
        "Refund" => "Adjustment",
        _ => "Credit",
    }
}

fn strings(values: impl Iterator<Item = Option<String>>) -> (Vec<ByteArray>, Vec<i16>) {
    let (mut out, mut def) = (Vec::new(), Vec::new());
    for v in values {
        match v {
            Some(v) => {
                out.push(ByteArray::from(v.as_str()));
                def.push(1);
            }
            None => def.push(0),
        }
    }
    (out, def)
}

enum Column {
    Text(Vec<Option<String>>),
    Number(Vec<f64>),
    /// Numbers, some null.
    Nullable(Vec<Option<f64>>),
    Timestamp(Vec<i64>),
    Tags(Vec<Vec<(String, String)>>),
}

fn write(path: &Path, schema: &str, columns: Vec<Column>) {
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut writer = SerializedFileWriter::new(File::create(path).unwrap(), schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    for column in columns {
        match column {
            Column::Text(values) => {
                let mut w = group.next_column().unwrap().unwrap();
                let (v, def) = strings(values.into_iter());
                w.typed::<ByteArrayType>()
                    .write_batch(&v, Some(&def), None)
                    .unwrap();
                w.close().unwrap();
            }
            Column::Number(values) => {
                let mut w = group.next_column().unwrap().unwrap();
                let def = vec![1i16; values.len()];
                w.typed::<DoubleType>()
                    .write_batch(&values, Some(&def), None)
                    .unwrap();
                w.close().unwrap();
            }
            Column::Nullable(values) => {
                let mut w = group.next_column().unwrap().unwrap();
                let def: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
                let values: Vec<f64> = values.into_iter().flatten().collect();
                w.typed::<DoubleType>()
                    .write_batch(&values, Some(&def), None)
                    .unwrap();
                w.close().unwrap();
            }
            Column::Timestamp(values) => {
                let mut w = group.next_column().unwrap().unwrap();
                let def = vec![1i16; values.len()];
                w.typed::<Int64Type>()
                    .write_batch(&values, Some(&def), None)
                    .unwrap();
                w.close().unwrap();
            }
            Column::Tags(rows) => {
                // A MAP: key (max definition 2, repetition 1), value (3, 1).
                let (mut keys, mut key_def, mut values, mut value_def, mut rep) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for tags in &rows {
                    if tags.is_empty() {
                        key_def.push(1);
                        value_def.push(1);
                        rep.push(0);
                    }
                    for (i, (k, v)) in tags.iter().enumerate() {
                        keys.push(ByteArray::from(k.as_str()));
                        values.push(ByteArray::from(v.as_str()));
                        key_def.push(2);
                        value_def.push(3);
                        rep.push(i16::from(i > 0));
                    }
                }
                let mut w = group.next_column().unwrap().unwrap();
                w.typed::<ByteArrayType>()
                    .write_batch(&keys, Some(&key_def), Some(&rep))
                    .unwrap();
                w.close().unwrap();
                let mut w = group.next_column().unwrap().unwrap();
                w.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&value_def), Some(&rep))
                    .unwrap();
                w.close().unwrap();
            }
        }
    }
    group.close().unwrap();
    writer.close().unwrap();
}

const TAGS: &str = "optional group {} (MAP) { repeated group key_value { required binary key (STRING); optional binary value (STRING); } }";

fn cur2(path: &Path, lines: &[Line], invoice: Option<&str>, payer: &str) {
    let text = |f: &dyn Fn(&Line) -> Option<String>| Column::Text(lines.iter().map(f).collect());
    let number = |f: &dyn Fn(&Line) -> f64| Column::Number(lines.iter().map(f).collect());
    let schema = format!(
        "message cur2 {{
          optional binary bill_payer_account_id (STRING);
          optional binary bill_invoice_id (STRING);
          optional binary line_item_usage_account_id (STRING);
          optional binary line_item_usage_account_name (STRING);
          optional int64 line_item_usage_start_date (TIMESTAMP(MILLIS,true));
          optional binary line_item_line_item_type (STRING);
          optional binary line_item_product_code (STRING);
          optional double line_item_unblended_cost;
          optional double savings_plan_savings_plan_effective_cost;
          optional double savings_plan_total_commitment_to_date;
          optional double savings_plan_used_commitment;
          {}
        }}",
        TAGS.replace("{}", "resource_tags")
    );
    write(
        path,
        &schema,
        vec![
            text(&|_| Some(payer.into())),
            text(&|_| invoice.map(str::to_string)),
            text(&|l| Some(l.account_id.clone())),
            text(&|l| Some(l.account_name.clone())),
            Column::Timestamp(lines.iter().map(|l| l.day * 86_400_000).collect()),
            text(&|l| Some(l.kind.into())),
            text(&|l| Some(l.service.into())),
            number(&|l| l.unblended),
            number(&|l| l.sp_effective),
            number(&|l| l.sp_commitment),
            number(&|l| l.sp_used),
            Column::Tags(lines.iter().map(|l| l.tags.clone()).collect()),
        ],
    );
}

/// What a service's lines carry in the FOCUS columns that describe them.
/// Illustrative and self-consistent (ListCost is ListUnitPrice ×
/// PricingQuantity), not AWS's price list.
struct Service {
    code: &'static str,
    category: &'static str,
    subcategory: &'static str,
    description: &'static str,
    unit: &'static str,
    unit_price: f64,
    sku: &'static str,
    meter: &'static str,
    /// The resource a line is for: its type and the ARN's service and kind.
    resource: Option<(&'static str, &'static str)>,
    regional: bool,
    zonal: bool,
}

const SERVICES: &[Service] = &[
    Service {
        code: "AmazonEC2",
        category: "Compute",
        subcategory: "Virtual Machines",
        description: "USD 0.192 per On Demand Linux m5.xlarge Instance Hour",
        unit: "Hours",
        unit_price: 0.192,
        sku: "8VCNEHQMSCQS4P39",
        meter: "Compute Usage",
        resource: Some(("Instance", "ec2:{region}:{account}:instance/i-0{n}")),
        regional: true,
        zonal: true,
    },
    Service {
        code: "AmazonRDS",
        category: "Databases",
        subcategory: "Relational Databases",
        description: "USD 0.404 per db.m5.xlarge Multi-AZ instance hour running PostgreSQL",
        unit: "Hours",
        unit_price: 0.404,
        sku: "QZD8XTHGZ5N7PRSW",
        meter: "Database Instance Usage",
        resource: Some(("DB Instance", "rds:{region}:{account}:db:{name}-db")),
        regional: true,
        zonal: true,
    },
    Service {
        code: "AmazonS3",
        category: "Storage",
        subcategory: "Object Storage",
        description: "USD 0.0245 per GB-Month of storage used",
        unit: "GB-Months",
        unit_price: 0.0245,
        sku: "WP9ANXZGBYYSGJEA",
        meter: "Storage Usage",
        resource: Some(("Bucket", "s3:::landfall-{name}-data")),
        regional: true,
        zonal: false,
    },
    Service {
        code: "AWSELB",
        category: "Networking",
        subcategory: "Application Networking",
        description: "USD 0.027 per Application LoadBalancer-hour",
        unit: "Hours",
        unit_price: 0.027,
        sku: "7H6M5F4Y6KA4G8CR",
        meter: "Load Balancer Usage",
        resource: Some((
            "Load Balancer",
            "elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/5f3a{n}",
        )),
        regional: true,
        zonal: false,
    },
    Service {
        code: "AmazonCloudFront",
        category: "Networking",
        subcategory: "Content Delivery",
        description: "USD 0.085 per GB - first 10 TB / month data transfer out (Europe)",
        unit: "GB",
        unit_price: 0.085,
        sku: "N6HRDPSRJHY9QFJ3",
        meter: "Data Transfer Out",
        resource: Some(("Distribution", "cloudfront::{account}:distribution/E2{n}")),
        regional: false,
        zonal: false,
    },
    Service {
        code: "AmazonMSK",
        category: "Analytics",
        subcategory: "Streaming Analytics",
        description: "USD 0.228 per Kafka.m5.large broker hour",
        unit: "Hours",
        unit_price: 0.228,
        sku: "RN4T5BY6ZD2A4QHG",
        meter: "Broker Usage",
        resource: Some(("Cluster", "kafka:{region}:{account}:cluster/{name}/c1{n}")),
        regional: true,
        zonal: true,
    },
    Service {
        code: "ComputeSavingsPlans",
        category: "Compute",
        subcategory: "Other (Compute)",
        description: "Compute Savings Plan, 1 year, No Upfront, USD 2.00 per hour",
        unit: "Hours",
        unit_price: 2.0,
        sku: "X4CMNRJ2Y8RBDC3E",
        meter: "Savings Plan Commitment",
        resource: None,
        regional: false,
        zonal: false,
    },
    Service {
        code: "AWSSupportBusiness",
        category: "Management and Governance",
        subcategory: "Support",
        description: "AWS Support (Business), monthly fee",
        unit: "Months",
        unit_price: 310.0,
        sku: "M3CQ8VRT2KB9F7WD",
        meter: "Support Fee",
        resource: None,
        regional: false,
        zonal: false,
    },
];

const REGION: (&str, &str) = ("eu-central-1", "Europe (Frankfurt)");
const SAVINGS_PLAN: &str =
    "arn:aws:savingsplans::210000000001:savingsplan/3a8c6f0e-5d1b-4c4e-9a52-7f2d1c0b9e61";

/// One FOCUS cell, typed as the Parquet file holds it.
enum Cell {
    Text(Option<String>),
    Number(Option<f64>),
    /// Milliseconds since the epoch, UTC.
    Time(i64),
}

fn text(v: impl Into<String>) -> Cell {
    Cell::Text(Some(v.into()))
}

fn none() -> Cell {
    Cell::Text(None)
}

const DAY_MS: i64 = 86_400_000;

/// One FOCUS row: the CUR line it comes from, and its kind and costs as
/// FOCUS has them.
struct Charge<'a> {
    line: &'a Line,
    /// The CUR line item type, or `SavingsPlanUnused`.
    kind: &'static str,
    billed: f64,
    effective: f64,
    /// The on-demand cost (ListCost, ContractedCost: no negotiated rates).
    list: f64,
}

/// The FOCUS rows of a CUR line, Savings Plans as FOCUS has them: covered
/// usage billed 0, its negation folded in (the plan's fee is what is
/// billed); the fee amortized to 0 (EffectiveCost of a purchase that covers
/// eligible charges, columns/effectivecost.md), and its unused commitment a
/// Usage row of its own, CommitmentDiscountStatus `Unused`. With one
/// negation and one fee a day, FOCUS has as many rows as CUR here, and the
/// same billed and amortized cost per account and day.
fn charges(l: &Line) -> Vec<Charge<'_>> {
    let charge = |kind, billed, effective, list| Charge {
        line: l,
        kind,
        billed,
        effective,
        list,
    };
    match l.kind {
        "SavingsPlanNegation" => Vec::new(),
        "SavingsPlanCoveredUsage" => vec![charge(l.kind, 0.0, l.effective, l.unblended)],
        "SavingsPlanRecurringFee" => {
            let unused = l.sp_commitment - l.sp_used;
            vec![
                charge(l.kind, l.unblended, 0.0, l.unblended),
                charge("SavingsPlanUnused", 0.0, l.effective, unused),
            ]
        }
        _ => vec![charge(l.kind, l.unblended, l.effective, l.unblended)],
    }
}

/// Every FOCUS 1.2 column but `Tags`, in the specification's (alphabetical)
/// order, for one charge of a billing period (first day, first day after).
fn focus_row(c: &Charge, invoice: Option<&str>, period: (i64, i64)) -> Vec<(&'static str, Cell)> {
    let l = c.line;
    let service = SERVICES.iter().find(|s| s.code == l.service).unwrap();
    let category = focus_category(c.kind);
    let usage = category == "Usage";
    let priced = matches!(category, "Usage" | "Purchase");
    let committed = matches!(c.kind, "SavingsPlanCoveredUsage" | "SavingsPlanUnused");
    let commitment = committed || c.kind == "SavingsPlanRecurringFee";
    let list_cost = c.list;
    // Usage measured; not an unused commitment (columns/consumedquantity.md).
    let consumed = usage && c.kind != "SavingsPlanUnused";
    let quantity = priced.then(|| list_cost / service.unit_price);
    let unit_price = priced.then_some(service.unit_price);
    // Resource ids unique per account: its last four digits.
    let suffix = &l.account_id[l.account_id.len() - 4..];
    let resource = service
        .resource
        .filter(|_| usage)
        .map(|(kind, arn)| {
            let arn = arn
                .replace("{region}", REGION.0)
                .replace("{account}", &l.account_id)
                .replace("{name}", &l.account_name)
                .replace("{n}", &format!("{suffix}a1b2c3d4e5"));
            (
                kind,
                format!("arn:aws:{arn}"),
                format!(
                    "{}-{}",
                    l.account_name,
                    service.meter.to_lowercase().replace(' ', "-")
                ),
            )
        })
        .or_else(|| {
            commitment.then(|| {
                (
                    "Savings Plan",
                    SAVINGS_PLAN.to_string(),
                    "compute-savings-plan".to_string(),
                )
            })
        });
    let regional = usage && service.regional;
    let frequency = match c.kind {
        _ if usage => "Usage-Based",
        "SavingsPlanRecurringFee" | "Fee" => "Recurring",
        _ => "One-Time",
    };
    let (charge_start, charge_end) = if c.kind == "Fee" {
        (period.0, period.1)
    } else {
        (l.day, l.day + 1)
    };
    let sku_price = format!("{}.JRTCKXETXF.6YS6EN2CT7", service.sku);
    let description = match category {
        "Tax" => "Tax for billing period".to_string(),
        "Credit" => "Promotional credit".to_string(),
        _ if c.kind == "SavingsPlanUnused" => "Unused Savings Plan commitment".to_string(),
        _ => service.description.to_string(),
    };
    // In USD of commitment: per day bought, used by the line, left unused.
    let commitment_quantity = match c.kind {
        "SavingsPlanRecurringFee" => Some(l.sp_commitment),
        "SavingsPlanCoveredUsage" | "SavingsPlanUnused" => Some(c.effective),
        _ => None,
    };
    let when = |v: bool, t: &str| if v { text(t) } else { none() };
    vec![
        (
            "AvailabilityZone",
            when(regional && service.zonal, "eu-central-1a"),
        ),
        ("BilledCost", Cell::Number(Some(c.billed))),
        ("BillingAccountId", text(PAYER)),
        ("BillingAccountName", text("management")),
        ("BillingAccountType", text("Management Account")),
        ("BillingCurrency", text("USD")),
        ("BillingPeriodEnd", Cell::Time(period.1 * DAY_MS)),
        ("BillingPeriodStart", Cell::Time(period.0 * DAY_MS)),
        ("CapacityReservationId", none()),
        ("CapacityReservationStatus", none()),
        ("ChargeCategory", text(category)),
        ("ChargeClass", when(c.kind == "Refund", "Correction")),
        ("ChargeDescription", text(description)),
        ("ChargeFrequency", text(frequency)),
        ("ChargePeriodEnd", Cell::Time(charge_end * DAY_MS)),
        ("ChargePeriodStart", Cell::Time(charge_start * DAY_MS)),
        ("CommitmentDiscountCategory", when(commitment, "Spend")),
        ("CommitmentDiscountId", when(commitment, SAVINGS_PLAN)),
        (
            "CommitmentDiscountName",
            when(commitment, "compute-savings-plan"),
        ),
        (
            "CommitmentDiscountQuantity",
            Cell::Number(commitment_quantity),
        ),
        (
            "CommitmentDiscountStatus",
            match (committed, c.kind == "SavingsPlanUnused") {
                (false, _) => none(),
                (true, true) => text("Unused"),
                (true, false) => text("Used"),
            },
        ),
        (
            "CommitmentDiscountType",
            when(commitment, "Compute Savings Plan"),
        ),
        ("CommitmentDiscountUnit", when(commitment, "USD")),
        (
            "ConsumedQuantity",
            Cell::Number(quantity.filter(|_| consumed)),
        ),
        ("ConsumedUnit", when(consumed, service.unit)),
        ("ContractedCost", Cell::Number(Some(list_cost))),
        ("ContractedUnitPrice", Cell::Number(unit_price)),
        ("EffectiveCost", Cell::Number(Some(c.effective))),
        ("InvoiceId", Cell::Text(invoice.map(str::to_string))),
        ("InvoiceIssuerName", text("AWS")),
        ("ListCost", Cell::Number(Some(list_cost))),
        ("ListUnitPrice", Cell::Number(unit_price)),
        (
            "PricingCategory",
            match (priced, committed) {
                (false, _) => none(),
                (true, true) => text("Committed"),
                (true, false) => text("Standard"),
            },
        ),
        ("PricingCurrency", text("USD")),
        (
            "PricingCurrencyContractedUnitPrice",
            Cell::Number(unit_price),
        ),
        (
            "PricingCurrencyEffectiveCost",
            Cell::Number(Some(c.effective)),
        ),
        ("PricingCurrencyListUnitPrice", Cell::Number(unit_price)),
        ("PricingQuantity", Cell::Number(quantity)),
        ("PricingUnit", when(priced, service.unit)),
        ("ProviderName", text("AWS")),
        ("PublisherName", text("AWS")),
        ("RegionId", when(regional, REGION.0)),
        ("RegionName", when(regional, REGION.1)),
        (
            "ResourceId",
            Cell::Text(resource.as_ref().map(|r| r.1.clone())),
        ),
        (
            "ResourceName",
            Cell::Text(resource.as_ref().map(|r| r.2.clone())),
        ),
        (
            "ResourceType",
            Cell::Text(resource.as_ref().map(|r| r.0.to_string())),
        ),
        ("ServiceCategory", text(service.category)),
        ("ServiceName", text(l.service)),
        ("ServiceSubcategory", text(service.subcategory)),
        ("SkuId", when(priced, service.sku)),
        ("SkuMeter", when(priced, service.meter)),
        (
            "SkuPriceDetails",
            Cell::Text(
                priced.then(|| format!("{{\"x_PricingUnitDescription\":\"{}\"}}", service.unit)),
            ),
        ),
        ("SkuPriceId", when(priced, &sku_price)),
        ("SubAccountId", text(&l.account_id)),
        ("SubAccountName", text(&l.account_name)),
        ("SubAccountType", text("Member Account")),
    ]
}

/// FOCUS 1.2 as Parquet: the 57 columns, `Tags` a map as Data Exports writes it.
fn focus(path: &Path, lines: &[Line], invoice: Option<&str>, period: (i64, i64)) {
    let charges: Vec<Charge> = lines.iter().flat_map(charges).collect();
    let rows: Vec<_> = charges
        .iter()
        .map(|c| focus_row(c, invoice, period))
        .collect();
    let mut schema = String::from("message focus {\n");
    for (name, cell) in &rows[0] {
        schema.push_str(&match cell {
            Cell::Text(_) => format!("optional binary {name} (STRING);\n"),
            Cell::Number(_) => format!("optional double {name};\n"),
            Cell::Time(_) => format!("optional int64 {name} (TIMESTAMP(MILLIS,true));\n"),
        });
    }
    schema.push_str(&TAGS.replace("{}", "Tags"));
    schema.push('}');
    let mut columns: Vec<Column> = (0..rows[0].len())
        .map(|i| match &rows[0][i].1 {
            Cell::Text(_) => Column::Text(Vec::new()),
            Cell::Number(_) => Column::Nullable(Vec::new()),
            Cell::Time(_) => Column::Timestamp(Vec::new()),
        })
        .collect();
    for row in rows {
        for (column, (_, cell)) in columns.iter_mut().zip(row) {
            match (column, cell) {
                (Column::Text(c), Cell::Text(v)) => c.push(v),
                (Column::Nullable(c), Cell::Number(v)) => c.push(v),
                (Column::Timestamp(c), Cell::Time(v)) => c.push(v),
                _ => unreachable!("a column's cells have one type"),
            }
        }
    }
    columns.push(Column::Tags(
        charges.iter().map(|c| c.line.tags.clone()).collect(),
    ));
    write(path, &schema, columns);
}

/// FOCUS 1.2 as CSV (uncompressed here; the reader takes gzip too): dates
/// in ISO 8601 UTC, numbers always with a decimal point (so a reader that
/// infers types sees decimals), `Tags` and `SkuPriceDetails` as JSON text.
fn focus_csv(path: &Path, lines: &[Line], invoice: Option<&str>, period: (i64, i64)) {
    let quote = |v: &str| {
        if v.contains([',', '"', '\n']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v.to_string()
        }
    };
    let mut out = String::new();
    for (i, c) in lines.iter().flat_map(charges).enumerate() {
        let row = focus_row(&c, invoice, period);
        if i == 0 {
            let names: Vec<&str> = row.iter().map(|(name, _)| *name).collect();
            out.push_str(&names.join(","));
            out.push_str(",Tags\n");
        }
        let mut fields: Vec<String> = row
            .into_iter()
            .map(|(_, cell)| match cell {
                Cell::Text(v) => quote(v.as_deref().unwrap_or_default()),
                Cell::Number(v) => v.map(|v| format!("{v:?}")).unwrap_or_default(),
                Cell::Time(ms) => format!(
                    "{}T00:00:00Z",
                    landfall_cost::date::Date::EPOCH.add_days((ms / DAY_MS) as i32)
                ),
            })
            .collect();
        let tags: serde_json::Map<String, serde_json::Value> = c
            .line
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        fields.push(quote(&serde_json::to_string(&tags).unwrap()));
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    fs::write(path, out).unwrap();
}

fn delivery(
    root: &Path,
    export: &str,
    period: &str,
    execution: &str,
    payer: &str,
    write_data: &dyn Fn(&Path),
) {
    let data = root.join("data").join(format!("BILLING_PERIOD={period}"));
    let metadata = root
        .join("metadata")
        .join(format!("BILLING_PERIOD={period}"));
    fs::create_dir_all(&data).unwrap();
    fs::create_dir_all(&metadata).unwrap();
    let file = if export.ends_with("csv") {
        format!("{export}-00001.csv")
    } else {
        format!("{export}-00001.snappy.parquet")
    };
    write_data(&data.join(&file));
    let manifest = serde_json::json!({
        "executionId": execution,
        "exportArn": format!("arn:aws:bcm-data-exports:us-east-1:{payer}:export/{export}-0000"),
        "dataFiles": [format!("s3://landfall-billing/exports/{export}/data/BILLING_PERIOD={period}/{file}")],
    });
    fs::write(
        metadata.join(format!("{export}-Manifest.json")),
        serde_json::to_string_pretty(&manifest).unwrap() + "\n",
    )
    .unwrap();
}

fn main() {
    // The billing periods: first day, first day after (days since the epoch).
    let september_period = (days_from_civil(2025, 9, 1), days_from_civil(2025, 10, 1));
    let october_period = (days_from_civil(2025, 10, 1), days_from_civil(2025, 11, 1));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports");
    let _ = fs::remove_dir_all(&root);
    let september = lines(2025, 9, 30, 7, false);
    let october = lines(2025, 10, 20, 8, false);
    let restated = lines(2025, 9, 30, 7, true);
    let invoice = Some("EUINGB25-000123");
    let cur = root.join("cur2");
    delivery(&cur, "landfall-cur2", "2025-09", "exec-0901", PAYER, &|p| {
        cur2(p, &september, invoice, PAYER)
    });
    delivery(&cur, "landfall-cur2", "2025-10", "exec-1021", PAYER, &|p| {
        cur2(p, &october, None, PAYER)
    });
    let fo = root.join("focus12");
    delivery(&fo, "landfall-focus", "2025-09", "exec-0901", PAYER, &|p| {
        focus(p, &september, invoice, september_period)
    });
    delivery(&fo, "landfall-focus", "2025-10", "exec-1021", PAYER, &|p| {
        focus(p, &october, None, october_period)
    });
    let re = root.join("cur2-restated");
    delivery(&re, "landfall-cur2", "2025-09", "exec-1004", PAYER, &|p| {
        cur2(p, &restated, invoice, PAYER)
    });
    let csv = root.join("focus12-csv");
    delivery(
        &csv,
        "landfall-focus-csv",
        "2025-09",
        "exec-0901",
        PAYER,
        &|p| focus_csv(p, &september, invoice, september_period),
    );
    // The same October from another organization's management account.
    let other = root.join("cur2-other-payer");
    delivery(
        &other,
        "landfall-cur2",
        "2025-10",
        "exec-1021",
        OTHER_PAYER,
        &|p| cur2(p, &october, None, OTHER_PAYER),
    );
    // A Parquet file of neither table, for the unknown-column-set test.
    write(
        &root.join("not-billing.parquet"),
        "message other { optional binary account (STRING); optional double amount; }",
        vec![
            Column::Text(vec![Some("a".into())]),
            Column::Number(vec![1.0]),
        ],
    );
    println!("wrote {}", root.display());
}
