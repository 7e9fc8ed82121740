use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, text, Flag};

declare_rule! {
    /// ## What it does
    /// Finds MSK clusters that accept plaintext from clients
    /// (`EncryptionInTransit.ClientBroker` `PLAINTEXT` or `TLS_PLAINTEXT`) or
    /// between brokers (`InCluster: false`). Not setting `ClientBroker`
    /// means `TLS`, AWS's default.
    ///
    /// ## Why is this bad?
    /// Orders and market data on the topics, and the SASL credentials of
    /// clients, travel in plain text.
    ///
    /// ## Example
    /// ```yaml
    /// Events:
    ///   Type: AWS::MSK::Cluster
    ///   Properties:
    ///     EncryptionInfo:
    ///       EncryptionInTransit:
    ///         ClientBroker: TLS_PLAINTEXT
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///         ClientBroker: TLS
    ///         InCluster: true
    /// ```
    ///
    /// ## References
    /// - [Amazon MSK encryption](https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html)
    /// - [AWS Config rule `msk-in-cluster-node-require-tls`](https://docs.aws.amazon.com/config/latest/developerguide/msk-in-cluster-node-require-tls.html)
    pub struct UnencryptedMskInTransit {
        name: "unencrypted-msk-in-transit",
        family: "data",
        summary: "MSK accepts plaintext connections",
        severity: High,
        guardrail: Some(GuardrailId::DataEncryption),
        config_rules: ["MSK_IN_CLUSTER_NODE_REQUIRE_TLS"],
        checkov: ["CKV_AWS_81"],
        kinds: ["AWS::MSK::Cluster"],
        fix: "set `ClientBroker: TLS` and `InCluster: true`",
    }
}

impl Rule for UnencryptedMskInTransit {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let base = ["EncryptionInfo", "EncryptionInTransit"];
        if let Some(mode @ ("PLAINTEXT" | "TLS_PLAINTEXT")) =
            text(check.props, &[base[0], base[1], "ClientBroker"])
        {
            out.push(
                Violation::new(format!(
                    "clients may connect in plaintext (`ClientBroker: {mode}`)"
                ))
                .at(&[base[0], base[1], "ClientBroker"]),
            );
        }
        if flag(check.props, &[base[0], base[1], "InCluster"]) == Flag::False {
            out.push(
                Violation::new("brokers talk to each other in plaintext (`InCluster: false`)")
                    .at(&[base[0], base[1], "InCluster"]),
            );
        }
    }
}
