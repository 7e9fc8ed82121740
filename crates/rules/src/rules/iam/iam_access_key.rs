use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds IAM access keys.
    ///
    /// ## Why is this bad?
    /// An access key is a password that never expires and works from
    /// anywhere. Keys end up in CI variables, laptops and git history; roles
    /// and OIDC give the same access with credentials that expire in an hour.
    ///
    /// ## Example
    /// ```yaml
    /// DeployerKey:
    ///   Type: AWS::IAM::AccessKey
    ///   Properties:
    ///     UserName: !Ref Deployer
    /// ```
    ///
    /// ## Use instead
    /// Trust the CI system's OIDC provider in a role and assume it.
    ///
    /// ## References
    /// - [Temporary credentials](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp.html)
    pub struct IamAccessKey {
        name: "iam-access-key",
        family: "iam",
        summary: "long-lived IAM access key",
        severity: High,
        guardrail: Some(GuardrailId::SsoOnly),
        config_rules: ["ACCESS_KEYS_ROTATED"],
        checkov: [],
        kinds: ["AWS::IAM::AccessKey"],
        fix: "remove the key; assume a role through OIDC or SSO instead",
    }
}

impl Rule for IamAccessKey {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let user = check
            .props
            .get("UserName")
            .map(Value::display)
            .unwrap_or_else(|| "?".to_owned());
        out.push(Violation::new(format!("access key for IAM user `{user}`")));
    }
}
