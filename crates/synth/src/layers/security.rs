//! Log archive and security tooling.
//!
//! - The log archive account (home region) holds the central buckets —
//!   CloudTrail, Config, VPC flow logs, Session Manager, application logs —
//!   versioned, encrypted with its own KMS key, with lifecycle rules and
//!   policies that deny unencrypted transport and accept writes only from
//!   the organization.
//! - The management account runs the organization trail into that bucket and
//!   designates the security account as Security Hub's administrator.
//! - The security tooling account runs GuardDuty and Security Hub in every
//!   allowed region, aggregates Config and Security Hub findings in the home
//!   region, and routes failed Config checks to an SNS topic (EventBridge).
//!
//! Delegated administration of GuardDuty and Config has no resource type;
//! it is in the manifest's organization actions.

use super::key_policy;
use landfall_graph::{intrinsic, Layer, Target};
use serde_json::json;

use crate::unit::{resource, ResourceExt, Unit};
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
    let writers = [
        "cloudtrail.amazonaws.com",
        "config.amazonaws.com",
        "delivery.logs.amazonaws.com",
    ];
    unit.add(
        resource(
            "LogArchiveKey",
            "AWS::KMS::Key",
            json!({
                "Description": "Encrypts the central log buckets",
                "EnableKeyRotation": true,
                "KeyPolicy": key_policy(vec![json!({
                            "Sid": "LogServicesOfTheOrganizationEncrypt",
                            "Effect": "Allow",
                            "Principal": { "Service": writers },
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                            "Condition": { "StringEquals": { "aws:SourceOrgID": { "Ref": org } } }
                        }), json!({
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
                        })])
            }),
        )
        .retain(),
    );
    unit.add(resource(
        "LogArchiveKeyAlias",
        "AWS::KMS::Alias",
        json!({ "AliasName": LOG_ARCHIVE_KEY_ALIAS, "TargetKeyId": { "Ref": "LogArchiveKey" } }),
    ));
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
        let services: Vec<&str> = match purpose {
            "trail" => vec!["cloudtrail.amazonaws.com"],
            "config" => vec!["config.amazonaws.com"],
            "flowlogs" => vec!["delivery.logs.amazonaws.com"],
            _ => vec![],
        };
        if !services.is_empty() {
            statements.push(json!({
                "Sid": "LogServicesCheckTheBucket",
                "Effect": "Allow",
                "Principal": { "Service": services },
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": bucket_arn,
                "Condition": { "StringEquals": { "aws:SourceOrgID": { "Ref": org } } }
            }));
            statements.push(json!({
                "Sid": "LogServicesWrite",
                "Effect": "Allow",
                "Principal": { "Service": services },
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": { "StringEquals": { "aws:SourceOrgID": { "Ref": org } } }
            }));
        } else {
            // Session Manager and log shippers write as principals of the
            // organization's accounts.
            statements.push(json!({
                "Sid": "OrganizationWrites",
                "Effect": "Allow",
                "Principal": { "AWS": "*" },
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": { "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } } }
            }));
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
    unit
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
            "TrailName": format!("{}-organization", ctx.slug),
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
        format!("GuardDuty and Security Hub in {region}"),
        Target::Account {
            account: account.to_owned(),
            region: region.to_owned(),
        },
    );
    unit.depends_on
        .push(ctx.stack_name("organization-trail", ""));
    unit.add(resource(
        "Detector",
        "AWS::GuardDuty::Detector",
        json!({
            "Enable": true,
            "FindingPublishingFrequency": "FIFTEEN_MINUTES",
            "Features": [
                { "Name": "S3_DATA_EVENTS", "Status": "ENABLED" },
                { "Name": "RUNTIME_MONITORING", "Status": "ENABLED",
                  "AdditionalConfiguration": [{ "Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED" }] }
            ]
        }),
    ));
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
