//! `landfall iam ...`: the offline IAM policy engine, on request files and on
//! the platform's own SCPs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use landfall_iam::request::ContextValue;
use landfall_iam::simulate::{render_report, render_text, simulate_inputs, Input, OutputFormat};
use landfall_proofs::{OrgPolicies, Verdict};

use crate::args::{AccessReviewArgs, CanArgs, Format, IamCommand, SimulateArgs, SpecArgs};
use crate::output;

pub fn run(command: IamCommand) -> anyhow::Result<ExitCode> {
    match command {
        IamCommand::Simulate(args) => simulate(&args),
        IamCommand::Can(args) => can(&args),
        IamCommand::Prove(args) => prove(&args),
        IamCommand::AccessReview(args) => access_review(&args),
    }
}

/// Exit codes: 0 allowed, 1 denied, 2 the request file could not be read.
fn simulate(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        Format::Text => OutputFormat::Text,
        Format::Json => OutputFormat::Json,
    };
    // `--input -` reads requests from stdin (a pipeline's output): one
    // request file or JSON lines.
    let mut inputs = Vec::with_capacity(args.input.len());
    for path in &args.input {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)?;
            inputs.push(Input::Bytes {
                name: "<stdin>".to_owned(),
                bytes,
            });
        } else {
            inputs.push(Input::File(path.clone()));
        }
    }
    let output = simulate_inputs(inputs, format);
    std::io::stdout()
        .lock()
        .write_all(output.stdout.as_bytes())?;
    std::io::stderr()
        .lock()
        .write_all(output.stderr.as_bytes())?;
    Ok(ExitCode::from(output.exit_code))
}

/// The platform's model and its SCPs laid out per account, or the exit code
/// to stop with (diagnostics already printed).
fn platform(
    args: &SpecArgs,
) -> anyhow::Result<Result<(landfall_model::Model, OrgPolicies), ExitCode>> {
    let resolved = output::load(args)?;
    output::print_diagnostics(&resolved, args)?;
    let Some(model) = resolved.model else {
        return Ok(Err(ExitCode::from(super::INVALID)));
    };
    let scps = match landfall_rules::scp::compile_scps(&model) {
        Ok(scps) => scps,
        Err(diagnostics) => {
            for d in diagnostics {
                eprintln!("error[{}]: {}", d.code, d.message);
            }
            return Ok(Err(ExitCode::from(super::INVALID)));
        }
    };
    match OrgPolicies::of(&model, &scps) {
        Ok(policies) => Ok(Ok((model, policies))),
        Err(diagnostics) => {
            let messages: Vec<String> = diagnostics.into_iter().map(|d| d.message).collect();
            bail!("the generated SCPs do not parse: {}", messages.join("; "))
        }
    }
}

/// Exit codes: 0 allowed, 1 denied, 2 usage error (unknown account, bad context).
fn can(args: &CanArgs) -> anyhow::Result<ExitCode> {
    let mut context: BTreeMap<String, ContextValue> = BTreeMap::new();
    for pair in &args.context {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("`--context {pair}` is not `key=value`");
        };
        let entry = context.remove(key);
        let value = match entry {
            None => ContextValue::One(value.to_owned()),
            Some(existing) => {
                let mut values = existing.into_vec();
                values.push(value.to_owned());
                ContextValue::Many(values)
            }
        };
        context.insert(key.to_owned(), value);
    }
    if let Err(problem) = known_action(&args.action) {
        return output::usage_error(args.spec.format, &format!("--action: {problem}"), "");
    }
    let (model, policies) = match platform(&args.spec)? {
        Ok(platform) => platform,
        Err(code) => return Ok(code),
    };
    let Some(account) = landfall_proofs::find_account(&model, &args.account) else {
        let names = model.accounts.iter().map(|a| a.name.as_str());
        bail!(
            "no account `{}` in this platform; {}",
            args.account,
            landfall_diagnostics::did_you_mean(&args.account, names)
        );
    };
    let (simulation, decision) = landfall_proofs::can(
        &model,
        &policies,
        account,
        &args.action,
        args.resource.as_deref(),
        context,
    );
    match args.spec.format {
        Format::Json => {
            let mut report = render_report(&simulation, &decision);
            if let Some(object) = report.as_object_mut() {
                object.insert("account".into(), account.name.clone().into());
            }
            output::print_stdout(&serde_json::to_string_pretty(&report)?)?;
        }
        Format::Text => {
            let text = format!(
                "account: {}\n{}",
                account.name,
                render_text(&simulation, &decision)
            );
            output::print_stdout(&text)?;
        }
    }
    Ok(if decision.is_allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Exit codes: 0 every intent holds, 1 a counterexample was found.
fn prove(args: &SpecArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let (model, policies) = match platform(args)? {
        Ok(platform) => platform,
        Err(code) => return Ok(code),
    };
    let reports = landfall_proofs::prove_all(&model, &policies);
    let ci_roles = ci_trust(args, &model)?;
    let failed = reports.iter().filter(|r| !r.holds()).count()
        + ci_roles.iter().filter(|r| !r.holds()).count();
    match args.format {
        Format::Json => {
            let value = serde_json::json!({
                "holds": failed == 0,
                "intents": reports,
                "ci_roles": ci_roles,
            });
            output::print_stdout(&serde_json::to_string_pretty(&value)?)?;
        }
        Format::Text => {
            let mut out = String::new();
            for report in &reports {
                if let Some(skipped) = &report.skipped {
                    let _ = writeln!(out, "skip  {:<48} {skipped}", report.intent);
                    continue;
                }
                let total = report.accounts.len();
                let held = report
                    .accounts
                    .iter()
                    .filter(|a| matches!(a.verdict, Verdict::Holds { .. }))
                    .count();
                let mark = if held == total { "holds" } else { "FAILS" };
                let _ = writeln!(
                    out,
                    "{mark} {:<48} {held}/{total} accounts: {}",
                    report.intent, report.description
                );
                for account in &report.accounts {
                    match &account.verdict {
                        Verdict::Holds { .. } => {}
                        Verdict::Fails { counterexample, .. } => {
                            let _ = writeln!(
                                out,
                                "      in `{}`: `{}` on `{}` with {} is allowed",
                                account.account,
                                counterexample.action,
                                counterexample.resource,
                                serde_json::to_string(&counterexample.context).unwrap_or_default()
                            );
                        }
                        Verdict::Inconclusive { reason, .. } => {
                            let _ = writeln!(
                                out,
                                "      in `{}`: inconclusive: {reason}",
                                account.account
                            );
                        }
                    }
                }
            }
            let held = ci_roles.iter().filter(|r| r.holds()).count();
            if !ci_roles.is_empty() {
                let mark = if held == ci_roles.len() {
                    "holds"
                } else {
                    "FAILS"
                };
                let _ = writeln!(
                    out,
                    "{mark} {:<48} {held}/{} roles: GitHub Actions gets each CI/CD role only from its own repository's jobs (push: production branches; deploy: that environment; platform plan: pull requests and the default branch; platform deploy: the `platform` environment)",
                    "ci-oidc-trust",
                    ci_roles.len()
                );
            }
            for report in ci_roles.iter().filter(|r| !r.holds()) {
                let _ = writeln!(out, "      {}", describe_ci_failure(report));
            }
            output::print_stdout(&out)?;
            eprintln!(
                "{} intents over {} member accounts: {}; {held} of {} CI/CD roles hold; in {:.0} ms",
                reports.len(),
                model.member_accounts().count(),
                proof_summary(&reports),
                ci_roles.len(),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Exit codes: 0 the review ran (whatever it lists), 1 the spec is
/// invalid, 2 no such account.
fn access_review(args: &AccessReviewArgs) -> anyhow::Result<ExitCode> {
    let (model, policies) = match platform(&args.spec)? {
        Ok(platform) => platform,
        Err(code) => return Ok(code),
    };
    let account = match &args.account {
        None => None,
        Some(name) => match landfall_proofs::find_account(&model, name) {
            Some(account) => Some(account.id),
            None => {
                let names = model.accounts.iter().map(|a| a.name.as_str());
                let message = format!(
                    "--account: no account `{name}` in this platform; {}",
                    landfall_diagnostics::did_you_mean(name, names)
                );
                return output::usage_error(args.spec.format, &message, "");
            }
        },
    };
    // The roles are read from the compiled platform, workloads included.
    let mut resolved = output::load(&args.spec)?;
    let Some(compiled) = crate::pipeline::compile(
        &mut resolved,
        args.spec.spec.as_deref(),
        crate::pipeline::Layers::PlatformAndWorkloads(crate::pipeline::WorkloadSelection::all()),
    )?
    else {
        output::print_diagnostics(&resolved, &args.spec)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    let review =
        landfall_proofs::access_review::access_review(&model, &policies, &compiled.graph, account);
    match args.spec.format {
        Format::Json => output::print_stdout(&serde_json::to_string_pretty(&review)?)?,
        Format::Text => {
            output::print_stdout(&landfall_proofs::access_review::render_text(&review))?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The CI/CD roles' trust policies, as synthesized, proven against the
/// tokens GitHub issues.
fn ci_trust(
    args: &SpecArgs,
    model: &landfall_model::Model,
) -> anyhow::Result<Vec<landfall_proofs::oidc::CiRoleReport>> {
    let mut resolved = output::load(args)?;
    let Some(compiled) = crate::pipeline::compile_platform(&mut resolved, args.spec.as_deref())?
    else {
        return Ok(Vec::new());
    };
    Ok(landfall_proofs::oidc::prove_ci_trust(
        model,
        &compiled.graph,
    ))
}

fn describe_ci_failure(report: &landfall_proofs::oidc::CiRoleReport) -> String {
    use landfall_proofs::oidc::CiVerdict;
    match &report.verdict {
        CiVerdict::Holds { .. } => String::new(),
        CiVerdict::Admits { token, because, .. } => format!(
            "`{}` admits {because}: a token with sub `{}` (repository `{}`, ref `{}`, event `{}`{}) assumes it",
            report.role,
            token.sub,
            token.repository,
            token.git_ref,
            token.event_name,
            token
                .environment
                .as_ref()
                .map(|e| format!(", environment `{e}`"))
                .unwrap_or_default()
        ),
        CiVerdict::RefusesItsOwn { token } => format!(
            "`{}` refuses its own pipeline's job (sub `{}`): the pipeline cannot deploy",
            report.role, token.sub
        ),
        CiVerdict::Missing { reason } => format!("`{}`: {reason}", report.role),
    }
}

/// "all hold", or what held, failed and was skipped: a skipped intent
/// (its guardrail switched off) is not one that holds.
fn proof_summary(reports: &[landfall_proofs::IntentReport]) -> String {
    let skipped = reports.iter().filter(|r| r.skipped.is_some()).count();
    let failed = reports.iter().filter(|r| !r.holds()).count();
    let held = reports.len() - skipped - failed;
    match (failed, skipped) {
        (0, 0) => "all hold".to_owned(),
        (0, s) => format!("{held} hold, {s} skipped"),
        (f, 0) => format!("{held} hold, {f} fail"),
        (f, s) => format!("{held} hold, {f} fail, {s} skipped"),
    }
}

/// An action the Service Authorization Reference lists (`s3:GetObject`);
/// a misspelled one would evaluate silently as a request no policy names.
fn known_action(action: &str) -> Result<(), String> {
    let catalog = landfall_iam::catalog::Catalog::get();
    let Some((prefix, name)) = action.split_once(':') else {
        return Err(format!(
            "`{action}` is not `service:Action` (for example `s3:GetObject`)"
        ));
    };
    let Some(service) = catalog.service(prefix) else {
        return Err(format!(
            "no AWS service has the prefix `{prefix}`; {}",
            landfall_diagnostics::did_you_mean(prefix, catalog.prefixes())
        ));
    };
    if service.action(name).is_some() {
        return Ok(());
    }
    let names: Vec<&str> = service.actions.iter().map(|a| a.name.as_str()).collect();
    Err(format!(
        "`{prefix}` has no action `{name}`; {}",
        landfall_diagnostics::did_you_mean(name, names.iter().copied())
    ))
}
