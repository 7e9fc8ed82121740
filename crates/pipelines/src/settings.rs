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
