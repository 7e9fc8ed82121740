//! SCP compilation: the preventive half of the rule registry.
//!
//! [`compile_scps`] collects, from a resolved [`Model`]:
//!
//! - the SCP statements of every rule whose guardrail is preventive
//!   (organization-wide ones attach to the root; the egress guardrail to the
//!   `Workloads` OU, so the networking account can still own gateways);
//! - the region allowlist (a Deny on everything but global services outside
//!   the allowed regions), through rule `region-outside-allowlist`;
//! - each environment's service allowlist (Deny `NotAction` the allowed
//!   prefixes, plus the [`PLATFORM_SERVICES`] the baseline needs), attached
//!   to the top OU of that environment;
//! - a statement that keeps the exempted role names for the platform;
//!
//! and packs them into as few SCPs per target as fit AWS's limits: the
//! minified document at most `limits.scp_max_chars` characters, and at most
//! `limits.scps_per_target` SCPs per target minus the slot `FullAWSAccess`
//! keeps. Statements keep the rule table's order and are packed first-fit,
//! so the same model always gives byte-identical documents. Where a
//! statement would stop the platform from deploying (versioning changes,
//! audit-service configuration, services outside an allowlist, regions), the
//! platform's roles are exempted with `ArnNotLike aws:PrincipalArn`.

use std::collections::BTreeMap;

use landfall_diagnostics::Diagnostic;
use landfall_model::{Model, OuId, OuKind};
use landfall_spec::types::{ControlMode, GuardrailId};
use serde::Serialize;
use serde_json::json;

use crate::codes::RULES;
use crate::registry::ScpContext;
use crate::rules::helpers::exempt_platform;
use crate::settings::Settings;

/// Options of SCP compilation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScpOptions {
    /// `aws:PrincipalArn` patterns exempted where blocking would break
    /// deployment: the platform's deployment roles and break-glass role.
    pub exempt_principals: Vec<String>,
}

/// The platform's own roles: everything the synth stage creates under the
/// IAM path `/landfall/` (deployment, automation, break-glass), the account
/// access role Organizations creates, and the execution role service-managed
/// StackSets run as in every member account. Only the StackSets'
/// service-linked roles escape SCPs; the `stacksets-exec-*` role that
/// creates the baseline's resources does not, so it must be exempted like
/// the platform's own roles ("By default, StackSets with service-managed
/// permissions creates an execution role named `stacksets-exec-*` in each
/// target account",
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html>).
/// Nobody else can take these names: [`PROTECT_EXEMPT_ROLES_SID`] denies
/// creating or changing a role that matches them to anyone but themselves.
pub const PLATFORM_ROLE_PATTERNS: &[&str] = &[
    "arn:aws:iam::*:role/OrganizationAccountAccessRole",
    "arn:aws:iam::*:role/landfall/*",
    "arn:aws:iam::*:role/stacksets-exec-*",
];

/// IAM prefixes of the services the platform's own StackSets and agents use
/// in every member account (baseline roles and keys, the Config recorder and
/// rules with their SSM remediations, Access Analyzer, GuardDuty and
/// Security Hub enabled by their administrators, Session Manager, the
/// EventBridge rules that forward AWS events to the alert bus, the
/// CloudWatch alarms the workload layer puts on every service, the ACM
/// certificates of every load balancer and the Route 53 zone and records
/// of a domain's public origins). Every
/// environment's service allowlist gets them, whatever the spec lists, so
/// an allowlist can never block the baseline; a synth test keeps the list
/// in step with the resource types of the baseline StackSets.
pub const PLATFORM_SERVICES: &[&str] = &[
    "access-analyzer",
    "acm",
    "cloudformation",
    "cloudwatch",
    "config",
    "ec2",
    "ec2messages",
    "events",
    "guardduty",
    "iam",
    "kms",
    "oam",
    "route53",
    "s3",
    "securityhub",
    "ssm",
    "ssmmessages",
    "sts",
];

/// `Sid` of the statement that keeps the exempted role names for the
/// platform: without it, anyone allowed to create roles could name one
/// `stacksets-exec-...` and walk past every guardrail.
pub const PROTECT_EXEMPT_ROLES_SID: &str = "LandfallProtectPlatformRoles";

/// IAM actions that create a role or change what it may do or who may
/// assume it.
const ROLE_CHANGING_ACTIONS: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
];

impl Default for ScpOptions {
    fn default() -> Self {
        Self {
            exempt_principals: PLATFORM_ROLE_PATTERNS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

/// One SCP: its name, minified content and the OUs it is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scp {
    /// Stable name, e.g. `landfall-root-1`, `landfall-services-prod-1`.
    pub name: String,
    pub description: String,
    /// The policy document, minified JSON.
    pub content: String,
    /// The OUs it is attached to directly.
    pub targets: Vec<OuId>,
    /// `Sid`s of its statements, in order.
    pub statements: Vec<String>,
}

/// Every SCP of a platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScpSet {
    pub policies: Vec<Scp>,
}

impl ScpSet {
    /// SCPs attached directly to an OU.
    pub fn attached_to(&self, ou: OuId) -> impl Iterator<Item = &Scp> {
        self.policies
            .iter()
            .filter(move |p| p.targets.contains(&ou))
    }
}

/// Compiles the SCPs of a model with the default platform role exemptions.
pub fn compile_scps(model: &Model) -> Result<ScpSet, Vec<Diagnostic>> {
    compile_scps_with(model, &ScpOptions::default())
}

struct Group {
    name: String,
    label: String,
    targets: Vec<OuId>,
    statements: Vec<serde_json::Value>,
}

/// Compiles the SCPs of a model.
pub fn compile_scps_with(model: &Model, options: &ScpOptions) -> Result<ScpSet, Vec<Diagnostic>> {
    let settings = Settings::from_model(model);
    let context = ScpContext {
        settings: &settings,
        exempt_principals: &options.exempt_principals,
    };
    let mut errors = Vec::new();
    let ous_of_kind = |kind: OuKind| -> Vec<OuId> {
        model
            .organizational_units
            .iter()
            .filter(|o| o.kind == kind)
            .map(|o| o.id)
            .collect()
    };

    let mut root = Vec::new();
    let mut workloads = Vec::new();
    if !options.exempt_principals.is_empty() {
        root.push(exempt_platform(
            json!({
                "Sid": PROTECT_EXEMPT_ROLES_SID,
                "Effect": "Deny",
                "Action": ROLE_CHANGING_ACTIONS,
                "Resource": options.exempt_principals,
            }),
            &options.exempt_principals,
        ));
    }
    for registered in RULES {
        let meta = registered.rule.meta();
        let Some(guardrail) = meta.guardrail else {
            continue;
        };
        if settings.mode(guardrail) != ControlMode::Preventive {
            continue;
        }
        let statements = registered.rule.scp_statements(&context);
        let into = if guardrail == GuardrailId::EgressBlocked {
            &mut workloads
        } else {
            &mut root
        };
        for statement in statements {
            push_unique(into, statement, registered.code, &mut errors);
        }
    }

    let mut groups = vec![
        Group {
            name: "landfall-root".to_owned(),
            label: "organization-wide guardrails".to_owned(),
            targets: ous_of_kind(OuKind::Root),
            statements: root,
        },
        Group {
            name: "landfall-workloads".to_owned(),
            label: "workload account guardrails".to_owned(),
            targets: ous_of_kind(OuKind::Workloads),
            statements: workloads,
        },
    ];

    if settings.mode(GuardrailId::ServiceAllowlist) == ControlMode::Preventive {
        for (env, services) in &model.guardrails.allowed_services {
            let name = &model.environment(*env).name;
            let mut actions: Vec<String> = services
                .iter()
                .map(String::as_str)
                .chain(PLATFORM_SERVICES.iter().copied())
                .map(|s| format!("{s}:*"))
                .collect();
            actions.sort();
            actions.dedup();
            let statement = exempt_platform(
                json!({
                    "Sid": format!("LandfallAllowedServices{}", sid_suffix(name)),
                    "Effect": "Deny",
                    "NotAction": actions,
                    "Resource": "*",
                }),
                &options.exempt_principals,
            );
            // The top OU of the environment: its parent is of no or another environment.
            let targets: Vec<OuId> = model
                .organizational_units
                .iter()
                .filter(|o| o.environment == Some(*env))
                .filter(|o| {
                    o.parent
                        .is_none_or(|p| model.ou(p).environment != Some(*env))
                })
                .map(|o| o.id)
                .collect();
            groups.push(Group {
                name: format!("landfall-services-{name}"),
                label: format!("services allowed in {name}"),
                targets,
                statements: vec![statement],
            });
        }
    }

    let max_chars = usize::try_from(model.limits.scp_max_chars).unwrap_or(usize::MAX);
    let slots = usize::try_from(model.limits.scps_per_target)
        .unwrap_or(usize::MAX)
        .saturating_sub(1);
    let mut set = ScpSet::default();
    let mut per_target: BTreeMap<OuId, usize> = BTreeMap::new();
    for group in groups {
        if group.statements.is_empty() || group.targets.is_empty() {
            continue;
        }
        let documents = match pack(&group.statements, max_chars) {
            Ok(documents) => documents,
            Err((sid, size)) => {
                errors.push(
                    Diagnostic::error(
                        "scp::statement-too-large",
                        format!(
                            "SCP statement `{sid}` is {size} characters minified, more than fits in one SCP of at most {max_chars}"
                        ),
                    )
                    .with_help(format!(
                        "raise `limits.scp_max_chars` if AWS raised the quota, or shorten the list behind `{sid}` (for an allowlist, fewer services)"
                    )),
                );
                continue;
            }
        };
        let count = documents.len();
        for (i, (content, sids)) in documents.into_iter().enumerate() {
            set.policies.push(Scp {
                name: format!("{}-{}", group.name, i + 1),
                description: format!("Landfall: {} ({} of {count})", group.label, i + 1),
                content,
                targets: group.targets.clone(),
                statements: sids,
            });
        }
        for target in &group.targets {
            *per_target.entry(*target).or_default() += count;
        }
    }
    for (target, count) in per_target {
        if count > slots {
            let total: usize = set
                .attached_to(target)
                .map(|p| p.content.chars().count())
                .sum();
            errors.push(
                Diagnostic::error(
                    "scp::too-many-policies",
                    format!(
                        "OU `{}` needs {count} SCPs ({total} characters in documents of at most {max_chars}), but only {slots} can be attached ({} per target, one taken by FullAWSAccess)",
                        model.ou(target).path,
                        model.limits.scps_per_target
                    ),
                )
                .with_help("switch some controls to `detective`, shorten the service allowlists, or raise `limits.scps_per_target` / `limits.scp_max_chars` if AWS raised the quotas"),
            );
        }
    }
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(errors)
    }
}

fn sid_suffix(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

fn push_unique(
    into: &mut Vec<serde_json::Value>,
    statement: serde_json::Value,
    code: &str,
    errors: &mut Vec<Diagnostic>,
) {
    let sid = statement
        .get("Sid")
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_owned();
    match into
        .iter()
        .find(|s| s.get("Sid").and_then(|v| v.as_str()) == Some(sid.as_str()))
    {
        Some(existing) if *existing == statement => {}
        Some(_) => errors.push(Diagnostic::error(
            "scp::conflicting-statement",
            format!(
                "rule {code} contributes a different statement under the existing `Sid` `{sid}`"
            ),
        )),
        None => into.push(statement),
    }
}

const VERSION_PREFIX: &str = r#"{"Version":"2012-10-17","Statement":["#;
const SUFFIX: &str = "]}";

/// Packs statements first-fit into documents of at most `max` characters.
/// Err: the `Sid` and size of a statement that fits in no document.
#[allow(clippy::type_complexity)]
fn pack(
    statements: &[serde_json::Value],
    max: usize,
) -> Result<Vec<(String, Vec<String>)>, (String, usize)> {
    let overhead = VERSION_PREFIX.len() + SUFFIX.len();
    // (minified statements, total characters)
    let mut bins: Vec<(Vec<(String, String)>, usize)> = Vec::new();
    for statement in statements {
        let text = serde_json::to_string(statement).unwrap_or_default();
        let size = text.chars().count();
        let sid = statement
            .get("Sid")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_owned();
        if overhead + size > max {
            return Err((sid, size));
        }
        let fits = bins.iter_mut().find(|(items, used)| {
            let comma = usize::from(!items.is_empty());
            overhead + used + comma + size <= max
        });
        match fits {
            Some((items, used)) => {
                *used += usize::from(!items.is_empty()) + size;
                items.push((sid, text));
            }
            None => bins.push((vec![(sid, text)], size)),
        }
    }
    Ok(bins
        .into_iter()
        .map(|(items, _)| {
            let mut content = String::from(VERSION_PREFIX);
            let mut sids = Vec::new();
            for (i, (sid, text)) in items.into_iter().enumerate() {
                if i > 0 {
                    content.push(',');
                }
                content.push_str(&text);
                sids.push(sid);
            }
            content.push_str(SUFFIX);
            (content, sids)
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn packing_respects_the_size_limit_and_keeps_order() {
        let statements: Vec<serde_json::Value> = (0..10)
            .map(|i| json!({"Sid": format!("S{i}"), "Effect": "Deny", "Action": ["ec2:RunInstances"], "Resource": "*"}))
            .collect();
        let one = serde_json::to_string(&statements[0]).unwrap().len();
        let max = VERSION_PREFIX.len() + SUFFIX.len() + 3 * one + 2;
        let documents = pack(&statements, max).unwrap();
        assert_eq!(documents.len(), 4);
        for (content, _) in &documents {
            assert!(content.len() <= max);
            serde_json::from_str::<serde_json::Value>(content).unwrap();
        }
        assert_eq!(documents[0].1, vec!["S0", "S1", "S2"]);
        let err = pack(&statements, 20).unwrap_err();
        assert_eq!(err.0, "S0");
    }
}
