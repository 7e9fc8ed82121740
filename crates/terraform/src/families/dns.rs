//! ACM certificates and Route 53 zones and records.
//!
//! A DNS-validated certificate is one CloudFormation resource (CloudFormation
//! writes the validation record when the zone is in the same account and
//! waits for issuance); in Terraform it is three: the certificate, the
//! validation records, and `aws_acm_certificate_validation`, which waits.
//! What puts the certificate on a listener depends on the last, since a load
//! balancer takes only issued certificates.

use serde_json::{json, Map, Value};

use super::{Mapping, K, P, TAGS};
use crate::Cx;

pub static MAPPINGS: [Mapping; 3] = [
    Mapping {
        cfn: "AWS::CertificateManager::Certificate",
        tf: "aws_acm_certificate",
        reference: "arn",
        attributes: &[],
        props: &[
            P("DomainName", "domain_name", K::V),
            P("CertificateAuthorityArn", "certificate_authority_arn", K::V),
            P("KeyAlgorithm", "key_algorithm", K::V),
            P("ValidationMethod", "validation_method", K::V),
            P("DomainValidationOptions", "", K::Hook),
            TAGS,
        ],
        hook: Some(certificate),
    },
    Mapping {
        cfn: "AWS::Route53::HostedZone",
        tf: "aws_route53_zone",
        reference: "zone_id",
        attributes: &[("Id", "zone_id"), ("NameServers", "name_servers")],
        props: &[
            P("Name", "name", K::V),
            P(
                "HostedZoneConfig",
                "",
                K::Flat(&[P("Comment", "comment", K::V)]),
            ),
            P("HostedZoneTags", "tags", K::Tags),
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::Route53::RecordSet",
        tf: "aws_route53_record",
        reference: "fqdn",
        attributes: &[],
        props: &[
            P("HostedZoneId", "zone_id", K::V),
            P("Name", "name", K::V),
            P("Type", "type", K::V),
            P("TTL", "ttl", K::V),
            P("ResourceRecords", "records", K::V),
            P(
                "AliasTarget",
                "alias",
                K::Block(&[
                    P("DNSName", "name", K::V),
                    P("HostedZoneId", "zone_id", K::V),
                    P("EvaluateTargetHealth", "evaluate_target_health", K::V),
                ]),
            ),
        ],
        hook: None,
    },
];

/// The validation records and the wait of a DNS-validated certificate.
fn certificate(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    name: &str,
) {
    // A certificate in use on a listener cannot be deleted: its
    // replacement must exist first (CloudFormation replaces that way).
    out.insert("lifecycle".into(), json!({ "create_before_destroy": true }));
    let Some(zone) = validation_zone(r) else {
        return;
    };
    let Some(zone) = crate::expr::value(cx, zone) else {
        return;
    };
    let mut records = Map::new();
    records.insert(
        "for_each".into(),
        json!(format!(
            "${{{{ for o in aws_acm_certificate.{name}.domain_validation_options : o.domain_name => o }}}}"
        )),
    );
    records.insert("zone_id".into(), zone);
    records.insert("name".into(), json!("${each.value.resource_record_name}"));
    records.insert("type".into(), json!("${each.value.resource_record_type}"));
    records.insert(
        "records".into(),
        json!(["${each.value.resource_record_value}"]),
    );
    records.insert("ttl".into(), json!(300));
    records.insert("allow_overwrite".into(), json!(true));
    cx.extra("aws_route53_record", &validation_name(name), records);
    let mut wait = Map::new();
    wait.insert(
        "certificate_arn".into(),
        json!(format!("${{aws_acm_certificate.{name}.arn}}")),
    );
    wait.insert(
        "validation_record_fqdns".into(),
        json!(format!(
            "${{[for r in aws_route53_record.{} : r.fqdn]}}",
            validation_name(name)
        )),
    );
    cx.extra(
        "aws_acm_certificate_validation",
        &validation_name(name),
        wait,
    );
}

/// The zone a certificate is validated in, when CloudFormation validates it.
pub(crate) fn validation_zone(r: &landfall_graph::Resource) -> Option<&Value> {
    if r.properties.get("ValidationMethod").and_then(Value::as_str) != Some("DNS") {
        return None;
    }
    r.properties
        .get("DomainValidationOptions")?
        .get(0)?
        .get("HostedZoneId")
}

/// The Terraform name of a certificate's validation resources.
pub(crate) fn validation_name(certificate: &str) -> String {
    format!("{certificate}_validation")
}
