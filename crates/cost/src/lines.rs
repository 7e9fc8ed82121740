//! Billing lines from Data Exports Parquet, CUR 2.0 or FOCUS 1.2, read into
//! one shape: who, when, what service, what kind of charge, billed and
//! amortized (effective) cost.

use std::fs::File;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};

use crate::date::Date;
use crate::error::CostError;

/// FOCUS charge categories (CUR line item types are mapped onto them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ChargeCategory {
    Usage,
    Purchase,
    Tax,
    Credit,
    Adjustment,
}

impl ChargeCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeCategory::Usage => "Usage",
            ChargeCategory::Purchase => "Purchase",
            ChargeCategory::Tax => "Tax",
            ChargeCategory::Credit => "Credit",
            ChargeCategory::Adjustment => "Adjustment",
        }
    }

    pub fn parse(text: &str) -> Option<ChargeCategory> {
        [
            Self::Usage,
            Self::Purchase,
            Self::Tax,
            Self::Credit,
            Self::Adjustment,
        ]
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }
}

/// The export's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ExportFormat {
    Cur2,
    Focus12,
}

/// One billing line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub payer: String,
    pub invoice_id: Option<String>,
    pub account_id: String,
    pub account_name: String,
    pub day: Date,
    pub service: String,
    pub charge: ChargeCategory,
    pub billed: f64,
    /// Amortized: commitments spread over the usage they cover.
    pub effective: f64,
    /// The [`DOMAIN_TAG`] cost-allocation tag, when set.
    pub domain_tag: Option<String>,
}

/// The key, in a line's tags, of the domain a shared account's line is
/// for: the platform's `landfall:domain` resource tag, which billing data
/// carries as `user:landfall:domain` once the payer has activated it as a
/// cost allocation tag (the deploy does,
/// <https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2-resource-tags.html>).
pub const DOMAIN_TAG: &str = "user:landfall:domain";

const CUR2_REQUIRED: &[&str] = &[
    "bill_payer_account_id",
    "bill_invoice_id",
    "line_item_usage_account_id",
    "line_item_usage_start_date",
    "line_item_line_item_type",
    "line_item_unblended_cost",
    "line_item_product_code",
];
/// Every CUR 2.0 column read (the platform's export selects them all).
pub const CUR2_COLUMNS: &[&str] = &[
    "bill_payer_account_id",
    "bill_invoice_id",
    "line_item_usage_account_id",
    "line_item_usage_account_name",
    "line_item_usage_start_date",
    "line_item_line_item_type",
    "line_item_unblended_cost",
    "line_item_product_code",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "resource_tags",
];
/// Every FOCUS 1.2 column read.
pub(crate) const FOCUS_COLUMNS: &[&str] = &[
    "BillingAccountId",
    "InvoiceId",
    "SubAccountId",
    "SubAccountName",
    "ChargePeriodStart",
    "ChargeCategory",
    "BilledCost",
    "EffectiveCost",
    "ServiceName",
    "Tags",
];
const FOCUS_REQUIRED: &[&str] = &[
    "BillingAccountId",
    "InvoiceId",
    "SubAccountId",
    "ChargePeriodStart",
    "ChargeCategory",
    "BilledCost",
    "EffectiveCost",
    "ServiceName",
];

/// Which table a data file's top-level columns are from.
pub(crate) fn detect_format(columns: &[String]) -> Result<ExportFormat, String> {
    let has = |wanted: &[&str]| wanted.iter().all(|w| columns.iter().any(|c| c == w));
    if has(CUR2_REQUIRED) {
        Ok(ExportFormat::Cur2)
    } else if has(FOCUS_REQUIRED) {
        Ok(ExportFormat::Focus12)
    } else {
        let missing = |wanted: &[&str]| {
            wanted
                .iter()
                .filter(|w| !columns.iter().any(|c| c == *w))
                .count()
        };
        Err(format!(
            "unknown column set: neither CUR 2.0 ({} of its required columns missing, e.g. `line_item_line_item_type`) nor FOCUS 1.2 ({} missing, e.g. `ChargeCategory`)",
            missing(CUR2_REQUIRED),
            missing(FOCUS_REQUIRED)
        ))
    }
}

/// Reads every line of one Parquet data file, row by row (the general
/// reader: any column types; `crate::scan` is the fast path for the usual ones).
pub fn read_parquet(path: &Path) -> Result<(ExportFormat, Vec<Line>), CostError> {
    let name = path.display().to_string();
    let bad = |message: String| CostError::Format {
        path: name.clone(),
        line: 0,
        message,
    };
    let file = File::open(path).map_err(|source| CostError::Read {
        path: name.clone(),
        source,
    })?;
    let reader = SerializedFileReader::new(file)
        .map_err(|e| bad(format!("not a readable Parquet file ({e})")))?;
    let columns: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let format = detect_format(&columns).map_err(bad)?;
    // Read only the columns used (exports have 50 to 200): a projection of
    // the file's schema, in the file's order.
    let wanted: &[&str] = match format {
        ExportFormat::Cur2 => CUR2_COLUMNS,
        ExportFormat::Focus12 => FOCUS_COLUMNS,
    };
    let fields: Vec<_> = reader
        .metadata()
        .file_metadata()
        .schema()
        .get_fields()
        .iter()
        .filter(|f| wanted.contains(&f.name()))
        .cloned()
        .collect();
    let projected: Vec<String> = fields.iter().map(|f| f.name().to_string()).collect();
    let root = reader
        .metadata()
        .file_metadata()
        .schema()
        .name()
        .to_string();
    let projection = parquet::schema::types::Type::group_type_builder(&root)
        .with_fields(fields)
        .build()
        .map_err(|e| bad(format!("cannot read its schema ({e})")))?;
    let at = |name: &str| projected.iter().position(|c| c == name);
    let rows = reader
        .get_row_iter(Some(projection))
        .map_err(|e| bad(format!("cannot read rows ({e})")))?;
    let mut lines = Vec::new();
    for (index, row) in rows.enumerate() {
        let row = row.map_err(|e| {
            bad(format!(
                "row {}: {e} (truncated or corrupt file?)",
                index + 1
            ))
        })?;
        let line = match format {
            ExportFormat::Cur2 => cur2_line(&row, &at),
            ExportFormat::Focus12 => focus_line(&row, &at),
        }
        .map_err(|message| bad(format!("row {}: {message}", index + 1)))?;
        lines.push(line);
    }
    Ok((format, lines))
}

fn field(row: &Row, at: Option<usize>) -> Option<&Field> {
    row.get_column_iter().nth(at?).map(|(_, f)| f)
}

fn text(row: &Row, at: Option<usize>) -> Option<String> {
    match field(row, at)? {
        Field::Str(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn number(row: &Row, at: Option<usize>) -> f64 {
    match field(row, at) {
        Some(Field::Double(v)) => *v,
        Some(Field::Float(v)) => f64::from(*v),
        Some(Field::Long(v)) => *v as f64,
        Some(Field::Int(v)) => f64::from(*v),
        Some(Field::Str(s)) => s.parse().unwrap_or(0.0),
        Some(Field::Decimal(d)) => decimal(d),
        _ => 0.0,
    }
}

fn decimal(d: &parquet::data_type::Decimal) -> f64 {
    let bytes = d.data();
    let mut value: i128 = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        -1
    } else {
        0
    };
    for b in bytes {
        value = (value << 8) | i128::from(*b);
    }
    value as f64 / 10f64.powi(d.scale())
}

fn day(row: &Row, at: Option<usize>, column: &str) -> Result<Date, String> {
    const DAY_MS: i64 = 86_400_000;
    let days = match field(row, at) {
        Some(Field::TimestampMillis(ms)) => ms.div_euclid(DAY_MS),
        Some(Field::TimestampMicros(us)) => us.div_euclid(DAY_MS * 1000),
        Some(Field::Date(d)) => i64::from(*d),
        Some(Field::Str(s)) => {
            return Date::parse(s).ok_or(format!("`{column}` is `{s}`, not a date"))
        }
        _ => return Err(format!("`{column}` is empty")),
    };
    i32::try_from(days)
        .map(|days| Date::EPOCH.add_days(days))
        .map_err(|_| format!("`{column}` is out of range"))
}

fn tag(row: &Row, at: Option<usize>, key: &str) -> Option<String> {
    match field(row, at)? {
        Field::MapInternal(map) => map.entries().iter().find_map(|(k, v)| match (k, v) {
            (Field::Str(k), Field::Str(v)) if k == key && !v.is_empty() => Some(v.clone()),
            _ => None,
        }),
        // FOCUS `Tags` may come as a JSON object in a string.
        Field::Str(json) => {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json)
                .ok()?
                .get(key)
                .and_then(|v| v.as_str().map(str::to_string))
        }
        _ => None,
    }
}

/// How a CUR 2.0 line's amortized (effective) cost is found, over columns
/// named by `C` (column names here; the fast reader's column slots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Amortized<C> {
    Unblended,
    Zero,
    Column(C),
    /// The first column less the second.
    Difference(C, C),
    Sum(C, C),
}

impl<C: Copy> Amortized<C> {
    pub(crate) fn map<D>(self, f: impl Fn(C) -> D) -> Amortized<D> {
        match self {
            Amortized::Unblended => Amortized::Unblended,
            Amortized::Zero => Amortized::Zero,
            Amortized::Column(a) => Amortized::Column(f(a)),
            Amortized::Difference(a, b) => Amortized::Difference(f(a), f(b)),
            Amortized::Sum(a, b) => Amortized::Sum(f(a), f(b)),
        }
    }

    #[inline]
    pub(crate) fn effective(self, unblended: f64, value: impl Fn(C) -> f64) -> f64 {
        match self {
            Amortized::Unblended => unblended,
            Amortized::Zero => 0.0,
            Amortized::Column(a) => value(a),
            Amortized::Difference(a, b) => value(a) - value(b),
            Amortized::Sum(a, b) => value(a) + value(b),
        }
    }
}

/// A CUR 2.0 line item type's charge category and amortization, by the
/// rules of the Data Exports user guide; `None` for a type it does not list.
pub(crate) fn cur2_line_type(kind: &str) -> Option<(ChargeCategory, Amortized<&'static str>)> {
    use Amortized::{Column, Difference, Sum, Unblended, Zero};
    Some(match kind {
        "Usage" => (ChargeCategory::Usage, Unblended),
        "SavingsPlanCoveredUsage" => (
            ChargeCategory::Usage,
            Column("savings_plan_savings_plan_effective_cost"),
        ),
        "DiscountedUsage" => (ChargeCategory::Usage, Column("reservation_effective_cost")),
        "SavingsPlanNegation" => (ChargeCategory::Usage, Zero),
        "SavingsPlanRecurringFee" => (
            ChargeCategory::Purchase,
            Difference(
                "savings_plan_total_commitment_to_date",
                "savings_plan_used_commitment",
            ),
        ),
        "SavingsPlanUpfrontFee" => (ChargeCategory::Purchase, Zero),
        "RIFee" => (
            ChargeCategory::Purchase,
            Sum(
                "reservation_unused_amortized_upfront_fee_for_billing_period",
                "reservation_unused_recurring_fee",
            ),
        ),
        "Fee" => (ChargeCategory::Purchase, Unblended),
        "Tax" => (ChargeCategory::Tax, Unblended),
        "Credit" | "BundledDiscount" | "Discount" | "PrivateRateDiscount" | "EdpDiscount" => {
            (ChargeCategory::Credit, Unblended)
        }
        "Refund" => (ChargeCategory::Adjustment, Unblended),
        _ => return None,
    })
}

/// CUR 2.0, with amortized cost by the rules of the Data Exports user guide.
fn cur2_line(row: &Row, at: &dyn Fn(&str) -> Option<usize>) -> Result<Line, String> {
    let kind = text(row, at("line_item_line_item_type")).unwrap_or_default();
    let unblended = number(row, at("line_item_unblended_cost"));
    let (charge, amortized) = cur2_line_type(&kind)
        .ok_or_else(|| format!("unknown line_item_line_item_type `{kind}`"))?;
    let effective = amortized.effective(unblended, |column| number(row, at(column)));
    Ok(Line {
        payer: text(row, at("bill_payer_account_id")).ok_or("`bill_payer_account_id` is empty")?,
        invoice_id: text(row, at("bill_invoice_id")),
        account_id: text(row, at("line_item_usage_account_id"))
            .ok_or("`line_item_usage_account_id` is empty")?,
        account_name: text(row, at("line_item_usage_account_name")).unwrap_or_default(),
        day: day(
            row,
            at("line_item_usage_start_date"),
            "line_item_usage_start_date",
        )?,
        service: text(row, at("line_item_product_code")).unwrap_or_else(|| "(none)".into()),
        charge,
        billed: unblended,
        effective,
        domain_tag: tag(row, at("resource_tags"), DOMAIN_TAG),
    })
}

/// FOCUS 1.2: AWS computes EffectiveCost.
fn focus_line(row: &Row, at: &dyn Fn(&str) -> Option<usize>) -> Result<Line, String> {
    let category = text(row, at("ChargeCategory")).unwrap_or_default();
    Ok(Line {
        payer: text(row, at("BillingAccountId")).ok_or("`BillingAccountId` is empty")?,
        invoice_id: text(row, at("InvoiceId")),
        account_id: text(row, at("SubAccountId")).ok_or("`SubAccountId` is empty")?,
        account_name: text(row, at("SubAccountName")).unwrap_or_default(),
        day: day(row, at("ChargePeriodStart"), "ChargePeriodStart")?,
        service: text(row, at("ServiceName")).unwrap_or_else(|| "(none)".into()),
        charge: ChargeCategory::parse(&category)
            .ok_or(format!("unknown ChargeCategory `{category}`"))?,
        billed: number(row, at("BilledCost")),
        effective: number(row, at("EffectiveCost")),
        domain_tag: tag(row, at("Tags"), DOMAIN_TAG),
    })
}

/// Reads a data file of either kind: Parquet, or FOCUS CSV (`.csv`, `.csv.gz`).
pub fn read_data_file(path: &Path) -> Result<(ExportFormat, Vec<Line>), CostError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.ends_with(".csv") || name.ends_with(".csv.gz") {
        read_focus_csv(path)
    } else {
        read_parquet(path)
    }
}

/// FOCUS 1.2 as CSV (Data Exports' gzip CSV output), `Tags` as a JSON object.
pub fn read_focus_csv(path: &Path) -> Result<(ExportFormat, Vec<Line>), CostError> {
    let name = path.display().to_string();
    let bad = |line: usize, message: String| CostError::Format {
        path: name.clone(),
        line,
        message,
    };
    let bytes = std::fs::read(path).map_err(|source| CostError::Read {
        path: name.clone(),
        source,
    })?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        crate::series::gunzip(&bytes).map_err(|m| bad(0, m))?
    } else {
        bytes
    };
    let text = String::from_utf8(bytes).map_err(|_| bad(0, "not UTF-8 text".into()))?;
    let mut records = csv_records(&text);
    let header = records
        .next()
        .ok_or_else(|| bad(1, "empty file".into()))?
        .map_err(|(l, m)| bad(l, m))?
        .1;
    let missing: Vec<&&str> = FOCUS_REQUIRED
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .collect();
    if !missing.is_empty() {
        return Err(bad(
            1,
            format!("unknown column set: a FOCUS 1.2 CSV needs {missing:?}"),
        ));
    }
    let at = |column: &str| header.iter().position(|h| h == column);
    let mut lines = Vec::new();
    for record in records {
        let (line_number, fields) = record.map_err(|(l, m)| bad(l, m))?;
        let get = |column: &str| {
            at(column)
                .and_then(|i| fields.get(i))
                .map(String::as_str)
                .unwrap_or_default()
        };
        let some = |column: &str| Some(get(column).to_string()).filter(|v| !v.is_empty());
        let number = |column: &str| -> Result<f64, CostError> {
            let text = get(column);
            if text.is_empty() {
                return Ok(0.0);
            }
            text.parse()
                .map_err(|_| bad(line_number, format!("{column} `{text}` is not a number")))
        };
        let category = get("ChargeCategory");
        let tags = get("Tags");
        lines.push(Line {
            payer: some("BillingAccountId")
                .ok_or_else(|| bad(line_number, "`BillingAccountId` is empty".into()))?,
            invoice_id: some("InvoiceId"),
            account_id: some("SubAccountId")
                .ok_or_else(|| bad(line_number, "`SubAccountId` is empty".into()))?,
            account_name: get("SubAccountName").to_string(),
            day: Date::parse(get("ChargePeriodStart")).ok_or_else(|| {
                bad(
                    line_number,
                    format!(
                        "ChargePeriodStart `{}` is not a date",
                        get("ChargePeriodStart")
                    ),
                )
            })?,
            service: some("ServiceName").unwrap_or_else(|| "(none)".into()),
            charge: ChargeCategory::parse(category)
                .ok_or_else(|| bad(line_number, format!("unknown ChargeCategory `{category}`")))?,
            billed: number("BilledCost")?,
            effective: number("EffectiveCost")?,
            domain_tag: serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(tags)
                .ok()
                .and_then(|m| {
                    m.get(DOMAIN_TAG)
                        .and_then(|v| v.as_str().map(str::to_string))
                }),
        });
    }
    Ok((ExportFormat::Focus12, lines))
}

/// RFC 4180 records with their first line number: quoted fields may hold
/// commas, doubled quotes and line breaks.
fn csv_records(
    text: &str,
) -> impl Iterator<Item = Result<(usize, Vec<String>), (usize, String)>> + '_ {
    let mut chars = text.chars().peekable();
    let mut line = 1;
    std::iter::from_fn(move || {
        chars.peek()?;
        let start = line;
        let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
        loop {
            match chars.next() {
                None if quoted => return Some(Err((start, "a quoted field is not closed".into()))),
                None => break,
                Some('"') if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                Some('"') if quoted => quoted = false,
                Some('"') if field.is_empty() => quoted = true,
                Some(',') if !quoted => fields.push(std::mem::take(&mut field)),
                Some('\r') if !quoted => {}
                Some('\n') if !quoted => {
                    line += 1;
                    break;
                }
                Some(c) => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
        }
        fields.push(field);
        Some(Ok((start, fields)))
    })
}
