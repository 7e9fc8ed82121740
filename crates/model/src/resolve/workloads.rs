//! Data stores, topics and services, with their dependencies checked.

use landfall_spec::types::{AuroraFlavor, Engine, Ingress};
use landfall_spec::{Pointer, Spec};

use super::organization::Org;
use super::{item, Names, Resolver};
use crate::aws;
use crate::model::*;

pub(crate) struct Workloads {
    pub services: Vec<Service>,
    pub data_stores: Vec<DataStore>,
    pub topics: Vec<Topic>,
    pub store_names: Names<DataStoreId>,
}

pub(crate) fn resolve(r: &mut Resolver<'_>, spec: &Spec, org: &Org) -> Workloads {
    let denied: Vec<String> = spec
        .guardrails
        .as_ref()
        .map(|g| g.denied_instance_families.clone())
        .unwrap_or_else(landfall_spec::types::Guardrails::default_denied_families);

    // Data stores and the topics of MSK clusters.
    let mut data_stores = Vec::new();
    let mut store_names = Names::new("data store");
    let mut topics: Vec<Topic> = Vec::new();
    let mut topic_names = Names::new("topic");
    let mut topic_origins: Vec<Pointer> = Vec::new();
    for store in &spec.data_stores {
        let name_at = store.at.child("name");
        if !r.check_name("data store", &store.name, 40, &name_at) {
            continue;
        }
        check_engine(r, &store.engine, &store.at.child("engine"), &denied);
        let domain = r.lookup(&org.domain_names, &store.domain, &store.at.child("domain"));
        let id = DataStoreId::from_index(data_stores.len());
        let Some(domain) = domain else {
            store_names.poisoned.insert(store.name.clone());
            if let Engine::Msk {
                topics: declared, ..
            } = &store.engine
            {
                topic_names
                    .poisoned
                    .extend(declared.iter().map(|t| t.name.clone()));
            }
            continue;
        };
        let origin_of = |existing: DataStoreId| -> Pointer {
            data_stores_origin(&data_stores, existing).unwrap_or_else(|| name_at.clone())
        };
        if !r.define(&mut store_names, &store.name, id, &name_at, &origin_of) {
            continue;
        }
        let environments = environments_within(
            r,
            org,
            domain,
            store.environments.as_deref(),
            &store.at,
            "data store",
        );
        if let Engine::Msk {
            topics: declared, ..
        } = &store.engine
        {
            for (i, topic) in declared.iter().enumerate() {
                let topic_item = item(&store.at.child("engine"), "topics", i);
                let topic_at = topic_item.child("name");
                let topic_id = TopicId::from_index(topics.len());
                let first_at = |existing: TopicId| topic_origins[existing.index()].clone();
                if !valid_topic_name(&topic.name) {
                    r.error(
                        "spec::invalid-name",
                        format!("`{}` is not a valid topic name", topic.name),
                        &topic_at,
                        "letters, digits, `.`, `_` and `-`, at most 249 characters",
                        "for example `orders.placed`",
                    );
                    continue;
                }
                if !r.define(
                    &mut topic_names,
                    &topic.name,
                    topic_id,
                    &topic_at,
                    &first_at,
                ) {
                    continue;
                }
                if topic.partitions == 0 {
                    r.error(
                        "spec::empty-topic",
                        format!("topic `{}` has no partitions", topic.name),
                        &topic_item.child("partitions"),
                        "a Kafka topic needs at least one partition",
                        "give it at least as many partitions as its busiest consumer group has members, for example `12`",
                    );
                }
                if topic.retention_hours == 0 {
                    r.warning(
                        "spec::zero-retention",
                        format!("topic `{}` keeps records for 0 hours", topic.name),
                        &topic_item.child("retention_hours"),
                        "records may be deleted before any consumer reads them",
                        "keep records at least as long as a consumer may be down, for example `168` (a week)",
                    );
                }
                topic_origins.push(topic_at);
                topics.push(Topic {
                    id: topic_id,
                    name: topic.name.clone(),
                    cluster: id,
                    partitions: topic.partitions,
                    retention_hours: topic.retention_hours,
                });
            }
        }
        data_stores.push(DataStore {
            id,
            name: store.name.clone(),
            domain,
            environments,
            workload: store.workload,
            engine: store.engine.clone(),
            origin: store.at.clone(),
        });
    }

    // Services.
    let mut service_names: Names<ServiceId> = Names::new("service");
    let service_origins: Vec<Pointer> = spec.services.iter().map(|s| s.at.child("name")).collect();
    let mut positions = Vec::new();
    for (position, service) in spec.services.iter().enumerate() {
        let name_at = service.at.child("name");
        if !r.check_name("service", &service.name, 32, &name_at) {
            continue;
        }
        let id = ServiceId::from_index(positions.len());
        let origin_of = |existing: ServiceId| -> Pointer {
            positions
                .get(existing.index())
                .map_or_else(|| name_at.clone(), |p: &usize| service_origins[*p].clone())
        };
        if !r.define(&mut service_names, &service.name, id, &name_at, &origin_of) {
            continue;
        }
        positions.push(position);
    }
    let github_org = spec
        .cicd
        .as_ref()
        .map_or_else(|| "github".to_owned(), |c| c.github.organization.clone());
    let mut services = Vec::new();
    for (index, &position) in positions.iter().enumerate() {
        let service = &spec.services[position];
        let at = &service.at;
        // Checks that need no domain run first, so one bad reference does not
        // hide the rest of the service's problems.
        check_compute(r, service, at);
        let Some(domain) = r.lookup(&org.domain_names, &service.domain, &at.child("domain")) else {
            // The rest needs the domain; its references can still be checked.
            let deps = &service.dependencies;
            let deps_at = at.child("dependencies");
            for (i, name) in deps.data_stores.iter().enumerate() {
                r.lookup(&store_names, name, &item(&deps_at, "data_stores", i));
            }
            for field in ["produces", "consumes"] {
                let list = if field == "produces" {
                    &deps.produces
                } else {
                    &deps.consumes
                };
                for (i, name) in list.iter().enumerate() {
                    r.lookup(&topic_names, name, &item(&deps_at, field, i));
                }
            }
            for (i, name) in deps.services.iter().enumerate() {
                r.lookup(&service_names, name, &item(&deps_at, "services", i));
            }
            continue;
        };
        let environments = environments_within(
            r,
            org,
            domain,
            service.environments.as_deref(),
            at,
            "service",
        );
        let tasks = tasks(r, service, at, org, &environments);
        let deps_at = at.child("dependencies");
        let mut stores = Vec::new();
        for (i, name) in service.dependencies.data_stores.iter().enumerate() {
            let dep_at = item(&deps_at, "data_stores", i);
            let Some(store_id) = r.lookup(&store_names, name, &dep_at) else {
                continue;
            };
            let store = &data_stores[store_id.index()];
            if matches!(store.engine, Engine::Msk { .. }) {
                r.error(
                    "spec::msk-as-data-store",
                    format!("`{name}` is an MSK cluster"),
                    &dep_at,
                    "not a database or cache",
                    "list the topics the service reads or writes under `produces` and `consumes`",
                );
                continue;
            }
            if store.domain != domain {
                let owner = &org.domains[store.domain.index()].name;
                r.error(
                    "spec::cross-domain-data-access",
                    format!("service `{}` of `{}` uses `{name}`, a data store of `{owner}`", service.name, service.domain),
                    &dep_at,
                    "another domain's data store",
                    format!("domains do not share databases: call a service of `{owner}`, or consume one of its topics"),
                );
                continue;
            }
            for env in &environments {
                if !store.environments.contains(env) {
                    let env_name = &org.environments[env.index()].name;
                    r.error(
                        "spec::dependency-missing-in-environment",
                        format!("`{name}` does not exist in `{env_name}`, where service `{}` runs", service.name),
                        &dep_at,
                        format!("missing in `{env_name}`"),
                        format!("add `{env_name}` to the data store's environments, or remove it from the service's"),
                    );
                }
            }
            stores.push(store_id);
        }
        let topic_list = |r: &mut Resolver<'_>, field: &str, list: &[String]| -> Vec<TopicId> {
            let mut out = Vec::new();
            for (i, name) in list.iter().enumerate() {
                let topic_at = item(&deps_at, field, i);
                let Some(topic) = r.lookup(&topic_names, name, &topic_at) else {
                    continue;
                };
                let cluster = &data_stores[topics[topic.index()].cluster.index()];
                let missing: Vec<String> = environments
                    .iter()
                    .filter(|env| !cluster.environments.contains(env))
                    .map(|env| format!("`{}`", org.environments[env.index()].name))
                    .collect();
                if !missing.is_empty() {
                    r.error(
                        "spec::dependency-missing-in-environment",
                        format!(
                            "topic `{name}` lives on `{}`, which does not exist in {}, where service `{}` runs",
                            cluster.name,
                            missing.join(", "),
                            service.name
                        ),
                        &topic_at,
                        "missing in some environments",
                        "add those environments to the MSK cluster, or limit the service's `environments`",
                    );
                }
                out.push(topic);
            }
            out
        };
        let produces = topic_list(r, "produces", &service.dependencies.produces);
        let consumes = topic_list(r, "consumes", &service.dependencies.consumes);
        let mut calls = Vec::new();
        for (i, name) in service.dependencies.services.iter().enumerate() {
            let call_at = item(&deps_at, "services", i);
            let Some(callee) = r.lookup(&service_names, name, &call_at) else {
                continue;
            };
            if callee.index() == index {
                r.error(
                    "spec::self-dependency",
                    format!("service `{name}` depends on itself"),
                    &call_at,
                    "its own name",
                    "remove it from `dependencies.services`",
                );
                continue;
            }
            let callee_service = &spec.services[positions[callee.index()]];
            if callee_service.ingress == Ingress::None {
                r.error(
                    "spec::call-to-worker",
                    format!(
                        "service `{}` calls `{name}`, which accepts no connections",
                        service.name
                    ),
                    &call_at,
                    "a worker with `ingress: none`",
                    format!("give `{name}` `ingress: internal`, or talk to it through a topic"),
                );
            }
            let missing: Vec<&str> = environments
                .iter()
                .filter(|env| !callee_service_envs(org, spec, callee_service).contains(env))
                .map(|env| org.environments[env.index()].name.as_str())
                .collect();
            if !missing.is_empty() {
                r.error(
                    "spec::dependency-missing-in-environment",
                    format!(
                        "`{name}` does not run in {}, where service `{}` runs",
                        missing
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        service.name
                    ),
                    &call_at,
                    "missing in some environments",
                    "run the callee there too, or limit the caller's `environments`",
                );
            }
            calls.push(callee);
        }
        let repository = format!(
            "{github_org}/{}",
            service
                .repository
                .clone()
                .unwrap_or_else(|| service.name.clone())
        );
        services.push(Service {
            id: ServiceId::from_index(index),
            name: service.name.clone(),
            domain,
            description: service.description.clone(),
            environments,
            cpu: service.compute.cpu,
            memory: service.compute.memory,
            port: service.compute.port,
            health_check_path: service.compute.health_check_path.clone(),
            tasks,
            latency_sensitive: service.latency_sensitive,
            ingress: service.ingress,
            data_stores: stores,
            produces,
            consumes,
            calls,
            repository,
            image_tag: service.image_tag.clone(),
            monitoring: monitoring(r, service, &at.child("monitoring")),
            origin: at.clone(),
        });
    }
    if services.len() == positions.len() {
        check_call_cycles(r, &services);
        warn_unused_stores(r, spec, &services, &data_stores, &topics);
    }
    Workloads {
        services,
        data_stores,
        topics,
        store_names,
    }
}

/// The environments a service runs in, from the spec (its own list or its domain's).
fn callee_service_envs(
    org: &Org,
    _spec: &Spec,
    service: &landfall_spec::types::Service,
) -> Vec<EnvId> {
    match &service.environments {
        Some(names) => names.iter().filter_map(|n| org.env_names.get(n)).collect(),
        None => org
            .domain_names
            .get(&service.domain)
            .map(|d| org.domains[d.index()].environments.clone())
            .unwrap_or_default(),
    }
}

fn data_stores_origin(stores: &[DataStore], id: DataStoreId) -> Option<Pointer> {
    stores.get(id.index()).map(|s| s.origin.child("name"))
}

fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The environments a service or store runs in: its own list, which must lie
/// within its domain's, or the domain's.
fn environments_within(
    r: &mut Resolver<'_>,
    org: &Org,
    domain: DomainId,
    listed: Option<&[String]>,
    at: &Pointer,
    what: &str,
) -> Vec<EnvId> {
    let domain = &org.domains[domain.index()];
    let Some(listed) = listed else {
        return domain.environments.clone();
    };
    let mut out = Vec::new();
    for (i, name) in listed.iter().enumerate() {
        let env_at = item(at, "environments", i);
        let Some(env) = r.lookup(&org.env_names, name, &env_at) else {
            continue;
        };
        if !domain.environments.contains(&env) {
            r.error(
                "spec::environment-outside-domain",
                format!("domain `{}` does not run in `{name}`", domain.name),
                &env_at,
                format!("not an environment of `{}`", domain.name),
                format!("a {what} runs only where its domain does; add `{name}` to the domain's environments"),
            );
            continue;
        }
        out.push(env);
    }
    out
}

fn check_compute(r: &mut Resolver<'_>, service: &landfall_spec::types::Service, at: &Pointer) {
    let compute = &service.compute;
    let compute_at = at.child("compute");
    if compute.port == 0 {
        r.error(
            "spec::invalid-port",
            "port 0 is not a listening port",
            &compute_at.child("port"),
            "expected 1 to 65535",
            "give the container's port, for example `8080`",
        );
    }
    if service.latency_sensitive {
        // Metal instances: any size the instance offers; only sanity-check.
        if compute.cpu == 0 || compute.memory == 0 {
            r.error(
                "spec::invalid-task-size",
                "a task needs CPU and memory",
                &compute_at,
                "zero size",
                "give `cpu` and `memory` in units and MiB",
            );
        }
        return;
    }
    match aws::fargate_memory_options(compute.cpu) {
        None => {
            let sizes: Vec<String> = aws::FARGATE_SIZES
                .iter()
                .map(|(c, _)| c.to_string())
                .collect();
            r.error(
                "spec::invalid-fargate-cpu",
                format!("Fargate has no task size with {} CPU units", compute.cpu),
                &compute_at.child("cpu"),
                "not a Fargate CPU size",
                format!("use one of {}", sizes.join(", ")),
            );
        }
        Some(options) if !options.contains(&compute.memory) => {
            let nearest = options
                .iter()
                .min_by_key(|m| m.abs_diff(compute.memory))
                .copied()
                .unwrap_or_default();
            r.error(
                "spec::invalid-fargate-memory",
                format!(
                    "Fargate cannot pair {} MiB with {} CPU units",
                    compute.memory, compute.cpu
                ),
                &compute_at.child("memory"),
                format!(
                    "from {} to {} MiB for this CPU size",
                    options[0],
                    options[options.len() - 1]
                ),
                format!("the nearest valid size is {nearest} MiB"),
            );
        }
        Some(_) => {}
    }
}

fn tasks(
    r: &mut Resolver<'_>,
    service: &landfall_spec::types::Service,
    at: &Pointer,
    org: &Org,
    envs: &[EnvId],
) -> TaskCounts {
    let Some(scaling) = &service.scaling else {
        return TaskCounts {
            min: 2,
            max: 4,
            peak_rps: None,
            rps_per_task: None,
        };
    };
    let scaling_at = at.child("scaling");
    if scaling.min_tasks > scaling.max_tasks {
        r.error(
            "spec::scaling-bounds",
            format!(
                "min_tasks ({}) is above max_tasks ({})",
                scaling.min_tasks, scaling.max_tasks
            ),
            &scaling_at.child("min_tasks"),
            "above the maximum",
            "make `min_tasks` at most `max_tasks`",
        );
    }
    let in_production = envs.iter().any(|e| org.environments[e.index()].production);
    if in_production && scaling.min_tasks < 2 {
        r.error(
            "spec::single-task-in-production",
            format!(
                "service `{}` runs a single task in production",
                service.name
            ),
            &scaling_at.child("min_tasks"),
            "one task cannot survive an AZ outage",
            "set `min_tasks: 2` or more",
        );
    }
    match (scaling.peak_rps, scaling.rps_per_task) {
        (Some(peak), Some(per_task)) => {
            if per_task == 0 {
                r.error(
                    "spec::zero-task-capacity",
                    "a task that serves 0 requests per second cannot carry any load",
                    &scaling_at.child("rps_per_task"),
                    "zero",
                    "give the measured requests per second of one task",
                );
            } else {
                let needed = peak.div_ceil(per_task);
                if needed > scaling.max_tasks {
                    r.error(
                        "spec::under-provisioned",
                        format!(
                            "{} tasks cannot carry the peak of {peak} requests/s at {per_task} per task",
                            scaling.max_tasks
                        ),
                        &scaling_at.child("max_tasks"),
                        format!("needs at least {needed}"),
                        format!("raise `max_tasks` to at least {needed} (with headroom, {})", needed + needed.div_ceil(4)),
                    );
                }
            }
        }
        (Some(_), None) => r.error(
            "spec::incomplete-scaling",
            "`peak_rps` is given without `rps_per_task`",
            &scaling_at.child("peak_rps"),
            "cannot size tasks from this alone",
            "add `rps_per_task` (what one task sustains), or remove `peak_rps`",
        ),
        (None, Some(_)) => r.error(
            "spec::incomplete-scaling",
            "`rps_per_task` is given without `peak_rps`",
            &scaling_at.child("rps_per_task"),
            "cannot size tasks from this alone",
            "add `peak_rps`, or remove `rps_per_task`",
        ),
        (None, None) => {}
    }
    TaskCounts {
        min: scaling.min_tasks,
        max: scaling.max_tasks,
        peak_rps: scaling.peak_rps,
        rps_per_task: scaling.rps_per_task,
    }
}

fn check_class(
    r: &mut Resolver<'_>,
    class: &str,
    (prefix, engine): (&str, &str),
    at: &Pointer,
    denied: &[String],
) {
    if !class.starts_with(prefix) || class.matches('.').count() < 2 {
        r.error(
            "spec::invalid-instance-class",
            format!("`{class}` is not a `{prefix}` instance class"),
            at,
            format!("expected `{prefix}<family>.<size>`"),
            format!("for example `{prefix}r7g.large`"),
        );
        return;
    }
    let family = aws::instance_family(class);
    if denied.iter().any(|d| d == family) {
        r.error(
            "spec::denied-instance-family",
            format!("`{class}` is a burstable class, denied by the guardrails"),
            at,
            format!("family `{family}` is denied"),
            format!("burst credits make latency unpredictable; use a fixed-performance class such as `{prefix}r7g.large` or `{prefix}m7g.large`"),
        );
        return;
    }
    // An unknown engine is reported on its own; its classes cannot be judged.
    if crate::engines::engine(engine).is_none() {
        return;
    }
    if let Err(problem) = crate::instance_classes::check(engine, class) {
        r.error(
            "spec::unknown-instance-class",
            problem.message,
            at,
            problem.label,
            problem.help,
        );
    }
}

fn check_engine(r: &mut Resolver<'_>, engine: &Engine, at: &Pointer, denied: &[String]) {
    match engine {
        Engine::Aurora {
            flavor,
            instance_class,
            instances,
            binlog_replica,
        } => {
            let aurora = match flavor {
                AuroraFlavor::Mysql => "aurora-mysql",
                AuroraFlavor::Postgresql => "aurora-postgresql",
            };
            check_class(
                r,
                instance_class,
                ("db.", aurora),
                &at.child("instance_class"),
                denied,
            );
            if !(1..=16).contains(instances) {
                r.error(
                    "spec::aurora-instances",
                    format!("an Aurora cluster has 1 to 16 instances, not {instances}"),
                    &at.child("instances"),
                    "out of range",
                    "one writer plus up to 15 readers",
                );
            }
            if let Some(replica) = binlog_replica {
                if *flavor != AuroraFlavor::Mysql {
                    r.error(
                        "spec::binlog-needs-mysql",
                        "binlog replication needs Aurora MySQL",
                        &at.child("binlog_replica"),
                        "this cluster is PostgreSQL",
                        "use `flavor: mysql`, or use logical replication outside Landfall",
                    );
                }
                check_class(
                    r,
                    &replica.instance_class,
                    ("db.", "aurora-mysql"),
                    &at.child("binlog_replica").child("instance_class"),
                    denied,
                );
                if !(1..=16).contains(&replica.instances) {
                    r.error(
                        "spec::aurora-instances",
                        format!(
                            "an Aurora cluster has 1 to 16 instances, not {}",
                            replica.instances
                        ),
                        &at.child("binlog_replica").child("instances"),
                        "out of range",
                        "one writer plus up to 15 readers",
                    );
                }
            }
        }
        Engine::Rds {
            engine,
            instance_class,
            reason,
        } => {
            // Only engines whose version the platform pins (one table).
            if crate::engines::rds_engines().all(|e| e != engine) {
                let known: Vec<&str> = crate::engines::rds_engines().collect();
                r.error(
                    "spec::unknown-rds-engine",
                    format!("`{engine}` is not an RDS engine Landfall can pin a version for"),
                    &at.child("engine"),
                    "unknown engine",
                    format!(
                        "use one of {}",
                        known
                            .iter()
                            .map(|e| format!("`{e}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            check_class(
                r,
                instance_class,
                ("db.", engine),
                &at.child("instance_class"),
                denied,
            );
            require_reason(
                r,
                reason,
                &at.child("reason"),
                "plain RDS",
                "prefer Aurora (lower replication lag)",
            );
        }
        Engine::Valkey {
            node_type,
            shards,
            replicas_per_shard,
        } => {
            check_class(
                r,
                node_type,
                ("cache.", "valkey"),
                &at.child("node_type"),
                denied,
            );
            if *shards == 0 || *replicas_per_shard > 5 {
                r.error(
                    "spec::valkey-topology",
                    format!("{shards} shards with {replicas_per_shard} replicas each is not a Valkey topology"),
                    &at.child("shards"),
                    "out of range",
                    "at least 1 shard and 0 to 5 replicas per shard",
                );
            }
        }
        Engine::Memcached {
            node_type,
            nodes,
            reason,
        } => {
            check_class(
                r,
                node_type,
                ("cache.", "memcached"),
                &at.child("node_type"),
                denied,
            );
            require_reason(
                r,
                reason,
                &at.child("reason"),
                "Memcached",
                "prefer Valkey; Memcached is reached through Mcrouter only",
            );
            if *nodes == 0 || *nodes > 60 {
                r.error(
                    "spec::memcached-nodes",
                    format!("a Memcached cluster has 1 to 60 nodes, not {nodes}"),
                    &at.child("nodes"),
                    "out of range",
                    "choose 1 to 60 nodes",
                );
            }
        }
        Engine::Dynamodb { .. } => {}
        Engine::Msk {
            broker_type,
            topics,
            ..
        } => {
            check_class(
                r,
                broker_type,
                ("kafka.", "kafka"),
                &at.child("broker_type"),
                denied,
            );
            if topics.is_empty() {
                r.warning(
                    "spec::msk-without-topics",
                    "this MSK cluster declares no topics",
                    at,
                    "no topics",
                    "declare the topics it carries so services can reference them",
                );
            }
        }
    }
}

fn require_reason(r: &mut Resolver<'_>, reason: &str, at: &Pointer, what: &str, help: &str) {
    if reason.trim().len() < 10 {
        r.error(
            "spec::missing-reason",
            format!("{what} needs a reason"),
            at,
            "too short to explain the choice",
            format!("{help}; say in a sentence why it is needed"),
        );
    }
}

/// Reports every cycle of synchronous calls once, as the path around it.
fn check_call_cycles(r: &mut Resolver<'_>, services: &[Service]) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; services.len()];
    for start in 0..services.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search; the stack holds (service, next edge).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&callee) = services[node].calls.get(*next) {
                *next += 1;
                let callee = callee.index();
                match marks[callee] {
                    Mark::New => {
                        marks[callee] = Mark::Active;
                        stack.push((callee, 0));
                    }
                    Mark::Active => {
                        let from = stack.iter().position(|(n, _)| *n == callee).unwrap_or(0);
                        let mut names: Vec<&str> = stack[from..]
                            .iter()
                            .map(|(n, _)| services[*n].name.as_str())
                            .collect();
                        names.push(&services[callee].name);
                        let edge = services[node]
                            .calls
                            .iter()
                            .position(|c| c.index() == callee)
                            .unwrap_or(0);
                        let at = services[node]
                            .origin
                            .child("dependencies")
                            .child("services")
                            .child(edge);
                        r.error(
                            "spec::dependency-cycle",
                            format!("services call each other in a cycle: {}", names.join(" → ")),
                            &at,
                            "this call closes the cycle",
                            "synchronous call cycles deadlock under load and cannot be deployed in order; replace one call with a topic",
                        );
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
}

/// A service's metrics endpoint and objectives, defaults by latency class.
fn monitoring(
    r: &mut Resolver<'_>,
    service: &landfall_spec::types::Service,
    at: &Pointer,
) -> ServiceMonitoring {
    let spec = service.monitoring.clone().unwrap_or_default();
    let default = if service.latency_sensitive {
        Slo::LATENCY_SENSITIVE
    } else {
        Slo::GENERAL
    };
    let given = spec.slo.clone().unwrap_or_default();
    let slo_at = at.child("slo");
    let mut percent = |value: Option<f64>, field: &str, fallback: f64| -> f64 {
        let Some(value) = value else { return fallback };
        // 100 % leaves no error budget, so no burn rate can be computed.
        if !(value > 0.0 && value < 100.0) {
            r.error(
                "spec::invalid-objective",
                format!("an objective of {value}% cannot be alerted on"),
                &slo_at.child(field),
                "expected more than 0 and less than 100",
                "give a percent below 100, for example `99.9`",
            );
        }
        value
    };
    let availability_percent = percent(
        given.availability_percent,
        "availability_percent",
        default.availability_percent,
    );
    let latency_percent = percent(
        given.latency_percent,
        "latency_percent",
        default.latency_percent,
    );
    let latency_ms = given.latency_ms.unwrap_or(default.latency_ms);
    if latency_ms == 0 {
        r.error(
            "spec::invalid-objective",
            "a latency threshold of 0 ms cannot be met",
            &slo_at.child("latency_ms"),
            "expected a bucket boundary of the request-duration histogram",
            "give the threshold in milliseconds, for example `250`",
        );
    }
    let metrics_path = spec.metrics_path.unwrap_or_else(|| "/metrics".to_owned());
    if !metrics_path.starts_with('/') {
        r.error(
            "spec::invalid-path",
            format!("`{metrics_path}` is not an absolute path"),
            &at.child("metrics_path"),
            "expected a path starting with `/`",
            format!("write `/{metrics_path}`"),
        );
    }
    ServiceMonitoring {
        metrics_port: spec.metrics_port.unwrap_or(service.compute.port),
        metrics_path,
        slo: Slo {
            availability_percent,
            latency_ms,
            latency_percent,
            defaulted: given == landfall_spec::types::Slo::default(),
        },
        logs: log_volume(r, spec.logs.unwrap_or_default(), &at.child("logs")),
    }
}

/// A service's log format and volume, defaults applied.
fn log_volume(
    r: &mut Resolver<'_>,
    logs: landfall_spec::types::ServiceLogs,
    at: &Pointer,
) -> ServiceLogs {
    let volume = logs
        .volume_kib_per_second
        .unwrap_or(ServiceLogs::DEFAULT_VOLUME_KIB_PER_SECOND);
    if volume == 0 {
        r.error(
            "spec::invalid-log-volume",
            "a log volume of 0 KiB/s sizes no buffer",
            &at.child("volume_kib_per_second"),
            "expected the peak volume in KiB per second",
            "give the peak volume, for example `64`, or leave it out for the default",
        );
    }
    ServiceLogs {
        format: logs.format,
        volume_kib_per_second: volume.max(1),
    }
}

/// A data store no service uses (and, for a message bus, whose topics
/// nobody produces or consumes and which does not carry the platform's
/// logs) is probably a leftover that still costs money.
fn warn_unused_stores(
    r: &mut Resolver<'_>,
    spec: &Spec,
    services: &[Service],
    stores: &[DataStore],
    topics: &[Topic],
) {
    let logs = spec
        .observability
        .as_ref()
        .map(|o| o.logs.kafka_cluster.as_str());
    let mut used = vec![false; stores.len()];
    for service in services {
        for store in &service.data_stores {
            used[store.index()] = true;
        }
        for topic in service.produces.iter().chain(&service.consumes) {
            used[topics[topic.index()].cluster.index()] = true;
        }
    }
    for (store, used) in stores.iter().zip(used) {
        // A service that did not load may be the one using it.
        if used
            || Some(store.name.as_str()) == logs
            || r.loaded.may_be_declared_in_unloaded_part(&store.name)
        {
            continue;
        }
        r.warning(
            "spec::unused-data-store",
            format!("no service uses data store `{}`", store.name),
            &store.origin,
            "not in any service's `dependencies`",
            "add it to the `dependencies` of the services that use it, or remove it",
        );
    }
}
