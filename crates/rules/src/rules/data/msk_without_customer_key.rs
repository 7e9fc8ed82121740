use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds MSK clusters whose data at rest is encrypted with the AWS owned
    /// key instead of a customer managed KMS key
    /// (`EncryptionAtRest.DataVolumeKMSKeyId` not set).
    ///
    /// ## Why is this bad?
    /// MSK always encrypts broker volumes, but with an AWS owned key the
    /// platform cannot restrict, audit or revoke who decrypts them.
    ///
    /// ## Example
    /// ```yaml
    /// Events:
    ///   Type: AWS::MSK::Cluster
    ///   Properties:
    ///     ClusterName: events
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     EncryptionInfo:
    ///       EncryptionAtRest:
    ///         DataVolumeKMSKeyId: !Ref DataKey
    /// ```
    ///
    /// ## References
    /// - [Amazon MSK encryption at rest](https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html)
    pub struct MskWithoutCustomerKey {
        name: "msk-without-customer-key",
        family: "data",
        summary: "MSK data at rest uses the AWS owned key",
        severity: Medium,
        guardrail: Some(GuardrailId::DataEncryption),
        config_rules: [],
        checkov: [],
        kinds: ["AWS::MSK::Cluster"],
        fix: "set `EncryptionAtRest.DataVolumeKMSKeyId` to a customer managed key",
    }
}

impl Rule for MskWithoutCustomerKey {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        match check
            .props
            .at(&["EncryptionInfo", "EncryptionAtRest", "DataVolumeKMSKeyId"])
        {
            None | Some(crate::value::Value::Null) => {
                out.push(Violation::new(
                    "data at rest is encrypted with the AWS owned key only",
                ));
            }
            Some(_) => {}
        }
    }
}
