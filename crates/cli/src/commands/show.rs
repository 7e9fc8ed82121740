//! `landfall show`: the resolved platform, its footprint beside the blueprint's.

use std::fmt::Write as _;
use std::process::ExitCode;

use landfall_model::footprint::BLUEPRINT;
use landfall_model::{Footprint, Model, OuKind};

use crate::args::{Format, ShowArgs};
use crate::output;

pub fn run(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    match (args.what.as_deref(), args.name.as_deref()) {
        (None, _) => {}
        (Some("service"), Some(name)) => return service(args, name),
        (Some("servers"), _) => return servers(args),
        (Some("service"), None) => {
            return output::usage_error(
                args.spec.format,
                "`landfall show service` needs the service's name",
                "landfall show service NAME",
            )
        }
        (Some(what), _) => {
            return output::usage_error(
                args.spec.format,
                &format!("cannot show `{what}`"),
                "use `landfall show`, `landfall show servers` or `landfall show service NAME`",
            )
        }
    }
    let args = &args.spec;
    let resolved = output::load(args)?;
    output::print_diagnostics(&resolved, args)?;
    let Some(model) = &resolved.model else {
        return Ok(ExitCode::from(super::INVALID));
    };
    let footprint = Footprint::of(model);
    match args.format {
        Format::Json => {
            let value = render_json(model, &footprint)?;
            output::print_stdout(&serde_json::to_string_pretty(&value)?)?;
        }
        // The blueprint's figures describe the reference company: beside
        // another spec they would read as its own targets.
        Format::Text => output::print_stdout(&render_text(model, &footprint, args.spec.is_none()))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// What the text shows, as data: the footprint, what the spec plans for,
/// the OU tree with its accounts, the accounts, the network and the domains.
fn render_json(model: &Model, footprint: &Footprint) -> anyhow::Result<serde_json::Value> {
    use serde_json::json;
    let footprint = serde_json::to_value(footprint)?;
    let name = |id: Option<landfall_model::DomainId>| id.map(|d| model.domain(d).name.clone());
    let env_name =
        |id: Option<landfall_model::EnvId>| id.map(|e| model.environment(e).name.clone());
    let ous: Vec<serde_json::Value> = model
        .organizational_units
        .iter()
        .map(|ou| {
            json!({
                "name": ou.name,
                "path": ou.path,
                "kind": ou.kind,
                "depth": ou.depth,
                "accounts": model.accounts.iter().filter(|a| a.ou == ou.id).map(|a| a.name.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let accounts: Vec<serde_json::Value> = model
        .accounts
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "class": a.class,
                "ou": model.organizational_units[a.ou.index()].path,
                "domain": name(a.domain),
                "environment": env_name(a.environment),
                "owner": a.owner.team,
            })
        })
        .collect();
    let vpcs: Vec<serde_json::Value> = model
        .network
        .vpcs
        .iter()
        .map(|vpc| {
            let env = model.environment(vpc.environment);
            json!({
                "name": vpc.name,
                "environment": env.name,
                "production": env.production,
                "subnets": model.network.subnets.iter().filter(|s| s.vpc == vpc.id).count(),
                "egress": env.egress.mode,
            })
        })
        .collect();
    let domains: Vec<serde_json::Value> = model
        .domains
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "owner": d.owner.team,
                "services": model.services.iter().filter(|s| s.domain == d.id).map(|s| s.name.as_str()).collect::<Vec<_>>(),
                "data_stores": model.data_stores.iter().filter(|s| s.domain == d.id).map(|s| s.name.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "organization": model.organization.name,
        "footprint": footprint,
        "planned_for": model.network.plan_for,
        "organizational_units": ous,
        "accounts": accounts,
        "network": { "address_space": model.network.address_space.to_string(), "vpcs": vpcs },
        "domains": domains,
    }))
}

fn render_text(model: &Model, footprint: &Footprint, beside_blueprint: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({})\n",
        model.organization.name, model.organization.slug
    );
    // What the spec plans for (`network.plan_for`), and for the reference
    // platform the blueprint's figures.
    let plan = &model.network.plan_for;
    let planned = |key: &str| -> String {
        match key {
            "accounts" => plan.accounts.to_string(),
            "domains" => plan.domains.to_string(),
            "environments" => plan.environments.to_string(),
            "regions" => plan.regions.to_string(),
            _ => String::new(),
        }
    };
    let blueprint = |key: &str| {
        if !beside_blueprint {
            return "";
        }
        BLUEPRINT
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v)
    };
    let rows: Vec<(&str, String)> = vec![
        ("accounts", footprint.accounts.to_string()),
        (
            "organizational_units",
            footprint.organizational_units.to_string(),
        ),
        ("domains", footprint.domains.to_string()),
        ("environments", footprint.environments.to_string()),
        (
            "regions",
            format!(
                "{} ({})",
                footprint.regions.len(),
                footprint.regions.join(", ")
            ),
        ),
        ("azs_per_region", footprint.azs_per_region.to_string()),
        ("vpcs", footprint.vpcs.to_string()),
        ("production_vpcs", footprint.production_vpcs.to_string()),
        ("subnets", footprint.subnets.to_string()),
        ("services", footprint.services.to_string()),
        (
            "latency_sensitive_services",
            footprint.latency_sensitive_services.to_string(),
        ),
        ("databases", footprint.databases.to_string()),
        ("message_buses", footprint.message_buses.to_string()),
        ("topics", footprint.topics.to_string()),
        ("peak_public_rps", footprint.peak_public_rps.to_string()),
    ];
    let header = if beside_blueprint { "blueprint" } else { "" };
    let head = format!(
        "{:<28} {:<36} {:<12} {header}",
        "footprint", "this spec", "planned for"
    );
    let _ = writeln!(out, "{}", head.trim_end());
    for (key, value) in rows {
        let line = format!(
            "{:<28} {:<36} {:<12} {}",
            key.replace('_', " "),
            value,
            planned(key),
            blueprint(key)
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }

    let _ = writeln!(out, "\norganizational units and accounts");
    for ou in &model.organizational_units {
        let indent = "  ".repeat(ou.depth + 1);
        let accounts: Vec<&str> = model
            .accounts
            .iter()
            .filter(|a| a.ou == ou.id)
            .map(|a| a.name.as_str())
            .collect();
        let suffix = if accounts.is_empty() {
            String::new()
        } else {
            format!(": {}", accounts.join(", "))
        };
        if ou.kind == OuKind::Environment || ou.kind == OuKind::Domain && !accounts.is_empty() {
            let _ = writeln!(out, "{indent}{}{suffix}", ou.name);
        } else {
            let _ = writeln!(out, "{indent}{}/{suffix}", ou.name);
        }
    }

    let _ = writeln!(out, "\nnetwork ({})", model.network.address_space);
    for vpc in &model.network.vpcs {
        let subnets = model
            .network
            .subnets
            .iter()
            .filter(|s| s.vpc == vpc.id)
            .count();
        let env = model.environment(vpc.environment);
        let _ = writeln!(
            out,
            "  {:<24} {:>3} subnets  egress {}{}",
            vpc.name,
            subnets,
            serde_json::to_value(env.egress.mode)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            if env.production { "  production" } else { "" }
        );
    }

    let _ = writeln!(out, "\ndomains");
    for domain in &model.domains {
        let services = model
            .services
            .iter()
            .filter(|s| s.domain == domain.id)
            .count();
        let stores = model
            .data_stores
            .iter()
            .filter(|d| d.domain == domain.id)
            .count();
        let _ = writeln!(
            out,
            "  {:<14} {:>3} services  {:>3} data stores  owner {}",
            domain.name, services, stores, domain.owner.team
        );
    }
    out
}

/// `landfall show servers`: how each VPC's monitoring cluster and log
/// search domain are sized, with the figures each size comes from.
fn servers(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let resolved = output::load(&args.spec)?;
    output::print_diagnostics(&resolved, &args.spec)?;
    let Some(model) = &resolved.model else {
        return Ok(ExitCode::from(super::INVALID));
    };
    let metrics = landfall_model::monitoring::cluster_sizes(model);
    let logs = landfall_synth::layers::log_search::sizings(model);
    let text = match args.spec.format {
        Format::Json => serde_json::to_string_pretty(&serde_json::json!({
            "metrics": metrics,
            "log_search": logs,
        }))?,
        Format::Text => render_servers(&metrics, &logs),
    };
    output::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn render_servers(
    metrics: &[landfall_model::monitoring::ClusterSize],
    logs: &[landfall_synth::layers::log_search::Sizing],
) -> String {
    use landfall_model::monitoring as m;
    let mut out = String::new();
    if metrics.is_empty() {
        out.push_str("metrics: no monitoring servers (`observability.metrics.backend` is not `victoria-metrics`)
");
    } else {
        let _ = writeln!(
            out,
            "metrics: a VictoriaMetrics cluster per VPC, {} storage nodes (one per AZ), every sample written {} times",
            m::STORAGE_NODES,
            m::REPLICATION_FACTOR
        );
        let _ = writeln!(
            out,
            "  active series = services × series per service; samples/s = series ÷ scrape interval
  volume per node = samples/s × {} copies × retention × {} byte ÷ {} nodes, with {} % free (at least {} GiB)
  memory per node = series × {} ÷ {} × {} KiB, with {} % free, + {} GiB for the host",
            m::REPLICATION_FACTOR,
            m::BYTES_PER_SAMPLE,
            m::STORAGE_NODES,
            m::FREE_DISK_PERCENT,
            m::MIN_VOLUME_GIB,
            m::REPLICATION_FACTOR,
            m::STORAGE_NODES,
            m::RAM_PER_SERIES / 1024,
            m::FREE_RAM_PERCENT,
            m::HOST_OVERHEAD_RAM >> 30
        );
        for c in metrics {
            let _ = writeln!(
                out,
                "  {}: {} services × {} = {} series, {} samples/s every {} s, {} days → {} GiB and {} GiB memory per node: {} ({} vCPUs) × {}",
                c.vpc,
                c.services,
                c.series_per_service,
                c.active_series,
                c.samples_per_second,
                c.scrape_interval_seconds,
                c.retention_days,
                c.volume_gib_per_node,
                c.memory_gib_per_node,
                c.instance_type,
                c.vcpus_per_host,
                m::STORAGE_NODES
            );
        }
    }
    if logs.is_empty() {
        out.push_str(
            "log search: none (no `observability` section or no observability account)
",
        );
    } else {
        out.push_str(
            "log search: an OpenSearch domain per VPC
  source = log volume × 86,400 s × retention; storage = source × (1 + replicas) × 1.45
",
        );
        for l in logs {
            let _ = writeln!(
                out,
                "  {} ({}): {} KiB/s for {} days → {} GiB source, {} GiB stored: {} × {} with {} GiB gp3 each over {} AZs, managers {} × {}",
                l.vpc,
                l.domain_name,
                l.log_kib_per_second,
                l.retention_days,
                l.source_gib,
                l.storage_gib,
                l.data_nodes,
                l.data_instance_type,
                l.volume_gib,
                l.availability_zones,
                l.manager_nodes,
                l.manager_instance_type
            );
        }
    }
    out
}

/// `landfall show service NAME`: what the service gets in each environment
/// and why (accounts, subnets, security group rules, IAM, scaling math).
fn service(args: &ShowArgs, name: &str) -> anyhow::Result<ExitCode> {
    let mut resolved = output::load(&args.spec)?;
    let lock = landfall_synth::platform::lockfile_text(args.spec.spec.as_deref())?;
    let compiled = landfall_synth::platform::compile(&mut resolved, lock, Default::default());
    output::print_diagnostics(&resolved, &args.spec)?;
    let (Some(model), Some(compiled)) = (&resolved.model, compiled) else {
        return Ok(ExitCode::from(super::INVALID));
    };
    match landfall_workloads::explain::explain(model, &compiled.plan, name) {
        Some(facts) => {
            let monitoring = monitoring(model, name);
            let routes = landfall_telemetry::plan::plan(model, Default::default())
                .and_then(|plan| landfall_telemetry::explain::explain(&plan, name));
            let text = match args.spec.format {
                Format::Json => {
                    let mut value = serde_json::to_value(&facts)?;
                    if let (Some(object), Some(m)) = (value.as_object_mut(), &monitoring) {
                        object.insert("monitoring".into(), serde_json::to_value(m)?);
                    }
                    if let (Some(object), Some(r)) = (value.as_object_mut(), &routes) {
                        object.insert("telemetry".into(), serde_json::to_value(r)?);
                    }
                    serde_json::to_string_pretty(&value)?
                }
                Format::Text => {
                    let mut text = landfall_workloads::explain::render_text(&facts);
                    if let Some(m) = &monitoring {
                        text = format!("{}\n\n{}", text.trim_end(), m.render());
                    }
                    if let Some(r) = &routes {
                        text = format!("{}\n\n{}", text.trim_end(), r.render_text());
                    }
                    text
                }
            };
            output::print_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let help = landfall_diagnostics::did_you_mean(
                name,
                model.services.iter().map(|s| s.name.as_str()),
            );
            output::usage_error(
                args.spec.format,
                &format!("there is no service `{name}`"),
                &help,
            )
        }
    }
}

/// What watches a service: its objectives (and where they come from), its
/// alerts, its dashboard and agent configuration.
#[derive(serde::Serialize)]
struct Monitoring {
    availability_percent: f64,
    latency_percent: f64,
    latency_ms: u32,
    /// `default`, `default for latency-sensitive services` or `spec`.
    objectives_from: &'static str,
    metrics_url: String,
    telegraf_config: String,
    dashboard: String,
    dashboard_file: String,
    alerts: Vec<MonitoringAlert>,
}

#[derive(serde::Serialize)]
struct MonitoringAlert {
    name: String,
    severity: &'static str,
    after: String,
    receiver: String,
}

impl Monitoring {
    fn render(&self) -> String {
        let source = match self.objectives_from {
            "spec" => String::new(),
            other => format!(" ({other})"),
        };
        let mut out = format!(
            "monitoring\n  objectives{source}: {}% of requests without a server error, {}% within {} ms, over 30 days\n  metrics: {} (scraped by its Telegraf sidecar: {})\n  dashboard: {} ({})\n  alerts:",
            self.availability_percent,
            self.latency_percent,
            self.latency_ms,
            self.metrics_url,
            self.telegraf_config,
            self.dashboard,
            self.dashboard_file,
        );
        for alert in &self.alerts {
            out.push_str(&format!(
                "\n    {} ({}, after {}) -> {}",
                alert.name, alert.severity, alert.after, alert.receiver
            ));
        }
        out
    }
}

fn monitoring(model: &landfall_model::Model, name: &str) -> Option<Monitoring> {
    let bundle = landfall_observability::generate(model)?;
    let service = bundle.plan.services.iter().find(|s| s.name == name)?;
    let slo = service.slo;
    let objectives_from = match (slo.defaulted, service.metal) {
        (false, _) => "spec",
        (true, true) => "default for latency-sensitive services",
        (true, false) => "default",
    };
    let team = bundle.plan.team_of_domain(&service.domain);
    let alerts = bundle
        .plan
        .alerts()
        .filter(|a| a.labels.get("service").map(String::as_str) == Some(name))
        .map(|alert| MonitoringAlert {
            name: alert.name.to_string(),
            severity: alert.severity.as_str(),
            after: alert.for_.to_string(),
            receiver: team.map_or_else(String::new, |t| match alert.severity {
                landfall_observability::labels::Severity::Page => t.page_receiver(),
                landfall_observability::labels::Severity::Ticket => t.ticket_receiver(),
            }),
        })
        .collect();
    Some(Monitoring {
        availability_percent: slo.availability_percent,
        latency_percent: slo.latency_percent,
        latency_ms: slo.latency_ms,
        objectives_from,
        metrics_url: format!(
            "http://localhost:{}{}",
            service.metrics_port, service.metrics_path
        ),
        telegraf_config: format!(
            "observability/telegraf/services/{}/{}.conf",
            service.domain, service.name
        ),
        dashboard: format!("/d/{}", service.dashboard_uid),
        dashboard_file: format!(
            "observability/grafana/dashboards/{}/{}.json",
            service.domain, service.dashboard_uid
        ),
        alerts,
    })
}
