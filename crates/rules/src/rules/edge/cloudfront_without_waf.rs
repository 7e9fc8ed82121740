use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds CloudFront distributions without a WAF web ACL
    /// (`DistributionConfig.WebACLId` not set).
    ///
    /// ## Why is this bad?
    /// The distribution is the public front door; without WAF, injection
    /// attempts, credential stuffing and scrapers pass straight to the
    /// origin.
    ///
    /// ## Example
    /// ```yaml
    /// Cdn:
    ///   Type: AWS::CloudFront::Distribution
    ///   Properties:
    ///     DistributionConfig:
    ///       Enabled: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///       WebACLId: !GetAtt EdgeAcl.Arn
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `cloudfront-associated-with-waf`](https://docs.aws.amazon.com/config/latest/developerguide/cloudfront-associated-with-waf.html)
    pub struct CloudfrontWithoutWaf {
        name: "cloudfront-without-waf",
        family: "edge",
        summary: "CloudFront distribution without WAF",
        severity: High,
        guardrail: Some(GuardrailId::CdnInFront),
        config_rules: ["CLOUDFRONT_ASSOCIATED_WITH_WAF"],
        checkov: ["CKV_AWS_68"],
        kinds: ["AWS::CloudFront::Distribution"],
        fix: "set `DistributionConfig.WebACLId` to a WAFv2 web ACL ARN",
    }
}

impl Rule for CloudfrontWithoutWaf {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        match check.props.at(&["DistributionConfig", "WebACLId"]) {
            None | Some(crate::value::Value::Null) => {
                out.push(Violation::new("distribution has no WAF web ACL"));
            }
            Some(v) if v.as_str() == Some("") => {
                out.push(
                    Violation::new("distribution has no WAF web ACL")
                        .at(&["DistributionConfig", "WebACLId"]),
                );
            }
            Some(_) => {}
        }
    }
}
