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
