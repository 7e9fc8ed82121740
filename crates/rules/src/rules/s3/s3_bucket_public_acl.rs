use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::text;

declare_rule! {
    /// ## What it does
    /// Finds S3 buckets with a canned ACL that grants access to everyone
    /// (`PublicRead`, `PublicReadWrite`) or to every AWS account
    /// (`AuthenticatedRead`).
    ///
    /// ## Why is this bad?
    /// Anyone on the internet (or any AWS customer) can list and read the
    /// bucket; with `PublicReadWrite`, also overwrite it.
    ///
    /// ## Example
    /// ```yaml
    /// Site:
    ///   Type: AWS::S3::Bucket
    ///   Properties:
    ///     AccessControl: PublicRead
    /// ```
    ///
    /// ## Use instead
    /// Serve public content through CloudFront with origin access control and
    /// keep the bucket private:
    /// ```yaml
    /// Site:
    ///   Type: AWS::S3::Bucket
    ///   Properties:
    ///     OwnershipControls:
    ///       Rules: [{ ObjectOwnership: BucketOwnerEnforced }]
    /// ```
    ///
    /// ## References
    /// - [Canned ACLs](https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl)
    /// - [AWS Config rule `s3-bucket-public-read-prohibited`](https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-public-read-prohibited.html)
    pub struct S3BucketPublicAcl {
        name: "s3-bucket-public-acl",
        family: "s3",
        summary: "S3 bucket ACL grants public access",
        severity: High,
        guardrail: None,
        config_rules: ["S3_BUCKET_PUBLIC_READ_PROHIBITED", "S3_BUCKET_PUBLIC_WRITE_PROHIBITED"],
        checkov: ["CKV_AWS_20", "CKV_AWS_57"],
        kinds: ["AWS::S3::Bucket"],
        fix: "remove the public canned ACL and enforce bucket-owner object ownership",
    }
}

impl Rule for S3BucketPublicAcl {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if let Some(acl @ ("PublicRead" | "PublicReadWrite" | "AuthenticatedRead")) =
            text(check.props, &["AccessControl"])
        {
            out.push(Violation::new(format!("bucket ACL is `{acl}`")).at(&["AccessControl"]));
        }
    }
}
