//! The log pipeline's part of the workload layer: the log cluster's
//! SASL/SCRAM sign-in for the Vector agents, and the sidecars every
//! Fargate task runs to ship its logs there.
//!
//! Released Vector cannot sign in to MSK with IAM (vectordotdev/vector#1516),
//! so when `observability.logs.kafka_authentication` is `scram-sha-512` the
//! cluster named by `observability.logs.kafka_cluster` also accepts
//! SASL/SCRAM on port 9096 (IAM stays on for the services' own clients),
//! with one user for the agents whose credentials are a Secrets Manager
//! secret as MSK requires it: named `AmazonMSK_…`, encrypted with a
//! customer managed key, in the cluster's account and region
//! (<https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html>,
//! <https://docs.aws.amazon.com/msk/latest/developerguide/msk-password-tutorial.html>).
//! The task execution roles of the agents' services, in every domain
//! account of the environment, read it across accounts: the secret's
//! resource policy and the key's policy allow their accounts for roles of
//! the execution role path only, and each execution role allows itself
//! the secret and the key
//! (<https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html>).
//!
//! Kafka ACLs: MSK sets `allow.everyone.if.no.acl.found=true`, and the
//! cluster keeps it. IAM clients are authorized by IAM whatever the ACLs
//! say (<https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control.html>);
//! the agents' SCRAM user is the cluster's only other principal, and with
//! `false` and no ACL it could do nothing. CloudFormation has no resource
//! for Kafka ACLs (they are written by a Kafka admin client from inside the
//! VPC, <https://docs.aws.amazon.com/msk/latest/developerguide/msk-acls.html>),
//! so turning it off would stop the log pipeline until someone wrote them
//! by hand.

use std::collections::BTreeSet;

use landfall_model::{DataStore, EnvId, Model, Service};
use landfall_spec::types::{Engine, KafkaAuthentication};

/// The MSK port for SASL/SCRAM over TLS.
/// <https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html>
pub const MSK_SCRAM_PORT: u16 = 9096;

/// The agents' Kafka user (the secret's `username`).
pub const SCRAM_USERNAME: &str = "log-agents";

/// The FireLens router's forward target: Vector's `fluent` source (the
/// address `landfall_telemetry::vector::FORWARD_ADDRESS` configures). Not
/// 24224, where the router itself listens in the task's network namespace
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/firelens-taskdef.html>).
pub const FORWARD_HOST: &str = "127.0.0.1";
pub const FORWARD_PORT: &str = "24225";

/// Where the agent's disk buffer and configuration live, on the task's
/// ephemeral storage (`data_dir` of the generated configurations).
pub const AGENT_DATA_DIR: &str = "/var/lib/vector";

/// The environment variable that hands the agent its configuration.
pub const CONFIG_VARIABLE: &str = "VECTOR_CONFIG_YAML";

/// The log cluster, when the spec's agents sign in to it with SASL/SCRAM.
pub fn scram_cluster(model: &Model) -> Option<&DataStore> {
    let logs = &model.observability.as_ref()?.logs;
    if logs.kafka_authentication != KafkaAuthentication::ScramSha512 {
        return None;
    }
    model
        .data_stores
        .iter()
        .find(|d| d.name == logs.kafka_cluster && matches!(d.engine, Engine::Msk { .. }))
}

/// Whether a service's task runs the log sidecars: Fargate tasks do; a
/// metal host's tasks are read by the host's own agent.
pub fn runs_sidecars(service: &Service) -> bool {
    !service.latency_sensitive
}

/// The log cluster a service's agent writes in an environment, if it runs
/// one there.
pub fn agent_cluster<'m>(model: &'m Model, service: &Service, env: EnvId) -> Option<&'m DataStore> {
    let store = scram_cluster(model)?;
    (runs_sidecars(service) && store.environments.contains(&env)).then_some(store)
}

/// Domains (by index) with services that run the agent in an environment.
pub fn agent_domains(model: &Model, store: &DataStore, env: EnvId) -> BTreeSet<usize> {
    if !store.environments.contains(&env) {
        return BTreeSet::new();
    }
    model
        .services
        .iter()
        .filter(|s| runs_sidecars(s) && s.environments.contains(&env))
        .map(|s| s.domain.index())
        .collect()
}

/// The name of the agents' secret: MSK associates only secrets whose name
/// starts with `AmazonMSK_`.
pub fn secret_name(store: &DataStore) -> String {
    format!("AmazonMSK_{}-{SCRAM_USERNAME}", store.name)
}
