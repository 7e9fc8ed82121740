//! Security groups and their rules, load balancers, listeners, target groups.

use serde_json::{json, Map, Value};

use super::{Mapping, K, P, TAGS};
use crate::Cx;

const RULE: &[P] = &[
    P("IpProtocol", "ip_protocol", K::Str),
    P("FromPort", "from_port", K::V),
    P("ToPort", "to_port", K::V),
    P("CidrIp", "cidr_ipv4", K::V),
    P("CidrIpv6", "cidr_ipv6", K::V),
    P(
        "SourceSecurityGroupId",
        "referenced_security_group_id",
        K::V,
    ),
    P(
        "DestinationSecurityGroupId",
        "referenced_security_group_id",
        K::V,
    ),
    P("SourcePrefixListId", "prefix_list_id", K::V),
    P("DestinationPrefixListId", "prefix_list_id", K::V),
    P("Description", "description", K::V),
    P("GroupId", "security_group_id", K::V),
];

pub static MAPPINGS: [Mapping; 8] = [
    Mapping {
        cfn: "AWS::EC2::SecurityGroup",
        tf: "aws_security_group",
        reference: "id",
        attributes: &[("GroupId", "id"), ("VpcId", "vpc_id")],
        props: &[
            P("GroupDescription", "description", K::V),
            P("GroupName", "name", K::V),
            P("VpcId", "vpc_id", K::V),
            P("SecurityGroupIngress", "", K::Hook),
            P("SecurityGroupEgress", "", K::Hook),
            TAGS,
        ],
        hook: Some(security_group),
    },
    Mapping {
        cfn: "AWS::EC2::SecurityGroupIngress",
        tf: "aws_vpc_security_group_ingress_rule",
        reference: "security_group_rule_id",
        attributes: &[],
        props: RULE,
        hook: None,
    },
    Mapping {
        cfn: "AWS::EC2::SecurityGroupEgress",
        tf: "aws_vpc_security_group_egress_rule",
        reference: "security_group_rule_id",
        attributes: &[],
        props: RULE,
        hook: None,
    },
    Mapping {
        cfn: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        tf: "aws_lb",
        reference: "arn",
        attributes: &[
            ("LoadBalancerFullName", "arn_suffix"),
            ("DNSName", "dns_name"),
            ("CanonicalHostedZoneID", "zone_id"),
            ("LoadBalancerArn", "arn"),
        ],
        props: &[
            P("Name", "name", K::V),
            P("Type", "load_balancer_type", K::V),
            P("Scheme", "", K::Hook),
            P("Subnets", "subnets", K::V),
            P("SecurityGroups", "security_groups", K::V),
            P("LoadBalancerAttributes", "", K::Hook),
            TAGS,
        ],
        hook: Some(load_balancer),
    },
    Mapping {
        cfn: "AWS::ElasticLoadBalancingV2::Listener",
        tf: "aws_lb_listener",
        reference: "arn",
        attributes: &[("ListenerArn", "arn")],
        props: &[
            P("LoadBalancerArn", "load_balancer_arn", K::V),
            P("Port", "port", K::V),
            P("Protocol", "protocol", K::V),
            P("SslPolicy", "ssl_policy", K::V),
            P("Certificates", "", K::Hook),
            P(
                "DefaultActions",
                "default_action",
                K::Blocks(&[
                    P("Type", "type", K::V),
                    P("TargetGroupArn", "target_group_arn", K::V),
                    P(
                        "FixedResponseConfig",
                        "fixed_response",
                        K::Block(&[
                            P("StatusCode", "status_code", K::V),
                            P("ContentType", "content_type", K::V),
                            P("MessageBody", "message_body", K::V),
                        ]),
                    ),
                ]),
            ),
        ],
        hook: Some(listener),
    },
    Mapping {
        cfn: "AWS::ElasticLoadBalancingV2::ListenerCertificate",
        tf: "aws_lb_listener_certificate",
        reference: "id",
        attributes: &[],
        props: &[
            P("ListenerArn", "listener_arn", K::V),
            P("Certificates", "", K::Hook),
        ],
        hook: Some(listener_certificate),
    },
    Mapping {
        cfn: "AWS::ElasticLoadBalancingV2::TargetGroup",
        tf: "aws_lb_target_group",
        reference: "arn",
        attributes: &[
            ("TargetGroupFullName", "arn_suffix"),
            ("TargetGroupArn", "arn"),
        ],
        props: &[
            P("TargetType", "target_type", K::V),
            P("Protocol", "protocol", K::V),
            P("Port", "port", K::V),
            P("VpcId", "vpc_id", K::V),
            P("HealthCheckPath", "", K::Hook),
            P("HealthCheckProtocol", "", K::Hook),
            P("HealthCheckPort", "", K::Hook),
            P("Matcher", "", K::Hook),
            P("TargetGroupAttributes", "", K::Hook),
            TAGS,
        ],
        hook: Some(target_group),
    },
    Mapping {
        cfn: "AWS::ElasticLoadBalancingV2::ListenerRule",
        tf: "aws_lb_listener_rule",
        reference: "arn",
        attributes: &[],
        props: &[
            P("ListenerArn", "listener_arn", K::V),
            P("Priority", "priority", K::V),
            P(
                "Conditions",
                "condition",
                K::Blocks(&[
                    P("Field", "", K::Hook),
                    P(
                        "HttpHeaderConfig",
                        "http_header",
                        K::Block(&[
                            P("HttpHeaderName", "http_header_name", K::V),
                            P("Values", "values", K::V),
                        ]),
                    ),
                    P(
                        "HostHeaderConfig",
                        "host_header",
                        K::Block(&[P("Values", "values", K::V)]),
                    ),
                    P(
                        "PathPatternConfig",
                        "path_pattern",
                        K::Block(&[P("Values", "values", K::V)]),
                    ),
                ]),
            ),
            P(
                "Actions",
                "action",
                K::Blocks(&[
                    P("Type", "type", K::V),
                    P("TargetGroupArn", "target_group_arn", K::V),
                ]),
            ),
        ],
        hook: None,
    },
];

fn security_group(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    _out: &mut Map<String, Value>,
    name: &str,
) {
    for (prop, tf, dir) in [
        (
            "SecurityGroupIngress",
            "aws_vpc_security_group_ingress_rule",
            "in",
        ),
        (
            "SecurityGroupEgress",
            "aws_vpc_security_group_egress_rule",
            "out",
        ),
    ] {
        let Some(Value::Array(rules)) = r.properties.get(prop) else {
            continue;
        };
        for rule in rules {
            let Some(m) = rule.as_object() else { continue };
            let mut o = Map::new();
            super::apply(cx, RULE, m, &mut o, &format!("{}.{prop}", r.logical_id));
            if o.get("ip_protocol").and_then(Value::as_str) == Some("-1") {
                o.remove("from_port");
                o.remove("to_port");
            }
            o.insert(
                "security_group_id".into(),
                json!(format!("${{aws_security_group.{name}.id}}")),
            );
            // Named after its content: adding a rule renames no other.
            let key = format!(
                "{name}_{dir}_{}",
                crate::short_hash(&serde_json::to_string(m).unwrap_or_default())
            );
            cx.extra(tf, &key, o);
        }
    }
}

/// The listener's default certificate: Terraform takes one ARN, not a list
/// (more certificates are `aws_lb_listener_certificate`s).
fn listener(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if let Some(arn) = first_certificate(r) {
        if let Some(v) = crate::expr::value(cx, arn) {
            out.insert("certificate_arn".into(), v);
        }
    }
}

fn listener_certificate(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    let certificates = r.properties.get("Certificates").and_then(Value::as_array);
    if certificates.is_some_and(|c| c.len() != 1) {
        cx.problem(format!(
            "{}: a listener certificate resource with other than one certificate",
            r.logical_id
        ));
    }
    let Some(arn) = first_certificate(r) else {
        return;
    };
    if let Some(v) = crate::expr::value(cx, arn) {
        out.insert("certificate_arn".into(), v);
    }
    // A load balancer takes only issued certificates: wait for validation.
    let validated = arn
        .get("Ref")
        .and_then(Value::as_str)
        .and_then(|id| cx.stack.resources.iter().find(|c| c.logical_id == id))
        .filter(|c| super::dns::validation_zone(c).is_some());
    if let Some(c) = validated {
        let wait = super::dns::validation_name(&crate::expr::snake(&c.logical_id));
        out.insert(
            "depends_on".into(),
            json!([format!("aws_acm_certificate_validation.{wait}")]),
        );
    }
}

fn first_certificate(r: &landfall_graph::Resource) -> Option<&Value> {
    r.properties
        .get("Certificates")?
        .get(0)?
        .get("CertificateArn")
}

fn load_balancer(
    _cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if let Some(scheme) = r.properties.get("Scheme").and_then(Value::as_str) {
        out.insert("internal".into(), json!(scheme == "internal"));
    }
    if let Some(Value::Array(attrs)) = r.properties.get("LoadBalancerAttributes") {
        for a in attrs {
            let key = a.get("Key").and_then(Value::as_str).unwrap_or("");
            let value = a.get("Value").and_then(Value::as_str) == Some("true");
            let tf = match key {
                "routing.http.drop_invalid_header_fields.enabled" => "drop_invalid_header_fields",
                "deletion_protection.enabled" => "enable_deletion_protection",
                "load_balancing.cross_zone.enabled" => "enable_cross_zone_load_balancing",
                _ => continue,
            };
            out.insert(tf.into(), json!(value));
        }
    }
}

fn target_group(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    let mut hc = Map::new();
    for (cfn, tf) in [
        ("HealthCheckPath", "path"),
        ("HealthCheckProtocol", "protocol"),
        ("HealthCheckPort", "port"),
    ] {
        if let Some(v) = r
            .properties
            .get(cfn)
            .and_then(|p| crate::expr::value(cx, p))
        {
            hc.insert(tf.into(), v);
        }
    }
    if let Some(code) = r.properties.get("Matcher").and_then(|m| m.get("HttpCode")) {
        hc.insert("matcher".into(), code.clone());
    }
    if !hc.is_empty() {
        hc.insert("enabled".into(), json!(true));
        out.insert("health_check".into(), Value::Object(hc));
    }
    if let Some(Value::Array(attrs)) = r.properties.get("TargetGroupAttributes") {
        for a in attrs {
            if a.get("Key").and_then(Value::as_str) == Some("deregistration_delay.timeout_seconds")
            {
                if let Some(v) = a.get("Value") {
                    out.insert("deregistration_delay".into(), v.clone());
                }
            }
        }
    }
}
