//! What the reference platform's pipelines hold, read back from the YAML.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::collections::BTreeSet;

use landfall_pipelines::RepositoryFile;

fn reference() -> (landfall_model::Model, Vec<RepositoryFile>) {
    let resolved = landfall_model::reference();
    let model = resolved.model.expect("the reference platform is valid");
    let files = landfall_pipelines::generate(&model);
    (model, files)
}

#[test]
fn every_service_gets_a_workflow_and_no_two_files_share_a_path() {
    let (model, files) = reference();
    let paths: BTreeSet<(String, String)> = files
        .iter()
        .map(|f| (f.repository.clone(), f.path.clone()))
        .collect();
    assert_eq!(paths.len(), files.len(), "two files with one path");
    for service in &model.services {
        let repository = service.repository.rsplit('/').next().unwrap();
        let path = format!(".github/workflows/deploy-{}.yml", service.name);
        assert!(
            paths.contains(&(repository.to_owned(), path.clone())),
            "{} has no {path} in {repository}",
            service.name
        );
    }
    // The matching engine's four services share one repository; each
    // builds its own Dockerfile there.
    let engine: Vec<&RepositoryFile> = files
        .iter()
        .filter(|f| f.repository == "matching-engine" && f.path.ends_with(".yml"))
        .collect();
    assert_eq!(engine.len(), 4);
    for file in engine {
        let service = file
            .path
            .trim_start_matches(".github/workflows/deploy-")
            .trim_end_matches(".yml");
        assert!(
            file.contents
                .contains(&format!("DOCKERFILE: {service}/Dockerfile\n")),
            "{}",
            file.path
        );
    }
}

#[test]
fn production_is_reached_only_through_the_other_environments_from_production_branches() {
    let (_, files) = reference();
    let workflow = files
        .iter()
        .find(|f| f.path == ".github/workflows/deploy-order-gateway.yml")
        .unwrap();
    let text = &workflow.contents;
    // Jobs in order, each needing the one before.
    let order: Vec<usize> = [
        "\n  image:",
        "\n  deploy-dev:",
        "\n  deploy-staging:",
        "\n  deploy-prod:",
    ]
    .iter()
    .map(|job| text.find(job).unwrap_or_else(|| panic!("{job} missing")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(text.contains("needs: deploy-staging\n    if: \"github.ref == 'refs/heads/main' || github.ref == 'refs/heads/release/matching-engine'\""));
    // Each environment assumes its own role, and only jobs that assume a
    // role may ask for a token.
    for env in ["dev", "staging", "prod"] {
        assert!(
            text.contains(&format!(
                "role/landfall/deploy/deploy-order-gateway@{env}\""
            )),
            "{env}"
        );
        assert!(text.contains(&format!("    environment: {env}\n")), "{env}");
    }
    assert_eq!(text.matches("id-token: write").count(), 4);
    assert!(text.contains("permissions: {}\n"));
}

#[test]
fn production_needs_the_owning_team_and_a_production_branch_on_github() {
    let (_, files) = reference();
    let settings = files
        .iter()
        .find(|f| f.repository == "order-gateway" && f.path == "github-environments.tf.json")
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&settings.contents).unwrap();
    let prod = &json["resource"]["github_repository_environment"]["prod"];
    assert_eq!(prod["prevent_self_review"], true);
    assert_eq!(
        prod["deployment_branch_policy"]["custom_branch_policies"],
        true
    );
    assert!(prod["reviewers"][0]["teams"][0]
        .as_str()
        .unwrap()
        .starts_with("${data.github_team."));
    let branches: BTreeSet<&str> = json["resource"]
        ["github_repository_environment_deployment_policy"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["branch_pattern"].as_str().unwrap())
        .collect();
    assert_eq!(
        branches,
        BTreeSet::from(["main", "release/matching-engine"])
    );
    // Dev and staging have no reviewers.
    assert!(json["resource"]["github_repository_environment"]["dev"]
        .get("reviewers")
        .is_none());
}

fn platform_workflow() -> String {
    let (_, files) = reference();
    files
        .into_iter()
        .find(|f| f.repository == "landfall-platform" && f.path == ".github/workflows/landfall.yml")
        .expect("the platform repository gets its pipeline")
        .contents
}

/// The text of one job of a workflow: from its key to the next job's.
fn job<'t>(workflow: &'t str, name: &str) -> &'t str {
    let start = workflow
        .find(&format!("\n  {name}:\n"))
        .unwrap_or_else(|| panic!("no job `{name}`"))
        + 1;
    let rest = &workflow[start..];
    // The next line indented by exactly two spaces starts the next job.
    let end = rest
        .match_indices("\n  ")
        .map(|(i, _)| i)
        .find(|&i| !rest[i + 3..].starts_with(' '))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The platform pipeline installs Landfall with `cargo install --git`
/// from Landfall's own repository; an empty URL (the crate once did not
/// inherit the workspace's `repository`) makes every job's install fail.
#[test]
fn the_platform_pipeline_installs_landfall_from_its_repository() {
    let text = platform_workflow();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("LANDFALL_REPOSITORY:"))
        .expect("the install step names the repository");
    let url = line
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    assert!(url.starts_with("https://github.com/"), "{line}");
    assert!(url.len() > "https://github.com/".len() + 2, "{line}");
}

#[test]
fn the_platform_repository_validates_checks_and_proves_every_pull_request_offline() {
    let text = platform_workflow();
    for command in [
        "landfall validate --spec .",
        "landfall check --spec . --format sarif > landfall.sarif",
        "landfall iam prove --spec .",
        "landfall synth --spec . --out \"$out\"",
        "gh pr comment",
    ] {
        assert!(text.contains(command), "{command}");
    }
    assert!(text.contains("github/codeql-action/upload-sarif@"));
    // No AWS credentials where the checks and the synthesis diff run.
    for name in ["checks", "synthesis-diff"] {
        let job = job(&text, name);
        assert!(!job.contains("id-token"), "{name}");
        assert!(!job.contains("configure-aws-credentials"), "{name}");
    }
}

#[test]
fn a_pull_request_is_planned_read_only_as_the_plan_role_into_one_comment() {
    let text = platform_workflow();
    let plan = job(&text, "plan");
    assert!(plan.contains("if: \"github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository\""));
    assert!(plan.contains("id-token: write"));
    assert!(plan.contains("pull-requests: write"));
    assert!(plan.contains(
        "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c"
    ));
    assert!(plan.contains(
        "role-to-assume: \"arn:aws:iam::${{ vars.LANDFALL_MANAGEMENT_ACCOUNT_ID }}:role/landfall/landfall-platform-plan\""
    ));
    assert!(plan.contains(
        "landfall plan --spec . --workloads --read-only --quiet --format json > plan.json"
    ));
    // One comment, found again by its first line and replaced.
    assert!(plan.contains("MARKER: \"<!-- landfall plan -->\""));
    assert!(plan.contains("startswith(\"<!-- landfall plan -->\")"));
    assert!(plan.contains("gh api --method PATCH"));
    assert!(!plan.contains("landfall-platform-deploy"));
    // The synthesis diff replaces its own comment the same way.
    assert!(
        job(&text, "synthesis-diff").contains("startswith(\"<!-- landfall synthesis diff -->\")")
    );
}

/// A merge deploys in stages, one at a time: the platform layers, then
/// the workloads environment by environment, production last; a stage runs
/// only when the one before it succeeded, each from the reviewed
/// `platform` environment as the deploy role.
/// <https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idneeds>
#[test]
fn a_merge_deploys_the_platform_then_each_environment_from_the_platform_environment() {
    let text = platform_workflow();
    let stages = [
        ("deploy", "checks", "landfall deploy --spec . --yes"),
        (
            "deploy-dev",
            "deploy",
            "landfall deploy --spec . --environment dev --yes",
        ),
        (
            "deploy-staging",
            "deploy-dev",
            "landfall deploy --spec . --environment staging --yes",
        ),
        // Last, the whole workload layer: dev and staging are deployed by
        // then, so it changes prod and the zones' delegation stack that
        // spans environments.
        (
            "deploy-prod",
            "deploy-staging",
            "landfall deploy --spec . --workloads --yes",
        ),
    ];
    let mut at = 0;
    for (id, needs, command) in stages {
        let position = text.find(&format!("\n  {id}:\n")).unwrap();
        assert!(position > at, "{id} out of order");
        at = position;
        let deploy = job(&text, id);
        assert!(deploy.contains(&format!("needs: {needs}\n")), "{deploy}");
        assert!(deploy.contains("environment: platform\n"), "{id}");
        assert!(
            deploy.contains(&format!(
                "group: landfall-platform-{id}\n      cancel-in-progress: false\n"
            )),
            "{deploy}"
        );
        assert!(deploy.contains(
            "role-to-assume: \"arn:aws:iam::${{ vars.LANDFALL_MANAGEMENT_ACCOUNT_ID }}:role/landfall/landfall-platform-deploy\""
        ));
        assert!(deploy.contains(command), "{id}: {deploy}");
        assert_eq!(deploy.contains("--workloads"), id == "deploy-prod", "{id}");
        assert!(!deploy.contains("pull-requests"));
        // Only the first stage says when; the others follow it.
        assert_eq!(
            deploy
                .contains("if: \"github.event_name == 'push' && github.ref == 'refs/heads/main'\""),
            id == "deploy",
            "{id}"
        );
    }
    // Only the plan and the deploy stages ask for a token, and a run of the
    // default branch is never cancelled half way.
    assert_eq!(text.matches("id-token: write").count(), 1 + stages.len());
    assert!(text.contains("cancel-in-progress: \"${{ github.event_name == 'pull_request' }}\""));
}

#[test]
fn the_platform_environment_is_reviewed_by_the_platform_team_from_the_default_branch() {
    let (_, files) = reference();
    let settings = files
        .iter()
        .find(|f| f.repository == "landfall-platform" && f.path == "github-environments.tf.json")
        .expect("the platform repository's environment");
    let json: serde_json::Value = serde_json::from_str(&settings.contents).unwrap();
    let platform = &json["resource"]["github_repository_environment"]["platform"];
    assert_eq!(platform["prevent_self_review"], true);
    assert_eq!(platform["can_admins_bypass"], false);
    assert_eq!(
        platform["reviewers"][0]["teams"][0],
        "${data.github_team.platform_admins.id}"
    );
    assert_eq!(
        json["data"]["github_team"]["platform_admins"]["slug"],
        "platform-admins"
    );
    let policies = json["resource"]["github_repository_environment_deployment_policy"]
        .as_object()
        .unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies["platform_0"]["branch_pattern"], "main");
}
