use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds console passwords for IAM users: `LoginProfile` on an
    /// `AWS::IAM::User`, or a Terraform `aws_iam_user_login_profile`.
    ///
    /// ## Why is this bad?
    /// A console password bypasses the identity provider: no SSO, no central
    /// MFA policy, no automatic removal when the person leaves.
    ///
    /// ## Example
    /// ```yaml
    /// Admin:
    ///   Type: AWS::IAM::User
    ///   Properties:
    ///     LoginProfile:
    ///       Password: '{{resolve:secretsmanager:admin}}'
    /// ```
    ///
    /// ## Use instead
    /// A permission set in IAM Identity Center.
    ///
    /// ## References
    /// - [AWS Config rule `mfa-enabled-for-iam-console-access`](https://docs.aws.amazon.com/config/latest/developerguide/mfa-enabled-for-iam-console-access.html)
    pub struct IamLoginProfile {
        name: "iam-login-profile",
        family: "iam",
        summary: "IAM user with a console password",
        severity: High,
        guardrail: Some(GuardrailId::SsoOnly),
        config_rules: ["MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS"],
        checkov: [],
        kinds: ["AWS::IAM::User", "Landfall::IAM::LoginProfile"],
        fix: "remove the login profile; sign in through IAM Identity Center",
    }
}

impl Rule for IamLoginProfile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if check.resource.kind == "Landfall::IAM::LoginProfile" {
            out.push(Violation::new("console password for an IAM user"));
        } else if check.props.get("LoginProfile").is_some() {
            out.push(Violation::new("IAM user has a console password").at(&["LoginProfile"]));
        }
    }
}
