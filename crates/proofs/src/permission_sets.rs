//! Proofs over IAM Identity Center permission sets: a set the spec declares
//! without data access (`data_access: false`) cannot read data in any
//! account it is assigned to, with its policies and the account's SCPs in
//! place.
//!
//! Landfall holds no copy of AWS managed policies, which AWS changes
//! without notice, so each is taken as allowing everything: the promise
//! holds only through a deny of the set's own (its inline policy) or an
//! SCP, which is what keeps it whatever AWS adds to the managed policy.
//! The spec's statements have no conditions, so one request per action and
//! account decides.

use std::collections::BTreeSet;

use landfall_iam::authorize::{evaluate, PolicySet};
use landfall_iam::json::JsonLimits;
use landfall_iam::request::{ContextValue, Request, RequestInput};
use landfall_model::{AccountId, Model, PermissionSet};
use landfall_spec::types::AccountClass;

use crate::{
    compile, default_resource, placeholder_id, AccountVerdict, IntentReport, OrgPolicies, Verdict,
    FULL_AWS_ACCESS,
};

/// Reads that return customer data: objects, table items, stream records,
/// secrets, rows through the Data API, Kafka messages.
pub const DATA_READ_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
    "dynamodb:GetRecords",
    "secretsmanager:GetSecretValue",
    "rds-data:ExecuteStatement",
    "kafka-cluster:ReadData",
];

/// The role Identity Center creates in an account for a permission set
/// (<https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html>).
pub fn reserved_role(account_id: &str, set: &str) -> String {
    format!(
        "arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{set}_0123456789abcdef"
    )
}

/// The accounts a permission set is assigned to, standing or on call.
pub fn assigned_accounts(model: &Model, set: &PermissionSet) -> BTreeSet<AccountId> {
    let standing = model
        .identity
        .groups
        .iter()
        .flat_map(|g| g.access.iter())
        .filter(|(s, _)| *s == set.id)
        .flat_map(|(_, accounts)| accounts.iter().copied());
    let on_call = model
        .identity
        .on_call
        .iter()
        .filter(|o| o.permission_set == set.id)
        .flat_map(|o| o.accounts.iter().copied());
    standing.chain(on_call).collect()
}

/// One report per permission set without data access.
pub fn prove_permission_sets(model: &Model, policies: &OrgPolicies) -> Vec<IntentReport> {
    let limits = JsonLimits::default();
    let home = model.region(model.organization.home_region).name.clone();
    let management = model
        .core_account(AccountClass::Management)
        .map(|a| placeholder_id(a.id));
    let mut reports = Vec::new();
    for set in model
        .identity
        .permission_sets
        .iter()
        .filter(|s| !s.data_access)
    {
        let mut identity = Vec::new();
        if let Ok(all) = compile(
            "AwsManagedPoliciesAllowEverything",
            FULL_AWS_ACCESS,
            &limits,
        ) {
            identity.push(all);
        }
        if let Some(document) = &set.inline_policy {
            match compile(&format!("{}-inline", set.name), document, &limits) {
                Ok(inline) => identity.push(inline),
                Err(_) => {
                    reports.push(IntentReport {
                        intent: intent_name(set),
                        description: description(set),
                        skipped: Some("the inline policy does not parse".to_owned()),
                        accounts: Vec::new(),
                    });
                    continue;
                }
            }
        }
        let mut accounts = Vec::new();
        for account in assigned_accounts(model, set) {
            let account = model.account(account);
            let id = placeholder_id(account.id);
            let scps = policies
                .account(account.id)
                .map(|p| p.scps.clone())
                .unwrap_or_default();
            let set_policies = PolicySet {
                identity: identity.clone(),
                scps,
                ..PolicySet::default()
            };
            let mut verdict = Verdict::Holds {
                requests_checked: 0,
            };
            for (checked, action) in DATA_READ_ACTIONS.iter().enumerate() {
                let input = RequestInput {
                    principal: reserved_role(&id, &set.name),
                    action: (*action).to_owned(),
                    resource: default_resource(action, &home, &id).unwrap_or_else(|| "*".into()),
                    resource_account: Some(id.clone()),
                    context: [(
                        "aws:RequestedRegion".to_owned(),
                        ContextValue::One(home.clone()),
                    )]
                    .into_iter()
                    .collect(),
                    management_account: management.clone(),
                };
                let decision = evaluate(&set_policies, &Request::new(input.clone()));
                if decision.is_allowed() {
                    verdict = Verdict::Fails {
                        counterexample: input,
                        requests_checked: checked + 1,
                    };
                    break;
                }
                verdict = Verdict::Holds {
                    requests_checked: checked + 1,
                };
            }
            accounts.push(AccountVerdict {
                account: account.name.clone(),
                verdict,
            });
        }
        reports.push(IntentReport {
            intent: intent_name(set),
            description: description(set),
            skipped: None,
            accounts,
        });
    }
    reports
}

fn intent_name(set: &PermissionSet) -> String {
    format!("no-data-reads-as-{}", set.name)
}

fn description(set: &PermissionSet) -> String {
    format!(
        "`{}` cannot read S3 objects, table items or secrets in any account it is assigned to",
        set.name
    )
}
