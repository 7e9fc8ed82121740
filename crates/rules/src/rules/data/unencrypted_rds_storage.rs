use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, flag, with_condition, Flag};

declare_rule! {
    /// ## What it does
    /// Finds RDS instances and Aurora clusters without storage encryption
    /// (`StorageEncrypted` false or not set). Instances that belong to a
    /// cluster (a `DBClusterIdentifier`, or an `aurora*` engine) are judged
    /// by their cluster.
    ///
    /// ## Why is this bad?
    /// The database, its automated backups, snapshots and read replicas are
    /// all unencrypted, and encryption cannot be switched on later without a
    /// snapshot restore and a cut-over.
    ///
    /// ## Example
    /// ```yaml
    /// Orders:
    ///   Type: AWS::RDS::DBCluster
    ///   Properties:
    ///     Engine: aurora-postgresql
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     StorageEncrypted: true
    ///     KmsKeyId: !Ref DataKey
    /// ```
    ///
    /// ## References
    /// - [Encrypting Amazon RDS resources](https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html)
    /// - [AWS Config rule `rds-storage-encrypted`](https://docs.aws.amazon.com/config/latest/developerguide/rds-storage-encrypted.html)
    pub struct UnencryptedRdsStorage {
        name: "unencrypted-rds-storage",
        family: "data",
        summary: "RDS or Aurora storage is not encrypted",
        severity: High,
        guardrail: Some(GuardrailId::DataEncryption),
        config_rules: ["RDS_STORAGE_ENCRYPTED", "RDS_CLUSTER_ENCRYPTED_AT_REST"],
        checkov: ["CKV_AWS_16", "CKV_AWS_96"],
        kinds: ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        fix: "set `StorageEncrypted: true` (with `KmsKeyId` for a customer managed key)",
    }
}

impl Rule for UnencryptedRdsStorage {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if crate::rules::helpers::instance_of_cluster(check.resource, check.props) {
            return;
        }
        match flag(check.props, &["StorageEncrypted"]) {
            Flag::False => out.push(
                Violation::new("storage has `StorageEncrypted: false`").at(&["StorageEncrypted"]),
            ),
            Flag::Absent => out.push(Violation::new(
                "storage is not encrypted (`StorageEncrypted` not set)",
            )),
            Flag::True | Flag::Unknown => {}
        }
    }

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![with_condition(
            deny(
                "LandfallDenyUnencryptedDatabases",
                &["rds:CreateDBInstance", "rds:CreateDBCluster"],
                "*",
            ),
            "Bool",
            "rds:StorageEncrypted",
            serde_json::json!("false"),
        )]
    }
}
