//! Which metric names exist, and who produces them.
//!
//! Telegraf writes to VictoriaMetrics over the Influx line protocol, where a
//! series is named `<measurement>_<field>`; its CloudWatch input names the
//! measurement after the namespace and the field after the metric and
//! statistic, both in Telegraf's snake case. Rules and panels must query
//! those names exactly, so they are derived here and nowhere else, and the
//! consistency check asks this catalog whether a queried name is produced.

use std::collections::BTreeMap;

/// What produces a metric.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Producer {
    /// A Telegraf input plugin of a generated agent configuration.
    Telegraf { plugin: &'static str },
    /// A recording rule of the generated rule files.
    Recording,
    /// A CloudWatch namespace, read by the platform agent's CloudWatch input.
    CloudWatch { namespace: String },
}

/// The measurement name Telegraf gives an input scraping a service's
/// Prometheus endpoint (`name_override`).
pub const APP_MEASUREMENT: &str = "app";
/// The measurement name of the log agent's (Vector's) own metrics.
pub const LOG_AGENT_MEASUREMENT: &str = "logagent";

/// The metrics every service must expose on its metrics endpoint (the
/// OpenTelemetry HTTP server conventions in Prometheus form).
pub const SERVICE_REQUESTS: &str = "http_server_requests_total";
pub const SERVICE_DURATION: &str = "http_server_request_duration_seconds";

/// A service metric as stored: `app_<name>`.
pub fn app(name: &str) -> String {
    format!("{APP_MEASUREMENT}_{name}")
}

/// Telegraf's snake case (`internal.SnakeCase`): an underscore before an
/// upper-case letter that follows a lower-case one or starts a word.
pub fn telegraf_snake_case(input: &str) -> String {
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        let prev_lower = i > 0 && chars[i - 1].is_lowercase();
        if i > 0 && c.is_uppercase() && (next_lower || prev_lower) {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The CloudWatch input's snake case: Telegraf's, spaces to underscores,
/// doubled underscores collapsed once.
fn cloudwatch_snake_case(input: &str) -> String {
    telegraf_snake_case(input)
        .replace(' ', "_")
        .replace("__", "_")
}

/// `AWS/Kafka` → `cloudwatch_aws_kafka`.
pub fn cloudwatch_measurement(namespace: &str) -> String {
    format!(
        "cloudwatch_{}",
        cloudwatch_snake_case(&namespace.replace('/', "_"))
    )
}

/// The series name of a CloudWatch metric and statistic as stored in
/// VictoriaMetrics: `cloudwatch_aws_kafka_kafka_data_logs_disk_used_maximum`.
pub fn cloudwatch_series(namespace: &str, metric: &str, statistic: Statistic) -> String {
    format!(
        "{}_{}",
        cloudwatch_measurement(namespace),
        cloudwatch_snake_case(&format!("{metric}_{}", statistic.as_str()))
    )
}

/// A CloudWatch dimension as a tag name: `Cluster Name` → `cluster_name`.
pub fn cloudwatch_dimension(name: &str) -> String {
    cloudwatch_snake_case(name)
}

/// The statistics Telegraf's CloudWatch input requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Average,
    Maximum,
    Minimum,
    Sum,
    SampleCount,
}

impl Statistic {
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Average => "average",
            Statistic::Maximum => "maximum",
            Statistic::Minimum => "minimum",
            Statistic::Sum => "sum",
            Statistic::SampleCount => "sample_count",
        }
    }

    pub const ALL: [Statistic; 5] = [
        Statistic::Average,
        Statistic::Maximum,
        Statistic::Minimum,
        Statistic::Sum,
        Statistic::SampleCount,
    ];
}

/// Container Insights, which the workload layer turns on for every cluster;
/// not one of the spec's namespaces, but read by the platform agent.
pub const CONTAINER_INSIGHTS: &str = "ECS/ContainerInsights";

/// The CloudWatch metrics the generated rules read, by namespace.
pub const CLOUDWATCH_METRICS: &[(&str, &[&str])] = &[
    (
        CONTAINER_INSIGHTS,
        &["RunningTaskCount", "DesiredTaskCount", "PendingTaskCount"],
    ),
    (
        "AWS/Kafka",
        &["KafkaDataLogsDiskUsed", "UnderReplicatedPartitions"],
    ),
    (
        "AWS/RDS",
        &[
            "AuroraReplicaLag",
            "AuroraBinlogReplicaLag",
            "CPUUtilization",
        ],
    ),
    (
        "AWS/ElastiCache",
        &["DatabaseMemoryUsagePercentage", "Evictions"],
    ),
    ("AWS/DynamoDB", &["ThrottledRequests"]),
    (CERTIFICATE_MANAGER, &["DaysToExpiry"]),
];

/// ACM's namespace: not one the spec lists for Grafana, but the one
/// certificate expiry is published in.
pub const CERTIFICATE_MANAGER: &str = "AWS/CertificateManager";

/// Metrics produced by each Telegraf input the agents configure, as
/// `<measurement>_<field>` (the fields the tests ingest and query).
pub const TELEGRAF_METRICS: &[(&str, &[&str])] = &[
    (
        "internal",
        &[
            "internal_agent_metrics_gathered",
            "internal_agent_metrics_written",
            "internal_agent_metrics_dropped",
            "internal_agent_gather_errors",
            "internal_write_buffer_size",
        ],
    ),
    (
        "cpu",
        &[
            "cpu_usage_idle",
            "cpu_usage_user",
            "cpu_usage_system",
            "cpu_usage_iowait",
        ],
    ),
    ("mem", &["mem_used_percent", "mem_available"]),
    ("disk", &["disk_used_percent", "disk_free"]),
    ("system", &["system_load1", "system_load5", "system_uptime"]),
    (
        "procstat",
        &["procstat_lookup_running", "procstat_lookup_pid_count"],
    ),
    ("x509_cert", &["x509_cert_expiry"]),
];

/// Every metric name a generated agent or rule produces, with its producer.
pub fn produced(
    cloudwatch_namespaces: &[String],
    recordings: impl Iterator<Item = String>,
) -> BTreeMap<String, Producer> {
    let mut names = BTreeMap::new();
    for (plugin, metrics) in TELEGRAF_METRICS {
        for m in *metrics {
            names.insert((*m).to_owned(), Producer::Telegraf { plugin });
        }
    }
    for suffix in ["", "_bucket", "_count", "_sum"] {
        let name = if suffix.is_empty() {
            app(SERVICE_REQUESTS)
        } else {
            app(&format!("{SERVICE_DURATION}{suffix}"))
        };
        names.insert(
            name,
            Producer::Telegraf {
                plugin: "prometheus",
            },
        );
    }
    names.insert(
        format!("{LOG_AGENT_MEASUREMENT}_vector_build_info"),
        Producer::Telegraf {
            plugin: "prometheus",
        },
    );
    let read: Vec<&str> = cloudwatch_namespaces
        .iter()
        .map(String::as_str)
        .chain([CONTAINER_INSIGHTS])
        .collect();
    for (namespace, metrics) in CLOUDWATCH_METRICS {
        if !read.contains(namespace) {
            continue;
        }
        for metric in *metrics {
            for statistic in Statistic::ALL {
                names.insert(
                    cloudwatch_series(namespace, metric, statistic),
                    Producer::CloudWatch {
                        namespace: (*namespace).to_owned(),
                    },
                );
            }
        }
    }
    for name in recordings {
        names.insert(name, Producer::Recording);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names as the Telegraf CloudWatch input documents them
    /// (plugins/inputs/cloudwatch/README.md: `AWS/DynamoDB` becomes
    /// `cloudwatch_aws_dynamo_db`, `DiskWriteBytes` becomes
    /// `disk_write_bytes_average`).
    #[test]
    fn cloudwatch_names_follow_telegraf() {
        assert_eq!(
            cloudwatch_measurement("AWS/DynamoDB"),
            "cloudwatch_aws_dynamo_db"
        );
        assert_eq!(cloudwatch_measurement("AWS/EC2"), "cloudwatch_aws_ec2");
        assert_eq!(
            cloudwatch_measurement(CONTAINER_INSIGHTS),
            "cloudwatch_ecs_container_insights"
        );
        assert_eq!(
            cloudwatch_series("AWS/EC2", "DiskWriteBytes", Statistic::Average),
            "cloudwatch_aws_ec2_disk_write_bytes_average"
        );
        assert_eq!(
            cloudwatch_series("AWS/Kafka", "KafkaDataLogsDiskUsed", Statistic::Maximum),
            "cloudwatch_aws_kafka_kafka_data_logs_disk_used_maximum"
        );
        assert_eq!(
            cloudwatch_series("AWS/RDS", "CPUUtilization", Statistic::Maximum),
            "cloudwatch_aws_rds_cpu_utilization_maximum"
        );
        assert_eq!(cloudwatch_dimension("Cluster Name"), "cluster_name");
        assert_eq!(
            cloudwatch_dimension("DBClusterIdentifier"),
            "db_cluster_identifier"
        );
    }
}
