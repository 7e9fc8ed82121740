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

/// AWS Health retiring an instance (the documented events: a scheduled
/// retirement naming the instance by ARN, a degraded instance store by id)
/// becomes `MetalHostRetiring` per instance, answered by replacing it
/// through its group without approval (ECS drains it first), a few hosts at
/// a time; the event's region must be the model's, and whether the
/// instance is a metal host of the model is read from its tags when acting
/// (https://docs.aws.amazon.com/health/latest/ug/cloudwatch-events-health.html).
#[test]
fn an_instance_aws_retires_is_replaced_through_its_group() {
    let model = landfall_model::reference().model.unwrap();
    let (book, unknown) = Rulebook::from_model(&model);
    assert!(unknown.is_empty(), "{unknown:?}");
    let rule = book.rule("MetalHostRetiring").unwrap();
    assert_eq!(rule.action, ActionKind::Ec2Replace);
    assert_eq!(rule.action.as_str(), "ec2-replace");
    assert_eq!(rule.target, TargetKind::Instance);
    assert!(!rule.needs_approval && rule.dry_run);
    assert_eq!(rule.budget_per_10m, 4);

    let fixture = |name: &str| -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/events")
            .join(name);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let mut retirement = fixture("aws-health-ec2-instance-retirement-scheduled.json");
    let signals = landfall_heal::Signal::from_event_all(retirement.to_string().as_bytes()).unwrap();
    assert_eq!(signals.len(), 1);
    let signal = &signals[0];
    assert_eq!(signal.alertname, "MetalHostRetiring");
    assert_eq!(signal.labels["instance_id"], "i-1234567890abcdef0");
    assert_eq!(signal.labels["account"], "123456789012");
    // The example is in us-east-1, where the reference platform is not.
    let err = book.target(rule, &signal.labels).unwrap_err();
    assert_eq!(err, "no region `us-east-1` in the model");

    retirement["region"] = "eu-central-1".into();
    retirement["detail"]["eventRegion"] = "eu-central-1".into();
    retirement["detail"]["affectedEntities"] = serde_json::json!([
        { "entityValue": "arn:aws:ec2:eu-central-1:123456789012:instance/i-0aaaaaaaaaaaaaaa1" },
        { "entityValue": "i-0bbbbbbbbbbbbbbb2" }
    ]);
    let both = landfall_heal::Signal::from_event_all(retirement.to_string().as_bytes()).unwrap();
    let targets: Vec<String> = both
        .iter()
        .map(|s| book.target(rule, &s.labels).unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "instance/123456789012/eu-central-1/i-0aaaaaaaaaaaaaaa1",
            "instance/123456789012/eu-central-1/i-0bbbbbbbbbbbbbbb2"
        ]
    );
    assert_ne!(both[0].id, both[1].id, "one episode per instance");

    // The retirement done (or cancelled), the episode ends.
    retirement["detail"]["statusCode"] = "closed".into();
    let closed = landfall_heal::Signal::from_event_all(retirement.to_string().as_bytes()).unwrap();
    assert_eq!(closed.len(), 2);
    assert!(closed
        .iter()
        .all(|s| s.status == landfall_heal::signal::Status::Resolved));
    // An entity AWS marks resolved needs nothing more.
    retirement["detail"]["statusCode"] = "open".into();
    retirement["detail"]["affectedEntities"][1]["status"] = "RESOLVED".into();
    let one = landfall_heal::Signal::from_event_all(retirement.to_string().as_bytes()).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].labels["instance_id"], "i-0aaaaaaaaaaaaaaa1");
    assert!(one[0].labels["health_event"].starts_with("arn:aws:health:"));
    // AWS announces a retirement days ahead: the notice stays actionable.
    assert_eq!(rule.max_age_seconds, 7 * 86_400);

    let degraded = fixture("aws-health-ec2-instance-store-degraded.json");
    let signals = landfall_heal::Signal::from_event_all(degraded.to_string().as_bytes()).unwrap();
    assert_eq!(signals.len(), 1);
    assert_eq!(signals[0].labels["instance_id"], "i-abcd1111");

    // Another EC2 Health event stays what it was: journaled, not acted on.
    let mut other = fixture("aws-health-ec2-instance-retirement-scheduled.json");
    other["detail"]["eventTypeCode"] = "AWS_EC2_OPERATIONAL_ISSUE".into();
    let signals = landfall_heal::Signal::from_event_all(other.to_string().as_bytes()).unwrap();
    assert_eq!(signals.len(), 1);
    assert_eq!(signals[0].alertname, "AwsHealth:AWS_EC2_OPERATIONAL_ISSUE");
}
