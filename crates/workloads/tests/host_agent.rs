//! The metrics daemon of metal container instances: an ECS daemon service
//! of every metal cluster whose VPC has monitoring servers, seeing the
//! host as Telegraf's image documents it, leaving through the instances'
//! group to vminsert, and tagging its series with the host's zone, which
//! the host's user data writes at boot. Each test cites the AWS page the
//! fact comes from.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::reference_with_agents as reference;

use landfall_graph::{InputKind, Stack};
use landfall_model::sidecars::{METRICS_AGENT, METRICS_CONFIG_VARIABLE};
use landfall_workloads::host_agent::{HOST_ROOT, SERVICE_NAME};
use serde_json::Value;

fn metal_clusters(stacks: &[Stack]) -> Vec<&Stack> {
    stacks
        .iter()
        .filter(|s| s.resource("MetalLaunchTemplate").is_some())
        .collect()
}

fn env<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    container["Environment"]
        .as_array()?
        .iter()
        .find(|e| e["Name"] == name)?["Value"]
        .as_str()
}

/// A daemon service places one task on each container instance; it takes
/// no capacity provider strategy, so it names the EC2 launch type (the
/// cluster's default strategy is Fargate, which `CreateService` refuses
/// for a daemon).
/// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html>
/// In the host's network and PID namespaces, with the host's root mounted,
/// Telegraf reports the host
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#task_definition_pidmode>).
#[test]
fn every_metal_cluster_runs_the_host_daemon_on_each_instance() {
    let (p, stacks) = reference();
    let configs = common::host_agent_configs(&p.model);
    let clusters = metal_clusters(stacks);
    assert!(clusters.len() >= 3, "{}", clusters.len());
    for stack in clusters {
        let service = stack
            .resource("HostAgentService")
            .unwrap_or_else(|| panic!("{}", stack.name));
        let s = &service.properties;
        assert_eq!(s["ServiceName"], SERVICE_NAME);
        assert_eq!(s["SchedulingStrategy"], "DAEMON");
        assert_eq!(s["LaunchType"], "EC2");
        assert!(s.get("CapacityProviderStrategy").is_none());
        assert_eq!(s["Cluster"]["Ref"], "Cluster");
        assert_eq!(s["DeploymentConfiguration"]["MaximumPercent"], 100);

        let definition = stack.resource("HostAgentTaskDefinition").unwrap();
        let d = &definition.properties;
        assert_eq!(d["NetworkMode"], "host");
        assert_eq!(d["PidMode"], "host");
        assert_eq!(d["RequiresCompatibilities"][0], "EC2");
        let agent = &d["ContainerDefinitions"][0];
        assert_eq!(agent["Name"], METRICS_AGENT.container);
        assert_eq!(agent["Privileged"], false);
        assert_eq!(agent["ReadonlyRootFilesystem"], true);
        // Its domain's host configuration.
        let domain = s["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["Key"] == "landfall:domain")
            .unwrap()["Value"]
            .as_str()
            .unwrap();
        assert_eq!(
            env(agent, METRICS_CONFIG_VARIABLE),
            Some(configs[domain].as_str()),
            "{}",
            stack.name
        );
        // The host's root, read-only, where the HOST_* variables point.
        let root = agent["MountPoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["ContainerPath"] == HOST_ROOT)
            .unwrap();
        assert_eq!(root["ReadOnly"], true);
        let volume = d["Volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["Name"] == root["SourceVolume"])
            .unwrap();
        assert_eq!(volume["Host"]["SourcePath"], "/");
        for (name, path) in [
            ("HOST_PROC", "/proc"),
            ("HOST_SYS", "/sys"),
            ("HOST_ETC", "/etc"),
        ] {
            assert_eq!(
                env(agent, name),
                Some(format!("{HOST_ROOT}{path}").as_str())
            );
        }
        assert_eq!(env(agent, "HOST_MOUNT_PREFIX"), Some(HOST_ROOT));
        // The zone from the host's facts.
        assert!(agent["MountPoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["ContainerPath"] == landfall_workloads::HOST_FACTS_DIR
                && m["ReadOnly"] == true));

        // Its execution role pulls the pinned image from the shared
        // registry, which the platform fills, so the stack declares it.
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html)
        let role =
            serde_json::to_string(&stack.resource("HostAgentExecutionRole").unwrap().properties)
                .unwrap();
        assert!(role.contains(&format!("repository/{}", METRICS_AGENT.repository)));
        assert!(stack
            .inputs
            .iter()
            .any(|i| i.kind == InputKind::Image && i.name == METRICS_AGENT.image()));

        // In the host's network it leaves through the instances' group.
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/networking-networkmode-host.html)
        let group = stack.resource("InstanceSecurityGroup").unwrap();
        assert!(group.properties["SecurityGroupEgress"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |r| r["FromPort"] == landfall_model::monitoring::VMINSERT_PORT
                    && r["Description"]
                        .as_str()
                        .unwrap()
                        .contains("host metrics agent")
            ));
    }
}

/// Without the host configurations (a spec without `observability`), no
/// daemon and no egress for it.
#[test]
fn without_host_configurations_there_is_no_daemon() {
    let (p, _) = reference();
    let options = landfall_workloads::Options {
        metric_agents: Some(std::sync::Arc::new(common::metric_agent_configs(&p.model))),
        ..Default::default()
    };
    let stacks = landfall_workloads::build(&p.model, &p.plan, &p.base, &options).unwrap();
    assert!(!metal_clusters(&stacks).is_empty());
    for stack in metal_clusters(&stacks) {
        assert!(stack.resource("HostAgentService").is_none());
        let group =
            serde_json::to_string(&stack.resource("InstanceSecurityGroup").unwrap().properties)
                .unwrap();
        assert!(!group.contains("host metrics agent"), "{}", stack.name);
    }
}

/// The user data joins the cluster and writes the host's zone from the
/// instance metadata with an IMDSv2 session: a `PUT` for the token, then
/// the zone with the token (the launch template requires tokens).
/// <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html>
/// Run by bash with a stand-in `curl` that answers as the metadata service
/// does, and refuses a request without the token.
#[test]
fn the_user_data_writes_the_host_zone_with_an_imdsv2_session() {
    let (_, stacks) = reference();
    let stack = metal_clusters(stacks)[0];
    let template = stack.resource("MetalLaunchTemplate").unwrap();
    let sub = &template.properties["LaunchTemplateData"]["UserData"]["Fn::Base64"]["Fn::Sub"];
    let script = sub[0].as_str().unwrap();
    assert_eq!(script, landfall_workloads::metal_user_data());
    // `Fn::Sub` substitutes every `${...}`: the script has `${Cluster}`
    // and no other, which its variables map.
    // <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html>
    assert_eq!(
        script.matches("${").count(),
        script.matches("${Cluster}").count()
    );
    assert_eq!(
        sub[1].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Cluster"]
    );
    let cluster = sub[1]["Cluster"].as_str().unwrap();

    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("metal-user-data");
    let _ = std::fs::remove_dir_all(&dir);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(dir.join("ecs")).unwrap();
    std::fs::write(
        bin.join("curl"),
        "#!/bin/bash\n\
         args=\"$*\"\n\
         case \"$args\" in\n\
         *'-X PUT'*'X-aws-ec2-metadata-token-ttl-seconds: 60'*/latest/api/token) echo -n TOKEN ;;\n\
         *'X-aws-ec2-metadata-token: TOKEN'*/latest/meta-data/placement/availability-zone) echo -n eu-central-1b ;;\n\
         *) echo \"401 for: $args\" >&2; exit 22 ;;\n\
         esac\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(bin.join("curl"))
        .status()
        .unwrap();
    let facts = dir.join("landfall");
    let script = script
        .replace("${Cluster}", cluster)
        .replace("/etc/ecs", dir.join("ecs").to_str().unwrap())
        .replace(landfall_workloads::HOST_FACTS_DIR, facts.to_str().unwrap());
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("ecs/ecs.config")).unwrap(),
        format!("ECS_CLUSTER={cluster}\n")
    );
    assert_eq!(
        std::fs::read_to_string(facts.join("availability-zone")).unwrap(),
        "eu-central-1b"
    );
}
