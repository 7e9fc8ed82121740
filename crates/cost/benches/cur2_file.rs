//! A CUR 2.0 Data Exports Parquet file of any size, deterministically: the
//! columns `cost ingest` reads with the types Data Exports writes (strings,
//! doubles, millisecond timestamps, `resource_tags` as a MAP of strings),
//! plus columns it skips, hourly lines over one month for 40 accounts and 30
//! services, Savings Plans and reservation lines, fees, tax and credits.
//! Shared by the aggregation benchmark and tests/scan.rs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    reason = "a generator"
)]

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use landfall_cost::attribution::AccountMap;
use parquet::basic::{Compression, Encoding};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

pub const PAYER: &str = "111111111111";
pub const INVOICE: &str = "EUINGB25-000777";
/// October 2025: 31 days, 744 hours.
pub const YEAR: i64 = 2025;
pub const MONTH: i64 = 10;
pub const HOURS: usize = 744;

pub const DOMAINS: [&str; 10] = [
    "trading",
    "matching",
    "market-data",
    "web",
    "risk",
    "payments",
    "clearing",
    "custody",
    "compliance",
    "accounts",
];
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
/// Accounts no domain owns: their lines go by the domain tag.
const SHARED: [&str; 8] = [
    "shared-services",
    "networking",
    "log-archive",
    "security-tooling",
    "observability",
    "backup",
    "ci-cd",
    "data-lake",
];
/// Accounts the model does not know.
const UNKNOWN: [&str; 2] = ["legacy-billing", "sandbox-2019"];

pub const SERVICES: [&str; 30] = [
    "AmazonEC2",
    "AmazonRDS",
    "AmazonS3",
    "AWSELB",
    "AmazonCloudFront",
    "AmazonMSK",
    "AmazonDynamoDB",
    "AWSLambda",
    "AmazonECS",
    "AmazonEKS",
    "AmazonElastiCache",
    "AmazonCloudWatch",
    "AmazonVPC",
    "AWSDataTransfer",
    "AmazonRoute53",
    "AWSKMS",
    "AWSSecretsManager",
    "AmazonSQS",
    "AmazonSNS",
    "AmazonKinesis",
    "AmazonRedshift",
    "AmazonOpenSearchService",
    "AWSGlue",
    "AmazonAthena",
    "AWSBackup",
    "AmazonGuardDuty",
    "AWSConfig",
    "AWSCloudTrail",
    "AmazonECR",
    "AmazonEFS",
];

/// Who owns an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Domain(String, String),
    Shared,
    Unknown,
}

/// The 40 accounts: id, name, owner.
pub fn accounts() -> Vec<(String, String, Owner)> {
    let mut out = Vec::new();
    for domain in DOMAINS {
        for environment in ENVIRONMENTS {
            out.push((
                format!("{domain}-{environment}"),
                Owner::Domain(domain.to_string(), environment.to_string()),
            ));
        }
    }
    out.extend(SHARED.iter().map(|n| (n.to_string(), Owner::Shared)));
    out.extend(UNKNOWN.iter().map(|n| (n.to_string(), Owner::Unknown)));
    out.into_iter()
        .enumerate()
        .map(|(i, (name, owner))| (format!("2100000000{i:02}"), name, owner))
        .collect()
}

/// The account map the model would give for these accounts.
pub fn account_map() -> AccountMap {
    let mut map = AccountMap::new(DOMAINS.map(String::from));
    for (_, name, owner) in accounts() {
        match owner {
            Owner::Domain(domain, environment) => map.owned(&name, &domain, &environment),
            Owner::Shared => map.shared(&name),
            Owner::Unknown => {}
        }
    }
    map
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

/// CUR amounts carry up to 8 decimals here (AWS writes up to 10).
fn amount(v: f64) -> f64 {
    (v * 1e8).round() / 1e8
}

pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

const SCHEMA: &str = "message cur2 {
  optional int64 bill_billing_period_start_date (TIMESTAMP(MILLIS,true));
  optional binary bill_invoice_id (STRING);
  optional binary bill_payer_account_id (STRING);
  optional binary line_item_line_item_type (STRING);
  optional double line_item_net_unblended_cost;
  optional binary line_item_product_code (STRING);
  optional binary line_item_resource_id (STRING);
  optional binary line_item_usage_account_id (STRING);
  optional binary line_item_usage_account_name (STRING);
  optional double line_item_usage_amount;
  optional int64 line_item_usage_end_date (TIMESTAMP(MILLIS,true));
  optional int64 line_item_usage_start_date (TIMESTAMP(MILLIS,true));
  optional binary line_item_usage_type (STRING);
  optional double line_item_unblended_cost;
  optional binary product_region_code (STRING);
  optional double reservation_effective_cost;
  optional double reservation_unused_amortized_upfront_fee_for_billing_period;
  optional double reservation_unused_recurring_fee;
  optional group resource_tags (MAP) {
    repeated group key_value {
      required binary key (STRING);
      optional binary value (STRING);
    }
  }
  optional double savings_plan_savings_plan_effective_cost;
  optional double savings_plan_total_commitment_to_date;
  optional double savings_plan_used_commitment;
}";

/// One row group's columns, in schema order.
#[derive(Default)]
struct Columns {
    period: Vec<i64>,
    invoice: Vec<ByteArray>,
    payer: Vec<ByteArray>,
    kind: Vec<ByteArray>,
    net: Vec<f64>,
    service: Vec<ByteArray>,
    resource: Vec<ByteArray>,
    account_id: Vec<ByteArray>,
    account_name: Vec<ByteArray>,
    usage_amount: Vec<f64>,
    end: Vec<i64>,
    start: Vec<i64>,
    usage_type: Vec<ByteArray>,
    unblended: Vec<f64>,
    region: Vec<ByteArray>,
    /// Nullable doubles: values and definition levels.
    ri_effective: (Vec<f64>, Vec<i16>),
    ri_unused_upfront: (Vec<f64>, Vec<i16>),
    ri_unused_recurring: (Vec<f64>, Vec<i16>),
    tag_keys: Vec<ByteArray>,
    tag_values: Vec<ByteArray>,
    tag_rep: Vec<i16>,
    sp_effective: (Vec<f64>, Vec<i16>),
    sp_commitment: (Vec<f64>, Vec<i16>),
    sp_used: (Vec<f64>, Vec<i16>),
}

fn put(column: &mut (Vec<f64>, Vec<i16>), value: Option<f64>) {
    match value {
        Some(v) => {
            column.0.push(v);
            column.1.push(1);
        }
        None => column.1.push(0),
    }
}

/// Interned byte strings: one buffer per distinct value, shared by the rows.
struct Bytes(std::collections::HashMap<String, ByteArray>);
impl Bytes {
    fn get(&mut self, text: &str) -> ByteArray {
        if let Some(b) = self.0.get(text) {
            return b.clone();
        }
        let b = ByteArray::from(text);
        self.0.insert(text.to_string(), b.clone());
        b
    }
}

/// How the file is laid out beyond its rows: what writers other than the
/// default one do (data page v2, small pages, dictionaries that overflow to
/// PLAIN pages, other string encodings).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub page_v2: bool,
    pub data_page_bytes: Option<usize>,
    pub dictionary_page_bytes: Option<usize>,
    /// Strings without a dictionary, in this encoding.
    pub string_encoding: Option<Encoding>,
    /// Rows (0-based) whose line item type is one CUR 2.0 does not have.
    pub bad_kind_rows: Vec<usize>,
    /// Rows (0-based) whose usage account id is empty.
    pub empty_account_rows: Vec<usize>,
}

/// Writes `rows` lines of the 40 accounts, `row_group_rows` to a row group, to `path`.
pub fn write(path: &Path, rows: usize, row_group_rows: usize, seed: u64) {
    write_laid_out(path, rows, row_group_rows, seed, &Layout::default());
}

pub fn write_laid_out(path: &Path, rows: usize, row_group_rows: usize, seed: u64, layout: &Layout) {
    write_accounts(
        path,
        &accounts(),
        &DOMAINS.map(String::from),
        rows,
        row_group_rows,
        seed,
        layout,
    );
}

/// Writes `rows` lines of `accounts` (tags naming `domains`) to `path`.
pub fn write_accounts(
    path: &Path,
    accounts: &[(String, String, Owner)],
    domains: &[String],
    rows: usize,
    row_group_rows: usize,
    seed: u64,
    layout: &Layout,
) {
    let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group_rows));
    if layout.page_v2 {
        props = props.set_writer_version(WriterVersion::PARQUET_2_0);
    }
    if let Some(bytes) = layout.data_page_bytes {
        props = props
            .set_data_page_size_limit(bytes)
            .set_write_batch_size(64);
    }
    if let Some(bytes) = layout.dictionary_page_bytes {
        props = props.set_dictionary_page_size_limit(bytes);
    }
    if let Some(encoding) = layout.string_encoding {
        for leaf in parse_message_type(SCHEMA)
            .map(|t| parquet::schema::types::SchemaDescriptor::new(Arc::new(t)))
            .unwrap()
            .columns()
        {
            if leaf.physical_type() == parquet::basic::Type::BYTE_ARRAY {
                props = props
                    .set_column_dictionary_enabled(leaf.path().clone(), false)
                    .set_column_encoding(leaf.path().clone(), encoding);
            }
        }
    }
    let props = Arc::new(props.build());
    let tmp = path.with_extension("partial");
    let mut writer = SerializedFileWriter::new(File::create(&tmp).unwrap(), schema, props).unwrap();
    let mut rng = Lcg(seed);
    let mut bytes = Bytes(std::collections::HashMap::new());
    let first_day = days_from_civil(YEAR, MONTH, 1);
    let period_ms = first_day * 86_400_000;
    let mut row = 0;
    while row < rows {
        let end = (row + row_group_rows).min(rows);
        let mut c = Columns::default();
        for r in row..end {
            // Hour-major, as a month's lines accumulate.
            let hour = r * HOURS / rows;
            let hour_first = (hour * rows).div_ceil(HOURS);
            let j = r - hour_first;
            let a = j % accounts.len();
            let s = (j / accounts.len()) % SERVICES.len();
            let variant = j / (accounts.len() * SERVICES.len());
            let (account_id, account_name, owner) = &accounts[a];
            let service = SERVICES[s];
            let start = period_ms + hour as i64 * 3_600_000;
            let scale = (1.0 + a as f64 * 0.35) / (1.0 + s as f64 * 0.2);
            let cost = amount(scale * rng.next());
            let pick = rng.next();
            let mut unblended = cost;
            let (mut sp_effective, mut sp_commitment, mut sp_used) = (None, None, None);
            let (mut ri_effective, mut ri_upfront, mut ri_recurring) = (None, None, None);
            let kind = match (service, pick) {
                ("AmazonEC2" | "AWSLambda" | "AmazonECS", p) if p < 0.30 => {
                    sp_effective = Some(amount(cost * 0.72));
                    "SavingsPlanCoveredUsage"
                }
                ("AmazonEC2" | "AWSLambda" | "AmazonECS", p) if p < 0.55 => {
                    unblended = -cost;
                    "SavingsPlanNegation"
                }
                ("AmazonRDS" | "AmazonElastiCache", p) if p < 0.40 => {
                    unblended = 0.0;
                    ri_effective = Some(amount(cost * 0.6));
                    "DiscountedUsage"
                }
                (_, p) if p < 0.002 => "Tax",
                (_, p) if p < 0.003 => {
                    unblended = -cost;
                    "Credit"
                }
                (_, p) if p < 0.004 => {
                    unblended = amount(cost * 20.0);
                    sp_commitment = Some(unblended);
                    sp_used = Some(amount(unblended * 0.9));
                    "SavingsPlanRecurringFee"
                }
                (_, p) if p < 0.0045 => {
                    unblended = amount(cost * 10.0);
                    ri_upfront = Some(amount(cost * 0.5));
                    ri_recurring = Some(amount(cost * 0.25));
                    "RIFee"
                }
                (_, p) if p < 0.005 => "Fee",
                _ => "Usage",
            };
            c.period.push(period_ms);
            c.invoice.push(bytes.get(INVOICE));
            c.payer.push(bytes.get(PAYER));
            let kind = if layout.bad_kind_rows.contains(&r) {
                "NotALineItemType"
            } else {
                kind
            };
            c.kind.push(bytes.get(kind));
            c.net.push(amount(unblended * 0.97));
            c.service.push(bytes.get(service));
            c.resource.push(ByteArray::from(
                format!(
                    "arn:aws:{service}:eu-west-2:{account_id}:resource/r-{a:02}{s:02}{variant:04}"
                )
                .as_str(),
            ));
            let account_id = if layout.empty_account_rows.contains(&r) {
                ""
            } else {
                account_id.as_str()
            };
            c.account_id.push(bytes.get(account_id));
            c.account_name.push(bytes.get(account_name));
            c.usage_amount.push(amount(rng.next() * 10.0));
            c.end.push(start + 3_600_000);
            c.start.push(start);
            c.usage_type
                .push(bytes.get(&format!("EUW2-{service}-Usage{}", variant % 8)));
            c.unblended.push(unblended);
            c.region
                .push(bytes.get(["eu-west-2", "eu-west-1", "us-east-1"][variant % 3]));
            put(&mut c.ri_effective, ri_effective);
            put(&mut c.ri_unused_upfront, ri_upfront);
            put(&mut c.ri_unused_recurring, ri_recurring);
            // Tags: the domain tag on lines of shared accounts (naming a
            // domain, or something that is not one) and of owned accounts
            // (where it is ignored); other tags beside it.
            let domain = match owner {
                Owner::Domain(domain, _) => Some(domain.as_str()),
                Owner::Shared => Some(match variant % 12 {
                    11 => "no-such-domain",
                    v => domains[(v + hour / 24) % domains.len()].as_str(),
                }),
                Owner::Unknown => None,
            };
            let mut tags: Vec<(&str, String)> =
                vec![("user:cost-centre", format!("cc-{:03}", (a * 7 + s) % 60))];
            if let Some(domain) = domain.filter(|_| variant % 10 != 9) {
                tags.push((landfall_cost::lines::DOMAIN_TAG, domain.to_string()));
            }
            if variant % 4 == 0 {
                tags.push(("aws:createdBy", format!("AssumedRole:AROA{a:04}:deployer")));
            }
            for (i, (k, v)) in tags.iter().enumerate() {
                c.tag_keys.push(bytes.get(k));
                c.tag_values.push(bytes.get(v));
                c.tag_rep.push(i16::from(i > 0));
            }
            put(&mut c.sp_effective, sp_effective);
            put(&mut c.sp_commitment, sp_commitment);
            put(&mut c.sp_used, sp_used);
        }
        write_group(&mut writer, c);
        row = end;
    }
    writer.close().unwrap();
    std::fs::rename(tmp, path).unwrap();
}

fn write_group(writer: &mut SerializedFileWriter<File>, c: Columns) {
    let mut group = writer.next_row_group().unwrap();
    let rows = c.period.len();
    let all = vec![1i16; rows];
    macro_rules! column {
        ($kind:ty, $values:expr, $def:expr, $rep:expr) => {{
            let mut w = group.next_column().unwrap().unwrap();
            w.typed::<$kind>().write_batch($values, $def, $rep).unwrap();
            w.close().unwrap();
        }};
    }
    column!(Int64Type, &c.period, Some(&all), None);
    column!(ByteArrayType, &c.invoice, Some(&all), None);
    column!(ByteArrayType, &c.payer, Some(&all), None);
    column!(ByteArrayType, &c.kind, Some(&all), None);
    column!(DoubleType, &c.net, Some(&all), None);
    column!(ByteArrayType, &c.service, Some(&all), None);
    column!(ByteArrayType, &c.resource, Some(&all), None);
    column!(ByteArrayType, &c.account_id, Some(&all), None);
    column!(ByteArrayType, &c.account_name, Some(&all), None);
    column!(DoubleType, &c.usage_amount, Some(&all), None);
    column!(Int64Type, &c.end, Some(&all), None);
    column!(Int64Type, &c.start, Some(&all), None);
    column!(ByteArrayType, &c.usage_type, Some(&all), None);
    column!(DoubleType, &c.unblended, Some(&all), None);
    column!(ByteArrayType, &c.region, Some(&all), None);
    column!(DoubleType, &c.ri_effective.0, Some(&c.ri_effective.1), None);
    column!(
        DoubleType,
        &c.ri_unused_upfront.0,
        Some(&c.ri_unused_upfront.1),
        None
    );
    column!(
        DoubleType,
        &c.ri_unused_recurring.0,
        Some(&c.ri_unused_recurring.1),
        None
    );
    // The map: every row has at least one entry (key definition 2, value 3).
    let key_def = vec![2i16; c.tag_keys.len()];
    let value_def = vec![3i16; c.tag_values.len()];
    column!(ByteArrayType, &c.tag_keys, Some(&key_def), Some(&c.tag_rep));
    column!(
        ByteArrayType,
        &c.tag_values,
        Some(&value_def),
        Some(&c.tag_rep)
    );
    column!(DoubleType, &c.sp_effective.0, Some(&c.sp_effective.1), None);
    column!(
        DoubleType,
        &c.sp_commitment.0,
        Some(&c.sp_commitment.1),
        None
    );
    column!(DoubleType, &c.sp_used.0, Some(&c.sp_used.1), None);
    group.close().unwrap();
}

/// Writes a Data Exports delivery around one data file (manifest included)
/// under `root`, for `Store::ingest` through `export::discover`.
pub fn delivery(root: &Path, data_file: &Path) {
    let period = format!("{YEAR}-{MONTH:02}");
    let data = root.join("data").join(format!("BILLING_PERIOD={period}"));
    let metadata = root
        .join("metadata")
        .join(format!("BILLING_PERIOD={period}"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&metadata).unwrap();
    let name = "bench-cur2-00001.snappy.parquet";
    let target = data.join(name);
    if std::fs::hard_link(data_file, &target).is_err() {
        std::fs::copy(data_file, &target).unwrap();
    }
    let manifest = serde_json::json!({
        "executionId": "bench-0001",
        "exportArn": format!("arn:aws:bcm-data-exports:us-east-1:{PAYER}:export/bench-cur2-0000"),
        "dataFiles": [format!("s3://bench/exports/bench-cur2/data/BILLING_PERIOD={period}/{name}")],
    });
    std::fs::write(
        metadata.join("bench-cur2-Manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}
