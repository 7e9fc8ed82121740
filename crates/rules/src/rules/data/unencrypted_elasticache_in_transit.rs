use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, flag, with_condition, Flag};

declare_rule! {
    /// ## What it does
    /// Finds ElastiCache replication groups and standalone cache clusters
    /// without TLS (`TransitEncryptionEnabled` false or not set). Cache
    /// clusters that are members of a replication group are judged by it.
    ///
    /// ## Why is this bad?
    /// Without TLS, cache traffic (session tokens, prices, positions) and the
    /// AUTH token cross the VPC in plain text.
    ///
    /// ## Example
    /// ```yaml
    /// Cache:
    ///   Type: AWS::ElastiCache::ReplicationGroup
    ///   Properties:
    ///     Engine: valkey
    ///     TransitEncryptionEnabled: false
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     TransitEncryptionEnabled: true
    /// ```
    ///
    /// ## References
    /// - [In-transit encryption in ElastiCache](https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/in-transit-encryption.html)
    /// - [AWS Config rule `elasticache-repl-grp-encrypted-in-transit`](https://docs.aws.amazon.com/config/latest/developerguide/elasticache-repl-grp-encrypted-in-transit.html)
    pub struct UnencryptedElasticacheInTransit {
        name: "unencrypted-elasticache-in-transit",
        family: "data",
        summary: "ElastiCache does not require TLS",
        severity: High,
        guardrail: Some(GuardrailId::DataEncryption),
        config_rules: ["ELASTICACHE_REPL_GRP_ENCRYPTED_IN_TRANSIT"],
        checkov: ["CKV_AWS_30"],
        kinds: ["AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster"],
        fix: "set `TransitEncryptionEnabled: true`",
    }
}

impl Rule for UnencryptedElasticacheInTransit {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if check.resource.kind == "AWS::ElastiCache::CacheCluster"
            && check
                .props
                .get("ReplicationGroupId")
                .is_some_and(|v| !matches!(v, crate::value::Value::Null))
        {
            return;
        }
        match flag(check.props, &["TransitEncryptionEnabled"]) {
            Flag::False => out.push(
                Violation::new("`TransitEncryptionEnabled: false`")
                    .at(&["TransitEncryptionEnabled"]),
            ),
            Flag::Absent => out.push(Violation::new(
                "no TLS in transit (`TransitEncryptionEnabled` not set)",
            )),
            Flag::True | Flag::Unknown => {}
        }
    }

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![with_condition(
            deny(
                "LandfallDenyCachesWithoutTls",
                &[
                    "elasticache:CreateReplicationGroup",
                    "elasticache:ModifyReplicationGroup",
                ],
                "*",
            ),
            "Bool",
            "elasticache:TransitEncryptionEnabled",
            serde_json::json!("false"),
        )]
    }
}
