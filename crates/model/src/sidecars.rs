//! The images of the containers the platform adds to the tasks beside the
//! service's own (the log sidecars on Fargate, the metrics agent in every
//! task and as the metal hosts' daemon), as data: where each comes from,
//! the version it is pinned to, and what it costs the task.
//!
//! Tasks have no way to the internet's registries (they pull through the
//! VPC's ECR endpoints), so each image is copied into a repository of the
//! shared-services registry (`repository`, created by the platform and
//! replicated like the services' own) from `upstream:tag`; the copy is a
//! declared input of every service stack that runs it, so `landfall plan`
//! checks it is there. A tag, never `latest`: upgrades are a change of this
//! table.

use serde::Serialize;

/// One sidecar image and its share of the task.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sidecar {
    /// The container's name in the task definition.
    pub container: &'static str,
    /// The repository in the shared-services registry.
    pub repository: &'static str,
    /// Where the image is copied from.
    pub upstream: &'static str,
    /// The pinned tag (the same in the copy).
    pub tag: &'static str,
    /// CPU units and MiB of memory reserved for it inside the task's size.
    pub cpu: u32,
    pub memory: u32,
    /// Where the release is described.
    pub source: &'static str,
}

impl Sidecar {
    /// `repository:tag`, as the task pulls it and the stack declares it.
    pub fn image(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }
}

/// The FireLens log router: AWS for Fluent Bit 2.x (Fluent Bit 1.9.10,
/// the `fluent_bit` of the telemetry profile). FireLens runs only Fluent
/// Bit or Fluentd
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_firelens.html>);
/// AWS suggests at least 50 MiB for the router.
pub const LOG_ROUTER: Sidecar = Sidecar {
    container: "log-router",
    repository: "landfall/aws-for-fluent-bit",
    upstream: "public.ecr.aws/aws-observability/aws-for-fluent-bit",
    tag: "2.34.3.20260209",
    cpu: 32,
    memory: 64,
    source: "https://github.com/aws/aws-for-fluent-bit/releases",
};

/// The Vector agent (the release the telemetry crate's configurations and
/// component reference are for). The Alpine variant: its shell writes the
/// configuration the task hands it in an environment variable to a file.
pub const LOG_AGENT: Sidecar = Sidecar {
    container: "log-agent",
    repository: "landfall/vector",
    upstream: "docker.io/timberio/vector",
    tag: "0.49.0-alpine",
    cpu: 64,
    memory: 128,
    source: "https://vector.dev/releases/0.49.0/",
};

/// What the metrics agent's container sets for its configuration
/// (`landfall_observability::telegraf`) to read: the configuration itself,
/// and the values only the running task knows.
pub const METRICS_CONFIG_VARIABLE: &str = "LANDFALL_TELEGRAF_CONFIG";
pub const METRICS_ENV_ENVIRONMENT: &str = "LANDFALL_ENVIRONMENT";
pub const METRICS_ENV_REGION: &str = "LANDFALL_REGION";
pub const METRICS_ENV_VMINSERT: &str = "LANDFALL_VMINSERT_URL";
/// The task's Availability Zone, which only ECS's task metadata endpoint
/// knows on Fargate: the agent's start script reads it there.
pub const METRICS_ENV_AZ: &str = "LANDFALL_AZ";

/// The log sidecars, in the order the task definition lists them.
pub const SIDECARS: &[Sidecar] = &[LOG_ROUTER, LOG_AGENT];

/// The Telegraf metrics agent (the release the observability crate's
/// configurations target, `landfall_observability::Profile`), on Alpine for
/// the same reason as the log agent: its shell writes the configuration
/// handed over in an environment variable to a file.
pub const METRICS_AGENT: Sidecar = Sidecar {
    container: "metrics-agent",
    repository: "landfall/telegraf",
    upstream: "docker.io/library/telegraf",
    tag: "1.28.5-alpine",
    cpu: 32,
    memory: 64,
    source: "https://github.com/influxdata/telegraf/releases/tag/v1.28.5",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecars_are_pinned_and_leave_room_in_the_smallest_fargate_task() {
        // The smallest Fargate task is 256 CPU units and 512 MiB:
        // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
        let (cpu, memory) = SIDECARS
            .iter()
            .chain([&METRICS_AGENT])
            .fold((0, 0), |(c, m), s| (c + s.cpu, m + s.memory));
        // At most half of it, so the application keeps the other half.
        assert!(cpu <= 256 / 2 && memory <= 512 / 2, "{cpu} {memory}");
        for s in SIDECARS.iter().chain([&METRICS_AGENT]) {
            assert!(!s.tag.is_empty() && s.tag != "latest", "{}", s.container);
            assert!(s.repository.starts_with("landfall/"));
        }
    }
}
