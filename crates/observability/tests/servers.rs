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

/// Alertmanager posts where the service listens (`POST /alertmanager`,
/// `heal_service::WEBHOOK_PATH`), at the name every VPC's zone gives its
/// interface endpoint of the service's endpoint service, over TLS it can
/// verify: the service's certificate names that host as well (ACM private
/// certificates take `SubjectAlternativeNames`,
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-certificatemanager-certificate.html>),
/// and `ca_file` is where the hosts write the private root they sync from
/// the parameter the monitoring stack holds (one per account and region).
#[test]
fn alertmanager_posts_to_the_path_name_and_root_the_graph_provides() {
    use landfall_observability::alertmanager::REMEDIATION_CA_FILE;
    use landfall_synth::layers::heal_service;

    let mut resolved = landfall_model::reference();
    let lockfile = landfall_synth::platform::lockfile_text(None).unwrap();
    let compiled =
        landfall_synth::platform::compile(&mut resolved, lockfile, Default::default()).unwrap();
    let model = resolved.model.as_ref().unwrap();
    let slug = &model.organization.slug;
    let host = monitoring::remediation_host(slug);

    let bundle = landfall_observability::generate(model).unwrap();
    let config = &bundle
        .file("alertmanager/alertmanager.yml")
        .unwrap()
        .contents;
    let url = format!("https://{host}{}", heal_service::WEBHOOK_PATH);
    assert!(config.contains(&format!("url: \"{url}\"")), "{config}");
    assert!(
        config.contains(&format!("ca_file: {REMEDIATION_CA_FILE}")),
        "{config}"
    );

    let graph = &compiled.graph;
    // Every region's service (each region's Alertmanagers post to their
    // own region's) answers to the one name.
    for name in [
        format!("{slug}-alerting"),
        format!("{slug}-alerting-eu-west-1"),
    ] {
        let alerting = graph.stack(&name).unwrap();
        let certificate = alerting.resource("HealCertificate").unwrap();
        assert_eq!(
            certificate.properties["SubjectAlternativeNames"],
            serde_json::json!([host])
        );
        let output = alerting
            .outputs
            .iter()
            .find(|o| o.name == "HealWebhookUrl")
            .unwrap();
        assert_eq!(output.value, serde_json::json!(url));
    }

    // The CA file is the parameter's base name under the secrets path, in
    // every region with monitoring servers.
    let parameter = monitoring::remediation_ca_parameter();
    assert_eq!(
        parameter.strip_prefix(monitoring::SECRETS_PATH),
        REMEDIATION_CA_FILE.strip_prefix(landfall_observability::alertmanager::SECRETS_DIR)
    );
    for region in ["eu-central-1", "eu-west-1"] {
        let holders: Vec<&str> = graph
            .stacks
            .iter()
            .filter(|s| {
                matches!(&s.target, landfall_graph::Target::Account { region: r, .. } if r == region)
            })
            .filter(|s| {
                s.resources.iter().any(|r| {
                    r.kind == "AWS::SSM::Parameter" && r.properties["Name"] == parameter.as_str()
                })
            })
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(holders.len(), 1, "{region}: {holders:?}");
        // The root of the region's own CA, which signed its service's
        // certificate.
        let holder = graph.stack(holders[0]).unwrap();
        let pem = holder
            .parameters
            .iter()
            .find(|p| p.name == "RemediationCaPem")
            .unwrap();
        assert!(
            matches!(&pem.value, landfall_graph::ParameterValue::StackOutput { stack, .. }
                if *stack == landfall_graph::private_ca_stack_name(slug, region)),
            "{region}: {:?}",
            pem.value
        );
    }
}
