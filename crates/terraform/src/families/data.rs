//! RDS and Aurora, ElastiCache, DynamoDB, MSK, MSK topics, and the SASL/SCRAM
//! secrets of MSK clusters.

use serde_json::{json, Map, Value};

use super::{Mapping, K, P, TAGS};
use crate::Cx;

/// The Terraform type of an `AWS::RDS::DBInstance` that belongs to a cluster.
pub const CLUSTER_INSTANCE: &str = "AWS::RDS::DBInstance#cluster";

pub static MAPPINGS: [Mapping; 19] = [
    Mapping {
        cfn: "AWS::RDS::DBSubnetGroup",
        tf: "aws_db_subnet_group",
        reference: "name",
        attributes: &[],
        props: &[
            P("DBSubnetGroupDescription", "description", K::V),
            P("DBSubnetGroupName", "name", K::V),
            P("SubnetIds", "subnet_ids", K::V),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::RDS::DBClusterParameterGroup",
        tf: "aws_rds_cluster_parameter_group",
        reference: "name",
        attributes: &[],
        props: &[
            P("Description", "description", K::V),
            P("Family", "family", K::V),
            P("Parameters", "", K::Hook),
            TAGS,
        ],
        hook: Some(parameters),
    },
    Mapping {
        cfn: "AWS::RDS::DBCluster",
        tf: "aws_rds_cluster",
        reference: "id",
        attributes: &[
            ("DBClusterResourceId", "cluster_resource_id"),
            ("Endpoint.Address", "endpoint"),
            ("ReadEndpoint.Address", "reader_endpoint"),
            ("DBClusterArn", "arn"),
            ("Endpoint.Port", "port"),
            // RDS's managed master secret (`ManageMasterUserPassword`).
            (
                "MasterUserSecret.SecretArn",
                "master_user_secret[0].secret_arn",
            ),
        ],
        props: &[
            P("Engine", "engine", K::V),
            P("EngineVersion", "engine_version", K::V),
            P("DatabaseName", "database_name", K::V),
            P(
                "DBClusterParameterGroupName",
                "db_cluster_parameter_group_name",
                K::V,
            ),
            P("DBSubnetGroupName", "db_subnet_group_name", K::V),
            P("VpcSecurityGroupIds", "vpc_security_group_ids", K::V),
            P("Port", "port", K::V),
            P("StorageEncrypted", "storage_encrypted", K::V),
            P("KmsKeyId", "kms_key_id", K::V),
            P(
                "EnableIAMDatabaseAuthentication",
                "iam_database_authentication_enabled",
                K::V,
            ),
            P("DeletionProtection", "deletion_protection", K::V),
            P("BackupRetentionPeriod", "backup_retention_period", K::V),
            P("CopyTagsToSnapshot", "copy_tags_to_snapshot", K::V),
            P(
                "EnableCloudwatchLogsExports",
                "enabled_cloudwatch_logs_exports",
                K::V,
            ),
            P("MasterUsername", "master_username", K::V),
            P(
                "ManageMasterUserPassword",
                "manage_master_user_password",
                K::V,
            ),
            P(
                "MasterUserSecret",
                "",
                K::Flat(&[P("KmsKeyId", "master_user_secret_kms_key_id", K::V)]),
            ),
            P(
                "ReplicationSourceIdentifier",
                "replication_source_identifier",
                K::V,
            ),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: CLUSTER_INSTANCE,
        tf: "aws_rds_cluster_instance",
        reference: "id",
        attributes: &[("Endpoint.Address", "endpoint")],
        props: &[
            P("Engine", "engine", K::V),
            P("DBClusterIdentifier", "cluster_identifier", K::V),
            P("DBInstanceClass", "instance_class", K::V),
            P("AvailabilityZone", "availability_zone", K::V),
            P("PromotionTier", "promotion_tier", K::V),
            P("PubliclyAccessible", "publicly_accessible", K::V),
            P(
                "AutoMinorVersionUpgrade",
                "auto_minor_version_upgrade",
                K::V,
            ),
            P(
                "EnablePerformanceInsights",
                "performance_insights_enabled",
                K::V,
            ),
            P(
                "PerformanceInsightsKMSKeyId",
                "performance_insights_kms_key_id",
                K::V,
            ),
            P("CopyTagsToSnapshot", "copy_tags_to_snapshot", K::V),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::RDS::DBInstance",
        tf: "aws_db_instance",
        reference: "identifier",
        attributes: &[
            ("DbiResourceId", "resource_id"),
            ("Endpoint.Address", "address"),
        ],
        props: &[
            P("Engine", "engine", K::V),
            P("EngineVersion", "engine_version", K::V),
            P("DBInstanceClass", "instance_class", K::V),
            P("AllocatedStorage", "allocated_storage", K::V),
            P("StorageType", "storage_type", K::V),
            P("MasterUsername", "username", K::V),
            P(
                "ManageMasterUserPassword",
                "manage_master_user_password",
                K::V,
            ),
            P(
                "MasterUserSecret",
                "",
                K::Flat(&[P("KmsKeyId", "master_user_secret_kms_key_id", K::V)]),
            ),
            P("StorageEncrypted", "storage_encrypted", K::V),
            P("KmsKeyId", "kms_key_id", K::V),
            P(
                "EnableIAMDatabaseAuthentication",
                "iam_database_authentication_enabled",
                K::V,
            ),
            P("MultiAZ", "multi_az", K::V),
            P("PubliclyAccessible", "publicly_accessible", K::V),
            P("DeletionProtection", "deletion_protection", K::V),
            P("BackupRetentionPeriod", "backup_retention_period", K::V),
            P("CopyTagsToSnapshot", "copy_tags_to_snapshot", K::V),
            P(
                "AutoMinorVersionUpgrade",
                "auto_minor_version_upgrade",
                K::V,
            ),
            P(
                "EnablePerformanceInsights",
                "performance_insights_enabled",
                K::V,
            ),
            P(
                "PerformanceInsightsKMSKeyId",
                "performance_insights_kms_key_id",
                K::V,
            ),
            P(
                "EnableCloudwatchLogsExports",
                "enabled_cloudwatch_logs_exports",
                K::V,
            ),
            P("DBSubnetGroupName", "db_subnet_group_name", K::V),
            P("VPCSecurityGroups", "vpc_security_group_ids", K::V),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::ElastiCache::SubnetGroup",
        tf: "aws_elasticache_subnet_group",
        reference: "name",
        attributes: &[],
        props: &[
            P("Description", "description", K::V),
            P("CacheSubnetGroupName", "name", K::V),
            P("SubnetIds", "subnet_ids", K::V),
            TAGS,
        ],
        hook: Some(subnet_group_name),
    },
    Mapping {
        cfn: "AWS::ElastiCache::ReplicationGroup",
        tf: "aws_elasticache_replication_group",
        reference: "id",
        attributes: &[
            ("PrimaryEndPoint.Address", "primary_endpoint_address"),
            (
                "ConfigurationEndPoint.Address",
                "configuration_endpoint_address",
            ),
        ],
        props: &[
            P("ReplicationGroupId", "replication_group_id", K::V),
            P("ReplicationGroupDescription", "description", K::V),
            P("Engine", "engine", K::V),
            P("EngineVersion", "engine_version", K::V),
            P("CacheNodeType", "node_type", K::V),
            P("NumNodeGroups", "num_node_groups", K::V),
            P("ReplicasPerNodeGroup", "replicas_per_node_group", K::V),
            P(
                "AutomaticFailoverEnabled",
                "automatic_failover_enabled",
                K::V,
            ),
            P("MultiAZEnabled", "multi_az_enabled", K::V),
            P("ClusterMode", "cluster_mode", K::V),
            P(
                "AtRestEncryptionEnabled",
                "at_rest_encryption_enabled",
                K::V,
            ),
            P("KmsKeyId", "kms_key_id", K::V),
            P(
                "TransitEncryptionEnabled",
                "transit_encryption_enabled",
                K::V,
            ),
            P("TransitEncryptionMode", "transit_encryption_mode", K::V),
            P("UserGroupIds", "user_group_ids", K::V),
            P("Port", "port", K::V),
            P("CacheSubnetGroupName", "subnet_group_name", K::V),
            P("SecurityGroupIds", "security_group_ids", K::V),
            P("SnapshotRetentionLimit", "snapshot_retention_limit", K::V),
            P(
                "AutoMinorVersionUpgrade",
                "auto_minor_version_upgrade",
                K::V,
            ),
            TAGS,
        ],
        hook: Some(replication_group_id),
    },
    Mapping {
        cfn: "AWS::ElastiCache::CacheCluster",
        tf: "aws_elasticache_cluster",
        reference: "id",
        attributes: &[("ConfigurationEndpoint.Address", "configuration_endpoint")],
        props: &[
            P("ClusterName", "cluster_id", K::V),
            P("Engine", "engine", K::V),
            P("EngineVersion", "engine_version", K::V),
            P("CacheNodeType", "node_type", K::V),
            P("NumCacheNodes", "num_cache_nodes", K::V),
            P("AZMode", "az_mode", K::V),
            P(
                "TransitEncryptionEnabled",
                "transit_encryption_enabled",
                K::V,
            ),
            P("Port", "port", K::V),
            P("CacheSubnetGroupName", "subnet_group_name", K::V),
            P("VpcSecurityGroupIds", "security_group_ids", K::V),
            P(
                "AutoMinorVersionUpgrade",
                "auto_minor_version_upgrade",
                K::Str,
            ),
            TAGS,
        ],
        hook: Some(cluster_id),
    },
    Mapping {
        cfn: "AWS::RDS::DBClusterEndpoint",
        tf: "aws_rds_cluster_endpoint",
        reference: "cluster_endpoint_identifier",
        attributes: &[("Endpoint", "endpoint")],
        props: &[
            P("DBClusterIdentifier", "cluster_identifier", K::V),
            P(
                "DBClusterEndpointIdentifier",
                "cluster_endpoint_identifier",
                K::V,
            ),
            P("CustomEndpointType", "custom_endpoint_type", K::V),
            P("StaticMembers", "static_members", K::V),
            P("ExcludedMembers", "excluded_members", K::V),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::ElastiCache::User",
        tf: "aws_elasticache_user",
        reference: "user_id",
        attributes: &[],
        props: &[
            P("UserId", "user_id", K::V),
            P("UserName", "user_name", K::V),
            P("Engine", "engine", K::V),
            P("AccessString", "access_string", K::V),
            P(
                "AuthenticationMode",
                "authentication_mode",
                K::Block(&[P("Type", "type", K::V)]),
            ),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::ElastiCache::UserGroup",
        tf: "aws_elasticache_user_group",
        reference: "user_group_id",
        attributes: &[],
        props: &[
            P("UserGroupId", "user_group_id", K::V),
            P("Engine", "engine", K::V),
            P("UserIds", "user_ids", K::V),
            TAGS,
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::DynamoDB::Table",
        tf: "aws_dynamodb_table",
        reference: "name",
        attributes: &[("Arn", "arn")],
        props: &[
            P("TableName", "name", K::V),
            P("BillingMode", "billing_mode", K::V),
            P(
                "AttributeDefinitions",
                "attribute",
                K::Blocks(&[
                    P("AttributeName", "name", K::V),
                    P("AttributeType", "type", K::V),
                ]),
            ),
            P("KeySchema", "", K::Hook),
            P(
                "SSESpecification",
                "server_side_encryption",
                K::Block(&[
                    P("SSEEnabled", "enabled", K::V),
                    P("SSEType", "", K::Hook),
                    P("KMSMasterKeyId", "kms_key_arn", K::V),
                ]),
            ),
            P(
                "PointInTimeRecoverySpecification",
                "point_in_time_recovery",
                K::Block(&[P("PointInTimeRecoveryEnabled", "enabled", K::V)]),
            ),
            P(
                "DeletionProtectionEnabled",
                "deletion_protection_enabled",
                K::V,
            ),
            TAGS,
        ],
        hook: Some(key_schema),
    },
    Mapping {
        cfn: "AWS::MSK::Configuration",
        tf: "aws_msk_configuration",
        reference: "arn",
        attributes: &[
            ("Arn", "arn"),
            ("LatestRevision.Revision", "latest_revision"),
        ],
        props: &[
            P("Name", "name", K::V),
            P("Description", "description", K::V),
            P("ServerProperties", "server_properties", K::V),
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::MSK::Cluster",
        tf: "aws_msk_cluster",
        reference: "arn",
        attributes: &[("Arn", "arn")],
        props: &[
            P("ClusterName", "cluster_name", K::V),
            P("KafkaVersion", "kafka_version", K::V),
            P("NumberOfBrokerNodes", "number_of_broker_nodes", K::V),
            P(
                "BrokerNodeGroupInfo",
                "broker_node_group_info",
                K::Block(&[
                    P("InstanceType", "instance_type", K::V),
                    P("ClientSubnets", "client_subnets", K::V),
                    P("SecurityGroups", "security_groups", K::V),
                    P(
                        "StorageInfo",
                        "storage_info",
                        K::Block(&[P(
                            "EBSStorageInfo",
                            "ebs_storage_info",
                            K::Block(&[P("VolumeSize", "volume_size", K::V)]),
                        )]),
                    ),
                ]),
            ),
            P(
                "ConfigurationInfo",
                "configuration_info",
                K::Block(&[P("Arn", "arn", K::V), P("Revision", "revision", K::V)]),
            ),
            P(
                "EncryptionInfo",
                "encryption_info",
                K::Block(&[
                    P(
                        "EncryptionAtRest",
                        "",
                        K::Flat(&[P(
                            "DataVolumeKMSKeyId",
                            "encryption_at_rest_kms_key_arn",
                            K::V,
                        )]),
                    ),
                    P(
                        "EncryptionInTransit",
                        "encryption_in_transit",
                        K::Block(&[
                            P("ClientBroker", "client_broker", K::V),
                            P("InCluster", "in_cluster", K::V),
                        ]),
                    ),
                ]),
            ),
            P("ClientAuthentication", "", K::Hook),
            P("EnhancedMonitoring", "enhanced_monitoring", K::V),
            P(
                "LoggingInfo",
                "logging_info",
                K::Block(&[P(
                    "BrokerLogs",
                    "broker_logs",
                    K::Block(&[P(
                        "CloudWatchLogs",
                        "cloudwatch_logs",
                        K::Block(&[
                            P("Enabled", "enabled", K::V),
                            P("LogGroup", "log_group", K::V),
                        ]),
                    )]),
                )]),
            ),
            TAGS,
        ],
        hook: Some(client_authentication),
    },
    Mapping {
        cfn: "AWS::MSK::ClusterPolicy",
        tf: "aws_msk_cluster_policy",
        reference: "id",
        attributes: &[],
        props: &[
            P("ClusterArn", "cluster_arn", K::V),
            P("Policy", "policy", K::Json),
        ],
        hook: None,
    },
    Mapping {
        cfn: "AWS::MSK::BatchScramSecret",
        tf: "aws_msk_scram_secret_association",
        reference: "id",
        attributes: &[],
        props: &[
            P("ClusterArn", "cluster_arn", K::V),
            P("SecretArnList", "secret_arn_list", K::V),
        ],
        hook: Some(scram_association),
    },
    Mapping {
        cfn: "AWS::SecretsManager::Secret",
        tf: "aws_secretsmanager_secret",
        reference: "arn",
        attributes: &[("Id", "arn")],
        props: &[
            P("Name", "name", K::V),
            P("Description", "description", K::V),
            P("KmsKeyId", "kms_key_id", K::V),
            P("GenerateSecretString", "", K::Hook),
            TAGS,
        ],
        hook: Some(generated_secret),
    },
    Mapping {
        cfn: "AWS::SecretsManager::ResourcePolicy",
        tf: "aws_secretsmanager_secret_policy",
        reference: "id",
        attributes: &[],
        props: &[
            P("SecretId", "secret_arn", K::V),
            P("ResourcePolicy", "policy", K::Json),
            P("BlockPublicPolicy", "block_public_policy", K::V),
        ],
        hook: None,
    },
    // Topics: the `Mongey/kafka` provider, over IAM authentication.
    Mapping {
        cfn: "AWS::MSK::Topic",
        tf: "kafka_topic",
        reference: "name",
        attributes: &[],
        props: &[
            P("ClusterArn", "", K::Hook),
            P("TopicName", "name", K::V),
            P("PartitionCount", "partitions", K::V),
            P("ReplicationFactor", "replication_factor", K::V),
            P("Configs", "", K::Hook),
        ],
        hook: Some(topic),
    },
];

fn parameters(
    _cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if let Some(Value::Object(params)) = r.properties.get("Parameters") {
        let blocks: Vec<Value> = params
            .iter()
            .map(|(k, v)| json!({ "name": k, "value": v }))
            .collect();
        out.insert("parameter".into(), Value::Array(blocks));
    }
}

fn subnet_group_name(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if !out.contains_key("name") {
        out.insert(
            "name".into(),
            json!(cx.physical_name(&r.logical_id, 255).to_lowercase()),
        );
    }
}

fn replication_group_id(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if !out.contains_key("replication_group_id") {
        out.insert(
            "replication_group_id".into(),
            json!(cx.physical_name(&r.logical_id, 40).to_lowercase()),
        );
    }
}

fn cluster_id(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if !out.contains_key("cluster_id") {
        out.insert(
            "cluster_id".into(),
            json!(cx.physical_name(&r.logical_id, 40).to_lowercase()),
        );
    }
    if let Some(Value::String(s)) = out.get("auto_minor_version_upgrade") {
        let b = s == "true";
        out.insert("auto_minor_version_upgrade".into(), json!(b.to_string()));
    }
}

fn key_schema(
    _cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if let Some(Value::Array(keys)) = r.properties.get("KeySchema") {
        for k in keys {
            let name = k.get("AttributeName").cloned().unwrap_or(Value::Null);
            match k.get("KeyType").and_then(Value::as_str) {
                Some("HASH") => {
                    out.insert("hash_key".into(), name);
                }
                Some("RANGE") => {
                    out.insert("range_key".into(), name);
                }
                _ => {}
            }
        }
    }
}

fn client_authentication(
    _cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    if let Some(a) = r.properties.get("ClientAuthentication") {
        let iam = a
            .pointer("/Sasl/Iam/Enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let unauthenticated = a
            .pointer("/Unauthenticated/Enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        out.insert(
            "client_authentication".into(),
            if a.pointer("/Sasl/Scram/Enabled").and_then(Value::as_bool) == Some(true) {
                json!({ "sasl": { "iam": iam, "scram": true }, "unauthenticated": unauthenticated })
            } else {
                json!({ "sasl": { "iam": iam }, "unauthenticated": unauthenticated })
            },
        );
    }
}

/// `GenerateSecretString`: CloudFormation generates the value when it
/// creates the secret. Here a version holds the template's keys and a
/// password from Secrets Manager's generator, read once: later plans keep
/// the stored value (`ignore_changes`), as CloudFormation does.
fn generated_secret(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    _out: &mut Map<String, Value>,
    name: &str,
) {
    let Some(g) = r.properties.get("GenerateSecretString") else {
        return;
    };
    let template = g
        .get("SecretStringTemplate")
        .and_then(Value::as_str)
        .unwrap_or("{}");
    let Some(key) = g.get("GenerateStringKey").and_then(Value::as_str) else {
        cx.problem(format!(
            "`{}`: `GenerateSecretString` without `GenerateStringKey` has no Terraform form here",
            r.logical_id
        ));
        return;
    };
    let mut password = Map::new();
    for (cfn, tf) in [
        ("PasswordLength", "password_length"),
        ("ExcludePunctuation", "exclude_punctuation"),
        ("ExcludeCharacters", "exclude_characters"),
        ("IncludeSpace", "include_space"),
        ("RequireEachIncludedType", "require_each_included_type"),
    ] {
        if let Some(v) = g.get(cfn) {
            password.insert(tf.into(), v.clone());
        }
    }
    cx.data_source("aws_secretsmanager_random_password", name, password);
    let value = format!(
        "${{jsonencode(merge(jsondecode({}), {{ {key} = data.aws_secretsmanager_random_password.{name}.random_password }}))}}",
        serde_json::to_string(template).unwrap_or_default()
    );
    let mut version = Map::new();
    version.insert(
        "secret_id".into(),
        json!(format!("${{aws_secretsmanager_secret.{name}.id}}")),
    );
    version.insert("secret_string".into(), json!(value));
    version.insert(
        "lifecycle".into(),
        json!({ "ignore_changes": ["secret_string"] }),
    );
    cx.extra("aws_secretsmanager_secret_version", name, version);
}

/// MSK reads the secret's value when it is associated: after its version.
fn scram_association(
    cx: &mut Cx<'_>,
    r: &landfall_graph::Resource,
    out: &mut Map<String, Value>,
    _name: &str,
) {
    let versions: Vec<Value> = r
        .properties
        .get("SecretArnList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("Ref").and_then(Value::as_str))
        .filter(|id| cx.address(id).is_some())
        .map(|id| {
            json!(format!(
                "aws_secretsmanager_secret_version.{}",
                crate::expr::snake(id)
            ))
        })
        .collect();
    if !versions.is_empty() {
        out.insert("depends_on".into(), Value::Array(versions));
    }
}

/// `Configs` is base64 of a JSON object of topic properties in
/// CloudFormation (`Fn::Base64` of the JSON text here); the Kafka
/// provider takes the properties as a map.
fn topic(cx: &mut Cx<'_>, r: &landfall_graph::Resource, out: &mut Map<String, Value>, _name: &str) {
    if let Some(configs) = r.properties.get("Configs") {
        match configs
            .get("Fn::Base64")
            .and_then(Value::as_str)
            .and_then(|text| serde_json::from_str::<Map<String, Value>>(text).ok())
        {
            Some(map) => {
                out.insert("config".into(), Value::Object(map));
            }
            None => cx.problem(format!(
                "{}: `Configs` must be `Fn::Base64` of a JSON object",
                r.logical_id
            )),
        }
    }
    let cluster = r
        .properties
        .get("ClusterArn")
        .and_then(|v| v.get("Ref"))
        .and_then(Value::as_str);
    match cluster.and_then(|c| cx.address(c)) {
        Some(addr) => cx.kafka_provider(&addr),
        None => cx.problem(format!(
            "{}: `ClusterArn` must be a `Ref` to an MSK cluster of the stack",
            r.logical_id
        )),
    }
}
