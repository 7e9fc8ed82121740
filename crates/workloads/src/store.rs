//! One data store in one environment: `<org>-workloads-<domain>-<env>-store-<name>`.
//!
//! Every store is encrypted at rest with the account's data key (the
//! `DataKeyArn` export of the account stack) and in transit (TLS required),
//! sits in the data subnets shared with the account, and has a security
//! group with no rule of its own: each service that declares the store adds
//! the one ingress rule it needs (from its own security group, on the
//! store's port). MSK clusters, whose topics other domains use, admit those
//! domains' application subnets on the IAM/TLS port instead, and allow
//! their accounts in the cluster policy. The log cluster also takes the
//! log agents of every domain on the SASL/SCRAM port, with their secret
//! ([`crate::logs`]).
//!
//! MSK topics are `AWS::MSK::Topic` resources: the MSK topic API (Kafka
//! 3.6 and later, provisioned clusters) creates them without a Kafka admin
//! client, a function in the VPC or broker access
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-msk-topic.html>,
//! <https://docs.aws.amazon.com/msk/latest/developerguide/msk-topic-operations-information.html>);
//! the Terraform emitter writes them as `kafka_topic` resources of the
//! `Mongey/kafka` provider.

use std::collections::{BTreeMap, BTreeSet};

use landfall_graph::{logical_id, Stack};
use landfall_model::{aws, DataStore, Model};
use landfall_spec::types::{AuroraFlavor, TierKind};
use landfall_spec::types::{Engine, WorkloadClass};
use serde_json::{json, Value};

use crate::ctx::{import, std_tags, Builder, Ctx, Placement};
use crate::logs;
use crate::policy::account_param;
use crate::Problem;

/// The MSK port for IAM authentication over TLS.
pub const MSK_IAM_PORT: u16 = 9098;

/// The port clients reach a store on.
pub fn port(engine: &Engine) -> Option<u16> {
    match engine {
        Engine::Aurora {
            flavor: AuroraFlavor::Mysql,
            ..
        } => Some(3306),
        Engine::Aurora {
            flavor: AuroraFlavor::Postgresql,
            ..
        } => Some(5432),
        Engine::Rds { engine, .. } if engine.contains("postgres") => Some(5432),
        Engine::Rds { engine, .. } if engine.starts_with("sqlserver") => Some(1433),
        Engine::Rds { .. } => Some(3306),
        Engine::Valkey { .. } => Some(6379),
        Engine::Memcached { .. } => Some(11211),
        Engine::Msk { .. } => Some(MSK_IAM_PORT),
        Engine::Dynamodb { .. } => None,
    }
}

/// A burstable class (`db.t*`, `cache.t*`, `kafka.t*`).
pub fn is_burst(class: &str) -> bool {
    let family = aws::instance_family(class);
    let short = family.rsplit('.').next().unwrap_or(family);
    let mut chars = short.chars();
    chars.next() == Some('t') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Domains (by index) whose services use topics of each MSK store in each
/// environment: (store index, environment index) → domain indexes. Found
/// once for the whole model.
pub fn msk_clients(model: &Model) -> BTreeMap<(usize, usize), BTreeSet<usize>> {
    let mut out: BTreeMap<(usize, usize), BTreeSet<usize>> = BTreeMap::new();
    for service in &model.services {
        for &env in &service.environments {
            let clusters = service
                .produces
                .iter()
                .chain(&service.consumes)
                .map(|t| model.topic(*t).cluster);
            for cluster in clusters {
                out.entry((cluster.index(), env.index()))
                    .or_default()
                    .insert(service.domain.index());
            }
        }
    }
    out
}

pub(crate) fn build(
    ctx: &Ctx<'_>,
    place: &Placement<'_>,
    store: &DataStore,
    problems: &mut Vec<Problem>,
) -> Stack {
    let model = ctx.model;
    let account_stack = ctx.stack_name(place, "");
    let mut b = Builder::new(
        ctx.stack_name(place, &format!("store-{}", store.name)),
        format!(
            "Data store {} of {} in {}",
            store.name, place.domain.name, place.env.name
        ),
        &place.account.name,
        &place.region.name,
    );
    b.depends_on(account_stack.clone());
    let key = import(&account_stack, "DataKeyArn");
    let class = match store.workload {
        WorkloadClass::LatencySensitive => "latency-sensitive",
        WorkloadClass::General => "general",
    };
    let tags = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("landfall:store", store.name.as_str()),
            ("landfall:workload-class", class),
        ];
        pairs.extend_from_slice(extra);
        std_tags(place, &pairs)
    };
    for cls in classes(&store.engine) {
        if is_burst(cls) {
            problems.push(Problem {
                code: "workloads::burst-class",
                message: format!("data store `{}` uses the burstable class `{cls}`", store.name),
                help: "burst classes are denied by the guardrails; use a fixed-performance class such as `db.r7g.large`".into(),
                at: Some(store.origin.clone()),
            });
        }
    }
    let port = port(&store.engine);
    if let Engine::Dynamodb {
        partition_key,
        sort_key,
    } = &store.engine
    {
        // No network of its own: reached through the VPC's gateway endpoint.
        dynamodb(
            &mut b,
            store,
            partition_key,
            sort_key.as_deref(),
            &key,
            &tags(&[]),
        );
        return b.stack;
    }
    let vpc = b.vpc_ref(ctx, place, problems);
    let data = ctx.subnets(place, TierKind::Data);
    let subnets = b.subnet_refs(ctx, place, &data, problems);
    let mut ingress: Vec<Value> = Vec::new();
    if let (Engine::Msk { .. }, Some(p)) = (&store.engine, port) {
        for d in ctx.msk_clients(store, place.env.id) {
            let domain = &model.domains[d];
            if let Some(other) = ctx.peer(place, domain.id) {
                for cidr in ctx.app_cidrs(&other) {
                    ingress.push(json!({
                        "IpProtocol": "tcp", "FromPort": p, "ToPort": p, "CidrIp": cidr,
                        "Description": format!("topic clients of {}", domain.name)
                    }));
                }
            }
        }
    }
    // The log agents of every domain's tasks, on the SASL/SCRAM port.
    let log_cluster = logs::scram_cluster(model).is_some_and(|c| c.id == store.id);
    let agent_domains = if log_cluster {
        logs::agent_domains(model, store, place.env.id)
    } else {
        BTreeSet::new()
    };
    for &d in &agent_domains {
        let domain = &model.domains[d];
        if let Some(other) = ctx.peer(place, domain.id) {
            for cidr in ctx.app_cidrs(&other) {
                ingress.push(json!({
                    "IpProtocol": "tcp", "FromPort": logs::MSK_SCRAM_PORT, "ToPort": logs::MSK_SCRAM_PORT, "CidrIp": cidr,
                    "Description": format!("log agents of {}", domain.name)
                }));
            }
        }
    }
    // The Vector aggregators (observability account) on the VPC's data
    // subnets shared with that account ([`crate::aggregator`]).
    let aggregators =
        ctx.log_aggregator.is_some() && crate::aggregator::runs_in(model, place, store);
    if aggregators {
        for subnet in crate::aggregator::data_subnets(model, place.vpc) {
            ingress.push(json!({
                "IpProtocol": "tcp", "FromPort": logs::MSK_SCRAM_PORT, "ToPort": logs::MSK_SCRAM_PORT,
                "CidrIp": ctx.plan.subnet_cidr(subnet.id).to_string(),
                "Description": "log aggregators"
            }));
        }
    }
    let mut sg = json!({
        "GroupDescription": format!("Data store {}: services that declare it add their own rule", store.name),
        "VpcId": vpc,
        "SecurityGroupEgress": [{ "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "127.0.0.1/32", "Description": "no egress" }],
        "Tags": tags(&[])
    });
    if !ingress.is_empty() {
        sg["SecurityGroupIngress"] = Value::Array(ingress);
    }
    b.add("SecurityGroup", "AWS::EC2::SecurityGroup", sg);
    b.output(
        "SecurityGroupId",
        json!({ "Fn::GetAtt": ["SecurityGroup", "GroupId"] }),
        true,
    );
    let retention = if place.env.production { 35 } else { 7 };

    match &store.engine {
        Engine::Aurora {
            flavor,
            instance_class,
            instances,
            binlog_replica,
        } => {
            let (engine, user) = match flavor {
                AuroraFlavor::Mysql => ("aurora-mysql", "admin"),
                AuroraFlavor::Postgresql => ("aurora-postgresql", "postgres"),
            };
            let Some(pinned) = pinned(engine, store, problems) else {
                return b.stack;
            };
            let logs: Vec<&str> = match flavor {
                AuroraFlavor::Mysql => vec!["audit", "error", "slowquery"],
                AuroraFlavor::Postgresql => vec!["postgresql"],
            };
            b.add(
                "SubnetGroup",
                "AWS::RDS::DBSubnetGroup",
                json!({ "DBSubnetGroupDescription": format!("Data subnets of {}", store.name), "SubnetIds": subnets, "Tags": tags(&[]) }),
            );
            let parameters = match flavor {
                AuroraFlavor::Mysql => json!({ "require_secure_transport": "ON" }),
                AuroraFlavor::Postgresql => json!({ "rds.force_ssl": "1" }),
            };
            b.add(
                "ClusterParameters",
                "AWS::RDS::DBClusterParameterGroup",
                json!({ "Description": format!("{} ({class}): TLS required", store.name), "Family": pinned.family, "Parameters": parameters, "Tags": tags(&[]) }),
            );
            b.add(
                "Cluster",
                "AWS::RDS::DBCluster",
                json!({
                    "Engine": engine,
                    "EngineVersion": pinned.version,
                    "DBClusterParameterGroupName": { "Ref": "ClusterParameters" },
                    "DBSubnetGroupName": { "Ref": "SubnetGroup" },
                    "VpcSecurityGroupIds": [{ "Ref": "SecurityGroup" }],
                    "Port": port,
                    "StorageEncrypted": true,
                    "KmsKeyId": key,
                    "EnableIAMDatabaseAuthentication": true,
                    "DeletionProtection": true,
                    "BackupRetentionPeriod": retention,
                    "CopyTagsToSnapshot": true,
                    "EnableCloudwatchLogsExports": logs,
                    "MasterUsername": user,
                    "ManageMasterUserPassword": true,
                    "MasterUserSecret": { "KmsKeyId": key },
                    "Tags": tags(&[])
                }),
            )
            .retain = true;
            crate::alarms::aurora_replica_lag(&mut b, &store.name, &place.env.name, tags(&[]));
            crate::alarms::aurora_writer_unavailable(
                &mut b,
                &store.name,
                &place.env.name,
                tags(&[]),
            );
            instances_of(
                &mut b,
                "Instance",
                engine,
                instance_class,
                *instances,
                None,
                &key,
                &tags(&[]),
            );
            b.output(
                "ClusterResourceId",
                json!({ "Fn::GetAtt": ["Cluster", "DBClusterResourceId"] }),
                true,
            );
            b.output(
                "Endpoint",
                json!({ "Fn::GetAtt": ["Cluster", "Endpoint.Address"] }),
                true,
            );
            match binlog_replica {
                None => b.output(
                    "ReaderEndpoint",
                    json!({ "Fn::GetAtt": ["Cluster", "ReadEndpoint.Address"] }),
                    true,
                ),
                Some(analytics) => analytics_readers(
                    &mut b,
                    store,
                    engine,
                    analytics,
                    &key,
                    &tags(&[]),
                    &tags(&[("landfall:role", "analytics-reader")]),
                ),
            }
        }
        Engine::Rds {
            engine,
            instance_class,
            reason,
        } => {
            let Some(pinned) = pinned(engine, store, problems) else {
                return b.stack;
            };
            b.add(
                "SubnetGroup",
                "AWS::RDS::DBSubnetGroup",
                json!({ "DBSubnetGroupDescription": format!("Data subnets of {}", store.name), "SubnetIds": subnets, "Tags": tags(&[]) }),
            );
            b.add(
                "Instance",
                "AWS::RDS::DBInstance",
                json!({
                    "Engine": engine,
                    "EngineVersion": pinned.version,
                    "DBInstanceClass": instance_class,
                    "AllocatedStorage": "100",
                    "StorageType": "gp3",
                    "MasterUsername": "landfall_admin",
                    "ManageMasterUserPassword": true,
                    "MasterUserSecret": { "KmsKeyId": key },
                    "StorageEncrypted": true,
                    "KmsKeyId": key,
                    "EnableIAMDatabaseAuthentication": pinned.iam_auth,
                    "MultiAZ": place.env.production,
                    "PubliclyAccessible": false,
                    "DeletionProtection": true,
                    "BackupRetentionPeriod": retention,
                    "CopyTagsToSnapshot": true,
                    "AutoMinorVersionUpgrade": true,
                    "EnablePerformanceInsights": true,
                    "PerformanceInsightsKMSKeyId": key,
                    "EnableCloudwatchLogsExports": pinned.log_exports,
                    "DBSubnetGroupName": { "Ref": "SubnetGroup" },
                    "VPCSecurityGroups": [{ "Ref": "SecurityGroup" }],
                    "Tags": tags(&[("landfall:reason", &tag_value(reason))])
                }),
            )
            .retain = true;
            b.output(
                "InstanceResourceId",
                json!({ "Fn::GetAtt": ["Instance", "DbiResourceId"] }),
                true,
            );
            b.output(
                "Endpoint",
                json!({ "Fn::GetAtt": ["Instance", "Endpoint.Address"] }),
                true,
            );
        }
        Engine::Valkey {
            node_type,
            shards,
            replicas_per_shard,
        } => {
            b.add(
                "SubnetGroup",
                "AWS::ElastiCache::SubnetGroup",
                json!({ "Description": format!("Data subnets of {}", store.name), "SubnetIds": subnets, "Tags": tags(&[]) }),
            );
            let Some(pinned) = pinned("valkey", store, problems) else {
                return b.stack;
            };
            let group = cache_users(&mut b, model, place, store);
            let failover = *replicas_per_shard > 0;
            b.add(
                "ReplicationGroup",
                "AWS::ElastiCache::ReplicationGroup",
                json!({
                    "ReplicationGroupId": replication_group_id(store),
                    "ReplicationGroupDescription": format!("{} ({class})", store.name),
                    "Engine": "valkey",
                    "EngineVersion": pinned.version,
                    "CacheNodeType": node_type,
                    "NumNodeGroups": (*shards).max(1),
                    "ReplicasPerNodeGroup": replicas_per_shard,
                    "AutomaticFailoverEnabled": failover || *shards > 1,
                    "MultiAZEnabled": failover,
                    "ClusterMode": if *shards > 1 { "enabled" } else { "disabled" },
                    "AtRestEncryptionEnabled": true,
                    "KmsKeyId": key,
                    "TransitEncryptionEnabled": true,
                    "TransitEncryptionMode": "required",
                    "UserGroupIds": [group],
                    "Port": 6379,
                    "CacheSubnetGroupName": { "Ref": "SubnetGroup" },
                    "SecurityGroupIds": [{ "Ref": "SecurityGroup" }],
                    "SnapshotRetentionLimit": 7,
                    "AutoMinorVersionUpgrade": true,
                    "Tags": tags(&[])
                }),
            );
            crate::alarms::valkey_nodes(
                &mut b,
                &store.name,
                &crate::alarms::valkey_node_ids(
                    &replication_group_id(store),
                    (*shards).max(1),
                    *replicas_per_shard,
                ),
                &place.env.name,
                &tags(&[]),
            );
            b.output("Endpoint", primary_endpoint(*shards > 1), true);
        }
        Engine::Memcached {
            node_type,
            nodes,
            reason,
        } => {
            b.add(
                "SubnetGroup",
                "AWS::ElastiCache::SubnetGroup",
                json!({ "Description": format!("Data subnets of {}", store.name), "SubnetIds": subnets, "Tags": tags(&[]) }),
            );
            // Memcached keeps no data at rest (no snapshots, nothing on
            // disk); in transit it is TLS. Clients reach it through Mcrouter.
            b.add(
                "CacheCluster",
                "AWS::ElastiCache::CacheCluster",
                json!({
                    "Engine": "memcached",
                    "EngineVersion": landfall_model::engines::engine("memcached").map_or("", |e| e.version),
                    "CacheNodeType": node_type,
                    "NumCacheNodes": (*nodes).max(1),
                    "AZMode": if *nodes > 1 { "cross-az" } else { "single-az" },
                    "TransitEncryptionEnabled": true,
                    "Port": 11211,
                    "CacheSubnetGroupName": { "Ref": "SubnetGroup" },
                    "VpcSecurityGroupIds": [{ "Fn::GetAtt": ["SecurityGroup", "GroupId"] }],
                    "AutoMinorVersionUpgrade": true,
                    "Tags": tags(&[("landfall:reason", &tag_value(reason)), ("landfall:client", "mcrouter")])
                }),
            );
            b.output(
                "ConfigurationEndpoint",
                json!({ "Fn::GetAtt": ["CacheCluster", "ConfigurationEndpoint.Address"] }),
                true,
            );
        }
        Engine::Dynamodb { .. } => {}
        Engine::Msk {
            broker_type,
            brokers_per_az,
            topics,
        } => {
            b.add(
                "BrokerLogs",
                "AWS::Logs::LogGroup",
                json!({
                    "LogGroupName": format!("/landfall/msk/{}", store.name),
                    "RetentionInDays": 365,
                    "KmsKeyId": key,
                    "Tags": tags(&[])
                }),
            );
            b.add(
                "Configuration",
                "AWS::MSK::Configuration",
                json!({
                    "Name": format!("{}-{}", store.name, place.env.name),
                    "Description": "Topics are declared in the spec: none is created on first use",
                    "ServerProperties": "auto.create.topics.enable=false\nmin.insync.replicas=2\ndefault.replication.factor=3\n"
                }),
            );
            let azs = data.len().max(1) as u32;
            b.add(
                "Cluster",
                "AWS::MSK::Cluster",
                json!({
                    "ClusterName": store.name,
                    "KafkaVersion": landfall_model::engines::engine("kafka").map_or("", |e| e.version),
                    "NumberOfBrokerNodes": u32::from((*brokers_per_az).max(1)) * azs,
                    "BrokerNodeGroupInfo": {
                        "InstanceType": broker_type,
                        "ClientSubnets": subnets,
                        "SecurityGroups": [{ "Ref": "SecurityGroup" }],
                        "StorageInfo": { "EBSStorageInfo": { "VolumeSize": 1000 } }
                    },
                    // The configuration's latest revision, so a change to its
                    // server properties reaches the brokers (a fixed
                    // revision 1 would keep the first ones forever).
                    "ConfigurationInfo": {
                        "Arn": { "Fn::GetAtt": ["Configuration", "Arn"] },
                        "Revision": { "Fn::GetAtt": ["Configuration", "LatestRevision.Revision"] }
                    },
                    "EncryptionInfo": {
                        "EncryptionAtRest": { "DataVolumeKMSKeyId": key },
                        "EncryptionInTransit": { "ClientBroker": "TLS", "InCluster": true }
                    },
                    "ClientAuthentication": client_authentication(log_cluster),
                    "EnhancedMonitoring": "PER_BROKER",
                    "LoggingInfo": { "BrokerLogs": { "CloudWatchLogs": { "Enabled": true, "LogGroup": { "Ref": "BrokerLogs" } } } },
                    "Tags": { "landfall:domain": place.domain.name, "landfall:environment": place.env.name, "landfall:store": store.name }
                }),
            )
            .retain = true;
            b.output("ClusterArn", json!({ "Ref": "Cluster" }), true);
            crate::alarms::msk_brokers(&mut b, &store.name, &place.env.name, &tags(&[]));
            // Other domains' accounts that use its topics.
            let mut principals: Vec<Value> = Vec::new();
            for d in ctx.msk_clients(store, place.env.id) {
                if let Some(account) = model.workload_account(model.domains[d].id, place.env.id) {
                    if account.id != place.account.id {
                        let param = b.account_param(&account.name);
                        debug_assert_eq!(param, account_param(&account.name));
                        principals.push(json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::${{{param}}}:root") }));
                    }
                }
            }
            if !principals.is_empty() {
                b.add(
                    "ClusterPolicy",
                    "AWS::MSK::ClusterPolicy",
                    json!({
                        "ClusterArn": { "Ref": "Cluster" },
                        "Policy": {
                            "Version": "2012-10-17",
                            "Statement": [{
                                "Sid": "TopicClientsOfOtherDomains",
                                "Effect": "Allow",
                                "Principal": { "AWS": principals },
                                "Action": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData", "kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
                                "Resource": [
                                    { "Ref": "Cluster" },
                                    { "Fn::Sub": format!("arn:${{AWS::Partition}}:kafka:${{AWS::Region}}:${{AWS::AccountId}}:topic/{}/*", store.name) },
                                    { "Fn::Sub": format!("arn:${{AWS::Partition}}:kafka:${{AWS::Region}}:${{AWS::AccountId}}:group/{}/*", store.name) }
                                ]
                            }]
                        }
                    }),
                );
            }
            if log_cluster {
                log_agents_credentials(
                    ctx,
                    &mut b,
                    place,
                    store,
                    &agent_domains,
                    aggregators,
                    &tags(&[]),
                );
            }
            for topic in topics {
                let t = model
                    .topics
                    .iter()
                    .find(|t| t.name == topic.name && t.cluster == store.id);
                let (partitions, hours) = t
                    .map_or((topic.partitions, topic.retention_hours), |t| {
                        (t.partitions, t.retention_hours)
                    });
                // Topic configuration: base64 of a JSON object of Kafka
                // topic properties (the MSK topic API's `Configs`).
                let configs = json!({
                    "min.insync.replicas": "2",
                    "retention.ms": (u64::from(hours) * 3_600_000).to_string()
                })
                .to_string();
                b.add(
                    &logical_id(&["Topic", &topic.name]),
                    "AWS::MSK::Topic",
                    json!({
                        "ClusterArn": { "Ref": "Cluster" },
                        "TopicName": topic.name,
                        "PartitionCount": partitions,
                        "ReplicationFactor": 3,
                        "Configs": { "Fn::Base64": configs }
                    }),
                );
            }
        }
    }
    if let Some(p) = port {
        b.output("Port", json!(p.to_string()), true);
    }
    b.stack
}

/// IAM for the services' own clients; SASL/SCRAM too on the log cluster,
/// for the log agents (Vector cannot sign in with IAM). Both over TLS.
/// <https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html>
fn client_authentication(scram: bool) -> Value {
    let mut sasl = json!({ "Iam": { "Enabled": true } });
    if scram {
        sasl["Scram"] = json!({ "Enabled": true });
    }
    json!({ "Sasl": sasl, "Unauthenticated": { "Enabled": false } })
}

/// The log agents' SCRAM user on the log cluster: its secret (named
/// `AmazonMSK_…`, a generated password, encrypted with a key of its own —
/// MSK refuses secrets under Secrets Manager's AWS managed key), associated
/// with the cluster, and readable by the agents' task execution roles in
/// every domain account of the environment ([`crate::logs`]).
fn log_agents_credentials(
    ctx: &Ctx<'_>,
    b: &mut Builder,
    place: &Placement<'_>,
    store: &DataStore,
    agent_domains: &BTreeSet<usize>,
    aggregators: bool,
    tags: &Value,
) {
    let model = ctx.model;
    // The agents' accounts, and their task execution roles by path and
    // name (they are created after this stack: a policy cannot name them).
    let mut accounts: Vec<Value> = Vec::new();
    let mut roles: Vec<Value> = Vec::new();
    let mut seen = BTreeSet::new();
    for &d in agent_domains {
        let Some(account) = model.workload_account(model.domains[d].id, place.env.id) else {
            continue;
        };
        if !seen.insert(account.id) {
            continue;
        }
        let id = if account.id == place.account.id {
            "${AWS::AccountId}".to_owned()
        } else {
            format!("${{{}}}", b.account_param(&account.name))
        };
        accounts.push(json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::{id}:root") }));
        roles.push(json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::{id}:role{}exec-*", crate::ctx::ROLE_PATH) }));
    }
    // The aggregators' execution role (`exec-log-aggregators-<vpc>`) in
    // the observability account.
    if let Some(account) = landfall_model::log_search::account(model).filter(|_| aggregators) {
        if seen.insert(account.id) {
            let id = format!("${{{}}}", b.account_param(&account.name));
            accounts.push(json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::{id}:root") }));
            roles.push(json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iam::{id}:role{}exec-*", crate::ctx::ROLE_PATH) }));
        }
    }
    let readers = json!({ "ArnLike": { "aws:PrincipalArn": roles } });
    let mut via_secrets_manager = readers.clone();
    via_secrets_manager["StringEquals"] =
        json!({ "kms:ViaService": { "Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com" } });
    b.add(
        "LogAgentsKey",
        "AWS::KMS::Key",
        json!({
            "Description": format!("Encrypts the log agents' SASL/SCRAM credentials of {}", store.name),
            "EnableKeyRotation": true,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountAdministers",
                        "Effect": "Allow",
                        "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } },
                        "Action": "kms:*",
                        "Resource": "*"
                    },
                    {
                        "Sid": "LogAgentsReadTheirCredentials",
                        "Effect": "Allow",
                        "Principal": { "AWS": accounts },
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                        "Condition": via_secrets_manager
                    }
                ]
            },
            "Tags": tags
        }),
    )
    .retain = true;
    b.add(
        "LogAgentsSecret",
        "AWS::SecretsManager::Secret",
        json!({
            "Name": logs::secret_name(store),
            "Description": format!("SASL/SCRAM credentials of the log agents on MSK cluster {}", store.name),
            "KmsKeyId": { "Fn::GetAtt": ["LogAgentsKey", "Arn"] },
            "GenerateSecretString": {
                "SecretStringTemplate": json!({ "username": logs::SCRAM_USERNAME }).to_string(),
                "GenerateStringKey": "password",
                "PasswordLength": 40,
                "ExcludePunctuation": true
            },
            "Tags": tags
        }),
    );
    b.add(
        "LogAgentsScram",
        "AWS::MSK::BatchScramSecret",
        json!({
            "ClusterArn": { "Ref": "Cluster" },
            "SecretArnList": [{ "Ref": "LogAgentsSecret" }]
        }),
    );
    // Associating the secret gives it MSK's own resource policy
    // (`AWSKafkaResourcePolicy`: the brokers read it); this policy replaces
    // it after the association, so it keeps that statement beside the
    // agents' (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/msk_scram_secret_association).
    b.add(
        "LogAgentsSecretPolicy",
        "AWS::SecretsManager::ResourcePolicy",
        json!({
            "SecretId": { "Ref": "LogAgentsSecret" },
            "BlockPublicPolicy": true,
            "ResourcePolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AWSKafkaResourcePolicy",
                        "Effect": "Allow",
                        "Principal": { "Service": "kafka.amazonaws.com" },
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": { "Ref": "LogAgentsSecret" }
                    },
                    {
                        "Sid": "LogAgentsReadTheirCredentials",
                        "Effect": "Allow",
                        "Principal": { "AWS": accounts },
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*",
                        "Condition": readers
                    }
                ]
            }
        }),
    )
    .depends_on
    .push("LogAgentsScram".into());
    b.output(
        "LogAgentsSecretArn",
        json!({ "Ref": "LogAgentsSecret" }),
        false,
    );
    b.output(
        "LogAgentsKeyArn",
        json!({ "Fn::GetAtt": ["LogAgentsKey", "Arn"] }),
        false,
    );
}

/// ElastiCache names (replication group and user ids): 1 to 40 letters,
/// digits and hyphens; longer names keep a stable hash of the rest.
fn cache_name(name: &str) -> String {
    const MAX: usize = 40;
    if name.len() <= MAX {
        return name.to_owned();
    }
    let hash = crate::ctx::stable_slot(name, u64::from(u32::MAX));
    let head: String = name.chars().take(MAX - 9).collect();
    format!("{}-{hash:08x}", head.trim_end_matches('-'))
}

/// The replication group id of a Valkey store (the task policy names it).
pub fn replication_group_id(store: &DataStore) -> String {
    cache_name(&store.name)
}

/// The ElastiCache user a service connects to a Valkey store as (IAM
/// authentication: its user id and user name are the same).
pub fn cache_user_id(store: &DataStore, service: &str) -> String {
    cache_name(&format!("{}-{service}", store.name))
}

/// The Valkey store's user group: a disabled `default` user (every user
/// group needs one) and one IAM-authenticated user per service that
/// declares the store in this environment. A client connects with a token
/// signed by its task role, which may `elasticache:Connect` as its own user
/// only; no password exists.
/// <https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html>
fn cache_users(b: &mut Builder, model: &Model, place: &Placement<'_>, store: &DataStore) -> Value {
    let mut users = vec![json!({ "Ref": "DefaultCacheUser" })];
    b.add(
        "DefaultCacheUser",
        "AWS::ElastiCache::User",
        json!({
            "UserId": cache_name(&format!("{}-default", store.name)),
            "UserName": "default",
            "Engine": "valkey",
            "AccessString": "off -@all",
            "AuthenticationMode": { "Type": "no-password-required" }
        }),
    );
    for service in model
        .services
        .iter()
        .filter(|s| s.data_stores.contains(&store.id) && s.environments.contains(&place.env.id))
    {
        let id = logical_id(&["CacheUser", &service.name]);
        let user = cache_user_id(store, &service.name);
        b.add(
            &id,
            "AWS::ElastiCache::User",
            json!({
                "UserId": user,
                "UserName": user,
                "Engine": "valkey",
                "AccessString": "on ~* +@all -@dangerous",
                "AuthenticationMode": { "Type": "iam" }
            }),
        );
        users.push(json!({ "Ref": id }));
    }
    b.add(
        "UserGroup",
        "AWS::ElastiCache::UserGroup",
        json!({
            "UserGroupId": replication_group_id(store),
            "Engine": "valkey",
            "UserIds": users
        }),
    );
    json!({ "Ref": "UserGroup" })
}

fn tag_value(text: &str) -> String {
    // Tag values: at most 256 characters of a restricted set.
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || " _.:/=+-@".contains(c) {
                c
            } else {
                ' '
            }
        })
        .take(256)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn primary_endpoint(cluster_mode: bool) -> Value {
    if cluster_mode {
        json!({ "Fn::GetAtt": ["ReplicationGroup", "ConfigurationEndPoint.Address"] })
    } else {
        json!({ "Fn::GetAtt": ["ReplicationGroup", "PrimaryEndPoint.Address"] })
    }
}

fn classes(engine: &Engine) -> Vec<&str> {
    match engine {
        Engine::Aurora {
            instance_class,
            binlog_replica,
            ..
        } => {
            let mut v = vec![instance_class.as_str()];
            if let Some(r) = binlog_replica {
                v.push(r.instance_class.as_str());
            }
            v
        }
        Engine::Rds { instance_class, .. } => vec![instance_class],
        Engine::Valkey { node_type, .. } | Engine::Memcached { node_type, .. } => vec![node_type],
        Engine::Msk { broker_type, .. } => vec![broker_type],
        Engine::Dynamodb { .. } => vec![],
    }
}

/// Instances of the Aurora cluster `Cluster`: `<prefix>1..=count`. A
/// promotion tier, when given, keeps them from being failover targets.
#[allow(clippy::too_many_arguments)]
fn instances_of(
    b: &mut Builder,
    prefix: &str,
    engine: &str,
    class: &str,
    count: u8,
    promotion_tier: Option<u8>,
    key: &Value,
    tags: &Value,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 1..=count.max(1) {
        let id = format!("{prefix}{i}");
        let mut props = json!({
            "Engine": engine,
            "DBClusterIdentifier": { "Ref": "Cluster" },
            "DBInstanceClass": class,
            "PubliclyAccessible": false,
            "AutoMinorVersionUpgrade": true,
            "EnablePerformanceInsights": true,
            "PerformanceInsightsKMSKeyId": key,
            "Tags": tags
        });
        if let Some(tier) = promotion_tier {
            props["PromotionTier"] = json!(tier);
        }
        b.add(&id, "AWS::RDS::DBInstance", props);
        ids.push(id);
    }
    ids
}

/// The lowest failover priority: Aurora promotes a reader of tier 0 first
/// and of tier 15 last.
const NEVER_PROMOTED_FIRST: u8 = 15;

/// Heavy queries and analytics in the cluster's own region: reader
/// instances of the same cluster (Aurora storage is shared, so they lag
/// the writer by milliseconds and need no replication of their own), of
/// their own class, last in failover order, reached through a custom
/// endpoint of their own; the application's readers get a custom endpoint
/// that leaves them out, so heavy queries never slow the application.
///
/// A binlog replica cluster (`ReplicationSourceIdentifier`) would be the
/// other way, but Aurora creates those only across regions ("Replicating
/// Amazon Aurora MySQL DB clusters across AWS Regions",
/// <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.CrossRegion.html>);
/// in one region the documented ways are readers behind a custom endpoint
/// (<https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Endpoints.Custom.html>),
/// clones, or zero-ETL integrations.
fn analytics_readers(
    b: &mut Builder,
    store: &DataStore,
    engine: &str,
    analytics: &landfall_spec::types::BinlogReplica,
    key: &Value,
    store_tags: &Value,
    analytics_tags: &Value,
) {
    let members: Vec<Value> = instances_of(
        b,
        "AnalyticsInstance",
        engine,
        &analytics.instance_class,
        analytics.instances,
        Some(NEVER_PROMOTED_FIRST),
        key,
        analytics_tags,
    )
    .iter()
    .map(|id| json!({ "Ref": id }))
    .collect();
    b.add(
        "AnalyticsEndpoint",
        "AWS::RDS::DBClusterEndpoint",
        json!({
            "DBClusterIdentifier": { "Ref": "Cluster" },
            "DBClusterEndpointIdentifier": format!("{}-analytics", store.name),
            "CustomEndpointType": "READER",
            "StaticMembers": members,
            "Tags": analytics_tags
        }),
    );
    b.add(
        "ReadersEndpoint",
        "AWS::RDS::DBClusterEndpoint",
        json!({
            "DBClusterIdentifier": { "Ref": "Cluster" },
            "DBClusterEndpointIdentifier": format!("{}-readers", store.name),
            "CustomEndpointType": "READER",
            "ExcludedMembers": members,
            "Tags": store_tags
        }),
    );
    b.output(
        "ReaderEndpoint",
        json!({ "Fn::GetAtt": ["ReadersEndpoint", "Endpoint"] }),
        true,
    );
    b.output(
        "AnalyticsEndpoint",
        json!({ "Fn::GetAtt": ["AnalyticsEndpoint", "Endpoint"] }),
        true,
    );
}

/// The pinned version of an engine ([`landfall_model::engines`]), or a
/// problem at the store when the platform pins none.
fn pinned(
    engine: &str,
    store: &DataStore,
    problems: &mut Vec<Problem>,
) -> Option<&'static landfall_model::engines::EngineInfo> {
    let found = landfall_model::engines::engine(engine);
    if found.is_none() {
        problems.push(Problem {
            code: "workloads::unpinned-engine",
            message: format!(
                "data store `{}` uses engine `{engine}`, whose version Landfall does not pin",
                store.name
            ),
            help: "use an engine of the engine table (crates/model/src/engines.rs)".into(),
            at: Some(store.origin.clone()),
        });
    }
    found
}

fn dynamodb(
    b: &mut Builder,
    store: &DataStore,
    partition_key: &str,
    sort_key: Option<&str>,
    key: &Value,
    tags: &Value,
) {
    let mut attributes = vec![json!({ "AttributeName": partition_key, "AttributeType": "S" })];
    let mut schema = vec![json!({ "AttributeName": partition_key, "KeyType": "HASH" })];
    if let Some(sort) = sort_key {
        attributes.push(json!({ "AttributeName": sort, "AttributeType": "S" }));
        schema.push(json!({ "AttributeName": sort, "KeyType": "RANGE" }));
    }
    b.add(
        "Table",
        "AWS::DynamoDB::Table",
        json!({
            "TableName": store.name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": attributes,
            "KeySchema": schema,
            "SSESpecification": { "SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": key },
            "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
            "DeletionProtectionEnabled": true,
            "Tags": tags
        }),
    )
    .retain = true;
    b.output("TableArn", json!({ "Fn::GetAtt": ["Table", "Arn"] }), true);
}
