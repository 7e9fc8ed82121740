//! The rules the spec's automatic alerts become, and the targets their
//! labels must name.

#![allow(clippy::unwrap_used, reason = "test")]

use std::collections::BTreeMap;

use landfall_heal::rulebook::{ActionKind, TargetKind};
use landfall_heal::Rulebook;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A spec that lets machines answer a fast latency burn gets a scale-out
/// of the service: not disruptive, in dry run like every new rule.
#[test]
fn a_latency_burn_scales_the_service_out() {
    let mut model = landfall_model::reference().model.unwrap();
    model
        .observability
        .as_mut()
        .unwrap()
        .remediation
        .as_mut()
        .unwrap()
        .automatic
        .push("ServiceLatencyBudgetFastBurn".to_owned());
    let (book, unknown) = Rulebook::from_model(&model);
    assert!(unknown.is_empty(), "{unknown:?}");
    let rule = book.rule("ServiceLatencyBudgetFastBurn").unwrap();
    assert_eq!(rule.action, ActionKind::EcsScaleOut);
    assert_eq!(rule.action.as_str(), "ecs-scale-out");
    assert_eq!(rule.target, TargetKind::Service);
    assert!(!rule.needs_approval && rule.dry_run);
    assert!(rule.reason.contains("declared maximum"), "{}", rule.reason);
    let alert = labels(&[
        ("service", "order-gateway"),
        ("environment", "prod"),
        ("region", "eu-central-1"),
    ]);
    assert_eq!(
        book.target(rule, &alert).unwrap(),
        "service/order-gateway/prod/eu-central-1"
    );
}

/// An MSK alarm names its store and environment (one cluster per
/// environment, each in its own account).
#[test]
fn an_msk_alert_names_its_store_in_an_environment() {
    let model = landfall_model::reference().model.unwrap();
    let (book, _) = Rulebook::from_model(&model);
    let rule = book.rule("MskBrokerStorageHigh").unwrap();
    assert_eq!(rule.action, ActionKind::MskExpandStorage);
    assert_eq!(rule.target.labels(), ["store", "environment", "region"]);
    let alarm = |env: &str| {
        labels(&[
            ("store", "market-data-bus"),
            ("environment", env),
            ("region", "eu-central-1"),
        ])
    };
    assert_eq!(
        book.target(rule, &alarm("prod")).unwrap(),
        "store/market-data-bus/prod/eu-central-1"
    );
    let err = book.target(rule, &alarm("nowhere")).unwrap_err();
    assert!(
        err.contains("no data store `market-data-bus` in environment `nowhere`"),
        "{err}"
    );
}

/// A high-severity GuardDuty finding about a metal host of the platform
/// (its instance tagged with a domain and environment by the workload
/// layer) quarantines that host, after a human approves; one about an
/// instance the model does not place is refused
/// (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html).
#[test]
fn a_guardduty_finding_about_a_platform_host_quarantines_it_after_approval() {
    let model = landfall_model::reference().model.unwrap();
    let (book, unknown) = Rulebook::from_model(&model);
    assert!(unknown.is_empty(), "{unknown:?}");
    let rule = book.rule("GuardDutyHighSeverityInstanceFinding").unwrap();
    assert_eq!(rule.action, ActionKind::Ec2Quarantine);
    assert_eq!(rule.action.as_str(), "ec2-quarantine");
    assert_eq!(rule.target, TargetKind::Host);
    assert!(rule.needs_approval && rule.dry_run);

    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/events/guardduty-finding.json");
    let mut event: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
    // The documented example's instance carries no platform tags.
    let stranger = landfall_heal::Signal::from_event(event.to_string().as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(stranger.alertname, "GuardDutyHighSeverityInstanceFinding");
    let err = book.target(rule, &stranger.labels).unwrap_err();
    assert!(err.contains("of a domain ``"), "{err}");

    let instance = &mut event["detail"]["resource"]["instanceDetails"];
    instance["tags"] = serde_json::json!([
        { "key": "landfall:domain", "value": "trading" },
        { "key": "landfall:environment", "value": "prod" }
    ]);
    instance["networkInterfaces"][0]["privateDnsName"] =
        "ip-10-20-1-15.eu-west-1.compute.internal".into();
    let ours = landfall_heal::Signal::from_event(event.to_string().as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(
        book.target(rule, &ours.labels).unwrap(),
        "host/trading/prod/ip-10-20-1-15.eu-west-1.compute.internal"
    );
    // An environment the model does not have is refused too.
    let mut elsewhere = ours.labels.clone();
    elsewhere.insert("environment".to_owned(), "qa".to_owned());
    let err = book.target(rule, &elsewhere).unwrap_err();
    assert!(
        err.contains("names no environment of the model (`qa`)"),
        "{err}"
    );
}

/// An Aurora writer that stops reporting (the store stack's alarm
/// `landfall/AuroraWriterUnavailable/store=…/environment=…`, from the
/// platform's queue) fails the store's cluster over, after a human
/// approves: a failover drops every connection to the writer
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverDBCluster.html).
/// Replica lag is no reason to fail over (a lagging reader is the worst
/// target), so no rule answers it.
#[test]
fn an_aurora_writer_that_stops_reporting_fails_its_cluster_over_after_approval() {
    let model = landfall_model::reference().model.unwrap();
    let (book, unknown) = Rulebook::from_model(&model);
    assert!(unknown.is_empty(), "{unknown:?}");
    let rule = book.rule("AuroraWriterUnavailable").unwrap();
    assert_eq!(rule.action, ActionKind::AuroraFailover);
    assert_eq!(rule.action.as_str(), "aurora-failover");
    assert_eq!(rule.target, TargetKind::Store);
    assert!(rule.needs_approval && rule.dry_run);
    assert!(book.rule("AuroraReplicaLagHigh").is_none());

    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/events/cloudwatch-alarm-state-change.json");
    let mut event: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
    event["region"] = "eu-central-1".into();
    event["detail"]["alarmName"] =
        "landfall/AuroraWriterUnavailable/store=settlements/environment=prod".into();
    event["detail"]["state"]["value"] = "ALARM".into();
    let signal = landfall_heal::Signal::from_event(event.to_string().as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(signal.alertname, "AuroraWriterUnavailable");
    assert_eq!(
        book.target(rule, &signal.labels).unwrap(),
        "store/settlements/prod/eu-central-1"
    );
}
