use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds RDS instances and Aurora clusters with automated backups off
    /// (`BackupRetentionPeriod: 0`). Instances in a cluster (a
    /// `DBClusterIdentifier`, or an `aurora*` engine) are judged by their
    /// cluster.
    ///
    /// ## Why is this bad?
    /// No automated backups means no point-in-time recovery: a bad migration
    /// or a ransomware `DELETE` cannot be undone.
    ///
    /// ## Example
    /// ```yaml
    /// Ledger:
    ///   Type: AWS::RDS::DBInstance
    ///   Properties:
    ///     BackupRetentionPeriod: 0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     BackupRetentionPeriod: 14
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `db-instance-backup-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/db-instance-backup-enabled.html)
    pub struct RdsWithoutBackups {
        name: "rds-without-backups",
        family: "data",
        summary: "database has automated backups switched off",
        severity: High,
        guardrail: None,
        config_rules: ["DB_INSTANCE_BACKUP_ENABLED"],
        checkov: ["CKV_AWS_133"],
        kinds: ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        fix: "set `BackupRetentionPeriod` to at least 7 days",
    }
}

impl Rule for RdsWithoutBackups {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if crate::rules::helpers::instance_of_cluster(check.resource, check.props) {
            return;
        }
        if check
            .props
            .get("BackupRetentionPeriod")
            .and_then(crate::value::Value::as_i64)
            == Some(0)
        {
            out.push(
                Violation::new("automated backups are off (`BackupRetentionPeriod: 0`)")
                    .at(&["BackupRetentionPeriod"]),
            );
        }
    }
}
