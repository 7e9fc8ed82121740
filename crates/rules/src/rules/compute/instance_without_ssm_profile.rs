use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds EC2 instances, launch templates and launch configurations
    /// without an instance profile, and those whose profile's role (when it
    /// is in the same template) lacks `AmazonSSMManagedInstanceCore`.
    ///
    /// ## Why is this bad?
    /// Without an instance profile that lets the SSM agent register, the
    /// instance is not managed by Systems Manager: no Session Manager shell,
    /// no patching, no inventory. Someone will open port 22 to reach it.
    ///
    /// ## Example
    /// ```yaml
    /// Host:
    ///   Type: AWS::EC2::Instance
    ///   Properties:
    ///     InstanceType: m7i.large
    ///     ImageId: ami-0123456789abcdef0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     IamInstanceProfile: !Ref SsmProfile
    /// ```
    /// with a role that has `arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore`.
    ///
    /// ## References
    /// - [Instance permissions for Systems Manager](https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html)
    /// - [AWS Config rule `ec2-instance-managed-by-systems-manager`](https://docs.aws.amazon.com/config/latest/developerguide/ec2-instance-managed-by-systems-manager.html)
    pub struct InstanceWithoutSsmProfile {
        name: "instance-without-ssm-profile",
        family: "compute",
        summary: "EC2 instance cannot be managed by Systems Manager",
        severity: Medium,
        guardrail: Some(GuardrailId::SessionManagerOnly),
        config_rules: ["EC2_INSTANCE_MANAGED_BY_SSM"],
        checkov: ["CKV2_AWS_41"],
        kinds: ["AWS::EC2::Instance", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::LaunchConfiguration"],
        fix: "attach an instance profile whose role has `AmazonSSMManagedInstanceCore`",
    }
}

const SSM_POLICY: &str = "AmazonSSMManagedInstanceCore";

/// Whether a role visible in the view grants SSM; `None` when not decidable.
fn role_has_ssm(role: &crate::view::Resource) -> Option<bool> {
    let props = role.properties();
    let policies = props
        .get("ManagedPolicyArns")
        .map(Value::items)
        .unwrap_or_default();
    if policies
        .iter()
        .any(|p| p.as_str().is_some_and(|s| s.contains(SSM_POLICY)))
    {
        return Some(true);
    }
    if policies.iter().any(Value::is_unknown) {
        return None;
    }
    // Inline policies granting ssm:* or the agent's actions count too.
    let inline = props
        .get("Policies")
        .map(|p| p.display())
        .unwrap_or_default();
    if inline.contains("ssm:") || inline.contains("ssmmessages:") {
        return Some(true);
    }
    Some(false)
}

impl Rule for InstanceWithoutSsmProfile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let props = check.props;
        let path: &[&str] = match check.resource.kind.as_str() {
            "AWS::EC2::LaunchTemplate" => &["LaunchTemplateData", "IamInstanceProfile"],
            _ => &["IamInstanceProfile"],
        };
        let profile = props
            .at(path)
            .filter(|v| !matches!(v, Value::Null) && !(matches!(v, Value::Map(e) if e.is_empty())));
        let Some(profile) = profile else {
            // An instance launched from a template gets the template's profile.
            let from_template = check.resource.kind == "AWS::EC2::Instance"
                && props
                    .get("LaunchTemplate")
                    .is_some_and(|lt| !lt.entries().is_empty());
            if !from_template {
                out.push(Violation::new(
                    "no instance profile: the SSM agent cannot register",
                ));
            }
            return;
        };
        // Follow a profile in the same template to its roles.
        let reference = match profile {
            Value::Map(_) => profile
                .get("Arn")
                .or_else(|| profile.get("Name"))
                .unwrap_or(profile),
            other => other,
        };
        let Some(profile) = check.view.resolve(check.resource, reference) else {
            return;
        };
        for role_ref in profile
            .properties()
            .get("Roles")
            .map(Value::items)
            .unwrap_or_default()
        {
            let Some(role) = check.view.resolve(profile, role_ref) else {
                continue;
            };
            if role_has_ssm(role) == Some(false) {
                out.push(
                    Violation::new(format!(
                        "role `{}` of instance profile `{}` lacks `{SSM_POLICY}`",
                        role.id, profile.id
                    ))
                    .at(path),
                );
            }
        }
    }
}
