//! `docs/rules.md` is generated from the registry; this test fails when it
//! is stale. `LANDFALL_UPDATE_DOCS=1` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn rules_page_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let expected = landfall_rules::docs::markdown();
    if std::env::var_os("LANDFALL_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is stale: run `LANDFALL_UPDATE_DOCS=1 cargo test -p landfall-rules --test docs`"
    );
}
