//! cfn-lint (AWS's resource schemas) over every workload stack of the
//! reference platform, with its sidecars: zero findings beyond the checks
//! `.cfnlintrc` ignores. The platform layers' stacks are linted by
//! `crates/synth/tests/cfn_lint.rs`; these are the rest of what `landfall
//! synth` writes. It catches what AWS's current schemas refuse, such as an
//! engine release RDS no longer creates new databases of (W3690,
//! <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/aurorapostgresql-release-calendar.html>)
//! or a property the resource type made read-only (`EndpointType` of
//! `AWS::RDS::DBClusterEndpoint`, now `CustomEndpointType`,
//! <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbclusterendpoint.html>).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use std::path::PathBuf;

#[test]
fn every_workload_stack_passes_cfn_lint() {
    let Some(lint) = landfall_testkit::services::require("cfn-lint") else {
        return;
    };
    let p = common::reference();
    let stacks = p.workloads_with_agents();
    assert!(stacks.len() > 500, "{}", stacks.len());
    let dir = std::env::temp_dir().join(format!(
        "landfall-workloads-cfn-lint-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<PathBuf> = stacks
        .iter()
        .map(|stack| {
            let path = dir.join(format!("{}.json", stack.name));
            std::fs::write(
                &path,
                landfall_synth::cloudformation::template_text(stack, None),
            )
            .unwrap();
            path
        })
        .collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = root.join(".cfnlintrc");
    let outputs = landfall_testkit::lint::batched_on_every_core(
        &lint,
        &["--config-file".as_ref(), config.as_os_str()],
        &files,
    );
    let _ = std::fs::remove_dir_all(&dir);
    for output in outputs {
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && report.trim().is_empty(),
            "cfn-lint findings:\n{report}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
