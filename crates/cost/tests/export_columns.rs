//! The billing export the platform deploys (`landfall-synth`'s billing
//! layer) and what `landfall cost ingest` reads must not drift apart: a
//! column ingest needs and the export leaves out would make every delivery
//! an "unknown column set" in production, long after the deploy.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_synth::layers::billing::{export_query, EXPORT_COLUMNS};

#[test]
fn the_platforms_export_selects_every_column_ingest_reads() {
    let missing: Vec<&&str> = landfall_cost::lines::CUR2_COLUMNS
        .iter()
        .filter(|c| !EXPORT_COLUMNS.contains(c))
        .collect();
    assert!(missing.is_empty(), "the export leaves out {missing:?}");
    let query = export_query();
    for column in landfall_cost::lines::CUR2_COLUMNS {
        assert!(query.contains(column), "{column} not in {query}");
    }
}

/// A shared account's line goes to the domain its tag names; the tag is the
/// one the platform writes on resources (`landfall:domain`) and the payer
/// activates, which billing data carries with the `user:` prefix of
/// user-defined tags
/// (https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2-resource-tags.html).
/// Ingest once read `user:domain`, a tag nothing writes.
#[test]
fn ingest_reads_the_domain_tag_the_platform_writes_and_activates() {
    let written = landfall_graph::COST_ALLOCATION_TAGS
        .iter()
        .find(|k| k.ends_with(":domain"))
        .expect("the platform tags resources with their domain");
    assert_eq!(landfall_cost::lines::DOMAIN_TAG, format!("user:{written}"));
}
