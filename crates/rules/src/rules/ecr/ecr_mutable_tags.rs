use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::text;

declare_rule! {
    /// ## What it does
    /// Finds ECR repositories whose image tags can be overwritten
    /// (`ImageTagMutability` `MUTABLE`, AWS's default).
    ///
    /// ## Why is this bad?
    /// A pushed tag can be replaced by a different image: what was reviewed
    /// and scanned is not what runs, and a rollback to `v1.4.2` may deploy
    /// something else.
    ///
    /// ## Example
    /// ```yaml
    /// Repo:
    ///   Type: AWS::ECR::Repository
    ///   Properties:
    ///     ImageTagMutability: MUTABLE
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     ImageTagMutability: IMMUTABLE
    /// ```
    ///
    /// ## References
    /// - [Image tag mutability](https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html)
    pub struct EcrMutableTags {
        name: "ecr-mutable-tags",
        family: "ecr",
        summary: "ECR image tags can be overwritten",
        severity: Medium,
        guardrail: None,
        config_rules: ["ECR_PRIVATE_TAG_IMMUTABILITY_ENABLED"],
        checkov: ["CKV_AWS_51"],
        kinds: ["AWS::ECR::Repository"],
        fix: "set `ImageTagMutability: IMMUTABLE`",
    }
}

impl Rule for EcrMutableTags {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        match check.props.get("ImageTagMutability") {
            Some(v) if v.is_unknown() => {}
            _ => match text(check.props, &["ImageTagMutability"]) {
                Some(m) if m.starts_with("IMMUTABLE") => {}
                Some(m) => {
                    out.push(Violation::new(format!("tags are `{m}`")).at(&["ImageTagMutability"]))
                }
                None => out.push(Violation::new("tags are mutable (AWS's default)")),
            },
        }
    }
}
