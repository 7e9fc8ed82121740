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
    /// allowlist, are not checked. When the input names the account the
    /// resources are in (`Metadata.landfall.account`, as `landfall audit`
    /// does), that account's environment decides, since the allowlist SCP
    /// follows the account: a dev VPC in the networking account is not
    /// checked against dev's allowlist.
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
        let account = check
            .view
            .file_info(check.resource.file)
            .and_then(|f| f.account.as_ref());
        let environment = match account {
            Some(account) => account.environment.as_deref(),
            None => check.resource.environment.as_deref(),
        };
        let Some(environment) = environment else {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::{check, LoadOptions, Settings, ViewBuilder};

    /// LF001 over one template holding a VPC tagged for dev; `account` is
    /// the template's `Metadata.landfall.account`, when there is one.
    fn lf001(account: Option<&str>) -> usize {
        let metadata = match account {
            Some(a) => format!(r#""Metadata": {{ "landfall": {{ "account": {a} }} }},"#),
            None => String::new(),
        };
        let text = format!(
            r#"{{ {metadata} "Resources": {{ "Vpc": {{ "Type": "AWS::EC2::VPC",
                "Properties": {{ "CidrBlock": "10.0.0.0/16",
                "Tags": [{{ "Key": "landfall:environment", "Value": "dev" }}] }} }} }} }}"#
        );
        let mut builder = ViewBuilder::new(LoadOptions::default());
        assert!(builder.add_text("t.json", &text));
        let view = builder.finish();
        let mut settings = Settings::default();
        settings
            .allowed_services
            .insert("dev".into(), vec!["ecs".into(), "s3".into()]);
        check(&view, &settings)
            .active()
            .filter(|f| f.rule == "LF001")
            .count()
    }

    #[test]
    fn the_account_environment_decides_when_the_input_names_the_account() {
        // The tag alone: checked against dev's allowlist.
        assert_eq!(lf001(None), 1);
        // In an account outside every environment (the networking account):
        // no allowlist SCP applies there.
        assert_eq!(lf001(Some("{}")), 0);
        // In a dev account: checked.
        assert_eq!(lf001(Some(r#"{ "environment": "dev" }"#)), 1);
        // In a prod account without an allowlist: not checked.
        assert_eq!(lf001(Some(r#"{ "environment": "prod" }"#)), 0);
    }
}
