//! The monitoring servers in the resource graph: where they run, what
//! they are made of, and what AWS requires of them at deploy time.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_graph::{Graph, Resource, Stack, Target};
use landfall_model::monitoring;
use landfall_spec::types::AccountClass;
use landfall_synth::layers::monitoring::{self as servers, IMAGES};
use serde_json::Value;

fn reference() -> common::Synthesized {
    common::synthesize_files(common::reference_files(), None)
}

fn stack<'g>(graph: &'g Graph, name: &str) -> &'g Stack {
    graph
        .stacks
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no stack `{name}`"))
}

fn of_type<'s>(stack: &'s Stack, kind: &'s str) -> impl Iterator<Item = &'s Resource> + 's {
    stack.resources.iter().filter(move |r| r.kind == kind)
}

fn text(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn every_vpc_gets_a_cluster_in_the_observability_account_and_a_zone_in_the_networking_account() {
    let s = reference();
    let observability = s.model.core_account(AccountClass::Observability).unwrap();
    let networking = s.model.core_account(AccountClass::Networking).unwrap();
    for vpc in &s.model.network.vpcs {
        let region = &s.model.region(vpc.region).name;
        let servers_stack = stack(&s.graph, &servers::stack_name("meridian", &vpc.name));
        assert_eq!(
            servers_stack.target,
            Target::Account {
                account: observability.name.clone(),
                region: region.clone()
            }
        );
        let dns = stack(&s.graph, &format!("meridian-monitoring-dns-{}", vpc.name));
        assert_eq!(
            dns.target,
            Target::Account {
                account: networking.name.clone(),
                region: region.clone()
            }
        );
        assert!(dns.depends_on.contains(&servers_stack.name));
        // The name the Telegraf agents write to
        // (landfall_observability::telegraf::vminsert_url) is a record of
        // the VPC's zone.
        let names: Vec<String> = of_type(dns, "AWS::Route53::RecordSet")
            .map(|r| r.properties["Name"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            names.contains(&format!("vminsert.{region}.metrics.meridian.internal")),
            "{names:?}"
        );
    }
}

#[test]
fn storage_runs_on_one_host_per_az_with_an_encrypted_retained_volume_of_the_formulas_size() {
    let s = reference();
    for vpc in &s.model.network.vpcs {
        let size = monitoring::cluster_size(&s.model, vpc).unwrap();
        let st = stack(&s.graph, &servers::stack_name("meridian", &vpc.name));
        let hosts: Vec<&Resource> = of_type(st, "AWS::EC2::Instance").collect();
        let volumes: Vec<&Resource> = of_type(st, "AWS::EC2::Volume").collect();
        assert_eq!(hosts.len(), 3, "{}", vpc.name);
        assert_eq!(volumes.len(), 3, "{}", vpc.name);
        let mut azs: Vec<&str> = volumes
            .iter()
            .map(|v| v.properties["AvailabilityZone"].as_str().unwrap())
            .collect();
        azs.sort_unstable();
        azs.dedup();
        assert_eq!(azs.len(), 3, "one volume per AZ in {}", vpc.name);
        for volume in &volumes {
            let p = &volume.properties;
            assert_eq!(p["Encrypted"], true);
            assert_eq!(p["Size"], size.volume_gib_per_node);
            assert_eq!(p["KmsKeyId"]["Fn::GetAtt"][0], "VolumeKey");
            assert!(volume.retain, "a stack deletion keeps the data");
        }
        for host in &hosts {
            let p = &host.properties;
            assert_eq!(p["InstanceType"], size.instance_type);
            // AWS's public parameter, resolved in the stack's region at
            // deploy time
            // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_AMI.html).
            assert_eq!(p["ImageId"], servers::AMI);
            // No public address: the interface is in a data subnet and
            // carries none (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html).
            assert!(p.get("NetworkInterfaces").unwrap()[0]
                .get("AssociatePublicIpAddress")
                .is_none());
            let user_data = text(&p["UserData"]);
            assert!(
                user_data.contains(&format!("-retentionPeriod={}d", 400)),
                "{user_data}"
            );
            assert!(user_data.contains("-replicationFactor=2"));
            // The other two hosts' fixed addresses are Alertmanager's peers.
            assert_eq!(user_data.matches("--cluster.peer=").count(), 2);
        }
        // The hosts are declared capacity: `landfall plan` asks AWS whether
        // each AZ offers the type and the account's vCPU quota holds them
        // (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-regions.html).
        assert_eq!(st.capacity.len(), 3);
        for c in &st.capacity {
            assert_eq!(c.instance_type, size.instance_type);
            assert_eq!(c.vcpus_per_instance, size.vcpus_per_host);
        }
        // vmalert on two hosts, each notifying all three Alertmanagers.
        let vmalerts = hosts
            .iter()
            .filter(|h| text(&h.properties["UserData"]).contains("run vmalert"))
            .count();
        assert_eq!(vmalerts, servers::VMALERT_HOSTS);
        for interface in of_type(st, "AWS::EC2::NetworkInterface") {
            assert!(interface
                .properties
                .get("AssociatePublicIpAddress")
                .is_none());
        }
        // The launch template asks for IMDSv2 and an encrypted root volume.
        let template = of_type(st, "AWS::EC2::LaunchTemplate").next().unwrap();
        let data = &template.properties["LaunchTemplateData"];
        assert_eq!(data["MetadataOptions"]["HttpTokens"], "required");
        assert_eq!(data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"], true);
    }
}

#[test]
fn the_volume_key_lets_ebs_use_it_for_the_account_and_nothing_through_auto_scaling() {
    // Volumes created directly (not by an Auto Scaling group) use the key
    // with the caller's permissions, through grants EBS creates; the
    // Auto Scaling service-linked role would need a grant of its own
    // (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html#ebs-encryption-permissions,
    // https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
    let s = reference();
    let vpc = &s.model.network.vpcs[0];
    let st = stack(&s.graph, &servers::stack_name("meridian", &vpc.name));
    assert_eq!(of_type(st, "AWS::AutoScaling::AutoScalingGroup").count(), 0);
    let key = of_type(st, "AWS::KMS::Key").next().unwrap();
    let policy = text(&key.properties["KeyPolicy"]);
    assert!(policy.contains("kms:CreateGrant"), "{policy}");
    assert!(
        policy.contains("ec2.${AWS::Region}.amazonaws.com"),
        "{policy}"
    );
    assert_eq!(key.properties["EnableKeyRotation"], true);
}

#[test]
fn vminsert_and_vmselect_are_behind_internal_network_load_balancers() {
    let s = reference();
    for vpc in &s.model.network.vpcs {
        let st = stack(&s.graph, &servers::stack_name("meridian", &vpc.name));
        let lbs: Vec<&Resource> =
            of_type(st, "AWS::ElasticLoadBalancingV2::LoadBalancer").collect();
        // Alertmanager too where the remediation service runs, which pages it.
        let pages = s.model.network.remediation_vpcs.contains(&vpc.id);
        assert_eq!(lbs.len(), if pages { 3 } else { 2 }, "{}", vpc.name);
        for lb in lbs {
            assert_eq!(lb.properties["Scheme"], "internal");
            assert_eq!(lb.properties["Type"], "network");
            assert_eq!(lb.properties["Subnets"].as_array().unwrap().len(), 3);
        }
        let ports: Vec<i64> = of_type(st, "AWS::ElasticLoadBalancingV2::Listener")
            .map(|l| l.properties["Port"].as_i64().unwrap())
            .collect();
        let mut expected = vec![servers::VMINSERT_PORT, servers::VMSELECT_PORT];
        if pages {
            expected.push(servers::ALERTMANAGER_PORT);
        }
        assert_eq!(ports, expected);
        for tg in of_type(st, "AWS::ElasticLoadBalancingV2::TargetGroup") {
            assert_eq!(tg.properties["Targets"].as_array().unwrap().len(), 3);
        }
    }
}

#[test]
fn the_hosts_role_is_a_workload_role_under_the_boundary() {
    // The CloudFormation role of member accounts creates roles only under
    // /workload/ with the workload boundary (the baseline's deploy
    // policies), and the SSM agent needs its managed policy to register
    // (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html).
    let s = reference();
    let vpc = &s.model.network.vpcs[0];
    let st = stack(&s.graph, &servers::stack_name("meridian", &vpc.name));
    let role = of_type(st, "AWS::IAM::Role").next().unwrap();
    assert_eq!(role.properties["Path"], "/workload/");
    assert!(text(&role.properties["PermissionsBoundary"]).contains("landfall-workload-boundary"));
    assert!(text(&role.properties["ManagedPolicyArns"]).contains("AmazonSSMManagedInstanceCore"));
    let profile = of_type(st, "AWS::IAM::InstanceProfile").next().unwrap();
    assert_eq!(profile.properties["Path"], "/workload/");
}

#[test]
fn the_images_are_pinned_inputs_from_repositories_the_shared_services_registry_creates() {
    let s = reference();
    let shared = s.model.core_account(AccountClass::SharedServices).unwrap();
    let repositories: Vec<String> = s
        .graph
        .stacks
        .iter()
        .filter(
            |st| matches!(&st.target, Target::Account { account, .. } if *account == shared.name),
        )
        .flat_map(|st| of_type(st, "AWS::ECR::Repository"))
        .filter_map(|r| r.properties["RepositoryName"].as_str().map(str::to_owned))
        .collect();
    let vpc = &s.model.network.vpcs[0];
    let st = stack(&s.graph, &servers::stack_name("meridian", &vpc.name));
    for (repo, _, tag) in IMAGES {
        assert!(repositories.iter().any(|r| r == repo), "{repo}");
        assert!(
            st.inputs.iter().any(|i| i.name == format!("{repo}:{tag}")),
            "{repo}:{tag}"
        );
        assert!(!tag.contains("latest"));
    }
}

#[test]
fn the_telegraf_sidecars_agree_with_the_zone() {
    // landfall_observability::telegraf::vminsert_url names
    // `vminsert.<region>.metrics.<org>.internal:8480`.
    assert_eq!(
        servers::vminsert_host("meridian", "eu-west-1"),
        "vminsert.eu-west-1.metrics.meridian.internal"
    );
    assert_eq!(servers::VMINSERT_PORT, 8480);
}

#[test]
fn the_dev_clusters_templates_are_reviewed_as_snapshots() {
    let s = reference();
    let emitted = common::emit(&s);
    for name in [
        "meridian-monitoring-dev-eu-central-1",
        "meridian-monitoring-dns-dev-eu-central-1",
        "meridian-remediation-link-dev-eu-central-1",
    ] {
        let file = emitted
            .files
            .iter()
            .find(|f| f.path.ends_with(&format!("/{name}.json")))
            .unwrap_or_else(|| panic!("no template {name}"));
        insta::assert_snapshot!(name, file.contents);
    }
}
