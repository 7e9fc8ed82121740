//! The CI/CD roles admit their own pipeline's jobs and nothing else, with
//! the tokens GitHub actually issues
//! (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_proofs::oidc::{prove_ci_trust, prove_role, CiVerdict, Intended, TokenSpace};
use serde_json::{json, Value};

fn reference() -> (landfall_model::Model, landfall_graph::Graph) {
    let mut resolved = landfall_model::reference();
    let lockfile = landfall_synth::platform::lockfile_text(None).unwrap();
    let compiled = landfall_synth::platform::compile(
        &mut resolved,
        lockfile,
        landfall_netplan::PlanOptions::default(),
    )
    .expect("the reference platform compiles");
    (resolved.model.unwrap(), compiled.graph)
}

#[test]
fn every_ci_role_of_the_reference_admits_exactly_its_own_jobs() {
    let (model, graph) = reference();
    let reports = prove_ci_trust(&model, &graph);
    // A push role and a role per environment for every service.
    let expected: usize = model
        .services
        .iter()
        .map(|s| 1 + s.environments.len())
        .sum();
    assert_eq!(reports.len(), expected);
    let failing: Vec<_> = reports.iter().filter(|r| !r.holds()).collect();
    assert!(failing.is_empty(), "{failing:#?}");
}

const REPOSITORY: &str = "meridian-markets/order-gateway";

fn statement(condition: Value) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Federated": { "Ref": "GitHubOidcProvider" } },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition
        }]
    })
}

fn verdict(intended: &Intended, trust: &Value) -> CiVerdict {
    let (model, _) = reference();
    let space = TokenSpace::of(&model);
    let tokens = space.tokens_for(intended, trust);
    prove_role("test-role", trust, "100000000001", intended, &tokens)
}

fn production() -> Intended {
    Intended::Environment {
        repository: REPOSITORY.to_owned(),
        environment: "prod".to_owned(),
    }
}

#[test]
fn a_wildcard_after_the_repository_admits_every_branch_and_pull_request() {
    let trust = statement(json!({
        "StringEquals": { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        "StringLike": { "token.actions.githubusercontent.com:sub": format!("repo:{REPOSITORY}:*") }
    }));
    let CiVerdict::Admits { token, because, .. } = verdict(&production(), &trust) else {
        panic!("a weakened trust policy holds");
    };
    assert_eq!(because, "a job without an environment");
    assert_eq!(token.sub, format!("repo:{REPOSITORY}:ref:refs/heads/main"));
}

#[test]
fn a_wildcard_in_the_repository_name_admits_another_repository() {
    let trust = statement(json!({
        "StringEquals": { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        "StringLike": { "token.actions.githubusercontent.com:sub": "repo:meridian-markets/order-gateway*:environment:prod" }
    }));
    let CiVerdict::Admits { token, because, .. } = verdict(&production(), &trust) else {
        panic!("a weakened trust policy holds");
    };
    assert_eq!(
        because,
        "the repository `meridian-markets/order-gateway-fork`"
    );
    assert_eq!(token.repository, "meridian-markets/order-gateway-fork");
}

#[test]
fn another_environment_of_the_same_repository_is_refused() {
    let trust = statement(json!({
        "StringEquals": { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        "StringLike": { "token.actions.githubusercontent.com:sub": format!("repo:{REPOSITORY}:environment:*") }
    }));
    let CiVerdict::Admits { because, .. } = verdict(&production(), &trust) else {
        panic!("a weakened trust policy holds");
    };
    assert_eq!(because, "the environment `dev`");
}

#[test]
fn without_the_audience_condition_a_token_for_another_audience_gets_in() {
    let trust = statement(json!({
        "StringEquals": { "token.actions.githubusercontent.com:sub": format!("repo:{REPOSITORY}:environment:prod") }
    }));
    let CiVerdict::Admits { because, .. } = verdict(&production(), &trust) else {
        panic!("a weakened trust policy holds");
    };
    assert_eq!(
        because,
        "the audience `https://github.com/landfall-audience`"
    );
}

/// The trust the deploy role had before environments: the branch in `sub`.
/// A job that names an environment carries the environment instead, so its
/// own deploy job was refused.
#[test]
fn a_branch_trust_refuses_the_jobs_of_an_environment() {
    let trust = statement(json!({
        "StringEquals": { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        "StringLike": { "token.actions.githubusercontent.com:sub": [format!("repo:{REPOSITORY}:ref:refs/heads/main")] }
    }));
    let CiVerdict::RefusesItsOwn { token } = verdict(&production(), &trust) else {
        panic!("the environment's job is admitted");
    };
    assert_eq!(token.sub, format!("repo:{REPOSITORY}:environment:prod"));
}

#[test]
fn a_grant_to_another_named_repository_is_found() {
    let trust = statement(json!({
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": [
                format!("repo:{REPOSITORY}:environment:prod"),
                "repo:meridian-markets/web-app:environment:prod"
            ]
        }
    }));
    let CiVerdict::Admits { because, .. } = verdict(&production(), &trust) else {
        panic!("a grant to another repository holds");
    };
    assert_eq!(because, "the repository `meridian-markets/web-app`");
}

#[test]
fn the_push_role_admits_production_branches_only_and_no_pull_request() {
    let intended = Intended::Branches {
        repository: REPOSITORY.to_owned(),
        branches: vec!["main".to_owned(), "release/matching-engine".to_owned()],
    };
    let exact = statement(json!({
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": [
                format!("repo:{REPOSITORY}:ref:refs/heads/main"),
                format!("repo:{REPOSITORY}:ref:refs/heads/release/matching-engine")
            ]
        }
    }));
    assert!(matches!(
        verdict(&intended, &exact),
        CiVerdict::Holds { .. }
    ));
    let any_branch = statement(json!({
        "StringEquals": { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        "StringLike": { "token.actions.githubusercontent.com:sub": format!("repo:{REPOSITORY}:ref:*") }
    }));
    let CiVerdict::Admits { because, .. } = verdict(&intended, &any_branch) else {
        panic!("any branch is admitted silently");
    };
    assert_eq!(because, "the ref `refs/heads/feature/x`");
}
