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
