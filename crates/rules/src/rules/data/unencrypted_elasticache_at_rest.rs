use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, flag, with_condition, Flag};

declare_rule! {
    /// ## What it does
    /// Finds ElastiCache replication groups (Valkey, Redis OSS) without
    /// encryption at rest (`AtRestEncryptionEnabled` false or not set).
    ///
    /// ## Why is this bad?
    /// Snapshots and swap of an unencrypted cache hold sessions, tokens and
    /// positions in plain text. Encryption at rest cannot be enabled on an
    /// existing replication group.
    ///
    /// ## Example
    /// ```yaml
    /// Cache:
    ///   Type: AWS::ElastiCache::ReplicationGroup
    ///   Properties:
    ///     Engine: valkey
    ///     CacheNodeType: cache.r7g.large
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     AtRestEncryptionEnabled: true
    /// ```
    ///
    /// ## References
    /// - [At-rest encryption in ElastiCache](https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/at-rest-encryption.html)
    /// - [AWS Config rule `elasticache-repl-grp-encrypted-at-rest`](https://docs.aws.amazon.com/config/latest/developerguide/elasticache-repl-grp-encrypted-at-rest.html)
    pub struct UnencryptedElasticacheAtRest {
        name: "unencrypted-elasticache-at-rest",
        family: "data",
        summary: "ElastiCache replication group is not encrypted at rest",
        severity: High,
        guardrail: Some(GuardrailId::DataEncryption),
        config_rules: ["ELASTICACHE_REPL_GRP_ENCRYPTED_AT_REST"],
        checkov: ["CKV_AWS_29"],
        kinds: ["AWS::ElastiCache::ReplicationGroup"],
        fix: "set `AtRestEncryptionEnabled: true`",
    }
}

impl Rule for UnencryptedElasticacheAtRest {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        match flag(check.props, &["AtRestEncryptionEnabled"]) {
            Flag::False => out.push(
                Violation::new("`AtRestEncryptionEnabled: false`").at(&["AtRestEncryptionEnabled"]),
            ),
            Flag::Absent => out.push(Violation::new(
                "not encrypted at rest (`AtRestEncryptionEnabled` not set)",
            )),
            Flag::True | Flag::Unknown => {}
        }
    }

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![with_condition(
            deny(
                "LandfallDenyCachesUnencryptedAtRest",
                &["elasticache:CreateReplicationGroup"],
                "*",
            ),
            "Bool",
            "elasticache:AtRestEncryptionEnabled",
            serde_json::json!("false"),
        )]
    }
}
