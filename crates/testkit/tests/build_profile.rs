//! The release profile builds the AWS SDK's service crates without
//! optimisation (see the workspace Cargo.toml): a service crate added to the
//! live operations without its entry would quietly cost minutes of every
//! cold release build.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::BTreeSet;

fn workspace_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_aws_sdk_service_crate_is_built_without_optimisation_in_release() {
    let lock: toml::Table = workspace_file("Cargo.lock")
        .parse()
        .expect("Cargo.lock is TOML");
    let manifest: toml::Table = workspace_file("Cargo.toml")
        .parse()
        .expect("Cargo.toml is TOML");
    let service_crates: BTreeSet<&str> = lock["package"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|name| name.starts_with("aws-sdk-"))
        .collect();
    assert!(
        service_crates.contains("aws-sdk-ec2"),
        "the live operations use the EC2 client: {service_crates:?}"
    );
    let overrides = manifest["profile"]["release"]["package"]
        .as_table()
        .expect("[profile.release.package.*] overrides");
    let unoptimised: BTreeSet<&str> = overrides
        .iter()
        .filter(|(_, profile)| {
            profile.get("opt-level").and_then(toml::Value::as_integer) == Some(0)
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let missing: Vec<&&str> = service_crates.difference(&unoptimised).collect();
    assert!(
        missing.is_empty(),
        "add `[profile.release.package.NAME] opt-level = 0` to the workspace Cargo.toml for {missing:?}"
    );
    // The SDK's shared runtime (signing, HTTP, JSON) keeps the release level.
    for runtime in ["aws-smithy-runtime", "aws-sigv4", "aws-smithy-json"] {
        assert!(!overrides.contains_key(runtime), "{runtime} is overridden");
    }
}
