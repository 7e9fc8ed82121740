use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{burst_check, deny, with_condition};

declare_rule! {
    /// ## What it does
    /// Finds RDS and Aurora instances (and Multi-AZ DB clusters) of a denied
    /// burstable class (by default `db.t3`, `db.t4g`).
    ///
    /// ## Why is this bad?
    /// A database that runs out of CPU credits slows every service that uses
    /// it at once, usually at the busiest moment of the day.
    ///
    /// ## Example
    /// ```yaml
    /// Orders:
    ///   Type: AWS::RDS::DBInstance
    ///   Properties:
    ///     DBInstanceClass: db.t3.medium
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     DBInstanceClass: db.r7g.large
    /// ```
    ///
    /// ## References
    /// - [DB instance classes](https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.html)
    /// - [`rds:DatabaseClass` condition key](https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html)
    pub struct BurstDatabaseClass {
        name: "burst-database-class",
        family: "compute",
        summary: "RDS or Aurora uses a burstable instance class",
        severity: High,
        guardrail: Some(GuardrailId::NoBurstInstances),
        config_rules: [],
        checkov: [],
        kinds: ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        fix: "use a memory-optimized or general-purpose class such as `db.r7g` or `db.m7g`",
    }
}

impl Rule for BurstDatabaseClass {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        for key in ["DBInstanceClass", "DBClusterInstanceClass"] {
            burst_check(check, check.props.get(key), &[key], "instance class", out);
        }
    }

    fn scp_statements(&self, context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        let patterns: Vec<String> = context
            .settings
            .denied_families
            .iter()
            .filter(|f| f.starts_with("db."))
            .map(|f| format!("{f}.*"))
            .collect();
        if patterns.is_empty() {
            return Vec::new();
        }
        vec![with_condition(
            deny(
                "LandfallDenyBurstDatabases",
                &[
                    "rds:CreateDBInstance",
                    "rds:ModifyDBInstance",
                    "rds:CreateDBInstanceReadReplica",
                    "rds:RestoreDBInstanceFromDBSnapshot",
                ],
                "*",
            ),
            "StringLike",
            "rds:DatabaseClass",
            serde_json::json!(patterns),
        )]
    }
}
