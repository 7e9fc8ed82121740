use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::services::service_prefix;

declare_rule! {
    /// ## What it does
    /// Finds resources of a service that is not on the allowlist of the
    /// environment they are deployed to (`guardrails.allowed_services` in
    /// the spec). The environment comes from `--environment`, the template's
    /// `Environment` parameter or tag, or Terraform tags and variables;
    /// resources of an unknown environment, and environments without an
    /// allowlist, are not checked.
    ///
    /// ## Why is this bad?
    /// Every service a team can use is one the platform must secure, log,
    /// budget and support. The allowlist is enforced by an SCP on each
    /// environment's OUs, so a template that uses another service fails at
    /// deployment; this finds it before.
    ///
    /// ## Example
    /// ```yaml
    /// Parameters:
    ///   Environment: { Type: String, Default: prod }
    /// Resources:
    ///   Notebook:
    ///     Type: AWS::SageMaker::NotebookInstance
    /// ```
    ///
    /// ## Use instead
    /// Use an approved service, or ask the platform team to add the service
    /// to the environment's allowlist.
    ///
    /// ## References
    /// - [SCP examples: allow only approved services](https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html)
    pub struct DisallowedService {
        name: "disallowed-service",
        family: "org",
        summary: "service not allowed in the resource's environment",
        severity: High,
        guardrail: Some(GuardrailId::ServiceAllowlist),
        config_rules: [],
        checkov: [],
        kinds: ["*"],
        fix: "use an approved service or get the service added to the environment's allowlist",
    }
}

impl Rule for DisallowedService {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let Some(environment) = check.resource.environment.as_deref() else {
            return;
        };
        let Some(allowed) = check
            .settings
            .allowed_services
            .iter()
            .find(|(env, _)| env.eq_ignore_ascii_case(environment))
            .map(|(_, services)| services)
        else {
            return;
        };
        let Some(prefix) = service_prefix(&check.resource.kind) else {
            return;
        };
        // Organizations resources live in the management account, which no
        // SCP restricts, whatever environment their tags describe.
        if matches!(
            prefix.as_str(),
            "cloudformation" | "landfall" | "organizations"
        ) {
            return;
        }
        if !allowed.contains(&prefix) {
            out.push(Violation::new(format!(
                "service `{prefix}` is not allowed in `{environment}`"
            )));
        }
    }
}
