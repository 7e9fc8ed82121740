//! SSO permission sets, groups, their assignments and on-call access.

use landfall_spec::types::{AccountClass, AccountSelector};
use landfall_spec::{Pointer, Spec};

use super::organization::Org;
use super::{item, Names, Resolver};
use crate::limits::Limits;
use crate::model::*;

pub(crate) fn resolve(r: &mut Resolver<'_>, spec: &Spec, org: &Org, limits: &Limits) -> Identity {
    let Some(identity) = spec.identity.as_ref() else {
        return Identity {
            identity_source: "external-idp".to_owned(),
            permission_sets: Vec::new(),
            groups: Vec::new(),
            on_call: Vec::new(),
        };
    };
    let at = &identity.at;
    let mut permission_sets = Vec::new();
    let mut set_names = Names::new("permission set");
    let set_origins: Vec<Pointer> = (0..identity.permission_sets.len())
        .map(|i| item(at, "permission_sets", i).child("name"))
        .collect();
    for (i, set) in identity.permission_sets.iter().enumerate() {
        let set_at = item(at, "permission_sets", i);
        let valid = !set.name.is_empty()
            && set.name.len() <= 32
            && set
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
        if !valid {
            r.error(
                "spec::invalid-name",
                format!("`{}` is not a valid permission set name", set.name),
                &set_at.child("name"),
                "letters, digits and `+=,.@-_`, at most 32 characters",
                "for example `PlatformEngineer`",
            );
            continue;
        }
        let id = PermissionSetId::from_index(permission_sets.len());
        let first_at = |existing: PermissionSetId| set_origins[existing.index()].clone();
        if !r.define(
            &mut set_names,
            &set.name,
            id,
            &set_at.child("name"),
            &first_at,
        ) {
            continue;
        }
        let max_hours = limits.permission_set_max_session_hours;
        if set.session_hours == 0 || u64::from(set.session_hours) > max_hours {
            r.error(
                "limits::session-duration",
                format!("a session of {} hours is not allowed", set.session_hours),
                &set_at.child("session_hours"),
                format!("IAM Identity Center allows 1 to {max_hours}"),
                format!("choose 1 to {max_hours} hours"),
            );
        }
        if set.managed_policies.len() as u64 > limits.managed_policies_per_permission_set {
            r.error_at_key(
                "limits::managed-policies-per-permission-set",
                format!(
                    "{} managed policies attached; a permission set takes at most {}",
                    set.managed_policies.len(),
                    limits.managed_policies_per_permission_set
                ),
                &set_at.child("managed_policies"),
                "too many",
                "combine them into a customer managed policy",
            );
        }
        let inline_policy = inline_policy(r, set, &set_at, limits);
        permission_sets.push(PermissionSet {
            id,
            name: set.name.clone(),
            description: set.description.clone(),
            managed_policies: set.managed_policies.clone(),
            session_hours: set.session_hours,
            inline_policy,
            data_access: set.data_access,
            origin: set_at.clone(),
        });
    }

    let mut groups = Vec::new();
    let mut group_names = Names::new("group");
    let group_origins: Vec<Pointer> = (0..identity.groups.len())
        .map(|i| item(at, "groups", i).child("name"))
        .collect();
    for (i, group) in identity.groups.iter().enumerate() {
        let group_at = item(at, "groups", i);
        let id = GroupId::from_index(groups.len());
        let first_at = |existing: GroupId| group_origins[existing.index()].clone();
        if !r.define(
            &mut group_names,
            &group.name,
            id,
            &group_at.child("name"),
            &first_at,
        ) {
            continue;
        }
        groups.push((id, group_at, group));
    }
    let groups: Vec<Group> = groups
        .into_iter()
        .map(|(id, group_at, group)| {
            let access = group
                .access
                .iter()
                .enumerate()
                .filter_map(|(j, assignment)| {
                    let assignment_at = item(&group_at, "access", j);
                    let set = r.lookup(
                        &set_names,
                        &assignment.permission_set,
                        &assignment_at.child("permission_set"),
                    );
                    let accounts = select(
                        r,
                        org,
                        &assignment.accounts,
                        &assignment_at.child("accounts"),
                    );
                    Some((set?, accounts))
                })
                .collect();
            Group {
                id,
                name: group.name.clone(),
                access,
            }
        })
        .collect();

    let mut on_call = Vec::new();
    for (i, access) in identity.on_call.iter().enumerate() {
        let access_at = item(at, "on_call", i);
        let group = r.lookup(&group_names, &access.group, &access_at.child("group"));
        let set = r.lookup(
            &set_names,
            &access.permission_set,
            &access_at.child("permission_set"),
        );
        let approvers = access
            .approvers
            .as_ref()
            .and_then(|name| r.lookup(&group_names, name, &access_at.child("approvers")));
        let accounts = select(r, org, &access.accounts, &access_at.child("accounts"));
        if access.max_hours == 0 || access.max_hours > 12 {
            r.error(
                "spec::on-call-duration",
                format!(
                    "on-call access of {} hours is not allowed",
                    access.max_hours
                ),
                &access_at.child("max_hours"),
                "expected 1 to 12",
                "temporary access lasts a shift at most; choose 1 to 12 hours",
            );
        }
        // A grant lasts no longer than the sessions it opens: the sign-in
        // portal ends a session at the permission set's length.
        if let Some(set) = set.and_then(|s| permission_sets.iter().find(|p| p.id == s)) {
            if (1..=12).contains(&access.max_hours) && access.max_hours > set.session_hours {
                r.error(
                    "spec::on-call-longer-than-session",
                    format!(
                        "on-call access of {} hours is longer than `{}`'s sessions of {} hours",
                        access.max_hours, set.name, set.session_hours
                    ),
                    &access_at.child("max_hours"),
                    format!("at most {} hours", set.session_hours),
                    format!(
                        "lower `max_hours` to {} or lengthen the permission set's `session_hours`",
                        set.session_hours
                    ),
                );
            }
        }
        // Grants are made from the security-tooling account, Identity
        // Center's delegated administrator, which cannot assign into the
        // management account
        // (https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html).
        let delegated = org
            .accounts
            .iter()
            .any(|a| a.class == AccountClass::SecurityTooling);
        if delegated
            && accounts
                .iter()
                .any(|a| org.accounts[a.index()].class == AccountClass::Management)
        {
            r.error_at_key(
                "spec::on-call-in-management",
                "on-call access cannot be granted in the management account",
                &access_at.child("accounts"),
                "selects the management account",
                "grants are made by Identity Center's delegated administrator (security tooling), which cannot assign there; give standing access to the few who need it",
            );
        }
        if access.break_glass && access.approvers.is_none() {
            r.error_at_key(
                "spec::break-glass-without-approvers",
                "break-glass access needs approvers to review each grant afterwards",
                &access_at.child("break_glass"),
                "no one to review",
                "add `approvers:` naming the group that reviews break-glass grants",
            );
        }
        let touches_production = accounts.iter().any(|a| {
            org.accounts[a.index()]
                .environment
                .is_some_and(|e| org.environments[e.index()].production)
        });
        if touches_production && access.approvers.is_none() {
            r.error_at_key(
                "spec::unapproved-production-access",
                "on-call access to production needs approvers",
                &access_at.child("accounts"),
                "production accounts",
                "add `approvers:` naming the group that approves each grant",
            );
        }
        if let (Some(group), Some(permission_set)) = (group, set) {
            on_call.push(OnCall {
                group,
                permission_set,
                accounts,
                max_hours: access.max_hours,
                approvers,
                break_glass: access.break_glass,
                origin: access_at.clone(),
            });
        }
    }

    // A domain's owning team is who gets its alerts, budgets and on-call
    // access; a team the directory does not know has no way in.
    for domain in &org.domains {
        let team = &domain.owner.team;
        if group_names.get(team).is_some() || r.loaded.may_be_declared_in_unloaded_part(team) {
            continue;
        }
        let help = match landfall_diagnostics::did_you_mean(
            team,
            group_names.by_name.keys().map(String::as_str),
        ) {
            guess if guess.starts_with("did you mean") => guess,
            _ => format!(
                "add a group `{team}` under `identity.groups` with access to the domain's accounts"
            ),
        };
        r.warning(
            "spec::owner-without-group",
            format!(
                "domain `{}` is owned by `{team}`, which is not an identity group",
                domain.name
            ),
            &domain.origin.child("owner").child("team"),
            "no group of this name",
            help,
        );
    }

    Identity {
        identity_source: identity.identity_source.clone(),
        permission_sets,
        groups,
        on_call,
    }
}

/// The inline policy document of a permission set, compact JSON, when it
/// has statements; an action that is not `service:action` is reported.
fn inline_policy(
    r: &mut Resolver<'_>,
    set: &landfall_spec::types::PermissionSet,
    at: &Pointer,
    limits: &Limits,
) -> Option<String> {
    if set.inline_policy.is_empty() {
        return None;
    }
    let mut statements = Vec::new();
    for (i, statement) in set.inline_policy.iter().enumerate() {
        let statement_at = item(at, "inline_policy", i);
        if statement.actions.is_empty() {
            r.error_at_key(
                "spec::empty-statement",
                "this statement names no action",
                &statement_at.child("actions"),
                "no actions",
                "list the IAM actions it allows or denies, for example `s3:GetObject`",
            );
        }
        for (j, action) in statement.actions.iter().enumerate() {
            let well_formed = action == "*"
                || action.split_once(':').is_some_and(|(service, name)| {
                    !service.is_empty()
                        && !name.is_empty()
                        && service
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !well_formed {
                r.error(
                    "spec::invalid-action",
                    format!("`{action}` is not an IAM action"),
                    &item(&statement_at, "actions", j),
                    "expected `service:Action`",
                    "for example `s3:GetObject` or `dynamodb:*`",
                );
            }
        }
        let mut value = serde_json::Map::new();
        if let Some(sid) = &statement.sid {
            value.insert("Sid".into(), sid.clone().into());
        }
        let effect = match statement.effect {
            landfall_spec::types::PolicyEffect::Allow => "Allow",
            landfall_spec::types::PolicyEffect::Deny => "Deny",
        };
        value.insert("Effect".into(), effect.into());
        value.insert("Action".into(), statement.actions.clone().into());
        let resources = if statement.resources.is_empty() {
            vec!["*".to_owned()]
        } else {
            statement.resources.clone()
        };
        value.insert("Resource".into(), resources.into());
        statements.push(serde_json::Value::Object(value));
    }
    let document =
        serde_json::json!({ "Version": "2012-10-17", "Statement": statements }).to_string();
    let max = limits.permission_set_inline_policy_max_chars;
    if document.chars().count() as u64 > max {
        r.error_at_key(
            "limits::inline-policy-size",
            format!(
                "the inline policy has {} characters; a permission set's takes at most {max}",
                document.chars().count()
            ),
            &at.child("inline_policy"),
            "too large",
            "move statements into a customer managed policy",
        );
    }
    Some(document)
}

/// The accounts a selector matches; every criterion given must match.
pub(crate) fn select(
    r: &mut Resolver<'_>,
    org: &Org,
    selector: &AccountSelector,
    at: &Pointer,
) -> Vec<AccountId> {
    if selector.classes.is_empty()
        && selector.domains.is_empty()
        && selector.environments.is_empty()
        && selector.names.is_empty()
    {
        r.error(
            "spec::empty-selector",
            "this account selector selects nothing",
            at,
            "no criteria",
            "give `classes`, `domains`, `environments` or `names`",
        );
        return Vec::new();
    }
    let domains: Vec<DomainId> = selector
        .domains
        .iter()
        .enumerate()
        .filter_map(|(i, name)| r.lookup(&org.domain_names, name, &item(at, "domains", i)))
        .collect();
    let environments: Vec<EnvId> = selector
        .environments
        .iter()
        .enumerate()
        .filter_map(|(i, name)| r.lookup(&org.env_names, name, &item(at, "environments", i)))
        .collect();
    let names: Vec<AccountId> = selector
        .names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| r.lookup(&org.account_names, name, &item(at, "names", i)))
        .collect();
    let selected: Vec<AccountId> = org
        .accounts
        .iter()
        .filter(|a| selector.classes.is_empty() || selector.classes.contains(&a.class))
        .filter(|a| {
            domains.is_empty() && selector.domains.is_empty()
                || a.domain.is_some_and(|d| domains.contains(&d))
        })
        .filter(|a| {
            environments.is_empty() && selector.environments.is_empty()
                || a.environment.is_some_and(|e| environments.contains(&e))
        })
        .filter(|a| names.is_empty() && selector.names.is_empty() || names.contains(&a.id))
        .map(|a| a.id)
        .collect();
    if selected.is_empty() && !r.incomplete {
        r.warning(
            "spec::selector-matches-nothing",
            "this account selector matches no account",
            at,
            "no account has all of these",
            "check the criteria: all of them must match",
        );
    }
    if selected
        .iter()
        .any(|a| org.accounts[a.index()].class == AccountClass::Management)
        && selector
            .classes
            .iter()
            .all(|c| *c != AccountClass::Management)
        && selector.names.is_empty()
    {
        // Only explicit selection may touch the management account.
        return selected
            .into_iter()
            .filter(|a| org.accounts[a.index()].class != AccountClass::Management)
            .collect();
    }
    selected
}
