//! `landfall synth`: CloudFormation templates, StackSets and a deployment
//! manifest for the whole platform.

use std::process::ExitCode;
use std::time::Instant;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use landfall_diagnostics::Diagnostic;
use landfall_graph::Stack;
use landfall_synth::cloudformation;
use landfall_synth::output::Staged;
use rayon::prelude::*;

use crate::args::{Emit, Format, SynthArgs};
use crate::output;

/// One stack's CloudFormation template and Terraform module, each when
/// asked for (their files already written).
type Emitted = (
    Option<cloudformation::StackTemplate>,
    Option<landfall_terraform::ModuleFiles>,
);

pub fn run(args: &SynthArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut resolved = output::load(&args.spec)?;
    // The address plan follows the lockfile next to the spec (or the
    // reference platform's built-in one), so synthesized addresses match what
    // `landfall net` recorded.
    let compiled = crate::pipeline::compile_platform(&mut resolved, args.spec.spec.as_deref())?;
    let (Some(compiled), Some(model)) = (compiled, resolved.model.as_ref()) else {
        output::print_diagnostics(&resolved, &args.spec)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    let services: Option<BTreeSet<String>> =
        (!args.service.is_empty()).then(|| args.service.iter().cloned().collect());
    // A name on the command line that the spec lacks is a usage error.
    for name in &args.service {
        if !model.services.iter().any(|s| &s.name == name) {
            let help = landfall_diagnostics::did_you_mean(
                name,
                model.services.iter().map(|s| s.name.as_str()),
            );
            return output::usage_error(
                args.spec.format,
                &format!("--service: there is no service `{name}`"),
                &help,
            );
        }
    }
    let graph = &compiled.graph;
    let cloudformation = args.emit != Emit::Terraform;
    let terraform = args.emit != Emit::Cloudformation;
    let renames = match checked_renames(args, model)? {
        Ok(renames) => renames,
        Err(problems) => {
            resolved.diagnostics.extend(problems);
            output::print_diagnostics(&resolved, &args.spec)?;
            return Ok(ExitCode::from(2));
        }
    };
    let tf_options = landfall_terraform::Options {
        renames,
        ..Default::default()
    };
    let sources = Some(&resolved.loaded.sources);
    // Whether there is an earlier synthesis to compare this one with.
    let earlier = args.out.join("manifest.json").exists()
        || args.out.join("terraform/manifest.json").exists();
    let out = Staged::new(&args.out)
        .with_context(|| format!("cannot write to `{}`", args.out.display()))?;

    // Every stack in both forms, written as soon as it is made: the
    // workload layer is built one domain and environment at a time and
    // dropped once written, so memory stays small however many services
    // there are.
    let emit = |stack: &Stack| -> Emitted {
        let template = cloudformation.then(|| {
            let mut t = cloudformation::stack_template(stack, &model.limits, sources);
            let file = std::mem::take(&mut t.file);
            out.put(file.path, &file.contents);
            t
        });
        let module = terraform.then(|| {
            let mut m = landfall_terraform::module_files(graph, stack, &tf_options);
            for file in m.take_files() {
                out.put(file.path, &file.contents);
            }
            m
        });
        (template, module)
    };
    let platform: Vec<Emitted> = if services.is_some() {
        Vec::new()
    } else {
        graph.stacks.par_iter().map(emit).collect()
    };
    // Logs, traces and security detections: the log agents' configurations
    // go into the task definitions, the files beside the monitoring ones.
    let telemetry = landfall_telemetry::generate(model);
    let options = landfall_workloads::Options {
        services,
        environments: None,
        log_agents: telemetry
            .as_ref()
            .map(|b| std::sync::Arc::new(landfall_telemetry::agent_configs(b))),
        metric_agents: landfall_observability::sidecar_configs(model).map(std::sync::Arc::new),
        host_agents: landfall_observability::host_agent_configs(model).map(std::sync::Arc::new),
        log_aggregator: telemetry
            .as_ref()
            .and_then(landfall_telemetry::aggregator_config)
            .map(std::sync::Arc::new),
        jaeger: telemetry
            .as_ref()
            .and_then(landfall_telemetry::jaeger_config)
            .map(std::sync::Arc::new),
    };
    let workloads =
        landfall_workloads::build_each(model, &compiled.plan, graph, &options, |stacks| {
            stacks.par_iter().map(emit).collect::<Vec<_>>()
        });
    let workloads = match workloads {
        Ok(w) => w,
        Err(problems) => {
            out.abandon();
            crate::pipeline::report(&mut resolved, &problems);
            output::print_diagnostics(&resolved, &args.spec)?;
            return Ok(ExitCode::from(super::INVALID));
        }
    };

    let mut templates = cloudformation::Manifest::default();
    let mut modules = landfall_terraform::Manifest::default();
    for (template, module) in platform.into_iter().chain(workloads.into_iter().flatten()) {
        if let Some(t) = template {
            templates.add(t);
        }
        if let Some(m) = module {
            modules.add(m);
        }
    }
    let modules = if terraform {
        match modules.finish(&graph.organization) {
            Ok((file, emitted)) => {
                out.put(file.path, &file.contents);
                Some(emitted)
            }
            Err(problems) => {
                out.abandon();
                for p in &problems {
                    eprintln!("error[terraform]: {p}");
                }
                return Ok(ExitCode::from(super::INVALID));
            }
        }
    } else {
        None
    };
    let summary = if cloudformation {
        match templates.finish(
            &graph.organization,
            &graph.home_region,
            &graph.organization_actions,
            &model.limits,
        ) {
            Ok((file, summary)) => {
                out.put(file.path, &file.contents);
                Some(summary)
            }
            Err(problems) => {
                out.abandon();
                resolved
                    .diagnostics
                    .extend(problems.iter().map(|p| p.to_diagnostic(&resolved.loaded)));
                output::print_diagnostics(&resolved, &args.spec)?;
                return Ok(ExitCode::from(super::INVALID));
            }
        }
    } else {
        None
    };
    // Monitoring configuration for the whole platform (not for a subset of
    // services: alert routes and dashboards span every service).
    let observability = if args.service.is_empty() {
        landfall_observability::generate(model)
    } else {
        None
    };
    let telemetry = if args.service.is_empty() {
        telemetry
    } else {
        None
    };
    // Both halves' consistency checks, reported together.
    let mut findings = Vec::new();
    if let Some(bundle) = &observability {
        findings.extend(landfall_observability::checks::check(bundle));
    }
    if let Some(bundle) = &telemetry {
        findings.extend(landfall_telemetry::checks::check(bundle));
    }
    if !findings.is_empty() {
        out.abandon();
        resolved
            .diagnostics
            .extend(findings.iter().map(|f| f.to_diagnostic(&resolved.loaded)));
        output::print_diagnostics(&resolved, &args.spec)?;
        return Ok(ExitCode::from(super::INVALID));
    }
    let observability_files = observability
        .iter()
        .flat_map(|b| &b.files)
        .chain(telemetry.iter().flat_map(|b| &b.files));
    for file in observability_files {
        out.put(format!("observability/{}", file.path), &file.contents);
    }
    // The same remediation rules for Automation Controller, when the spec
    // names it as the engine (`heal export-ansible` writes them with other
    // controller names).
    let ansible = if observability.is_some() {
        landfall_heal::ansible::for_model(model)
    } else {
        None
    };
    for (path, text) in ansible.iter().flatten() {
        out.put(format!("observability/ansible/{path}"), text);
    }
    // Every repository's pipeline, for the whole platform like monitoring.
    let pipelines = if args.service.is_empty() {
        landfall_pipelines::generate(model)
    } else {
        Vec::new()
    };
    for file in &pipelines {
        out.put(
            format!("pipelines/{}/{}", file.repository, file.path),
            &file.contents,
        );
    }
    output::print_diagnostics(&resolved, &args.spec)?;
    let mut trees = Vec::new();
    if observability.is_some() || telemetry.is_some() {
        trees.push("observability");
    }
    if args.service.is_empty() {
        trees.push("pipelines");
    }
    let changes = out
        .commit_with(cloudformation, terraform, &trees)
        .with_context(|| format!("cannot write to `{}`", args.out.display()))?;
    if earlier && args.spec.format == Format::Text {
        eprint!("{}", describe_changes(&changes));
    }
    if let Some(bundle) = &observability {
        eprintln!(
            "wrote monitoring configuration ({} alerts with unit tests, {} recording rules, {} files) to `{}`",
            bundle.plan.alerts().count(),
            bundle.plan.recordings().count(),
            bundle.files.len(),
            args.out.join("observability").display()
        );
    }
    if let Some(files) = &ansible {
        eprintln!(
            "wrote the remediation rules for Automation Controller ({} files) to `{}`",
            files.len(),
            args.out.join("observability/ansible").display()
        );
    }
    if let Some(bundle) = &telemetry {
        eprintln!(
            "wrote log and trace configuration ({} services routed, {} remap programs, {} files) to `{}`",
            bundle.plan.services.len(),
            bundle
                .vector
                .iter()
                .map(|v| landfall_telemetry::vector::programs(&v.config).len())
                .sum::<usize>(),
            bundle.files.len(),
            args.out.join("observability").display()
        );
    }
    if !pipelines.is_empty() {
        let repositories = landfall_pipelines::repositories(model).len();
        eprintln!(
            "wrote the pipelines of {repositories} repositories ({} files) to `{}`",
            pipelines.len(),
            args.out.join("pipelines").display()
        );
    }
    if let Some(tf) = &modules {
        eprintln!(
            "wrote {} Terraform root modules ({} resources) to `{}`; {} stacks have no Terraform form (see terraform/manifest.json)",
            tf.modules,
            tf.resources,
            args.out.join("terraform").display(),
            tf.skipped.len()
        );
    }
    let Some(summary) = summary else {
        return Ok(ExitCode::SUCCESS);
    };
    let elapsed = started.elapsed();
    let summary = &summary;
    match args.spec.format {
        Format::Json => {
            let layers: serde_json::Map<String, serde_json::Value> = summary
                .layers
                .iter()
                .map(|(layer, c)| {
                    (
                        layer.name().to_owned(),
                        serde_json::json!({
                            "stacks": c.stacks,
                            "stack_sets": c.stack_sets,
                            "resources": c.resources,
                        }),
                    )
                })
                .collect();
            let report = serde_json::json!({
                "out": args.out.display().to_string(),
                "stacks": summary.stacks(),
                "stack_sets": summary.stack_sets(),
                "resources": summary.resources(),
                "waves": summary.waves,
                "s3_templates": summary.s3_templates,
                "largest_template_bytes": summary.largest_template_bytes,
                "layers": layers,
                "milliseconds": elapsed.as_secs_f64() * 1000.0,
                // Against the earlier synthesis in the same directory (null
                // when there was none): paths relative to `out`.
                "changes": earlier.then_some(&changes),
            });
            output::print_stdout(&serde_json::to_string_pretty(&report)?)?;
        }
        Format::Text => {
            eprintln!(
                "wrote {} templates and manifest.json to `{}`\n{summary}\n  done in {:.1} ms",
                summary.stacks() + summary.stack_sets(),
                args.out.display(),
                elapsed.as_secs_f64() * 1000.0
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What changed since the last synthesis into the same directory, for
/// people: stacks, Terraform modules and monitoring files added, changed
/// and removed, each stack named.
fn describe_changes(changes: &landfall_synth::output::Changes) -> String {
    use std::fmt::Write as _;
    if changes.is_empty() {
        return "no changes since the last synthesis\n".to_owned();
    }
    // `templates/<layer>/<stack>.json`, `terraform/<module>/<file>`.
    let stack = |path: &str| {
        path.strip_prefix("templates/")
            .and_then(|rest| rest.rsplit_once('/'))
            .and_then(|(_, file)| file.strip_suffix(".json"))
            .map(str::to_owned)
    };
    let module = |path: &str| {
        path.strip_prefix("terraform/")
            .and_then(|rest| rest.split_once('/'))
            .map(|(module, _)| module.to_owned())
    };
    let mut out = String::from("since the last synthesis:\n");
    for (sign, what, paths) in [
        ('+', "added", &changes.added),
        ('~', "changed", &changes.changed),
        ('-', "removed", &changes.removed),
    ] {
        let stacks: Vec<String> = paths.iter().filter_map(|p| stack(p)).collect();
        let mut modules: Vec<String> = paths.iter().filter_map(|p| module(p)).collect();
        modules.dedup();
        let monitoring = paths
            .iter()
            .filter(|p| p.starts_with("observability/"))
            .count();
        let pipelines = paths.iter().filter(|p| p.starts_with("pipelines/")).count();
        if stacks.is_empty() && modules.is_empty() && monitoring == 0 && pipelines == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "  {what}: {} stack(s), {} Terraform module(s), {monitoring} monitoring file(s), {pipelines} pipeline file(s)",
            stacks.len(),
            modules.len()
        );
        for name in &stacks {
            let _ = writeln!(out, "    {sign} {name}");
        }
    }
    out
}

/// A value, or the diagnostics that stand in its way.
type Checked<T> = Result<T, Vec<Diagnostic>>;

/// `--rename` values checked against the spec and the previous synthesis
/// in the output directory (see `landfall_terraform::renames`): a wrong
/// rename would give two modules one state, or a module an empty one.
fn checked_renames(
    args: &SynthArgs,
    model: &landfall_model::Model,
) -> anyhow::Result<Checked<Vec<(String, String)>>> {
    use landfall_terraform::renames::{self, Kind, Previous};
    if args.rename.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    if args.emit == Emit::Cloudformation {
        return Ok(Err(vec![Diagnostic::error(
            "synth::rename",
            "`--rename` keeps a Terraform module's state, and `--emit cloudformation` writes none",
        )
        .with_help("use `--emit terraform` or `--emit both`; a renamed CloudFormation service is a new stack")]));
    }
    let current: BTreeMap<String, Kind> = model
        .services
        .iter()
        .map(|s| (s.name.clone(), Kind::Service))
        .chain(
            model
                .data_stores
                .iter()
                .map(|d| (d.name.clone(), Kind::Store)),
        )
        .collect();
    let path = args.out.join("terraform").join("manifest.json");
    let previous = match std::fs::read_to_string(&path) {
        Ok(text) => match Previous::from_manifest(&text) {
            Ok(previous) => Some(previous),
            Err(why) => {
                return Ok(Err(vec![Diagnostic::error(
                    "synth::rename",
                    format!("cannot check `--rename`: `{}` is {why}", path.display()),
                )
                .with_help(
                    "synthesize into the output directory the deployed modules came from",
                )]))
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read `{}`", path.display()));
        }
    };
    Ok(
        renames::check(&args.rename, &current, previous.as_ref()).map_err(|problems| {
            problems
                .into_iter()
                .map(|p| Diagnostic::error("synth::rename", p.message).with_help(p.help))
                .collect()
        }),
    )
}
