use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::text;

declare_rule! {
    /// ## What it does
    /// Finds internet-facing application load balancers with no WAF web ACL
    /// associated in the same template or plan
    /// (`AWS::WAFv2::WebACLAssociation` / `aws_wafv2_web_acl_association`
    /// referring to it). Internal and network load balancers are skipped.
    ///
    /// ## Why is this bad?
    /// Public endpoints sit behind CloudFront and WAF: rate limits, bot
    /// control and managed rule sets stop abuse before it reaches the
    /// services, and the origin never sees raw internet traffic. A public ALB
    /// without a web ACL is a way around all of it.
    ///
    /// ## Example
    /// ```yaml
    /// PublicAlb:
    ///   Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///   Properties:
    ///     Scheme: internet-facing
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// AlbWaf:
    ///   Type: AWS::WAFv2::WebACLAssociation
    ///   Properties:
    ///     ResourceArn: !Ref PublicAlb
    ///     WebACLArn: !GetAtt EdgeAcl.Arn
    /// ```
    /// and accept traffic only from the CloudFront origin-facing prefix list.
    ///
    /// ## References
    /// - [AWS Config rule `alb-waf-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/alb-waf-enabled.html)
    /// - [Restricting access to ALBs to CloudFront](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/restrict-access-to-load-balancer.html)
    pub struct PublicLoadBalancerWithoutWaf {
        name: "public-load-balancer-without-waf",
        family: "edge",
        summary: "internet-facing load balancer without WAF in front",
        severity: High,
        guardrail: Some(GuardrailId::CdnInFront),
        config_rules: ["ALB_WAF_ENABLED"],
        checkov: ["CKV2_AWS_28"],
        kinds: ["AWS::ElasticLoadBalancingV2::LoadBalancer"],
        fix: "associate a WAF web ACL and put CloudFront in front",
    }
}

impl Rule for PublicLoadBalancerWithoutWaf {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if text(check.props, &["Scheme"]) != Some("internet-facing") {
            return;
        }
        if text(check.props, &["Type"]).is_some_and(|t| t != "application") {
            return;
        }
        let protected = check
            .view
            .referrers(check.resource)
            .any(|r| r.kind == "AWS::WAFv2::WebACLAssociation");
        if !protected {
            out.push(
                Violation::new("internet-facing load balancer has no WAF web ACL").at(&["Scheme"]),
            );
        }
    }
}
