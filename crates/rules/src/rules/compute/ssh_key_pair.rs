use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::deny;

declare_rule! {
    /// ## What it does
    /// Finds EC2 key pairs, and instances, launch templates and launch
    /// configurations that name one (`KeyName`).
    ///
    /// ## Why is this bad?
    /// A key pair is a long-lived secret that opens a shell without SSO, MFA
    /// or an audit trail of who typed what. Session Manager gives the same
    /// shell through IAM, logged to CloudTrail and the session log.
    ///
    /// ## Example
    /// ```yaml
    /// Host:
    ///   Type: AWS::EC2::Instance
    ///   Properties:
    ///     KeyName: ops-2019
    /// ```
    ///
    /// ## Use instead
    /// Drop `KeyName`, attach an instance profile with
    /// `AmazonSSMManagedInstanceCore`, and connect with
    /// `aws ssm start-session`.
    ///
    /// ## References
    /// - [Session Manager](https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html)
    /// - [AWS Config rule `ec2-no-amazon-key-pair`](https://docs.aws.amazon.com/config/latest/developerguide/ec2-no-amazon-key-pair.html)
    pub struct SshKeyPair {
        name: "ssh-key-pair",
        family: "compute",
        summary: "EC2 key pair or instance launched with a key pair",
        severity: High,
        guardrail: Some(GuardrailId::SessionManagerOnly),
        config_rules: ["EC2_NO_AMAZON_KEY_PAIR"],
        checkov: [],
        kinds: [
            "AWS::EC2::KeyPair",
            "AWS::EC2::Instance",
            "AWS::EC2::LaunchTemplate",
            "AWS::AutoScaling::LaunchConfiguration",
        ],
        fix: "remove the key pair and connect through Session Manager",
    }
}

impl Rule for SshKeyPair {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if check.resource.kind == "AWS::EC2::KeyPair" {
            out.push(Violation::new(
                "EC2 key pair gives SSH access outside Session Manager",
            ));
            return;
        }
        let path: &[&str] = if check.resource.kind == "AWS::EC2::LaunchTemplate" {
            &["LaunchTemplateData", "KeyName"]
        } else {
            &["KeyName"]
        };
        match check.props.at(path) {
            None | Some(crate::value::Value::Null) => {}
            Some(key) => out.push(
                Violation::new(format!("launches with key pair `{}`", key.display())).at(path),
            ),
        }
    }

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![
            deny(
                "LandfallDenyKeyPairs",
                &["ec2:CreateKeyPair", "ec2:ImportKeyPair"],
                "*",
            ),
            deny(
                "LandfallDenyLaunchWithKeyPair",
                &["ec2:RunInstances"],
                "arn:aws:ec2:*:*:key-pair/*",
            ),
        ]
    }
}
