use landfall_spec::types::GuardrailId;

use super::unencrypted_instance_block_device::check_mappings;
use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds launch templates whose EBS block device mappings are not
    /// encrypted.
    ///
    /// ## Why is this bad?
    /// Every instance an auto scaling group or ECS capacity provider launches
    /// from the template gets the same unencrypted volumes.
    ///
    /// ## Example
    /// ```yaml
    /// Template:
    ///   Type: AWS::EC2::LaunchTemplate
    ///   Properties:
    ///     LaunchTemplateData:
    ///       BlockDeviceMappings:
    ///         - DeviceName: /dev/xvda
    ///           Ebs: { VolumeSize: 30, Encrypted: false }
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///           Ebs: { VolumeSize: 30, Encrypted: true }
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `ec2-launch-templates-ebs-volume-encrypted`](https://docs.aws.amazon.com/config/latest/developerguide/ec2-launch-templates-ebs-volume-encrypted.html)
    pub struct UnencryptedLaunchTemplateBlockDevice {
        name: "unencrypted-launch-template-block-device",
        family: "ebs",
        summary: "launch template has an unencrypted EBS block device",
        severity: High,
        guardrail: Some(GuardrailId::EbsEncryption),
        config_rules: ["EC2_LAUNCH_TEMPLATES_EBS_VOLUME_ENCRYPTED"],
        checkov: [],
        kinds: ["AWS::EC2::LaunchTemplate"],
        fix: "set `Ebs.Encrypted: true` on every block device mapping of `LaunchTemplateData`",
    }
}

impl Rule for UnencryptedLaunchTemplateBlockDevice {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        check_mappings(
            check.props,
            &["LaunchTemplateData", "BlockDeviceMappings"],
            out,
        );
    }
}
