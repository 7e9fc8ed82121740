use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, exempt_platform, text};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds S3 buckets without versioning enabled. Terraform AWS provider
    /// v4+ configures versioning in a separate `aws_s3_bucket_versioning`
    /// resource; the resource view merges it into its bucket, and a
    /// versioning resource whose bucket is outside the plan is checked on
    /// its own.
    ///
    /// ## Why is this bad?
    /// Without versioning an overwrite or a delete, by mistake or by an
    /// attacker holding write access, destroys the only copy of an object.
    ///
    /// ## Example
    /// ```yaml
    /// Reports:
    ///   Type: AWS::S3::Bucket
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Reports:
    ///   Type: AWS::S3::Bucket
    ///   Properties:
    ///     VersioningConfiguration:
    ///       Status: Enabled
    /// ```
    ///
    /// ## References
    /// - [Using versioning in S3 buckets](https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html)
    /// - [AWS Config rule `s3-bucket-versioning-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-versioning-enabled.html)
    /// - [Terraform `aws_s3_bucket_versioning`](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_versioning)
    pub struct S3BucketWithoutVersioning {
        name: "s3-bucket-without-versioning",
        family: "s3",
        summary: "S3 bucket does not have versioning enabled",
        severity: High,
        guardrail: Some(GuardrailId::S3Versioning),
        config_rules: ["S3_BUCKET_VERSIONING_ENABLED"],
        checkov: ["CKV_AWS_21"],
        kinds: ["AWS::S3::Bucket", "Landfall::S3::BucketVersioning"],
        fix: "set `VersioningConfiguration.Status: Enabled` (Terraform: an `aws_s3_bucket_versioning` with `status = \"Enabled\"`)",
    }
}

impl Rule for S3BucketWithoutVersioning {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let path = ["VersioningConfiguration", "Status"];
        match check.props.at(&path) {
            Some(v) if v.is_unknown() => {}
            Some(Value::String(s)) if s == "Enabled" => {}
            Some(Value::String(s)) => out.push(
                Violation::new(format!("bucket versioning is `{s}`, not `Enabled`")).at(&path),
            ),
            _ => {
                let what = if check.resource.kind == "AWS::S3::Bucket" {
                    "bucket has no versioning configuration".to_owned()
                } else {
                    format!(
                        "versioning of bucket `{}` is not enabled",
                        text(check.props, &["Bucket"]).unwrap_or("?")
                    )
                };
                out.push(Violation::new(what));
            }
        }
    }

    fn scp_statements(&self, context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        // No condition key can require versioning at creation; what an SCP can
        // do is keep anyone but the platform from suspending it.
        vec![exempt_platform(
            deny(
                "LandfallProtectBucketVersioning",
                &["s3:PutBucketVersioning"],
                "*",
            ),
            context.exempt_principals,
        )]
    }
}
