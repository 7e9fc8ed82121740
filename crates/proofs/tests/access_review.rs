//! The access review on the reference platform: concrete facts about who
//! can read and write its data stores, keys and log buckets.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use landfall_iam::authorize::Layer;
use landfall_proofs::access_review::{access_review, AccessReview, Level};
use landfall_proofs::OrgPolicies;

struct Platform {
    model: landfall_model::Model,
    graph: landfall_graph::Graph,
    org: OrgPolicies,
}

fn reference() -> &'static Platform {
    static PLATFORM: OnceLock<Platform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        let mut resolved = landfall_model::reference();
        let lockfile = landfall_synth::platform::lockfile_text(None).unwrap();
        let compiled = landfall_synth::platform::compile(
            &mut resolved,
            lockfile,
            landfall_netplan::PlanOptions::default(),
        )
        .expect("the reference platform compiles");
        let model = resolved.model.unwrap();
        let mut graph = compiled.graph;
        let stacks =
            landfall_workloads::build(&model, &compiled.plan, &graph, &Default::default()).unwrap();
        graph.stacks.extend(stacks);
        let org = OrgPolicies::of(&model, &compiled.scps).unwrap();
        Platform { model, graph, org }
    })
}

fn review(account: Option<&str>) -> AccessReview {
    let p = reference();
    let account = account.map(|name| landfall_proofs::find_account(&p.model, name).unwrap().id);
    access_review(&p.model, &p.org, &p.graph, account)
}

/// The review of one account, computed once for all tests.
fn review_of(account: &'static str) -> &'static AccessReview {
    static REVIEWS: OnceLock<Mutex<HashMap<&'static str, &'static AccessReview>>> = OnceLock::new();
    let reviews = REVIEWS.get_or_init(Default::default);
    if let Some(review) = reviews.lock().unwrap().get(account) {
        return review;
    }
    let computed: &'static AccessReview = Box::leak(Box::new(review(Some(account))));
    let mut reviews = reviews.lock().unwrap();
    let kept: &'static AccessReview = reviews.entry(account).or_insert(computed);
    kept
}

/// The levels `principal` (by name) in `account` has on the resource `name`.
fn levels(review: &AccessReview, principal: &str, account: &str, resource: &str) -> Vec<Level> {
    let mut out: Vec<Level> = review
        .principals
        .iter()
        .filter(|p| p.name == principal && p.account == account)
        .flat_map(|p| &p.reasons)
        .flat_map(|r| &r.access)
        .filter(|a| a.resource.name == resource)
        .map(|a| a.level)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every level `principal` in `account` has, on any resource.
fn all_levels(review: &AccessReview, principal: &str, account: &str) -> Vec<Level> {
    let mut out: Vec<Level> = review
        .principals
        .iter()
        .filter(|p| p.name == principal && p.account == account)
        .flat_map(|p| &p.reasons)
        .flat_map(|r| &r.access)
        .map(|a| a.level)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn a_task_role_reads_its_own_store_and_no_other_services_or_domains() {
    let review = review_of("web-dev");
    // notification-dispatcher declares the `notification-inbox` table.
    assert_eq!(
        levels(
            review,
            "task-notification-dispatcher",
            "web-dev",
            "notification-inbox"
        ),
        [Level::ReadData, Level::WriteData, Level::ReadConfiguration]
    );
    // The web domain's other table belongs to another service.
    assert_eq!(
        levels(
            review,
            "task-notification-dispatcher",
            "web-dev",
            "price-alerts"
        ),
        []
    );
    // Another domain's table (accounts-dev) is out of reach; its bus only
    // through the topics the cluster policy opens and the role consumes.
    let accounts = review_of("accounts-dev");
    assert_eq!(
        levels(
            accounts,
            "task-notification-dispatcher",
            "web-dev",
            "api-keys"
        ),
        []
    );
    assert_eq!(
        levels(
            accounts,
            "task-notification-dispatcher",
            "web-dev",
            "customer-bus"
        ),
        [Level::Connect, Level::ReadData]
    );
    // The grant names the statement that allows it and the boundary it
    // passes through.
    let dispatcher = review
        .principals
        .iter()
        .find(|p| p.name == "task-notification-dispatcher")
        .unwrap();
    let inbox = dispatcher
        .reasons
        .iter()
        .find(|r| {
            r.access
                .iter()
                .any(|a| a.resource.name == "notification-inbox")
        })
        .unwrap();
    assert_eq!(
        inbox.allowed_by[0].sid.as_deref(),
        Some("StoreNotificationInbox")
    );
    assert_eq!(inbox.limited_by[0].policy, "landfall-workload-boundary");
    assert!(inbox.scp_levels > 0);
}

#[test]
fn production_viewer_sees_configuration_but_reads_no_data_in_production() {
    let review = review_of("web-prod");
    let levels = all_levels(review, "ProductionViewer", "web-prod");
    // ViewOnlyAccess describes tables, clusters and caches...
    assert!(levels.contains(&Level::ReadConfiguration), "{levels:?}");
    // ...and nothing else: no items, objects, keys or connections.
    assert_eq!(levels, [Level::ReadConfiguration]);
    // ReadOnly, in staging, does read table items: the difference is the
    // permission set, not the review.
    let staging = review_of("web-staging");
    assert!(all_levels(staging, "ReadOnly", "web-staging").contains(&Level::ReadData));
}

#[test]
fn the_audit_role_reads_configuration_and_writes_nothing() {
    let review = review_of("log-archive");
    let audit = review
        .principals
        .iter()
        .find(|p| p.name == "landfall-audit" && p.account == "log-archive")
        .unwrap();
    // Its own policies (SecurityAudit, ViewOnlyAccess) read configuration
    // only: no data, no writes, no administration.
    let own: Vec<Level> = audit
        .reasons
        .iter()
        .filter(|r| r.allowed_by.iter().all(|s| s.layer == Layer::Identity))
        .flat_map(|r| &r.access)
        .map(|a| a.level)
        .collect();
    assert!(!own.is_empty());
    assert!(
        own.iter().all(|l| *l == Level::ReadConfiguration),
        "{own:?}"
    );
    // What else it can do comes from the log buckets' policies, which let
    // every principal of the organization put objects under its own
    // account's prefix: it writes logs like any other role, and reads none.
    for reason in audit
        .reasons
        .iter()
        .filter(|r| r.access.iter().any(|a| a.level != Level::ReadConfiguration))
    {
        assert!(
            reason
                .allowed_by
                .iter()
                .all(|s| s.layer == Layer::Resource
                    && s.sid.as_deref() == Some("OrganizationWrites")),
            "{reason:#?}"
        );
        assert!(reason.access.iter().all(|a| a.actions == ["s3:PutObject"]));
    }
    assert!(!all_levels(review, "landfall-audit", "log-archive").contains(&Level::ReadData));
    // On the log archive's buckets: their policies, not their objects.
    let trail = audit;
    let bucket_actions: Vec<&str> = trail
        .reasons
        .iter()
        .flat_map(|r| &r.access)
        .filter(|a| {
            a.resource.kind == "s3-bucket" && a.resource.name.starts_with("meridian-trail-")
        })
        .flat_map(|a| a.actions.iter().map(String::as_str))
        .collect();
    assert!(
        bucket_actions.contains(&"s3:GetBucketPolicy"),
        "{bucket_actions:?}"
    );
    assert!(!bucket_actions.contains(&"s3:GetObject"));
    // The break-glass role, by contrast, administers them.
    assert!(all_levels(review, "landfall-break-glass", "log-archive").contains(&Level::Administer));
}

#[test]
fn the_review_is_deterministic_and_limited_to_the_account() {
    let first = serde_json::to_string(&review(Some("web-dev"))).unwrap();
    let second = serde_json::to_string(review_of("web-dev")).unwrap();
    assert_eq!(first, second);
    let review = review_of("web-dev");
    for principal in &review.principals {
        for access in principal.reasons.iter().flat_map(|r| &r.access) {
            assert!(
                principal.account == "web-dev" || access.resource.account == "web-dev",
                "{} on {:?}",
                principal.principal,
                access.resource
            );
        }
    }
}
