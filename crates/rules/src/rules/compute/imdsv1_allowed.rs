use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds instances, launch templates and launch configurations that do
    /// not require IMDSv2 (`MetadataOptions.HttpTokens: required`). An
    /// instance launched from a launch template is judged by the template;
    /// one whose metadata endpoint is turned off (`HttpEndpoint: disabled`)
    /// answers neither version and passes.
    ///
    /// ## Why is this bad?
    /// IMDSv1 answers any GET request from the instance, so a server-side
    /// request forgery in any application on it hands out the instance
    /// role's credentials. IMDSv2's session token stops that.
    ///
    /// ## Example
    /// ```yaml
    /// Template:
    ///   Type: AWS::EC2::LaunchTemplate
    ///   Properties:
    ///     LaunchTemplateData:
    ///       MetadataOptions:
    ///         HttpTokens: optional
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       MetadataOptions:
    ///         HttpTokens: required
    ///         HttpPutResponseHopLimit: 2
    /// ```
    ///
    /// ## References
    /// - [Use IMDSv2](https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html)
    /// - [Turn off access to instance metadata](https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html)
    /// - [AWS Config rule `ec2-imdsv2-check`](https://docs.aws.amazon.com/config/latest/developerguide/ec2-imdsv2-check.html)
    pub struct Imdsv1Allowed {
        name: "imdsv1-allowed",
        family: "compute",
        summary: "instance metadata service v1 is allowed",
        severity: High,
        guardrail: None,
        config_rules: ["EC2_IMDSV2_CHECK"],
        checkov: ["CKV_AWS_79"],
        kinds: ["AWS::EC2::Instance", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::LaunchConfiguration"],
        fix: "set `MetadataOptions.HttpTokens: required` (Terraform: `metadata_options { http_tokens = \"required\" }`)",
    }
}

impl Rule for Imdsv1Allowed {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let props = check.props;
        let base: &[&str] = if check.resource.kind == "AWS::EC2::LaunchTemplate" {
            &["LaunchTemplateData", "MetadataOptions"]
        } else {
            &["MetadataOptions"]
        };
        let mut endpoint = base.to_vec();
        endpoint.push("HttpEndpoint");
        if props
            .at(&endpoint)
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("disabled"))
        {
            // No metadata service at all: nothing answers IMDSv1.
            return;
        }
        let mut path = base.to_vec();
        path.push("HttpTokens");
        match props.at(&path) {
            Some(v) if v.is_unknown() => {}
            Some(Value::String(s)) if s == "required" => {}
            Some(Value::String(s)) => {
                out.push(
                    Violation::new(format!("`HttpTokens` is `{s}`: IMDSv1 answers")).at(&path),
                );
            }
            _ => {
                let from_template = check.resource.kind == "AWS::EC2::Instance"
                    && props.get("LaunchTemplate").is_some_and(|lt| {
                        lt.entries().iter().any(|(_, v)| !matches!(v, Value::Null))
                    });
                if !from_template {
                    out.push(Violation::new(
                        "IMDSv2 is not required (`HttpTokens` not set to `required`)",
                    ));
                }
            }
        }
    }
}
