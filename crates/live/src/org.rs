//! The organization as it is: OUs, accounts and their placement, service
//! control policies and their attachments. Read through the management
//! account with a handful of calls per OU and policy.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::types::{AccountStatus, CreateAccountState, PolicyType, TargetType};

use crate::aws::Clients;
use crate::error::{code_of, LiveError};

#[derive(Debug, Clone, Default)]
pub struct OrgState {
    /// Whether the management account has an organization at all.
    pub exists: bool,
    pub organization_id: String,
    pub management_account_id: String,
    pub root_id: String,
    /// OU path (`Root/Workloads`) → id; `Root` → the root id.
    pub ous: BTreeMap<String, String>,
    pub accounts: Vec<LiveAccount>,
    /// Account creations still running: (request id, account name).
    pub creating: Vec<(String, String)>,
    pub scps: Vec<LiveScp>,
    pub trusted_services: BTreeSet<String>,
    /// Whether service control policies are enabled on the root.
    pub scps_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAccount {
    pub id: String,
    pub name: String,
    pub email: String,
    pub active: bool,
    /// Path of the OU (or `Root`) the account is in.
    pub parent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveScp {
    pub id: String,
    pub name: String,
    pub content: String,
    /// Ids of the roots, OUs and accounts it is attached to.
    pub targets: Vec<String>,
    pub aws_managed: bool,
}

impl OrgState {
    pub fn account(&self, name: &str) -> Option<&LiveAccount> {
        self.accounts.iter().find(|a| a.name == name)
    }

    pub fn account_by_id(&self, id: &str) -> Option<&LiveAccount> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn scp(&self, name: &str) -> Option<&LiveScp> {
        self.scps.iter().find(|s| s.name == name)
    }

    /// The path of an OU or root id.
    pub fn path_of(&self, id: &str) -> Option<&str> {
        self.ous
            .iter()
            .find(|(_, v)| *v == id)
            .map(|(k, _)| k.as_str())
    }

    /// Puts each live account under the name the spec gives it, matched by
    /// email (unique in AWS, unlike display names, which anyone can change):
    /// a renamed account is still found, and an account that only shares a
    /// spec account's name is not taken for it (it gets `name <email>`).
    /// Returns a note for each account so matched.
    pub fn match_accounts(&mut self, desired: &[crate::desired::DesiredAccount]) -> Vec<String> {
        let mut notes = Vec::new();
        for live in &mut self.accounts {
            let by_email = desired
                .iter()
                .find(|d| d.email.eq_ignore_ascii_case(&live.email));
            match by_email {
                Some(d) if d.name != live.name => {
                    notes.push(format!(
                        "account `{}` ({}) is named `{}` in AWS; matched to the spec by its email <{}>",
                        d.name, live.id, live.name, live.email
                    ));
                    live.name = d.name.clone();
                }
                Some(_) => {}
                None if desired.iter().any(|d| d.name == live.name) => {
                    notes.push(format!(
                        "account {} is named `{}` but its email <{}> is not the spec's: it is not taken for the spec's `{}`",
                        live.id, live.name, live.email, live.name
                    ));
                    live.name = format!("{} <{}>", live.name, live.email);
                }
                None => {}
            }
        }
        self.accounts.sort_by(|a, b| a.name.cmp(&b.name));
        notes
    }

    /// Id of an account by its model name.
    pub fn account_id(&self, name: &str) -> Option<&str> {
        self.account(name).map(|a| a.id.as_str())
    }
}

/// Reads the organization.
pub async fn read(mgmt: &Clients) -> Result<OrgState, LiveError> {
    let org = mgmt.organizations();
    let mut state = OrgState {
        management_account_id: mgmt.account_id.clone(),
        ..OrgState::default()
    };
    match org.describe_organization().send().await {
        Ok(out) => {
            state.exists = true;
            if let Some(o) = out.organization() {
                state.organization_id = o.id().unwrap_or_default().to_owned();
                state.management_account_id =
                    o.master_account_id().unwrap_or(&mgmt.account_id).to_owned();
            }
        }
        Err(e) if code_of(&e) == "AWSOrganizationsNotInUseException" => return Ok(state),
        Err(e) => return Err(LiveError::api("organizations:DescribeOrganization", &e)),
    }
    let roots = org
        .list_roots()
        .send()
        .await
        .map_err(|e| LiveError::api("organizations:ListRoots", &e))?;
    let Some(root) = roots.roots().first() else {
        return Err(LiveError::Plan("the organization has no root".into()));
    };
    state.root_id = root.id().unwrap_or_default().to_owned();
    state.scps_enabled = root.policy_types().iter().any(|p| {
        p.r#type() == Some(&PolicyType::ServiceControlPolicy)
            && p.status().is_some_and(|s| s.as_str() == "ENABLED")
    });
    state.ous.insert("Root".into(), state.root_id.clone());

    // OUs breadth first; accounts per parent.
    let mut queue = vec![("Root".to_owned(), state.root_id.clone())];
    while let Some((path, id)) = queue.pop() {
        let children = org
            .list_organizational_units_for_parent()
            .parent_id(&id)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| LiveError::api("organizations:ListOrganizationalUnitsForParent", &e))?;
        for ou in children.iter().flat_map(|p| p.organizational_units()) {
            let child = format!("{path}/{}", ou.name().unwrap_or_default());
            let child_id = ou.id().unwrap_or_default().to_owned();
            state.ous.insert(child.clone(), child_id.clone());
            queue.push((child, child_id));
        }
        let accounts = org
            .list_accounts_for_parent()
            .parent_id(&id)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| LiveError::api("organizations:ListAccountsForParent", &e))?;
        for a in accounts.iter().flat_map(|p| p.accounts()) {
            state.accounts.push(LiveAccount {
                id: a.id().unwrap_or_default().to_owned(),
                name: a.name().unwrap_or_default().to_owned(),
                email: a.email().unwrap_or_default().to_owned(),
                active: a.status() != Some(&AccountStatus::Suspended),
                parent: path.clone(),
            });
        }
    }
    state.accounts.sort_by(|a, b| a.name.cmp(&b.name));

    let creating = org
        .list_create_account_status()
        .states(CreateAccountState::InProgress)
        .send()
        .await
        .map_err(|e| LiveError::api("organizations:ListCreateAccountStatus", &e))?;
    for s in creating.create_account_statuses() {
        state.creating.push((
            s.id().unwrap_or_default().to_owned(),
            s.account_name().unwrap_or_default().to_owned(),
        ));
    }

    let policies = org
        .list_policies()
        .filter(PolicyType::ServiceControlPolicy)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| LiveError::api("organizations:ListPolicies", &e))?;
    for p in policies.iter().flat_map(|p| p.policies()) {
        let id = p.id().unwrap_or_default().to_owned();
        let described = org
            .describe_policy()
            .policy_id(&id)
            .send()
            .await
            .map_err(|e| LiveError::api("organizations:DescribePolicy", &e))?;
        let content = described
            .policy()
            .and_then(|p| p.content())
            .unwrap_or_default()
            .to_owned();
        let targets = org
            .list_targets_for_policy()
            .policy_id(&id)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| LiveError::api("organizations:ListTargetsForPolicy", &e))?;
        let targets: Vec<_> = targets.iter().flat_map(|p| p.targets()).collect();
        state.scps.push(LiveScp {
            id,
            name: p.name().unwrap_or_default().to_owned(),
            content,
            targets: targets
                .iter()
                .filter(|t| {
                    matches!(
                        t.r#type(),
                        Some(
                            TargetType::Root | TargetType::OrganizationalUnit | TargetType::Account
                        )
                    )
                })
                .filter_map(|t| t.target_id().map(str::to_owned))
                .collect(),
            aws_managed: p.aws_managed(),
        });
    }

    if let Ok(out) = org.list_aws_service_access_for_organization().send().await {
        for s in out.enabled_service_principals() {
            if let Some(p) = s.service_principal() {
                state.trusted_services.insert(p.to_owned());
            }
        }
    }
    Ok(state)
}

/// Whether two policy documents say the same (whitespace and key order aside).
pub fn same_policy(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::DesiredAccount;

    fn live(id: &str, name: &str, email: &str) -> LiveAccount {
        LiveAccount {
            id: id.into(),
            name: name.into(),
            email: email.into(),
            active: true,
            parent: "Root".into(),
        }
    }

    #[test]
    fn accounts_are_matched_by_email_not_by_display_name() {
        let desired = vec![
            DesiredAccount {
                name: "payments-dev".into(),
                email: "payments-dev@x.example".into(),
                ou: "Root".into(),
                environment: None,
            },
            DesiredAccount {
                name: "trading-dev".into(),
                email: "trading-dev@x.example".into(),
                ou: "Root".into(),
                environment: None,
            },
        ];
        let mut org = OrgState {
            accounts: vec![
                // Renamed in the console.
                live("111", "Payments (dev)", "Payments-Dev@x.example"),
                // Someone else's account that shares a name.
                live("222", "trading-dev", "other@y.example"),
            ],
            ..OrgState::default()
        };
        let notes = org.match_accounts(&desired);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(org.account_id("payments-dev"), Some("111"));
        assert_eq!(org.account_id("trading-dev"), None);
    }
}
