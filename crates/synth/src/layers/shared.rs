//! Shared services, in the shared-services account's home region: ECR
//! repositories per service, CodeArtifact (replacing Nexus), the OIDC trust
//! of GitHub Actions (and Jenkins while it lasts) with a role per service
//! that pushes its images and one per environment that deploys it, and
//! the replication of the registry to every region that runs tasks. (The metal instances of latency-sensitive services run AWS's
//! ECS-optimized AMI, read from AWS's public parameter in each region:
//! nothing here builds or shares images.)
//!
//! One unit, always cut into a `platform` stack and one stack per domain
//! (its services' repositories and deploy roles), so adding a service or a
//! domain moves nothing.

use super::key_policy;
use landfall_graph::{intrinsic, logical_id, Layer, Target};
use landfall_model::Service;
use serde_json::{json, Value};

use crate::layers::baseline::DEPLOY_PRINCIPAL_PATH;
use crate::unit::{resource, tags, ResourceExt, Unit};
use crate::Ctx;

const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";

pub(crate) fn build(ctx: &Ctx<'_>) -> Vec<Unit> {
    let model = ctx.model;
    let account = ctx.account_or_management(ctx.shared);
    let mut unit = Unit::new(
        ctx.stack_name("shared-services", ""),
        Layer::SharedServices,
        "Container registries, packages, CI/CD trust and image pipelines".into(),
        Target::Account {
            account: account.to_owned(),
            region: ctx.home.to_owned(),
        },
    );
    unit.fixed_depth = 1;
    unit.depends_on.push(ctx.stack_name("baseline-global", ""));
    let org = ctx.organization_id_param(&mut unit);

    unit.add(
        resource(
            "ArtifactsKey",
            "AWS::KMS::Key",
            json!({
                "Description": "Encrypts container images and packages",
                "EnableKeyRotation": true,
                "KeyPolicy": key_policy(vec![json!({
                            "Sid": "OrganizationReadsThroughTheServices",
                            "Effect": "Allow",
                            "Principal": { "AWS": "*" },
                            "Action": ["kms:Decrypt", "kms:DescribeKey"],
                            "Resource": "*",
                            "Condition": {
                                "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } },
                                "ForAnyValue:StringLike": { "kms:ViaService": [
                                    intrinsic::sub("ecr.${AWS::Region}.amazonaws.com"),
                                    intrinsic::sub("codeartifact.${AWS::Region}.amazonaws.com")
                                ] }
                            }
                        })])
            }),
        )
        .at(&["platform"])
        .retain(),
    );

    // Enhanced scanning: Amazon Inspector scans every image of the
    // registry on push and again as new vulnerabilities are published
    // (basic scan-on-push is then ignored); it needs Inspector in this
    // account, which the organization's auto-enable provides
    // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html).
    unit.add(
        resource(
            "RegistryScanning",
            "AWS::ECR::RegistryScanningConfiguration",
            json!({
                "ScanType": "ENHANCED",
                "Rules": [{
                    "ScanFrequency": "CONTINUOUS_SCAN",
                    "RepositoryFilters": [{ "Filter": "*", "FilterType": "WILDCARD" }]
                }]
            }),
        )
        .at(&["platform"]),
    );

    let cicd = model.cicd.as_ref();
    let github_org = cicd.map(|c| c.github.organization.clone());
    let branches: Vec<String> = cicd.map_or_else(
        || vec!["main".to_owned()],
        |c| c.github.production_branches.clone(),
    );
    if github_org.is_some() {
        unit.add(
            resource(
                "GitHubOidcProvider",
                "AWS::IAM::OIDCProvider",
                json!({
                    "Url": format!("https://{GITHUB_ISSUER}"),
                    "ClientIdList": ["sts.amazonaws.com"],
                }),
            )
            .at(&["platform"]),
        );
    }
    let jenkins = cicd.and_then(|c| c.jenkins.as_ref());
    if let Some(jenkins) = jenkins {
        let mut props = json!({
            "Url": jenkins.issuer_url,
            "ClientIdList": ["sts.amazonaws.com"],
            "Tags": tags(&[("landfall:sunset", jenkins.sunset.as_deref().unwrap_or("none"))]),
        });
        // IAM verifies an issuer outside its CA library by these
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html);
        // the model requires them for such an issuer.
        if !jenkins.thumbprints.is_empty() {
            let thumbprints: Vec<String> = jenkins
                .thumbprints
                .iter()
                .map(|t| t.to_ascii_lowercase())
                .collect();
            props["ThumbprintList"] = json!(thumbprints);
        }
        unit.add(
            resource("JenkinsOidcProvider", "AWS::IAM::OIDCProvider", props).at(&["platform"]),
        );
    }

    // CodeArtifact.
    if let Some(cicd) = cicd {
        let ca = &cicd.codeartifact;
        unit.add(
            resource(
                "ArtifactDomain",
                "AWS::CodeArtifact::Domain",
                json!({
                    "DomainName": ca.domain,
                    "EncryptionKey": { "Fn::GetAtt": ["ArtifactsKey", "Arn"] },
                    "PermissionsPolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "OrganizationReads",
                            "Effect": "Allow",
                            "Principal": { "AWS": "*" },
                            "Action": ["codeartifact:GetAuthorizationToken", "codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository", "sts:GetServiceBearerToken"],
                            "Resource": "*",
                            "Condition": { "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } } }
                        }]
                    }
                }),
            )
            .at(&["platform"]),
        );
        for repo in &ca.repositories {
            let id = logical_id(&["ArtifactRepository", &repo.name]);
            let mut props = json!({
                "DomainName": { "Fn::GetAtt": ["ArtifactDomain", "Name"] },
                "RepositoryName": repo.name,
            });
            if let Some(connection) = &repo.external_connection {
                props["ExternalConnections"] = json!([connection]);
            }
            let mut r = resource(&id, "AWS::CodeArtifact::Repository", json!({})).at(&["platform"]);
            if !repo.upstreams.is_empty() {
                props["Upstreams"] = json!(repo.upstreams);
                for upstream in &repo.upstreams {
                    r = r.depends(&logical_id(&["ArtifactRepository", upstream]));
                }
            }
            unit.add(r.props(props));
        }
    }

    // Per service: an ECR repository and its CI/CD roles.
    let ecr = cicd.map(|c| c.ecr.clone()).unwrap_or_default();
    for service in &model.services {
        let domain = &model.domain(service.domain).name;
        let part = format!("domain-{domain}");
        let repo_id = logical_id(&["Repository", &service.name]);
        unit.add(
            resource(
                &repo_id,
                "AWS::ECR::Repository",
                json!({
                    "RepositoryName": format!("{domain}/{}", service.name),
                    "ImageTagMutability": if ecr.immutable_tags { "IMMUTABLE" } else { "MUTABLE" },
                    "ImageScanningConfiguration": { "ScanOnPush": ecr.scan_on_push },
                    "EncryptionConfiguration": {
                        "EncryptionType": "KMS",
                        "KmsKey": { "Fn::GetAtt": ["ArtifactsKey", "Arn"] }
                    },
                    "LifecyclePolicy": {
                        "LifecyclePolicyText": json!({
                            "rules": [{
                                "rulePriority": 1,
                                "description": "Expire untagged images beyond the newest ones kept",
                                "selection": { "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": ecr.keep_images.max(1) },
                                "action": { "type": "expire" }
                            }]
                        }).to_string()
                    },
                    "RepositoryPolicyText": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "OrganizationPulls",
                            "Effect": "Allow",
                            "Principal": { "AWS": "*" },
                            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                            "Condition": { "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } } }
                        }]
                    },
                    "Tags": tags(&[("landfall:domain", domain), ("landfall:service", &service.name)]),
                }),
            )
            .at(&[&part])
            .origin(&service.origin),
        );
        if github_org.is_some() || jenkins.is_some() {
            for role in ci_roles(ctx, service, &repo_id, &branches, jenkins, &part, &org) {
                unit.add(role);
            }
        }
    }

    // The sidecars' images (`landfall_model::sidecars`), copied here
    // from their upstream registries: tasks pull through the VPC's ECR
    // endpoints only. Immutable whatever the services' setting: a pinned
    // tag must always mean the same image.
    let sidecars = sidecar_images(model);
    for sidecar in sidecars {
        unit.add(
            resource(
                logical_id(&["Sidecar", "Repository", sidecar.container]),
                "AWS::ECR::Repository",
                platform_image_repository(
                    sidecar.repository,
                    &org,
                    tags(&[(
                        "landfall:upstream",
                        &format!("{}:{}", sidecar.upstream, sidecar.tag),
                    )]),
                ),
            )
            .at(&["platform"]),
        );
    }
    // The platform's own image (the `landfall` binary), which the
    // remediation service runs.
    if super::alerting::enabled(ctx) {
        unit.add(
            resource(
                "LandfallRepository",
                "AWS::ECR::Repository",
                platform_image_repository(
                    super::heal_service::IMAGE_REPOSITORY,
                    &org,
                    tags(&[("landfall:purpose", "remediation")]),
                ),
            )
            .at(&["platform"]),
        );
    }
    // The monitoring servers' images (`monitoring::IMAGES`, Grafana's,
    // Zabbix's), copied in
    // from upstream at the pinned tags.
    if landfall_model::monitoring::enabled(model)
        && model
            .core_account(landfall_spec::types::AccountClass::Observability)
            .is_some()
    {
        let zabbix: &[(&str, &str, &str)] = if super::zabbix::runs(ctx) {
            super::zabbix::IMAGES
        } else {
            &[]
        };
        for (repo, upstream, _) in super::monitoring::IMAGES
            .iter()
            .chain(super::grafana::IMAGES)
            .chain(zabbix)
        {
            unit.add(
                resource(
                    logical_id(&["Repository", repo]),
                    "AWS::ECR::Repository",
                    platform_image_repository(
                        repo,
                        &org,
                        tags(&[
                            ("landfall:purpose", "monitoring"),
                            ("landfall:upstream", upstream),
                        ]),
                    ),
                )
                .at(&["platform"]),
            );
        }
    }
    if github_org.is_some() || jenkins.is_some() {
        account_id_parameters(ctx, &mut unit);
    }
    if !model.services.is_empty() || landfall_model::monitoring::enabled(model) {
        replication(ctx, &mut unit, &org, ecr.immutable_tags);
    }
    vec![unit]
}

/// The roles CI/CD assumes through OIDC for one service: one that pushes
/// its images, from its production branches, and one per environment that
/// deploys there, from a job of that GitHub environment only. GitHub puts
/// the environment in the token's `sub` instead of the branch when a job
/// names one (`repo:ORG/REPO:environment:NAME`,
/// https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#example-subject-claims),
/// so the environment's protection rules (reviewers, allowed branches)
/// stand between a branch and production; and only an environment's own
/// role is trusted by the service's deploy roles there
/// (`landfall_workloads`), so no job reaches production without passing
/// them.
fn ci_roles(
    ctx: &Ctx<'_>,
    service: &Service,
    repo_id: &str,
    branches: &[String],
    jenkins: Option<&landfall_spec::types::Jenkins>,
    part: &str,
    org: &str,
) -> Vec<landfall_graph::Resource> {
    let github = ctx
        .model
        .cicd
        .as_ref()
        .is_some_and(|c| !c.github.organization.is_empty());
    let github_trust = |subjects: Vec<String>| {
        json!({
            "Sid": "GitHubActions",
            "Effect": "Allow",
            "Principal": { "Federated": { "Ref": "GitHubOidcProvider" } },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    format!("{GITHUB_ISSUER}:aud"): "sts.amazonaws.com",
                    format!("{GITHUB_ISSUER}:sub"): subjects
                }
            }
        })
    };
    // The Jenkins OIDC plugin puts the job's URL in `sub`; Jenkins has no
    // environments, so its jobs keep the trust they had until its sunset.
    let jenkins_trust = jenkins.map(|jenkins| {
        let issuer = jenkins
            .issuer_url
            .trim_start_matches("https://")
            .trim_end_matches('/');
        json!({
            "Sid": "Jenkins",
            "Effect": "Allow",
            "Principal": { "Federated": { "Ref": "JenkinsOidcProvider" } },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": { format!("{issuer}:aud"): "sts.amazonaws.com" },
                "StringLike": { format!("{issuer}:sub"): format!("*/job/{}/*", service.name) }
            }
        })
    });
    let trust = |github_subjects: Vec<String>| {
        let mut statements = Vec::new();
        if github {
            statements.push(github_trust(github_subjects));
        }
        statements.extend(jenkins_trust.clone());
        json!({ "Version": "2012-10-17", "Statement": statements })
    };
    let domain = &ctx.model.domain(service.domain).name;
    let service_tags = tags(&[
        ("landfall:domain", domain),
        ("landfall:service", &service.name),
    ]);
    let push_subjects: Vec<String> = branches
        .iter()
        .map(|b| format!("repo:{}:ref:refs/heads/{b}", service.repository))
        .collect();
    let mut roles = vec![resource(
        logical_id(&["PushRole", &service.name]),
        "AWS::IAM::Role",
        json!({
            "RoleName": landfall_graph::push_role_name(&service.name),
            "Path": DEPLOY_PRINCIPAL_PATH,
            "Description": format!("Pushes the images of {} ({})", service.name, service.repository),
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": trust(push_subjects),
            "Policies": [{
                "PolicyName": "push",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PushItsImages",
                            "Effect": "Allow",
                            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"],
                            "Resource": { "Fn::GetAtt": [repo_id, "Arn"] }
                        },
                        {
                            // The pipeline waits until the image has
                            // replicated to every region its tasks pull in.
                            "Sid": "SeeItsReplicas",
                            "Effect": "Allow",
                            "Action": "ecr:DescribeImages",
                            "Resource": intrinsic::sub(format!("arn:${{AWS::Partition}}:ecr:*:${{AWS::AccountId}}:repository/{domain}/{}", service.name))
                        },
                        { "Sid": "LogIn", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" }
                    ]
                }
            }],
            "Tags": service_tags.clone(),
        }),
    )
    .at(&[part])
    .origin(&service.origin)];
    for env in &service.environments {
        let environment = ctx.model.environment(*env);
        // Its deploy roles in the environment's accounts: one per region
        // (named as the workload layer names them).
        let mut own_roles: Vec<Value> = Vec::new();
        for (i, region) in environment.regions.iter().enumerate() {
            let region = (i > 0).then(|| ctx.model.region(*region).name.as_str());
            let name = landfall_graph::regional_name("deploy", &service.name, region);
            let arn = intrinsic::sub(format!(
                "arn:${{AWS::Partition}}:iam::*:role/workload/{name}"
            ));
            if !own_roles.contains(&arn) {
                own_roles.push(arn);
            }
        }
        let subject = format!(
            "repo:{}:environment:{}",
            service.repository, environment.name
        );
        roles.push(
            resource(
                logical_id(&["DeployRole", &service.name, &environment.name]),
                "AWS::IAM::Role",
                json!({
                    "RoleName": landfall_graph::environment_deploy_role_name(&service.name, &environment.name),
                    "Path": DEPLOY_PRINCIPAL_PATH,
                    "Description": format!("Deploys {} to {} ({})", service.name, environment.name, service.repository),
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": trust(vec![subject]),
                    "Policies": [{
                        "PolicyName": "deploy",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "UpdateItsService",
                                    "Effect": "Allow",
                                    "Action": "sts:AssumeRole",
                                    "Resource": own_roles,
                                    "Condition": { "StringEquals": { "aws:ResourceOrgID": { "Ref": org } } }
                                },
                                {
                                    "Sid": "FindTheAccounts",
                                    "Effect": "Allow",
                                    "Action": "ssm:GetParameter",
                                    "Resource": intrinsic::sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/landfall/accounts/*")
                                }
                            ]
                        }
                    }],
                    "Tags": service_tags.clone(),
                }),
            )
            .at(&[part])
            .origin(&service.origin),
        );
    }
    roles
}

/// The id of each account a service deploys to, where its pipeline can read
/// it ([`landfall_graph::account_id_parameter`]).
fn account_id_parameters(ctx: &Ctx<'_>, unit: &mut Unit) {
    let model = ctx.model;
    let mut seen = std::collections::BTreeSet::new();
    for service in &model.services {
        let part = format!("domain-{}", model.domain(service.domain).name);
        for env in &service.environments {
            let Some(account) = model.workload_account(service.domain, *env) else {
                continue;
            };
            if !seen.insert(account.name.clone()) {
                continue;
            }
            let param = unit.parameter(
                &logical_id(&["Account", &account.name]),
                &format!("Id of the `{}` account", account.name),
                landfall_graph::ParameterValue::AccountId(account.name.clone()),
            );
            unit.add(
                resource(
                    logical_id(&["AccountIdParameter", &account.name]),
                    "AWS::SSM::Parameter",
                    json!({
                        "Name": landfall_graph::account_id_parameter(&account.name),
                        "Type": "String",
                        "Value": { "Ref": param },
                        "Description": format!("Id of the {} account, for the pipelines that deploy there", account.name)
                    }),
                )
                .at(&[&part]),
            );
        }
    }
}

/// Tasks pull images in their own region (their VPC endpoints serve that
/// region only): the registry replicates every repository to each other
/// region an environment runs in, and a creation template gives each
/// replica the organization's pull policy and tag immutability
/// (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html>,
/// <https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html>).
/// Replicas are encrypted with ECR's key of their region: a customer key is
/// regional, and the artifacts key lives in the home region only.
fn replication(ctx: &Ctx<'_>, unit: &mut Unit, org: &str, immutable: bool) {
    let model = ctx.model;
    let mut regions: Vec<&str> = model
        .environments
        .iter()
        .flat_map(|e| e.regions.iter().map(|r| model.region(*r).name.as_str()))
        .filter(|r| *r != ctx.home)
        .collect();
    regions.sort_unstable();
    regions.dedup();
    if regions.is_empty() {
        return;
    }
    let destinations: Vec<Value> = regions
        .iter()
        .map(|r| json!({ "Region": r, "RegistryId": { "Ref": "AWS::AccountId" } }))
        .collect();
    unit.add(
        resource(
            "RegistryReplication",
            "AWS::ECR::ReplicationConfiguration",
            json!({ "ReplicationConfiguration": { "Rules": [{ "Destinations": destinations }] } }),
        )
        .at(&["platform"]),
    );
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OrganizationPulls",
            "Effect": "Allow",
            "Principal": { "AWS": "*" },
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Condition": { "StringEquals": { "aws:PrincipalOrgID": format!("${{{org}}}") } }
        }]
    })
    .to_string();
    unit.add(
        resource(
            "ReplicaTemplate",
            "AWS::ECR::RepositoryCreationTemplate",
            json!({
                "Prefix": "ROOT",
                "Description": "Replicas of the service repositories in the regions that run tasks",
                "AppliedFor": ["REPLICATION"],
                "ImageTagMutability": if immutable { "IMMUTABLE" } else { "MUTABLE" },
                "EncryptionConfiguration": { "EncryptionType": "KMS" },
                "RepositoryPolicy": intrinsic::sub(policy)
            }),
        )
        .at(&["platform"]),
    );
}

/// An image repository of the platform's own images (sidecars, the
/// `landfall` binary): immutable tags, scanned, under the artifacts key,
/// pulled by the organization.
fn platform_image_repository(name: &str, org: &str, tags: Value) -> Value {
    json!({
        "RepositoryName": name,
        "ImageTagMutability": "IMMUTABLE",
        "ImageScanningConfiguration": { "ScanOnPush": true },
        "EncryptionConfiguration": {
            "EncryptionType": "KMS",
            "KmsKey": { "Fn::GetAtt": ["ArtifactsKey", "Arn"] }
        },
        "RepositoryPolicyText": {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "OrganizationPulls",
                "Effect": "Allow",
                "Principal": { "AWS": "*" },
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Condition": { "StringEquals": { "aws:PrincipalOrgID": { "Ref": org } } }
            }]
        },
        "Tags": tags,
    })
}

/// The sidecar images the workload layer's tasks pull, whose repositories
/// this stack creates: the log sidecars where Fargate tasks ship logs with
/// SASL/SCRAM; the metrics agent where any VPC has monitoring servers and
/// any service runs (every task runs it, and metal hosts its daemon).
pub fn sidecar_images(
    model: &landfall_model::Model,
) -> Vec<&'static landfall_model::sidecars::Sidecar> {
    let log_agents = model.observability.as_ref().is_some_and(|o| {
        o.logs.kafka_authentication == landfall_spec::types::KafkaAuthentication::ScramSha512
    }) && model.services.iter().any(|s| !s.latency_sensitive);
    let metrics_agents = model
        .network
        .vpcs
        .iter()
        .any(|vpc| !landfall_model::monitoring::server_subnets(model, vpc).is_empty())
        && !model.services.is_empty();
    landfall_model::sidecars::SIDECARS
        .iter()
        .filter(|_| log_agents)
        .chain(
            [&landfall_model::sidecars::METRICS_AGENT]
                .into_iter()
                .filter(|_| metrics_agents),
        )
        .collect()
}

#[cfg(test)]
mod sidecar_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    /// A platform of metal services only still gets the metrics agent's
    /// repository: its tasks run the sidecar and its hosts the daemon,
    /// both from that image (the workload layer declares it as an input of
    /// their stacks). Its Fargate-only log sidecars it does not get.
    #[test]
    fn metal_services_alone_still_get_the_metrics_agents_repository() {
        let names = |model: &landfall_model::Model| -> Vec<&str> {
            super::sidecar_images(model)
                .iter()
                .map(|s| s.container)
                .collect()
        };
        let metrics = landfall_model::sidecars::METRICS_AGENT.container;
        let mut model = landfall_model::reference().model.unwrap();
        assert!(names(&model).len() > 1 && names(&model).contains(&metrics));
        for service in &mut model.services {
            service.latency_sensitive = true;
        }
        assert_eq!(names(&model), [metrics]);
    }
}
