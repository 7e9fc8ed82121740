//! Spend per domain, in AWS: the payer's billing export, the domains'
//! budgets, and a way to query the export at any scale.
//!
//! - **The export**: an AWS Data Exports export of CUR 2.0 from the
//!   management (payer) account, daily, Parquet, overwritten in place, with
//!   an explicit column list: the columns `landfall cost ingest` reads and
//!   the ones its differences are broken down by. Data Exports lives in
//!   `us-east-1` and delivers to a bucket of another account when the
//!   bucket policy admits its service principals for this payer
//!   (<https://docs.aws.amazon.com/cur/latest/userguide/dataexports-s3-bucket.html>).
//! - **The bucket**: in the log-archive account (the billing data stays
//!   with the records the company keeps), versioned, SSE-S3, no public
//!   access.
//! - **Queries**: a Glue database and a daily crawler over the export
//!   (its `BILLING_PERIOD=` partitions become table partitions), and an
//!   Athena workgroup that writes results to the bucket and caps what one
//!   query may scan.
//! - **Budgets**: one monthly cost budget per `billing.budgets` entry over
//!   the domain's accounts, alerting the domain's owner and the report
//!   recipients at each `alert_at_percent`, and on the forecast passing
//!   the budget (AWS Budgets, in the payer account:
//!   <https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html>).

use landfall_graph::{
    intrinsic, logical_id, Layer, OrganizationAction, ParameterValue, Target, COST_ALLOCATION_TAGS,
};
use serde_json::{json, Value};

use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::Ctx;

/// CUR 2.0 columns the export selects. `landfall cost ingest` reads a
/// subset (its test holds the two lists together); the rest are what a
/// difference is broken down by.
pub const EXPORT_COLUMNS: &[&str] = &[
    "bill_billing_period_start_date",
    "bill_invoice_id",
    "bill_payer_account_id",
    "line_item_line_item_type",
    "line_item_product_code",
    "line_item_unblended_cost",
    "line_item_usage_account_id",
    "line_item_usage_account_name",
    "line_item_usage_amount",
    "line_item_usage_start_date",
    "line_item_usage_type",
    "product_region_code",
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "resource_tags",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
];

/// The export's name and its prefix in the bucket.
pub const EXPORT_NAME: &str = "landfall-cur2";

/// Data Exports' only region.
const DATA_EXPORTS_REGION: &str = "us-east-1";

/// The most one Athena query over the export may scan: 100 GiB.
const ATHENA_SCAN_LIMIT_BYTES: u64 = 100 * 1024 * 1024 * 1024;

/// The export's SQL.
pub fn export_query() -> String {
    format!(
        "SELECT {} FROM COST_AND_USAGE_REPORT",
        EXPORT_COLUMNS.join(", ")
    )
}

/// The payer's organization-wide billing settings that have no resource
/// type: the platform's tag keys activated as cost allocation tags.
pub(crate) fn organization_actions(ctx: &Ctx<'_>) -> Vec<OrganizationAction> {
    if ctx.model.billing.is_none() {
        return Vec::new();
    }
    vec![OrganizationAction::ActivateCostAllocationTags {
        tag_keys: COST_ALLOCATION_TAGS
            .iter()
            .map(|k| (*k).to_owned())
            .collect(),
    }]
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let Some(billing) = &ctx.model.billing else {
        return Vec::new();
    };
    let archive_account = ctx.account_or_management(ctx.log_archive);
    let bucket_name = format!("{}-billing-${{AWS::AccountId}}", ctx.slug);

    // The bucket and the query side, in the log archive.
    let mut archive = Unit::new(
        ctx.stack_name("billing", "archive"),
        Layer::Security,
        "The billing export's bucket, its crawler and the Athena workgroup".into(),
        Target::Account {
            account: archive_account.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    // Beside the log archive, deployed like it (before the baseline).
    archive.depends_on.push(ctx.stack_name("log-archive", ""));
    let management = archive.parameter(
        crate::params::MANAGEMENT,
        "Id of the management (payer) account",
        ParameterValue::AccountId(ctx.management.to_owned()),
    );
    let purpose = tags(&[("landfall:purpose", "billing")]);
    archive.add(
        resource(
            "BillingBucket",
            "AWS::S3::Bucket",
            json!({
                "BucketName": intrinsic::sub(&bucket_name),
                "VersioningConfiguration": { "Status": "Enabled" },
                "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" }
                }] },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true,
                    "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true,
                    "RestrictPublicBuckets": true
                },
                "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
                "LifecycleConfiguration": { "Rules": [{
                    "Id": "superseded-deliveries",
                    "Status": "Enabled",
                    "NoncurrentVersionExpiration": { "NoncurrentDays": 90 },
                    "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 }
                }] },
                "Tags": purpose
            }),
        )
        .retain(),
    );
    // Data Exports checks the policy (GetBucketPolicy) before it writes.
    let source_arn = json!([
        intrinsic::sub(format!(
            "arn:${{AWS::Partition}}:bcm-data-exports:{DATA_EXPORTS_REGION}:${{{management}}}:export/*"
        )),
        intrinsic::sub(format!(
            "arn:${{AWS::Partition}}:cur:{DATA_EXPORTS_REGION}:${{{management}}}:definition/*"
        ))
    ]);
    archive.add(resource(
        "BillingBucketPolicy",
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": { "Ref": "BillingBucket" },
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DataExportsDelivers",
                        "Effect": "Allow",
                        "Principal": { "Service": ["bcm-data-exports.amazonaws.com", "billingreports.amazonaws.com"] },
                        "Action": ["s3:PutObject", "s3:GetBucketPolicy"],
                        "Resource": [
                            { "Fn::GetAtt": ["BillingBucket", "Arn"] },
                            { "Fn::Sub": "${BillingBucket.Arn}/*" }
                        ],
                        "Condition": {
                            "StringLike": { "aws:SourceArn": source_arn, "aws:SourceAccount": { "Ref": management } }
                        }
                    },
                    {
                        "Sid": "TlsOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [
                            { "Fn::GetAtt": ["BillingBucket", "Arn"] },
                            { "Fn::Sub": "${BillingBucket.Arn}/*" }
                        ],
                        "Condition": { "Bool": { "aws:SecureTransport": "false" } }
                    }
                ]
            }
        }),
    ));
    archive.add(resource(
        "BillingDatabase",
        "AWS::Glue::Database",
        json!({
            "CatalogId": { "Ref": "AWS::AccountId" },
            "DatabaseInput": {
                "Name": format!("{}_billing", ctx.slug.replace('-', "_")),
                "Description": "The payer's CUR 2.0 export, one partition per billing period"
            }
        }),
    ));
    archive.add(resource(
        "CrawlerRole",
        "AWS::IAM::Role",
        json!({
            "Path": "/landfall/",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{ "Effect": "Allow", "Principal": { "Service": "glue.amazonaws.com" }, "Action": "sts:AssumeRole" }]
            },
            "ManagedPolicyArns": [intrinsic::sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSGlueServiceRole")],
            "Policies": [{
                "PolicyName": "read-the-export",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [
                            { "Fn::GetAtt": ["BillingBucket", "Arn"] },
                            { "Fn::Sub": format!("${{BillingBucket.Arn}}/{EXPORT_NAME}/*") }
                        ]
                    }]
                }
            }],
            "Tags": purpose
        }),
    ));
    archive.add(resource(
        "BillingCrawler",
        "AWS::Glue::Crawler",
        json!({
            "Name": format!("{}-billing", ctx.slug),
            "Role": { "Fn::GetAtt": ["CrawlerRole", "Arn"] },
            "DatabaseName": { "Ref": "BillingDatabase" },
            "Targets": { "S3Targets": [{ "Path": { "Fn::Sub": format!("s3://${{BillingBucket}}/{EXPORT_NAME}/") } }] },
            // Each day's delivery after AWS's: new periods and columns.
            "Schedule": { "ScheduleExpression": "cron(0 8 * * ? *)" },
            "SchemaChangePolicy": { "UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG" },
            "RecrawlPolicy": { "RecrawlBehavior": "CRAWL_EVERYTHING" }
        }),
    ));
    archive.add(resource(
        "BillingWorkgroup",
        "AWS::Athena::WorkGroup",
        json!({
            "Name": format!("{}-billing", ctx.slug),
            "Description": "Ad hoc questions over the billing export",
            "State": "ENABLED",
            "WorkGroupConfiguration": {
                "EnforceWorkGroupConfiguration": true,
                "PublishCloudWatchMetricsEnabled": true,
                "BytesScannedCutoffPerQuery": ATHENA_SCAN_LIMIT_BYTES,
                "ResultConfiguration": {
                    "OutputLocation": { "Fn::Sub": "s3://${BillingBucket}/athena-results/" },
                    "EncryptionConfiguration": { "EncryptionOption": "SSE_S3" }
                }
            },
            "Tags": purpose
        }),
    ));

    // The export and the budgets, in the payer account.
    let mut payer = Unit::new(
        ctx.stack_name("billing", ""),
        Layer::Security,
        "The payer's billing export and the domains' budgets".into(),
        Target::Account {
            account: ctx.management.to_owned(),
            region: DATA_EXPORTS_REGION.to_owned(),
        },
    );
    payer.depends_on.push(archive.name.clone());
    let archive_id = payer.parameter(
        "LogArchiveAccountId",
        "Id of the account holding the billing bucket",
        ParameterValue::AccountId(archive_account.to_owned()),
    );
    payer.add(
        resource(
        "BillingExport",
        "AWS::BCMDataExports::Export",
        json!({
            "Export": {
                "Name": EXPORT_NAME,
                "Description": "CUR 2.0 for landfall cost ingest and Athena",
                "DataQuery": {
                    "QueryStatement": export_query(),
                    "TableConfigurations": { "COST_AND_USAGE_REPORT": {
                        "TIME_GRANULARITY": "DAILY",
                        "INCLUDE_RESOURCES": "FALSE",
                        "INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY": "FALSE",
                        "INCLUDE_SPLIT_COST_ALLOCATION_DATA": "FALSE"
                    } }
                },
                "DestinationConfigurations": { "S3Destination": {
                    "S3Bucket": intrinsic::sub(format!("{}-billing-${{{archive_id}}}", ctx.slug)),
                    "S3BucketOwner": { "Ref": archive_id },
                    "S3Prefix": EXPORT_NAME,
                    "S3Region": ctx.home,
                    "S3OutputConfigurations": {
                        "OutputType": "CUSTOM",
                        "Format": "PARQUET",
                        "Compression": "PARQUET",
                        "Overwrite": "OVERWRITE_REPORT"
                    }
                } },
                "RefreshCadence": { "Frequency": "SYNCHRONOUS" }
            }
        }),
    )
        .at(&["export"]),
    );
    for (domain_id, budget) in &billing.budgets {
        let domain = ctx.model.domain(*domain_id);
        let accounts: Vec<&str> = ctx
            .model
            .accounts
            .iter()
            .filter(|a| a.domain == Some(*domain_id))
            .map(|a| a.name.as_str())
            .collect();
        let ids: Vec<Value> = accounts
            .iter()
            .map(|name| {
                let p = payer.parameter(
                    &logical_id(&["Account", name, "Id"]),
                    &format!("Id of the `{name}` account"),
                    ParameterValue::AccountId((*name).to_owned()),
                );
                json!({ "Ref": p })
            })
            .collect();
        let mut recipients: Vec<&str> = vec![domain.owner.email.as_str()];
        recipients.extend(billing.report_recipients.iter().map(String::as_str));
        recipients.dedup();
        // AWS Budgets allows 10 email subscribers per notification.
        let subscribers: Vec<Value> = recipients
            .iter()
            .take(10)
            .map(|r| json!({ "SubscriptionType": "EMAIL", "Address": r }))
            .collect();
        let mut notifications: Vec<Value> = budget
            .alert_at_percent
            .iter()
            .map(|p| {
                json!({
                    "Notification": { "NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": p, "ThresholdType": "PERCENTAGE" },
                    "Subscribers": subscribers
                })
            })
            .collect();
        notifications.push(json!({
            "Notification": { "NotificationType": "FORECASTED", "ComparisonOperator": "GREATER_THAN", "Threshold": 100, "ThresholdType": "PERCENTAGE" },
            "Subscribers": subscribers
        }));
        payer.add(
            resource(
                logical_id(&["Budget", &domain.name]),
                "AWS::Budgets::Budget",
                json!({
                    "Budget": {
                        "BudgetName": format!("{}-{}", ctx.slug, domain.name),
                        "BudgetType": "COST",
                        "TimeUnit": "MONTHLY",
                        "BudgetLimit": { "Amount": budget.monthly, "Unit": billing.currency },
                        "CostFilters": { "LinkedAccount": ids }
                    },
                    "NotificationsWithSubscribers": notifications
                }),
            )
            // One part per domain: the splitter keeps each budget with
            // its account parameters, whatever the number of domains.
            .at(&[&domain.name])
            .origin(&domain.origin),
        );
    }
    vec![archive, payer]
}
