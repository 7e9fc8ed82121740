//! The metrics agent (Telegraf) in every task of a VPC with
//! monitoring servers: its pinned image from the shared-services registry
//! and the execution role's right to pull it, its configuration handed
//! over in the task definition, the name of its VPC's vminsert, and its
//! share of the task. Each test cites the AWS page the fact comes from.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::reference_with_agents as reference;

use landfall_graph::{InputKind, Resource, Stack};
use landfall_model::sidecars::{METRICS_AGENT, METRICS_CONFIG_VARIABLE, SIDECARS};
use serde_json::{json, Value};

fn task_definitions(stacks: &[Stack]) -> Vec<(&Stack, &Resource)> {
    stacks
        .iter()
        .filter_map(|s| Some((s, s.resource("TaskDefinition")?)))
        .collect()
}

fn container<'a>(definition: &'a Resource, name: &str) -> Option<&'a Value> {
    definition.properties["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Name"] == name)
}

#[test]
fn every_task_runs_the_metrics_agent_and_metal_tasks_read_the_host_facts() {
    let (p, stacks) = reference();
    let configs = common::metric_agent_configs(&p.model);
    let (mut fargate, mut metal) = (0, 0);
    for (stack, definition) in task_definitions(stacks) {
        let agent = container(definition, METRICS_AGENT.container)
            .unwrap_or_else(|| panic!("{}", stack.name));
        let facts = agent["MountPoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["ContainerPath"] == landfall_workloads::HOST_FACTS_DIR);
        if definition.properties["RequiresCompatibilities"][0] == "EC2" {
            // The zone of a metal host is in a file its user data wrote
            // (the task metadata has it on Fargate only), mounted
            // read-only from the host
            // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html).
            metal += 1;
            let facts = facts.unwrap_or_else(|| panic!("{}", stack.name));
            assert_eq!(facts["ReadOnly"], true);
            let volumes = definition.properties["Volumes"].as_array().unwrap();
            let volume = volumes
                .iter()
                .find(|v| v["Name"] == facts["SourceVolume"])
                .unwrap();
            assert_eq!(
                volume["Host"]["SourcePath"],
                landfall_workloads::HOST_FACTS_DIR
            );
        } else {
            fargate += 1;
            assert!(facts.is_none(), "{}", stack.name);
        }
        // Its own configuration, which its shell writes to the task volume
        // before starting Telegraf.
        let name = definition.properties["Family"].as_str().unwrap();
        let env = agent["Environment"].as_array().unwrap();
        let var = |n: &str| env.iter().find(|e| e["Name"] == n).map(|e| &e["Value"]);
        assert_eq!(var(METRICS_CONFIG_VARIABLE).unwrap(), &json!(configs[name]));
        assert!(agent["Command"][0]
            .as_str()
            .unwrap()
            .contains(METRICS_CONFIG_VARIABLE));
        // A read-only root file system: the configuration goes to a task
        // volume mounted where the command writes it
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html).
        assert_eq!(agent["ReadonlyRootFilesystem"], true);
        let mount = &agent["MountPoints"][0];
        assert!(agent["Command"][0]
            .as_str()
            .unwrap()
            .contains(mount["ContainerPath"].as_str().unwrap()));
        let volumes = definition.properties["Volumes"].as_array().unwrap();
        assert!(volumes.iter().any(|v| v["Name"] == mount["SourceVolume"]));
        // Not essential: a stopped agent is an alert, not a stopped service
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_environment).
        assert_eq!(agent["Essential"], false);
        // The pinned image of the sidecar table, from the shared registry.
        let image = agent["Image"]["Fn::Sub"].as_str().unwrap();
        assert!(image.ends_with(&format!("/{}", METRICS_AGENT.image())));
        // The region's vminsert, by the name its private zone holds.
        let region = var("LANDFALL_REGION").unwrap().as_str().unwrap();
        assert_eq!(
            var("LANDFALL_VMINSERT_URL").unwrap(),
            &json!(landfall_model::monitoring::vminsert_influx_url(
                &p.model.organization.slug,
                region
            ))
        );
    }
    assert!(fargate > 50 && metal > 5, "{fargate} {metal}");
}

#[test]
fn the_execution_role_may_pull_the_agent_image_and_the_stack_declares_it() {
    // The execution role pulls every container's image
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html);
    // the copy in the shared registry is made by the platform, not by any
    // stack, so `landfall plan` checks it exists first.
    let (_, stacks) = reference();
    for (stack, definition) in task_definitions(stacks) {
        if container(definition, METRICS_AGENT.container).is_none() {
            continue;
        }
        let role = stack.resource("ExecutionRole").unwrap();
        let text = serde_json::to_string(&role.properties).unwrap();
        assert!(
            text.contains(&format!("repository/{}", METRICS_AGENT.repository)),
            "{}",
            stack.name
        );
        assert!(stack
            .inputs
            .iter()
            .any(|i| i.kind == InputKind::Image && i.name == METRICS_AGENT.image()));
    }
}

#[test]
fn the_sidecars_fit_inside_every_task_with_room_for_the_app() {
    // Container reservations are carved out of the task's size
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#task_size).
    let (_, stacks) = reference();
    for (stack, definition) in task_definitions(stacks) {
        let cpu: u64 = definition.properties["Cpu"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let memory: u64 = definition.properties["Memory"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let containers = definition.properties["ContainerDefinitions"]
            .as_array()
            .unwrap();
        let reserved_cpu: u64 = containers.iter().filter_map(|c| c["Cpu"].as_u64()).sum();
        let reserved_memory: u64 = containers
            .iter()
            .filter_map(|c| c["MemoryReservation"].as_u64())
            .sum();
        assert!(reserved_cpu * 2 <= cpu, "{}: {reserved_cpu}", stack.name);
        assert!(
            reserved_memory * 2 <= memory,
            "{}: {reserved_memory}",
            stack.name
        );
    }
    // The table's own bound, with the metrics agent counted.
    let all: u32 = SIDECARS
        .iter()
        .chain([&METRICS_AGENT])
        .map(|s| s.memory)
        .sum();
    assert!(all <= 256);
}

#[test]
fn a_service_without_a_metrics_agent_configuration_is_a_located_problem() {
    let (p, _) = reference();
    let mut configs = common::metric_agent_configs(&p.model);
    let missing = p
        .model
        .services
        .iter()
        .find(|s| !s.latency_sensitive)
        .unwrap();
    configs.remove(&missing.name);
    let options = landfall_workloads::Options {
        services: None,
        environments: None,
        log_agents: Some(std::sync::Arc::new(common::log_agent_configs(&p.model))),
        metric_agents: Some(std::sync::Arc::new(configs)),
        host_agents: None,
        log_aggregator: None,
        jaeger: None,
    };
    let problems = landfall_workloads::build(&p.model, &p.plan, &p.base, &options).unwrap_err();
    // One per place the service runs, each at the service's spec entry.
    assert!(!problems.is_empty());
    for problem in &problems {
        assert_eq!(problem.code, "workloads::no-metrics-agent-config");
        assert!(problem.message.contains(&missing.name));
        assert_eq!(problem.at.as_ref(), Some(&missing.origin));
    }
}

/// The agent's start script, run by `sh` with stand-ins for BusyBox `wget`
/// (answering as ECS's task metadata endpoint v4 does on Fargate) and for
/// Telegraf: the zone becomes `LANDFALL_AZ`, which the configuration's
/// `az` tag reads (`landfall_observability::telegraf`), and the
/// configuration reaches the volume.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate.html>
#[test]
fn the_agent_tags_its_series_with_the_task_zone_from_the_task_metadata() {
    let (_, stacks) = reference();
    let (_, definition) = task_definitions(stacks)
        .into_iter()
        .find(|(_, d)| container(d, METRICS_AGENT.container).is_some())
        .unwrap();
    let agent = container(definition, METRICS_AGENT.container).unwrap();
    let command = agent["Command"][0].as_str().unwrap();
    assert!(command.contains("/var/lib/telegraf/telegraf.conf"));
    let run = |metadata: &str, host_zone: Option<&str>| -> String {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "metrics-agent-start-{}-{}",
            metadata.len(),
            host_zone.is_some()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let script = |name: &str, body: &str| {
            let path = bin.join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::process::Command::new("chmod")
                .arg("+x")
                .arg(&path)
                .status()
                .unwrap();
        };
        // The endpoint is asked for `/task` only.
        script(
            "wget",
            &format!(
                "case \"$*\" in *http://169.254.170.2/v4/abc/task*) cat <<'JSON'\n{metadata}\nJSON\n;; *) exit 1;; esac"
            ),
        );
        script("telegraf", "echo \"az=$LANDFALL_AZ\"; cat \"$2\"");
        // The host's facts, as a metal host's user data writes them.
        let facts = dir.join("availability-zone");
        if let Some(zone) = host_zone {
            std::fs::write(&facts, zone).unwrap();
        }
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(
                command
                    .replace("/var/lib/telegraf", dir.to_str().unwrap())
                    .replace(landfall_workloads::HOST_AZ_FILE, facts.to_str().unwrap()),
            )
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env(
                "ECS_CONTAINER_METADATA_URI_V4",
                "http://169.254.170.2/v4/abc",
            )
            .env(METRICS_CONFIG_VARIABLE, "[agent]\n")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // As AWS's example response has it (abridged), pretty-printed.
    let fargate = r#"{
    "Cluster": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
    "TaskARN": "arn:aws:ecs:us-west-2:111122223333:task/default/e9028f8d5d8e4f258373e7b93ce9a3c3",
    "Family": "curltest",
    "AvailabilityZone": "us-west-2d",
    "LaunchType": "FARGATE"
}"#;
    assert_eq!(run(fargate, None), "az=us-west-2d\n[agent]\n");
    // Unreadable metadata: the series still carry the label.
    assert_eq!(run("{}", None), "az=unknown\n[agent]\n");
    // On a metal host, whose task metadata has no zone: the host's facts.
    assert_eq!(
        run("{}", Some("eu-central-1b")),
        "az=eu-central-1b\n[agent]\n"
    );
}
