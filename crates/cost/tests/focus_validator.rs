//! The golden FOCUS exports (`tests/fixtures/exports/focus12*`, written by
//! `cargo run -p landfall-cost --example golden_exports`) through the FinOps
//! Foundation's own validator, `focus-validator` from PyPI, run from
//! `.venv-focus` (scripts/test.sh creates it from scripts/requirements-focus.txt).
//!
//! Version 1.0.0 is the newest that runs on Python 3.11 (2.x needs 3.12),
//! and FOCUS 1.0 the newest rule set it knows. FOCUS 1.2 keeps every column
//! of 1.0 (adding 14), so a 1.2 file must pass 1.0's rules; the rules skipped
//! below are where the validator's 1.0 rule set disagrees with the FOCUS 1.0
//! specification itself; the loader failures, where its file loader cannot
//! see a column's type (asserted exactly: any other failure fails the test).
//! `every_focus_1_2_column_is_in_the_golden_exports` checks the 1.2 column
//! list the validator does not know.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Rules skipped (through its override file), each with why.
const SKIPPED: &[(&str, &str)] = &[
    // The rule set names four columns after their display names (Provider,
    // Publisher, Invoice Issuer, Resource ID). The FOCUS 1.0 specification's
    // column IDs (columns/provider.md, publisher.md,
    // invoiceissuer.md, resourceid.md, unchanged in 1.2) are ProviderName,
    // PublisherName, InvoiceIssuerName and ResourceId, which the files have.
    ("Provider_Required", "FOCUS 1.0's column ID is ProviderName"),
    ("Provider_IsString", "FOCUS 1.0's column ID is ProviderName"),
    ("Provider_NotNull", "FOCUS 1.0's column ID is ProviderName"),
    (
        "Publisher_Required",
        "FOCUS 1.0's column ID is PublisherName",
    ),
    (
        "Publisher_IsString",
        "FOCUS 1.0's column ID is PublisherName",
    ),
    (
        "Publisher_NotNull",
        "FOCUS 1.0's column ID is PublisherName",
    ),
    (
        "InvoiceIssuer_Required",
        "FOCUS 1.0's column ID is InvoiceIssuerName",
    ),
    (
        "InvoiceIssuer_IsString",
        "FOCUS 1.0's column ID is InvoiceIssuerName",
    ),
    (
        "InvoiceIssuer_NotNull",
        "FOCUS 1.0's column ID is InvoiceIssuerName",
    ),
    ("ResourceID_Required", "FOCUS 1.0's column ID is ResourceId"),
    ("ResourceID_IsString", "FOCUS 1.0's column ID is ResourceId"),
    ("ResourceID_Nullable", "FOCUS 1.0's column ID is ResourceId"),
    // Its query reads `ChargeType`, FOCUS 0.5's column that 1.0 renamed
    // ChargeCategory (0.5 dimensions/chargetype.md; 1.0 columns/chargecategory.md),
    // so it fails on any 1.0 dataset. SkuPriceId's rule in 1.0
    // (columns/skupriceid.md) is checked by
    // `the_focus_1_2_rules_between_columns_hold` instead.
    (
        "SkuPriceId_Nullable",
        "queries ChargeType, FOCUS 0.5's name of ChargeCategory",
    ),
];

/// Rules the validator fails on the CSV file because of how it reads it:
/// `pandas.read_csv` without column types, so twelve-digit AWS account ids
/// load as integers. Its override file cannot skip these: a skipped
/// data-type rule still runs its check, and the failure overrides the
/// `skipped`. The Parquet runs check the same values as strings.
const LOADER_FAILURES_CSV: &[(&str, &str)] = &[
    (
        "BillingAccountId_IsString",
        "read_csv types all-digit ids as int64",
    ),
    (
        "SubAccountId_IsString",
        "read_csv types all-digit ids as int64",
    ),
];

/// The same on the Parquet files: Data Exports writes `Tags` as a map
/// column, which pandas hands over as a list of pairs, while the rule parses
/// a JSON string. The CSV run checks `Tags` as JSON text.
const LOADER_FAILURES_PARQUET: &[(&str, &str)] =
    &[("Tags_IsJSONObject", "a Parquet map, not JSON text")];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn exports() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports")
}

fn csv_golden() -> PathBuf {
    exports().join("focus12-csv/data/BILLING_PERIOD=2025-09/landfall-focus-csv-00001.csv")
}

fn parquet_golden(period: &str) -> PathBuf {
    exports().join(format!(
        "focus12/data/BILLING_PERIOD={period}/landfall-focus-00001.snappy.parquet"
    ))
}

/// The validator in `.venv-focus`, or `None` (a failure under `CI=true`).
fn validator() -> Option<PathBuf> {
    let tool = root().join(".venv-focus/bin/focus-validator");
    if tool.is_file() {
        return Some(tool);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} is missing (CI=true): scripts/test.sh installs it",
            tool.display()
        );
    }
    eprintln!("note: focus-validator not installed in .venv-focus; skipped (run scripts/test.sh to install it)");
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Errored,
    Skipped,
}

/// The validator's verdict on one file: every rule's outcome, by rule name.
fn validate(tool: &Path, data: &Path) -> BTreeMap<String, Outcome> {
    let dir = tempfile::tempdir().unwrap();
    let overrides = dir.path().join("overrides.yaml");
    let mut yaml = String::from("overrides:\n");
    for (rule, _) in SKIPPED {
        yaml.push_str(&format!("  - {rule}\n"));
    }
    std::fs::write(&overrides, yaml).unwrap();
    let report = dir.path().join("report.xml");
    // It reads its ISO 4217 list from the relative path
    // `focus_validator/utils/currency_codes.csv`: run it from site-packages.
    let python = tool.with_file_name("python");
    let site = Command::new(&python)
        .args([
            "-c",
            "import os, focus_validator; print(os.path.dirname(os.path.dirname(focus_validator.__file__)))",
        ])
        .output()
        .expect("the venv's python runs");
    assert!(site.status.success(), "{site:?}");
    let site = String::from_utf8(site.stdout).unwrap();
    let out = Command::new(tool)
        .current_dir(site.trim())
        .arg("--data-file")
        .arg(data)
        .args(["--validate-version", "1.0", "--override-file"])
        .arg(&overrides)
        .args(["--output-type", "unittest", "--output-destination"])
        .arg(&report)
        .output()
        .expect("focus-validator runs");
    // Its exit status says it ran, not that the data passed (0 with failed
    // rules): the verdict is in the report.
    assert!(
        out.status.success(),
        "focus-validator on {}: {}{}",
        data.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(&report).expect("the validator writes its report");
    let outcomes = junit_outcomes(&xml);
    let total: usize = attribute(&xml, "testsuites", "tests").parse().unwrap();
    assert_eq!(
        outcomes.len(),
        total,
        "every rule read from the report: {xml}"
    );
    outcomes
}

fn attribute<'a>(xml: &'a str, element: &str, name: &str) -> &'a str {
    let start = xml.find(&format!("<{element} ")).unwrap();
    let tag = &xml[start..start + xml[start..].find('>').unwrap()];
    let from = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    &tag[from..from + tag[from..].find('"').unwrap()]
}

/// The outcome of each `<testcase name="RULE :: CHECK TYPE">` of the
/// validator's JUnit report: a `failure`, `error` or `skipped` child, or none
/// (passed).
fn junit_outcomes(xml: &str) -> BTreeMap<String, Outcome> {
    let mut out = BTreeMap::new();
    for case in xml.split("<testcase ").skip(1) {
        let name = case
            .strip_prefix("name=\"")
            .and_then(|rest| rest.split(" :: ").next())
            .expect("a testcase has a name");
        let body = match (case.find("/>"), case.find('>')) {
            // `<testcase ... />`: no child.
            (Some(close), Some(open)) if close + 1 == open => "",
            _ => &case[..case.find("</testcase>").unwrap_or(case.len())],
        };
        let outcome = if body.contains("<failure") {
            Outcome::Failed
        } else if body.contains("<error") {
            Outcome::Errored
        } else if body.contains("<skipped") {
            Outcome::Skipped
        } else {
            Outcome::Passed
        };
        out.insert(name.to_string(), outcome);
    }
    out
}

fn with(outcomes: &BTreeMap<String, Outcome>, wanted: Outcome) -> Vec<String> {
    outcomes
        .iter()
        .filter(|(_, o)| **o == wanted)
        .map(|(rule, _)| rule.clone())
        .collect()
}

fn names(rules: &[(&str, &str)]) -> Vec<String> {
    let mut out: Vec<String> = rules.iter().map(|(rule, _)| rule.to_string()).collect();
    out.sort_unstable();
    out
}

/// Every rule passed but those skipped on purpose and those the loader fails.
fn assert_passes(
    outcomes: &BTreeMap<String, Outcome>,
    loader_failures: &[(&str, &str)],
    what: &str,
) {
    assert_eq!(
        with(outcomes, Outcome::Failed),
        names(loader_failures),
        "{what}: the failed rules"
    );
    assert!(
        with(outcomes, Outcome::Errored).is_empty(),
        "{what}: errored {:?}",
        with(outcomes, Outcome::Errored)
    );
    assert_eq!(with(outcomes, Outcome::Skipped), names(SKIPPED), "{what}");
    // FOCUS 1.0's rule set: 43 columns, three or four rules each.
    assert!(
        with(outcomes, Outcome::Passed).len() > 100,
        "{what}: {outcomes:?}"
    );
}

#[test]
fn the_golden_focus_csv_passes_the_focus_validator() {
    let Some(tool) = validator() else { return };
    let outcomes = validate(&tool, &csv_golden());
    assert_passes(&outcomes, LOADER_FAILURES_CSV, "focus12-csv 2025-09");
}

#[test]
fn the_golden_focus_parquet_passes_the_focus_validator() {
    let Some(tool) = validator() else { return };
    for period in ["2025-09", "2025-10"] {
        let outcomes = validate(&tool, &parquet_golden(period));
        assert_passes(
            &outcomes,
            LOADER_FAILURES_PARQUET,
            &format!("focus12 {period}"),
        );
    }
}

/// A copy of the CSV golden with `edit` applied to its text.
fn broken_copy(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(csv_golden()).unwrap();
    let broken = edit(&text);
    assert_ne!(broken, text, "the edit changes the file");
    let path = dir.join("broken.csv");
    std::fs::write(&path, broken).unwrap();
    path
}

#[test]
fn a_broken_copy_fails_the_rule_it_breaks() {
    let Some(tool) = validator() else { return };
    let dir = tempfile::tempdir().unwrap();
    let failed = |outcomes: &BTreeMap<String, Outcome>, rule: &str| {
        let mut expected = names(LOADER_FAILURES_CSV);
        expected.push(rule.to_string());
        expected.sort_unstable();
        assert_eq!(with(outcomes, Outcome::Failed), expected, "{outcomes:?}");
    };
    // EffectiveCost under its FOCUS 0.5 name: the required column is gone.
    let renamed = broken_copy(dir.path(), |text| {
        text.replacen(",EffectiveCost,", ",AmortizedCost,", 1)
    });
    failed(&validate(&tool, &renamed), "EffectiveCost_Required");
    // A ServiceCategory outside FOCUS 1.0's allowed values, on one row.
    let category = broken_copy(dir.path(), |text| {
        text.replacen(",Compute,", ",Servers,", 1)
    });
    failed(&validate(&tool, &category), "ServiceCategory_Enum");
}

/// The validator knows FOCUS 1.0's columns; 1.2 has 57 (1.2's
/// specification/columns/*.md), every one in the goldens, Parquet and CSV.
#[test]
fn every_focus_1_2_column_is_in_the_golden_exports() {
    const FOCUS_1_2: [&str; 57] = [
        "AvailabilityZone",
        "BilledCost",
        "BillingAccountId",
        "BillingAccountName",
        "BillingAccountType",
        "BillingCurrency",
        "BillingPeriodEnd",
        "BillingPeriodStart",
        "CapacityReservationId",
        "CapacityReservationStatus",
        "ChargeCategory",
        "ChargeClass",
        "ChargeDescription",
        "ChargeFrequency",
        "ChargePeriodEnd",
        "ChargePeriodStart",
        "CommitmentDiscountCategory",
        "CommitmentDiscountId",
        "CommitmentDiscountName",
        "CommitmentDiscountQuantity",
        "CommitmentDiscountStatus",
        "CommitmentDiscountType",
        "CommitmentDiscountUnit",
        "ConsumedQuantity",
        "ConsumedUnit",
        "ContractedCost",
        "ContractedUnitPrice",
        "EffectiveCost",
        "InvoiceId",
        "InvoiceIssuerName",
        "ListCost",
        "ListUnitPrice",
        "PricingCategory",
        "PricingCurrency",
        "PricingCurrencyContractedUnitPrice",
        "PricingCurrencyEffectiveCost",
        "PricingCurrencyListUnitPrice",
        "PricingQuantity",
        "PricingUnit",
        "ProviderName",
        "PublisherName",
        "RegionId",
        "RegionName",
        "ResourceId",
        "ResourceName",
        "ResourceType",
        "ServiceCategory",
        "ServiceName",
        "ServiceSubcategory",
        "SkuId",
        "SkuMeter",
        "SkuPriceDetails",
        "SkuPriceId",
        "SubAccountId",
        "SubAccountName",
        "SubAccountType",
        "Tags",
    ];
    let csv = std::fs::read_to_string(csv_golden()).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        header, FOCUS_1_2,
        "the CSV's columns, in the specification's order"
    );
    for period in ["2025-09", "2025-10"] {
        let reader = parquet::file::reader::SerializedFileReader::new(
            std::fs::File::open(parquet_golden(period)).unwrap(),
        )
        .unwrap();
        let columns: Vec<String> = parquet::file::reader::FileReader::metadata(&reader)
            .file_metadata()
            .schema()
            .get_fields()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        assert_eq!(columns, FOCUS_1_2, "focus12 {period}");
    }
}

/// The golden Parquet rows, each a map from column to value.
fn parquet_rows(period: &str) -> Vec<BTreeMap<String, parquet::record::Field>> {
    use parquet::file::reader::FileReader;
    let reader = parquet::file::reader::SerializedFileReader::new(
        std::fs::File::open(parquet_golden(period)).unwrap(),
    )
    .unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(name, field)| (name.clone(), field.clone()))
                .collect()
        })
        .collect()
}

/// FOCUS 1.2's rules between columns of a row (its columns/*.md), which the
/// validator's 1.0 rule set does not check (`SkuPriceId_Nullable`, skipped
/// above, among them), on every golden Parquet row.
#[test]
fn the_focus_1_2_rules_between_columns_hold() {
    use parquet::record::Field;
    for period in ["2025-09", "2025-10"] {
        let rows = parquet_rows(period);
        let mut categories = BTreeMap::new();
        for row in &rows {
            let text = |name: &str| match &row[name] {
                Field::Str(s) => Some(s.as_str()),
                Field::Null => None,
                other => panic!("{name}: {other:?}"),
            };
            let number = |name: &str| match &row[name] {
                Field::Double(v) => Some(*v),
                Field::Null => None,
                other => panic!("{name}: {other:?}"),
            };
            let null = |name: &str| matches!(row[name], Field::Null);
            let at = format!("{period}: {row:?}");
            let category = text("ChargeCategory").unwrap();
            *categories.entry(category.to_string()).or_insert(0) += 1;
            let correction = text("ChargeClass") == Some("Correction");
            let commitment = !null("CommitmentDiscountId");
            let unused = text("CommitmentDiscountStatus") == Some("Unused");
            // skuid, skupriceid, listunitprice, contractedunitprice,
            // pricingquantity, pricingunit, pricingcategory.md.
            for column in [
                "SkuId",
                "SkuPriceId",
                "ListUnitPrice",
                "ContractedUnitPrice",
                "PricingQuantity",
                "PricingUnit",
                "PricingCategory",
            ] {
                match category {
                    "Usage" | "Purchase" if !correction => assert!(!null(column), "{column}: {at}"),
                    "Tax" => assert!(null(column), "{column}: {at}"),
                    _ => {}
                }
            }
            // Pairs null together (pricingunit, consumedunit, regionname,
            // resourcetype, commitmentdiscount*.md).
            for (a, b) in [
                ("PricingQuantity", "PricingUnit"),
                ("ConsumedQuantity", "ConsumedUnit"),
                ("RegionId", "RegionName"),
                ("ResourceId", "ResourceType"),
                ("CommitmentDiscountId", "CommitmentDiscountCategory"),
                ("CommitmentDiscountId", "CommitmentDiscountType"),
                ("CommitmentDiscountQuantity", "CommitmentDiscountUnit"),
            ] {
                assert_eq!(null(a), null(b), "{a}, {b}: {at}");
            }
            assert!(
                null("ResourceId") <= null("ResourceName"),
                "ResourceName: {at}"
            );
            // consumedquantity.md
            let measured = category == "Usage" && !unused && !correction;
            assert_eq!(
                !null("ConsumedQuantity"),
                measured,
                "ConsumedQuantity: {at}"
            );
            // commitmentdiscountstatus.md, commitmentdiscountquantity.md
            if commitment && category == "Usage" {
                assert!(!null("CommitmentDiscountStatus"), "{at}");
            }
            if !commitment {
                assert!(null("CommitmentDiscountStatus"), "{at}");
            }
            assert_eq!(
                !null("CommitmentDiscountQuantity"),
                commitment && matches!(category, "Usage" | "Purchase"),
                "CommitmentDiscountQuantity: {at}"
            );
            // chargefrequency.md
            if category == "Purchase" {
                assert_ne!(text("ChargeFrequency"), Some("Usage-Based"), "{at}");
            }
            // listcost.md, contractedcost.md: unit price × quantity.
            for (price, cost) in [
                ("ListUnitPrice", "ListCost"),
                ("ContractedUnitPrice", "ContractedCost"),
            ] {
                if let (Some(p), Some(q)) = (number(price), number("PricingQuantity")) {
                    let cost = number(cost).unwrap();
                    assert!(
                        (p * q - cost).abs() < 1e-9,
                        "{price} × PricingQuantity: {at}"
                    );
                }
            }
            // Costs of a charge unrelated to others (a credit) match BilledCost.
            if category == "Credit" {
                for cost in ["ListCost", "ContractedCost", "EffectiveCost"] {
                    assert_eq!(number(cost), number("BilledCost"), "{cost}: {at}");
                }
            }
            // effectivecost.md: a commitment's purchase is amortized to 0.
            if category == "Purchase" && commitment {
                assert_eq!(number("EffectiveCost"), Some(0.0), "{at}");
            }
            // The charge period lies in the billing period.
            let time = |name: &str| match &row[name] {
                Field::TimestampMillis(ms) => *ms,
                other => panic!("{name}: {other:?}"),
            };
            assert!(
                time("BillingPeriodStart") <= time("ChargePeriodStart"),
                "{at}"
            );
            assert!(time("ChargePeriodStart") < time("ChargePeriodEnd"), "{at}");
            assert!(time("ChargePeriodEnd") <= time("BillingPeriodEnd"), "{at}");
        }
        // Every category the rules speak of occurs, and an unused commitment.
        for category in ["Usage", "Purchase", "Tax", "Credit"] {
            assert!(
                categories.contains_key(category),
                "{period}: {categories:?}"
            );
        }
        assert!(rows
            .iter()
            .any(|r| matches!(&r["CommitmentDiscountStatus"], Field::Str(s) if s == "Unused")));
    }
}
