//! One data file of a delivery read and summed into daily aggregates.
//!
//! Parquet takes a columnar fast path: only the columns ingest uses are
//! decoded, a batch of rows at a time, row groups in parallel; each string
//! becomes a small id once per distinct value, and rows are summed straight
//! into the aggregates, never held as `Line`s (a 10-million-row month stays
//! under 100 MiB; `columns` decodes). Files whose columns have types
//! or encodings the fast path does not decode (decimals, INT96 or string
//! timestamps, string numbers, JSON tags, DELTA strings, ...) and FOCUS CSV
//! go line by line through `lines`, the general reader; both give the same
//! aggregates (tests/scan.rs).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use parquet::basic::{ConvertedType, Type as PhysicalType};
use parquet::errors::ParquetError;
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use parquet::schema::types::{SchemaDescriptor, Type as SchemaType};

use crate::attribution::{AccountMap, Allocation, UNALLOCATED};
use crate::date::{Date, Month};
use crate::error::CostError;
use crate::lines::{
    cur2_line_type, detect_format, read_data_file, Amortized, ChargeCategory, ExportFormat, Line,
};
use crate::store::{Attributed, Key};

/// One data file read and attributed.
#[derive(Debug, Clone)]
pub struct FileAggregate {
    pub format: ExportFormat,
    pub lines: usize,
    /// Every line has an invoice id.
    pub is_final: bool,
    pub attributed: Attributed,
}

/// Reads one data file of `payer`'s delivery for `period` and sums its lines
/// per store key: the fast path for Parquet it can decode, else line by line.
pub fn aggregate_file(
    path: &Path,
    payer: &str,
    period: Month,
    accounts: &AccountMap,
) -> Result<FileAggregate, CostError> {
    if let Some(done) = aggregate_columnar(path, payer, period, accounts)? {
        return Ok(done);
    }
    let (format, lines) = read_data_file(path)?;
    aggregate_lines(path, format, &lines, payer, period, accounts)
}

/// The fast path alone: `None` when the file is not Parquet of either table
/// with column types and encodings it decodes (then read it line by line).
pub fn aggregate_columnar(
    path: &Path,
    payer: &str,
    period: Month,
    accounts: &AccountMap,
) -> Result<Option<FileAggregate>, CostError> {
    match fast_plan(path) {
        Some((plan, reader)) => scan_parquet(path, &reader, &plan, payer, period, accounts),
        None => Ok(None),
    }
}

/// The general path: lines read whole, then summed in order.
pub fn aggregate_lines(
    path: &Path,
    format: ExportFormat,
    lines: &[Line],
    payer: &str,
    period: Month,
    accounts: &AccountMap,
) -> Result<FileAggregate, CostError> {
    let mut out = FileAggregate {
        format,
        lines: lines.len(),
        is_final: true,
        attributed: Attributed::default(),
    };
    for line in lines {
        check_payer(&line.payer, payer, period).map_err(|message| CostError::Format {
            path: path.display().to_string(),
            line: 0,
            message,
        })?;
        out.is_final &= line.invoice_id.is_some();
        out.attributed.add(line, accounts);
    }
    Ok(out)
}

fn check_payer(line_payer: &str, payer: &str, period: Month) -> Result<(), String> {
    if line_payer != payer {
        return Err(format!(
            "a line of payer account {line_payer} in payer {payer}'s export (billing period {period}): is this file from another organization?"
        ));
    }
    Ok(())
}

mod columns;

use columns::{
    FxMap, Leaf, NumberKind, Numbers, StartKind, Starts, Strings, TagColumn, TextColumn, NONE,
};

/// Rows decoded per column at a time: large enough to amortize the
/// decoder's calls, small enough that a batch of every column stays in cache.
const BATCH_ROWS: usize = 8192;

/// The column names of one table, by role.
struct Names {
    payer: &'static str,
    invoice: &'static str,
    account_id: &'static str,
    account_name: &'static str,
    start: &'static str,
    kind: &'static str,
    service: &'static str,
    billed: &'static str,
    /// The columns amortized cost may read.
    amounts: &'static [&'static str],
    tags: &'static str,
}

const CUR2_NAMES: Names = Names {
    payer: "bill_payer_account_id",
    invoice: "bill_invoice_id",
    account_id: "line_item_usage_account_id",
    account_name: "line_item_usage_account_name",
    start: "line_item_usage_start_date",
    kind: "line_item_line_item_type",
    service: "line_item_product_code",
    billed: "line_item_unblended_cost",
    amounts: &[
        "savings_plan_savings_plan_effective_cost",
        "savings_plan_total_commitment_to_date",
        "savings_plan_used_commitment",
        "reservation_effective_cost",
        "reservation_unused_amortized_upfront_fee_for_billing_period",
        "reservation_unused_recurring_fee",
    ],
    tags: "resource_tags",
};

const FOCUS_NAMES: Names = Names {
    payer: "BillingAccountId",
    invoice: "InvoiceId",
    account_id: "SubAccountId",
    account_name: "SubAccountName",
    start: "ChargePeriodStart",
    kind: "ChargeCategory",
    service: "ServiceName",
    billed: "BilledCost",
    amounts: &["EffectiveCost"],
    tags: "Tags",
};

/// Which leaf columns hold what, for a file the fast path can read.
struct Plan {
    format: ExportFormat,
    names: &'static Names,
    payer: Leaf,
    invoice: Option<Leaf>,
    account_id: Leaf,
    account_name: Option<Leaf>,
    start: (Leaf, StartKind),
    kind: Leaf,
    service: Option<Leaf>,
    billed: Option<(Leaf, NumberKind)>,
    /// Per name in `names.amounts`, when the file has it.
    amounts: Vec<Option<(Leaf, NumberKind)>>,
    /// The map's key and value leaves.
    tags: Option<(Leaf, Leaf)>,
}

/// The fast path's plan for a Parquet file, or `None` when a column it needs
/// has a type only the general reader decodes (or the file is CSV).
fn fast_plan(path: &Path) -> Option<(Plan, SerializedFileReader<File>)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.ends_with(".csv") || name.ends_with(".csv.gz") {
        return None;
    }
    // What cannot be opened, the general reader reports.
    let reader = SerializedFileReader::new(File::open(path).ok()?).ok()?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let top: Vec<String> = schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let format = detect_format(&top).ok()?;
    let names = match format {
        ExportFormat::Cur2 => &CUR2_NAMES,
        ExportFormat::Focus12 => &FOCUS_NAMES,
    };
    Some((plan(&schema, format, names)?, reader))
}

fn plan(schema: &SchemaDescriptor, format: ExportFormat, names: &'static Names) -> Option<Plan> {
    // `None`: absent; `Some(None)`: present but not a flat column the fast path reads.
    let leaf = |name: &str| -> Option<Option<usize>> {
        schema
            .root_schema()
            .get_fields()
            .iter()
            .find(|f| f.name() == name)?;
        Some((0..schema.num_columns()).find(|&i| {
            let c = schema.column(i);
            c.path().parts() == [name] && c.max_rep_level() == 0
        }))
    };
    let at = |i: usize| Leaf {
        index: i,
        max_def: schema.column(i).max_def_level(),
    };
    let is_text = |i: usize| {
        let c = schema.column(i);
        c.physical_type() == PhysicalType::BYTE_ARRAY
            && matches!(
                c.converted_type(),
                ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON
            )
    };
    let text = |name: &str| -> Option<Option<Leaf>> {
        match leaf(name) {
            None => Some(None),
            Some(Some(i)) if is_text(i) => Some(Some(at(i))),
            Some(_) => None,
        }
    };
    let number = |name: &str| -> Option<Option<(Leaf, NumberKind)>> {
        let Some(found) = leaf(name) else {
            return Some(None);
        };
        let i = found?;
        let c = schema.column(i);
        let kind = match (c.physical_type(), c.converted_type()) {
            (PhysicalType::DOUBLE, _) => NumberKind::Double,
            (PhysicalType::FLOAT, _) => NumberKind::Float,
            (PhysicalType::INT64, ConvertedType::NONE | ConvertedType::INT_64) => NumberKind::Int64,
            (PhysicalType::INT32, ConvertedType::NONE | ConvertedType::INT_32) => NumberKind::Int32,
            _ => return None,
        };
        Some(Some((at(i), kind)))
    };
    let start = {
        let i = leaf(names.start)??;
        let c = schema.column(i);
        let kind = match (c.physical_type(), c.converted_type()) {
            (PhysicalType::INT64, ConvertedType::TIMESTAMP_MILLIS) => StartKind::Millis,
            (PhysicalType::INT64, ConvertedType::TIMESTAMP_MICROS) => StartKind::Micros,
            (PhysicalType::INT32, ConvertedType::DATE) => StartKind::Date,
            _ => return None,
        };
        (at(i), kind)
    };
    let tags = match schema
        .root_schema()
        .get_fields()
        .iter()
        .find(|f| f.name() == names.tags)
    {
        None => None,
        Some(field) => Some(map_leaves(schema, field)?),
    };
    Some(Plan {
        format,
        names,
        payer: text(names.payer)??,
        invoice: text(names.invoice)?,
        account_id: text(names.account_id)??,
        account_name: text(names.account_name)?,
        start,
        kind: text(names.kind)??,
        service: text(names.service)?,
        billed: number(names.billed)?,
        amounts: names
            .amounts
            .iter()
            .map(|n| number(n))
            .collect::<Option<_>>()?,
        tags,
    })
}

/// A MAP of strings to strings (the record reader's `MapInternal`): its key
/// and value leaves.
fn map_leaves(schema: &SchemaDescriptor, field: &SchemaType) -> Option<(Leaf, Leaf)> {
    if !field.is_group()
        || !matches!(
            field.get_basic_info().converted_type(),
            ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE
        )
    {
        return None;
    }
    let [entries] = field.get_fields() else {
        return None;
    };
    let [key, value] = entries.get_fields() else {
        return None;
    };
    let find = |child: &SchemaType| -> Option<Leaf> {
        let path = [field.name(), entries.name(), child.name()];
        let i = (0..schema.num_columns()).find(|&i| schema.column(i).path().parts() == path)?;
        let c = schema.column(i);
        (c.physical_type() == PhysicalType::BYTE_ARRAY
            && matches!(
                c.converted_type(),
                ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON
            )
            && c.max_rep_level() == 1)
            .then(|| Leaf {
                index: i,
                max_def: c.max_def_level(),
            })
    };
    Some((find(key)?, find(value)?))
}

/// Store key with the row group's ids: day, account id, account name,
/// allocation, service, charge category.
type IdKey = (i32, u32, u32, u32, u32, ChargeCategory);

/// One row group summed, with its own string tables.
#[derive(Default)]
struct Partial {
    rows: FxMap<IdKey, (f64, f64)>,
    lines: usize,
    is_final: bool,
    /// The first line from another payer, if any.
    other_payer: Option<String>,
    account_ids: Strings,
    account_names: Strings,
    services: Strings,
    allocations: Vec<Allocation>,
}

/// A line that cannot be read, at its 0-based row of the file.
struct RowError {
    row: usize,
    message: String,
    /// An encoding the fast path does not decode: read the file line by line.
    unsupported: bool,
}

/// The per-row-group state that resolves ids to what they mean, once per id.
struct Resolver<'a> {
    plan: &'a Plan,
    payer: &'a str,
    accounts: &'a AccountMap,
    /// Per kind id: charge category and amortization over amount slots.
    kinds: Vec<Option<(ChargeCategory, Amortized<Option<usize>>)>>,
    kind_none: Option<(ChargeCategory, Amortized<Option<usize>>)>,
    /// Per payer id: whether it is the delivery's payer.
    payers: Vec<bool>,
    /// Per account name id: its allocation, or `None` when it goes by tag.
    names: Vec<Option<u32>>,
    name_none: Option<u32>,
    /// Per tag id, the allocation of a shared account's line.
    tags: Vec<u32>,
    tag_none: u32,
    allocation_ids: HashMap<Allocation, u32>,
}

impl<'a> Resolver<'a> {
    fn new(
        plan: &'a Plan,
        payer: &'a str,
        accounts: &'a AccountMap,
        partial: &mut Partial,
    ) -> Self {
        let mut resolver = Resolver {
            plan,
            payer,
            accounts,
            kinds: Vec::new(),
            kind_none: None,
            payers: Vec::new(),
            names: Vec::new(),
            name_none: None,
            tags: Vec::new(),
            tag_none: 0,
            allocation_ids: HashMap::new(),
        };
        resolver.kind_none = resolver.kind("");
        resolver.name_none = resolver.name("", partial);
        resolver.tag_none = resolver.allocation(accounts.allocate_by_tag(None), partial);
        resolver
    }

    fn kind(&self, text: &str) -> Option<(ChargeCategory, Amortized<Option<usize>>)> {
        let slot = |column: &str| {
            let i = self.plan.names.amounts.iter().position(|c| *c == column)?;
            self.plan.amounts[i].map(|_| i)
        };
        match self.plan.format {
            ExportFormat::Cur2 => {
                cur2_line_type(text).map(|(charge, amortized)| (charge, amortized.map(slot)))
            }
            ExportFormat::Focus12 => ChargeCategory::parse(text)
                .map(|charge| (charge, Amortized::Column(slot("EffectiveCost")))),
        }
    }

    fn allocation(&mut self, allocation: Allocation, partial: &mut Partial) -> u32 {
        if let Some(&id) = self.allocation_ids.get(&allocation) {
            return id;
        }
        let id = partial.allocations.len() as u32;
        partial.allocations.push(allocation.clone());
        self.allocation_ids.insert(allocation, id);
        id
    }

    fn name(&mut self, name: &str, partial: &mut Partial) -> Option<u32> {
        if self.accounts.is_shared(name) {
            return None;
        }
        let allocation = self.accounts.allocate_parts(name, None);
        Some(self.allocation(allocation, partial))
    }

    /// Resolves the ids the tables gained since the last batch.
    fn catch_up(
        &mut self,
        kinds: &Strings,
        payers: &Strings,
        tags: &Strings,
        partial: &mut Partial,
    ) {
        while self.kinds.len() < kinds.values.len() {
            let resolved = self.kind(kinds.text(self.kinds.len() as u32));
            self.kinds.push(resolved);
        }
        while self.payers.len() < payers.values.len() {
            let same = payers.text(self.payers.len() as u32) == self.payer;
            self.payers.push(same);
        }
        while self.names.len() < partial.account_names.values.len() {
            let name = partial
                .account_names
                .text(self.names.len() as u32)
                .to_string();
            let resolved = self.name(&name, partial);
            self.names.push(resolved);
        }
        while self.tags.len() < tags.values.len() {
            // Any shared account: the tag alone decides.
            let tag = tags.text(self.tags.len() as u32);
            let allocation = self.accounts.allocate_by_tag(Some(tag));
            let id = self.allocation(allocation, partial);
            self.tags.push(id);
        }
    }
}

/// The columns of one row group and their per-batch buffers.
struct Batch {
    payer: TextColumn,
    invoice: Option<TextColumn>,
    account_id: TextColumn,
    account_name: Option<TextColumn>,
    start: Starts,
    kind: TextColumn,
    service: Option<TextColumn>,
    billed: Option<Numbers>,
    amounts: Vec<Option<Numbers>>,
    tags: Option<TagColumn>,
    payers: Strings,
    invoices: Strings,
    kinds: Strings,
    tag_values: Strings,
    payer_ids: Vec<u32>,
    invoice_ids: Vec<u32>,
    account_id_ids: Vec<u32>,
    account_name_ids: Vec<u32>,
    days: Vec<i64>,
    kind_ids: Vec<u32>,
    service_ids: Vec<u32>,
    tag_ids: Vec<u32>,
    billed_values: Vec<f64>,
    amount_values: Vec<Vec<f64>>,
}

fn scan_row_group(
    group: &dyn RowGroupReader,
    plan: &Plan,
    first_row: usize,
    payer: &str,
    accounts: &AccountMap,
) -> Result<Partial, RowError> {
    let parquet = |e: ParquetError| RowError {
        row: first_row,
        unsupported: false,
        message: format!("cannot read this row group ({e}; truncated or corrupt file?)"),
    };
    let optional_text = |leaf: Option<Leaf>| leaf.map(|l| TextColumn::new(group, l)).transpose();
    let mut batch = Batch {
        payer: TextColumn::new(group, plan.payer).map_err(parquet)?,
        invoice: optional_text(plan.invoice).map_err(parquet)?,
        account_id: TextColumn::new(group, plan.account_id).map_err(parquet)?,
        account_name: optional_text(plan.account_name).map_err(parquet)?,
        start: Starts::new(group, plan.start).map_err(parquet)?,
        kind: TextColumn::new(group, plan.kind).map_err(parquet)?,
        service: optional_text(plan.service).map_err(parquet)?,
        billed: plan
            .billed
            .map(|l| Numbers::new(group, l))
            .transpose()
            .map_err(parquet)?,
        amounts: plan
            .amounts
            .iter()
            .map(|a| a.map(|l| Numbers::new(group, l)).transpose())
            .collect::<Result<_, _>>()
            .map_err(parquet)?,
        tags: plan
            .tags
            .map(|t| TagColumn::new(group, t))
            .transpose()
            .map_err(parquet)?,
        payers: Strings::default(),
        invoices: Strings::default(),
        kinds: Strings::default(),
        tag_values: Strings::default(),
        payer_ids: Vec::new(),
        invoice_ids: Vec::new(),
        account_id_ids: Vec::new(),
        account_name_ids: Vec::new(),
        days: Vec::new(),
        kind_ids: Vec::new(),
        service_ids: Vec::new(),
        tag_ids: Vec::new(),
        billed_values: Vec::new(),
        amount_values: vec![Vec::new(); plan.amounts.len()],
    };
    let mut partial = Partial {
        is_final: true,
        ..Partial::default()
    };
    let mut resolver = Resolver::new(plan, payer, accounts, &mut partial);
    let names = plan.names;
    let mut offset = first_row;
    loop {
        let rows = read_batch(&mut batch, &mut partial).map_err(|e| RowError {
            row: offset,
            unsupported: matches!(e, ParquetError::NYI(_)),
            message: format!("cannot read rows ({e}; truncated or corrupt file?)"),
        })?;
        let (rows, bad) = match rows {
            Some(found) => found,
            None => break,
        };
        resolver.catch_up(&batch.kinds, &batch.payers, &batch.tag_values, &mut partial);
        let error = |i: usize, message: String| RowError {
            row: offset + i,
            unsupported: false,
            message,
        };
        for i in 0..rows {
            if i == bad {
                return Err(error(
                    i,
                    "a text column holds bytes that are not UTF-8 (corrupt file?)".into(),
                ));
            }
            let kind = batch.kind_ids[i];
            let rule = if kind == NONE {
                resolver.kind_none
            } else {
                resolver.kinds[kind as usize]
            };
            let unknown_kind = |batch: &Batch| {
                let text = batch.kinds.text(kind);
                match plan.format {
                    ExportFormat::Cur2 => format!("unknown line_item_line_item_type `{text}`"),
                    ExportFormat::Focus12 => format!("unknown ChargeCategory `{text}`"),
                }
            };
            if rule.is_none() && plan.format == ExportFormat::Cur2 {
                return Err(error(i, unknown_kind(&batch)));
            }
            let payer_id = batch.payer_ids[i];
            if payer_id == NONE {
                return Err(error(i, format!("`{}` is empty", names.payer)));
            }
            let account_id = batch.account_id_ids[i];
            if account_id == NONE {
                return Err(error(i, format!("`{}` is empty", names.account_id)));
            }
            let day = batch.days[i];
            if day == i64::MIN {
                return Err(error(i, format!("`{}` is empty", names.start)));
            }
            let Ok(day) = i32::try_from(day) else {
                return Err(error(i, format!("`{}` is out of range", names.start)));
            };
            let Some((charge, amortized)) = rule else {
                return Err(error(i, unknown_kind(&batch)));
            };
            if !resolver.payers[payer_id as usize] && partial.other_payer.is_none() {
                partial.other_payer = Some(batch.payers.text(payer_id).to_string());
            }
            partial.is_final &= batch.invoice_ids.get(i).is_some_and(|&id| id != NONE);
            let billed = batch.billed_values.get(i).copied().unwrap_or(0.0);
            let effective = amortized.effective(billed, |slot| {
                slot.and_then(|s| batch.amount_values[s].get(i))
                    .copied()
                    .unwrap_or(0.0)
            });
            let name = batch.account_name_ids.get(i).copied().unwrap_or(NONE);
            let by_name = if name == NONE {
                resolver.name_none
            } else {
                resolver.names[name as usize]
            };
            let allocation = by_name.unwrap_or_else(|| match batch.tag_ids.get(i) {
                Some(&tag) if tag != NONE => resolver.tags[tag as usize],
                _ => resolver.tag_none,
            });
            let service = batch.service_ids.get(i).copied().unwrap_or(NONE);
            let sums = partial
                .rows
                .entry((day, account_id, name, allocation, service, charge))
                .or_default();
            sums.0 += billed;
            sums.1 += effective;
        }
        partial.lines += rows;
        offset += rows;
    }
    Ok(partial)
}

/// Reads the next batch of every column: its row count and first non-UTF-8
/// row (`usize::MAX` when none), or `None` at the end of the row group.
fn read_batch(
    batch: &mut Batch,
    partial: &mut Partial,
) -> Result<Option<(usize, usize)>, ParquetError> {
    let mut bad = usize::MAX;
    let rows = batch.payer.read(
        BATCH_ROWS,
        &mut batch.payers,
        &mut batch.payer_ids,
        &mut bad,
    )?;
    if rows == 0 {
        return Ok(None);
    }
    let mut counts = Vec::with_capacity(16);
    if let Some(c) = &mut batch.invoice {
        counts.push(c.read(rows, &mut batch.invoices, &mut batch.invoice_ids, &mut bad)?);
    }
    counts.push(batch.account_id.read(
        rows,
        &mut partial.account_ids,
        &mut batch.account_id_ids,
        &mut bad,
    )?);
    if let Some(c) = &mut batch.account_name {
        counts.push(c.read(
            rows,
            &mut partial.account_names,
            &mut batch.account_name_ids,
            &mut bad,
        )?);
    }
    counts.push(batch.start.read(rows, &mut batch.days)?);
    counts.push(
        batch
            .kind
            .read(rows, &mut batch.kinds, &mut batch.kind_ids, &mut bad)?,
    );
    if let Some(c) = &mut batch.service {
        counts.push(c.read(
            rows,
            &mut partial.services,
            &mut batch.service_ids,
            &mut bad,
        )?);
    }
    if let Some(c) = &mut batch.billed {
        counts.push(c.read(rows, &mut batch.billed_values)?);
    }
    for (column, values) in batch.amounts.iter_mut().zip(&mut batch.amount_values) {
        if let Some(c) = column {
            counts.push(c.read(rows, values)?);
        }
    }
    if let Some(c) = &mut batch.tags {
        counts.push(c.read(rows, &mut batch.tag_values, &mut batch.tag_ids, &mut bad)?);
    }
    if counts.iter().any(|&c| c != rows) {
        return Err(ParquetError::General(
            "the columns of a row group have different row counts".into(),
        ));
    }
    Ok(Some((rows, bad)))
}

/// Row groups' partial sums added in row-group order (so the sums do not
/// depend on which thread finished first), with one set of string tables.
struct Merger {
    next: usize,
    pending: BTreeMap<usize, Partial>,
    rows: FxMap<IdKey, (f64, f64)>,
    lines: usize,
    is_final: bool,
    other_payer: Option<String>,
    account_ids: Strings,
    account_names: Strings,
    services: Strings,
    allocations: Vec<Allocation>,
    allocation_ids: HashMap<Allocation, u32>,
}

impl Merger {
    fn new() -> Self {
        Merger {
            next: 0,
            pending: BTreeMap::new(),
            rows: FxMap::default(),
            lines: 0,
            is_final: true,
            other_payer: None,
            account_ids: Strings::default(),
            account_names: Strings::default(),
            services: Strings::default(),
            allocations: Vec::new(),
            allocation_ids: HashMap::new(),
        }
    }

    fn push(&mut self, group: usize, partial: Partial) {
        self.pending.insert(group, partial);
        while let Some(partial) = self.pending.remove(&self.next) {
            self.absorb(partial);
            self.next += 1;
        }
    }

    fn absorb(&mut self, partial: Partial) {
        // A missing name is "" and a missing service "(none)", as lines.rs
        // reads them: one id each, whether missing or spelled out.
        let translate = |from: &Strings, to: &mut Strings, none: &str| -> Vec<u32> {
            let mut ids: Vec<u32> = from
                .values
                .iter()
                .map(|v| to.id(v).unwrap_or(NONE))
                .collect();
            ids.push(to.id(none.as_bytes()).unwrap_or(NONE));
            ids
        };
        let ids = translate(&partial.account_ids, &mut self.account_ids, "");
        let names = translate(&partial.account_names, &mut self.account_names, "");
        let services = translate(&partial.services, &mut self.services, "(none)");
        let mut allocations = Vec::with_capacity(partial.allocations.len());
        for allocation in partial.allocations {
            let next = self.allocations.len() as u32;
            let id = *self
                .allocation_ids
                .entry(allocation.clone())
                .or_insert(next);
            if id == next {
                self.allocations.push(allocation);
            }
            allocations.push(id);
        }
        let local = |table: &[u32], id: u32| {
            if id == NONE {
                table[table.len() - 1]
            } else {
                table[id as usize]
            }
        };
        for ((day, account_id, name, allocation, service, charge), (billed, effective)) in
            partial.rows
        {
            let key = (
                day,
                local(&ids, account_id),
                local(&names, name),
                allocations[allocation as usize],
                local(&services, service),
                charge,
            );
            let sums = self.rows.entry(key).or_default();
            sums.0 += billed;
            sums.1 += effective;
        }
        self.lines += partial.lines;
        self.is_final &= partial.is_final;
        if self.other_payer.is_none() {
            self.other_payer = partial.other_payer;
        }
    }

    fn finish(self, format: ExportFormat) -> FileAggregate {
        let text = |strings: &Strings, id: u32| {
            if id == NONE {
                String::new()
            } else {
                strings.text(id).to_string()
            }
        };
        let mut attributed = Attributed::default();
        for ((day, account_id, name, allocation, service, charge), sums) in self.rows {
            let allocation = &self.allocations[allocation as usize];
            let key: Key = (
                Date::EPOCH.add_days(day),
                text(&self.account_ids, account_id),
                text(&self.account_names, name),
                allocation.domain.clone(),
                allocation.environment.clone(),
                text(&self.services, service),
                charge,
            );
            attributed.rows.insert(key, sums);
        }
        for ((_, account_id, name, domain, ..), (billed, _)) in &attributed.rows {
            if domain == UNALLOCATED {
                let account = if name.is_empty() { account_id } else { name };
                *attributed.unallocated.entry(account.clone()).or_default() += billed;
            }
        }
        FileAggregate {
            format,
            lines: self.lines,
            is_final: self.is_final,
            attributed,
        }
    }
}

fn scan_parquet(
    path: &Path,
    reader: &SerializedFileReader<File>,
    plan: &Plan,
    payer: &str,
    period: Month,
    accounts: &AccountMap,
) -> Result<Option<FileAggregate>, CostError> {
    let name = path.display().to_string();
    let bad = |line: usize, message: String| CostError::Format {
        path: name.clone(),
        line,
        message,
    };
    let groups = reader.num_row_groups();
    let mut first_rows = Vec::with_capacity(groups);
    let mut total = 0usize;
    for group in reader.metadata().row_groups() {
        first_rows.push(total);
        total += usize::try_from(group.num_rows()).unwrap_or(0);
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(groups)
        .max(1);
    let next = AtomicUsize::new(0);
    // The lowest row group that failed: later ones need not be read, earlier
    // ones must (the error reported is the first in the file).
    let failed = AtomicUsize::new(usize::MAX);
    let merger = Mutex::new(Merger::new());
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                // A reader of its own: readers of one `File` share its offset.
                let own = File::open(path)
                    .map_err(|e| e.to_string())
                    .and_then(|f| SerializedFileReader::new(f).map_err(|e| e.to_string()));
                loop {
                    let group = next.fetch_add(1, Ordering::Relaxed);
                    if group >= groups || group > failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let first_row = first_rows[group];
                    let cannot = |e: String| RowError {
                        row: first_row,
                        unsupported: false,
                        message: format!(
                            "cannot read this row group ({e}; truncated or corrupt file?)"
                        ),
                    };
                    let result = own
                        .as_ref()
                        .map_err(|e| cannot(e.clone()))
                        .and_then(|r| r.get_row_group(group).map_err(|e| cannot(e.to_string())))
                        .and_then(|g| scan_row_group(g.as_ref(), plan, first_row, payer, accounts));
                    match result {
                        Ok(partial) => lock(&merger).push(group, partial),
                        Err(error) => {
                            failed.fetch_min(group, Ordering::Relaxed);
                            lock(&errors).push(error);
                        }
                    }
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    if errors.iter().any(|e| e.unsupported) {
        return Ok(None);
    }
    if let Some(first) = errors.into_iter().min_by_key(|e| e.row) {
        return Err(bad(0, format!("row {}: {}", first.row + 1, first.message)));
    }
    let merger = merger.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(other) = &merger.other_payer {
        check_payer(other, payer, period).map_err(|message| bad(0, message))?;
    }
    Ok(Some(merger.finish(plan.format)))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
