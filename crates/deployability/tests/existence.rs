//! Existence and order over the small platform, each defect reproduced by
//! a resource added to one workload stack.
//!
//! Dynamic references name parameters and secrets that must exist when the
//! stack deploys:
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_deployability::existence;
use landfall_graph::{ExternalInput, InputKind, Layer, Resource, Stack, Target};
use serde_json::{json, Value};

fn resource(id: &str, kind: &str, properties: Value) -> Resource {
    let mut r = Resource::new(id, kind);
    if let Value::Object(map) = properties {
        r.properties = map;
    }
    r
}

/// The first workload stack of the small platform in `account`'s first
/// region.
fn workload_stack(platform: &common::Platform, account: &str) -> String {
    platform
        .graph
        .stacks
        .iter()
        .find(|s| {
            s.layer == Layer::Workloads
                && matches!(&s.target, Target::Account { account: a, region } if a == account && region == "eu-central-1")
        })
        .map(|s| s.name.clone())
        .unwrap_or_else(|| panic!("no workload stack in {account}"))
}

fn empty_stack(name: &str, account: &str, region: &str, resources: Vec<Resource>) -> Stack {
    Stack {
        name: name.into(),
        layer: Layer::Workloads,
        description: String::new(),
        target: Target::Account {
            account: account.into(),
            region: region.into(),
        },
        parameters: Vec::new(),
        conditions: Default::default(),
        resources,
        outputs: Vec::new(),
        depends_on: Vec::new(),
        inputs: Vec::new(),
        capacity: Vec::new(),
    }
}

fn findings_for<'f>(
    findings: &'f [landfall_deployability::Finding],
    stack: &str,
    resource: &str,
) -> Vec<&'f landfall_deployability::Finding> {
    findings
        .iter()
        .filter(|f| f.stack == stack && f.resource.as_deref() == Some(resource))
        .collect()
}

#[test]
fn a_dynamic_reference_to_a_parameter_nothing_creates_is_missing_until_declared_or_created_first() {
    let mut platform = common::small();
    let name = workload_stack(&platform, "trading-prod");
    platform.stack_mut(&name).resources.push(resource(
        "MetalLaunchTemplate",
        "AWS::EC2::LaunchTemplate",
        json!({ "LaunchTemplateData": { "ImageId": "{{resolve:ssm:/landfall/ami/metal}}" } }),
    ));
    let findings = existence::check(&platform.input());
    let found = findings_for(&findings, &name, "MetalLaunchTemplate");
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0].code, existence::MISSING);
    assert!(
        found[0]
            .message
            .contains("SSM parameter `/landfall/ami/metal`"),
        "{}",
        found[0].message
    );

    // Created by a stack that deploys in the same wave: out of order.
    let creator = empty_stack(
        "ami-parameter",
        "trading-prod",
        "eu-central-1",
        vec![resource(
            "Ami",
            "AWS::SSM::Parameter",
            json!({ "Name": "/landfall/ami/metal", "Type": "String", "Value": "ami-1" }),
        )],
    );
    platform.graph.stacks.push(creator);
    platform.stack_mut(&name).depends_on.clear();
    let findings = existence::check(&platform.input());
    let found = findings_for(&findings, &name, "MetalLaunchTemplate");
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0].code, existence::ORDER, "{}", found[0].message);

    // Created by a stack it depends on: fine.
    platform
        .stack_mut(&name)
        .depends_on
        .push("ami-parameter".into());
    let findings = existence::check(&platform.input());
    assert!(
        findings_for(&findings, &name, "MetalLaunchTemplate").is_empty(),
        "{findings:#?}"
    );

    // Or not created at all, but declared as what an image pipeline provides.
    platform.graph.stacks.retain(|s| s.name != "ami-parameter");
    let stack = platform.stack_mut(&name);
    stack.depends_on.retain(|d| d != "ami-parameter");
    stack.inputs.push(ExternalInput {
        kind: InputKind::SsmParameter,
        name: "/landfall/ami/metal".into(),
        why: "the Image Builder pipeline publishes each new AMI".into(),
        account: None,
    });
    let findings = existence::check(&platform.input());
    assert!(
        findings_for(&findings, &name, "MetalLaunchTemplate").is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn task_secrets_and_custom_resource_providers_must_exist() {
    let mut platform = common::small();
    let name = workload_stack(&platform, "trading-prod");
    let stack = platform.stack_mut(&name);
    stack.resources.push(resource(
        "LogTask",
        "AWS::ECS::TaskDefinition",
        json!({ "ContainerDefinitions": [{
            "Name": "log-router",
            "Image": { "Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/none:1" },
            "Secrets": [{ "Name": "LOG_BROKERS", "ValueFrom": { "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/landfall/logs/brokers" } }]
        }] }),
    ));
    stack.resources.push(resource(
        "TopicOrders",
        "Custom::MskTopic",
        json!({ "ServiceToken": { "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:landfall-msk-topics" }, "Topic": "orders" }),
    ));
    let findings = existence::check(&platform.input());
    let secrets = findings_for(&findings, &name, "LogTask");
    assert!(
        secrets.iter().any(|f| f.code == existence::MISSING
            && f.message.contains("SSM parameter `/landfall/logs/brokers`")),
        "{secrets:#?}"
    );
    assert!(
        secrets
            .iter()
            .any(|f| f.code == existence::MISSING && f.message.contains("ECR repository `none`")),
        "{secrets:#?}"
    );
    let topics = findings_for(&findings, &name, "TopicOrders");
    assert_eq!(topics.len(), 1, "{findings:#?}");
    assert!(
        topics[0]
            .message
            .contains("Lambda function `landfall-msk-topics`"),
        "{}",
        topics[0].message
    );

    // A provider function created by a stack this one depends on: fine.
    platform.graph.stacks.push(empty_stack(
        "topics-provider",
        "trading-prod",
        "eu-central-1",
        vec![resource(
            "TopicFunction",
            "AWS::Lambda::Function",
            json!({ "FunctionName": "landfall-msk-topics" }),
        )],
    ));
    platform
        .stack_mut(&name)
        .depends_on
        .push("topics-provider".into());
    let findings = existence::check(&platform.input());
    assert!(
        findings_for(&findings, &name, "TopicOrders").is_empty(),
        "{findings:#?}"
    );
}

/// An image of the platform's ECR in the shared-services account, in `region`.
fn shared_image(platform: &common::Platform, region: &str, repository: &str) -> String {
    let shared = platform
        .model
        .accounts
        .iter()
        .find(|a| a.class == landfall_spec::types::AccountClass::SharedServices)
        .unwrap();
    format!(
        "{}.dkr.ecr.{region}.amazonaws.com/{repository}:initial",
        landfall_proofs::placeholder_id(shared.id)
    )
}

fn repository_of(platform: &common::Platform) -> String {
    platform
        .graph
        .stacks
        .iter()
        .flat_map(|s| &s.resources)
        .find(|r| r.kind == "AWS::ECR::Repository")
        .and_then(|r| r.properties.get("RepositoryName"))
        .and_then(Value::as_str)
        .expect("a service repository")
        .to_owned()
}

fn task(image: &str) -> Resource {
    resource(
        "FixtureTask",
        "AWS::ECS::TaskDefinition",
        json!({ "ContainerDefinitions": [{ "Name": "app", "Image": image }] }),
    )
}

#[test]
fn images_of_new_empty_repositories_must_be_declared_inputs() {
    let mut platform = common::small();
    let name = workload_stack(&platform, "trading-prod");
    let repository = repository_of(&platform);
    let image = shared_image(&platform, "eu-central-1", &repository);
    platform.stack_mut(&name).resources.push(task(&image));
    let findings = existence::check(&platform.input());
    let found = findings_for(&findings, &name, "FixtureTask");
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0].code, existence::MISSING);
    assert!(
        found[0]
            .message
            .contains(&format!("`{repository}:initial`")),
        "{}",
        found[0].message
    );

    platform.stack_mut(&name).inputs.push(ExternalInput {
        kind: InputKind::Image,
        name: repository.clone(),
        why: "pushed by the service's pipeline before its first deployment".into(),
        account: None,
    });
    let findings = existence::check(&platform.input());
    assert!(
        findings_for(&findings, &name, "FixtureTask").is_empty(),
        "{findings:#?}"
    );
}

// ECR endpoints serve their own region; images of another region's registry
// need replication: https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html
#[test]
fn images_from_another_regions_registry_need_replication() {
    let mut platform = common::small();
    let name = platform
        .graph
        .stacks
        .iter()
        .find(|s| {
            s.layer == Layer::Workloads
                && matches!(&s.target, Target::Account { region, .. } if region == "eu-west-1")
        })
        .map(|s| s.name.clone())
        .expect("a workload stack in eu-west-1");
    let repository = repository_of(&platform);
    let image = shared_image(&platform, "eu-central-1", &repository);
    // The defect: the shared registry without its replication rules.
    for stack in &mut platform.graph.stacks {
        stack
            .resources
            .retain(|r| r.kind != "AWS::ECR::ReplicationConfiguration");
    }
    let stack = platform.stack_mut(&name);
    stack.resources.push(task(&image));
    stack.inputs.push(ExternalInput {
        kind: InputKind::Image,
        name: repository.clone(),
        why: "pushed by the service's pipeline".into(),
        account: None,
    });
    let findings = existence::check(&platform.input());
    let found = findings_for(&findings, &name, "FixtureTask");
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0].code, existence::IMAGE_REPLICATION);
    assert!(
        found[0].message.contains("runs in eu-west-1"),
        "{}",
        found[0].message
    );

    // The shared-services registry replicating to eu-west-1.
    let shared = platform
        .graph
        .stacks
        .iter()
        .position(|s| s.resources.iter().any(|r| r.kind == "AWS::ECR::Repository"))
        .unwrap();
    platform.graph.stacks[shared].resources.push(resource(
        "Replication",
        "AWS::ECR::ReplicationConfiguration",
        json!({ "ReplicationConfiguration": { "Rules": [{ "Destinations": [{ "Region": "eu-west-1", "RegistryId": "x" }] }] } }),
    ));
    let findings = existence::check(&platform.input());
    assert!(
        findings_for(&findings, &name, "FixtureTask").is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn public_images_need_egress_to_their_registry() {
    let mut platform = common::small();
    let image = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable";
    // dev: egress blocked.
    let dev = workload_stack(&platform, "trading-dev");
    platform.stack_mut(&dev).resources.push(task(image));
    // prod: inspected, the registry not on the allowlist (yet).
    let prod = workload_stack(&platform, "trading-prod");
    platform.stack_mut(&prod).resources.push(task(image));
    let findings = existence::check(&platform.input());
    for name in [&dev, &prod] {
        let found = findings_for(&findings, name, "FixtureTask");
        assert_eq!(found.len(), 1, "{findings:#?}");
        assert_eq!(
            found[0].code,
            existence::IMAGE_EGRESS,
            "{}",
            found[0].message
        );
    }
    let prod_env = platform
        .model
        .environments
        .iter()
        .find(|e| e.name == "prod")
        .unwrap()
        .id;
    let egress = platform
        .plan
        .egress
        .iter_mut()
        .find(|e| e.environment == prod_env)
        .unwrap();
    egress.allow_domains.push("public.ecr.aws".into());
    let findings = existence::check(&platform.input());
    assert!(
        findings_for(&findings, &prod, "FixtureTask").is_empty(),
        "{findings:#?}"
    );
    assert_eq!(findings_for(&findings, &dev, "FixtureTask").len(), 1);
}

#[test]
fn stacks_deploy_after_the_stack_that_creates_their_account() {
    let mut platform = common::small();
    // An edge stack in us-east-1 with no dependency: wave 0, before the
    // organization layer creates the account.
    platform.graph.stacks.push(empty_stack(
        "fixture-edge",
        "trading-prod",
        "us-east-1",
        vec![resource(
            "WebAcl",
            "AWS::WAFv2::WebACL",
            json!({ "Scope": "CLOUDFRONT" }),
        )],
    ));
    let findings = existence::check(&platform.input());
    let found: Vec<_> = findings
        .iter()
        .filter(|f| f.stack == "fixture-edge")
        .collect();
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0].code, existence::ORDER);
    assert!(
        found[0]
            .message
            .contains("deploys in wave 0 to account `trading-prod` (us-east-1)"),
        "{}",
        found[0].message
    );
    platform
        .stack_mut("fixture-edge")
        .depends_on
        .push("smallco-baseline-global".into());
    let findings = existence::check(&platform.input());
    assert!(
        !findings.iter().any(|f| f.stack == "fixture-edge"),
        "{findings:#?}"
    );
}

/// The workload layer's own edge stacks (item 11 of issue 21): they
/// deploy after the baseline of their account, so after its creation.
#[test]
fn the_workload_edge_stacks_deploy_after_their_account_exists() {
    let platform = common::reference();
    let edges = platform.stack_names("meridian-workloads-");
    let edges: Vec<&String> = edges.iter().filter(|n| n.ends_with("-edge")).collect();
    assert!(!edges.is_empty());
    let findings = existence::check(&platform.input());
    for f in &findings {
        assert!(
            !(f.code == existence::ORDER && f.stack.ends_with("-edge")),
            "{f:#?}"
        );
    }
}
