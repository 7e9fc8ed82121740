//! Amazon Inspector across the organization, as its delegated administrator
//! sees and sets it: the organization configuration (what accounts that
//! join get), the members, and what each account scans.
//!
//! CloudFormation has no resource type for any of this, so the deploy
//! makes the calls itself, the way AWS documents the setup
//! (<https://docs.aws.amazon.com/inspector/latest/user/managing-multiple-accounts.html>):
//! auto-enable reaches only accounts that join later; the accounts that
//! exist are associated with the administrator and enabled one by one.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_inspector2::types::{AutoEnable, ResourceScanType};
use aws_sdk_inspector2::Client;

use crate::error::{code_of, sdk_message};
use crate::org::OrgState;
use crate::plan::InspectorLive;

/// Most account ids one `BatchGetAccountStatus` takes
/// (<https://docs.aws.amazon.com/inspector/v2/APIReference/API_BatchGetAccountStatus.html>).
const STATUS_BATCH: usize = 10;

/// Most account ids one `Enable` takes
/// (<https://docs.aws.amazon.com/inspector/v2/APIReference/API_Enable.html>).
const ENABLE_BATCH: usize = 100;

/// The IAM actions [`read_state`] and the plan's administrator lookup
/// need: the read-only plan role and the audit role must allow each.
pub const READ_ACTIONS: &[&str] = &[
    "inspector2:ListDelegatedAdminAccounts",
    "inspector2:DescribeOrganizationConfiguration",
    "inspector2:ListMembers",
    "inspector2:BatchGetAccountStatus",
];

/// Statuses under which an account's scanning of a type counts as on.
const SCANNING: &[&str] = &["ENABLED", "ENABLING"];

/// What the administrator `inspector` reports for the organization `org`.
pub async fn read_state(inspector: &Client, org: &OrgState) -> Result<InspectorLive, String> {
    let mut state = InspectorLive::default();
    let config = inspector
        .describe_organization_configuration()
        .send()
        .await
        .map_err(|e| sdk_message(&e))?;
    if let Some(auto) = config.auto_enable() {
        let flags = [
            ("EC2", auto.ec2()),
            ("ECR", auto.ecr()),
            ("LAMBDA", auto.lambda().unwrap_or(false)),
            ("LAMBDA_CODE", auto.lambda_code().unwrap_or(false)),
        ];
        state.auto_enabled = flags
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(t, _)| t.to_owned())
            .collect();
    }
    let pages = inspector
        .list_members()
        .only_associated(true)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| sdk_message(&e))?;
    state.members = pages
        .iter()
        .flat_map(|p| p.members())
        .filter(|m| {
            m.relationship_status()
                .is_some_and(|s| s.as_str() == "ENABLED")
        })
        .filter_map(|m| m.account_id().map(str::to_owned))
        .collect();
    let mut ids: Vec<String> = org.accounts.iter().map(|a| a.id.clone()).collect();
    if !ids.contains(&org.management_account_id) {
        ids.push(org.management_account_id.clone());
    }
    for chunk in ids.chunks(STATUS_BATCH) {
        let out = inspector
            .batch_get_account_status()
            .set_account_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_message(&e))?;
        for account in out.accounts() {
            state
                .scanning
                .insert(account.account_id().to_owned(), scanned_types(account));
        }
    }
    Ok(state)
}

/// The resource types an account's status reports as scanned.
fn scanned_types(account: &aws_sdk_inspector2::types::AccountState) -> BTreeSet<String> {
    let Some(r) = account.resource_state() else {
        return BTreeSet::new();
    };
    let on = |s: Option<&aws_sdk_inspector2::types::State>| {
        s.is_some_and(|s| SCANNING.contains(&s.status().as_str()))
    };
    [
        ("EC2", on(r.ec2())),
        ("ECR", on(r.ecr())),
        ("LAMBDA", on(r.lambda())),
        ("LAMBDA_CODE", on(r.lambda_code())),
    ]
    .into_iter()
    .filter(|(_, scanned)| *scanned)
    .map(|(t, _)| t.to_owned())
    .collect()
}

/// Turns Inspector on from its administrator `inspector` (whose account id
/// is `admin`): `resource_types` for every account that joins when
/// `auto_enable`, and for `members` (account ids) now.
pub async fn enable(
    inspector: &Client,
    admin: &str,
    resource_types: &[String],
    auto_enable: bool,
    members: &[String],
) -> Result<(), String> {
    if auto_enable {
        let has = |t: &str| resource_types.iter().any(|r| r == t);
        let auto = AutoEnable::builder()
            .ec2(has("EC2"))
            .ecr(has("ECR"))
            .lambda(has("LAMBDA"))
            .lambda_code(has("LAMBDA_CODE"))
            .build()
            .map_err(|e| e.to_string())?;
        inspector
            .update_organization_configuration()
            .auto_enable(auto)
            .send()
            .await
            .map_err(|e| sdk_message(&e))?;
    }
    if members.is_empty() {
        return Ok(());
    }
    let associated: BTreeSet<String> = inspector
        .list_members()
        .only_associated(true)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| sdk_message(&e))?
        .iter()
        .flat_map(|p| p.members())
        .filter(|m| {
            m.relationship_status()
                .is_some_and(|s| s.as_str() == "ENABLED")
        })
        .filter_map(|m| m.account_id().map(str::to_owned))
        .collect();
    // The administrator is not its own member; the others must be
    // associated before `Enable` may name them.
    for id in members
        .iter()
        .filter(|id| *id != admin && !associated.contains(*id))
    {
        match inspector.associate_member().account_id(id).send().await {
            Ok(_) => {}
            Err(e) if code_of(&e) == "ConflictException" => {}
            Err(e) => return Err(format!("associating {id}: {}", sdk_message(&e))),
        }
    }
    let types: Vec<ResourceScanType> = resource_types
        .iter()
        .map(|t| ResourceScanType::from(t.as_str()))
        .collect();
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for chunk in members.chunks(ENABLE_BATCH) {
        let out = inspector
            .enable()
            .set_account_ids(Some(chunk.to_vec()))
            .set_resource_types(Some(types.clone()))
            .send()
            .await
            .map_err(|e| sdk_message(&e))?;
        for f in out.failed_accounts() {
            failed.insert(
                f.account_id().to_owned(),
                format!("{} ({})", f.error_message(), f.error_code().as_str()),
            );
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed
            .iter()
            .map(|(id, why)| format!("{id}: {why}"))
            .collect::<Vec<_>>()
            .join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `plan --read-only` reads Inspector as the audit role and the plan
    /// role; a read their policies lack is an unreadable Inspector, which
    /// plans every account again. `BatchGetAccountStatus` was once missing.
    #[test]
    fn the_read_only_plan_may_make_every_inspector_read() {
        let allowed: Vec<&str> = landfall_synth::layers::platform_ci::PLAN_READS
            .iter()
            .map(|(action, _)| *action)
            .collect();
        for action in READ_ACTIONS {
            assert!(allowed.contains(action), "{action} is not in PLAN_READS");
        }
    }
}
