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

#[test]
fn the_platform_repository_validates_checks_and_proves_every_pull_request_offline() {
    let (_, files) = reference();
    let workflow = files
        .iter()
        .find(|f| f.repository == "landfall-platform" && f.path == ".github/workflows/landfall.yml")
        .expect("the platform repository gets its pipeline");
    let text = &workflow.contents;
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
    // No AWS credentials: nothing in it assumes a role.
    assert!(!text.contains("id-token"));
    assert!(!text.contains("configure-aws-credentials"));
}
