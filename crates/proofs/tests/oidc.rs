//! The CI/CD roles admit their own pipeline's jobs and nothing else, with
//! the tokens GitHub actually issues
//! (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use landfall_proofs::oidc::{
    prove_ci_trust, prove_role, CiVerdict, Intended, Token, TokenSpace, TrustPolicy,
};
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
    // A push role and a role per environment for every service, and the
    // platform repository's plan and deploy roles.
    let expected: usize = model
        .services
        .iter()
        .map(|s| 1 + s.environments.len())
        .sum();
    assert_eq!(reports.len(), expected + 2);
    for role in [
        landfall_graph::PLATFORM_PLAN_ROLE,
        landfall_graph::PLATFORM_DEPLOY_ROLE,
    ] {
        assert!(reports.iter().any(|r| r.role == role), "{role} not proven");
    }
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

/// The platform repository of the reference (`cicd.github`).
const PLATFORM: &str = "meridian-markets/landfall-platform";
const AUDIENCE: &str = "sts.amazonaws.com";

/// A platform role's trust policy as synthesized, in the management account.
fn platform_role(name: &str) -> TrustPolicy {
    let (_, graph) = reference();
    let role = graph
        .stacks
        .iter()
        .flat_map(|s| &s.resources)
        .find(|r| r.kind == "AWS::IAM::Role" && r.properties["RoleName"] == name)
        .unwrap_or_else(|| panic!("no role `{name}` in the reference"));
    assert_eq!(
        role.properties["Path"], "/landfall/",
        "the SCPs exempt /landfall/"
    );
    TrustPolicy::new(
        name,
        "/landfall/",
        &role.properties["AssumeRolePolicyDocument"],
        "100000000000",
    )
    .unwrap()
}

fn pull_request(repository: &str) -> Token {
    Token::new(
        repository,
        None,
        "pull_request",
        "refs/pull/7/merge",
        AUDIENCE,
    )
}

fn push(repository: &str, git_ref: &str) -> Token {
    Token::new(repository, None, "push", git_ref, AUDIENCE)
}

fn in_environment(repository: &str, environment: &str) -> Token {
    Token::new(
        repository,
        Some(environment),
        "push",
        "refs/heads/main",
        AUDIENCE,
    )
}

#[test]
fn both_platform_roles_hold_against_every_kind_of_token() {
    let (model, graph) = reference();
    let reports = prove_ci_trust(&model, &graph);
    for role in [
        landfall_graph::PLATFORM_PLAN_ROLE,
        landfall_graph::PLATFORM_DEPLOY_ROLE,
    ] {
        let report = reports.iter().find(|r| r.role == role).unwrap();
        let CiVerdict::Holds { tokens_checked } = report.verdict else {
            panic!("{report:#?}");
        };
        assert!(tokens_checked > 50, "{role}: {tokens_checked} tokens");
    }
}

#[test]
fn the_plan_role_admits_the_platform_repositorys_pull_requests_and_default_branch() {
    let plan = platform_role(landfall_graph::PLATFORM_PLAN_ROLE);
    assert!(plan.admits(&pull_request(PLATFORM)));
    assert!(plan.admits(&push(PLATFORM, "refs/heads/main")));
}

#[test]
fn the_plan_role_refuses_other_branches_tags_and_environments() {
    let plan = platform_role(landfall_graph::PLATFORM_PLAN_ROLE);
    assert!(!plan.admits(&push(PLATFORM, "refs/heads/feature/x")));
    // Production branches beyond the default one deploy services, not the
    // platform.
    assert!(!plan.admits(&push(PLATFORM, "refs/heads/release/matching-engine")));
    assert!(!plan.admits(&push(PLATFORM, "refs/tags/v1.0.0")));
    assert!(!plan.admits(&in_environment(PLATFORM, "platform")));
}

#[test]
fn the_plan_role_refuses_pull_requests_of_other_repositories() {
    let plan = platform_role(landfall_graph::PLATFORM_PLAN_ROLE);
    // Another repository of the organization (a service's).
    assert!(!plan.admits(&pull_request("meridian-markets/order-gateway")));
    // A repository whose name extends the platform's.
    assert!(!plan.admits(&pull_request("meridian-markets/landfall-platform-fork")));
    // A fork, or any repository of that name in another organization.
    assert!(!plan.admits(&pull_request("someone-else/landfall-platform")));
    let mut other_audience = pull_request(PLATFORM);
    other_audience.aud = "https://github.com/landfall-audience".to_owned();
    assert!(!plan.admits(&other_audience));
}

#[test]
fn the_deploy_role_admits_only_jobs_of_the_platform_environment() {
    let deploy = platform_role(landfall_graph::PLATFORM_DEPLOY_ROLE);
    assert!(deploy.admits(&in_environment(PLATFORM, "platform")));
    // A pull request's token: the plan role, never the deploy role.
    assert!(!deploy.admits(&pull_request(PLATFORM)));
    // A job on main that does not name the environment (no review).
    assert!(!deploy.admits(&push(PLATFORM, "refs/heads/main")));
    // Another branch, another environment of the repository.
    assert!(!deploy.admits(&push(PLATFORM, "refs/heads/feature/x")));
    assert!(!deploy.admits(&in_environment(PLATFORM, "prod")));
}

#[test]
fn the_deploy_role_refuses_the_platform_environment_of_other_repositories() {
    let deploy = platform_role(landfall_graph::PLATFORM_DEPLOY_ROLE);
    assert!(!deploy.admits(&in_environment(
        "meridian-markets/order-gateway",
        "platform"
    )));
    assert!(!deploy.admits(&in_environment(
        "meridian-markets/landfall-platform-fork",
        "platform"
    )));
    assert!(!deploy.admits(&in_environment(
        "someone-else/landfall-platform",
        "platform"
    )));
}

/// A plan role trusting every ref of the repository (`ref:*`) lets any
/// branch push plan, and the proof names the branch.
#[test]
fn a_plan_role_trusting_every_branch_is_found() {
    let intended = Intended::PullRequestsAndBranches {
        repository: PLATFORM.to_owned(),
        branches: vec!["main".to_owned()],
    };
    let trust = statement(json!({
        "StringEquals": { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        "StringLike": { "token.actions.githubusercontent.com:sub": [
            format!("repo:{PLATFORM}:pull_request"),
            format!("repo:{PLATFORM}:ref:*")
        ] }
    }));
    let CiVerdict::Admits { because, .. } = verdict(&intended, &trust) else {
        panic!("every branch is admitted silently");
    };
    assert_eq!(because, "the ref `refs/heads/release/matching-engine`");
}
