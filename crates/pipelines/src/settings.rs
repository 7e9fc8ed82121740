//! The GitHub side of a service's pipeline, as Terraform JSON for the
//! `integrations/github` provider: its environments, production's required
//! reviewers (the owning team; nobody approves their own run) and the
//! branches allowed to deploy there. The deploy roles trust a job by the
//! environment in its OIDC token; these rules are what an environment
//! guarantees (https://docs.github.com/en/actions/deployment/targeting-different-environments/managing-environments-for-deployment).

use landfall_model::{Environment, Model, Service};
use serde_json::{json, Map, Value};

use crate::GENERATED;

pub(crate) fn environments(
    model: &Model,
    services: &[&Service],
    repository: &str,
    branches: &[String],
) -> String {
    // Every environment any of its services runs in, in pipeline order, and
    // the teams owning them (production's reviewers).
    let mut environments: Vec<&Environment> = Vec::new();
    let mut teams: Vec<&str> = Vec::new();
    for service in services {
        for env in crate::service::ordered_environments(model, service) {
            if !environments.iter().any(|e| e.id == env.id) {
                environments.push(env);
            }
        }
        let team = model.domain(service.domain).owner.team.as_str();
        if !teams.contains(&team) {
            teams.push(team);
        }
    }
    environments.sort_by_key(|e| e.production);
    teams.sort_unstable();
    let team_key = |team: &str| team.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    let mut envs = Map::new();
    let mut policies = Map::new();
    for env in environments {
        let key = env.name.replace('-', "_");
        let mut props = json!({
            "repository": repository,
            "environment": env.name,
            "can_admins_bypass": false,
        });
        if env.production {
            let reviewers: Vec<String> = teams
                .iter()
                .map(|t| format!("${{data.github_team.{}.id}}", team_key(t)))
                .collect();
            props["prevent_self_review"] = json!(true);
            props["reviewers"] = json!([{ "teams": reviewers }]);
            props["deployment_branch_policy"] =
                json!({ "protected_branches": false, "custom_branch_policies": true });
            for (i, branch) in branches.iter().enumerate() {
                policies.insert(
                    format!("{key}_{i}"),
                    json!({
                        "repository": repository,
                        "environment": format!("${{github_repository_environment.{key}.environment}}"),
                        "branch_pattern": branch
                    }),
                );
            }
        }
        envs.insert(key, props);
    }
    let data: Map<String, Value> = teams
        .iter()
        .map(|t| (team_key(t), json!({ "slug": t })))
        .collect();
    let mut resources = json!({ "github_repository_environment": envs });
    if !policies.is_empty() {
        resources["github_repository_environment_deployment_policy"] = Value::Object(policies);
    }
    document(data, resources)
}

/// The platform repository's one environment, `platform`, whose jobs alone
/// the platform deploy role trusts: reviewed by the platform team (the
/// management account's owners; nobody approves their own run), from the
/// default branch only.
pub(crate) fn platform_environment(model: &Model, repository: &str, branch: &str) -> String {
    let team = model
        .core_account(landfall_spec::types::AccountClass::Management)
        .map_or("platform", |a| a.owner.team.as_str());
    let key = team.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    let environment = landfall_graph::PLATFORM_DEPLOY_ENVIRONMENT;
    let data = Map::from_iter([(key.clone(), json!({ "slug": team }))]);
    let resources = json!({
        "github_repository_environment": {
            environment: {
                "repository": repository,
                "environment": environment,
                "can_admins_bypass": false,
                "prevent_self_review": true,
                "reviewers": [{ "teams": [format!("${{data.github_team.{key}.id}}")] }],
                "deployment_branch_policy": { "protected_branches": false, "custom_branch_policies": true }
            }
        },
        "github_repository_environment_deployment_policy": {
            format!("{environment}_0"): {
                "repository": repository,
                "environment": format!("${{github_repository_environment.{environment}.environment}}"),
                "branch_pattern": branch
            }
        }
    });
    document(data, resources)
}

fn document(data: Map<String, Value>, resources: Value) -> String {
    let document = json!({
        "//": GENERATED.trim_start_matches("# ").trim_end(),
        "terraform": {
            "required_providers": { "github": { "source": "integrations/github", "version": "~> 6.0" } }
        },
        "data": { "github_team": data },
        "resource": resources
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
