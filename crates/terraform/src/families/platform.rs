//! KMS, CloudWatch Logs, SSM, EventBridge Scheduler.

use super::{Mapping, K, P, TAGS};

pub static MAPPINGS: [Mapping; 5] = [
    Mapping {
        cfn: "AWS::KMS::Key",
        tf: "aws_kms_key",
        reference: "key_id",
        attributes: &[("Arn", "arn"), ("KeyId", "key_id")],
        props: &[
            P("Description", "description", K::V),
            P("EnableKeyRotation", "enable_key_rotation", K::V),
            P("KeyPolicy", "policy", K::Json),
            P("PendingWindowInDays", "deletion_window_in_days", K::V),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::KMS::Alias",
        tf: "aws_kms_alias",
        reference: "name",
        attributes: &[],
        props: &[
            P("AliasName", "name", K::V),
            P("TargetKeyId", "target_key_id", K::V),
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::Logs::LogGroup",
        tf: "aws_cloudwatch_log_group",
        reference: "name",
        attributes: &[("Arn", "arn")],
        props: &[
            P("LogGroupName", "name", K::V),
            P("RetentionInDays", "retention_in_days", K::V),
            P("KmsKeyId", "kms_key_id", K::V),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::SSM::Parameter",
        tf: "aws_ssm_parameter",
        reference: "name",
        attributes: &[("Value", "value")],
        props: &[
            P("Name", "name", K::V),
            P("Type", "type", K::V),
            P("Value", "value", K::V),
            P("Description", "description", K::V),
            P("Tags", "tags", K::V),
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::Scheduler::ScheduleGroup",
        tf: "aws_scheduler_schedule_group",
        reference: "name",
        attributes: &[("Arn", "arn")],
        props: &[P("Name", "name", K::V), TAGS],
        hook: None,
    },
];
