//! Grafana provisioning: data sources (VictoriaMetrics per region, Jaeger of
//! Grafana's VPC, CloudWatch through the monitoring account), a folder per domain, and dashboards with
//! stable uids: the platform overview, one per domain, one per service, one
//! per data store.

use landfall_model::Model;
use serde_json::{json, Value};

use crate::catalog::{self, cloudwatch_series, Statistic, CONTAINER_INSIGHTS};
use crate::plan::{MonitoredService, MonitoredStore, Plan, StoreKind};
use crate::rules::{errors_ratio, slow_ratio};
use crate::{json_text, yaml, File};

/// The uid of a region's VictoriaMetrics data source.
pub fn metrics_datasource(region: &str) -> String {
    format!("lf-vm-{region}")
}

/// The uid of the Jaeger data source.
pub const JAEGER_DATASOURCE: &str = "lf-jaeger";

/// The uid of the CloudWatch data source.
pub const CLOUDWATCH_DATASOURCE: &str = "lf-cloudwatch";

/// The environment variable holding the ARN of the role the CloudWatch
/// data source assumes: the resource graph's Grafana task sets it
/// (`landfall_synth::layers::grafana::CLOUDWATCH_ROLE_ENV`), and Grafana
/// expands it in the provisioning file.
pub const CLOUDWATCH_ROLE_ARN_ENV: &str = "LANDFALL_CLOUDWATCH_ROLE_ARN";

/// A panel's query, kept typed so the checks can read it back.
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    /// The data source uid.
    pub datasource: String,
    pub query: Query,
}

#[derive(Debug, Clone)]
pub enum Query {
    PromQl(String),
    CloudWatch {
        namespace: String,
        metric: String,
        dimensions: Vec<(String, String)>,
        statistic: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    pub uid: String,
    pub title: String,
    /// The folder (a domain's name, or `platform`).
    pub folder: String,
    pub panels: Vec<Panel>,
}

pub fn datasources(plan: &Plan) -> Vec<Value> {
    let mut sources: Vec<Value> = plan
        .regions
        .iter()
        .map(|region| {
            json!({
                "name": format!("VictoriaMetrics {region}"),
                "uid": metrics_datasource(region),
                "type": "prometheus",
                "access": "proxy",
                // The name in the VPC's zone: its own cluster's, or an
                // endpoint of another region's (the resource graph's
                // `vmselect-link` stacks).
                "url": format!(
                    "http://{}:8481/select/0/prometheus",
                    landfall_model::monitoring::vmselect_host(&plan.organization, region)
                ),
                "isDefault": *region == plan.home_region,
                "jsonData": { "httpMethod": "POST", "timeInterval": format!("{}s", plan.scrape_interval_seconds) },
                "editable": false,
            })
        })
        .collect();
    // Jaeger of Grafana's own VPC, by its name in the VPC's monitoring
    // zone (the workload layer's `-traces-names` stack); the deployability
    // checks prove Grafana's tasks reach it.
    sources.push(json!({
        "name": "Jaeger",
        "uid": JAEGER_DATASOURCE,
        "type": "jaeger",
        "access": "proxy",
        "url": format!(
            "http://{}:{}",
            landfall_model::monitoring::jaeger_query_host(&plan.organization),
            landfall_model::monitoring::JAEGER_QUERY_PORT
        ),
        "editable": false,
    }));
    sources.push(json!({
        "name": "CloudWatch",
        "uid": CLOUDWATCH_DATASOURCE,
        "type": "cloudwatch",
        "access": "proxy",
        // Grafana runs in the observability account, whose OAM sink sees
        // every linked account's metrics; its task role's credentials
        // assume the account's CloudWatch read role.
        "jsonData": {
            "authType": "default",
            "assumeRoleArn": format!("${{{CLOUDWATCH_ROLE_ARN_ENV}}}"),
            "defaultRegion": plan.home_region
        },
        "editable": false,
    }));
    sources
}

fn region_of(plan: &Plan) -> String {
    metrics_datasource(&plan.home_region)
}

fn service_dashboard(plan: &Plan, s: &MonitoredService) -> Dashboard {
    let vm = region_of(plan);
    let sel = format!("service=\"{}\"", s.name);
    let requests = catalog::app(catalog::SERVICE_REQUESTS);
    let bucket = catalog::app(&format!("{}_bucket", catalog::SERVICE_DURATION));
    let prom = |title: &str, expr: String| Panel {
        title: title.to_owned(),
        datasource: vm.clone(),
        query: Query::PromQl(expr),
    };
    let mut panels = vec![
        prom(
            "Requests per second",
            format!("sum by (environment, region) (rate({requests}{{{sel}}}[5m]))"),
        ),
        prom("Error ratio (5m)", format!("{}{{{sel}}}", errors_ratio("5m"))),
        prom(
            "Latency p99",
            format!("histogram_quantile(0.99, sum by (le, environment, region) (rate({bucket}{{{sel}}}[5m])))"),
        ),
        prom(
            &format!("Slower than {} ms (5m)", s.slo.latency_ms),
            format!("{}{{{sel}}}", slow_ratio(s.slo.latency_ms, "5m")),
        ),
        prom(
            "Agent buffer (saturation of the metrics path)",
            format!("internal_write_buffer_size{{{sel}}}"),
        ),
    ];
    for (metric, statistic) in [
        ("RunningTaskCount", "Minimum"),
        ("DesiredTaskCount", "Maximum"),
        ("CpuUtilized", "Average"),
    ] {
        panels.push(Panel {
            title: format!("ECS {metric}"),
            datasource: CLOUDWATCH_DATASOURCE.to_owned(),
            query: Query::CloudWatch {
                namespace: CONTAINER_INSIGHTS.to_owned(),
                metric: metric.to_owned(),
                dimensions: vec![("ServiceName".to_owned(), s.name.clone())],
                statistic,
            },
        });
    }
    for store in &s.data_stores {
        panels.push(prom(
            &format!("Alerts of data store {store}"),
            format!("ALERTS{{store=\"{store}\"}}"),
        ));
    }
    Dashboard {
        uid: s.dashboard_uid.clone(),
        title: format!("Service {}", s.name),
        folder: s.domain.clone(),
        panels,
    }
}

fn store_dashboard(plan: &Plan, s: &MonitoredStore) -> Dashboard {
    let vm = region_of(plan);
    let cw = |namespace: &str, metric: &str, dimension: &str, value: &str| Panel {
        title: metric.to_owned(),
        datasource: CLOUDWATCH_DATASOURCE.to_owned(),
        query: Query::CloudWatch {
            namespace: namespace.to_owned(),
            metric: metric.to_owned(),
            dimensions: vec![(dimension.to_owned(), value.to_owned())],
            statistic: "Maximum",
        },
    };
    let mut panels = match s.kind {
        StoreKind::Msk => vec![
            Panel {
                title: "Broker data disk used (%)".to_owned(),
                datasource: vm.clone(),
                query: Query::PromQl(format!(
                    "{}{{cluster_name=\"{}\"}}",
                    cloudwatch_series("AWS/Kafka", "KafkaDataLogsDiskUsed", Statistic::Maximum),
                    s.cloudwatch_id
                )),
            },
            cw(
                "AWS/Kafka",
                "UnderReplicatedPartitions",
                "Cluster Name",
                &s.cloudwatch_id,
            ),
        ],
        StoreKind::Valkey => vec![
            cw(
                "AWS/ElastiCache",
                "DatabaseMemoryUsagePercentage",
                "ReplicationGroupId",
                &s.cloudwatch_id,
            ),
            cw(
                "AWS/ElastiCache",
                "Evictions",
                "ReplicationGroupId",
                &s.cloudwatch_id,
            ),
        ],
        StoreKind::Aurora => vec![
            cw(
                "AWS/RDS",
                "AuroraReplicaLag",
                "DBClusterIdentifier",
                &s.name,
            ),
            cw("AWS/RDS", "CPUUtilization", "DBClusterIdentifier", &s.name),
        ],
        StoreKind::Dynamodb => vec![cw(
            "AWS/DynamoDB",
            "ThrottledRequests",
            "TableName",
            &s.name,
        )],
        StoreKind::Other => Vec::new(),
    };
    panels.push(Panel {
        title: "Firing alerts".to_owned(),
        datasource: vm,
        query: Query::PromQl(format!(
            "ALERTS{{store=\"{}\",alertstate=\"firing\"}}",
            s.name
        )),
    });
    Dashboard {
        uid: s.dashboard_uid.clone(),
        title: format!("Data store {}", s.name),
        folder: s.domain.clone(),
        panels,
    }
}

fn domain_dashboard(plan: &Plan, domain: &str) -> Dashboard {
    let vm = region_of(plan);
    let requests = catalog::app(catalog::SERVICE_REQUESTS);
    Dashboard {
        uid: crate::plan::uid("domain", domain),
        title: format!("Domain {domain}"),
        folder: domain.to_owned(),
        panels: vec![
            Panel {
                title: "Requests per second by service".to_owned(),
                datasource: vm.clone(),
                query: Query::PromQl(format!(
                    "sum by (service) (rate({requests}{{domain=\"{domain}\"}}[5m]))"
                )),
            },
            Panel {
                title: "Error ratio by service (1h)".to_owned(),
                datasource: vm.clone(),
                query: Query::PromQl(format!("{}{{domain=\"{domain}\"}}", errors_ratio("1h"))),
            },
            Panel {
                title: "Firing alerts".to_owned(),
                datasource: vm,
                query: Query::PromQl(format!(
                    "ALERTS{{domain=\"{domain}\",alertstate=\"firing\"}}"
                )),
            },
        ],
    }
}

fn overview(plan: &Plan) -> Dashboard {
    let vm = region_of(plan);
    let requests = catalog::app(catalog::SERVICE_REQUESTS);
    Dashboard {
        uid: "lf-platform-overview".to_owned(),
        title: "Platform overview".to_owned(),
        folder: crate::plan::PLATFORM_DOMAIN.to_owned(),
        panels: vec![
            Panel {
                title: "Requests per second by domain".to_owned(),
                datasource: vm.clone(),
                query: Query::PromQl(format!("sum by (domain) (rate({requests}[5m]))")),
            },
            Panel {
                title: "Error ratio by region (5m)".to_owned(),
                datasource: vm.clone(),
                query: Query::PromQl(format!(
                    "sum by (environment, region) (rate({requests}{{code=~\"5..\"}}[5m])) / sum by (environment, region) (rate({requests}[5m]))"
                )),
            },
            Panel {
                title: "Agents reporting".to_owned(),
                datasource: vm.clone(),
                query: Query::PromQl("count by (region) (internal_agent_metrics_gathered)".to_owned()),
            },
            Panel {
                title: "Firing alerts by domain".to_owned(),
                datasource: vm,
                query: Query::PromQl("count by (domain) (ALERTS{alertstate=\"firing\"})".to_owned()),
            },
        ],
    }
}

pub fn dashboards(plan: &Plan) -> Vec<Dashboard> {
    let mut all = vec![overview(plan)];
    let mut domains: Vec<&str> = plan
        .teams
        .iter()
        .filter_map(|t| t.domain.as_deref())
        .collect();
    domains.retain(|d| *d != crate::plan::PLATFORM_DOMAIN);
    domains.sort_unstable();
    domains.dedup();
    all.extend(domains.iter().map(|d| domain_dashboard(plan, d)));
    all.extend(plan.services.iter().map(|s| service_dashboard(plan, s)));
    all.extend(plan.stores.iter().map(|s| store_dashboard(plan, s)));
    all
}

fn panel_json(panel: &Panel, index: usize) -> Value {
    let (ds_type, target) = match &panel.query {
        Query::PromQl(expr) => (
            "prometheus",
            json!({ "refId": "A", "expr": expr, "datasource": { "type": "prometheus", "uid": panel.datasource } }),
        ),
        Query::CloudWatch {
            namespace,
            metric,
            dimensions,
            statistic,
        } => {
            let dims: serde_json::Map<String, Value> = dimensions
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            (
                "cloudwatch",
                json!({
                    "refId": "A",
                    "datasource": { "type": "cloudwatch", "uid": panel.datasource },
                    "namespace": namespace,
                    "metricName": metric,
                    "dimensions": dims,
                    "statistic": statistic,
                    "region": "default",
                    "matchExact": true,
                    "queryMode": "Metrics",
                    "metricQueryType": 0,
                    "metricEditorMode": 0,
                    "period": "",
                    "id": "",
                    "expression": "",
                }),
            )
        }
    };
    let x = (index % 2) * 12;
    let y = (index / 2) * 8;
    json!({
        "id": index + 1,
        "type": "timeseries",
        "title": panel.title,
        "datasource": { "type": ds_type, "uid": panel.datasource },
        "gridPos": { "h": 8, "w": 12, "x": x, "y": y },
        "targets": [target],
        "fieldConfig": { "defaults": {}, "overrides": [] },
        "options": {},
    })
}

pub fn dashboard_json(plan: &Plan, d: &Dashboard) -> Value {
    json!({
        "uid": d.uid,
        "title": d.title,
        "tags": ["landfall", d.folder],
        "timezone": "utc",
        "editable": false,
        "schemaVersion": plan.profile.grafana_schema_version,
        "version": 1,
        "time": { "from": "now-6h", "to": "now" },
        "refresh": "1m",
        "panels": d.panels.iter().enumerate().map(|(i, p)| panel_json(p, i)).collect::<Vec<_>>(),
    })
}

pub fn render(_model: &Model, plan: &Plan) -> Vec<File> {
    let mut files = vec![File {
        path: "grafana/provisioning/datasources/landfall.yml".to_owned(),
        contents: crate::rules::header("#")
            + &yaml::to_yaml(&json!({ "apiVersion": 1, "datasources": datasources(plan) })),
    }];
    let dashboards = dashboards(plan);
    let mut folders: Vec<&str> = dashboards.iter().map(|d| d.folder.as_str()).collect();
    folders.sort_unstable();
    folders.dedup();
    let providers: Vec<Value> = folders
        .iter()
        .map(|f| {
            json!({
                "name": format!("landfall-{f}"),
                "folder": f,
                "folderUid": crate::plan::uid("folder", f),
                "type": "file",
                "disableDeletion": true,
                "allowUiUpdates": false,
                "options": { "path": format!("/var/lib/grafana/dashboards/landfall/{f}") },
            })
        })
        .collect();
    files.push(File {
        path: "grafana/provisioning/dashboards/landfall.yml".to_owned(),
        contents: crate::rules::header("#")
            + &yaml::to_yaml(&json!({ "apiVersion": 1, "providers": providers })),
    });
    use rayon::prelude::*;
    files.par_extend(dashboards.par_iter().map(|d| File {
        path: format!("grafana/dashboards/{}/{}.json", d.folder, d.uid),
        contents: json_text(&dashboard_json(plan, d)),
    }));
    files
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The Jaeger data source reads Jaeger's query service by the name the
    /// workload layer writes in the monitoring zone of Grafana's VPC, on
    /// the query port Jaeger's load balancer listens on.
    #[test]
    fn the_jaeger_data_source_reads_jaeger_by_its_name_in_the_vpc_zone() {
        let model = landfall_model::reference().model.unwrap();
        let plan = crate::plan::plan(&model, crate::Profile::default()).unwrap();
        let sources = datasources(&plan);
        let jaeger = sources
            .iter()
            .find(|s| s["uid"] == JAEGER_DATASOURCE)
            .unwrap();
        assert_eq!(jaeger["type"], "jaeger");
        assert_eq!(
            jaeger["url"],
            "http://jaeger-query.metrics.meridian.internal:16686"
        );
        // Uids are unique: dashboards and Grafana's own checks name them.
        let mut uids: Vec<&str> = sources.iter().map(|s| s["uid"].as_str().unwrap()).collect();
        uids.sort_unstable();
        uids.dedup();
        assert_eq!(uids.len(), sources.len());
    }
}
