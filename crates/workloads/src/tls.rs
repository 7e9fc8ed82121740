//! TLS in front of each domain's internal load balancer.
//!
//! - **Between services**: the listener speaks HTTPS only, with an ACM
//!   certificate for the load balancer's own DNS name signed by the
//!   platform's private CA of the region (shared-services account, shared
//!   with the organization); callers trust that CA's root. A private
//!   certificate needs no DNS validation, so the name AWS gives the load
//!   balancer is enough.
//! - **From CloudFront**: CloudFront accepts an origin's certificate only
//!   from a CA Mozilla trusts and only for the origin's domain name
//!   (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html>,
//!   <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>),
//!   so each domain and environment with public services gets a public
//!   zone `<domain>.<environment>.<network.dns.public_zone>` in its own
//!   account (edge stack), delegated from the zone's account (the `dns`
//!   stack). ACM validates the origin certificate in that zone by itself
//!   because zone and certificate are in one account
//!   (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html>),
//!   once the delegation exists, so the certificate's stack waits for it.

use landfall_graph::{logical_id, ExternalInput, InputKind, ParameterValue, Stack};
use landfall_model::{Model, PublicDns};
use serde_json::json;

use crate::ctx::{std_tags, Builder, Ctx, Placement};

/// TLS 1.3 and 1.2 only, forward secrecy (ELB's recommended policy,
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html>).
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// The listener's port.
pub const HTTPS_PORT: u16 = 443;

/// The public zone of a domain in an environment.
pub fn zone_name(dns: &PublicDns, place: &Placement<'_>) -> String {
    format!("{}.{}.{}", place.domain.name, place.env.name, dns.zone)
}

/// The name CloudFront reaches a region's load balancer by.
pub fn origin_name(dns: &PublicDns, place: &Placement<'_>) -> String {
    format!("origin-{}.{}", place.region.name, zone_name(dns, place))
}

/// The stack in the zone's account that delegates each domain's zone.
pub fn delegation_stack_name(slug: &str) -> String {
    format!("{slug}-workloads-dns")
}

/// The internal certificate and the HTTPS listener of a load balancer
/// (`LoadBalancer` in the builder).
pub(crate) fn listener(ctx: &Ctx<'_>, place: &Placement<'_>, b: &mut Builder) {
    let ca_stack = landfall_graph::private_ca_stack_name(ctx.slug, &place.region.name);
    b.depends_on(ca_stack.clone());
    let ca = b.param(
        "PrivateCaArn",
        "The platform's private CA in this region (shared-services account)",
        ParameterValue::ResourceId {
            stack: ca_stack,
            logical_id: landfall_graph::PRIVATE_CA_LOGICAL_ID.into(),
        },
    );
    b.add(
        "InternalCertificate",
        "AWS::CertificateManager::Certificate",
        json!({
            "DomainName": { "Fn::GetAtt": ["LoadBalancer", "DNSName"] },
            "CertificateAuthorityArn": { "Ref": ca },
            "KeyAlgorithm": "EC_prime256v1",
            "Tags": std_tags(place, &[])
        }),
    );
    b.add(
        "Listener",
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "LoadBalancerArn": { "Ref": "LoadBalancer" },
            "Port": HTTPS_PORT,
            "Protocol": "HTTPS",
            "SslPolicy": SSL_POLICY,
            "Certificates": [{ "CertificateArn": { "Ref": "InternalCertificate" } }],
            "DefaultActions": [{
                "Type": "fixed-response",
                "FixedResponseConfig": { "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no such service" }
            }]
        }),
    );
}

/// The origin certificate CloudFront validates, on the listener beside
/// the internal one (the load balancer picks it by SNI), and the origin's
/// name in the domain's zone. Returns the origin's name.
pub(crate) fn origin(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    dns: &PublicDns,
    b: &mut Builder,
) -> String {
    let primary = ctx.primary(place.domain.id, place.env.id).unwrap_or(*place);
    let edge = ctx.stack_name(&primary, "edge");
    b.depends_on(edge.clone());
    // The certificate validates only once the zone is delegated.
    b.depends_on(delegation_stack_name(ctx.slug));
    let zone = b.param(
        "PublicZoneId",
        "The domain's public zone (edge stack)",
        ParameterValue::StackOutput {
            stack: edge,
            output: "HostedZoneId".into(),
        },
    );
    let name = origin_name(dns, place);
    b.add(
        "OriginCertificate",
        "AWS::CertificateManager::Certificate",
        json!({
            "DomainName": name,
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [{ "DomainName": name, "HostedZoneId": { "Ref": zone } }],
            "Tags": std_tags(place, &[])
        }),
    );
    b.add(
        "OriginCertificateOnListener",
        "AWS::ElasticLoadBalancingV2::ListenerCertificate",
        json!({
            "ListenerArn": { "Ref": "Listener" },
            "Certificates": [{ "CertificateArn": { "Ref": "OriginCertificate" } }]
        }),
    );
    b.add(
        "OriginRecord",
        "AWS::Route53::RecordSet",
        json!({
            "HostedZoneId": { "Ref": zone },
            "Name": name,
            "Type": "A",
            "AliasTarget": {
                "DNSName": { "Fn::GetAtt": ["LoadBalancer", "DNSName"] },
                "HostedZoneId": { "Fn::GetAtt": ["LoadBalancer", "CanonicalHostedZoneID"] },
                "EvaluateTargetHealth": false
            }
        }),
    );
    name
}

/// The domain's public zone, in its edge stack.
pub(crate) fn zone(place: &Placement<'_>, dns: &PublicDns, b: &mut Builder) {
    b.add(
        "PublicZone",
        "AWS::Route53::HostedZone",
        json!({
            "Name": zone_name(dns, place),
            "HostedZoneConfig": { "Comment": format!("Origins of the public services of {} in {}", place.domain.name, place.env.name) },
            "HostedZoneTags": std_tags(place, &[])
        }),
    )
    .retain = true;
    b.output("HostedZoneId", json!({ "Ref": "PublicZone" }), false);
    b.output(
        "NameServers",
        json!({ "Fn::Join": [",", { "Fn::GetAtt": ["PublicZone", "NameServers"] }] }),
        false,
    );
}

/// The delegation of every domain's zone from the platform's zone, in the
/// account that holds it. `edges` are the placements whose edge stacks
/// hold a zone.
pub(crate) fn delegation(
    model: &Model,
    slug: &str,
    dns: &PublicDns,
    edges: &[(Placement<'_>, String)],
) -> Stack {
    let account = &model.account(dns.account).name;
    let home = &model.region(model.organization.home_region).name;
    let mut b = Builder::new(
        delegation_stack_name(slug),
        format!("Delegation of the domains' public zones from {}", dns.zone),
        account,
        home,
    );
    b.depends_on(format!("{slug}-baseline-global"));
    // The zone is made outside the platform: the plan checks it exists.
    b.stack.inputs.push(ExternalInput {
        kind: InputKind::HostedZone,
        name: dns.hosted_zone_id.clone(),
        why: format!(
            "`network.dns`: the public zone `{}`, registered and hosted outside the platform",
            dns.zone
        ),
        account: None,
    });
    for (place, edge) in edges {
        b.depends_on(edge.clone());
        let servers = b.param(
            &logical_id(&["NameServers", &place.domain.name, &place.env.name]),
            &format!(
                "Name servers of the zone of {} in {}",
                place.domain.name, place.env.name
            ),
            ParameterValue::StackOutput {
                stack: edge.clone(),
                output: "NameServers".into(),
            },
        );
        b.add(
            &logical_id(&["Delegate", &place.domain.name, &place.env.name]),
            "AWS::Route53::RecordSet",
            json!({
                "HostedZoneId": dns.hosted_zone_id,
                "Name": zone_name(dns, place),
                "Type": "NS",
                "TTL": "172800",
                "ResourceRecords": { "Fn::Split": [",", { "Ref": servers }] }
            }),
        );
    }
    b.stack
}
