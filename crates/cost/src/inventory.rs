//! What the spec runs, in the quantities a bill charges for: each workload
//! account's fixed resources, each service and each data store, per
//! environment and region, as the workload layer creates them
//! (`landfall_workloads`: one cell per region of the environment, tasks
//! sized by `sizing::size`, metal capacity for latency-sensitive services).
//!
//! The inventory is what `cost ingest` records as the spec snapshot and what
//! `cost forecast` compares with it: an item is identified by its kind,
//! name, domain, environment and region; its quantities say how much of
//! each priced usage it holds continuously (instances, vCPUs, GB, keys).
//! Resources whose cost depends on use (requests, data processed, storage
//! growth) are listed by name as `usage_based`, so an estimate says what it
//! leaves out.

use serde::{Deserialize, Serialize};

use landfall_model::{DataStore, Model, Service};
use landfall_spec::types::{AuroraFlavor, Engine, Ingress, TierKind};
use landfall_workloads::sizing;

/// What kind of thing an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A workload account's own resources in a region (data key, load balancer).
    Account,
    Service,
    Store,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Account => "account",
            Kind::Service => "service",
            Kind::Store => "store",
        }
    }
}

/// A priced usage an item holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// The price list's service code (`AmazonECS`, `AmazonRDS`, ...).
    pub service: String,
    /// The price list's usage (`fargate-vcpu`, `aurora-mysql:db.r6i.large`, ...).
    pub usage: String,
    /// What the quantity is, for people.
    pub resource: String,
    /// Units held continuously (per hour for hourly prices, per month for
    /// monthly ones).
    pub quantity: f64,
}

/// One thing the spec runs in one domain, environment and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub kind: Kind,
    pub name: String,
    pub domain: String,
    pub environment: String,
    pub region: String,
    pub quantities: Vec<Quantity>,
    /// Resources the item creates whose cost depends on use.
    #[serde(default)]
    pub usage_based: Vec<String>,
}

impl Item {
    /// What identifies the item across snapshots.
    pub fn key(&self) -> (Kind, &str, &str, &str, &str) {
        (
            self.kind,
            &self.name,
            &self.domain,
            &self.environment,
            &self.region,
        )
    }
}

/// Every item of the model, in a stable order (domain, environment, region,
/// kind, name).
pub fn of(model: &Model) -> Vec<Item> {
    let mut items = Vec::new();
    for domain in &model.domains {
        for &env in &domain.environments {
            let environment = model.environment(env);
            let services: Vec<&Service> = model
                .services
                .iter()
                .filter(|s| s.domain == domain.id && s.environments.contains(&env))
                .collect();
            let stores: Vec<&DataStore> = model
                .data_stores
                .iter()
                .filter(|d| d.domain == domain.id && d.environments.contains(&env))
                .collect();
            if services.is_empty() && stores.is_empty() {
                continue;
            }
            for place in landfall_workloads::placements_of(model, domain.id, env) {
                let item = |kind: Kind, name: &str| Item {
                    kind,
                    name: name.to_string(),
                    domain: domain.name.clone(),
                    environment: environment.name.clone(),
                    region: place.region.name.clone(),
                    quantities: Vec::new(),
                    usage_based: Vec::new(),
                };
                let mut account = item(Kind::Account, &place.account.name);
                account_resources(&mut account, &services);
                items.push(account);
                for store in &stores {
                    let mut one = item(Kind::Store, &store.name);
                    store_resources(
                        &mut one,
                        store,
                        environment.production,
                        place.region.azs.len(),
                    );
                    items.push(one);
                }
                let edge = has_edge(model, env);
                for service in &services {
                    let mut one = item(Kind::Service, &service.name);
                    service_resources(&mut one, service, environment, edge);
                    items.push(one);
                }
            }
        }
    }
    items.sort_by(|a, b| {
        (&a.domain, &a.environment, &a.region, a.kind, &a.name).cmp(&(
            &b.domain,
            &b.environment,
            &b.region,
            b.kind,
            &b.name,
        ))
    });
    items
}

fn quantity(item: &mut Item, service: &str, usage: String, resource: String, quantity: f64) {
    item.quantities.push(Quantity {
        service: service.to_string(),
        usage,
        resource,
        quantity,
    });
}

/// The account stack of a domain in an environment and region: the data
/// key, and the internal load balancer when a service is reached through it.
fn account_resources(item: &mut Item, services: &[&Service]) {
    quantity(
        item,
        "awskms",
        "key".into(),
        "KMS data key (rotated yearly: each new backing key adds one more)".into(),
        1.0,
    );
    if services.iter().any(|s| s.ingress != Ingress::None) {
        quantity(
            item,
            "AWSELB",
            "alb".into(),
            "internal Application Load Balancer".into(),
            1.0,
        );
        item.usage_based
            .push("load balancer capacity units (LCU)".into());
    }
}

/// Whether the environment has an edge tier: public services get a
/// CloudFront distribution there.
fn has_edge(model: &Model, env: landfall_model::EnvId) -> bool {
    model.network.tiers.iter().any(|t| {
        t.kind == TierKind::Edge && (t.environments.is_empty() || t.environments.contains(&env))
    })
}

/// A service's tasks at their desired count: Fargate vCPU and memory, or
/// its share of the metal instances latency-sensitive services run on.
fn service_resources(
    item: &mut Item,
    service: &Service,
    environment: &landfall_model::Environment,
    edge: bool,
) {
    let tasks = sizing::size(service, environment).desired;
    let vcpu = f64::from(service.cpu) / 1024.0;
    let gb = f64::from(service.memory) / 1024.0;
    if service.latency_sensitive {
        let vcpus = f64::from(tasks) * vcpu;
        quantity(
            item,
            "AmazonEC2",
            format!("instance:{}", landfall_workloads::METAL_INSTANCE_TYPE),
            format!(
                "{} capacity: {tasks} tasks × {vcpu} vCPU of {} vCPUs per instance",
                landfall_workloads::METAL_INSTANCE_TYPE,
                landfall_workloads::METAL_INSTANCE_VCPUS
            ),
            vcpus / landfall_workloads::METAL_INSTANCE_VCPUS as f64,
        );
    } else {
        quantity(
            item,
            "AmazonECS",
            "fargate-vcpu".into(),
            format!("Fargate vCPU: {tasks} tasks × {vcpu} vCPU"),
            f64::from(tasks) * vcpu,
        );
        quantity(
            item,
            "AmazonECS",
            "fargate-gb".into(),
            format!("Fargate memory: {tasks} tasks × {gb} GB"),
            f64::from(tasks) * gb,
        );
    }
    item.usage_based.push("CloudWatch Logs ingestion".into());
    if service.ingress == Ingress::Public && edge {
        item.usage_based
            .push("CloudFront requests and data transfer, WAF requests".into());
    }
}

/// A data store as the workload layer creates it in one region.
fn store_resources(item: &mut Item, store: &DataStore, production: bool, azs: usize) {
    match &store.engine {
        Engine::Aurora {
            flavor,
            instance_class,
            instances,
            binlog_replica,
        } => {
            let engine = match flavor {
                AuroraFlavor::Mysql => "aurora-mysql",
                AuroraFlavor::Postgresql => "aurora-postgresql",
            };
            let count = (*instances).max(1);
            quantity(
                item,
                "AmazonRDS",
                format!("{engine}:{instance_class}"),
                format!("{count} × {instance_class} ({engine} writer and readers)"),
                f64::from(count),
            );
            if let Some(analytics) = binlog_replica {
                let count = analytics.instances.max(1);
                quantity(
                    item,
                    "AmazonRDS",
                    format!("{engine}:{}", analytics.instance_class),
                    format!("{count} × {} (analytics readers)", analytics.instance_class),
                    f64::from(count),
                );
            }
            item.usage_based.push("Aurora storage and I/O".into());
        }
        Engine::Rds {
            engine,
            instance_class,
            ..
        } => {
            let deployment = if production { "multi-az" } else { "single-az" };
            quantity(
                item,
                "AmazonRDS",
                format!("{engine}:{instance_class}:{deployment}"),
                format!("1 × {instance_class} ({engine}, {deployment})"),
                1.0,
            );
            // AllocatedStorage 100, gp3 (crates/workloads/src/store.rs);
            // Multi-AZ storage has a price of its own.
            quantity(
                item,
                "AmazonRDS",
                format!("gp3-storage:{deployment}"),
                format!("100 GB gp3 ({deployment})"),
                100.0,
            );
        }
        Engine::Valkey {
            node_type,
            shards,
            replicas_per_shard,
        } => {
            let nodes = u32::from((*shards).max(1)) * (1 + u32::from(*replicas_per_shard));
            quantity(
                item,
                "AmazonElastiCache",
                format!("valkey:{node_type}"),
                format!(
                    "{nodes} × {node_type} ({} shards × {} nodes)",
                    (*shards).max(1),
                    1 + replicas_per_shard
                ),
                f64::from(nodes),
            );
        }
        Engine::Memcached {
            node_type, nodes, ..
        } => {
            let nodes = (*nodes).max(1);
            quantity(
                item,
                "AmazonElastiCache",
                format!("memcached:{node_type}"),
                format!("{nodes} × {node_type}"),
                f64::from(nodes),
            );
        }
        Engine::Dynamodb { .. } => {
            item.usage_based
                .push("DynamoDB on-demand requests and storage".into());
        }
        Engine::Msk {
            broker_type,
            brokers_per_az,
            ..
        } => {
            let brokers = u32::from((*brokers_per_az).max(1)) * azs.max(1) as u32;
            quantity(
                item,
                "AmazonMSK",
                format!("broker:{broker_type}"),
                format!("{brokers} × {broker_type} brokers"),
                f64::from(brokers),
            );
            // VolumeSize 1000 per broker (crates/workloads/src/store.rs).
            quantity(
                item,
                "AmazonMSK",
                "broker-storage".into(),
                format!("{brokers} × 1000 GB broker storage"),
                f64::from(brokers) * 1000.0,
            );
        }
    }
}
