use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds ECR repositories that do not scan images on push
    /// (`ImageScanningConfiguration.ScanOnPush` false or not set).
    ///
    /// ## Why is this bad?
    /// An image with a known critical vulnerability reaches production
    /// without anyone being told. (An account-level enhanced scanning
    /// configuration also covers it; this rule checks the repository.)
    ///
    /// ## Example
    /// ```yaml
    /// Repo:
    ///   Type: AWS::ECR::Repository
    ///   Properties:
    ///     RepositoryName: matching-engine
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     ImageScanningConfiguration:
    ///       ScanOnPush: true
    /// ```
    ///
    /// ## References
    /// - [Image scanning](https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html)
    /// - [AWS Config rule `ecr-private-image-scanning-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/ecr-private-image-scanning-enabled.html)
    pub struct EcrScanOnPushDisabled {
        name: "ecr-scan-on-push-disabled",
        family: "ecr",
        summary: "ECR repository does not scan images on push",
        severity: High,
        guardrail: None,
        config_rules: ["ECR_PRIVATE_IMAGE_SCANNING_ENABLED"],
        checkov: ["CKV_AWS_163"],
        kinds: ["AWS::ECR::Repository"],
        fix: "set `ImageScanningConfiguration.ScanOnPush: true`",
    }
}

impl Rule for EcrScanOnPushDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let path = ["ImageScanningConfiguration", "ScanOnPush"];
        match flag(check.props, &path) {
            Flag::False => out.push(Violation::new("`ScanOnPush: false`").at(&path)),
            Flag::Absent => out.push(Violation::new("images are not scanned on push")),
            Flag::True | Flag::Unknown => {}
        }
    }
}
