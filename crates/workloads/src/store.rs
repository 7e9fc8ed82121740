//! One data store in one environment: `<org>-workloads-<domain>-<env>-store-<name>`.
//!
//! Every store is encrypted at rest with the account's data key (the
//! `DataKeyArn` export of the account stack) and in transit (TLS required),
//! sits in the data subnets shared with the account, and has a security
//! group with no rule of its own: each service that declares the store adds
//! the one ingress rule it needs (from its own security group, on the
//! store's port). MSK clusters, whose topics other domains use, admit those
//! domains' application subnets on the IAM/TLS port instead, and allow
//! their accounts in the cluster policy.
//!
//! MSK topics have no CloudFormation or hashicorp/aws resource type: they
//! are `Custom::MskTopic` resources served by the account's
//! `landfall-msk-topics` function (the Kafka admin API over IAM
//! authentication); the Terraform emitter writes them as `kafka_topic`
//! resources of the `Mongey/kafka` provider instead.

use std::collections::{BTreeMap, BTreeSet};

use landfall_graph::{logical_id, Stack};
use landfall_model::{aws, DataStore, Model};
use landfall_spec::types::{AuroraFlavor, TierKind};
use landfall_spec::types::{Engine, WorkloadClass};
use serde_json::{json, Value};

use crate::ctx::{import, std_tags, Builder, Ctx, Placement};
use crate::policy::account_param;
use crate::Problem;

/// The service token of topic custom resources.
pub const TOPIC_FUNCTION: &str = "landfall-msk-topics";
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
/// environment, or ship logs to it: (store index, environment index) →
/// domain indexes. Found once for the whole model.
pub fn msk_clients(model: &Model) -> BTreeMap<(usize, usize), BTreeSet<usize>> {
    let mut out: BTreeMap<(usize, usize), BTreeSet<usize>> = BTreeMap::new();
    for service in &model.services {
        for &env in &service.environments {
            let log_cluster = crate::policy::log_topic(model, env).map(|(s, _)| s.id);
            let clusters = service
                .produces
                .iter()
                .chain(&service.consumes)
                .map(|t| model.topic(*t).cluster)
                .chain(log_cluster);
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
            let (engine, family, logs, user) = match flavor {
                AuroraFlavor::Mysql => (
                    "aurora-mysql",
                    "aurora-mysql8.0",
                    vec!["audit", "error", "slowquery"],
                    "admin",
                ),
                AuroraFlavor::Postgresql => (
                    "aurora-postgresql",
                    "aurora-postgresql16",
                    vec!["postgresql"],
                    "postgres",
                ),
            };
            b.add(
                "SubnetGroup",
                "AWS::RDS::DBSubnetGroup",
                json!({ "DBSubnetGroupDescription": format!("Data subnets of {}", store.name), "SubnetIds": subnets, "Tags": tags(&[]) }),
            );
            let mut parameters = match flavor {
                AuroraFlavor::Mysql => json!({ "require_secure_transport": "ON" }),
                AuroraFlavor::Postgresql => json!({ "rds.force_ssl": "1" }),
            };
            if binlog_replica.is_some() {
                parameters["binlog_format"] = json!("ROW");
            }
            b.add(
                "ClusterParameters",
                "AWS::RDS::DBClusterParameterGroup",
                json!({ "Description": format!("{} ({class}): TLS required", store.name), "Family": family, "Parameters": parameters, "Tags": tags(&[]) }),
            );
            let cluster = |source: Option<Value>| {
                let mut c = json!({
                    "Engine": engine,
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
                    "Tags": tags(&[])
                });
                match source {
                    Some(source) => c["ReplicationSourceIdentifier"] = source,
                    None => {
                        c["MasterUsername"] = json!(user);
                        c["ManageMasterUserPassword"] = json!(true);
                        c["MasterUserSecret"] = json!({ "KmsKeyId": key });
                    }
                }
                c
            };
            b.add("Cluster", "AWS::RDS::DBCluster", cluster(None))
                .retain = true;
            instances_of(
                &mut b,
                "Cluster",
                "Instance",
                engine,
                instance_class,
                *instances,
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
            b.output(
                "ReaderEndpoint",
                json!({ "Fn::GetAtt": ["Cluster", "ReadEndpoint.Address"] }),
                true,
            );
            if let Some(replica) = binlog_replica {
                // Aurora MySQL cluster-to-cluster binlog replication: the
                // replica cluster names its source; heavy queries and
                // analytics use its endpoint.
                b.add(
                    "AnalyticsReplica",
                    "AWS::RDS::DBCluster",
                    cluster(Some(json!({ "Fn::GetAtt": ["Cluster", "DBClusterArn"] }))),
                )
                .retain = true;
                instances_of(
                    &mut b,
                    "AnalyticsReplica",
                    "ReplicaInstance",
                    engine,
                    &replica.instance_class,
                    replica.instances,
                    &key,
                    &tags(&[("landfall:role", "analytics-binlog-replica")]),
                );
                b.output(
                    "ReplicaClusterResourceId",
                    json!({ "Fn::GetAtt": ["AnalyticsReplica", "DBClusterResourceId"] }),
                    true,
                );
                b.output(
                    "AnalyticsEndpoint",
                    json!({ "Fn::GetAtt": ["AnalyticsReplica", "Endpoint.Address"] }),
                    true,
                );
            }
        }
        Engine::Rds {
            engine,
            instance_class,
            reason,
        } => {
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
                    "DBInstanceClass": instance_class,
                    "AllocatedStorage": "100",
                    "StorageType": "gp3",
                    "MasterUsername": "landfall_admin",
                    "ManageMasterUserPassword": true,
                    "MasterUserSecret": { "KmsKeyId": key },
                    "StorageEncrypted": true,
                    "KmsKeyId": key,
                    "EnableIAMDatabaseAuthentication": true,
                    "MultiAZ": place.env.production,
                    "PubliclyAccessible": false,
                    "DeletionProtection": true,
                    "BackupRetentionPeriod": retention,
                    "CopyTagsToSnapshot": true,
                    "AutoMinorVersionUpgrade": true,
                    "EnablePerformanceInsights": true,
                    "PerformanceInsightsKMSKeyId": key,
                    "EnableCloudwatchLogsExports": if engine.contains("postgres") { vec!["postgresql"] } else { vec!["error", "slowquery"] },
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
            let failover = *replicas_per_shard > 0;
            b.add(
                "ReplicationGroup",
                "AWS::ElastiCache::ReplicationGroup",
                json!({
                    "ReplicationGroupDescription": format!("{} ({class})", store.name),
                    "Engine": "valkey",
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
                    "Port": 6379,
                    "CacheSubnetGroupName": { "Ref": "SubnetGroup" },
                    "SecurityGroupIds": [{ "Ref": "SecurityGroup" }],
                    "SnapshotRetentionLimit": 7,
                    "AutoMinorVersionUpgrade": true,
                    "Tags": tags(&[])
                }),
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
                    "KafkaVersion": "3.8.x",
                    "NumberOfBrokerNodes": u32::from((*brokers_per_az).max(1)) * azs,
                    "BrokerNodeGroupInfo": {
                        "InstanceType": broker_type,
                        "ClientSubnets": subnets,
                        "SecurityGroups": [{ "Ref": "SecurityGroup" }],
                        "StorageInfo": { "EBSStorageInfo": { "VolumeSize": 1000 } }
                    },
                    "ConfigurationInfo": { "Arn": { "Fn::GetAtt": ["Configuration", "Arn"] }, "Revision": 1 },
                    "EncryptionInfo": {
                        "EncryptionAtRest": { "DataVolumeKMSKeyId": key },
                        "EncryptionInTransit": { "ClientBroker": "TLS", "InCluster": true }
                    },
                    "ClientAuthentication": { "Sasl": { "Iam": { "Enabled": true } }, "Unauthenticated": { "Enabled": false } },
                    "EnhancedMonitoring": "PER_BROKER",
                    "LoggingInfo": { "BrokerLogs": { "CloudWatchLogs": { "Enabled": true, "LogGroup": { "Ref": "BrokerLogs" } } } },
                    "Tags": { "landfall:domain": place.domain.name, "landfall:environment": place.env.name, "landfall:store": store.name }
                }),
            )
            .retain = true;
            b.output("ClusterArn", json!({ "Ref": "Cluster" }), true);
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
            for topic in topics {
                let t = model
                    .topics
                    .iter()
                    .find(|t| t.name == topic.name && t.cluster == store.id);
                let (partitions, hours) = t
                    .map_or((topic.partitions, topic.retention_hours), |t| {
                        (t.partitions, t.retention_hours)
                    });
                b.add(
                    &logical_id(&["Topic", &topic.name]),
                    "Custom::MskTopic",
                    json!({
                        "ServiceToken": { "Fn::Sub": format!("arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{TOPIC_FUNCTION}") },
                        "ClusterArn": { "Ref": "Cluster" },
                        "TopicName": topic.name,
                        "Partitions": partitions,
                        "ReplicationFactor": 3,
                        "Config": { "retention.ms": (u64::from(hours) * 3_600_000).to_string(), "min.insync.replicas": "2" }
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

#[allow(clippy::too_many_arguments)]
fn instances_of(
    b: &mut Builder,
    cluster: &str,
    prefix: &str,
    engine: &str,
    class: &str,
    count: u8,
    key: &Value,
    tags: &Value,
) {
    for i in 1..=count.max(1) {
        b.add(
            &format!("{prefix}{i}"),
            "AWS::RDS::DBInstance",
            json!({
                "Engine": engine,
                "DBClusterIdentifier": { "Ref": cluster },
                "DBInstanceClass": class,
                "PubliclyAccessible": false,
                "AutoMinorVersionUpgrade": true,
                "EnablePerformanceInsights": true,
                "PerformanceInsightsKMSKeyId": key,
                "Tags": tags
            }),
        );
    }
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
