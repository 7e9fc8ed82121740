//! CloudFront and WAF.

use serde_json::{json, Map, Value};

use super::{Mapping, K, P, TAGS};
use crate::Cx;

const VISIBILITY: &[P] = &[
    P("SampledRequestsEnabled", "sampled_requests_enabled", K::V),
    P(
        "CloudWatchMetricsEnabled",
        "cloudwatch_metrics_enabled",
        K::V,
    ),
    P("MetricName", "metric_name", K::V),
];

const EMPTY: &[P] = &[];

pub static MAPPINGS: [Mapping; 3] = [
    Mapping {
        cfn: "AWS::WAFv2::WebACL",
        tf: "aws_wafv2_web_acl",
        reference: "id",
        attributes: &[("Arn", "arn"), ("Id", "id")],
        props: &[
            P("Name", "name", K::V),
            P("Scope", "scope", K::V),
            P("Description", "description", K::V),
            P(
                "DefaultAction",
                "default_action",
                K::Block(&[
                    P("Allow", "allow", K::Block(EMPTY)),
                    P("Block", "block", K::Block(EMPTY)),
                ]),
            ),
            P(
                "Rules",
                "rule",
                K::Blocks(&[
                    P("Name", "name", K::V),
                    P("Priority", "priority", K::V),
                    P(
                        "OverrideAction",
                        "override_action",
                        K::Block(&[
                            P("None", "none", K::Block(EMPTY)),
                            P("Count", "count", K::Block(EMPTY)),
                        ]),
                    ),
                    P(
                        "Statement",
                        "statement",
                        K::Block(&[P(
                            "ManagedRuleGroupStatement",
                            "managed_rule_group_statement",
                            K::Block(&[
                                P("VendorName", "vendor_name", K::V),
                                P("Name", "name", K::V),
                            ]),
                        )]),
                    ),
                    P(
                        "VisibilityConfig",
                        "visibility_config",
                        K::Block(VISIBILITY),
                    ),
                ]),
            ),
            P(
                "VisibilityConfig",
                "visibility_config",
                K::Block(VISIBILITY),
            ),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::CloudFront::VpcOrigin",
        tf: "aws_cloudfront_vpc_origin",
        reference: "id",
        attributes: &[("Id", "id"), ("Arn", "arn")],
        props: &[
            P(
                "VpcOriginEndpointConfig",
                "vpc_origin_endpoint_config",
                K::Block(&[
                    P("Name", "name", K::V),
                    P("Arn", "arn", K::V),
                    P("HTTPPort", "http_port", K::V),
                    P("HTTPSPort", "https_port", K::V),
                    P("OriginProtocolPolicy", "origin_protocol_policy", K::V),
                    P("OriginSSLProtocols", "", K::Hook),
                ]),
            ),
            TAGS,
        ],
        hook: Some(vpc_origin),
    },
    Mapping {
        cfn: "AWS::CloudFront::Distribution",
        tf: "aws_cloudfront_distribution",
        reference: "id",
        attributes: &[("DomainName", "domain_name"), ("Id", "id")],
        props: &[
            P(
                "DistributionConfig",
                "",
                K::Flat(&[
                    P("Comment", "comment", K::V),
                    P("Enabled", "enabled", K::V),
                    P("HttpVersion", "http_version", K::V),
                    P("IPV6Enabled", "is_ipv6_enabled", K::V),
                    P("WebACLId", "web_acl_id", K::V),
                    P(
                        "Origins",
                        "origin",
                        K::Blocks(&[
                            P("Id", "origin_id", K::V),
                            P("DomainName", "domain_name", K::V),
                            P(
                                "VpcOriginConfig",
                                "vpc_origin_config",
                                K::Block(&[P("VpcOriginId", "vpc_origin_id", K::V)]),
                            ),
                            P(
                                "OriginCustomHeaders",
                                "custom_header",
                                K::Blocks(&[
                                    P("HeaderName", "name", K::V),
                                    P("HeaderValue", "value", K::V),
                                ]),
                            ),
                        ]),
                    ),
                    P(
                        "DefaultCacheBehavior",
                        "default_cache_behavior",
                        K::Block(&[
                            P("TargetOriginId", "target_origin_id", K::V),
                            P("ViewerProtocolPolicy", "viewer_protocol_policy", K::V),
                            P("AllowedMethods", "allowed_methods", K::V),
                            P("CachedMethods", "cached_methods", K::V),
                            P("CachePolicyId", "cache_policy_id", K::V),
                            P("OriginRequestPolicyId", "origin_request_policy_id", K::V),
                            P(
                                "ResponseHeadersPolicyId",
                                "response_headers_policy_id",
                                K::V,
                            ),
                            P(
                                "ResponseHeadersPolicyId",
                                "response_headers_policy_id",
                                K::V,
                            ),
                            P("Compress", "compress", K::V),
                        ]),
                    ),
                ]),
            ),
            TAGS,
        ],
        hook: Some(distribution),
    },
];

fn vpc_origin(
    _cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    // Required by the provider even for an HTTP-only origin; TLS 1.2 is
    // CloudFormation's default too.
    let items = r
        .properties
        .get("VpcOriginEndpointConfig")
        .and_then(|c| c.get("OriginSSLProtocols"))
        .cloned()
        .unwrap_or_else(|| json!(["TLSv1.2"]));
    let quantity = items.as_array().map_or(0, Vec::len);
    if let Some(Value::Object(c)) = out.get_mut("vpc_origin_endpoint_config") {
        c.insert(
            "origin_ssl_protocols".into(),
            json!({ "items": items, "quantity": quantity }),
        );
    }
}

fn distribution(
    _cx: &mut Cx<'_>,
    _r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    // CloudFormation's defaults, which the provider wants written out.
    if let Some(Value::Object(b)) = out.get_mut("default_cache_behavior") {
        b.entry("cached_methods").or_insert(json!(["GET", "HEAD"]));
    }
    out.insert(
        "restrictions".into(),
        json!({ "geo_restriction": { "restriction_type": "none" } }),
    );
    out.insert(
        "viewer_certificate".into(),
        json!({ "cloudfront_default_certificate": true }),
    );
}
