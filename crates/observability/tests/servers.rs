//! The monitoring servers the resource graph deploys run the versions the
//! generated configuration is written for, at the address the agents use.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_observability::Profile;
use landfall_synth::layers::monitoring::{self, IMAGES};

fn tag_of(upstream: &str) -> &'static str {
    IMAGES
        .iter()
        .find(|(_, u, _)| *u == upstream)
        .map(|(_, _, tag)| *tag)
        .unwrap_or_else(|| panic!("no image {upstream}"))
}

/// `v1.79.5-cluster` → `1.79`.
fn minor(tag: &str) -> String {
    let version = tag.trim_start_matches('v');
    let version = version.split('-').next().unwrap();
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

#[test]
fn the_pinned_images_are_the_profiles_versions() {
    let profile = Profile::default();
    for upstream in [
        "victoriametrics/vmstorage",
        "victoriametrics/vminsert",
        "victoriametrics/vmselect",
        "victoriametrics/vmalert",
    ] {
        assert_eq!(
            minor(tag_of(upstream)),
            profile.victoria_metrics,
            "{upstream}"
        );
    }
    assert_eq!(minor(tag_of("prom/alertmanager")), profile.alertmanager);
    // The storage components are the cluster build.
    for upstream in [
        "victoriametrics/vmstorage",
        "victoriametrics/vminsert",
        "victoriametrics/vmselect",
    ] {
        assert!(tag_of(upstream).ends_with("-cluster"), "{upstream}");
    }
}

#[test]
fn the_agents_write_to_the_name_the_zone_holds() {
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().unwrap();
    let plan = landfall_observability::plan::plan(model, Profile::default())
        .expect("the reference has monitoring");
    for region in ["eu-central-1", "eu-west-1"] {
        let url = landfall_observability::telegraf::vminsert_url(&plan, region);
        let host = monitoring::vminsert_host(&model.organization.slug, region);
        assert_eq!(
            url,
            format!(
                "http://{host}:{}/insert/0/influx",
                monitoring::VMINSERT_PORT
            )
        );
    }
}

#[test]
fn grafana_runs_the_profiles_release() {
    let tag = landfall_synth::layers::grafana::IMAGES
        .iter()
        .find(|(_, upstream, _)| *upstream == "grafana/grafana")
        .map(|(_, _, tag)| *tag)
        .unwrap();
    assert_eq!(minor(tag), Profile::default().grafana);
}

/// The CloudWatch data source assumes the role the resource graph
/// creates, whose ARN the Grafana task passes in the variable the
/// provisioning file names
/// (<https://grafana.com/docs/grafana/latest/administration/provisioning/#using-environment-variables>).
#[test]
fn the_cloudwatch_data_source_assumes_the_graphs_role() {
    use landfall_observability::grafana::CLOUDWATCH_ROLE_ARN_ENV;
    use landfall_synth::layers::grafana::CLOUDWATCH_ROLE_ENV;
    assert_eq!(CLOUDWATCH_ROLE_ARN_ENV, CLOUDWATCH_ROLE_ENV);
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().unwrap();
    let bundle = landfall_observability::generate(model).unwrap();
    let datasources = bundle
        .file("grafana/provisioning/datasources/landfall.yml")
        .unwrap();
    let line = datasources
        .contents
        .lines()
        .find(|l| l.contains("assumeRoleArn"))
        .unwrap_or_else(|| panic!("{}", datasources.contents));
    assert!(
        line.contains(&format!("${{{CLOUDWATCH_ROLE_ENV}}}")),
        "{line}"
    );
}
