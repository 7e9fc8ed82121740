//! The consistency checks: silent on the reference platform, and each one
//! firing, located, on a fixture that breaks what it guards.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use landfall_observability::alertmanager::{self, Route};
use landfall_observability::checks::{check, check_with};
use landfall_observability::plan::Rule;
use landfall_observability::Bundle;

fn codes(findings: &[landfall_observability::checks::Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code).collect()
}

#[test]
fn the_reference_platform_is_consistent() {
    let bundle = support::reference_bundle();
    let findings = check(&bundle);
    assert!(findings.is_empty(), "{findings:#?}");
    // And it is the whole platform: every service is covered.
    let resolved = landfall_model::reference();
    assert_eq!(
        bundle.plan.services.len(),
        resolved.model.unwrap().services.len()
    );
}

/// The reference spec with one file's text changed, generated and checked,
/// as `landfall synth` and `landfall check` report it.
fn reference_with(file: &str, from: &str, to: &str) -> (Bundle, Vec<String>) {
    let dir = support::temp_dir(&format!("spec-{}", to.len()));
    landfall_spec::reference::write_reference(&dir).unwrap();
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    let resolved = landfall_model::load_dir(&dir).unwrap();
    let model = resolved.model.as_ref().expect("still a valid spec");
    let bundle = landfall_observability::generate(model).unwrap();
    let rendered: Vec<String> = check(&bundle)
        .iter()
        .map(|f| {
            let d = f.to_diagnostic(&resolved.loaded);
            let location = d
                .primary_span()
                .map(|s| resolved.loaded.sources.location(s));
            format!(
                "{}:{}:{} {} {} ({})",
                location.as_ref().map_or("?".to_owned(), |l| l.file.clone()),
                location.as_ref().map_or(0, |l| l.line),
                location.as_ref().map_or(0, |l| l.column),
                d.code,
                d.message,
                d.help.clone().unwrap_or_default()
            )
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    (bundle, rendered)
}

/// Alerts the remediation service derives from AWS events (a GuardDuty
/// finding about an instance) have no metrics rule and are known; a
/// misspelling of one is an error that names it.
#[test]
fn an_alert_from_aws_events_needs_no_rule_and_its_misspelling_is_located() {
    let (_, findings) = reference_with(
        "observability.yaml",
        "- GuardDutyHighSeverityInstanceFinding",
        "- GuardDutyHighSeverityInstanceFindng",
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0].starts_with("observability.yaml:"),
        "{findings:#?}"
    );
    assert!(
        findings[0].contains("did you mean `GuardDutyHighSeverityInstanceFinding`?"),
        "{findings:#?}"
    );
}

/// An alert only a CloudWatch alarm raises (an Aurora writer that stopped
/// reporting: no generated rule can name a cluster CloudFormation names)
/// needs no metrics rule and reaches no Alertmanager route; a misspelling
/// of it is an error that names it.
#[test]
fn an_alert_from_a_cloudwatch_alarm_needs_no_rule_and_its_misspelling_is_located() {
    let (_, findings) = reference_with(
        "observability.yaml",
        "- AuroraWriterUnavailable",
        "- AuroraWriterUnavailible",
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0].starts_with("observability.yaml:"),
        "{findings:#?}"
    );
    assert!(
        findings[0].contains("did you mean `AuroraWriterUnavailable`?"),
        "{findings:#?}"
    );
}

#[test]
fn a_remediation_alert_without_a_rule_is_a_located_spec_error() {
    let (_, findings) = reference_with(
        "observability.yaml",
        "- MskBrokerStorageHigh",
        "- MskBrokerStorageHi",
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert!(f.starts_with("observability.yaml:"), "{f}");
    assert!(f.contains("observability::unknown-alert"), "{f}");
    assert!(f.contains("did you mean `MskBrokerStorageHigh`?"), "{f}");
    let line: usize = f.split(':').nth(1).unwrap().parse().unwrap();
    let text = include_str!("../../../reference/observability.yaml");
    assert!(
        text.lines()
            .nth(line - 1)
            .unwrap()
            .contains("MskBrokerStorageHigh"),
        "{f}"
    );
}

#[test]
fn an_alert_no_route_claims_is_reported() {
    let bundle = support::reference_bundle();
    let mut config = alertmanager::config(&bundle.plan);
    // Drop the trading domain's route: its alerts fall to the catch-all.
    config
        .route
        .routes
        .retain(|r: &Route| !r.matchers.iter().any(|m| m.value == "trading"));
    let findings = check_with(&bundle, &config);
    assert!(
        codes(&findings).contains(&"observability::alert-unrouted"),
        "{findings:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.message.contains("ServiceErrorBudgetFastBurn")),
        "{findings:#?}"
    );
}

#[test]
fn a_remediation_alert_the_webhook_never_sees_is_reported() {
    let bundle = support::reference_bundle();
    let mut config = alertmanager::config(&bundle.plan);
    config
        .route
        .routes
        .retain(|r| r.receiver != alertmanager::REMEDIATION);
    let findings = check_with(&bundle, &config);
    let unreachable: Vec<_> = findings
        .iter()
        .filter(|f| f.code == "observability::remediation-unreachable")
        .collect();
    let automatic = bundle.plan.remediation.as_ref().unwrap().alerts.len();
    assert_eq!(unreachable.len(), automatic, "{findings:#?}");
}

#[test]
fn a_query_of_a_metric_nothing_produces_is_reported() {
    let mut bundle = support::reference_bundle();
    for group in &mut bundle.plan.groups {
        for rule in &mut group.rules {
            if let Rule::Alert(a) = rule {
                if a.name == "MetalHostDiskAlmostFull" {
                    // Telegraf writes `disk_used_percent`; a rule for
                    // `disk_usage_percent` would never fire.
                    a.expr = a.expr.replace("disk_used_percent", "disk_usage_percent");
                }
            }
        }
    }
    let findings = check(&bundle);
    assert_eq!(
        codes(&findings),
        ["observability::metric-not-produced"],
        "{findings:#?}"
    );
    assert!(
        findings[0]
            .help
            .contains("did you mean `disk_used_percent`?"),
        "{findings:#?}"
    );
}

#[test]
fn a_panel_on_a_data_source_that_is_not_provisioned_is_reported() {
    let mut bundle = support::reference_bundle();
    // Dashboards read the home region's VictoriaMetrics; a home region
    // without one leaves every metrics panel without a data source.
    bundle.plan.home_region = "us-east-1".to_owned();
    let findings = check(&bundle);
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f.code == "observability::unknown-datasource"),
        "{findings:#?}"
    );
}

#[test]
fn a_cloudwatch_panel_on_a_namespace_nobody_reads_is_reported() {
    let mut bundle = support::reference_bundle();
    // Without the platform's stores, their namespaces are neither listed
    // nor needed by a rule; the store dashboards still read them.
    let stores = std::mem::take(&mut bundle.plan.stores);
    bundle.plan.cloudwatch_namespaces.retain(|n| n != "AWS/RDS");
    let findings = landfall_observability::checks::check_dashboards_of(&bundle, &stores);
    assert!(
        findings
            .iter()
            .any(|f| f.code == "observability::namespace-not-listed"
                && f.message.contains("AWS/RDS")),
        "{findings:#?}"
    );
}

#[test]
fn a_service_without_an_agent_is_reported() {
    let mut bundle = support::reference_bundle();
    let service = bundle.plan.services[0].clone();
    let agent = format!("telegraf/services/{}/{}.conf", service.domain, service.name);
    bundle.files.retain(|f| f.path != agent);
    let findings = check(&bundle);
    assert_eq!(
        codes(&findings),
        ["observability::service-unmonitored"],
        "{findings:#?}"
    );
    assert!(
        findings[0].message.contains("a metrics agent"),
        "{findings:#?}"
    );
    assert_eq!(findings[0].at, service.origin);
}

#[test]
fn every_probed_endpoint_is_assigned_to_the_proxy_of_its_vpc() {
    let bundle = support::reference_bundle();
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&bundle.file("zabbix/landfall.json").unwrap().contents).unwrap();
    let hosts = doc["zabbix_export"]["hosts"].as_array().unwrap();
    let probes = landfall_observability::zabbix::probes(&bundle.plan);
    assert_eq!(hosts.len(), probes.len());
    assert!(!probes.is_empty());
    for (host, probe) in hosts.iter().zip(&probes) {
        // The VPC of the probe's environment and region, and its proxy,
        // named as the monitoring hosts name it (`ZBX_HOSTNAME`).
        let vpc = model
            .network
            .vpcs
            .iter()
            .find(|v| {
                model.environment(v.environment).name == probe.environment
                    && model.region(v.region).name == probe.region
            })
            .expect("a VPC per environment and region");
        assert_eq!(host["host"], probe.host.as_str());
        assert_eq!(
            host["proxy"]["name"],
            landfall_model::monitoring::zabbix_proxy_name(&vpc.name).as_str(),
            "{}",
            probe.host
        );
    }
}

#[test]
fn a_probed_endpoint_in_a_vpc_without_a_proxy_is_a_located_error() {
    let mut bundle = support::reference_bundle();
    bundle
        .plan
        .zabbix_proxies
        .retain(|p| !(p.environment == "prod" && p.region == "eu-west-1"));
    let findings = check(&bundle);
    assert!(!findings.is_empty());
    let probed: Vec<_> = landfall_observability::zabbix::probes(&bundle.plan)
        .into_iter()
        .filter(|p| p.environment == "prod" && p.region == "eu-west-1")
        .collect();
    assert_eq!(findings.len(), probed.len(), "{findings:#?}");
    for (f, probe) in findings.iter().zip(&probed) {
        assert_eq!(f.code, "observability::probe-without-proxy");
        assert!(f.message.contains("prod (eu-west-1)"), "{}", f.message);
        assert!(f.message.contains(&format!("`{}`", probe.service.name)));
        assert_eq!(f.at, probe.service.origin);
    }
    // Without a Zabbix server there is nothing to assign.
    bundle.plan.zabbix_proxies.clear();
    assert!(check(&bundle).is_empty());
}
