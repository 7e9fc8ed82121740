//! Running the rules over a resource view.
//!
//! Each resource is visited once; only the rules registered for its kind
//! (plus the few that read every resource) run on it, so a scan is linear in
//! the size of the input whatever the number of rules.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use crate::codes::{rule_by_code, RegisteredRule, INVALID_SUPPRESSION, RULES};
use crate::registry::{Check, Severity, Violation};
use crate::settings::Settings;
use crate::view::{Resource, ResourceView};

/// One finding: a rule violated by one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule code, `LF101`.
    pub rule: &'static str,
    /// Rule name, `unencrypted-ebs-volume`.
    pub name: &'static str,
    pub severity: Severity,
    /// Logical id or Terraform address.
    pub resource: String,
    pub resource_type: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// What to do: the rule's fix, or one written for this finding.
    pub fix: Cow<'static, str>,
    /// The reason given, when an inline suppression accepts the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

/// The outcome of a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Active and suppressed findings, sorted by file, line and rule.
    pub findings: Vec<Finding>,
    pub files: usize,
    pub resources: usize,
}

impl Report {
    /// Findings not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    pub fn suppressed(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_some())
    }

    /// Whether an active finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.active().any(|f| f.severity >= threshold)
    }
}

/// The rules that run under these settings, with their severity.
fn enabled_rules(settings: &Settings) -> Vec<(RegisteredRule, Severity)> {
    RULES
        .iter()
        .filter_map(|r| r.rule.meta().effective_severity(settings).map(|s| (*r, s)))
        .collect()
}

/// Runs every enabled rule over the view.
pub fn check(view: &ResourceView, settings: &Settings) -> Report {
    let rules = enabled_rules(settings);
    let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut everywhere = Vec::new();
    for (i, (r, _)) in rules.iter().enumerate() {
        for kind in r.rule.meta().kinds {
            if *kind == "*" {
                everywhere.push(i);
            } else {
                by_kind.entry(kind).or_default().push(i);
            }
        }
    }
    let mut findings = Vec::new();
    let mut violations = Vec::new();
    for resource in &view.resources {
        let specific = by_kind
            .get(resource.kind.as_str())
            .map_or(&[][..], Vec::as_slice);
        for &i in specific.iter().chain(&everywhere) {
            let (registered, severity) = rules[i];
            // Violations per reading; merged so a finding that holds in every
            // reading carries no condition.
            let mut merged: Vec<(Violation, Vec<String>)> = Vec::new();
            let readings = resource.variants.len();
            for variant in &resource.variants {
                violations.clear();
                registered.rule.check(
                    &Check {
                        view,
                        resource,
                        props: &variant.value,
                        settings,
                    },
                    &mut violations,
                );
                for v in violations.drain(..) {
                    let when = variant.describe();
                    match merged.iter_mut().find(|(m, _)| *m == v) {
                        Some((_, conditions)) => conditions.push(when),
                        None => merged.push((v, vec![when])),
                    }
                }
            }
            for (violation, conditions) in merged {
                let mut message = violation.message.clone();
                if conditions.len() < readings || readings == 1 {
                    let conditions: Vec<&String> =
                        conditions.iter().filter(|c| !c.is_empty()).collect();
                    if !conditions.is_empty() {
                        message.push_str(" (");
                        message.push_str(
                            &conditions
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join("; or "),
                        );
                        message.push(')');
                    }
                }
                let path: Vec<&str> = violation.path.iter().map(String::as_str).collect();
                findings.push(finding(
                    view,
                    resource,
                    registered,
                    severity,
                    message,
                    resource.span_of(&path),
                ));
            }
        }
    }
    apply_suppressions(view, settings, &mut findings);
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.rule, &a.resource, &a.message).cmp(&(
            &b.file,
            b.line,
            b.column,
            b.rule,
            &b.resource,
            &b.message,
        ))
    });
    findings.dedup();
    Report {
        findings,
        files: view.files.len(),
        resources: view.resources.len(),
    }
}

fn finding(
    view: &ResourceView,
    resource: &Resource,
    registered: RegisteredRule,
    severity: Severity,
    message: String,
    span: landfall_diagnostics::Span,
) -> Finding {
    let location = view.sources.location(span);
    let meta = registered.rule.meta();
    // Plans are read in CloudFormation's names; say what their authors wrote.
    let terraform = view
        .file_info(resource.file)
        .is_some_and(|f| f.kind == crate::view::InputKind::TerraformPlan);
    let (message, fix) = if terraform {
        (
            crate::view::terraform_text(&message),
            Cow::Owned(crate::view::terraform_fix(meta.fix)),
        )
    } else {
        (message, Cow::Borrowed(meta.fix))
    };
    Finding {
        rule: registered.code,
        name: meta.name,
        severity,
        resource: resource.id.clone(),
        resource_type: resource.source_type.clone(),
        file: location.file,
        line: location.line,
        column: location.column,
        message,
        fix,
        suppressed: None,
    }
}

/// Marks findings accepted by a suppression with a reason; reports
/// suppressions without one (which are not honoured) and for unknown rules.
fn apply_suppressions(view: &ResourceView, settings: &Settings, findings: &mut Vec<Finding>) {
    let Some(invalid) = rule_by_code(INVALID_SUPPRESSION) else {
        return;
    };
    let Some(severity) = invalid.rule.meta().effective_severity(settings) else {
        return;
    };
    let mut extra = Vec::new();
    let mut by_resource: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        by_resource
            .entry((f.file.as_str(), f.resource.as_str()))
            .or_default()
            .push(i);
    }
    let mut accepted: Vec<(usize, String)> = Vec::new();
    for resource in view.resources.iter().filter(|r| !r.suppressions.is_empty()) {
        let file = view.sources.file(resource.file).name();
        let indexes = by_resource
            .get(&(file, resource.id.as_str()))
            .cloned()
            .unwrap_or_default();
        for suppression in &resource.suppressions {
            let Some(rule) = rule_by_code(&suppression.rule) else {
                let mut unknown = finding(
                    view,
                    resource,
                    invalid,
                    severity,
                    format!("suppression names unknown rule `{}`", suppression.rule),
                    suppression.span,
                );
                let names = RULES.iter().flat_map(|r| [r.code, r.rule.meta().name]);
                let hint = match landfall_diagnostics::suggestion(&suppression.rule, names) {
                    Some(best) => format!("did you mean `{best}`? "),
                    None => String::new(),
                };
                unknown.fix = Cow::Owned(format!(
                    "{hint}name the rule by its code or name (`landfall rules` lists them), or remove the suppression"
                ));
                extra.push(unknown);
                continue;
            };
            match &suppression.reason {
                None => extra.push(finding(
                    view,
                    resource,
                    invalid,
                    severity,
                    format!(
                        "suppression of `{}` gives no reason, so it is not applied",
                        rule.code
                    ),
                    suppression.span,
                )),
                Some(reason) => {
                    for &i in &indexes {
                        if findings[i].rule == rule.code {
                            accepted.push((i, reason.clone()));
                        }
                    }
                }
            }
        }
    }
    for (i, reason) in accepted {
        findings[i].suppressed = Some(reason);
    }
    findings.extend(extra);
}
