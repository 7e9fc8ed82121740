//! The organization, from the management account: OUs, accounts and
//! service control policies.
//!
//! One unit, always cut into a `core` stack (top-level OUs, core and sandbox
//! accounts), one stack per domain (its OUs and accounts) and a `policies`
//! stack (SCPs, attached by `TargetIds` to OUs of the other stacks). Adding a
//! domain adds a stack; nothing existing moves. That matters more here than
//! anywhere: an account removed from one stack and added to another would be
//! a second `CreateAccount`, not a move.

use landfall_graph::{logical_id, Layer, OrganizationAction, ParameterValue, Target};
use landfall_model::{OrganizationalUnit, OuKind};
use landfall_spec::types::AccountClass;
use serde_json::{json, Value};

use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::{params, Ctx, Problem};
use landfall_rules::ScpSet;

/// The role every created account trusts from the management account.
pub const ACCOUNT_ACCESS_ROLE: &str = "OrganizationAccountAccessRole";

pub(crate) fn ou_logical_id(ou: &OrganizationalUnit) -> String {
    logical_id(&["Ou", &ou.path])
}

fn partition_of_domain(ctx: &Ctx<'_>, domain: Option<landfall_model::DomainId>) -> String {
    match domain {
        Some(d) => format!("domain-{}", ctx.model.domain(d).name),
        None => "core".to_owned(),
    }
}

pub(crate) fn build(ctx: &Ctx<'_>, scps: &ScpSet, problems: &mut Vec<Problem>) -> Vec<Unit> {
    let model = ctx.model;
    let mut unit = Unit::new(
        ctx.stack_name("organization", ""),
        Layer::Organization,
        format!(
            "{}: organizational units, accounts and service control policies",
            model.organization.name
        ),
        Target::Account {
            account: ctx.management.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    unit.fixed_depth = 1;
    let root = unit.parameter(
        params::ROOT_ID,
        "Id of the organization root (r-...)",
        ParameterValue::OrganizationRootId,
    );
    let parent_ref = |ou: Option<landfall_model::OuId>| -> Value {
        match ou.map(|id| model.ou(id)) {
            Some(parent) if parent.kind != OuKind::Root => json!({ "Ref": ou_logical_id(parent) }),
            _ => json!({ "Ref": root }),
        }
    };

    for ou in &model.organizational_units {
        if ou.kind == OuKind::Root {
            continue;
        }
        let part = partition_of_domain(ctx, ou.domain);
        unit.add(
            resource(
                ou_logical_id(ou),
                "AWS::Organizations::OrganizationalUnit",
                json!({
                    "Name": ou.name,
                    "ParentId": parent_ref(ou.parent),
                    "Tags": tags(&[("landfall:path", &ou.path)]),
                }),
            )
            .at(&[&part])
            .retain(),
        );
    }

    // CreateAccount runs at most `concurrent_account_creations` at a time per
    // organization; within a stack, each account waits for the one that
    // many places before it.
    let window = usize::try_from(model.limits.concurrent_account_creations)
        .unwrap_or(1)
        .max(1);
    let mut created: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for account in &model.accounts {
        if account.class == AccountClass::Management {
            continue;
        }
        let part = partition_of_domain(ctx, account.domain);
        let id = logical_id(&["Account", &account.name]);
        let mut tag_pairs: Vec<(&str, &str)> = vec![
            ("landfall:class", class_name(account.class)),
            ("landfall:owner", &account.owner.team),
        ];
        if let Some(d) = account.domain {
            tag_pairs.push(("landfall:domain", &model.domain(d).name));
        }
        if let Some(e) = account.environment {
            tag_pairs.push(("landfall:environment", &model.environment(e).name));
        }
        let mut r = resource(
            &id,
            "AWS::Organizations::Account",
            json!({
                "AccountName": account.name,
                "Email": account.email,
                "ParentIds": [parent_ref(Some(account.ou))],
                "RoleName": ACCOUNT_ACCESS_ROLE,
                "Tags": tags(&tag_pairs),
            }),
        )
        .at(&[&part])
        .origin(&account.origin)
        .retain();
        let before = created.entry(part).or_default();
        if before.len() >= window {
            r = r.depends(&before[before.len() - window]);
        }
        before.push(id);
        unit.add(r);
    }

    // SCPs come packed and sized from the guardrail registry; the size is
    // checked again here because an oversized policy fails only at deploy.
    for scp in &scps.policies {
        let chars = scp.content.chars().count() as u64;
        if chars > model.limits.scp_max_chars {
            problems.push(Problem {
                code: "limits::scp-size",
                message: format!(
                    "service control policy `{}` has {chars} characters, more than the {} AWS allows",
                    scp.name, model.limits.scp_max_chars
                ),
                help: "allow fewer services or regions, or raise `limits.scp_max_chars` if AWS raised it".into(),
                at: Some(model.organization.origin.clone()),
            });
        }
        let targets: Vec<Value> = scp.targets.iter().map(|ou| parent_ref(Some(*ou))).collect();
        if targets.is_empty() {
            continue;
        }
        unit.add(
            resource(
                logical_id(&["Scp", &scp.name]),
                "AWS::Organizations::Policy",
                json!({
                    "Name": scp.name,
                    "Description": scp.description.chars().take(512).collect::<String>(),
                    "Type": "SERVICE_CONTROL_POLICY",
                    "Content": scp.content,
                    "TargetIds": targets,
                }),
            )
            .at(&["policies"]),
        );
    }
    vec![unit]
}

pub(crate) fn class_name(class: AccountClass) -> &'static str {
    match class {
        AccountClass::Management => "management",
        AccountClass::LogArchive => "log-archive",
        AccountClass::SecurityTooling => "security-tooling",
        AccountClass::Networking => "networking",
        AccountClass::SharedServices => "shared-services",
        AccountClass::Observability => "observability",
        AccountClass::Backup => "backup",
        AccountClass::Sandbox => "sandbox",
        AccountClass::Workload => "workload",
    }
}

/// Organization settings with no CloudFormation resource type, made once
/// through the API before the stacks: trusted access for the services the
/// platform runs organization-wide, and their delegated administrators.
pub(crate) fn actions(ctx: &Ctx<'_>) -> Vec<OrganizationAction> {
    let mut out: Vec<OrganizationAction> = [
        "access-analyzer.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "config-multiaccountsetup.amazonaws.com",
        "config.amazonaws.com",
        "guardduty.amazonaws.com",
        "inspector2.amazonaws.com",
        "member.org.stacksets.cloudformation.amazonaws.com",
        "ram.amazonaws.com",
        "securityhub.amazonaws.com",
    ]
    .iter()
    .map(|p| OrganizationAction::EnableTrustedAccess {
        service_principal: (*p).to_owned(),
    })
    .collect();
    out.push(OrganizationAction::EnableRamSharingWithOrganization);
    if let Some(security) = ctx.security {
        for principal in [
            "access-analyzer.amazonaws.com",
            "config-multiaccountsetup.amazonaws.com",
            "config.amazonaws.com",
        ] {
            out.push(OrganizationAction::RegisterDelegatedAdministrator {
                service_principal: principal.to_owned(),
                account: security.name.clone(),
            });
        }
        // GuardDuty's administrator and auto-enable are per region; the
        // administrator's own detector comes with the designation.
        for region in &ctx.regions {
            out.push(OrganizationAction::EnableGuardDutyAdminInRegion {
                account: security.name.clone(),
                region: (*region).to_owned(),
            });
            out.push(OrganizationAction::AutoEnableGuardDuty {
                account: security.name.clone(),
                region: (*region).to_owned(),
                features: GUARDDUTY_FEATURES.iter().map(|f| (*f).to_owned()).collect(),
            });
        }
        // Amazon Inspector, like GuardDuty, has its administrator and
        // auto-enable per region and no resource type for either.
        for region in &ctx.regions {
            out.push(OrganizationAction::EnableInspectorAdminInRegion {
                account: security.name.clone(),
                region: (*region).to_owned(),
            });
            out.push(OrganizationAction::AutoEnableInspector {
                account: security.name.clone(),
                region: (*region).to_owned(),
                resource_types: INSPECTOR_RESOURCE_TYPES
                    .iter()
                    .map(|t| (*t).to_owned())
                    .collect(),
            });
        }
        // Security Hub's administrator in the home region is a resource of
        // the organization-trail stack; the other regions get the same one.
        for region in ctx.regions.iter().filter(|r| **r != ctx.home) {
            out.push(OrganizationAction::EnableSecurityHubAdminInRegion {
                account: security.name.clone(),
                region: (*region).to_owned(),
            });
        }
    }
    out
}

/// GuardDuty protection plans turned on in every member account: S3 data
/// events, and runtime monitoring with the agent GuardDuty manages on ECS
/// Fargate (the platform's tasks).
pub const GUARDDUTY_FEATURES: &[&str] = &[
    "S3_DATA_EVENTS",
    "RUNTIME_MONITORING",
    "RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT",
];

/// What Amazon Inspector scans in every member account: EC2 instances
/// (the metal capacity), ECR images (with the registries' enhanced
/// scanning) and Lambda functions.
pub const INSPECTOR_RESOURCE_TYPES: &[&str] = &["EC2", "ECR", "LAMBDA"];
