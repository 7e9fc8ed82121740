//! Compatibility with local AWS emulators.
//!
//! moto's CloudFormation creates about a hundred resource types and skips
//! the rest silently (the stack still completes). Against an emulator, the
//! deployer leaves those resources out of the templates up front, says so
//! in the plan, and still fails any stack where the emulator skipped
//! something (see `stacks::skipped_resources`). Against AWS nothing is
//! left out.

use std::collections::BTreeSet;

use serde_json::{json, Value};

/// Which engine runs the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// AWS itself: templates are deployed as synthesized.
    #[default]
    Aws,
    /// moto server: unsupported resource types are left out.
    Moto,
}

/// Resource types moto 5.2's CloudFormation creates: the types its models
/// register a CloudFormation handler for (read from moto 5.2.5's source and
/// tried against moto server). Every other type is skipped by moto without
/// an error, so it is left out here up front and reported in the plan.
///
/// Some supported types are only partly applied by moto; see
/// [`Compat::adapt`] (flow logs, KMS key policies) and
/// [`s3_settings`] (bucket versioning and public access block).
pub const MOTO_TYPES: &[&str] = &[
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::RestApi",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::AutoScaling::LaunchConfiguration",
    "AWS::AutoScaling::ScheduledAction",
    "AWS::Batch::ComputeEnvironment",
    "AWS::Batch::JobDefinition",
    "AWS::Batch::JobQueue",
    "AWS::CloudFormation::Stack",
    "AWS::CloudWatch::Dashboard",
    "AWS::DataPipeline::Pipeline",
    "AWS::DynamoDB::Table",
    "AWS::EC2::EIP",
    "AWS::EC2::FlowLog",
    "AWS::EC2::Instance",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::LaunchTemplate",
    "AWS::EC2::NatGateway",
    "AWS::EC2::NetworkInterface",
    "AWS::EC2::Route",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SpotFleet",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::TransitGateway",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::VPCPeeringConnection",
    "AWS::EC2::VPNGateway",
    "AWS::EC2::Volume",
    "AWS::EC2::VolumeAttachment",
    "AWS::ECR::Repository",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::EFS::AccessPoint",
    "AWS::EFS::FileSystem",
    "AWS::EFS::MountTarget",
    "AWS::EMR::Cluster",
    "AWS::EMR::InstanceGroupConfig",
    "AWS::EMR::SecurityConfiguration",
    "AWS::ElasticLoadBalancing::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::Events::Archive",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
    "AWS::IAM::AccessKey",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Kinesis::Stream",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Version",
    "AWS::Logs::LogGroup",
    "AWS::Logs::ResourcePolicy",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBParameterGroup",
    "AWS::RDS::DBSecurityGroup",
    "AWS::RDS::DBSubnetGroup",
    "AWS::Route53::HealthCheck",
    "AWS::Route53::HostedZone",
    "AWS::Route53::RecordSet",
    "AWS::Route53::RecordSetGroup",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSM::Document",
    "AWS::SSM::Parameter",
    "AWS::StepFunctions::StateMachine",
];

/// The services moto lets an account be delegated administrator for
/// (`FakeDelegatedAdministrator.SUPPORTED_SERVICES`); it refuses the rest as
/// "an unrecognized service principal".
const MOTO_DELEGATED_ADMIN_SERVICES: &[&str] = &[
    "config-multiaccountsetup.amazonaws.com",
    "guardduty.amazonaws.com",
    "access-analyzer.amazonaws.com",
    "macie.amazonaws.com",
    "servicecatalog.amazonaws.com",
    "ssm.amazonaws.com",
];

impl Compat {
    /// Whether the engine can register a delegated administrator for the
    /// service.
    pub fn supports_delegated_admin(self, service: &str) -> bool {
        match self {
            Compat::Aws => true,
            Compat::Moto => MOTO_DELEGATED_ADMIN_SERVICES.contains(&service),
        }
    }

    /// Whether the engine has GuardDuty's organization configuration
    /// (`UpdateOrganizationConfiguration`; moto 5.2 answers 404).
    pub fn supports_guardduty_organization_configuration(self) -> bool {
        self == Compat::Aws
    }

    /// Whether the engine has Cost Explorer's cost allocation tags
    /// (moto 5.2 has neither `ListCostAllocationTags` nor the update).
    pub fn supports_cost_allocation_tags(self) -> bool {
        self == Compat::Aws
    }

    /// Whether the engine can list Security Hub's organization
    /// administrators (moto 5.2 answers 404), so the designation can be
    /// planned from what is live.
    pub fn supports_securityhub_organization_admin(self) -> bool {
        self == Compat::Aws
    }

    /// Whether StackSets need organizations access activated (moto has
    /// neither the call nor the need).
    pub fn needs_stacksets_activation(self) -> bool {
        self == Compat::Aws
    }

    pub fn reason(self) -> &'static str {
        match self {
            Compat::Aws => "",
            Compat::Moto => "the emulator's CloudFormation cannot create this type",
        }
    }

    /// How templates and deploys are adjusted for this engine beyond
    /// leaving types out; printed with every plan.
    pub fn adjustments(self) -> &'static [&'static str] {
        match self {
            Compat::Aws => &[],
            Compat::Moto => &[
                "emulator: VPC flow logs to S3 are delivered to a CloudWatch Logs group of the VPC's account instead (moto cannot deliver to another account's bucket)",
                "emulator: bucket versioning and public access blocks are applied through the S3 API after each stack (moto's CloudFormation ignores them)",
            ],
        }
    }

    fn supports(self, kind: &str) -> bool {
        match self {
            Compat::Aws => true,
            Compat::Moto => MOTO_TYPES.contains(&kind),
        }
    }

    /// Adapts a template in place; returns the (logical id, type) of every
    /// resource left out. Resources that refer to a left-out resource are
    /// left out too, as are outputs that do.
    pub fn adapt(self, template: &mut Value) -> Vec<(String, String)> {
        if self == Compat::Aws {
            return Vec::new();
        }
        let Some(resources) = template.get_mut("Resources").and_then(Value::as_object_mut) else {
            return Vec::new();
        };
        let mut removed: BTreeSet<String> = resources
            .iter()
            .filter(|(_, r)| !self.supports(r.get("Type").and_then(Value::as_str).unwrap_or("")))
            .map(|(id, _)| id.clone())
            .collect();
        // Dependents of removed resources, to a fixed point.
        loop {
            let more: Vec<String> = resources
                .iter()
                .filter(|(id, r)| !removed.contains(*id) && mentions_any(r, &removed))
                .map(|(id, _)| id.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            removed.extend(more);
        }
        let mut out = Vec::new();
        for id in &removed {
            if let Some(r) = resources.remove(id) {
                out.push((
                    id.clone(),
                    r.get("Type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                ));
            }
        }
        redirect_flow_logs(resources);
        for r in resources.values_mut() {
            // moto reads a key policy only as a JSON string.
            if r.get("Type").and_then(Value::as_str) == Some("AWS::KMS::Key") {
                if let Some(policy) = r.pointer_mut("/Properties/KeyPolicy") {
                    if policy.is_object() {
                        *policy = Value::String(policy.to_string());
                    }
                }
            }
        }
        if let Some(outputs) = template.get_mut("Outputs").and_then(Value::as_object_mut) {
            outputs.retain(|_, o| !mentions_any(o, &removed));
            if outputs.is_empty() {
                if let Some(obj) = template.as_object_mut() {
                    obj.remove("Outputs");
                }
            }
        }
        out
    }
}

/// Flow logs to S3 go to a CloudWatch Logs group in the VPC's own account
/// instead (emulator only). moto's handler of `AWS::EC2::FlowLog` looks the
/// bucket up in the calling account and takes the whole ARN tail (bucket
/// and prefix) for its name, so a destination in the log archive, or with a
/// prefix, fails with a server error and leaves the stack
/// `CREATE_IN_PROGRESS`. The flow log itself (VPC, traffic type, interval)
/// is kept, so the VPC is still covered; delivery to a bucket of another
/// account is checked offline (synth snapshots and cfn-lint). Returns the
/// (logical id, type) of each resource added: a log group and the role
/// flow logs deliver with.
fn redirect_flow_logs(resources: &mut serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let ids: Vec<String> = resources
        .iter()
        .filter(|(_, r)| {
            r.get("Type").and_then(Value::as_str) == Some("AWS::EC2::FlowLog")
                && r.pointer("/Properties/LogDestinationType")
                    .and_then(Value::as_str)
                    == Some("s3")
        })
        .map(|(id, _)| id.clone())
        .collect();
    let mut added = Vec::new();
    for id in ids {
        let group = format!("{id}LogGroup");
        let role = format!("{id}DeliveryRole");
        if resources.contains_key(&group) || resources.contains_key(&role) {
            continue;
        }
        let group_name =
            json!({ "Fn::Sub": format!("/landfall/flow-logs/${{AWS::StackName}}/{id}") });
        if let Some(props) = resources
            .get_mut(&id)
            .and_then(|r| r.get_mut("Properties"))
            .and_then(Value::as_object_mut)
        {
            props.remove("LogDestination");
            props.remove("DestinationOptions");
            props.insert("LogDestinationType".into(), json!("cloud-watch-logs"));
            props.insert("LogGroupName".into(), group_name.clone());
            props.insert(
                "DeliverLogsPermissionArn".into(),
                json!({ "Fn::GetAtt": [role, "Arn"] }),
            );
        }
        if let Some(r) = resources.get_mut(&id).and_then(Value::as_object_mut) {
            r.insert("DependsOn".into(), json!(group));
        }
        resources.insert(
            group.clone(),
            json!({
                "Type": "AWS::Logs::LogGroup",
                "Properties": { "LogGroupName": group_name, "RetentionInDays": 30 }
            }),
        );
        resources.insert(
            role.clone(),
            json!({
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": { "Service": "vpc-flow-logs.amazonaws.com" },
                            "Action": "sts:AssumeRole"
                        }]
                    },
                    "Policies": [{
                        "PolicyName": "deliver-flow-logs",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                "Resource": "*"
                            }]
                        }
                    }]
                }
            }),
        );
        added.push((group, "AWS::Logs::LogGroup".to_owned()));
        added.push((role, "AWS::IAM::Role".to_owned()));
    }
    added
}

/// A bucket setting moto's CloudFormation ignores, to be applied through
/// the S3 API once the stack exists (emulator only): moto's
/// `AWS::S3::Bucket` handler applies only `BucketEncryption` and `Tags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketSetting {
    /// `VersioningConfiguration.Status`.
    Versioning(String),
    /// `PublicAccessBlockConfiguration`: block public ACLs, block public
    /// policy, ignore public ACLs, restrict public buckets.
    PublicAccessBlock([bool; 4]),
}

/// The settings of each `AWS::S3::Bucket` of a template that moto's
/// CloudFormation does not apply, by logical id. Empty against AWS.
pub fn s3_settings(compat: Compat, template: &Value) -> Vec<(String, Vec<BucketSetting>)> {
    if compat == Compat::Aws {
        return Vec::new();
    }
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, r) in resources {
        if r.get("Type").and_then(Value::as_str) != Some("AWS::S3::Bucket") {
            continue;
        }
        let mut settings = Vec::new();
        if let Some(status) = r
            .pointer("/Properties/VersioningConfiguration/Status")
            .and_then(Value::as_str)
        {
            settings.push(BucketSetting::Versioning(status.to_owned()));
        }
        if let Some(pab) = r.pointer("/Properties/PublicAccessBlockConfiguration") {
            let flag = |k: &str| pab.get(k).and_then(Value::as_bool).unwrap_or(false);
            settings.push(BucketSetting::PublicAccessBlock([
                flag("BlockPublicAcls"),
                flag("BlockPublicPolicy"),
                flag("IgnorePublicAcls"),
                flag("RestrictPublicBuckets"),
            ]));
        }
        if !settings.is_empty() {
            out.push((id.clone(), settings));
        }
    }
    out
}

/// The versioning status in a `GetBucketVersioning` answer the SDK could
/// not parse because of how moto words it: `Some(status)` (`None` when
/// versioning was never configured) for moto's answer, `None` for any other
/// failure. moto 5.2 names the answer's root element
/// `GetBucketVersioningResponse` where S3 names it `VersioningConfiguration`
/// (the content is the same), and the SDK checks the root's name. Only that
/// root element is recognized, so every other failure, and any answer from
/// AWS, stays an error.
pub fn moto_versioning_status<E>(
    error: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Option<Option<String>> {
    let response = error.raw_response()?;
    if !response.status().is_success() {
        return None;
    }
    let text = String::from_utf8_lossy(response.body().bytes()?).into_owned();
    parse_moto_versioning(&text)
}

fn parse_moto_versioning(text: &str) -> Option<Option<String>> {
    let text = text.trim();
    let text = match text.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>")?.1.trim(),
        None => text,
    };
    let rest = text.strip_prefix("<GetBucketVersioningResponse")?;
    let (attributes, body) = rest.split_once('>')?;
    if attributes.ends_with('/') {
        // `<GetBucketVersioningResponse .../>`: never configured.
        return body.trim().is_empty().then_some(None);
    }
    let body = body.trim().strip_suffix("</GetBucketVersioningResponse>")?;
    let status = body
        .split_once("<Status>")
        .and_then(|(_, r)| r.split_once("</Status>"))
        .map(|(s, _)| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    Some(status)
}

/// Whether a value refers (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`) to one of `ids`.
fn mentions_any(value: &Value, ids: &BTreeSet<String>) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| match (k.as_str(), v) {
            ("Ref", Value::String(s)) => ids.contains(s),
            ("DependsOn", Value::String(s)) => ids.contains(s),
            ("Fn::GetAtt", Value::Array(a)) => a
                .first()
                .and_then(Value::as_str)
                .is_some_and(|s| ids.contains(s)),
            ("Fn::GetAtt", Value::String(s)) => {
                s.split('.').next().is_some_and(|s| ids.contains(s))
            }
            ("Fn::Sub", v) => {
                let text = match v {
                    Value::String(s) => s.as_str(),
                    Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or(""),
                    _ => "",
                };
                ids.iter().any(|id| {
                    text.contains(&format!("${{{id}}}")) || text.contains(&format!("${{{id}."))
                }) || mentions_any(v, ids)
            }
            _ => mentions_any(v, ids),
        }),
        Value::Array(items) => items.iter().any(|v| mentions_any(v, ids)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsupported_types_and_their_dependents_are_left_out() {
        let mut t = json!({
            "Resources": {
                "Trail": { "Type": "AWS::CloudTrail::Trail", "Properties": {} },
                "Topic": { "Type": "AWS::SNS::Topic", "Properties": { "Name": { "Fn::GetAtt": ["Trail", "Arn"] } } },
                "Vpc": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": "10.0.0.0/16" } },
                "Key": { "Type": "AWS::KMS::Key", "Properties": { "KeyPolicy": { "Version": "2012-10-17" } } }
            },
            "Outputs": { "T": { "Value": { "Ref": "Topic" } }, "V": { "Value": { "Ref": "Vpc" } } }
        });
        let removed = Compat::Moto.adapt(&mut t);
        assert_eq!(
            removed,
            vec![
                ("Topic".to_owned(), "AWS::SNS::Topic".to_owned()),
                ("Trail".to_owned(), "AWS::CloudTrail::Trail".to_owned())
            ]
        );
        assert!(t.pointer("/Resources/Vpc").is_some());
        assert!(t.pointer("/Outputs/T").is_none());
        assert!(t
            .pointer("/Resources/Key/Properties/KeyPolicy")
            .is_some_and(Value::is_string));
        let mut same = t.clone();
        assert!(Compat::Aws.adapt(&mut same).is_empty());
    }

    #[test]
    fn flow_logs_to_a_bucket_go_to_a_log_group_of_the_same_account() {
        let mut t = json!({
            "Resources": {
                "Vpc": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": "10.0.0.0/16" } },
                "FlowLog": { "Type": "AWS::EC2::FlowLog", "Properties": {
                    "ResourceId": { "Ref": "Vpc" }, "ResourceType": "VPC", "TrafficType": "ALL",
                    "LogDestinationType": "s3",
                    "LogDestination": { "Fn::Sub": "arn:${AWS::Partition}:s3:::logs-${LogArchiveAccountId}/vpc/" },
                    "MaxAggregationInterval": 60,
                    "DestinationOptions": { "FileFormat": "parquet" }
                } }
            }
        });
        let aws = t.clone();
        assert!(Compat::Moto.adapt(&mut t).is_empty());
        let flow_log = &t["Resources"]["FlowLog"]["Properties"];
        assert_eq!(flow_log["LogDestinationType"], "cloud-watch-logs");
        assert!(flow_log.get("LogDestination").is_none());
        assert!(flow_log.get("DestinationOptions").is_none());
        assert_eq!(flow_log["TrafficType"], "ALL");
        assert_eq!(flow_log["ResourceId"], json!({ "Ref": "Vpc" }));
        assert_eq!(
            flow_log["DeliverLogsPermissionArn"],
            json!({ "Fn::GetAtt": ["FlowLogDeliveryRole", "Arn"] })
        );
        assert_eq!(
            t["Resources"]["FlowLogLogGroup"]["Type"],
            "AWS::Logs::LogGroup"
        );
        assert_eq!(
            t["Resources"]["FlowLogDeliveryRole"]["Type"],
            "AWS::IAM::Role"
        );
        // Against AWS the template is untouched.
        let mut same = aws.clone();
        assert!(Compat::Aws.adapt(&mut same).is_empty());
        assert_eq!(same, aws);
    }

    #[test]
    fn bucket_settings_moto_ignores_are_listed_for_the_emulator_only() {
        let t = json!({ "Resources": {
            "B": { "Type": "AWS::S3::Bucket", "Properties": {
                "VersioningConfiguration": { "Status": "Enabled" },
                "PublicAccessBlockConfiguration": { "BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": false } } },
            "Plain": { "Type": "AWS::S3::Bucket", "Properties": {} }
        } });
        assert_eq!(
            s3_settings(Compat::Moto, &t),
            vec![(
                "B".to_owned(),
                vec![
                    BucketSetting::Versioning("Enabled".into()),
                    BucketSetting::PublicAccessBlock([true, true, true, false])
                ]
            )]
        );
        assert!(s3_settings(Compat::Aws, &t).is_empty());
    }

    #[test]
    fn moto_versioning_answers_are_read_and_nothing_else() {
        let ns = r#"xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;
        assert_eq!(
            parse_moto_versioning(&format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<GetBucketVersioningResponse {ns}/>"
            )),
            Some(None)
        );
        assert_eq!(
            parse_moto_versioning(&format!(
                "<GetBucketVersioningResponse {ns}><Status>Suspended</Status></GetBucketVersioningResponse>"
            )),
            Some(Some("Suspended".into()))
        );
        assert_eq!(
            parse_moto_versioning(&format!("<VersioningConfiguration {ns}/>")),
            None
        );
        assert_eq!(parse_moto_versioning("<ListBucketResult/>"), None);
        assert_eq!(parse_moto_versioning("<GetBucketVersioningResponse"), None);
        assert_eq!(parse_moto_versioning(""), None);
    }
}
