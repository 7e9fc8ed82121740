use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::deny;

declare_rule! {
    /// ## What it does
    /// Finds IAM users.
    ///
    /// ## Why is this bad?
    /// People sign in through IAM Identity Center with SSO and MFA, and get
    /// short-lived credentials; machines use roles. An IAM user is a second
    /// identity system with its own passwords and keys, outside the joiner
    /// and leaver process, and the usual source of leaked credentials.
    ///
    /// ## Example
    /// ```yaml
    /// Deployer:
    ///   Type: AWS::IAM::User
    /// ```
    ///
    /// ## Use instead
    /// A role assumed through GitHub OIDC for pipelines, or a permission set
    /// for people.
    ///
    /// ## References
    /// - [IAM Identity Center](https://docs.aws.amazon.com/singlesignon/latest/userguide/what-is.html)
    /// - [Security best practices in IAM](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-users-federation-idp)
    pub struct IamUser {
        name: "iam-user",
        family: "iam",
        summary: "IAM user instead of SSO or a role",
        severity: High,
        guardrail: Some(GuardrailId::SsoOnly),
        config_rules: [],
        checkov: ["CKV_AWS_273"],
        kinds: ["AWS::IAM::User"],
        fix: "remove the user; use IAM Identity Center for people and roles for machines",
    }
}

impl Rule for IamUser {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, _check: &Check<'_>, out: &mut Vec<Violation>) {
        out.push(Violation::new(
            "IAM user: people sign in through SSO and machines use roles",
        ));
    }

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![deny(
            "LandfallDenyIamUsers",
            &[
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:UpdateLoginProfile",
                "iam:CreateServiceSpecificCredential",
            ],
            "*",
        )]
    }
}
