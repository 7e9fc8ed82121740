use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds EC2 instances and launch configurations whose EBS block device
    /// mappings are not encrypted.
    ///
    /// ## Why is this bad?
    /// Root and data volumes created at launch hold the same data as any
    /// other volume; unencrypted, their snapshots and copies are readable by
    /// whoever can reach them.
    ///
    /// ## Example
    /// ```yaml
    /// Host:
    ///   Type: AWS::EC2::Instance
    ///   Properties:
    ///     InstanceType: m7i.large
    ///     BlockDeviceMappings:
    ///       - DeviceName: /dev/xvda
    ///         Ebs: { VolumeSize: 50 }
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     BlockDeviceMappings:
    ///       - DeviceName: /dev/xvda
    ///         Ebs: { VolumeSize: 50, Encrypted: true }
    /// ```
    ///
    /// ## References
    /// - [Block device mappings](https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-device-mapping-concepts.html)
    /// - [AWS Config rule `encrypted-volumes`](https://docs.aws.amazon.com/config/latest/developerguide/encrypted-volumes.html)
    pub struct UnencryptedInstanceBlockDevice {
        name: "unencrypted-instance-block-device",
        family: "ebs",
        summary: "EC2 instance or launch configuration has an unencrypted EBS block device",
        severity: High,
        guardrail: Some(GuardrailId::EbsEncryption),
        config_rules: ["ENCRYPTED_VOLUMES"],
        checkov: ["CKV_AWS_8"],
        kinds: ["AWS::EC2::Instance", "AWS::AutoScaling::LaunchConfiguration"],
        fix: "set `Ebs.Encrypted: true` on every block device mapping (Terraform: `encrypted = true` in `root_block_device` and `ebs_block_device`)",
    }
}

/// Checks the `Ebs.Encrypted` flag of each mapping under `base`.
pub(crate) fn check_mappings(props: &Value, base: &[&str], out: &mut Vec<Violation>) {
    let Some(mappings) = props.at(base) else {
        return;
    };
    for (i, mapping) in mappings.items().iter().enumerate() {
        let Some(ebs) = mapping.get("Ebs") else {
            continue;
        };
        // Mappings of snapshots inherit the snapshot's encryption.
        if ebs.get("SnapshotId").is_some() && ebs.get("Encrypted").is_none() {
            continue;
        }
        let device = mapping
            .get("DeviceName")
            .map(Value::display)
            .unwrap_or_else(|| format!("#{i}"));
        let index = i.to_string();
        let mut path: Vec<&str> = base.to_vec();
        path.extend([index.as_str(), "Ebs", "Encrypted"]);
        match ebs.get("Encrypted") {
            Some(v) if v.is_unknown() => {}
            Some(v) if v.as_bool() == Some(true) => {}
            Some(v) if v.as_bool() == Some(false) => {
                out.push(Violation::new(format!("block device `{device}` has `Encrypted: false`")).at(&path));
            }
            _ => out.push(
                Violation::new(format!(
                    "block device `{device}` does not set `Encrypted`; it is encrypted only if the account's default encryption is on"
                ))
                .at(&path[..path.len() - 1]),
            ),
        }
    }
}

impl Rule for UnencryptedInstanceBlockDevice {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        check_mappings(check.props, &["BlockDeviceMappings"], out);
    }
}
