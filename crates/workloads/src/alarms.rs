//! CloudWatch alarms on the workload layer's services and data stores.
//!
//! Each alarm is named `landfall/<alert>/<label>=<value>/...`: its state
//! changes reach the remediation service through the platform's alert
//! path (the alerting layer), which reads the alert and its target's
//! labels from the name, as from an Alertmanager alert's labels. Alerts
//! listed in `observability.remediation.automatic` may then be acted on.

use serde_json::{json, Value};

use crate::ctx::{import, Builder};

/// An alarm's name from its alert and its target's labels.
pub fn alarm_name(alert: &str, labels: &[(&str, &str)]) -> String {
    let mut name = format!("landfall/{alert}");
    for (key, value) in labels {
        name.push_str(&format!("/{key}={value}"));
    }
    name
}

/// One metric of a metric-math alarm.
fn metric(id: &str, namespace: &str, name: &str, dimensions: &Value, stat: &str) -> Value {
    json!({
        "Id": id,
        "MetricStat": {
            "Metric": { "Namespace": namespace, "MetricName": name, "Dimensions": dimensions },
            "Period": 60,
            "Stat": stat
        },
        "ReturnData": false
    })
}

/// Fewer tasks running than desired for five minutes, from Container
/// Insights' service metrics (enabled on every cluster,
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html>).
pub(crate) fn service_below_desired(
    b: &mut Builder,
    account_stack: &str,
    service: &str,
    environment: &str,
    tags: Value,
) {
    let dimensions = json!([
        { "Name": "ClusterName", "Value": import(account_stack, "ClusterName") },
        { "Name": "ServiceName", "Value": service }
    ]);
    b.add(
        "BelowDesiredCountAlarm",
        "AWS::CloudWatch::Alarm",
        json!({
            "AlarmName": alarm_name("EcsServiceBelowDesiredCount", &[("service", service), ("environment", environment)]),
            "AlarmDescription": format!("{service} runs fewer tasks than desired"),
            "Metrics": [
                metric("desired", "ECS/ContainerInsights", "DesiredTaskCount", &dimensions, "Maximum"),
                metric("running", "ECS/ContainerInsights", "RunningTaskCount", &dimensions, "Minimum"),
                { "Id": "missing", "Expression": "desired - running", "Label": "tasks below the desired count", "ReturnData": true }
            ],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
            "EvaluationPeriods": 5,
            "DatapointsToAlarm": 5,
            "TreatMissingData": "notBreaching",
            "Tags": tags
        }),
    );
}

/// The alert of a service whose targets answer more than 5 % of its
/// requests with a 5xx for five minutes.
pub const TARGET_5XX_HIGH: &str = "LoadBalancerTarget5xxHigh";
/// The alert of a service with no healthy target behind its load balancer.
pub const NO_HEALTHY_TARGETS: &str = "LoadBalancerNoHealthyTargets";

/// The load balancer's view of a service behind it: its targets' 5xx share
/// of its requests, and whether any target is healthy, from the target
/// group's metrics (dimensions `LoadBalancer` and `TargetGroup`, both the
/// resources' full names,
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>).
pub(crate) fn load_balancer_targets(
    b: &mut Builder,
    account_stack: &str,
    service: &str,
    environment: &str,
    tags: &Value,
) {
    let dimensions = json!([
        { "Name": "LoadBalancer", "Value": import(account_stack, "LoadBalancerFullName") },
        { "Name": "TargetGroup", "Value": { "Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"] } }
    ]);
    let labels = [("service", service), ("environment", environment)];
    b.add(
        "Target5xxAlarm",
        "AWS::CloudWatch::Alarm",
        json!({
            "AlarmName": alarm_name(TARGET_5XX_HIGH, &labels),
            "AlarmDescription": format!("{service} answers more than 5 % of its requests with a 5xx"),
            "Metrics": [
                metric("errors", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", &dimensions, "Sum"),
                metric("requests", "AWS/ApplicationELB", "RequestCount", &dimensions, "Sum"),
                // No 5xx in a minute is no datapoint, not a gap.
                { "Id": "share", "Expression": "100 * FILL(errors, 0) / requests", "Label": "5xx share of requests (%)", "ReturnData": true }
            ],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 5,
            "EvaluationPeriods": 5,
            "DatapointsToAlarm": 5,
            "TreatMissingData": "notBreaching",
            "Tags": tags
        }),
    );
    b.add(
        "HealthyTargetsAlarm",
        "AWS::CloudWatch::Alarm",
        json!({
            "AlarmName": alarm_name(NO_HEALTHY_TARGETS, &labels),
            "AlarmDescription": format!("{service} has no healthy target behind its load balancer"),
            "Namespace": "AWS/ApplicationELB",
            "MetricName": "HealthyHostCount",
            "Dimensions": dimensions,
            "Statistic": "Minimum",
            "Period": 60,
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 1,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            "TreatMissingData": "notBreaching",
            "Tags": tags
        }),
    );
}

/// Aurora replicas more than a second behind the writer for five minutes
/// (`AuroraReplicaLagMaximum`, per cluster,
/// <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html>).
pub(crate) fn aurora_replica_lag(b: &mut Builder, store: &str, environment: &str, tags: Value) {
    b.add(
        "ReplicaLagAlarm",
        "AWS::CloudWatch::Alarm",
        json!({
            "AlarmName": alarm_name("AuroraReplicaLagHigh", &[("store", store), ("environment", environment)]),
            "AlarmDescription": format!("a replica of {store} is more than a second behind its writer"),
            "Namespace": "AWS/RDS",
            "MetricName": "AuroraReplicaLagMaximum",
            "Dimensions": [{ "Name": "DBClusterIdentifier", "Value": { "Ref": "Cluster" } }],
            "Statistic": "Maximum",
            "Period": 60,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 1000,
            "EvaluationPeriods": 5,
            "DatapointsToAlarm": 5,
            "TreatMissingData": "notBreaching",
            "Tags": tags
        }),
    );
}

/// The cluster's writer reporting no `EngineUptime` for five minutes: the
/// `WRITER` role's series of the cluster (Aurora's advice is to alarm on
/// the role, since which instance writes changes,
/// <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/creating_alarms.html>;
/// the metric, <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Reboot.Uptime.html>).
/// A writer that crashes is replaced by Aurora within about a minute; one
/// still silent after five is down or hung without Aurora acting, which a
/// failover to a reader answers (the remediation service's
/// `aurora-failover`, with a human's approval). Missing data breaches.
pub(crate) fn aurora_writer_unavailable(
    b: &mut Builder,
    store: &str,
    environment: &str,
    tags: Value,
) {
    b.add(
        "WriterUnavailableAlarm",
        "AWS::CloudWatch::Alarm",
        json!({
            "AlarmName": alarm_name(
                landfall_model::monitoring::AURORA_WRITER_UNAVAILABLE,
                &[("store", store), ("environment", environment)]
            ),
            "AlarmDescription": format!("the writer of {store} has reported nothing for five minutes"),
            "Namespace": "AWS/RDS",
            "MetricName": "EngineUptime",
            "Dimensions": [
                { "Name": "DBClusterIdentifier", "Value": { "Ref": "Cluster" } },
                { "Name": "Role", "Value": "WRITER" }
            ],
            "Statistic": "Minimum",
            "Period": 60,
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 0,
            "EvaluationPeriods": 5,
            "DatapointsToAlarm": 5,
            "TreatMissingData": "breaching",
            "Tags": tags
        }),
    );
}

/// A Kafka broker's data-log disk over 85 % (the alert the remediation
/// service may answer by itself) and partitions under-replicated for five
/// minutes, over every broker of the cluster with a Metrics Insights query
/// (an alarm reads one time series; the query takes the worst broker,
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-alarms.html>,
/// metrics: <https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html>).
pub(crate) fn msk_brokers(b: &mut Builder, store: &str, environment: &str, tags: &Value) {
    let worst = |metric: &str| {
        format!(
            "SELECT MAX({metric}) FROM SCHEMA(\"AWS/Kafka\", \"Broker ID\", \"Cluster Name\") WHERE \"Cluster Name\" = '{store}'"
        )
    };
    for (id, alert, metric, threshold, what) in [
        (
            "BrokerStorageAlarm",
            "MskBrokerStorageHigh",
            "KafkaDataLogsDiskUsed",
            85,
            "a broker's data-log disk is over 85 % full",
        ),
        (
            "UnderReplicatedAlarm",
            "MskUnderReplicatedPartitions",
            "UnderReplicatedPartitions",
            0,
            "partitions are under-replicated",
        ),
    ] {
        b.add(
            id,
            "AWS::CloudWatch::Alarm",
            json!({
                "AlarmName": alarm_name(alert, &[("store", store), ("environment", environment)]),
                "AlarmDescription": format!("{store}: {what}"),
                "Metrics": [{ "Id": "worst", "Expression": worst(metric), "Period": 300, "ReturnData": true }],
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": threshold,
                "EvaluationPeriods": 1,
                "DatapointsToAlarm": 1,
                "TreatMissingData": "notBreaching",
                "Tags": tags
            }),
        );
    }
}

/// The alert of a Valkey node whose memory is over 90 % used.
pub const VALKEY_MEMORY_HIGH: &str = "ValkeyMemoryHigh";
/// The alert of a Valkey node evicting keys for fifteen minutes.
pub const VALKEY_EVICTIONS: &str = "ValkeyEvictions";

/// The cache-node ids ElastiCache gives a replication group's nodes, shard
/// by shard: `<group>-<shard:04>-<node:03>` with cluster mode on,
/// `<group>-<node:03>` with it off; they are the `CacheClusterId`
/// dimension of the engine metrics, published per node
/// (<https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html>).
pub fn valkey_node_ids(group: &str, shards: u8, replicas_per_shard: u8) -> Vec<Vec<String>> {
    let nodes = u32::from(replicas_per_shard) + 1;
    if shards > 1 {
        (1..=shards)
            .map(|shard| {
                (1..=nodes)
                    .map(|node| format!("{group}-{shard:04}-{node:03}"))
                    .collect()
            })
            .collect()
    } else {
        vec![(1..=nodes)
            .map(|node| format!("{group}-{node:03}"))
            .collect()]
    }
}

/// Valkey memory over 90 % and evictions for fifteen minutes, the same
/// thresholds as the metrics pipeline's rules, on the worst node of each
/// shard: an alarm's metric math takes at most ten metrics, and a shard
/// has at most six nodes
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html>).
pub(crate) fn valkey_nodes(
    b: &mut Builder,
    store: &str,
    shards: &[Vec<String>],
    environment: &str,
    tags: &Value,
) {
    for (index, nodes) in shards.iter().enumerate() {
        let shard = format!("{:04}", index + 1);
        let mut labels = vec![("store", store), ("environment", environment)];
        if shards.len() > 1 {
            labels.push(("shard", &shard));
        }
        for (id, alert, metric_name, stat, threshold, what) in [
            (
                "MemoryAlarm",
                VALKEY_MEMORY_HIGH,
                "DatabaseMemoryUsagePercentage",
                "Maximum",
                90,
                "memory is over 90 % used",
            ),
            (
                "EvictionsAlarm",
                VALKEY_EVICTIONS,
                "Evictions",
                "Sum",
                0,
                "keys are being evicted",
            ),
        ] {
            let mut metrics: Vec<Value> = nodes
                .iter()
                .enumerate()
                .map(|(n, node)| {
                    metric(
                        &format!("node{n}"),
                        "AWS/ElastiCache",
                        metric_name,
                        &json!([{ "Name": "CacheClusterId", "Value": node }]),
                        stat,
                    )
                })
                .collect();
            let ids: Vec<String> = (0..nodes.len()).map(|n| format!("node{n}")).collect();
            metrics.push(json!({
                "Id": "worst",
                "Expression": format!("MAX([{}])", ids.join(", ")),
                "Label": format!("worst node: {metric_name}"),
                "ReturnData": true
            }));
            let logical = if shards.len() > 1 {
                format!("{id}Shard{shard}")
            } else {
                id.to_owned()
            };
            b.add(
                &logical,
                "AWS::CloudWatch::Alarm",
                json!({
                    "AlarmName": alarm_name(alert, &labels),
                    "AlarmDescription": format!("{store}: {what}"),
                    "Metrics": metrics,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "Threshold": threshold,
                    "EvaluationPeriods": 15,
                    "DatapointsToAlarm": 15,
                    "TreatMissingData": "notBreaching",
                    "Tags": tags
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_names_carry_the_alert_and_its_labels() {
        assert_eq!(
            alarm_name(
                "MskBrokerStorageHigh",
                &[("store", "market-data-bus"), ("environment", "prod")]
            ),
            "landfall/MskBrokerStorageHigh/store=market-data-bus/environment=prod"
        );
    }

    #[test]
    fn valkey_node_ids_follow_elasticaches_naming_by_cluster_mode() {
        assert_eq!(
            valkey_node_ids("sessions", 1, 2),
            vec![vec!["sessions-001", "sessions-002", "sessions-003"]]
        );
        assert_eq!(
            valkey_node_ids("sessions", 2, 1),
            vec![
                vec!["sessions-0001-001", "sessions-0001-002"],
                vec!["sessions-0002-001", "sessions-0002-002"]
            ]
        );
    }
}
