//! AWS managed policies, as far as the access review needs them.
//!
//! `data/aws-managed-policies.json` holds, for each AWS managed policy the
//! platform attaches, the statements of its default version that name an
//! action of the services the review asks about (`services`), with the
//! policy's version and its page in the AWS Managed Policy Reference. A
//! statement naming only other services cannot allow a reviewed action, so
//! the projection decides every reviewed request as the whole policy
//! would. A policy not in the table is taken as allowing everything, as
//! the permission-set proofs do: the review may then over-report, never
//! miss an access.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

const DATA: &str = include_str!("../../data/aws-managed-policies.json");

#[derive(Debug, Deserialize)]
struct Table {
    services: Vec<String>,
    policies: Vec<ManagedPolicy>,
}

/// One AWS managed policy, projected on the reviewed services.
#[derive(Debug, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    pub version: String,
    pub page: String,
    pub statements: Vec<Value>,
}

impl ManagedPolicy {
    /// The projected policy document.
    pub fn document(&self) -> String {
        serde_json::json!({ "Version": "2012-10-17", "Statement": self.statements }).to_string()
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Embedded at compile time and checked by the tests below.
        serde_json::from_str(DATA).unwrap_or(Table {
            services: Vec::new(),
            policies: Vec::new(),
        })
    })
}

/// The AWS managed policy of this ARN (`arn:aws:iam::aws:policy/...`) or
/// name, when the table holds it.
pub fn lookup(arn_or_name: &str) -> Option<&'static ManagedPolicy> {
    table()
        .policies
        .iter()
        .find(|p| p.arn == arn_or_name || p.name == arn_or_name)
}

/// Services whose actions the table's projections keep.
pub fn projected_services() -> &'static [String] {
    &table().services
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_keeps_only_reviewed_services() {
        let table: Table = serde_json::from_str(DATA).unwrap();
        assert!(table.policies.len() >= 8);
        for policy in &table.policies {
            assert!(policy.page.starts_with("https://docs.aws.amazon.com/"));
            for statement in &policy.statements {
                let Some(actions) = statement.get("Action").and_then(Value::as_array) else {
                    continue;
                };
                for action in actions.iter().filter_map(Value::as_str) {
                    let service = action.split(':').next().unwrap();
                    assert!(
                        action == "*" || table.services.iter().any(|s| s == service),
                        "{}: {action}",
                        policy.name
                    );
                }
            }
        }
        assert!(lookup("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess").is_some());
        assert!(lookup("SecurityAudit").is_some());
    }
}
