//! The alert path to the remediation service (`landfall heal`): every
//! member account forwards, from every region, the AWS events the service
//! acts on (CloudWatch alarm state changes, AWS Health, ECS task and
//! service events, GuardDuty findings) to an event bus in the
//! observability account, which delivers them to the service's queue; a
//! message the service cannot take after a few tries goes to a dead-letter
//! queue instead of being lost.
//!
//! One alert path per region with a remediation VPC ([`regions`]): the
//! service's tasks reach AWS through interface endpoints, which serve
//! their own region only, so each region's service acts on that region's
//! targets, from that region's events and Alertmanagers, with a journal of
//! its own (targets, cool-downs and breakers never span regions). Regions
//! without one forward to the home region's bus.
//!
//! The forwarding rules and their role are in the baseline (every member
//! account, every allowed region); this unit holds the bus, the queues and
//! the rule between them. Cross-account delivery to a bus needs a role on
//! the sending rule and a bus policy that admits the sender
//! (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html);
//! a queue target needs a queue policy that admits EventBridge for that rule
//! (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions).
//!
//! Beside the queue, the service's journal for instances running
//! active/active: a DynamoDB table the service's tasks use (same account)
//! and the management account reads and writes through the table's
//! resource policy (an operator's `landfall heal` commands). The service
//! itself is added by [`super::heal_service`]. Cross-account access through a
//! resource policy does not work on a table encrypted with the AWS managed
//! key (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html),
//! so the table has a key of its own whose policy admits that account
//! through DynamoDB.

use landfall_graph::{intrinsic, Layer, Target};
use landfall_spec::types::AccountClass;
use serde_json::{json, Value};

use crate::layers::key_policy;
use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::Ctx;

/// The event bus every member account forwards to.
pub const ALERT_BUS: &str = "landfall-alerts";
/// The queue `landfall heal serve` reads AWS events from.
pub const HEAL_QUEUE: &str = "landfall-heal-events";
/// The remediation service's journal when instances run active/active
/// (`landfall heal serve --journal dynamodb://…`; the layout is in
/// `landfall_live::heal_journal`).
pub const HEAL_JOURNAL_TABLE: &str = "landfall-heal-journal";
/// The journal table's key attributes (strings): partition and sort key.
pub const HEAL_JOURNAL_KEYS: [&str; 2] = ["pk", "sk"];
/// Its one global secondary index (undecided signals, decisions, open
/// actions) and that index's key attributes (strings).
pub const HEAL_JOURNAL_INDEX: &str = "gsi1";
pub const HEAL_JOURNAL_INDEX_KEYS: [&str; 2] = ["gsi1pk", "gsi1sk"];
/// What the service does to the journal's items (`landfall_live::heal_journal`,
/// whose test holds its calls to this list): its task role and the
/// table's policy for the management account grant these. A transaction
/// needs the action of each write it makes; `DeleteItem` takes an action
/// held back out of the rule's budget window.
pub const HEAL_JOURNAL_ITEM_ACTIONS: [&str; 6] = [
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
];
/// The attribute DynamoDB's TTL deletes items by (Unix seconds).
pub const HEAL_JOURNAL_TTL: &str = "expires_at";
/// The role each member account's forwarding rules send as (baseline).
pub const FORWARDER_ROLE: &str = "landfall-alert-forwarder";

/// Whether the platform has an alert path: it does once the spec lets
/// machines act on alerts (`observability.remediation`).
pub(crate) fn enabled(ctx: &Ctx<'_>) -> bool {
    ctx.model
        .observability
        .as_ref()
        .is_some_and(|o| o.remediation.is_some())
}

/// The account holding the bus and the queues: observability, or security
/// tooling without one, or management without either.
pub(crate) fn account<'a>(ctx: &Ctx<'a>) -> &'a str {
    let model = ctx.model;
    model
        .core_account(AccountClass::Observability)
        .or_else(|| model.core_account(AccountClass::SecurityTooling))
        .map_or(ctx.management, |a| a.name.as_str())
}

/// The events the remediation service acts on.
pub(crate) fn event_pattern() -> Value {
    json!({
        "source": ["aws.cloudwatch", "aws.ecs", "aws.guardduty", "aws.health"],
        "detail-type": [
            "AWS Health Event",
            "CloudWatch Alarm State Change",
            "ECS Service Action",
            "ECS Task State Change",
            "GuardDuty Finding"
        ]
    })
}

/// The regions with an alert path of their own
/// ([`landfall_model::monitoring::alert_regions`]).
pub(crate) fn regions(ctx: &Ctx<'_>) -> Vec<String> {
    landfall_model::monitoring::alert_regions(ctx.model)
}

/// The region whose bus receives the events of regions without an alert
/// path: the home region when it has one.
pub(crate) fn primary(ctx: &Ctx<'_>) -> String {
    regions(ctx)
        .into_iter()
        .next()
        .unwrap_or_else(|| ctx.home.to_owned())
}

/// The alerting stack of `region`: `<org>-alerting` in the home region,
/// `<org>-alerting-<region>` elsewhere.
pub(crate) fn stack_name(ctx: &Ctx<'_>, region: &str) -> String {
    if region == ctx.home {
        ctx.stack_name("alerting", "")
    } else {
        ctx.stack_name("alerting", region)
    }
}

/// The bus's ARN in `region`, with `account` the `Fn::Sub` expression of
/// its account id.
pub(crate) fn bus_arn(account: &str, region: &str) -> Value {
    intrinsic::sub(format!(
        "arn:${{AWS::Partition}}:events:{region}:${{{account}}}:event-bus/{ALERT_BUS}"
    ))
}

/// The bus a member account's forwarding rule in the stack's region sends
/// to: the region's own when it has one, the [`primary`] one's otherwise. The
/// regional baseline is one template for every region, so with more than
/// one alert path the choice is a condition on `AWS::Region`.
pub(crate) fn forwarding_bus_arn(ctx: &Ctx<'_>, unit: &mut Unit, account: &str) -> Value {
    let regions = regions(ctx);
    let primary = primary(ctx);
    if regions.len() == 1 {
        return bus_arn(account, &primary);
    }
    let here = |region: &String| intrinsic::equals(intrinsic::r#ref("AWS::Region"), json!(region));
    // `Fn::Or` takes two to ten conditions.
    let condition = regions
        .chunks(10)
        .map(|chunk| match chunk {
            [one] => here(one),
            many => json!({ "Fn::Or": many.iter().map(here).collect::<Vec<_>>() }),
        })
        .reduce(|a, b| json!({ "Fn::Or": [a, b] }))
        .unwrap_or_else(|| json!(false));
    unit.conditions.insert(ALERT_BUS_HERE.into(), condition);
    intrinsic::if_(
        ALERT_BUS_HERE,
        bus_arn(account, "${AWS::Region}"),
        bus_arn(account, &primary),
    )
}

/// The condition of a regional stack: the region has an alert path.
const ALERT_BUS_HERE: &str = "AlertBusInThisRegion";

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    if !enabled(ctx) {
        return Vec::new();
    }
    regions(ctx)
        .iter()
        .map(|region| unit(ctx, region))
        .collect()
}

fn unit(ctx: &Ctx<'_>, region: &str) -> Unit {
    let description = if region == ctx.home {
        "The alert path: the organization's event bus, the remediation service's queues and journal, and the service".to_owned()
    } else {
        format!("The alert path of {region}: its event bus, the remediation service's queues and journal there, and the service acting on {region}")
    };
    let mut unit = Unit::new(
        stack_name(ctx, region),
        Layer::Observability,
        description,
        Target::Account {
            account: account(ctx).to_owned(),
            region: region.to_owned(),
        },
    );
    unit.depends_on.push(ctx.stack_name("baseline-global", ""));
    let org = ctx.organization_id_param(&mut unit);
    let management = unit.parameter(
        crate::params::MANAGEMENT,
        "Id of the management account",
        landfall_graph::ParameterValue::AccountId(ctx.management.to_owned()),
    );
    let purpose = tags(&[("landfall:purpose", "alerting")]);
    unit.add(resource(
        "DeadLetterQueue",
        "AWS::SQS::Queue",
        json!({
            "QueueName": format!("{HEAL_QUEUE}-dlq"),
            // The longest SQS keeps a message: time to look at what failed.
            "MessageRetentionPeriod": 1_209_600,
            "SqsManagedSseEnabled": true,
            "Tags": purpose
        }),
    ));
    unit.add(resource(
        "HealQueue",
        "AWS::SQS::Queue",
        json!({
            "QueueName": HEAL_QUEUE,
            "MessageRetentionPeriod": 345_600,
            // Long polling; a message is deleted only after its decision is
            // journaled, so one the service holds reappears after this.
            "ReceiveMessageWaitTimeSeconds": 20,
            "VisibilityTimeout": 120,
            "SqsManagedSseEnabled": true,
            "RedrivePolicy": {
                "deadLetterTargetArn": { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] },
                "maxReceiveCount": 5
            },
            "Tags": purpose
        }),
    ));
    // Event-Driven Ansible's own queue, when Automation Controller is the
    // engine. Its SQS source deletes a message as soon as it has read it,
    // so no redrive: a message it never read is dropped after the
    // retention, like the service's.
    let eda = landfall_model::monitoring::runs_on_automation_controller(ctx.model);
    if eda {
        unit.add(resource(
            "EdaQueue",
            "AWS::SQS::Queue",
            json!({
                "QueueName": landfall_model::monitoring::EDA_QUEUE,
                "MessageRetentionPeriod": 345_600,
                "ReceiveMessageWaitTimeSeconds": 20,
                "SqsManagedSseEnabled": true,
                "Tags": purpose
            }),
        ));
    }
    let [pk, sk] = HEAL_JOURNAL_KEYS;
    let [index_pk, index_sk] = HEAL_JOURNAL_INDEX_KEYS;
    let string = |name: &str| json!({ "AttributeName": name, "AttributeType": "S" });
    let management_root = || {
        intrinsic::sub(format!(
            "arn:${{AWS::Partition}}:iam::${{{management}}}:root"
        ))
    };
    unit.add(
        resource(
            "HealJournalKey",
            "AWS::KMS::Key",
            json!({
                "Description": "Encrypts the remediation service's journal",
                "EnableKeyRotation": true,
                "KeyPolicy": key_policy(vec![json!({
                    "Sid": "TheRemediationServiceUsesTheJournal",
                    "Effect": "Allow",
                    "Principal": { "AWS": management_root() },
                    "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                    "Resource": "*",
                    "Condition": { "StringEquals": {
                        "kms:ViaService": intrinsic::sub("dynamodb.${AWS::Region}.amazonaws.com")
                    } }
                })]),
                "Tags": purpose
            }),
        )
        .retain(),
    );
    // The resource policy names the table by its ARN, built from the name
    // (a reference to the table itself would be circular).
    let table_arn = || {
        intrinsic::sub(format!(
            "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{HEAL_JOURNAL_TABLE}"
        ))
    };
    unit.add(
        resource(
            "HealJournal",
            "AWS::DynamoDB::Table",
            json!({
                "TableName": HEAL_JOURNAL_TABLE,
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [string(pk), string(sk), string(index_pk), string(index_sk)],
                "KeySchema": [
                    { "AttributeName": pk, "KeyType": "HASH" },
                    { "AttributeName": sk, "KeyType": "RANGE" }
                ],
                "GlobalSecondaryIndexes": [{
                    "IndexName": HEAL_JOURNAL_INDEX,
                    "KeySchema": [
                        { "AttributeName": index_pk, "KeyType": "HASH" },
                        { "AttributeName": index_sk, "KeyType": "RANGE" }
                    ],
                    "Projection": { "ProjectionType": "ALL" }
                }],
                // Old signals go; actions, breakers, cool-downs stay.
                "TimeToLiveSpecification": { "AttributeName": HEAL_JOURNAL_TTL, "Enabled": true },
                // What was decided and done, restorable to any second of
                // the last 35 days.
                "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
                "DeletionProtectionEnabled": true,
                "SSESpecification": {
                    "SSEEnabled": true,
                    "SSEType": "KMS",
                    "KMSMasterKeyId": { "Fn::GetAtt": ["HealJournalKey", "Arn"] }
                },
                "ResourcePolicy": { "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        // `landfall heal serve --journal dynamodb://<table ARN>`
                        // in the management account.
                        "Sid": "TheRemediationServiceJournals",
                        "Effect": "Allow",
                        "Principal": { "AWS": management_root() },
                        // (DescribeTable: the operator's `landfall heal` checks the table.)
                        "Action": HEAL_JOURNAL_ITEM_ACTIONS
                            .iter()
                            .chain(&["dynamodb:DescribeTable"])
                            .collect::<std::collections::BTreeSet<_>>(),
                        // The table's policy covers its index; only the ARN
                        // of the table it is attached to may be named
                        // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-examples.html).
                        "Resource": table_arn()
                    }]
                } },
                "Tags": purpose
            }),
        )
        .retain(),
    );
    unit.add(resource(
        "AlertBus",
        "AWS::Events::EventBus",
        json!({
            "Name": ALERT_BUS,
            "Description": "AWS events of every member account and region, for the remediation service",
            "Policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "OrganizationForwards",
                    "Effect": "Allow",
                    "Principal": { "AWS": "*" },
                    "Action": "events:PutEvents",
                    "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:event-bus/{ALERT_BUS}")),
                    "Condition": { "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } } }
                }]
            },
            "Tags": purpose
        }),
    ));
    let target = |id: &str, queue: &str| {
        json!({
            "Id": id,
            "Arn": { "Fn::GetAtt": [queue, "Arn"] },
            "DeadLetterConfig": { "Arn": { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } },
            "RetryPolicy": { "MaximumEventAgeInSeconds": 86_400, "MaximumRetryAttempts": 185 }
        })
    };
    let mut targets = vec![target("heal-queue", "HealQueue")];
    let mut queues = vec!["HealQueue", "DeadLetterQueue"];
    if eda {
        targets.push(target("eda-queue", "EdaQueue"));
        queues.push("EdaQueue");
    }
    let refs: Vec<Value> = queues.iter().map(|q| json!({ "Ref": q })).collect();
    let arns: Vec<Value> = queues
        .iter()
        .map(|q| json!({ "Fn::GetAtt": [q, "Arn"] }))
        .collect();
    unit.add(resource(
        "ToHealQueue",
        "AWS::Events::Rule",
        json!({
            "Name": "landfall-to-heal-queue",
            "Description": if eda {
                "Delivers the forwarded events to the remediation service's queue and to Event-Driven Ansible's"
            } else {
                "Delivers the forwarded events to the remediation service's queue"
            },
            "EventBusName": { "Ref": "AlertBus" },
            "EventPattern": event_pattern(),
            "State": "ENABLED",
            "Targets": targets
        }),
    ));
    unit.add(resource(
        "HealQueuePolicy",
        "AWS::SQS::QueuePolicy",
        json!({
            "Queues": refs,
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "TheRuleDelivers",
                    "Effect": "Allow",
                    "Principal": { "Service": "events.amazonaws.com" },
                    "Action": "sqs:SendMessage",
                    "Resource": arns.clone(),
                    "Condition": { "ArnEquals": { "aws:SourceArn": { "Fn::GetAtt": ["ToHealQueue", "Arn"] } } }
                }, {
                    // An operator's `landfall heal serve` in the management
                    // account (the service's tasks, in this account, are
                    // allowed by their role). Event-Driven Ansible's SQS
                    // source finds its queue by name in its credentials'
                    // account, so it runs with this account's.
                    "Sid": "TheRemediationServiceReads",
                    "Effect": "Allow",
                    "Principal": { "AWS": intrinsic::sub(format!("arn:${{AWS::Partition}}:iam::${{{management}}}:root")) },
                    "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
                    "Resource": arns
                }]
            }
        }),
    ));
    super::heal_service::add(ctx, &mut unit, region);
    unit
}
