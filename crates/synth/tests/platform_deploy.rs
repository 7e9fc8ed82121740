//! What real AWS checks when the platform layers deploy, and cfn-lint's
//! schemas cannot see: the grants services need from the log archive's key
//! and buckets, what Session Manager needs, the services the baseline uses
//! under the SCPs, where StackSets land, and the organization-wide
//! security services. Each test names the AWS page the fact comes from.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_graph::{Graph, OrganizationAction, Resource, Stack, Target};
use serde_json::Value;

fn reference() -> common::Synthesized {
    common::synthesize_files(common::reference_files(), None)
}

fn stack<'g>(graph: &'g Graph, suffix: &str) -> &'g Stack {
    graph
        .stacks
        .iter()
        .find(|s| s.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no stack ending in `{suffix}`"))
}

fn resource<'s>(stack: &'s Stack, id: &str) -> &'s Resource {
    stack
        .resource(id)
        .unwrap_or_else(|| panic!("no `{id}` in `{}`", stack.name))
}

/// The statements of a policy document property, by `Sid`.
fn statements<'r>(resource: &'r Resource, property: &str) -> Vec<&'r Value> {
    resource.properties[property]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .collect()
}

fn by_sid<'a>(statements: &[&'a Value], sid: &str) -> &'a Value {
    statements
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement `{sid}`"))
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(|v| v.to_string()).collect(),
        other => vec![other.to_string()],
    }
}

fn allows(statement: &Value, action: &str) -> bool {
    statement["Effect"] == "Allow"
        && strings(&statement["Action"])
            .iter()
            .any(|a| a.trim_matches('"') == action)
}

/// CreateTrail fails unless the key policy lets CloudTrail describe the key
/// and generate data keys in the trail's encryption context
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html>).
#[test]
fn the_log_archive_key_lets_cloudtrail_create_the_organization_trail() {
    let s = reference();
    let archive = stack(&s.graph, "-log-archive");
    let key = resource(archive, "LogArchiveKey");
    let policy = &key.properties["KeyPolicy"]["Statement"];
    let statements: Vec<&Value> = policy.as_array().unwrap().iter().collect();
    let cloudtrail: Vec<&&Value> = statements
        .iter()
        .filter(|st| st["Principal"]["Service"] == "cloudtrail.amazonaws.com")
        .collect();
    assert!(
        cloudtrail.iter().any(|st| allows(st, "kms:DescribeKey")),
        "{cloudtrail:#?}"
    );
    let generate = cloudtrail
        .iter()
        .find(|st| allows(st, "kms:GenerateDataKey*"))
        .expect("CloudTrail may generate data keys");
    assert!(generate["Condition"]["StringLike"]
        .get("kms:EncryptionContext:aws:cloudtrail:arn")
        .is_some());
    // The source ARN is the trail the management account creates.
    let trail = resource(stack(&s.graph, "-organization-trail"), "OrganizationTrail");
    let name = trail.properties["TrailName"].as_str().unwrap();
    let source = generate["Condition"]["StringEquals"]["aws:SourceArn"].to_string();
    assert!(source.contains(&format!(":trail/{name}")), "{source}");
}

/// An organization trail writes under `AWSLogs/<organization id>/` as well
/// as the management account's prefix, with the bucket owner in full
/// control (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html>).
#[test]
fn the_trail_bucket_accepts_the_organization_trail() {
    let s = reference();
    let archive = stack(&s.graph, "-log-archive");
    let policy = resource(archive, "TrailBucketPolicy");
    let statements = statements(policy, "PolicyDocument");
    let write = by_sid(&statements, "CloudTrailWrites");
    let resources = write["Resource"].to_string();
    assert!(
        resources.contains("/AWSLogs/${OrganizationId}/*"),
        "{resources}"
    );
    assert!(
        resources.contains("/AWSLogs/${ManagementAccountId}/*"),
        "{resources}"
    );
    assert_eq!(
        write["Condition"]["StringEquals"]["s3:x-amz-acl"],
        "bucket-owner-full-control"
    );
    assert!(write["Condition"]["StringEquals"]
        .get("aws:SourceArn")
        .is_some());
    assert!(allows(
        by_sid(&statements, "CloudTrailChecksTheBucket"),
        "s3:GetBucketAcl"
    ));
}

/// Config and flow logs check the bucket ACL and write with
/// `bucket-owner-full-control`
/// (<https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html>,
/// <https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html>),
/// and, the buckets being SSE-KMS, need the key too.
#[test]
fn config_and_flow_logs_can_deliver_into_the_log_archive() {
    let s = reference();
    let archive = stack(&s.graph, "-log-archive");
    for (bucket, service) in [
        ("ConfigBucketPolicy", "config.amazonaws.com"),
        ("FlowLogsBucketPolicy", "delivery.logs.amazonaws.com"),
    ] {
        let statements = statements(resource(archive, bucket), "PolicyDocument");
        let check = by_sid(&statements, "LogServicesCheckTheBucket");
        assert_eq!(check["Principal"]["Service"], service);
        assert!(allows(check, "s3:GetBucketAcl"));
        let write = by_sid(&statements, "LogServicesWrite");
        assert!(write["Resource"].to_string().contains("/AWSLogs/"));
        assert_eq!(
            write["Condition"]["StringEquals"]["s3:x-amz-acl"],
            "bucket-owner-full-control"
        );
    }
    let key = resource(archive, "LogArchiveKey");
    let statements: Vec<&Value> = key.properties["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let services = by_sid(&statements, "LogServicesOfTheOrganizationEncrypt");
    for action in ["kms:GenerateDataKey*", "kms:DescribeKey"] {
        assert!(allows(services, action), "{action}");
    }
}

/// Session Manager checks the log bucket's encryption
/// (`s3:GetEncryptionConfiguration`) and the instance decrypts with the
/// session key (`kms:Decrypt`)
/// (<https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html>).
#[test]
fn session_manager_can_encrypt_and_log_sessions() {
    let s = reference();
    let archive = stack(&s.graph, "-log-archive");
    let bucket = statements(resource(archive, "SessionsBucketPolicy"), "PolicyDocument");
    let check = by_sid(&bucket, "OrganizationChecksEncryption");
    assert!(allows(check, "s3:GetEncryptionConfiguration"));
    assert!(!check["Resource"].to_string().contains("/*"));
    // Each account writes under its own id only (a policy variable:
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html),
    // the prefix the session preferences give (checked below): no account
    // can overwrite or plant another's session records.
    let writes = by_sid(&bucket, "OrganizationWrites");
    assert_eq!(
        writes["Resource"]["Fn::Sub"],
        "${SessionsBucket.Arn}/${!aws:PrincipalAccount}/*"
    );

    let regional = stack(&s.graph, "-baseline-regional");
    let preferences = resource(regional, "SessionManagerPreferences");
    assert!(
        preferences.properties["Content"]["inputs"]["s3KeyPrefix"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .starts_with("${AWS::AccountId}/")
    );
    assert_eq!(
        preferences.properties["Content"]["inputs"]["kmsKeyId"]["Ref"],
        "SessionsKey"
    );
    let key = resource(regional, "SessionsKey");
    let grants: Vec<&Value> = key.properties["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let participants = by_sid(&grants, "SessionParticipantsOfTheAccount");
    assert!(allows(participants, "kms:Decrypt"));
    assert!(allows(participants, "kms:GenerateDataKey"));
    assert!(participants["Condition"]["StringEquals"]
        .get("kms:CallerAccount")
        .is_some());

    let global = stack(&s.graph, "-baseline-global");
    let policy = resource(global, "SessionManagerInstancePolicy");
    let instance = statements(policy, "PolicyDocument");
    for action in [
        "kms:Decrypt",
        "s3:GetEncryptionConfiguration",
        "s3:PutObject",
        "kms:GenerateDataKey",
    ] {
        assert!(
            instance.iter().any(|st| allows(st, action)),
            "{action} missing from the instance policy"
        );
    }
}

/// Every resource type the StackSets deploy into member accounts belongs
/// to a service the SCPs' allowlists always keep: the StackSet execution
/// role is bound by SCPs
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html>).
#[test]
fn the_baseline_stacksets_use_only_services_every_allowlist_keeps() {
    let s = reference();
    let mut seen = 0;
    for stack in s.graph.stacks.iter().filter(|st| st.is_stack_set()) {
        for resource in &stack.resources {
            let service = landfall_rules::services::service_prefix(&resource.kind).unwrap();
            assert!(
                landfall_rules::scp::PLATFORM_SERVICES.contains(&service.as_str()),
                "`{}` in `{}` needs `{service}`, which an environment's allowlist may leave out",
                resource.kind,
                stack.name
            );
            seen += 1;
        }
    }
    assert!(seen > 0);
}

/// A StackSet deployed to an OU lands in every account below it, and
/// auto-deployment adds every account that joins
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html>):
/// each config-rules StackSet targets only OUs whose accounts are all of
/// its class, with no account filter to lose.
#[test]
fn config_rule_stacksets_reach_only_the_accounts_of_their_class() {
    let s = reference();
    let model = &s.model;
    let sets = landfall_rules::config_rules(model);
    let mut checked = 0;
    for stack in s
        .graph
        .stacks
        .iter()
        .filter(|st| st.name.contains("-config-rules-"))
    {
        let Target::StackSet(target) = &stack.target else {
            panic!("{} is a StackSet", stack.name);
        };
        assert!(
            target.accounts.is_empty(),
            "{} filters accounts",
            stack.name
        );
        let reached: Vec<&str> = model
            .member_accounts()
            .filter(|a| {
                let mut ou = Some(a.ou);
                while let Some(id) = ou {
                    if target.organizational_units.contains(&model.ou(id).path) {
                        return true;
                    }
                    ou = model.ou(id).parent;
                }
                false
            })
            .map(|a| a.name.as_str())
            .collect();
        let class_accounts = reached
            .first()
            .and_then(|first| {
                let id = model.accounts.iter().find(|a| a.name == *first)?.id;
                sets.iter().find(|set| set.accounts.contains(&id))
            })
            .expect("the StackSet reaches an account");
        let mut expected: Vec<&str> = class_accounts
            .accounts
            .iter()
            .map(|a| model.account(*a).name.as_str())
            .collect();
        expected.sort_unstable();
        let mut reached = reached;
        reached.sort_unstable();
        assert_eq!(reached, expected, "{}", stack.name);
        checked += 1;
    }
    assert_eq!(checked, sets.iter().filter(|s| !s.rules.is_empty()).count());
}

/// GuardDuty's and Security Hub's delegated administrators are per region,
/// designating GuardDuty's turns it on in that account
/// (<https://docs.aws.amazon.com/guardduty/latest/ug/organizations_permissions.html>),
/// and member accounts get GuardDuty through the organization configuration
/// (<https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateOrganizationConfiguration.html>)
/// and Security Hub through a central configuration policy on the root
/// (<https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_OrganizationConfiguration.html>).
#[test]
fn guardduty_and_security_hub_cover_every_account_and_region() {
    let s = reference();
    let regions: Vec<&str> = s
        .model
        .guardrails
        .allowed_regions
        .iter()
        .map(|r| s.model.region(*r).name.as_str())
        .collect();
    let home = s
        .model
        .region(s.model.organization.home_region)
        .name
        .as_str();
    let actions = &s.graph.organization_actions;
    for region in &regions {
        assert!(actions.iter().any(|a| matches!(a,
            OrganizationAction::EnableGuardDutyAdminInRegion { region: r, .. } if r == region)));
        assert!(actions.iter().any(|a| matches!(a,
            OrganizationAction::AutoEnableGuardDuty { region: r, .. } if r == region)));
        if region != &home {
            assert!(actions.iter().any(|a| matches!(a,
                OrganizationAction::EnableSecurityHubAdminInRegion { region: r, .. } if r == region)));
        }
        let tooling = stack(&s.graph, &format!("-security-tooling-{region}"));
        assert!(
            tooling
                .resources
                .iter()
                .all(|r| r.kind != "AWS::GuardDuty::Detector"),
            "a second detector in the administrator account fails"
        );
    }
    // GuardDuty's administrator comes before its auto-enable, in each region.
    for region in &regions {
        let admin = actions.iter().position(|a| {
            matches!(a,
            OrganizationAction::EnableGuardDutyAdminInRegion { region: r, .. } if r == region)
        });
        let auto = actions.iter().position(|a| {
            matches!(a,
            OrganizationAction::AutoEnableGuardDuty { region: r, .. } if r == region)
        });
        assert!(admin < auto);
    }
    let home_tooling = stack(&s.graph, &format!("-security-tooling-{home}"));
    let configuration = resource(home_tooling, "SecurityHubOrganizationConfiguration");
    assert_eq!(configuration.properties["ConfigurationType"], "CENTRAL");
    assert!(configuration
        .depends_on
        .iter()
        .any(|d| d == "FindingAggregator"));
    let association = resource(home_tooling, "SecurityHubPolicyOnTheRoot");
    assert_eq!(association.properties["TargetType"], "ROOT");
}

/// IAM verifies an OIDC issuer outside its CA library by the thumbprint
/// of the issuer's top intermediate CA
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html>):
/// the reference's Jenkins provider carries the spec's thumbprint.
#[test]
fn the_jenkins_oidc_provider_carries_its_thumbprint() {
    let s = reference();
    let shared = s
        .graph
        .stacks
        .iter()
        .find_map(|st| st.resource("JenkinsOidcProvider"))
        .expect("the reference trusts Jenkins");
    let thumbprints = shared.properties["ThumbprintList"].as_array().unwrap();
    assert!(!thumbprints.is_empty());
    for thumbprint in thumbprints {
        assert!(landfall_model::aws::is_oidc_thumbprint(
            thumbprint.as_str().unwrap()
        ));
    }
}

/// Stacks that run longer than the deployer's session (chained role
/// sessions last an hour at most) must not depend on it: CloudFormation
/// runs them as the baseline's service role
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html>),
/// which exists in an account only once the baseline that creates it is
/// deployed there. Stacks in the management account, where StackSets never
/// deploy, and stacks before the baseline keep the deployer's credentials.
#[test]
fn member_account_stacks_after_the_baseline_run_as_the_cloudformation_role() {
    let s = reference();
    let roles = landfall_synth::deployers::service_roles(&s.model, &s.graph);
    let management = s
        .model
        .accounts
        .iter()
        .find(|a| a.class == landfall_spec::types::AccountClass::Management)
        .unwrap()
        .name
        .clone();
    let baseline = stack(&s.graph, "-baseline-global");
    let mut with_role = 0;
    for st in &s.graph.stacks {
        let Target::Account { account, .. } = &st.target else {
            assert!(!roles.contains_key(&st.name), "StackSet `{}`", st.name);
            continue;
        };
        if account == &management {
            assert!(
                !roles.contains_key(&st.name),
                "`{}` is in the management account",
                st.name
            );
        } else if st.depends_on.iter().any(|d| d == &baseline.name) {
            assert_eq!(
                roles.get(&st.name).map(String::as_str),
                Some("landfall/landfall-cloudformation"),
                "`{}`",
                st.name
            );
            with_role += 1;
        }
    }
    assert!(with_role > 5, "{with_role}");
    // In the reference every member-account stack comes after it but the
    // log archive and security tooling, which the baseline reads (its
    // Config delivery goes to the archive), and the billing bucket beside
    // the archive: they run with the deployer's credentials.
    let without: Vec<&str> = s
        .graph
        .stacks
        .iter()
        .filter(
            |st| matches!(&st.target, Target::Account { account, .. } if account != &management),
        )
        .filter(|st| !roles.contains_key(&st.name))
        .map(|st| st.name.as_str())
        .collect();
    assert_eq!(
        without,
        [
            "meridian-log-archive",
            "meridian-security-tooling-eu-central-1",
            "meridian-security-tooling-eu-west-1",
            "meridian-billing-archive",
        ]
    );
    // The role it names is the one the baseline creates, trusted by
    // CloudFormation.
    let role = resource(baseline, "CloudFormationRole");
    assert_eq!(role.properties["RoleName"], "landfall-cloudformation");
    assert_eq!(role.properties["Path"], "/landfall/");
    assert_eq!(
        role.properties["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "cloudformation.amazonaws.com"
    );
}

/// The alert path: every member account's baseline forwards the events the
/// remediation service acts on to one bus in the observability account, as
/// a role of its own (a cross-account bus target needs one,
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html>),
/// the bus admits the organization, and the queue admits EventBridge only
/// for the rule on that bus
/// (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions>).
#[test]
fn every_member_account_forwards_its_events_to_the_remediation_queue() {
    let s = reference();
    let alerting = stack(&s.graph, "-alerting");
    match &alerting.target {
        Target::Account { account, .. } => assert_eq!(account, "observability"),
        other => panic!("the alerting stack targets {other:?}"),
    }
    let bus = resource(alerting, "AlertBus");
    let admits = &bus.properties["Policy"]["Statement"][0];
    assert_eq!(admits["Action"], "events:PutEvents");
    assert!(admits["Condition"]["StringEquals"]
        .get("aws:PrincipalOrgID")
        .is_some());
    let queue = resource(alerting, "HealQueue");
    assert_eq!(queue.properties["RedrivePolicy"]["maxReceiveCount"], 5);
    let policy = statements(resource(alerting, "HealQueuePolicy"), "PolicyDocument");
    let delivers = by_sid(&policy, "TheRuleDelivers");
    assert_eq!(delivers["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        delivers["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0],
        "ToHealQueue"
    );
    assert!(allows(
        by_sid(&policy, "TheRemediationServiceReads"),
        "sqs:ReceiveMessage"
    ));

    // The forwarding rule in every member account and region, sending as
    // the baseline's role, which may put events on that bus only.
    let regional = stack(&s.graph, "-baseline-regional");
    assert!(regional.is_stack_set());
    let rule = resource(regional, "ForwardAlerts");
    let target = &rule.properties["Targets"][0];
    // (Its own region's bus or the home region's: see
    // `every_region_with_vpcs_runs_a_remediation_service_acting_there`.)
    for branch in [1, 2] {
        assert!(target["Arn"]["Fn::If"][branch]["Fn::Sub"]
            .as_str()
            .unwrap()
            .ends_with(":event-bus/landfall-alerts"));
    }
    assert!(target["RoleArn"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .ends_with("role/landfall/landfall-alert-forwarder"));
    assert_eq!(rule.properties["EventPattern"], bus_rule_pattern(alerting));
    let global = stack(&s.graph, "-baseline-global");
    let role = resource(global, "AlertForwarderRole");
    let forward = &role.properties["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(forward["Action"], "events:PutEvents");
    for bus in forward["Resource"].as_array().unwrap() {
        assert!(bus["Fn::Sub"]
            .as_str()
            .unwrap()
            .ends_with(":event-bus/landfall-alerts"));
    }
}

// The remediation journal, in the observability account, used from the
// management account: a table's resource policy admits another account
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-examples.html),
// but not for a table encrypted with the AWS managed key, whose key policy
// cannot admit another account
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html);
// the TTL attribute must be a Number of Unix seconds
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-before-you-start.html).
#[test]
fn the_remediation_journal_is_a_table_the_management_account_can_use() {
    use landfall_synth::layers::alerting::{
        HEAL_JOURNAL_INDEX, HEAL_JOURNAL_KEYS, HEAL_JOURNAL_TABLE, HEAL_JOURNAL_TTL,
    };
    let s = reference();
    let alerting = stack(&s.graph, "-alerting");
    let table = resource(alerting, "HealJournal");
    let p = &table.properties;
    assert_eq!(p["TableName"], HEAL_JOURNAL_TABLE);
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(
        p["TimeToLiveSpecification"]["AttributeName"],
        HEAL_JOURNAL_TTL
    );
    assert_eq!(p["TimeToLiveSpecification"]["Enabled"], true);
    let keys: Vec<&Value> = p["KeySchema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["AttributeName"])
        .collect();
    assert_eq!(keys, HEAL_JOURNAL_KEYS);
    assert_eq!(
        p["GlobalSecondaryIndexes"][0]["IndexName"],
        HEAL_JOURNAL_INDEX
    );
    // Encrypted with the table's own key, which admits the management
    // account through DynamoDB only.
    assert_eq!(p["SSESpecification"]["SSEType"], "KMS");
    assert_eq!(
        p["SSESpecification"]["KMSMasterKeyId"]["Fn::GetAtt"][0],
        "HealJournalKey"
    );
    let key = statements(resource(alerting, "HealJournalKey"), "KeyPolicy");
    let uses = by_sid(&key, "TheRemediationServiceUsesTheJournal");
    assert!(allows(uses, "kms:GenerateDataKey*") && allows(uses, "kms:Decrypt"));
    assert!(uses["Principal"]["AWS"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .contains(":root"));
    assert!(
        uses["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .starts_with("dynamodb.")
    );
    // The table's policy lets the management account do what the journal does.
    let policy = &p["ResourcePolicy"]["PolicyDocument"]["Statement"][0];
    for action in [
        "dynamodb:ConditionCheckItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ] {
        assert!(allows(policy, action), "{action}");
    }
    assert_eq!(policy["Principal"], uses["Principal"]);
    assert!(policy["Resource"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .ends_with(&format!(":table/{HEAL_JOURNAL_TABLE}")));
}

fn bus_rule_pattern(alerting: &Stack) -> Value {
    resource(alerting, "ToHealQueue").properties["EventPattern"].clone()
}

// The payer's export reaches a bucket of the log archive only if the bucket
// policy admits Data Exports for this payer and the export names the
// bucket's owner:
// https://docs.aws.amazon.com/cur/latest/userguide/dataexports-s3-bucket.html
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-bcmdataexports-export-s3destination.html
#[test]
fn the_billing_export_writes_daily_parquet_into_the_log_archive() {
    let s = reference();
    let payer = stack(&s.graph, "-billing");
    assert!(
        matches!(&payer.target, Target::Account { account, region } if account == "management" && region == "us-east-1"),
        "{:?}",
        payer.target
    );
    let export = &resource(payer, "BillingExport").properties["Export"];
    let query = export["DataQuery"]["QueryStatement"].as_str().unwrap();
    assert!(query.ends_with("FROM COST_AND_USAGE_REPORT"), "{query}");
    for column in landfall_synth::layers::billing::EXPORT_COLUMNS {
        assert!(query.contains(column), "{column}");
    }
    let table = &export["DataQuery"]["TableConfigurations"]["COST_AND_USAGE_REPORT"];
    assert_eq!(table["TIME_GRANULARITY"], "DAILY");
    let destination = &export["DestinationConfigurations"]["S3Destination"];
    assert_eq!(destination["S3OutputConfigurations"]["Format"], "PARQUET");
    assert_eq!(
        destination["S3OutputConfigurations"]["Overwrite"],
        "OVERWRITE_REPORT"
    );
    // The owner is the log archive, by the id the deployer resolves.
    let owner = destination["S3BucketOwner"]["Ref"].as_str().unwrap();
    let param = payer.parameters.iter().find(|p| p.name == owner).unwrap();
    assert_eq!(
        param.value,
        landfall_graph::ParameterValue::AccountId("log-archive".into())
    );
    // The bucket admits the service only for this payer's exports.
    let archive = stack(&s.graph, "-billing-archive");
    assert!(payer.depends_on.contains(&archive.name));
    let policy = resource(archive, "BillingBucketPolicy");
    let statements = statements(policy, "PolicyDocument");
    let delivers = statements
        .iter()
        .find(|st| st["Sid"] == "DataExportsDelivers")
        .unwrap();
    assert_eq!(
        delivers["Principal"]["Service"],
        serde_json::json!([
            "bcm-data-exports.amazonaws.com",
            "billingreports.amazonaws.com"
        ])
    );
    let condition = &delivers["Condition"]["StringLike"];
    assert!(condition["aws:SourceAccount"]["Ref"].is_string());
    assert!(condition["aws:SourceArn"]
        .to_string()
        .contains("bcm-data-exports:us-east-1"));
}

// A cost budget per domain over its accounts, alerting at each declared
// percentage and when the forecast passes it:
// https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html
#[test]
fn each_declared_budget_is_an_aws_budget_over_the_domains_accounts() {
    let s = reference();
    let billing = s.model.billing.as_ref().unwrap();
    let budgets: Vec<(&Stack, &Resource)> = s
        .graph
        .stacks
        .iter()
        .flat_map(|st| st.resources.iter().map(move |r| (st, r)))
        .filter(|(_, r)| r.kind == "AWS::Budgets::Budget")
        .collect();
    assert_eq!(budgets.len(), billing.budgets.len());
    for (domain, declared) in &billing.budgets {
        let domain = s.model.domain(*domain);
        let (st, budget) = budgets
            .iter()
            .find(|(_, r)| {
                r.properties["Budget"]["BudgetName"] == format!("meridian-{}", domain.name)
            })
            .unwrap();
        assert_eq!(
            budget.properties["Budget"]["BudgetLimit"]["Amount"],
            declared.monthly
        );
        let accounts = budget.properties["Budget"]["CostFilters"]["LinkedAccount"]
            .as_array()
            .unwrap();
        let expected = s
            .model
            .accounts
            .iter()
            .filter(|a| a.domain == Some(domain.id))
            .count();
        assert_eq!(accounts.len(), expected, "{}", domain.name);
        for a in accounts {
            let name = a["Ref"].as_str().unwrap();
            assert!(st.parameters.iter().any(|p| p.name == name));
        }
        let notifications = budget.properties["NotificationsWithSubscribers"]
            .as_array()
            .unwrap();
        let actual: Vec<u64> = notifications
            .iter()
            .filter(|n| n["Notification"]["NotificationType"] == "ACTUAL")
            .map(|n| n["Notification"]["Threshold"].as_u64().unwrap())
            .collect();
        let wanted: Vec<u64> = declared
            .alert_at_percent
            .iter()
            .map(|p| u64::from(*p))
            .collect();
        assert_eq!(actual, wanted, "{}", domain.name);
        assert!(notifications
            .iter()
            .any(|n| n["Notification"]["NotificationType"] == "FORECASTED"));
        assert!(notifications.iter().all(|n| n["Subscribers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|sub| sub["Address"] == domain.owner.email)));
    }
}

// A participant of a shared VPC may create security groups in it, and
// groups of one VPC's participants reference each other:
// https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing-security-groups.html
#[test]
fn the_scanners_have_a_group_in_every_vpc_reaching_only_that_vpc() {
    let s = reference();
    assert!(!s.model.network.vpcs.is_empty());
    for vpc in &s.model.network.vpcs {
        let name = landfall_graph::scanner_stack_name("meridian", &vpc.name);
        let scanner = s
            .graph
            .stack(&name)
            .unwrap_or_else(|| panic!("no `{name}`"));
        let Target::Account { account, .. } = &scanner.target else {
            panic!("{name}");
        };
        assert_eq!(account, "security-tooling");
        let group = resource(scanner, landfall_graph::SCANNER_GROUP_LOGICAL_ID);
        let cidr = s.plan.vpc_cidr(vpc.id).to_string();
        let egress = group.properties["SecurityGroupEgress"].as_array().unwrap();
        assert!(egress.iter().all(|e| e["CidrIp"] == cidr.as_str()));
        let vpc_param = group.properties["VpcId"]["Ref"].as_str().unwrap();
        let param = scanner
            .parameters
            .iter()
            .find(|p| p.name == vpc_param)
            .unwrap();
        let landfall_graph::ParameterValue::ResourceId { stack, logical_id } = &param.value else {
            panic!("{vpc_param}");
        };
        assert_eq!(logical_id, "Vpc");
        assert!(s.graph.stack(stack).unwrap().resource("Vpc").is_some());
        // After the share that makes security tooling a participant.
        let share = s
            .graph
            .stacks
            .iter()
            .find(|st| {
                st.resources.iter().any(|r| {
                    r.kind == "AWS::RAM::ResourceShare"
                        && r.logical_id == "ShareSecurityTooling"
                        && st.name.contains(&vpc.name)
                })
            })
            .unwrap_or_else(|| panic!("no share of {} with security tooling", vpc.name));
        assert!(
            scanner.depends_on.contains(&share.name),
            "{} {:?}",
            share.name,
            scanner.depends_on
        );
    }
    // The endpoints subnets, and only those, are shared with it.
    let security = s
        .model
        .accounts
        .iter()
        .find(|a| a.name == "security-tooling")
        .unwrap()
        .id;
    for subnet in &s.model.network.subnets {
        let endpoints = s.model.tier(subnet.tier).kind == landfall_spec::types::TierKind::Endpoints;
        assert_eq!(
            subnet.shared_with.contains(&security),
            endpoints,
            "{}",
            subnet.name
        );
    }
}

/// The payer activates the platform's tag keys as cost allocation tags, so
/// the billing export splits shared accounts by them
/// (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html).
#[test]
fn the_platforms_tag_keys_are_activated_as_cost_allocation_tags() {
    let s = reference();
    let activated: Vec<&Vec<String>> = s
        .graph
        .organization_actions
        .iter()
        .filter_map(|a| match a {
            OrganizationAction::ActivateCostAllocationTags { tag_keys } => Some(tag_keys),
            _ => None,
        })
        .collect();
    assert_eq!(activated.len(), 1);
    assert_eq!(activated[0], &landfall_graph::COST_ALLOCATION_TAGS.to_vec());
}

/// With the SIEM's account in the spec, the log archive tells it of every
/// new CloudTrail and flow-log object and lets it read them, and nothing
/// else: S3 may publish to the topic only for those two buckets of this
/// account, the SIEM's account may only subscribe a queue, and the read
/// role reads only those buckets. S3 checks at
/// `PutBucketNotificationConfiguration` that it may publish to the topic,
/// so each bucket waits for the topic's policy, and the topic's key lets
/// S3 encrypt (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
#[test]
fn the_siem_is_told_of_new_security_logs_and_reads_only_those() {
    let siem = "210987654321";
    let files = common::reference_files()
        .into_iter()
        .map(|(name, text)| {
            if name.ends_with("observability.yaml") {
                let text = text.replacen(
                    "  security:\n",
                    &format!("  security:\n    siem_account_id: \"{siem}\"\n"),
                    1,
                );
                (name, text)
            } else {
                (name, text)
            }
        })
        .collect();
    let s = common::synthesize_files(files, None);
    let archive = stack(&s.graph, "-log-archive");
    let topic = archive.resource("SiemNotifications").unwrap();
    assert_eq!(topic.kind, "AWS::SNS::Topic");
    assert_eq!(
        topic.properties["KmsMasterKeyId"],
        serde_json::json!({ "Fn::GetAtt": ["LogArchiveKey", "Arn"] })
    );
    let policy = &archive
        .resource("SiemNotificationsPolicy")
        .unwrap()
        .properties["PolicyDocument"]["Statement"];
    let publish = &policy[0];
    assert_eq!(publish["Principal"]["Service"], "s3.amazonaws.com");
    let sources: Vec<String> = publish["Condition"]["ArnLike"]["aws:SourceArn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Fn::Sub"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sources.len(), 2);
    assert!(
        sources[0].contains("-trail-") && sources[1].contains("-flowlogs-"),
        "{sources:?}"
    );
    let subscribe = &policy[1];
    assert_eq!(subscribe["Action"], "sns:Subscribe");
    assert_eq!(
        subscribe["Condition"]["StringEquals"]["sns:Protocol"],
        "sqs"
    );
    assert!(subscribe["Principal"]["AWS"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .contains(siem));

    let notified: Vec<&str> = archive
        .resources
        .iter()
        .filter(|r| r.properties.get("NotificationConfiguration").is_some())
        .map(|r| r.logical_id.as_str())
        .collect();
    assert_eq!(notified, ["TrailBucket", "FlowLogsBucket"]);
    for id in notified {
        let bucket = archive.resource(id).unwrap();
        assert!(
            bucket
                .depends_on
                .iter()
                .any(|d| d == "SiemNotificationsPolicy"),
            "{id}"
        );
    }
    let key = &archive.resource("LogArchiveKey").unwrap().properties["KeyPolicy"]["Statement"];
    assert!(key
        .as_array()
        .unwrap()
        .iter()
        .any(|st| st["Sid"] == "S3PublishesToEncryptedTopics"));

    let role = archive.resource("SiemReadRole").unwrap();
    assert_eq!(role.properties["Path"], "/landfall/");
    let trust = &role.properties["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(trust.as_array().unwrap().len(), 1);
    assert!(trust[0]["Principal"]["AWS"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .contains(siem));
    let reads = &role.properties["Policies"][0]["PolicyDocument"]["Statement"][1];
    assert_eq!(reads["Action"], "s3:GetObject");
    assert_eq!(reads["Resource"].as_array().unwrap().len(), 2);

    // Without the SIEM's account nothing is shared.
    let plain = reference();
    let archive = stack(&plain.graph, "-log-archive");
    assert!(archive.resource("SiemNotifications").is_none());
    assert!(archive.resource("SiemReadRole").is_none());
    let key = &archive.resource("LogArchiveKey").unwrap().properties["KeyPolicy"]["Statement"];
    assert!(!key
        .as_array()
        .unwrap()
        .iter()
        .any(|st| st["Sid"] == "S3PublishesToEncryptedTopics"));
}

/// The application log lake is queryable from the log archive: a Glue
/// table whose partitions are projected (every domain and service of the
/// model, every day the lake keeps) over the lake bucket's
/// `domain=/service=/date=` layout, and an Athena workgroup that writes its
/// results outside the partitions, encrypted with the archive's key
/// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html).
#[test]
fn the_log_lake_is_a_projected_table_over_every_domain_and_service() {
    use landfall_synth::layers::log_lake::{COLUMNS, PARTITION_PATH};
    let s = reference();
    let archive = stack(&s.graph, "-log-archive");
    let table = &archive.resource("LogLakeTable").unwrap().properties["TableInput"];
    let keys: Vec<&str> = table["PartitionKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["Name"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["domain", "service", "date"]);
    let parameters = &table["Parameters"];
    assert_eq!(parameters["projection.enabled"], "true");
    let listed = |key: &str| -> Vec<String> {
        parameters[key]
            .as_str()
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect()
    };
    let domains: Vec<String> = s.model.domains.iter().map(|d| d.name.clone()).collect();
    let services: Vec<String> = s.model.services.iter().map(|x| x.name.clone()).collect();
    assert_eq!(listed("projection.domain.values"), domains);
    assert_eq!(listed("projection.service.values"), services);
    let days = s
        .model
        .observability
        .as_ref()
        .unwrap()
        .logs
        .s3_retention_days;
    assert_eq!(
        parameters["projection.date.range"],
        format!("NOW-{days}DAYS,NOW")
    );
    assert_eq!(
        parameters["storage.location.template"]["Fn::Sub"],
        format!(
            "s3://${{AppLogsBucket}}/{}",
            PARTITION_PATH.replace("${", "${!")
        )
    );
    let columns = table["StorageDescriptor"]["Columns"].as_array().unwrap();
    assert_eq!(columns.len(), COLUMNS.len());
    assert!(columns
        .iter()
        .all(|c| !keys.contains(&c["Name"].as_str().unwrap())));
    let workgroup = &archive.resource("LogLakeWorkgroup").unwrap().properties;
    let results = &workgroup["WorkGroupConfiguration"]["ResultConfiguration"];
    assert_eq!(
        results["OutputLocation"]["Fn::Sub"],
        "s3://${AppLogsBucket}/athena-results/"
    );
    assert_eq!(
        results["EncryptionConfiguration"]["EncryptionOption"],
        "SSE_KMS"
    );
}

/// CloudWatch cross-account observability: per region, a sink in the
/// observability account admitting links from the organization for exactly
/// metrics, log groups and traces, and a StackSet linking every member
/// account of that region to it. The sink's ARN holds an id AWS picks, so
/// the links read it from the sink's stack, which deploys first; the
/// observability account cannot link to its own sink, so its instance
/// creates nothing
/// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account-Setup.html).
#[test]
fn every_member_account_links_to_its_regions_observability_sink() {
    use landfall_graph::ParameterValue;
    let s = reference();
    let observability = s
        .model
        .accounts
        .iter()
        .find(|a| a.class == landfall_spec::types::AccountClass::Observability)
        .unwrap();
    let regions: Vec<&str> = s.model.regions.iter().map(|r| r.name.as_str()).collect();
    assert!(regions.len() >= 2);
    for region in regions {
        let sink_stack = s
            .graph
            .stacks
            .iter()
            .find(|st| st.name == format!("meridian-oam-sink-{region}"))
            .unwrap_or_else(|| panic!("no sink stack in {region}"));
        assert_eq!(
            sink_stack.target,
            Target::Account {
                account: observability.name.clone(),
                region: region.to_owned()
            }
        );
        let sink = sink_stack.resource("Sink").unwrap();
        let statement = &sink.properties["Policy"]["Statement"][0];
        assert_eq!(
            statement["Condition"]["ForAllValues:StringEquals"]["oam:ResourceTypes"],
            serde_json::json!(landfall_synth::layers::oam::SHARED_TYPES)
        );
        assert!(
            statement["Condition"]["ForAnyValue:StringEquals"]["aws:PrincipalOrgID"]["Ref"]
                .is_string()
        );
        assert!(sink_stack.outputs.iter().any(|o| o.name == "SinkArn"));

        let links = s
            .graph
            .stacks
            .iter()
            .find(|st| st.name == format!("meridian-oam-links-{region}"))
            .unwrap();
        let Target::StackSet(target) = &links.target else {
            panic!("links are a StackSet");
        };
        assert_eq!(target.regions, [region]);
        assert!(links.depends_on.contains(&sink_stack.name));
        let arn = links
            .parameters
            .iter()
            .find(|p| p.name == "SinkArn")
            .unwrap();
        assert_eq!(
            arn.value,
            ParameterValue::StackOutput {
                stack: sink_stack.name.clone(),
                output: "SinkArn".into()
            }
        );
        let link = links.resource("Link").unwrap();
        assert_eq!(link.properties["SinkIdentifier"]["Ref"], "SinkArn");
        assert_eq!(link.condition.as_deref(), Some("IsSource"));
        assert!(links.conditions.contains_key("IsSource"));
    }
}

/// The remediation role may grow MSK broker storage, and nothing more of
/// MSK: the cluster is found by listing (which takes no resource), its
/// version, storage and operations read, its storage updated, only on
/// clusters the workload layer tagged with a store
/// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmanagedstreamingforapachekafka.html,
/// https://docs.aws.amazon.com/msk/latest/developerguide/manually-expand-storage.html).
#[test]
fn the_remediation_role_grows_msk_storage_of_the_platforms_clusters_only() {
    let s = reference();
    let global = stack(&s.graph, "-baseline-global");
    let role = resource(global, "RemediationRole");
    let grants: Vec<&Value> = role.properties["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let kafka: Vec<String> = grants
        .iter()
        .flat_map(|g| strings(&g["Action"]))
        .filter(|a| a.contains("kafka"))
        .collect();
    assert_eq!(
        kafka,
        [
            "\"kafka:ListClustersV2\"",
            "\"kafka:DescribeClusterV2\"",
            "\"kafka:ListClusterOperationsV2\"",
            "\"kafka:UpdateBrokerStorage\""
        ]
    );
    let find = by_sid(&grants, "FindMskClusters");
    assert_eq!(find["Resource"], "*");
    let expand = by_sid(&grants, "ExpandMskStorage");
    assert!(allows(expand, "kafka:UpdateBrokerStorage"));
    assert!(expand["Resource"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .ends_with(":kafka:*:${AWS::AccountId}:cluster/*/*"));
    assert_eq!(
        expand["Condition"]["Null"]["aws:ResourceTag/landfall:store"],
        "false"
    );
    // The workload layer names each MSK cluster after its store and tags
    // it with the store (checked in crates/workloads/tests/deployable.rs,
    // `msk_topics_are_created_through_the_msk_topic_api`).
}

/// With GuardDuty's instance findings among the automatic alerts (the
/// reference has them), the remediation role may drain a metal host, tag
/// it and its interfaces with its own two keys only, and move interfaces
/// into a group only when that group is tagged as the quarantine group:
/// `ModifyNetworkInterfaceAttribute` authorizes the interface, the instance
/// and the security groups it names
/// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
/// Without the alert, none of it.
#[test]
fn the_remediation_role_quarantines_into_the_quarantine_group_only() {
    let s = reference();
    let global = stack(&s.graph, "-baseline-global");
    let role = resource(global, "RemediationRole");
    let grants: Vec<&Value> = role.properties["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let into = by_sid(&grants, "QuarantineIntoTheQuarantineGroupOnly");
    assert!(allows(into, "ec2:ModifyNetworkInterfaceAttribute"));
    assert!(into["Resource"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .ends_with(":security-group/*"));
    assert_eq!(
        into["Condition"]["StringEquals"]["aws:ResourceTag/landfall:quarantine"],
        "true"
    );
    // No other statement lets the role put another group on an interface.
    for g in &grants {
        if g["Sid"] != "QuarantineIntoTheQuarantineGroupOnly"
            && allows(g, "ec2:ModifyNetworkInterfaceAttribute")
        {
            assert!(
                !g.to_string().contains("security-group") && g["Resource"] != "*",
                "{g}"
            );
        }
    }
    let host_tag = by_sid(&grants, "MarkQuarantinedHosts");
    assert_eq!(
        host_tag["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"],
        serde_json::json!(["landfall:quarantined-by"])
    );
    assert_eq!(
        host_tag["Condition"]["Null"]["aws:ResourceTag/landfall:domain"],
        "false"
    );
    let interface_tag = by_sid(&grants, "RecordTheGroupsInterfacesHad");
    assert_eq!(
        interface_tag["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"],
        serde_json::json!(["landfall:groups-before"])
    );
    // Interfaces and instances only of metal hosts: the launch template
    // tags the hosts' interfaces with their domain (checked in
    // crates/workloads/tests/deployable.rs).
    let interfaces = by_sid(&grants, "QuarantineInterfacesOfMetalHosts");
    assert_eq!(
        interfaces["Condition"]["Null"]["aws:ResourceTag/landfall:domain"],
        "false"
    );
    let drain = by_sid(&grants, "DrainContainerInstances");
    assert!(allows(drain, "ecs:UpdateContainerInstancesState"));
    assert!(allows(drain, "ecs:StopTask"));
    // The keys are the ones the live code writes (one constant each).
    use landfall_model::monitoring::{GROUPS_BEFORE_TAG, QUARANTINED_BY_TAG};
    assert_eq!(QUARANTINED_BY_TAG, "landfall:quarantined-by");
    assert_eq!(GROUPS_BEFORE_TAG, "landfall:groups-before");

    // Without the alert in the spec, the role cannot quarantine.
    let mut files = common::reference_files();
    for (name, text) in &mut files {
        if name.ends_with("observability.yaml") {
            *text = text.replace("      - GuardDutyHighSeverityInstanceFinding\n", "");
        }
    }
    let without = common::synthesize_files(files, None);
    let role = resource(stack(&without.graph, "-baseline-global"), "RemediationRole");
    assert!(!serde_json::to_string(&role.properties)
        .unwrap()
        .contains("ModifyNetworkInterfaceAttribute"));
}

/// With `AuroraWriterUnavailable` among the automatic alerts (the
/// reference has it) the remediation role may do exactly the calls the
/// failover makes (`crates/live/src/remediate.rs`): describe clusters and
/// instances (to find the store's cluster by its tags and its readers'
/// status), tag a cluster with the failover's one key, and fail it over,
/// the last two only on clusters the workload layer tagged with a store
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverDBCluster.html,
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html).
/// (The store's stack raises the alert and tags the cluster:
/// crates/workloads/tests/deployable.rs,
/// `every_aurora_cluster_raises_writer_unavailable_and_carries_its_store`.)
/// Without the alert in the spec, no RDS action at all.
#[test]
fn the_remediation_role_fails_over_the_platforms_aurora_clusters_only() {
    let s = reference();
    let global = stack(&s.graph, "-baseline-global");
    let role = resource(global, "RemediationRole");
    let grants: Vec<&Value> = role.properties["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let rds: Vec<String> = grants
        .iter()
        .flat_map(|g| strings(&g["Action"]))
        .filter(|a| a.contains("rds:"))
        .collect();
    assert_eq!(
        rds,
        [
            "\"rds:DescribeDBClusters\"",
            "\"rds:DescribeDBInstances\"",
            "\"rds:FailoverDBCluster\"",
            "\"rds:AddTagsToResource\""
        ]
    );
    for sid in ["FailOverAuroraClusters", "MarkFailedOverClusters"] {
        let g = by_sid(&grants, sid);
        assert!(g["Resource"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .ends_with(":rds:*:${AWS::AccountId}:cluster:*"));
        assert_eq!(
            g["Condition"]["Null"]["aws:ResourceTag/landfall:store"],
            "false"
        );
    }
    assert_eq!(
        by_sid(&grants, "MarkFailedOverClusters")["Condition"]["ForAllValues:StringEquals"]
            ["aws:TagKeys"],
        serde_json::json!([landfall_model::monitoring::FAILOVER_BY_TAG])
    );

    let mut files = common::reference_files();
    for (name, text) in &mut files {
        if name.ends_with("observability.yaml") {
            *text = text.replace("      - AuroraWriterUnavailable\n", "");
        }
    }
    let without = common::synthesize_files(files, None);
    let role = resource(stack(&without.graph, "-baseline-global"), "RemediationRole");
    assert!(!serde_json::to_string(&role.properties)
        .unwrap()
        .contains("rds:"));
}

/// Replacing a metal host AWS retires: the remediation role marks
/// instances unhealthy only in groups the workload layer tagged with a
/// domain (Auto Scaling authorizes `SetInstanceHealth` on the group,
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html),
/// reads which group holds an instance, and gets neither without the
/// alert in the spec.
#[test]
fn the_remediation_role_replaces_metal_hosts_of_the_platform_only() {
    let s = reference();
    let role = resource(stack(&s.graph, "-baseline-global"), "RemediationRole");
    let grants: Vec<&Value> = role.properties["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let replace = by_sid(&grants, "ReplaceRetiringMetalHosts");
    assert_eq!(replace["Action"], "autoscaling:SetInstanceHealth");
    assert!(replace["Resource"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .ends_with(":autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*"));
    assert_eq!(
        replace["Condition"]["Null"]["aws:ResourceTag/landfall:domain"],
        "false"
    );
    assert_eq!(
        by_sid(&grants, "FindTheGroupsOfHosts")["Action"],
        "autoscaling:DescribeAutoScalingInstances"
    );
    let mut files = common::reference_files();
    for (name, text) in &mut files {
        if name.ends_with("observability.yaml") {
            *text = text.replace("      - MetalHostRetiring\n", "");
        }
    }
    let without = common::synthesize_files(files, None);
    let role = resource(stack(&without.graph, "-baseline-global"), "RemediationRole");
    assert!(!serde_json::to_string(&role.properties)
        .unwrap()
        .contains("autoscaling:"));
}

/// The remediation service runs on ECS beside its queue and journal: two
/// Fargate tasks of the platform's image, behind an internal HTTPS load
/// balancer that checks `/healthz`.
///
/// - The execution role starts the task: it pulls the image, writes the
///   logs and reads the secrets the task definition names; the task role
///   is what the code calls AWS as
///   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html>,
///   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html>).
/// - A secret in a task definition is fetched by the execution role, which
///   needs `secretsmanager:GetSecretValue` and, for a customer managed key,
///   `kms:Decrypt`
///   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html>).
/// - ECS creates its service-linked role with the first cluster, when the
///   caller may `iam:CreateServiceLinkedRole` (the deploy-permission check
///   holds the cluster's handler permissions to it)
///   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html>).
/// - A target group must be attached to a load balancer (a listener)
///   before a service registers into it
///   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/create-application-load-balancer.html>).
/// - A role named as a principal must exist when a trust policy is
///   written, so the baseline's remediation role (deployed first) admits
///   the task role by `aws:PrincipalArn` under its account
///   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles>).
#[test]
fn the_remediation_service_runs_on_ecs_beside_its_queue() {
    use landfall_synth::layers::heal_service::{task_role, DESIRED_COUNT, IMAGE_REPOSITORY, PORT};
    let s = reference();
    let alerting = stack(&s.graph, "-alerting");
    let service = resource(alerting, "HealService");
    let p = &service.properties;
    assert_eq!(p["DesiredCount"], DESIRED_COUNT);
    assert_eq!(DESIRED_COUNT, 2);
    assert_eq!(p["LaunchType"], "FARGATE");
    assert!(service.depends_on.contains(&"HealListener".to_owned()));
    assert_eq!(
        p["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );

    // The command: the queue, the shared journal, every interface.
    let task = resource(alerting, "HealTaskDefinition");
    let container = &task.properties["ContainerDefinitions"][0];
    let command = container["Command"].as_array().unwrap();
    let flag = |name: &str| {
        let i = command.iter().position(|v| v == name).unwrap();
        command[i + 1].clone()
    };
    assert_eq!(command[..2], [Value::from("heal"), Value::from("serve")]);
    assert_eq!(
        flag("--queue-url"),
        serde_json::json!({ "Ref": "HealQueue" })
    );
    // The journal by ARN: the table of the stack's own region.
    assert_eq!(
        flag("--journal")["Fn::Sub"],
        "dynamodb://arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/landfall-heal-journal"
    );
    assert_eq!(flag("--regions"), "eu-central-1");
    assert_eq!(flag("--listen"), format!("0.0.0.0:{PORT}").as_str());
    assert_eq!(task.properties["RequiresCompatibilities"][0], "FARGATE");
    let image = container["Image"]["Fn::Sub"].as_str().unwrap();
    assert!(image.contains(&format!(
        ".dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{IMAGE_REPOSITORY}:"
    )));
    // The image is declared (no stack pushes it) and its repository is the
    // shared-services registry's.
    assert!(alerting.inputs.iter().any(
        |i| i.kind == landfall_graph::InputKind::Image && i.name.starts_with(IMAGE_REPOSITORY)
    ));
    let shared = s
        .graph
        .stacks
        .iter()
        .find(|st| st.resource("LandfallRepository").is_some())
        .expect("the platform image's repository");
    assert!(
        shared.name.starts_with("meridian-shared-services"),
        "{}",
        shared.name
    );
    assert_eq!(
        resource(shared, "LandfallRepository").properties["RepositoryName"],
        IMAGE_REPOSITORY
    );
    assert_eq!(
        container["LogConfiguration"]["Options"]["awslogs-group"]["Ref"],
        "HealLogs"
    );
    assert!(
        resource(alerting, "HealLogs").properties["RetentionInDays"]
            .as_u64()
            .unwrap()
            >= 365
    );

    // The token: generated, under the service's key, read by the execution
    // role only.
    let secrets = container["Secrets"].as_array().unwrap();
    assert_eq!(secrets[0]["Name"], "LANDFALL_HEAL_TOKEN");
    assert_eq!(secrets[0]["ValueFrom"]["Ref"], "HealToken");
    let token = resource(alerting, "HealToken");
    assert_eq!(token.properties["KmsKeyId"]["Ref"], "HealServiceKey");
    assert!(
        token.properties["GenerateSecretString"]["PasswordLength"]
            .as_u64()
            .unwrap()
            >= 16
    );
    let execution =
        &resource(alerting, "HealExecutionRole").properties["Policies"][0]["PolicyDocument"];
    let execution: Vec<&Value> = execution["Statement"].as_array().unwrap().iter().collect();
    assert!(allows(
        by_sid(&execution, "ReadTheToken"),
        "secretsmanager:GetSecretValue"
    ));
    assert!(allows(by_sid(&execution, "DecryptTheToken"), "kms:Decrypt"));
    let role = resource(alerting, "HealTaskRole");
    assert_eq!(role.properties["RoleName"], task_role("eu-central-1"));
    // The CloudFormation role that deploys the stack creates roles only
    // under the workload path and boundary.
    assert_eq!(role.properties["Path"], "/workload/");
    assert!(role.properties["PermissionsBoundary"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .ends_with("policy/landfall/landfall-workload-boundary"));
    let grants: Vec<&Value> = role.properties["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    // Exactly what the service does: no secret, no wildcard action.
    for g in &grants {
        assert!(!allows(g, "secretsmanager:GetSecretValue"));
        assert!(
            !strings(&g["Action"]).iter().any(|a| a.contains('*')),
            "{g}"
        );
    }
    let queue = by_sid(&grants, "ReadTheQueue");
    assert!(allows(queue, "sqs:ReceiveMessage") && allows(queue, "sqs:DeleteMessage"));
    assert_eq!(queue["Resource"]["Fn::GetAtt"][0], "HealQueue");
    assert!(allows(
        by_sid(&grants, "UseTheJournal"),
        "dynamodb:ConditionCheckItem"
    ));
    let enter = by_sid(&grants, "EnterTheAccounts");
    assert!(allows(enter, "sts:AssumeRole"));
    assert!(enter["Resource"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .ends_with("role/landfall/landfall-remediation"));

    // The remediation role of every member account admits that task role.
    let global = stack(&s.graph, "-baseline-global");
    let trust = &resource(global, "RemediationRole").properties["AssumeRolePolicyDocument"];
    let trust: Vec<&Value> = trust["Statement"].as_array().unwrap().iter().collect();
    let admits = by_sid(&trust, "TheRemediationService");
    let admitted: Vec<&str> = admits["Condition"]["ArnEquals"]["aws:PrincipalArn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arn| arn["Fn::Sub"].as_str().unwrap())
        .collect();
    assert_eq!(admitted.len(), 2, "{admitted:?}");
    for (arn, region) in admitted.iter().zip(["eu-central-1", "eu-west-1"]) {
        assert!(
            arn.ends_with(&format!("role/workload/{}", task_role(region))),
            "{arn}"
        );
    }

    // The front: HTTPS with a private certificate, health on /healthz.
    let listener = resource(alerting, "HealListener");
    assert_eq!(listener.properties["Protocol"], "HTTPS");
    assert_eq!(listener.properties["Port"], 443);
    let certificate = resource(alerting, "HealCertificate");
    assert!(certificate.properties["CertificateAuthorityArn"]["Ref"].is_string());
    let balancer = resource(alerting, "HealLoadBalancer");
    assert_eq!(balancer.properties["Scheme"], "internal");
    // The certificate names the load balancer's DNS name, and ACM takes at
    // most 64 characters for it
    // (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html).
    assert_eq!(
        certificate.properties["DomainName"]["Fn::GetAtt"][0],
        "HealLoadBalancer"
    );
    let longest = format!(
        "internal-{}-{}.{}.elb.amazonaws.com",
        balancer.properties["Name"].as_str().unwrap(),
        "9".repeat(10),
        s.model.region(s.model.organization.home_region).name
    );
    assert!(longest.len() <= 64, "{longest}");
    let targets = resource(alerting, "HealTargets");
    assert_eq!(targets.properties["HealthCheckPath"], "/healthz");
    assert_eq!(targets.properties["Port"], PORT);

    // What it reads from other stacks exists there.
    for param in &alerting.parameters {
        if let landfall_graph::ParameterValue::ResourceId { stack, logical_id } = &param.value {
            let other = s
                .graph
                .stack(stack)
                .unwrap_or_else(|| panic!("no `{stack}`"));
            assert!(
                other.resource(logical_id).is_some(),
                "no `{logical_id}` in `{stack}`"
            );
        }
    }

    // Its network: the endpoints subnets of one VPC per region, shared
    // with this account, which have an SQS endpoint for it (and only they
    // have one).
    let vpcs = &s.model.network.remediation_vpcs;
    assert_eq!(vpcs.len(), 2);
    assert_eq!(vpcs[0], s.model.network.remediation_vpc.unwrap());
    let observability = s
        .model
        .accounts
        .iter()
        .find(|a| a.name == "observability")
        .unwrap()
        .id;
    // (The shared data subnets of every VPC are shared with it too, for
    // the log search domains.)
    for subnet in &s.model.network.subnets {
        let kind = s.model.tier(subnet.tier).kind;
        let here = vpcs.contains(&subnet.vpc) && kind == landfall_spec::types::TierKind::Endpoints;
        let log_search = kind == landfall_spec::types::TierKind::Data && subnet.domain.is_none();
        assert_eq!(
            subnet.shared_with.contains(&observability),
            here || log_search,
            "{}",
            subnet.name
        );
    }
    for v in &s.model.network.vpcs {
        let sqs = s.graph.stacks.iter().any(|st| {
            st.name.contains(&format!("-network-{}-", v.name))
                && st.resource("EndpointSqs").is_some()
        });
        assert_eq!(sqs, vpcs.contains(&v.id), "{}", v.name);
    }
}

/// Automation Controller as the engine (the reference): Event-Driven
/// Ansible gets a queue of its own in each alert path, which the bus rule
/// delivers every event to beside the service's (SQS gives each message to
/// one reader: sharing the service's queue would split the events between
/// the two engines,
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html>),
/// and the service shadows it (`--dry-run`), so one engine acts on each
/// alert. With the service as the engine, neither.
#[test]
fn with_automation_controller_as_the_engine_eda_reads_its_own_queue_and_the_service_shadows() {
    let command = |st: &Stack| -> Vec<Value> {
        resource(st, "HealTaskDefinition").properties["ContainerDefinitions"][0]["Command"]
            .as_array()
            .unwrap()
            .clone()
    };
    let s = reference();
    for name in ["meridian-alerting", "meridian-alerting-eu-west-1"] {
        let st = stack(&s.graph, name);
        assert_eq!(
            resource(st, "EdaQueue").properties["QueueName"],
            landfall_model::monitoring::EDA_QUEUE
        );
        let targets: Vec<&Value> = resource(st, "ToHealQueue").properties["Targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["Arn"]["Fn::GetAtt"][0])
            .collect();
        assert_eq!(targets, vec!["HealQueue", "EdaQueue"], "{name}");
        let policy = &resource(st, "HealQueuePolicy").properties;
        assert!(policy["Queues"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({ "Ref": "EdaQueue" })));
        let delivers = by_sid(
            &statements(resource(st, "HealQueuePolicy"), "PolicyDocument"),
            "TheRuleDelivers",
        );
        assert!(delivers["Resource"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({ "Fn::GetAtt": ["EdaQueue", "Arn"] })));
        assert!(
            command(st).contains(&serde_json::json!("--dry-run")),
            "{name}"
        );
    }

    let files = common::reference_files()
        .into_iter()
        .map(|(path, text)| {
            (
                path,
                text.replace("engine: automation-controller", "engine: landfall"),
            )
        })
        .collect();
    let own = common::synthesize_files(files, None);
    let st = stack(&own.graph, "meridian-alerting");
    assert!(st.resource("EdaQueue").is_none());
    assert_eq!(
        resource(st, "ToHealQueue").properties["Targets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(!command(st).contains(&serde_json::json!("--dry-run")));
}

/// A home region without VPCs (here us-east-1, where the organization
/// lives, while every environment runs in Europe) gets no alert path: a
/// bus and queue there would have no service reading them, and SQS would
/// drop the forwarded events after its retention without ever moving them
/// to the dead-letter queue. The regions without an alert path forward to
/// the first region with a service.
#[test]
fn a_home_region_without_vpcs_forwards_to_a_region_with_a_service() {
    let files = common::reference_files()
        .into_iter()
        .map(|(path, text)| {
            let text = text.replace(
                "  regions:\n    - eu-central-1\n    - eu-west-1\n",
                "  regions:\n    - us-east-1\n    - eu-central-1\n    - eu-west-1\n",
            );
            (path, text)
        })
        .collect::<Vec<_>>();
    assert!(files
        .iter()
        .any(|(_, text)| text.contains("    - us-east-1\n    - eu-central-1")));
    let s = common::synthesize_files(files, None);
    let alerting: Vec<(&str, &str)> = s
        .graph
        .stacks
        .iter()
        .filter(|st| st.name.starts_with("meridian-alerting"))
        .map(|st| match &st.target {
            landfall_graph::Target::Account { region, .. } => (st.name.as_str(), region.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        alerting,
        vec![
            ("meridian-alerting-eu-central-1", "eu-central-1"),
            ("meridian-alerting-eu-west-1", "eu-west-1"),
        ]
    );
    for (name, _) in &alerting {
        assert!(
            stack(&s.graph, name).resource("HealService").is_some(),
            "{name}"
        );
    }
    // us-east-1's forwarding rule sends to eu-central-1's bus.
    let regional = stack(&s.graph, "meridian-baseline-regional");
    let condition = &regional.conditions["AlertBusInThisRegion"];
    let text = condition.to_string();
    assert!(
        text.contains("eu-central-1") && text.contains("eu-west-1") && !text.contains("us-east-1"),
        "{text}"
    );
    let target = &resource(regional, "ForwardAlerts").properties["Targets"][0]["Arn"];
    let fallback = target["Fn::If"][2].to_string();
    assert!(fallback.contains(":events:eu-central-1:"), "{target}");
    assert!(!target.to_string().contains("us-east-1"), "{target}");
}

/// Each region with VPCs runs a remediation service of its own, acting on
/// that region's targets: its tasks reach AWS through interface endpoints,
/// which serve their own region only, and of the APIs the actions call
/// only ECS is reachable across regions through PrivateLink
/// (<https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html>).
/// So the region's events go to its own bus (an SQS target must be in the
/// rule's region; a bus in another region is a valid target,
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html>),
/// its Alertmanagers post to its own endpoint service, and its service
/// has a role of its own (IAM names are global to the account).
#[test]
fn every_region_with_vpcs_runs_a_remediation_service_acting_there() {
    use landfall_synth::layers::heal_service::{execution_role, task_role};
    let s = reference();
    let home = stack(&s.graph, "meridian-alerting");
    let west = stack(&s.graph, "meridian-alerting-eu-west-1");
    for (st, region, vpc) in [
        (home, "eu-central-1", "prod-eu-central-1"),
        (west, "eu-west-1", "prod-eu-west-1"),
    ] {
        match &st.target {
            landfall_graph::Target::Account { account, region: r } => {
                assert_eq!((account.as_str(), r.as_str()), ("observability", region));
            }
            other => panic!("{other:?}"),
        }
        for id in [
            "AlertBus",
            "HealQueue",
            "HealJournal",
            "HealService",
            "HealEndpointService",
        ] {
            assert!(st.resource(id).is_some(), "{} has no {id}", st.name);
        }
        let command = resource(st, "HealTaskDefinition").properties["ContainerDefinitions"][0]
            ["Command"]
            .as_array()
            .unwrap()
            .clone();
        let at = command.iter().position(|v| v == "--regions").unwrap();
        assert_eq!(command[at + 1], region, "{}", st.name);
        assert_eq!(
            resource(st, "HealTaskRole").properties["RoleName"],
            task_role(region)
        );
        assert_eq!(
            resource(st, "HealExecutionRole").properties["RoleName"],
            execution_role(region)
        );
        // The tasks run in the region's production VPC.
        let param = st
            .parameters
            .iter()
            .find(|p| p.name == "HealVpcId")
            .unwrap();
        assert_eq!(
            param.value,
            landfall_graph::ParameterValue::ResourceId {
                stack: format!("meridian-network-{vpc}-core"),
                logical_id: "Vpc".into()
            }
        );
        // Only the region's own Alertmanagers connect: no cross-region
        // endpoint service.
        assert!(
            resource(st, "HealEndpointService")
                .properties
                .get("SupportedRegions")
                .is_none(),
            "{}",
            st.name
        );
        // The VPC reaches the APIs the actions call in the region.
        for id in ["EndpointEc2", "EndpointEcs", "EndpointSqs"] {
            assert!(
                s.graph
                    .stacks
                    .iter()
                    .any(|n| n.name.starts_with(&format!("meridian-network-{vpc}"))
                        && n.resource(id).is_some()),
                "{vpc} has no {id}"
            );
        }
    }

    // Each region's link reaches its own region's service.
    let link = stack(&s.graph, "meridian-remediation-link-prod-eu-west-1");
    assert!(resource(link, "RemediationEndpoint")
        .properties
        .get("ServiceRegion")
        .is_none());
    assert!(link.depends_on.contains(&west.name));
    assert!(link.parameters.iter().any(|p| matches!(
        &p.value,
        landfall_graph::ParameterValue::StackOutput { stack, .. } if stack == &west.name
    )));
    // Zabbix's server stays in the home region and is reached across.
    let zabbix_link = s
        .graph
        .stacks
        .iter()
        .find(|st| st.name.contains("zabbix-link") && st.name.ends_with("prod-eu-west-1"))
        .expect("the Zabbix link of prod-eu-west-1");
    assert_eq!(
        resource(zabbix_link, "ZabbixEndpoint").properties["ServiceRegion"],
        "eu-central-1"
    );

    // The forwarding rules send to the bus of their own region when it has
    // one, else to the home region's.
    let regional = stack(&s.graph, "meridian-baseline-regional");
    let condition = &regional.conditions["AlertBusInThisRegion"];
    let text = condition.to_string();
    assert!(
        text.contains("eu-central-1") && text.contains("eu-west-1"),
        "{text}"
    );
    let target = &resource(regional, "ForwardAlerts").properties["Targets"][0]["Arn"]["Fn::If"];
    assert_eq!(target[0], "AlertBusInThisRegion");
    assert!(target[1]["Fn::Sub"]
        .as_str()
        .unwrap()
        .contains(":events:${AWS::Region}:"));
    assert!(target[2]["Fn::Sub"]
        .as_str()
        .unwrap()
        .contains(":events:eu-central-1:"));
    // The forwarder may put events on either bus.
    let global = stack(&s.graph, "meridian-baseline-global");
    let forward = &resource(global, "AlertForwarderRole").properties["Policies"][0]
        ["PolicyDocument"]["Statement"][0]["Resource"];
    let buses: Vec<&str> = forward
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["Fn::Sub"].as_str().unwrap())
        .collect();
    assert_eq!(buses.len(), 2);
    assert!(buses[1].contains(":events:eu-west-1:"), "{buses:?}");
}

/// With a `webhook_url` of the spec's own, Alertmanager does not post to
/// the platform's service: no endpoint service, no endpoint in any VPC,
/// and the service's load balancer admits HTTPS from its VPC as before
/// (without the endpoint service it would admit nothing).
#[test]
fn a_webhook_url_of_the_specs_own_gets_no_endpoints_and_the_load_balancer_admits_the_vpc() {
    let files: Vec<(String, String)> = common::reference_files()
        .into_iter()
        .map(|(name, text)| {
            if name.ends_with("observability.yaml") {
                let text = text.replace(
                    "    engine: automation-controller\n",
                    "    engine: automation-controller\n    webhook_url: https://remediation.example.internal/hook\n",
                );
                (name, text)
            } else {
                (name, text)
            }
        })
        .collect();
    let s = common::synthesize_files(files, None);
    let alerting = stack(&s.graph, "-alerting");
    assert!(alerting.resource("HealEndpointService").is_none());
    assert!(alerting.resource("HealEndpointLoadBalancer").is_none());
    assert!(!s
        .graph
        .stacks
        .iter()
        .any(|st| st.name.contains("-remediation-link-")));
    let front = resource(alerting, "HealLoadBalancerSecurityGroup");
    let ingress = front.properties["SecurityGroupIngress"].as_array().unwrap();
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0]["FromPort"], 443);
    assert!(ingress[0]["CidrIp"].as_str().unwrap().contains('/'));
    // The reference, which names none, gets both.
    let reference = reference();
    let alerting = stack(&reference.graph, "-alerting");
    assert!(alerting.resource("HealEndpointService").is_some());
    assert!(resource(alerting, "HealLoadBalancerSecurityGroup")
        .properties
        .get("SecurityGroupIngress")
        .is_none());
}
