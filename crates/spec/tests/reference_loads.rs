//! The reference platform (`reference/`, embedded in the binary) is every
//! command's default input, so it must load without a single diagnostic.

use landfall_diagnostics::{render_human, RenderOptions};

#[test]
fn reference_platform_loads_cleanly() {
    let (loaded, diagnostics) = landfall_spec::load_reference();
    assert!(
        diagnostics.is_empty(),
        "the reference platform has diagnostics:\n{}",
        render_human(
            &diagnostics.clone().into_vec(),
            &loaded.sources,
            RenderOptions::default()
        )
    );
    let spec = &loaded.spec;
    assert!(spec.organization.is_some() && spec.network.is_some());
    assert_eq!(spec.domains.len(), 10);
    assert_eq!(spec.accounts.len(), 10);
    assert!(
        spec.services.len() >= 100,
        "{} services",
        spec.services.len()
    );
    assert!(
        spec.data_stores.len() >= 50,
        "{} data stores",
        spec.data_stores.len()
    );
}

#[test]
fn reference_files_are_embedded() {
    let names: Vec<&str> = landfall_spec::REFERENCE_FILES
        .iter()
        .map(|(name, _)| *name)
        .collect();
    for expected in [
        "landfall.yaml",
        "network.yaml",
        "domains.yaml",
        "services/trading/order-gateway.yaml",
    ] {
        assert!(
            names.contains(&expected),
            "`{expected}` is not embedded: {names:?}"
        );
    }
}
