use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, text, Flag};

declare_rule! {
    /// ## What it does
    /// Finds symmetric customer managed KMS keys without automatic rotation
    /// (`EnableKeyRotation` false or not set). Asymmetric and HMAC keys
    /// cannot rotate and are skipped.
    ///
    /// ## Why is this bad?
    /// A key that never rotates protects ever more data with the same
    /// material; yearly rotation is what auditors and most trading-venue
    /// security questionnaires expect.
    ///
    /// ## Example
    /// ```yaml
    /// DataKey:
    ///   Type: AWS::KMS::Key
    ///   Properties:
    ///     KeyPolicy: { ... }
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     EnableKeyRotation: true
    /// ```
    ///
    /// ## References
    /// - [Rotating KMS keys](https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)
    /// - [AWS Config rule `cmk-backing-key-rotation-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/cmk-backing-key-rotation-enabled.html)
    pub struct KmsKeyRotationDisabled {
        name: "kms-key-rotation-disabled",
        family: "data",
        summary: "KMS key does not rotate",
        severity: Medium,
        guardrail: Some(GuardrailId::DataEncryption),
        config_rules: ["CMK_BACKING_KEY_ROTATION_ENABLED"],
        checkov: ["CKV_AWS_7"],
        kinds: ["AWS::KMS::Key"],
        fix: "set `EnableKeyRotation: true`",
    }
}

impl Rule for KmsKeyRotationDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if text(check.props, &["KeySpec"]).is_some_and(|s| s != "SYMMETRIC_DEFAULT") {
            return;
        }
        match flag(check.props, &["EnableKeyRotation"]) {
            Flag::False => {
                out.push(Violation::new("`EnableKeyRotation: false`").at(&["EnableKeyRotation"]))
            }
            Flag::Absent => out.push(Violation::new("key rotation is not enabled")),
            Flag::True | Flag::Unknown => {}
        }
    }
}
