use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds Terraform `aws_ebs_encryption_by_default` resources that turn
    /// the account's default EBS encryption off (`enabled = false`).
    /// CloudFormation has no resource for this setting.
    ///
    /// ## Why is this bad?
    /// Default encryption is the safety net for every volume whose template
    /// forgets `Encrypted`; switching it off makes each omission a leak.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_ebs_encryption_by_default" "this" {
    ///   enabled = false
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```hcl
    /// resource "aws_ebs_encryption_by_default" "this" {
    ///   enabled = true
    /// }
    /// ```
    ///
    /// ## References
    /// - [Encryption by default](https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html)
    /// - [AWS Config rule `ec2-ebs-encryption-by-default`](https://docs.aws.amazon.com/config/latest/developerguide/ec2-ebs-encryption-by-default.html)
    pub struct EbsDefaultEncryptionDisabled {
        name: "ebs-default-encryption-disabled",
        family: "ebs",
        summary: "account-level EBS encryption by default is switched off",
        severity: High,
        guardrail: Some(GuardrailId::EbsEncryption),
        config_rules: ["EC2_EBS_ENCRYPTION_BY_DEFAULT"],
        checkov: ["CKV_AWS_106"],
        kinds: ["Landfall::EC2::EBSEncryptionByDefault"],
        fix: "set `enabled = true`",
    }
}

impl Rule for EbsDefaultEncryptionDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if flag(check.props, &["Enabled"]) == Flag::False {
            out.push(Violation::new("EBS encryption by default is disabled").at(&["Enabled"]));
        }
    }

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![deny(
            "LandfallDenyDisableEbsDefaultEncryption",
            &["ec2:DisableEbsEncryptionByDefault"],
            "*",
        )]
    }
}
