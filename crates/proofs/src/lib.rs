//! Guardrail questions about the platform, answered offline by the IAM
//! engine over the SCPs the platform will deploy.
//!
//! - [`OrgPolicies::of`] lays out, for every member account, the SCP levels
//!   a request from it meets: root, each OU down to the account's, and the
//!   account itself, with `FullAWSAccess` where AWS attaches it.
//! - [`can`] evaluates one request in one account (`landfall iam can`).
//! - [`prove_all`] decides, for every guardrail intent of the blueprint and
//!   every member account it applies to, whether any request could get
//!   through, and returns a counterexample when one can (`landfall iam prove`).
//! - [`access_review::access_review`] lists what the platform's roles and
//!   permission sets can do on its data stores, keys and log buckets, and
//!   which statements allow it (`landfall iam access-review`).
//!
//! Identity policies are taken as allowing everything (the most permissive
//! principal), so what is proven holds whatever roles an account creates.
//! Account ids are not known offline; each account gets a stable
//! placeholder id (`100000000000 + index`) and is named in every report.

pub mod access_review;
mod intents;
pub mod oidc;
mod permission_sets;

use std::collections::BTreeMap;

use landfall_diagnostics::{Diagnostic, SourceSet};
use landfall_iam::authorize::{evaluate, Decision, PolicySet};
use landfall_iam::compile::CompiledPolicy;
use landfall_iam::json::JsonLimits;
use landfall_iam::policy::parse_policy_text;
use landfall_iam::prove::{prove, OrgPolicies as AccountPolicies, ProveOptions, ProveOutcome};
use landfall_iam::request::{ContextValue, Request, RequestInput};
use landfall_iam::simulate::Simulation;
use landfall_model::{Account, AccountId, Model, OuId};
use landfall_rules::scp::ScpSet;
use landfall_spec::types::{AccountClass, ControlMode};
use serde::Serialize;

pub use intents::{intents, GuardrailIntent, Scope};
pub use permission_sets::{
    assigned_accounts, prove_permission_sets, reserved_role, DATA_READ_ACTIONS,
};

const FULL_AWS_ACCESS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A stable placeholder account id for offline evaluation.
pub fn placeholder_id(account: AccountId) -> String {
    format!("{}", 100_000_000_000u64 + account.0 as u64)
}

/// The SCP levels every member account meets.
pub struct OrgPolicies {
    by_account: BTreeMap<AccountId, AccountPolicies>,
}

impl OrgPolicies {
    /// Lays out the SCPs of `scps` for every member account of `model`.
    pub fn of(model: &Model, scps: &ScpSet) -> Result<Self, Vec<Diagnostic>> {
        let limits = JsonLimits::default();
        let full = compile("FullAWSAccess", FULL_AWS_ACCESS, &limits)?;
        let mut by_ou: BTreeMap<OuId, Vec<CompiledPolicy>> = BTreeMap::new();
        for scp in &scps.policies {
            let compiled = compile(&scp.name, &scp.content, &limits)?;
            for target in &scp.targets {
                by_ou.entry(*target).or_default().push(compiled.clone());
            }
        }
        let mut by_account = BTreeMap::new();
        for account in model.member_accounts() {
            // Root first, down to the account's own OU, then the account.
            let mut path = Vec::new();
            let mut next = Some(account.ou);
            while let Some(ou) = next {
                path.push(ou);
                next = model.ou(ou).parent;
            }
            path.reverse();
            let mut levels: Vec<Vec<CompiledPolicy>> = path
                .iter()
                .map(|ou| {
                    let mut level = vec![full.clone()];
                    level.extend(by_ou.get(ou).into_iter().flatten().cloned());
                    level
                })
                .collect();
            levels.push(vec![full.clone()]);
            by_account.insert(
                account.id,
                AccountPolicies {
                    scps: levels,
                    rcps: Vec::new(),
                },
            );
        }
        Ok(Self { by_account })
    }

    pub fn account(&self, id: AccountId) -> Option<&AccountPolicies> {
        self.by_account.get(&id)
    }
}

fn compile(name: &str, text: &str, limits: &JsonLimits) -> Result<CompiledPolicy, Vec<Diagnostic>> {
    // Our own generated documents; a parse error here is a compiler bug,
    // reported as diagnostics against the document rather than a panic.
    let mut sources = SourceSet::default();
    let file = sources.add(name, text);
    parse_policy_text(file, text, name, limits).map(CompiledPolicy::new)
}

/// Finds an account by name or placeholder id.
pub fn find_account<'m>(model: &'m Model, name_or_id: &str) -> Option<&'m Account> {
    model
        .accounts
        .iter()
        .find(|a| a.name == name_or_id || placeholder_id(a.id) == name_or_id)
}

/// The principal [`can`] asks as: a role of the account's own, none of the
/// platform's.
pub fn workload_principal(account: &Account) -> String {
    format!("arn:aws:iam::{}:role/developer", placeholder_id(account.id))
}

/// One request in one account, through the account's SCPs, as a role of
/// the account's own ([`workload_principal`]).
pub fn can(
    model: &Model,
    policies: &OrgPolicies,
    account: &Account,
    action: &str,
    resource: Option<&str>,
    context: BTreeMap<String, ContextValue>,
) -> (Simulation, Decision) {
    let principal = workload_principal(account);
    can_as(
        model, policies, account, &principal, action, resource, context,
    )
}

/// One request in one account, through the account's SCPs, as `principal`
/// (an IAM role ARN of that account; it is the request's `aws:PrincipalArn`).
pub fn can_as(
    model: &Model,
    policies: &OrgPolicies,
    account: &Account,
    principal: &str,
    action: &str,
    resource: Option<&str>,
    mut context: BTreeMap<String, ContextValue>,
) -> (Simulation, Decision) {
    let id = placeholder_id(account.id);
    // A request always names a region; unless asked otherwise, the home one.
    if !context
        .keys()
        .any(|k| k.eq_ignore_ascii_case("aws:RequestedRegion"))
    {
        let home = model.region(model.organization.home_region).name.clone();
        context.insert("aws:RequestedRegion".to_owned(), ContextValue::One(home));
    }
    let management = model
        .core_account(AccountClass::Management)
        .map(|a| placeholder_id(a.id));
    let input = RequestInput {
        principal: principal.to_owned(),
        action: action.to_owned(),
        resource: resource
            .map(str::to_owned)
            .or_else(|| {
                default_resource(
                    action,
                    &model.region(model.organization.home_region).name,
                    &id,
                )
            })
            .unwrap_or_else(|| "*".to_owned()),
        resource_account: Some(id.clone()),
        context,
        management_account: management,
    };
    let scps = policies
        .account(account.id)
        .map(|p| p.scps.clone())
        .unwrap_or_default();
    let allow_all = compile(
        "IdentityAllowsEverything",
        FULL_AWS_ACCESS,
        &JsonLimits::default(),
    )
    .ok()
    .into_iter()
    .collect();
    let simulation = Simulation {
        request: Request::new(input),
        policies: PolicySet {
            identity: allow_all,
            scps,
            ..PolicySet::default()
        },
        warnings: Vec::new(),
    };
    let decision = evaluate(&simulation.policies, &simulation.request);
    (simulation, decision)
}

/// An example ARN of the resource type an action is about, from the
/// AWS catalog: `RunInstances` acts on `instance/...`, so a request without
/// a resource is not mistaken for one on `*` (which resource-scoped
/// statements never match).
pub fn default_resource(action: &str, region: &str, account: &str) -> Option<String> {
    let (prefix, name) = action.split_once(':')?;
    let service = landfall_iam::catalog::Catalog::get().service(prefix)?;
    let definition = service.action(name)?;
    // The type the action is named after (`RunInstances` → `instance`),
    // else the first required one.
    let lower = name.to_ascii_lowercase();
    let (type_name, _) = definition
        .resource_types
        .iter()
        .find(|(t, _)| lower.contains(&t.to_ascii_lowercase()))
        .or_else(|| {
            definition
                .resource_types
                .iter()
                .find(|(_, required)| *required)
        })
        .or_else(|| definition.resource_types.first())?;
    let template = &service
        .resource_types
        .iter()
        .find(|t| &t.name == type_name)?
        .arn;
    // `${Partition}`, `${Region}`, `${Account}` are filled in; any other
    // placeholder (an id or name) becomes `example`.
    let mut out = String::new();
    let mut rest = template.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push_str(match &rest[start + 2..start + end] {
            "Partition" => "aws",
            "Region" => region,
            "Account" => account,
            _ => "example",
        });
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The verdict of one intent in one account.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Verdict {
    Holds {
        requests_checked: usize,
    },
    Fails {
        counterexample: RequestInput,
        requests_checked: usize,
    },
    Inconclusive {
        reason: String,
        requests_checked: usize,
    },
}

/// One intent over every account it applies to.
#[derive(Debug, Clone, Serialize)]
pub struct IntentReport {
    pub intent: String,
    pub description: String,
    /// Not proven: the control is detective or off in the spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub accounts: Vec<AccountVerdict>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountVerdict {
    pub account: String,
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl IntentReport {
    pub fn holds(&self) -> bool {
        self.accounts
            .iter()
            .all(|a| matches!(a.verdict, Verdict::Holds { .. }))
    }
}

/// Proves every guardrail intent in every member account it applies to,
/// then every permission set's promise not to read data
/// ([`prove_permission_sets`]).
pub fn prove_all(model: &Model, policies: &OrgPolicies) -> Vec<IntentReport> {
    let options = ProveOptions::default();
    intents(model)
        .into_iter()
        .map(|intent| {
            let mode = model.guardrails.mode(intent.guardrail);
            if mode != ControlMode::Preventive {
                return IntentReport {
                    intent: intent.name.to_owned(),
                    description: intent.description.to_owned(),
                    skipped: Some(format!(
                        "the `{}` control is {} in this spec, so no SCP prevents it",
                        serde_json::to_value(intent.guardrail)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        if mode == ControlMode::Off {
                            "off"
                        } else {
                            "detective"
                        }
                    )),
                    accounts: Vec::new(),
                };
            }
            let accounts = model
                .member_accounts()
                .filter(|account| intent.scope.applies(model, account))
                .filter_map(|account| {
                    let org = policies.account(account.id)?;
                    let id = placeholder_id(account.id);
                    let outcome = prove(&id, org, &intent.for_account(model, &id), options);
                    let verdict = match outcome {
                        ProveOutcome::Holds { requests_checked } => {
                            Verdict::Holds { requests_checked }
                        }
                        ProveOutcome::Counterexample {
                            request,
                            requests_checked,
                            ..
                        } => Verdict::Fails {
                            counterexample: *request,
                            requests_checked,
                        },
                        ProveOutcome::Inconclusive {
                            reason,
                            requests_checked,
                        } => Verdict::Inconclusive {
                            reason,
                            requests_checked,
                        },
                    };
                    Some(AccountVerdict {
                        account: account.name.clone(),
                        verdict,
                    })
                })
                .collect();
            IntentReport {
                intent: intent.name.to_owned(),
                description: intent.description.to_owned(),
                skipped: None,
                accounts,
            }
        })
        .chain(prove_permission_sets(model, policies))
        .collect()
}
