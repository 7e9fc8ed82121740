//! Who can assume the CI/CD roles: for every role GitHub Actions assumes
//! through OIDC, every kind of token GitHub issues is tried against the
//! role's trust policy as synthesized, and the role must admit exactly its
//! own pipeline's jobs.
//!
//! GitHub derives the token's `sub` from the job
//! (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims):
//! `repo:ORG/REPO:environment:NAME` when the job names an environment,
//! else `repo:ORG/REPO:pull_request` for a pull request (from a fork too),
//! else `repo:ORG/REPO:ref:REF`. IAM compares the `sub` and `aud` claims
//! (`token.actions.githubusercontent.com:sub`, `:aud`,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif);
//! the other claims (`repository`, `job_workflow_ref`, ...) are reported with
//! each counterexample so people can see the job it stands for.
//!
//! The tokens tried: the role's own repository, every other repository of
//! the platform, a repository whose name extends the role's (what a
//! trailing wildcard admits) and one of the same name in another
//! organization; no environment, each of the platform's environments and
//! one it does not have; push and pull-request events; the production
//! branches, another branch and a tag; GitHub's audience and another. A
//! pattern in a trust policy can only tell these apart by what it
//! mentions, so these cover it.
//!
//! Besides the services' roles in shared services, the platform
//! repository's two roles in the management account
//! (`landfall_graph::PLATFORM_PLAN_ROLE`, `PLATFORM_DEPLOY_ROLE`): the plan
//! role admits the repository's pull requests and pushes to its default
//! branch, the deploy role only jobs of its `platform` environment.
//! A pull request's token is the same whether it comes from a branch of
//! the repository or from a fork (`repo:ORG/REPO:pull_request`): no trust
//! policy can tell them apart, and GitHub gives no OIDC token to a
//! workflow run for a fork's pull request (its `GITHUB_TOKEN` is read-only
//! and `id-token: write` is not granted,
//! https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#workflows-in-forked-repositories).

use std::collections::BTreeMap;

use landfall_graph::{Graph, Layer};
use landfall_iam::authorize::{evaluate, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::json::JsonLimits;
use landfall_iam::policy::parse_policy_text;
use landfall_iam::request::{ContextValue, Request, RequestInput};
use landfall_model::Model;
use serde::Serialize;
use serde_json::Value;

use crate::placeholder_id;

const ISSUER: &str = "token.actions.githubusercontent.com";
const AUDIENCE: &str = "sts.amazonaws.com";
/// Path of the CI/CD roles in the shared-services account.
const CI_ROLE_PATH: &str = "/landfall/deploy/";
/// Path of the platform's own roles, the platform repository's among them.
const PLATFORM_ROLE_PATH: &str = "/landfall/";

/// The jobs a role is meant to admit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "admits", rename_all = "kebab-case")]
pub enum Intended {
    /// Jobs without an environment, pushed to one of these branches.
    Branches {
        repository: String,
        branches: Vec<String>,
    },
    /// Jobs of this GitHub environment.
    Environment {
        repository: String,
        environment: String,
    },
    /// Jobs without an environment of any pull request, and pushed to one
    /// of these branches.
    PullRequestsAndBranches {
        repository: String,
        branches: Vec<String>,
    },
}

impl Intended {
    fn repository(&self) -> &str {
        match self {
            Intended::Branches { repository, .. }
            | Intended::Environment { repository, .. }
            | Intended::PullRequestsAndBranches { repository, .. } => repository,
        }
    }

    /// The environment its jobs name, if it is meant for one.
    fn environment(&self) -> Option<&str> {
        match self {
            Intended::Environment { environment, .. } => Some(environment),
            _ => None,
        }
    }

    fn admits(&self, token: &Token) -> bool {
        if token.aud != AUDIENCE || token.repository != self.repository() {
            return false;
        }
        match self {
            Intended::Branches { branches, .. } => {
                token.environment.is_none()
                    && token.event_name != "pull_request"
                    && branches
                        .iter()
                        .any(|b| token.git_ref == format!("refs/heads/{b}"))
            }
            Intended::Environment { environment, .. } => {
                token.environment.as_deref() == Some(environment.as_str())
            }
            Intended::PullRequestsAndBranches { branches, .. } => {
                token.environment.is_none()
                    && (token.event_name == "pull_request"
                        || branches
                            .iter()
                            .any(|b| token.git_ref == format!("refs/heads/{b}")))
            }
        }
    }

    /// What about `token` this role is not meant to admit.
    fn why_not(&self, token: &Token) -> String {
        if token.repository != self.repository() {
            return format!("the repository `{}`", token.repository);
        }
        if token.aud != AUDIENCE {
            return format!("the audience `{}`", token.aud);
        }
        match (self, &token.environment) {
            (Intended::Environment { .. }, None) => "a job without an environment".to_owned(),
            (_, Some(env)) => format!("the environment `{env}`"),
            (Intended::Branches { .. }, None) if token.event_name == "pull_request" => {
                "a pull request".to_owned()
            }
            _ => format!("the ref `{}`", token.git_ref),
        }
    }
}

/// The claims of one GitHub Actions token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub sub: String,
    pub aud: String,
    pub repository: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub event_name: String,
    pub job_workflow_ref: String,
}

impl Token {
    /// The token GitHub issues to a job of `repository` for `event_name` on
    /// `git_ref`, in `environment` when the job names one.
    pub fn new(
        repository: &str,
        environment: Option<&str>,
        event_name: &str,
        git_ref: &str,
        aud: &str,
    ) -> Token {
        let sub = match (environment, event_name) {
            (Some(env), _) => format!("repo:{repository}:environment:{env}"),
            (None, "pull_request") => format!("repo:{repository}:pull_request"),
            (None, _) => format!("repo:{repository}:ref:{git_ref}"),
        };
        Token {
            sub,
            aud: aud.to_owned(),
            repository: repository.to_owned(),
            git_ref: git_ref.to_owned(),
            environment: environment.map(str::to_owned),
            event_name: event_name.to_owned(),
            job_workflow_ref: format!("{repository}/.github/workflows/deploy.yml@{git_ref}"),
        }
    }
}

/// The answer for one role.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum CiVerdict {
    /// Its own jobs are admitted and no other token is.
    Holds { tokens_checked: usize },
    /// A token it is not meant to admit gets in.
    Admits {
        token: Box<Token>,
        because: String,
        tokens_checked: usize,
    },
    /// One of its own pipeline's jobs is refused: the pipeline cannot run.
    RefusesItsOwn { token: Box<Token> },
    /// The synthesized platform has no such role, or its trust policy is
    /// not a policy.
    Missing { reason: String },
}

/// One CI/CD role and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct CiRoleReport {
    pub role: String,
    pub intended: Intended,
    #[serde(flatten)]
    pub verdict: CiVerdict,
}

impl CiRoleReport {
    pub fn holds(&self) -> bool {
        matches!(self.verdict, CiVerdict::Holds { .. })
    }
}

/// Every CI/CD role of the model's services, and the platform
/// repository's roles, proven against the trust policies of `graph` (the
/// synthesized platform layers).
pub fn prove_ci_trust(model: &Model, graph: &Graph) -> Vec<CiRoleReport> {
    let Some(cicd) = &model.cicd else {
        return Vec::new();
    };
    if cicd.github.organization.is_empty() {
        return Vec::new();
    }
    let shared = model
        .core_account(landfall_spec::types::AccountClass::SharedServices)
        .or_else(|| model.core_account(landfall_spec::types::AccountClass::Management))
        .map_or_else(|| "000000000000".to_owned(), |a| placeholder_id(a.id));
    let management = model
        .core_account(landfall_spec::types::AccountClass::Management)
        .map_or_else(|| "000000000000".to_owned(), |a| placeholder_id(a.id));
    let trust = trust_policies(graph);
    // Role, where it is (account, path), what it is meant to admit.
    let mut intended: Vec<(String, (&str, &str), Intended)> = Vec::new();
    for service in &model.services {
        intended.push((
            landfall_graph::push_role_name(&service.name),
            (&shared, CI_ROLE_PATH),
            Intended::Branches {
                repository: service.repository.clone(),
                branches: cicd.github.production_branches.clone(),
            },
        ));
        for env in &service.environments {
            let environment = &model.environment(*env).name;
            intended.push((
                landfall_graph::environment_deploy_role_name(&service.name, environment),
                (&shared, CI_ROLE_PATH),
                Intended::Environment {
                    repository: service.repository.clone(),
                    environment: environment.clone(),
                },
            ));
        }
    }
    if let Some(name) = &cicd.github.platform_repository {
        let repository = format!("{}/{name}", cicd.github.organization);
        intended.push((
            landfall_graph::PLATFORM_PLAN_ROLE.to_owned(),
            (&management, PLATFORM_ROLE_PATH),
            Intended::PullRequestsAndBranches {
                repository: repository.clone(),
                branches: cicd
                    .github
                    .production_branches
                    .iter()
                    .take(1)
                    .cloned()
                    .collect(),
            },
        ));
        intended.push((
            landfall_graph::PLATFORM_DEPLOY_ROLE.to_owned(),
            (&management, PLATFORM_ROLE_PATH),
            Intended::Environment {
                repository,
                environment: landfall_graph::PLATFORM_DEPLOY_ENVIRONMENT.to_owned(),
            },
        ));
    }
    let space = TokenSpace::of(model);
    intended
        .into_iter()
        .map(|(role, (account, path), intended)| {
            let verdict = match trust.get(&(path.to_owned(), role.clone())) {
                None => CiVerdict::Missing {
                    reason: format!("no role `{role}` under `{path}` in the synthesized stacks"),
                },
                Some(policy) => {
                    let tokens = space.tokens_for(&intended, policy);
                    prove_role_at(&role, path, policy, account, &intended, &tokens)
                }
            };
            CiRoleReport {
                role,
                intended,
                verdict,
            }
        })
        .collect()
}

/// Decides one CI/CD role of the shared-services account (under
/// `/landfall/deploy/`) from its trust policy document.
pub fn prove_role(
    role: &str,
    trust: &Value,
    account: &str,
    intended: &Intended,
    tokens: &[Token],
) -> CiVerdict {
    prove_role_at(role, CI_ROLE_PATH, trust, account, intended, tokens)
}

/// One role's trust policy, compiled, and where the role is: asked token by
/// token whether it admits it.
pub struct TrustPolicy {
    set: PolicySet,
    account: String,
    resource: String,
}

impl TrustPolicy {
    /// The trust policy of role `path``role` in `account`, with references
    /// to the OIDC provider resolved; the parser's messages when it is not
    /// a policy.
    pub fn new(role: &str, path: &str, trust: &Value, account: &str) -> Result<Self, String> {
        let text = resolve_refs(trust, account).to_string();
        let mut sources = landfall_diagnostics::SourceSet::default();
        let file = sources.add(role, text.as_str());
        let policy = parse_policy_text(file, &text, role, &JsonLimits::default()).map_err(
            |diagnostics| {
                diagnostics
                    .into_iter()
                    .map(|d| d.message)
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        )?;
        Ok(TrustPolicy {
            set: PolicySet {
                resource: Some(CompiledPolicy::new(policy)),
                ..PolicySet::default()
            },
            account: account.to_owned(),
            resource: format!("arn:aws:iam::{account}:role{path}{role}"),
        })
    }

    /// Whether a job holding `token` may assume the role.
    pub fn admits(&self, token: &Token) -> bool {
        let mut context = BTreeMap::new();
        context.insert(
            format!("{ISSUER}:sub"),
            ContextValue::One(token.sub.clone()),
        );
        context.insert(
            format!("{ISSUER}:aud"),
            ContextValue::One(token.aud.clone()),
        );
        let request = Request::new(RequestInput {
            principal: format!("arn:aws:iam::{}:oidc-provider/{ISSUER}", self.account),
            action: "sts:AssumeRoleWithWebIdentity".to_owned(),
            resource: self.resource.clone(),
            resource_account: Some(self.account.clone()),
            context,
            management_account: None,
        });
        evaluate(&self.set, &request).is_allowed()
    }
}

/// Decides one role, at `path` in `account`, from its trust policy document.
pub fn prove_role_at(
    role: &str,
    path: &str,
    trust: &Value,
    account: &str,
    intended: &Intended,
    tokens: &[Token],
) -> CiVerdict {
    let policy = match TrustPolicy::new(role, path, trust, account) {
        Ok(policy) => policy,
        Err(reason) => return CiVerdict::Missing { reason },
    };
    // A refusal of its own jobs is reported first: that pipeline cannot run.
    let mut admitted: Option<&Token> = None;
    for token in tokens {
        let allowed = policy.admits(token);
        let meant = intended.admits(token);
        if meant && !allowed {
            return CiVerdict::RefusesItsOwn {
                token: Box::new(token.clone()),
            };
        }
        if allowed && !meant && admitted.is_none() {
            admitted = Some(token);
        }
    }
    match admitted {
        Some(token) => CiVerdict::Admits {
            because: intended.why_not(token),
            token: Box::new(token.clone()),
            tokens_checked: tokens.len(),
        },
        None => CiVerdict::Holds {
            tokens_checked: tokens.len(),
        },
    }
}

/// What the tokens vary over, from the model.
pub struct TokenSpace {
    /// Some repository of the platform other than the role's.
    pub other_repositories: Vec<String>,
    pub environments: Vec<Option<String>>,
    pub refs: Vec<String>,
}

impl TokenSpace {
    pub fn of(model: &Model) -> TokenSpace {
        let mut environments: Vec<Option<String>> = vec![None];
        environments.extend(model.environments.iter().map(|e| Some(e.name.clone())));
        environments.push(Some("attacker".to_owned()));
        let (org, mut refs, extra) = model.cicd.as_ref().map_or_else(
            || (String::new(), Vec::new(), Vec::new()),
            |c| {
                (
                    c.github.organization.clone(),
                    c.github
                        .production_branches
                        .iter()
                        .map(|b| format!("refs/heads/{b}"))
                        .collect(),
                    c.github.extra_repositories.clone(),
                )
            },
        );
        refs.push("refs/heads/feature/x".to_owned());
        refs.push("refs/tags/v1.0.0".to_owned());
        let mut other_repositories: Vec<String> = model
            .services
            .iter()
            .map(|s| s.repository.clone())
            .collect();
        other_repositories.extend(extra.iter().map(|r| format!("{org}/{r}")));
        other_repositories.sort();
        other_repositories.dedup();
        TokenSpace {
            other_repositories,
            environments,
            refs,
        }
    }

    /// The tokens tried against one role: its own repository, one whose
    /// name extends it, one of its name in another organization, another
    /// repository of the platform, and every repository its trust policy
    /// names; each with every environment, event, ref and audience. Tokens
    /// with the same `sub` and `aud` are one request to IAM: tried once.
    pub fn tokens_for(&self, intended: &Intended, trust: &Value) -> Vec<Token> {
        let own = intended.repository();
        let name = own.rsplit('/').next().unwrap_or(own);
        let mut repositories = vec![
            own.to_owned(),
            format!("{own}-fork"),
            format!("someone-else/{name}"),
        ];
        if let Some(other) = self.other_repositories.iter().find(|r| *r != own) {
            repositories.push(other.clone());
        }
        mentioned_repositories(trust, &mut repositories);
        // Its own environment, whether or not the platform has one of
        // that name (the platform repository's `platform`).
        let mut environments = self.environments.clone();
        if let Some(own) = intended.environment() {
            if !environments.iter().any(|e| e.as_deref() == Some(own)) {
                environments.push(Some(own.to_owned()));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for repository in &repositories {
            for environment in &environments {
                for event in ["push", "pull_request"] {
                    for git_ref in &self.refs {
                        for aud in [AUDIENCE, "https://github.com/landfall-audience"] {
                            let token =
                                Token::new(repository, environment.as_deref(), event, git_ref, aud);
                            if seen.insert((token.sub.clone(), token.aud.clone())) {
                                out.push(token);
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// Adds each repository a `repo:OWNER/NAME:...` value of the policy names
/// (a wildcard in it filled in), so a grant to another repository is tried.
fn mentioned_repositories(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(rest) = s.strip_prefix("repo:") {
                let repository = rest
                    .split(':')
                    .next()
                    .unwrap_or(rest)
                    .replace(['*', '?'], "x");
                if !out.contains(&repository) {
                    out.push(repository);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| mentioned_repositories(v, out)),
        Value::Object(map) => map.values().for_each(|v| mentioned_repositories(v, out)),
        _ => {}
    }
}

/// The trust policy of every role under the CI path of the shared-services
/// layer, and of the platform repository's roles (organization layer,
/// management account), by path and role name.
fn trust_policies(graph: &Graph) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for stack in &graph.stacks {
        let (wanted_path, names): (&str, Option<[&str; 2]>) = match stack.layer {
            Layer::SharedServices => (CI_ROLE_PATH, None),
            Layer::Organization => (
                PLATFORM_ROLE_PATH,
                Some([
                    landfall_graph::PLATFORM_PLAN_ROLE,
                    landfall_graph::PLATFORM_DEPLOY_ROLE,
                ]),
            ),
            _ => continue,
        };
        for resource in stack
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::IAM::Role")
        {
            let props = &resource.properties;
            let path = props.get("Path").and_then(Value::as_str);
            let name = props.get("RoleName").and_then(Value::as_str);
            let (Some(path), Some(name), Some(trust)) =
                (path, name, props.get("AssumeRolePolicyDocument"))
            else {
                continue;
            };
            if path != wanted_path || names.is_some_and(|n| !n.contains(&name)) {
                continue;
            }
            out.insert((path.to_owned(), name.to_owned()), trust.clone());
        }
    }
    out
}

/// The trust policy with each reference to a provider replaced by the ARN
/// of that OIDC provider (the GitHub one's is what a token names).
fn resolve_refs(value: &Value, account: &str) -> Value {
    match value {
        Value::Object(map) => {
            // `Ref` in the stack that holds the provider, `Fn::ImportValue`
            // of `<stack>:<logical id>` in the others.
            let named = map.get("Ref").or_else(|| map.get("Fn::ImportValue"));
            if let (1, Some(Value::String(name))) = (map.len(), named) {
                let name = name.rsplit(':').next().unwrap_or(name);
                let provider = if name == "GitHubOidcProvider" {
                    ISSUER.to_owned()
                } else {
                    name.to_owned()
                };
                return Value::String(format!("arn:aws:iam::{account}:oidc-provider/{provider}"));
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolve_refs(v, account)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| resolve_refs(v, account)).collect())
        }
        other => other.clone(),
    }
}
