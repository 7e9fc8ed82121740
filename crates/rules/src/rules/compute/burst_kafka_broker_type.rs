use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::burst_check;

declare_rule! {
    /// ## What it does
    /// Finds Amazon MSK clusters whose brokers are of a denied burstable type
    /// (by default `kafka.t3`).
    ///
    /// ## Why is this bad?
    /// `kafka.t3.small` brokers are meant for development; under sustained
    /// load they throttle, and producers of market data or orders back up.
    /// MSK has no IAM condition key for the broker type, so no SCP can
    /// prevent it: the check before deployment is the guardrail.
    ///
    /// ## Example
    /// ```yaml
    /// Events:
    ///   Type: AWS::MSK::Cluster
    ///   Properties:
    ///     BrokerNodeGroupInfo:
    ///       InstanceType: kafka.t3.small
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       InstanceType: kafka.m7g.large
    /// ```
    ///
    /// ## References
    /// - [MSK broker types](https://docs.aws.amazon.com/msk/latest/developerguide/broker-instance-types.html)
    pub struct BurstKafkaBrokerType {
        name: "burst-kafka-broker-type",
        family: "compute",
        summary: "MSK cluster uses burstable brokers",
        severity: High,
        guardrail: Some(GuardrailId::NoBurstInstances),
        config_rules: [],
        checkov: [],
        kinds: ["AWS::MSK::Cluster"],
        fix: "use `kafka.m7g` or `kafka.m5` brokers",
    }
}

impl Rule for BurstKafkaBrokerType {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let path = ["BrokerNodeGroupInfo", "InstanceType"];
        burst_check(check, check.props.at(&path), &path, "broker type", out);
    }
}
