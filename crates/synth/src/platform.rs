//! The whole compile pipeline from a resolved spec, in one place: address
//! plan (following the lockfile), SCPs, resource graph. Every command that
//! needs the compiled platform (`synth`, `check` with no path, `deploy`,
//! `audit`) goes through [`compile`], so they always agree.

use landfall_diagnostics::Diagnostic;
use landfall_graph::Graph;
use landfall_model::Resolved;
use landfall_netplan::{AddressPlan, Lockfile, PlanOptions, LOCKFILE_NAME};
use landfall_rules::ScpSet;

/// Everything compiled from a valid spec.
pub struct Compiled {
    pub plan: AddressPlan,
    pub scps: ScpSet,
    pub graph: Graph,
}

/// The lockfile beside a spec directory, or the reference platform's
/// built-in one: `(name for diagnostics, text)`. `None` when the spec has
/// none yet (the plan is then made fresh).
pub fn lockfile_text(
    spec_dir: Option<&std::path::Path>,
) -> std::io::Result<Option<(String, String)>> {
    match spec_dir {
        Some(dir) => {
            let path = dir.join(LOCKFILE_NAME);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some((path.display().to_string(), text))),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error),
            }
        }
        None => Ok(landfall_spec::REFERENCE_FILES
            .iter()
            .find(|(name, _)| *name == LOCKFILE_NAME)
            .map(|(_, text)| (format!("reference/{LOCKFILE_NAME}"), (*text).to_owned()))),
    }
}

/// Plans addresses, compiles SCPs and synthesizes the resource graph.
/// Problems are added to `resolved.diagnostics` (the lockfile joins the
/// sources so they are located); `None` when there is any error.
pub fn compile(
    resolved: &mut Resolved,
    lockfile: Option<(String, String)>,
    options: PlanOptions,
) -> Option<Compiled> {
    let mut lock = None;
    if let Some((name, text)) = &lockfile {
        let file = resolved.loaded.sources.add(name.clone(), text.as_str());
        match Lockfile::parse(text, file) {
            Ok(parsed) => lock = Some(parsed),
            Err(diagnostics) => resolved.diagnostics.extend(diagnostics),
        }
    }
    if resolved.diagnostics.has_errors() {
        return None;
    }
    let model = resolved.model.as_ref()?;
    let planned = landfall_netplan::plan(model, &resolved.loaded, lock.as_ref(), options);
    resolved.diagnostics.extend(planned.diagnostics);
    let plan = planned
        .plan
        .filter(|_| !resolved.diagnostics.has_errors())?;
    let scps = match landfall_rules::compile_scps(model) {
        Ok(scps) => scps,
        Err(diagnostics) => {
            resolved.diagnostics.extend(diagnostics);
            return None;
        }
    };
    match crate::synthesize(model, &plan, &scps) {
        Ok(graph) => Some(Compiled { plan, scps, graph }),
        Err(problems) => {
            let diagnostics: Vec<Diagnostic> = problems
                .iter()
                .map(|p| p.to_diagnostic(&resolved.loaded))
                .collect();
            resolved.diagnostics.extend(diagnostics);
            None
        }
    }
}
