use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{burst_check, deny, with_condition};

declare_rule! {
    /// ## What it does
    /// Finds ElastiCache (Valkey, Redis OSS, Memcached) clusters and
    /// replication groups of a denied burstable node type (by default
    /// `cache.t3`, `cache.t4g`).
    ///
    /// ## Why is this bad?
    /// Caches exist to answer in microseconds; a node out of CPU credits
    /// answers in milliseconds and every caller's latency follows.
    ///
    /// ## Example
    /// ```yaml
    /// Sessions:
    ///   Type: AWS::ElastiCache::ReplicationGroup
    ///   Properties:
    ///     CacheNodeType: cache.t4g.small
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     CacheNodeType: cache.r7g.large
    /// ```
    ///
    /// ## References
    /// - [Supported node types](https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html)
    /// - [`elasticache:CacheNodeType` condition key](https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html)
    pub struct BurstCacheNodeType {
        name: "burst-cache-node-type",
        family: "compute",
        summary: "ElastiCache uses a burstable node type",
        severity: High,
        guardrail: Some(GuardrailId::NoBurstInstances),
        config_rules: [],
        checkov: [],
        kinds: ["AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster"],
        fix: "use a memory-optimized node type such as `cache.r7g`",
    }
}

impl Rule for BurstCacheNodeType {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        burst_check(
            check,
            check.props.get("CacheNodeType"),
            &["CacheNodeType"],
            "node type",
            out,
        );
    }

    fn scp_statements(&self, context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        let patterns: Vec<String> = context
            .settings
            .denied_families
            .iter()
            .filter(|f| f.starts_with("cache."))
            .map(|f| format!("{f}.*"))
            .collect();
        if patterns.is_empty() {
            return Vec::new();
        }
        vec![with_condition(
            deny(
                "LandfallDenyBurstCaches",
                &[
                    "elasticache:CreateCacheCluster",
                    "elasticache:CreateReplicationGroup",
                    "elasticache:ModifyCacheCluster",
                    "elasticache:ModifyReplicationGroup",
                ],
                "*",
            ),
            "StringLike",
            "elasticache:CacheNodeType",
            serde_json::json!(patterns),
        )]
    }
}
