//! Who runs each stack in AWS: the answer `landfall deploy` acts on and the
//! deploy-permission proofs check, from one place.
//!
//! A stack in a member account runs as the baseline's CloudFormation
//! service role once the baseline that creates the role is deployed in
//! that account (the stack depends on it): CloudFormation then acts with
//! the role's own credentials, which it renews itself, instead of the
//! deployer's role session, which AWS caps at an hour when chained
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html#id_roles_use_view-role-max-session>).
//! Stacks before it, and stacks in the management account (StackSets never
//! deploy there), run with the deployer's credentials.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use landfall_graph::{Graph, Target};
use landfall_model::Model;
use serde_json::Value;

use crate::layers::baseline::{CLOUDFORMATION_ROLE, ROLE_PATH};

/// The service role of each stack that has one: stack name → the role's
/// path and name in the stack's account (`landfall/landfall-cloudformation`).
pub fn service_roles(model: &Model, graph: &Graph) -> BTreeMap<String, String> {
    let role = format!("{}{CLOUDFORMATION_ROLE}", ROLE_PATH.trim_start_matches('/'));
    let Some(creator) = graph.stacks.iter().find(|s| {
        s.resources.iter().any(|r| {
            r.kind == "AWS::IAM::Role"
                && r.properties.get("RoleName").and_then(Value::as_str) == Some(CLOUDFORMATION_ROLE)
        })
    }) else {
        return BTreeMap::new();
    };
    let covered: BTreeSet<&str> = match &creator.target {
        Target::Account { account, .. } => BTreeSet::from([account.as_str()]),
        Target::StackSet(set) => model
            .accounts_under(&set.organizational_units, &set.accounts)
            .map(|a| a.name.as_str())
            .collect(),
    };
    let mut dependents: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in &graph.stacks {
        for d in &s.depends_on {
            dependents.entry(d.as_str()).or_default().push(&s.name);
        }
    }
    let mut after: BTreeSet<&str> = BTreeSet::new();
    let mut todo = vec![creator.name.as_str()];
    while let Some(name) = todo.pop() {
        for &d in dependents.get(name).into_iter().flatten() {
            if after.insert(d) {
                todo.push(d);
            }
        }
    }
    graph
        .stacks
        .iter()
        .filter(|s| after.contains(s.name.as_str()))
        .filter_map(|s| match &s.target {
            Target::Account { account, .. } if covered.contains(account.as_str()) => {
                Some((s.name.clone(), role.clone()))
            }
            _ => None,
        })
        .collect()
}
