use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::deny;

declare_rule! {
    /// ## What it does
    /// Prevention only: contributes the SCP statement that stops member
    /// accounts from leaving the organization. Templates cannot make an
    /// account leave, so there is nothing to scan; an audit of live accounts
    /// checks that every account is still a member.
    ///
    /// ## Why is this bad?
    /// An account that leaves the organization takes its resources out of
    /// every guardrail at once: no SCPs, no central CloudTrail, no Config.
    ///
    /// ## Example
    /// ```sh
    /// aws organizations leave-organization
    /// ```
    ///
    /// ## Use instead
    /// Accounts are closed or moved by the platform team from the management
    /// account.
    ///
    /// ## References
    /// - [SCP example: prevent accounts from leaving the organization](https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html#example-scp-leave-org)
    pub struct OrganizationLeaveAllowed {
        name: "organization-leave-allowed",
        family: "org",
        summary: "member accounts may leave the organization",
        severity: Critical,
        guardrail: Some(GuardrailId::StayInOrganization),
        config_rules: [],
        checkov: [],
        kinds: [],
        fix: "keep the organization's SCP that denies `organizations:LeaveOrganization`",
    }
}

impl Rule for OrganizationLeaveAllowed {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, _check: &Check<'_>, _out: &mut Vec<Violation>) {}

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![deny(
            "LandfallStayInOrganization",
            &["organizations:LeaveOrganization"],
            "*",
        )]
    }
}
