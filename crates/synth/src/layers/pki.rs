//! The platform's private certificate authority: one root CA per region
//! that runs services behind load balancers, in the shared-services
//! account, shared with the organization through RAM. Each domain's
//! internal load balancer listens on HTTPS with an ACM certificate this CA
//! signs (the workload layer requests it), so services call each other
//! over TLS and trust one root per region.
//!
//! Facts this rests on:
//! - ACM issues private certificates only from a CA in the same region
//!   (<https://docs.aws.amazon.com/acm/latest/userguide/acm-private-ca.html>),
//!   hence a CA per region;
//! - issuing from another account needs the CA shared with it; a RAM share
//!   attaches the resource policy ACM's cross-account issuance and renewal
//!   need (<https://docs.aws.amazon.com/acm/latest/userguide/ca-access.html>,
//!   <https://docs.aws.amazon.com/privateca/latest/userguide/pca-ram.html>);
//! - a CA issues nothing until its own certificate is installed: a root
//!   signs its own CSR with the root template and is activated with it
//!   (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-acmpca-certificateauthorityactivation.html>);
//! - ACM renews certificates only from CAs in general-purpose mode
//!   (short-lived mode is cheaper but its certificates are not managed).

use std::collections::BTreeSet;

use landfall_graph::{intrinsic, Layer, Target};
use landfall_spec::types::Ingress;
use serde_json::json;

use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::Ctx;

/// Workload stacks read the CA's ARN (its physical id) with
/// [`landfall_graph::ParameterValue::ResourceId`].
const CERTIFICATE_AUTHORITY: &str = landfall_graph::PRIVATE_CA_LOGICAL_ID;

/// The output holding the root's certificate (PEM): what clients outside
/// ECS's managed trust (Alertmanager's hosts) verify the services with.
pub const ROOT_CERTIFICATE_OUTPUT: &str = "RootCertificatePem";

/// The regions where a service is reached through a load balancer: the
/// workloads', and every region a remediation service runs in behind its
/// own.
fn regions(ctx: &Ctx<'_>) -> BTreeSet<String> {
    let model = ctx.model;
    let remediation = super::heal_service::regions(ctx);
    model
        .services
        .iter()
        .filter(|s| s.ingress != Ingress::None)
        .flat_map(|s| s.environments.iter())
        .flat_map(|&env| model.environment(env).regions.iter())
        .map(|&r| model.region(r).name.clone())
        .chain(remediation)
        .collect()
}

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let account = ctx.account_or_management(ctx.shared);
    regions(ctx)
        .into_iter()
        .map(|region| {
            let mut unit = Unit::new(
                landfall_graph::private_ca_stack_name(ctx.slug, &region),
                Layer::SharedServices,
                format!("Private certificate authority of the services in {region}"),
                Target::Account {
                    account: account.to_owned(),
                    region: region.clone(),
                },
            );
            unit.depends_on.push(ctx.stack_name("baseline-global", ""));
            let org = ctx.organization_id_param(&mut unit);
            let management = unit.parameter(
                crate::params::MANAGEMENT,
                "Id of the management account",
                landfall_graph::ParameterValue::AccountId(ctx.management.to_owned()),
            );
            let purpose = tags(&[("landfall:purpose", "private-ca")]);
            unit.add(
                resource(
                    CERTIFICATE_AUTHORITY,
                    "AWS::ACMPCA::CertificateAuthority",
                    json!({
                        "Type": "ROOT",
                        "KeyAlgorithm": "EC_prime256v1",
                        "SigningAlgorithm": "SHA256WITHECDSA",
                        "UsageMode": "GENERAL_PURPOSE",
                        "Subject": {
                            "Organization": ctx.model.organization.name,
                            "CommonName": format!("{} services {region}", ctx.slug)
                        },
                        // OCSP needs no bucket: AWS answers for the CA.
                        "RevocationConfiguration": { "OcspConfiguration": { "Enabled": true } },
                        "Tags": purpose
                    }),
                )
                .retain(),
            );
            unit.add(resource(
                "RootCertificate",
                "AWS::ACMPCA::Certificate",
                json!({
                    "CertificateAuthorityArn": { "Ref": CERTIFICATE_AUTHORITY },
                    "CertificateSigningRequest": { "Fn::GetAtt": [CERTIFICATE_AUTHORITY, "CertificateSigningRequest"] },
                    "SigningAlgorithm": "SHA256WITHECDSA",
                    "TemplateArn": intrinsic::sub("arn:${AWS::Partition}:acm-pca:::template/RootCACertificate/V1"),
                    "Validity": { "Type": "YEARS", "Value": 10 }
                }),
            ));
            unit.add(resource(
                "Activation",
                "AWS::ACMPCA::CertificateAuthorityActivation",
                json!({
                    "CertificateAuthorityArn": { "Ref": CERTIFICATE_AUTHORITY },
                    "Certificate": { "Fn::GetAtt": ["RootCertificate", "Certificate"] },
                    "Status": "ACTIVE"
                }),
            ));
            unit.add(
                resource(
                    "Share",
                    "AWS::RAM::ResourceShare",
                    json!({
                        "Name": format!("{}-private-ca-{region}", ctx.slug),
                        "AllowExternalPrincipals": false,
                        "Principals": [intrinsic::sub(format!(
                            "arn:${{AWS::Partition}}:organizations::${{{management}}}:organization/${{{org}}}"
                        ))],
                        "ResourceArns": [{ "Ref": CERTIFICATE_AUTHORITY }],
                        "PermissionArns": [intrinsic::sub(
                            "arn:${AWS::Partition}:ram::aws:permission/AWSRAMDefaultPermissionCertificateAuthority"
                        )],
                        "Tags": purpose
                    }),
                )
                .depends("Activation"),
            );
            unit.outputs.push(landfall_graph::Output {
                name: ROOT_CERTIFICATE_OUTPUT.into(),
                description: Some("The root CA's certificate (PEM)".into()),
                value: json!({ "Fn::GetAtt": ["RootCertificate", "Certificate"] }),
                export: None,
            });
            unit
        })
        .collect()
}
