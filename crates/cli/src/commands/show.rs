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
                "use `landfall show` or `landfall show service NAME`",
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
            let mut value = serde_json::to_value(&footprint)?;
            if let Some(object) = value.as_object_mut() {
                object.insert(
                    "organization".into(),
                    model.organization.name.clone().into(),
                );
            }
            output::print_stdout(&serde_json::to_string_pretty(&value)?)?;
        }
        // The blueprint's figures describe the reference company: beside
        // another spec they would read as its own targets.
        Format::Text => output::print_stdout(&render_text(model, &footprint, args.spec.is_none()))?,
    }
    Ok(ExitCode::SUCCESS)
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
    match landfall_workloads::explain::service(model, &compiled.plan, name) {
        Some(mut text) => {
            if let Some(monitoring) = monitoring(model, name) {
                text = format!("{}\n\n{monitoring}", text.trim_end());
            }
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
fn monitoring(model: &landfall_model::Model, name: &str) -> Option<String> {
    let bundle = landfall_observability::generate(model)?;
    let service = bundle.plan.services.iter().find(|s| s.name == name)?;
    let slo = service.slo;
    let source = if slo.defaulted {
        if service.metal {
            " (default for latency-sensitive services)"
        } else {
            " (default)"
        }
    } else {
        ""
    };
    let mut out = format!(
        "monitoring\n  objectives{source}: {}% of requests without a server error, {}% within {} ms, over 30 days\n  metrics: http://localhost:{}{} (scraped by its Telegraf sidecar: observability/telegraf/services/{}/{}.conf)\n  dashboard: /d/{} (observability/grafana/dashboards/{}/{}.json)\n  alerts:",
        slo.availability_percent,
        slo.latency_percent,
        slo.latency_ms,
        service.metrics_port,
        service.metrics_path,
        service.domain,
        service.name,
        service.dashboard_uid,
        service.domain,
        service.dashboard_uid,
    );
    let team = bundle.plan.team_of_domain(&service.domain);
    for alert in bundle
        .plan
        .alerts()
        .filter(|a| a.labels.get("service").map(String::as_str) == Some(name))
    {
        let receiver = team.map_or_else(String::new, |t| match alert.severity {
            landfall_observability::labels::Severity::Page => t.page_receiver(),
            landfall_observability::labels::Severity::Ticket => t.ticket_receiver(),
        });
        out.push_str(&format!(
            "\n    {} ({}, after {}) -> {receiver}",
            alert.name,
            alert.severity.as_str(),
            alert.for_
        ));
    }
    Some(out)
}
