use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, flag, with_condition, Flag};

declare_rule! {
    /// ## What it does
    /// Finds EBS volumes created without encryption (`Encrypted` false or
    /// not set).
    ///
    /// ## Why is this bad?
    /// An unencrypted volume keeps its data, and every snapshot taken of it,
    /// readable by anyone who can attach or share it. Encryption cannot be
    /// switched on later: the volume has to be copied.
    ///
    /// ## Example
    /// ```yaml
    /// Data:
    ///   Type: AWS::EC2::Volume
    ///   Properties:
    ///     AvailabilityZone: eu-central-1a
    ///     Size: 100
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Data:
    ///   Type: AWS::EC2::Volume
    ///   Properties:
    ///     AvailabilityZone: eu-central-1a
    ///     Size: 100
    ///     Encrypted: true
    /// ```
    ///
    /// ## References
    /// - [Amazon EBS encryption](https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html)
    /// - [AWS Config rule `encrypted-volumes`](https://docs.aws.amazon.com/config/latest/developerguide/encrypted-volumes.html)
    pub struct UnencryptedEbsVolume {
        name: "unencrypted-ebs-volume",
        family: "ebs",
        summary: "EBS volume is not encrypted",
        severity: High,
        guardrail: Some(GuardrailId::EbsEncryption),
        config_rules: ["ENCRYPTED_VOLUMES"],
        checkov: ["CKV_AWS_3"],
        kinds: ["AWS::EC2::Volume"],
        fix: "set `Encrypted: true` (Terraform: `encrypted = true`)",
    }
}

impl Rule for UnencryptedEbsVolume {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        match flag(check.props, &["Encrypted"]) {
            Flag::False => out.push(Violation::new("EBS volume has `Encrypted: false`").at(&["Encrypted"])),
            Flag::Absent => out.push(Violation::new(
                "EBS volume does not set `Encrypted`; it is encrypted only if the account's default encryption is on",
            )),
            Flag::True | Flag::Unknown => {}
        }
    }

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![
            with_condition(
                deny("LandfallDenyUnencryptedVolumes", &["ec2:CreateVolume"], "*"),
                "Bool",
                "ec2:Encrypted",
                serde_json::json!("false"),
            ),
            with_condition(
                deny(
                    "LandfallDenyUnencryptedInstanceVolumes",
                    &["ec2:RunInstances"],
                    "arn:aws:ec2:*:*:volume/*",
                ),
                "Bool",
                "ec2:Encrypted",
                serde_json::json!("false"),
            ),
        ]
    }
}
