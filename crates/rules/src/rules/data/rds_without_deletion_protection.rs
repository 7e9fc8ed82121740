use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds RDS instances and Aurora clusters without deletion protection.
    /// Instances in a cluster (a `DBClusterIdentifier`, or an `aurora*`
    /// engine) are judged by their cluster.
    ///
    /// ## Why is this bad?
    /// One mistaken stack update or `terraform destroy` deletes the database;
    /// deletion protection turns that into an error.
    ///
    /// ## Example
    /// ```yaml
    /// Ledger:
    ///   Type: AWS::RDS::DBCluster
    ///   Properties:
    ///     Engine: aurora-postgresql
    ///     StorageEncrypted: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     DeletionProtection: true
    /// ```
    ///
    /// ## References
    /// - [Deletion protection](https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection)
    /// - [AWS Config rule `rds-instance-deletion-protection-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/rds-instance-deletion-protection-enabled.html)
    pub struct RdsWithoutDeletionProtection {
        name: "rds-without-deletion-protection",
        family: "data",
        summary: "database can be deleted by one mistaken change",
        severity: Medium,
        guardrail: None,
        config_rules: ["RDS_INSTANCE_DELETION_PROTECTION_ENABLED", "RDS_CLUSTER_DELETION_PROTECTION_ENABLED"],
        checkov: ["CKV_AWS_293", "CKV_AWS_139"],
        kinds: ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        fix: "set `DeletionProtection: true`",
    }
}

impl Rule for RdsWithoutDeletionProtection {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if crate::rules::helpers::instance_of_cluster(check.resource, check.props) {
            return;
        }
        if matches!(
            flag(check.props, &["DeletionProtection"]),
            Flag::False | Flag::Absent
        ) {
            out.push(Violation::new("deletion protection is off").at(&["DeletionProtection"]));
        }
    }
}
