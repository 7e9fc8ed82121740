//! ECS, EC2 launch templates, Auto Scaling groups, Application Auto Scaling,
//! and the CloudWatch alarms on services.

use serde_json::{json, Map, Value};

use super::{Mapping, K, P, TAGS};
use crate::Cx;

pub static MAPPINGS: [Mapping; 11] = [
    Mapping {
        cfn: "AWS::CloudWatch::Alarm",
        tf: "aws_cloudwatch_metric_alarm",
        reference: "alarm_name",
        attributes: &[("Arn", "arn")],
        props: &[
            P("AlarmName", "alarm_name", K::V),
            P("AlarmDescription", "alarm_description", K::V),
            P("ComparisonOperator", "comparison_operator", K::V),
            P("Threshold", "threshold", K::V),
            P("EvaluationPeriods", "evaluation_periods", K::V),
            P("DatapointsToAlarm", "datapoints_to_alarm", K::V),
            P("TreatMissingData", "treat_missing_data", K::V),
            P("Namespace", "namespace", K::V),
            P("MetricName", "metric_name", K::V),
            P("Dimensions", "dimensions", K::NameValues),
            P("Statistic", "statistic", K::V),
            P("Period", "period", K::V),
            P(
                "Metrics",
                "metric_query",
                K::Blocks(&[
                    P("Id", "id", K::V),
                    P("Expression", "expression", K::V),
                    P("Label", "label", K::V),
                    P("Period", "period", K::V),
                    P("ReturnData", "return_data", K::V),
                    P(
                        "MetricStat",
                        "metric",
                        K::Block(&[
                            P(
                                "Metric",
                                "",
                                K::Flat(&[
                                    P("Namespace", "namespace", K::V),
                                    P("MetricName", "metric_name", K::V),
                                    P("Dimensions", "dimensions", K::NameValues),
                                ]),
                            ),
                            P("Period", "period", K::V),
                            P("Stat", "stat", K::V),
                        ]),
                    ),
                ]),
            ),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::EC2::PlacementGroup",
        tf: "aws_placement_group",
        reference: "name",
        attributes: &[],
        props: &[P("Strategy", "strategy", K::V), TAGS],
        hook: Some(placement_group_name),
    },
    Mapping {
        cfn: "AWS::ECS::Cluster",
        tf: "aws_ecs_cluster",
        reference: "name",
        attributes: &[("Arn", "arn")],
        props: &[
            P("ClusterName", "name", K::V),
            P(
                "ClusterSettings",
                "setting",
                K::Blocks(&[P("Name", "name", K::V), P("Value", "value", K::V)]),
            ),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::ECS::ClusterCapacityProviderAssociations",
        tf: "aws_ecs_cluster_capacity_providers",
        reference: "id",
        attributes: &[],
        props: &[
            P("Cluster", "cluster_name", K::V),
            P("CapacityProviders", "capacity_providers", K::V),
            P(
                "DefaultCapacityProviderStrategy",
                "default_capacity_provider_strategy",
                K::Blocks(&[
                    P("CapacityProvider", "capacity_provider", K::V),
                    P("Weight", "weight", K::V),
                    P("Base", "base", K::V),
                ]),
            ),
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::ECS::CapacityProvider",
        tf: "aws_ecs_capacity_provider",
        reference: "name",
        attributes: &[("Arn", "arn")],
        props: &[
            P("Name", "name", K::V),
            P(
                "AutoScalingGroupProvider",
                "auto_scaling_group_provider",
                K::Block(&[
                    P("AutoScalingGroupArn", "auto_scaling_group_arn", K::V),
                    P(
                        "ManagedScaling",
                        "managed_scaling",
                        K::Block(&[
                            P("Status", "status", K::V),
                            P("TargetCapacity", "target_capacity", K::V),
                        ]),
                    ),
                    P(
                        "ManagedTerminationProtection",
                        "managed_termination_protection",
                        K::V,
                    ),
                    P("ManagedDraining", "managed_draining", K::V),
                ]),
            ),
            TAGS,
        ],
        hook: Some(generated_name),
    },
    Mapping {
        cfn: "AWS::ECS::TaskDefinition",
        tf: "aws_ecs_task_definition",
        reference: "arn",
        attributes: &[("TaskDefinitionArn", "arn")],
        props: &[
            P("Family", "family", K::V),
            P("Cpu", "cpu", K::Str),
            P("Memory", "memory", K::Str),
            P("NetworkMode", "network_mode", K::V),
            P("PidMode", "pid_mode", K::V),
            P("RequiresCompatibilities", "requires_compatibilities", K::V),
            P("ExecutionRoleArn", "execution_role_arn", K::V),
            P("TaskRoleArn", "task_role_arn", K::V),
            P("ContainerDefinitions", "", K::Hook),
            P(
                "Volumes",
                "volume",
                K::Blocks(&[
                    P("Name", "name", K::V),
                    P("Host", "", K::Flat(&[P("SourcePath", "host_path", K::V)])),
                ]),
            ),
            TAGS,
        ],
        hook: Some(task_definition),
    },
    Mapping {
        cfn: "AWS::ECS::Service",
        tf: "aws_ecs_service",
        reference: "id",
        attributes: &[("Name", "name"), ("ServiceArn", "id")],
        props: &[
            P("ServiceName", "name", K::V),
            P("Cluster", "cluster", K::V),
            P("TaskDefinition", "task_definition", K::V),
            P("DesiredCount", "desired_count", K::V),
            P("LaunchType", "launch_type", K::V),
            P("SchedulingStrategy", "scheduling_strategy", K::V),
            P(
                "CapacityProviderStrategy",
                "capacity_provider_strategy",
                K::Blocks(&[
                    P("CapacityProvider", "capacity_provider", K::V),
                    P("Weight", "weight", K::V),
                    P("Base", "base", K::V),
                ]),
            ),
            P("NetworkConfiguration", "", K::Hook),
            P("DeploymentConfiguration", "", K::Hook),
            P(
                "LoadBalancers",
                "load_balancer",
                K::Blocks(&[
                    P("ContainerName", "container_name", K::V),
                    P("ContainerPort", "container_port", K::V),
                    P("TargetGroupArn", "target_group_arn", K::V),
                ]),
            ),
            P(
                "HealthCheckGracePeriodSeconds",
                "health_check_grace_period_seconds",
                K::V,
            ),
            P("EnableECSManagedTags", "enable_ecs_managed_tags", K::V),
            P("PropagateTags", "propagate_tags", K::V),
            TAGS,
        ],
        hook: Some(service),
    },
    Mapping {
        cfn: "AWS::EC2::LaunchTemplate",
        tf: "aws_launch_template",
        reference: "id",
        attributes: &[
            ("LatestVersionNumber", "latest_version"),
            ("LaunchTemplateId", "id"),
        ],
        props: &[
            P("LaunchTemplateName", "name", K::V),
            P(
                "LaunchTemplateData",
                "",
                K::Flat(&[
                    P("ImageId", "image_id", K::V),
                    P("InstanceType", "instance_type", K::V),
                    P(
                        "IamInstanceProfile",
                        "iam_instance_profile",
                        K::Block(&[P("Arn", "arn", K::V), P("Name", "name", K::V)]),
                    ),
                    P("SecurityGroupIds", "vpc_security_group_ids", K::V),
                    P(
                        "MetadataOptions",
                        "metadata_options",
                        K::Block(&[
                            P("HttpTokens", "http_tokens", K::V),
                            P(
                                "HttpPutResponseHopLimit",
                                "http_put_response_hop_limit",
                                K::V,
                            ),
                            P("HttpEndpoint", "http_endpoint", K::V),
                        ]),
                    ),
                    P(
                        "Monitoring",
                        "monitoring",
                        K::Block(&[P("Enabled", "enabled", K::V)]),
                    ),
                    P(
                        "BlockDeviceMappings",
                        "block_device_mappings",
                        K::Blocks(&[
                            P("DeviceName", "device_name", K::V),
                            P(
                                "Ebs",
                                "ebs",
                                K::Block(&[
                                    P("Encrypted", "encrypted", K::Str),
                                    P("VolumeSize", "volume_size", K::V),
                                    P("VolumeType", "volume_type", K::V),
                                    P("DeleteOnTermination", "delete_on_termination", K::Str),
                                    P("KmsKeyId", "kms_key_id", K::V),
                                ]),
                            ),
                        ]),
                    ),
                    P("UserData", "user_data", K::V),
                    P(
                        "TagSpecifications",
                        "tag_specifications",
                        K::Blocks(&[
                            P("ResourceType", "resource_type", K::V),
                            P("Tags", "tags", K::Tags),
                        ]),
                    ),
                ]),
            ),
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::AutoScaling::AutoScalingGroup",
        tf: "aws_autoscaling_group",
        reference: "name",
        attributes: &[],
        props: &[
            P("MinSize", "min_size", K::V),
            P("MaxSize", "max_size", K::V),
            P(
                "LaunchTemplate",
                "launch_template",
                K::Block(&[
                    P("LaunchTemplateId", "id", K::V),
                    P("Version", "version", K::Str),
                ]),
            ),
            P("PlacementGroup", "placement_group", K::V),
            P("VPCZoneIdentifier", "vpc_zone_identifier", K::V),
            P(
                "NewInstancesProtectedFromScaleIn",
                "protect_from_scale_in",
                K::V,
            ),
            P(
                "Tags",
                "tag",
                K::Blocks(&[
                    P("Key", "key", K::V),
                    P("Value", "value", K::V),
                    P("PropagateAtLaunch", "propagate_at_launch", K::V),
                ]),
            ),
        ],
        hook: Some(asg),
    },
    Mapping {
        cfn: "AWS::ApplicationAutoScaling::ScalableTarget",
        tf: "aws_appautoscaling_target",
        reference: "id",
        attributes: &[],
        props: &[
            P("ServiceNamespace", "service_namespace", K::V),
            P("ScalableDimension", "scalable_dimension", K::V),
            P("ResourceId", "resource_id", K::V),
            P("MinCapacity", "min_capacity", K::V),
            P("MaxCapacity", "max_capacity", K::V),
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::ApplicationAutoScaling::ScalingPolicy",
        tf: "aws_appautoscaling_policy",
        reference: "arn",
        attributes: &[],
        props: &[
            P("PolicyName", "name", K::V),
            P("PolicyType", "policy_type", K::V),
            P("ScalingTargetId", "", K::Hook),
            P(
                "TargetTrackingScalingPolicyConfiguration",
                "target_tracking_scaling_policy_configuration",
                K::Block(&[
                    P("TargetValue", "target_value", K::V),
                    P(
                        "PredefinedMetricSpecification",
                        "predefined_metric_specification",
                        K::Block(&[
                            P("PredefinedMetricType", "predefined_metric_type", K::V),
                            P("ResourceLabel", "resource_label", K::V),
                        ]),
                    ),
                    P("ScaleInCooldown", "scale_in_cooldown", K::V),
                    P("ScaleOutCooldown", "scale_out_cooldown", K::V),
                ]),
            ),
        ],
        hook: Some(scaling_policy),
    },
];

/// Names CloudFormation generates that the provider wants given.
fn generated_name(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if !out.contains_key("name") {
        out.insert("name".into(), json!(cx.physical_name(&r.logical_id, 255)));
    }
}

fn camel(key: &str) -> String {
    let mut c = key.chars();
    match c.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// CloudFormation container definitions in the ECS API's shape (camelCase
/// keys; log driver options are kept as written).
fn containers(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(containers).collect()),
        Value::Object(m)
            if m.len() == 1
                && m.keys()
                    .next()
                    .is_some_and(|k| k == "Ref" || k.starts_with("Fn::")) =>
        {
            v.clone()
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = camel(k);
                    let value = if k == "Options" {
                        v.clone()
                    } else {
                        containers(v)
                    };
                    (key, value)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn task_definition(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if let Some(defs) = r.properties.get("ContainerDefinitions") {
        let text = crate::expr::json_document(cx, &containers(defs)).0;
        out.insert("container_definitions".into(), json!(text));
    }
}

fn service(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if let Some(c) = r
        .properties
        .get("NetworkConfiguration")
        .and_then(|n| n.get("AwsvpcConfiguration"))
    {
        let mut o = Map::new();
        for (cfn, tf) in [
            ("Subnets", "subnets"),
            ("SecurityGroups", "security_groups"),
        ] {
            if let Some(v) = c.get(cfn).and_then(|v| crate::expr::value(cx, v)) {
                o.insert(tf.into(), v);
            }
        }
        o.insert(
            "assign_public_ip".into(),
            json!(c.get("AssignPublicIp").and_then(Value::as_str) == Some("ENABLED")),
        );
        out.insert("network_configuration".into(), Value::Object(o));
    }
    if let Some(d) = r.properties.get("DeploymentConfiguration") {
        if let Some(b) = d.get("DeploymentCircuitBreaker") {
            out.insert(
                "deployment_circuit_breaker".into(),
                json!({ "enable": b.get("Enable").cloned().unwrap_or(json!(false)), "rollback": b.get("Rollback").cloned().unwrap_or(json!(false)) }),
            );
        }
        if let Some(v) = d.get("MinimumHealthyPercent") {
            out.insert("deployment_minimum_healthy_percent".into(), v.clone());
        }
        if let Some(v) = d.get("MaximumPercent") {
            out.insert("deployment_maximum_percent".into(), v.clone());
        }
    }
}

fn asg(_cx: &mut Cx<'_>, _r: &landfall_graph::Resource, out: &mut Map<String, Value>, _name: &str) {
    for key in ["min_size", "max_size"] {
        if let Some(Value::String(s)) = out.get(key) {
            if let Ok(n) = s.parse::<u64>() {
                out.insert(key.into(), json!(n));
            }
        }
    }
}

fn scaling_policy(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    // `ScalingTargetId` is a `Ref` to the target: the provider wants the
    // target's three keys instead.
    let target = r
        .properties
        .get("ScalingTargetId")
        .and_then(|v| v.get("Ref"))
        .and_then(Value::as_str);
    match target.and_then(|t| cx.address(t)) {
        Some(addr) => {
            for key in ["resource_id", "scalable_dimension", "service_namespace"] {
                out.insert(key.into(), json!(format!("${{{addr}.{key}}}")));
            }
        }
        None => cx.problem(format!(
            "{}: `ScalingTargetId` must be a `Ref` to a scalable target of the stack",
            r.logical_id
        )),
    }
}

/// CloudFormation names a placement group itself; Terraform needs a name:
/// its `Name` tag.
fn placement_group_name(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    let name = r
        .properties
        .get("Tags")
        .and_then(Value::as_array)
        .and_then(|tags| tags.iter().find(|t| t["Key"] == "Name"))
        .and_then(|t| t["Value"].as_str());
    match name {
        Some(name) => {
            out.insert("name".into(), Value::String(name.to_owned()));
        }
        None => cx.problem(format!(
            "{}: a placement group needs a `Name` tag to be named in Terraform",
            r.logical_id
        )),
    }
}
