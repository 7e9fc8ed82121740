//! Synthetic orgs of every size resolve cleanly, with the counts they promise.

#![allow(clippy::unwrap_used, reason = "test")]

use landfall_testkit::{synthetic_spec, Size};

#[test]
fn synthetic_orgs_resolve_to_the_promised_size() {
    for size in [
        Size {
            domains: 2,
            services_per_domain: 3,
        },
        Size {
            domains: 40,
            services_per_domain: 5,
        },
    ] {
        let (loaded, diagnostics) = landfall_spec::load_files(synthetic_spec(size));
        let resolved = landfall_model::resolve(loaded, diagnostics);
        let rendered: Vec<String> = resolved
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert!(resolved.diagnostics.is_empty(), "{rendered:#?}");
        let model = resolved.model.unwrap();
        assert_eq!(model.accounts.len(), size.accounts());
        assert_eq!(model.services.len(), size.services());
        assert_eq!(model.network.vpcs.len(), 4);
    }
}
