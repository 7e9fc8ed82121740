use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds S3 buckets whose public access block is missing or leaves one of
    /// its four settings off. Terraform's split `aws_s3_bucket_public_access_block`
    /// is merged into its bucket.
    ///
    /// ## Why is this bad?
    /// A bucket policy or ACL written in a hurry can make trade data,
    /// statements or keys public; the block stops that whatever the policy
    /// says. Account-level blocks help, but a bucket carried to another
    /// account loses them.
    ///
    /// ## Example
    /// ```yaml
    /// Exports:
    ///   Type: AWS::S3::Bucket
    ///   Properties:
    ///     VersioningConfiguration: { Status: Enabled }
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Exports:
    ///   Type: AWS::S3::Bucket
    ///   Properties:
    ///     VersioningConfiguration: { Status: Enabled }
    ///     PublicAccessBlockConfiguration:
    ///       BlockPublicAcls: true
    ///       BlockPublicPolicy: true
    ///       IgnorePublicAcls: true
    ///       RestrictPublicBuckets: true
    /// ```
    ///
    /// ## References
    /// - [Blocking public access to S3 storage](https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)
    /// - [AWS Config rule `s3-bucket-level-public-access-prohibited`](https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-level-public-access-prohibited.html)
    pub struct S3BucketWithoutPublicAccessBlock {
        name: "s3-bucket-without-public-access-block",
        family: "s3",
        summary: "S3 bucket does not block public access",
        severity: High,
        guardrail: None,
        config_rules: ["S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED"],
        checkov: ["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"],
        kinds: ["AWS::S3::Bucket"],
        fix: "set all four `PublicAccessBlockConfiguration` flags to true (Terraform: an `aws_s3_bucket_public_access_block` with all four flags true)",
    }
}

const SETTINGS: [&str; 4] = [
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
];

impl Rule for S3BucketWithoutPublicAccessBlock {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if check.props.get("PublicAccessBlockConfiguration").is_none() {
            out.push(Violation::new("bucket has no public access block"));
            return;
        }
        let off: Vec<&str> = SETTINGS
            .into_iter()
            .filter(|s| {
                matches!(
                    flag(check.props, &["PublicAccessBlockConfiguration", s]),
                    Flag::False | Flag::Absent
                )
            })
            .collect();
        if !off.is_empty() {
            out.push(
                Violation::new(format!(
                    "public access block leaves {} off",
                    off.iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .at(&["PublicAccessBlockConfiguration"]),
            );
        }
    }
}
