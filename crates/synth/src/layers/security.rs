//! Log archive and security tooling.
//!
//! - The log archive account (home region) holds the central buckets —
//!   CloudTrail, Config, VPC flow logs, Session Manager, application logs —
//!   versioned, encrypted with its own KMS key, with lifecycle rules and
//!   policies that deny unencrypted transport and accept writes only from
//!   the organization.
//! - The management account runs the organization trail into that bucket and
//!   designates the security account as Security Hub's administrator.
//! - The security tooling account administers Security Hub and GuardDuty for
//!   the organization in every allowed region: Security Hub central
//!   configuration (a policy on the root enables it, with its foundational
//!   standard, in every account and region, new ones included), findings
//!   aggregated in the home region with Config's, failed Config checks
//!   routed to an SNS topic (EventBridge).
//!
//! Delegated administration of GuardDuty, Config and Security Hub outside
//! the home region, and GuardDuty's organization auto-enable, have no
//! resource type; they are in the manifest's organization actions.

use super::key_policy;
use landfall_graph::{intrinsic, Layer, ParameterValue, Target};
use serde_json::{json, Value};

use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::{params, Ctx};

/// Central buckets: (purpose in the bucket name, logical id, what it holds).
pub const LOG_BUCKETS: [(&str, &str, &str); 5] = [
    ("trail", "TrailBucket", "organization CloudTrail"),
    ("config", "ConfigBucket", "AWS Config snapshots and history"),
    (
        "flowlogs",
        "FlowLogsBucket",
        "VPC flow logs and firewall alerts",
    ),
    ("sessions", "SessionsBucket", "Session Manager session logs"),
    (
        "applogs",
        "AppLogsBucket",
        "application logs for the data lake",
    ),
];

/// The alias of the log archive's key, used by writers in other accounts.
pub const LOG_ARCHIVE_KEY_ALIAS: &str = "alias/landfall/log-archive";

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let mut units = vec![log_archive(ctx), organization_trail(ctx)];
    for region in &ctx.regions {
        units.push(security_tooling(ctx, region));
    }
    units
}

fn retention_days(ctx: &Ctx<'_>, purpose: &str) -> u32 {
    let obs = ctx.model.observability.as_ref();
    let days = match purpose {
        "applogs" => obs.map(|o| o.logs.s3_retention_days),
        _ => obs.map(|o| o.security.retention_days),
    };
    days.unwrap_or(365).max(1)
}

fn log_archive(ctx: &Ctx<'_>) -> Unit {
    let account = ctx.account_or_management(ctx.log_archive);
    let mut unit = Unit::new(
        ctx.stack_name("log-archive", ""),
        Layer::Security,
        "Central log buckets and their key".into(),
        Target::Account {
            account: account.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    unit.depends_on.push(ctx.stack_name("organization", ""));
    let org = ctx.organization_id_param(&mut unit);
    let management = unit.parameter(
        params::MANAGEMENT,
        "Id of the management account",
        ParameterValue::AccountId(ctx.management.to_owned()),
    );
    let trail = trail_arn(ctx, &management);
    let siem = siem_account(ctx);
    let mut statements = log_archive_key_statements(&org, &management, &trail);
    if siem.is_some() {
        // S3 publishes new-object events to the SIEM's topic, which this
        // key encrypts; S3 needs a data key for that
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
        statements.push(json!({
            "Sid": "S3PublishesToEncryptedTopics",
            "Effect": "Allow",
            "Principal": { "Service": "s3.amazonaws.com" },
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
        }));
    }
    unit.add(
        resource(
            "LogArchiveKey",
            "AWS::KMS::Key",
            json!({
                "Description": "Encrypts the central log buckets",
                "EnableKeyRotation": true,
                "KeyPolicy": key_policy(statements)
            }),
        )
        .retain(),
    );
    unit.add(resource(
        "LogArchiveKeyAlias",
        "AWS::KMS::Alias",
        json!({ "AliasName": LOG_ARCHIVE_KEY_ALIAS, "TargetKeyId": { "Ref": "LogArchiveKey" } }),
    ));
    if let Some(siem) = siem {
        siem_access(ctx, &mut unit, siem);
    }
    for (purpose, id, what) in LOG_BUCKETS {
        let days = retention_days(ctx, purpose);
        let mut rule = json!({
            "Id": "retention",
            "Status": "Enabled",
            "ExpirationInDays": days,
            "NoncurrentVersionExpiration": { "NoncurrentDays": 30 },
            "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 }
        });
        if days > 120 {
            rule["Transitions"] = json!([{ "StorageClass": "GLACIER_IR", "TransitionInDays": 90 }]);
        }
        let origin = ctx
            .model
            .observability
            .as_ref()
            .map(|_| ctx.model.organization.origin.clone());
        let mut bucket = resource(
            id,
            "AWS::S3::Bucket",
            json!({
                "BucketName": intrinsic::sub(ctx.log_bucket(purpose, "AWS::AccountId")),
                "VersioningConfiguration": { "Status": "Enabled" },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": { "Fn::GetAtt": ["LogArchiveKey", "Arn"] }
                        },
                        "BucketKeyEnabled": true
                    }]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true,
                    "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true,
                    "RestrictPublicBuckets": true
                },
                "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
                "LifecycleConfiguration": { "Rules": [rule] },
                "Tags": [{ "Key": "landfall:holds", "Value": what }]
            }),
        )
        .retain();
        if let Some(origin) = origin {
            bucket = bucket.origin(&origin);
        }
        if siem.is_some() && SIEM_FEEDS.contains(&purpose) {
            // S3 checks it may publish when the configuration is put, so
            // the topic's policy comes first.
            bucket.properties.insert(
                "NotificationConfiguration".into(),
                json!({
                    "TopicConfigurations": [{ "Event": "s3:ObjectCreated:*", "Topic": { "Ref": SIEM_TOPIC } }]
                }),
            );
            bucket = bucket.depends(&format!("{SIEM_TOPIC}Policy"));
        }
        unit.add(bucket);
        let bucket_arn = json!({ "Fn::GetAtt": [id, "Arn"] });
        let objects = intrinsic::sub(format!("${{{id}.Arn}}/*"));
        let mut statements = vec![json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn.clone(), objects.clone()],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } }
        })];
        statements.extend(writer_statements(
            purpose,
            &bucket_arn,
            id,
            &org,
            &management,
            &trail,
        ));
        if purpose == "applogs" {
            statements.extend(lake_writer_statements(ctx, &mut unit, id, &org));
        }
        unit.add(resource(
            format!("{id}Policy"),
            "AWS::S3::BucketPolicy",
            json!({
                "Bucket": { "Ref": id },
                "PolicyDocument": { "Version": "2012-10-17", "Statement": statements }
            }),
        ));
    }
    if ctx.model.observability.is_some() {
        super::log_lake::add(
            ctx,
            &mut unit,
            "AppLogsBucket",
            "LogArchiveKey",
            retention_days(ctx, "applogs"),
        );
    }
    unit
}

/// The Vector aggregators' task role (observability account) writes the
/// application log lake under `domain=…/`, the prefix the lake's table
/// reads (`log_lake::PARTITION_PATH`), which no other writer may use: the
/// organization's other principals write under their account's prefix
/// only. The role is named by `aws:PrincipalArn`, not as a principal: it
/// is created after this bucket, and a policy naming a role that does not
/// exist yet is refused
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles>).
/// The aggregator's health check is a HeadBucket (`s3:ListBucket`).
fn lake_writer_statements(ctx: &Ctx<'_>, unit: &mut Unit, id: &str, org: &str) -> Vec<Value> {
    let Some(account) = super::log_search::account(ctx.model) else {
        return Vec::new();
    };
    let param = ctx.core_account_param(unit, "ObservabilityAccountId", Some(account));
    let writer = json!({ "ArnEquals": { "aws:PrincipalArn": intrinsic::sub(format!(
        "arn:${{AWS::Partition}}:iam::${{{param}}}:role{}{}",
        super::log_search::ROLE_PATH,
        super::log_search::AGGREGATOR_ROLE
    )) }, "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } } });
    vec![
        json!({
            "Sid": "LogAggregatorsCheckTheLake",
            "Effect": "Allow",
            "Principal": { "AWS": "*" },
            "Action": "s3:ListBucket",
            "Resource": { "Fn::GetAtt": [id, "Arn"] },
            "Condition": writer.clone()
        }),
        json!({
            "Sid": "LogAggregatorsWriteTheLake",
            "Effect": "Allow",
            "Principal": { "AWS": "*" },
            "Action": ["s3:AbortMultipartUpload", "s3:PutObject"],
            "Resource": intrinsic::sub(format!("${{{id}.Arn}}/{}*", super::log_search::LAKE_PREFIX)),
            "Condition": writer
        }),
    ]
}

/// The log buckets whose new objects the SIEM is told about and may read:
/// CloudTrail and VPC flow logs, the blueprint's security feeds.
pub const SIEM_FEEDS: &[&str] = &["trail", "flowlogs"];

/// Logical id of the topic that announces new objects of [`SIEM_FEEDS`].
pub const SIEM_TOPIC: &str = "SiemNotifications";

/// The SIEM's account, when the spec names one.
fn siem_account<'a>(ctx: &'a Ctx<'_>) -> Option<&'a str> {
    ctx.model
        .observability
        .as_ref()
        .and_then(|o| o.security.siem_account_id.as_deref())
}

/// What the SIEM (Panther) needs from the log archive: a topic announcing
/// every new CloudTrail and flow-log object, which S3 may publish to and
/// the SIEM's account may subscribe a queue to, and a role the SIEM's
/// account assumes to read those objects
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html>).
fn siem_access(ctx: &Ctx<'_>, unit: &mut Unit, siem: &str) {
    let bucket_arn = |purpose: &str| {
        intrinsic::sub(format!(
            "arn:${{AWS::Partition}}:s3:::{}",
            ctx.log_bucket(purpose, "AWS::AccountId")
        ))
    };
    let feeds: Vec<Value> = SIEM_FEEDS.iter().map(|p| bucket_arn(p)).collect();
    let objects: Vec<Value> = SIEM_FEEDS
        .iter()
        .map(|p| {
            intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:s3:::{}/*",
                ctx.log_bucket(p, "AWS::AccountId")
            ))
        })
        .collect();
    let siem_root = intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::{siem}:root"));
    unit.add(resource(
        SIEM_TOPIC,
        "AWS::SNS::Topic",
        json!({
            "TopicName": format!("{}-siem-notifications", ctx.slug),
            "KmsMasterKeyId": { "Fn::GetAtt": ["LogArchiveKey", "Arn"] },
            "Tags": tags(&[("landfall:purpose", "siem")])
        }),
    ));
    unit.add(resource(
        format!("{SIEM_TOPIC}Policy"),
        "AWS::SNS::TopicPolicy",
        json!({
            "Topics": [{ "Ref": SIEM_TOPIC }],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "LogBucketsPublish",
                        "Effect": "Allow",
                        "Principal": { "Service": "s3.amazonaws.com" },
                        "Action": "sns:Publish",
                        "Resource": { "Ref": SIEM_TOPIC },
                        "Condition": {
                            "ArnLike": { "aws:SourceArn": feeds },
                            "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } }
                        }
                    },
                    {
                        "Sid": "SiemSubscribesAQueue",
                        "Effect": "Allow",
                        "Principal": { "AWS": siem_root.clone() },
                        "Action": "sns:Subscribe",
                        "Resource": { "Ref": SIEM_TOPIC },
                        "Condition": { "StringEquals": { "sns:Protocol": "sqs" } }
                    }
                ]
            }
        }),
    ));
    unit.add(resource(
        "SiemReadRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": format!("{}-siem-read", ctx.slug),
            "Path": "/landfall/",
            "Description": "The SIEM's account reads CloudTrail and flow logs",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "AWS": siem_root },
                    "Action": "sts:AssumeRole"
                }]
            },
            "Policies": [{
                "PolicyName": "read-security-logs",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        { "Sid": "ListFeeds", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": feeds },
                        { "Sid": "ReadFeeds", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects },
                        {
                            "Sid": "DecryptFeeds",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": { "Fn::GetAtt": ["LogArchiveKey", "Arn"] },
                            "Condition": { "StringEquals": { "kms:ViaService": intrinsic::sub("s3.${AWS::Region}.amazonaws.com") } }
                        }
                    ]
                }
            }]
        }),
    ));
}

/// The organization trail's name; its ARN is what CloudTrail presents as
/// `aws:SourceArn` to the log archive's bucket and key.
fn trail_name(ctx: &Ctx<'_>) -> String {
    format!("{}-organization", ctx.slug)
}

/// The `Fn::Sub` of the organization trail's ARN, with `management` the
/// parameter holding the management account's id.
fn trail_arn(ctx: &Ctx<'_>, management: &str) -> Value {
    intrinsic::sub(format!(
        "arn:${{AWS::Partition}}:cloudtrail:{}:${{{management}}}:trail/{}",
        ctx.home,
        trail_name(ctx)
    ))
}

/// The log archive key's grants to the services that write into its
/// buckets, each as that service's documentation asks.
fn log_archive_key_statements(org: &str, management: &str, trail: &Value) -> Vec<Value> {
    vec![
        // CreateTrail checks the key with DescribeKey, and every delivery
        // asks for a data key in the trail's encryption context
        // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html).
        json!({
            "Sid": "CloudTrailEncryptsLogs",
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": { "aws:SourceArn": trail },
                "StringLike": { "kms:EncryptionContext:aws:cloudtrail:arn": intrinsic::sub(format!(
                    "arn:${{AWS::Partition}}:cloudtrail:*:${{{management}}}:trail/*"
                )) }
            }
        }),
        json!({
            "Sid": "CloudTrailDescribesKey",
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": { "StringEquals": { "aws:SourceArn": trail } }
        }),
        // Config and VPC flow logs (delivery.logs) of every account write
        // into SSE-KMS buckets
        // (https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html,
        // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html).
        json!({
            "Sid": "LogServicesOfTheOrganizationEncrypt",
            "Effect": "Allow",
            "Principal": { "Service": ["config.amazonaws.com", "delivery.logs.amazonaws.com"] },
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": "*",
            "Condition": { "StringEquals": { "aws:SourceOrgID": { "Ref": org } } }
        }),
        json!({
            "Sid": "OrganizationWritesThroughS3",
            "Effect": "Allow",
            "Principal": { "AWS": "*" },
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "aws:PrincipalOrgID": { "Ref": org },
                    "kms:ViaService": intrinsic::sub("s3.${AWS::Region}.amazonaws.com")
                }
            }
        }),
    ]
}

/// What a central bucket grants to the one service or principals that
/// write into it.
fn writer_statements(
    purpose: &str,
    bucket_arn: &Value,
    id: &str,
    org: &str,
    management: &str,
    trail: &Value,
) -> Vec<Value> {
    let owner_full_control = json!("bucket-owner-full-control");
    match purpose {
        // An organization trail writes under the management account's and
        // the organization's prefixes, presenting the trail as its source
        // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html).
        "trail" => vec![
            json!({
                "Sid": "CloudTrailChecksTheBucket",
                "Effect": "Allow",
                "Principal": { "Service": "cloudtrail.amazonaws.com" },
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": { "StringEquals": { "aws:SourceArn": trail } }
            }),
            json!({
                "Sid": "CloudTrailWrites",
                "Effect": "Allow",
                "Principal": { "Service": "cloudtrail.amazonaws.com" },
                "Action": "s3:PutObject",
                "Resource": [
                    intrinsic::sub(format!("${{{id}.Arn}}/AWSLogs/${{{management}}}/*")),
                    intrinsic::sub(format!("${{{id}.Arn}}/AWSLogs/${{{org}}}/*"))
                ],
                "Condition": { "StringEquals": {
                    "s3:x-amz-acl": owner_full_control,
                    "aws:SourceArn": trail
                } }
            }),
        ],
        // Config of every account checks the bucket and writes under
        // AWSLogs/<account>/Config/
        // (https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html);
        // flow logs and firewall alerts (delivery.logs) under AWSLogs/<account>/
        // (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html).
        "config" | "flowlogs" => {
            let (service, objects) = if purpose == "config" {
                ("config.amazonaws.com", "AWSLogs/*/Config/*")
            } else {
                ("delivery.logs.amazonaws.com", "AWSLogs/*")
            };
            vec![
                json!({
                    "Sid": "LogServicesCheckTheBucket",
                    "Effect": "Allow",
                    "Principal": { "Service": service },
                    "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                    "Resource": bucket_arn,
                    "Condition": { "StringEquals": { "aws:SourceOrgID": { "Ref": org } } }
                }),
                json!({
                    "Sid": "LogServicesWrite",
                    "Effect": "Allow",
                    "Principal": { "Service": service },
                    "Action": "s3:PutObject",
                    "Resource": intrinsic::sub(format!("${{{id}.Arn}}/{objects}")),
                    "Condition": { "StringEquals": {
                        "s3:x-amz-acl": owner_full_control,
                        "aws:SourceOrgID": { "Ref": org }
                    } }
                }),
            ]
        }
        // Session Manager and log shippers write as principals of the
        // organization's accounts; Session Manager checks the bucket's
        // encryption before it streams a session
        // (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html).
        _ => vec![
            json!({
                "Sid": "OrganizationChecksEncryption",
                "Effect": "Allow",
                "Principal": { "AWS": "*" },
                "Action": "s3:GetEncryptionConfiguration",
                "Resource": bucket_arn,
                "Condition": { "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } } }
            }),
            // Each account under its own prefix only (the session
            // preferences write to `<account id>/<region>/`): no account
            // can overwrite or plant another's records.
            json!({
                "Sid": "OrganizationWrites",
                "Effect": "Allow",
                "Principal": { "AWS": "*" },
                "Action": "s3:PutObject",
                "Resource": intrinsic::sub(format!("${{{id}.Arn}}/${{!aws:PrincipalAccount}}/*")),
                "Condition": { "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } } }
            }),
        ],
    }
}

fn organization_trail(ctx: &Ctx<'_>) -> Unit {
    let mut unit = Unit::new(
        ctx.stack_name("organization-trail", ""),
        Layer::Security,
        "The organization's CloudTrail and Security Hub administration".into(),
        Target::Account {
            account: ctx.management.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    unit.depends_on.push(ctx.stack_name("log-archive", ""));
    let log_archive = ctx.core_account_param(&mut unit, params::LOG_ARCHIVE, ctx.log_archive);
    unit.add(resource(
        "OrganizationTrail",
        "AWS::CloudTrail::Trail",
        json!({
            "TrailName": trail_name(ctx),
            "IsLogging": true,
            "IsOrganizationTrail": true,
            "IsMultiRegionTrail": true,
            "IncludeGlobalServiceEvents": true,
            "EnableLogFileValidation": true,
            "S3BucketName": intrinsic::sub(ctx.log_bucket("trail", &log_archive)),
            "KMSKeyId": intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:kms:{}:${{{log_archive}}}:{LOG_ARCHIVE_KEY_ALIAS}",
                ctx.home
            )),
        }),
    ));
    if ctx.security.is_some() {
        let security = ctx.core_account_param(&mut unit, params::SECURITY, ctx.security);
        unit.add(resource(
            "SecurityHubAdministrator",
            "AWS::SecurityHub::DelegatedAdmin",
            json!({ "AdminAccountId": { "Ref": security } }),
        ));
    }
    unit
}

fn security_tooling(ctx: &Ctx<'_>, region: &str) -> Unit {
    let home = region == ctx.home;
    let account = ctx.account_or_management(ctx.security);
    let mut unit = Unit::new(
        ctx.stack_name("security-tooling", region),
        Layer::Security,
        if home {
            format!("Security Hub in {region}, and the organization's security configuration")
        } else {
            format!("Security Hub in {region}")
        },
        Target::Account {
            account: account.to_owned(),
            region: region.to_owned(),
        },
    );
    unit.depends_on
        .push(ctx.stack_name("organization-trail", ""));
    // No `AWS::GuardDuty::Detector` here: designating this account as
    // GuardDuty's administrator (an organization action, before any stack)
    // turns GuardDuty on in it, and a second detector would fail.
    unit.add(resource(
        "Hub",
        "AWS::SecurityHub::Hub",
        json!({ "AutoEnableControls": true, "EnableDefaultStandards": false }),
    ));
    if !home {
        return unit;
    }
    let linked: Vec<&str> = ctx
        .regions
        .iter()
        .copied()
        .filter(|r| *r != ctx.home)
        .collect();
    if !linked.is_empty() {
        unit.add(
            resource(
                "FindingAggregator",
                "AWS::SecurityHub::FindingAggregator",
                json!({ "RegionLinkingMode": "SPECIFIED_REGIONS", "Regions": linked }),
            )
            .depends("Hub"),
        );
    }
    // Security Hub central configuration: one policy, associated with the
    // root, enables Security Hub and its foundational standard in every
    // account and linked region, new accounts included. It needs the
    // administrator to be a member account and cross-region aggregation in
    // its home region first
    // (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_OrganizationConfiguration.html,
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-securityhub-findingaggregator.html).
    let root = unit.parameter(
        params::ROOT_ID,
        "Id of the organization root (r-...)",
        ParameterValue::OrganizationRootId,
    );
    let mut configuration = resource(
        "SecurityHubOrganizationConfiguration",
        "AWS::SecurityHub::OrganizationConfiguration",
        json!({ "AutoEnable": false, "AutoEnableStandards": "NONE", "ConfigurationType": "CENTRAL" }),
    )
    .depends("Hub");
    if !linked.is_empty() {
        configuration = configuration.depends("FindingAggregator");
    }
    unit.add(configuration);
    unit.add(
        resource(
            "SecurityHubPolicy",
            "AWS::SecurityHub::ConfigurationPolicy",
            json!({
                "Name": format!("{}-organization", ctx.slug),
                "Description": "Security Hub with the AWS Foundational Security Best Practices standard in every account and region",
                "ConfigurationPolicy": {
                    "SecurityHub": {
                        "ServiceEnabled": true,
                        "EnabledStandardIdentifiers": [intrinsic::sub(
                            "arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/aws-foundational-security-best-practices/v/1.0.0"
                        )],
                        "SecurityControlsConfiguration": { "DisabledSecurityControlIdentifiers": [] }
                    }
                }
            }),
        )
        .depends("SecurityHubOrganizationConfiguration"),
    );
    unit.add(resource(
        "SecurityHubPolicyOnTheRoot",
        "AWS::SecurityHub::PolicyAssociation",
        json!({
            "ConfigurationPolicyId": { "Fn::GetAtt": ["SecurityHubPolicy", "Id"] },
            "TargetType": "ROOT",
            "TargetId": { "Ref": root }
        }),
    ));
    unit.add(resource(
        "ConfigAggregatorRole",
        "AWS::IAM::Role",
        json!({
            "RoleName": "landfall-config-aggregator",
            "Path": "/landfall/",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "config.amazonaws.com" },
                    "Action": "sts:AssumeRole"
                }]
            },
            "ManagedPolicyArns": [intrinsic::sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSConfigRoleForOrganizations")]
        }),
    ));
    unit.add(resource(
        "ConfigAggregator",
        "AWS::Config::ConfigurationAggregator",
        json!({
            "ConfigurationAggregatorName": format!("{}-organization", ctx.slug),
            "OrganizationAggregationSource": {
                "AllAwsRegions": false,
                "AwsRegions": ctx.regions,
                "RoleArn": { "Fn::GetAtt": ["ConfigAggregatorRole", "Arn"] }
            }
        }),
    ));
    unit.add(resource(
        "AlertsKey",
        "AWS::KMS::Key",
        json!({
            "Description": "Encrypts the compliance alert topic",
            "EnableKeyRotation": true,
            "KeyPolicy": key_policy(vec![json!({
                        "Sid": "EventBridgePublishes",
                        "Effect": "Allow",
                        "Principal": { "Service": "events.amazonaws.com" },
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*"
                    })])
        }),
    ));
    unit.add(resource(
        "ComplianceAlerts",
        "AWS::SNS::Topic",
        json!({
            "TopicName": format!("{}-compliance-alerts", ctx.slug),
            "KmsMasterKeyId": { "Ref": "AlertsKey" }
        }),
    ));
    let mut emails: Vec<&str> = ctx
        .security
        .map(|a| a.owner.email.as_str())
        .into_iter()
        .collect();
    emails.dedup();
    for (i, email) in emails.iter().enumerate() {
        unit.add(resource(
            format!("ComplianceAlertsSubscription{}", i + 1),
            "AWS::SNS::Subscription",
            json!({ "TopicArn": { "Ref": "ComplianceAlerts" }, "Protocol": "email", "Endpoint": email }),
        ));
    }
    unit.add(resource(
        "ComplianceAlertsPolicy",
        "AWS::SNS::TopicPolicy",
        json!({
            "Topics": [{ "Ref": "ComplianceAlerts" }],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "EventBridgePublishes",
                    "Effect": "Allow",
                    "Principal": { "Service": "events.amazonaws.com" },
                    "Action": "sns:Publish",
                    "Resource": { "Ref": "ComplianceAlerts" },
                    "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } }
                }]
            }
        }),
    ));
    // Config results from every account reach Security Hub in this
    // (administrator) account; failed ones go to the topic.
    unit.add(resource(
        "ConfigViolationsRule",
        "AWS::Events::Rule",
        json!({
            "Name": format!("{}-config-violations", ctx.slug),
            "Description": "Failed AWS Config checks from every account",
            "State": "ENABLED",
            "EventPattern": {
                "source": ["aws.securityhub"],
                "detail-type": ["Security Hub Findings - Imported"],
                "detail": {
                    "findings": {
                        "ProductName": ["Config"],
                        "Compliance": { "Status": ["FAILED"] },
                        "RecordState": ["ACTIVE"]
                    }
                }
            },
            "Targets": [{ "Id": "alerts", "Arn": { "Ref": "ComplianceAlerts" } }]
        }),
    ));
    unit
}
