//! Rendering findings: text for people, JSON for scripts, SARIF 2.1.0 for
//! code-scanning tools.

use std::fmt::Write as _;

use serde_json::json;

use landfall_diagnostics::JsonDiagnostic;

use crate::codes::RULES;
use crate::registry::Severity;
use crate::scan::{Finding, Report};
use crate::view::ResourceView;

/// `file:line:column: LF101 [critical] resource: message`, then the fix, and
/// a summary line.
pub fn text(report: &Report) -> String {
    text_styled(report, false)
}

/// [`text`], with ANSI colours when `color` is set: the location in bold,
/// the severity in its colour (critical and high red, medium yellow, low
/// cyan), the fix in green.
pub fn text_styled(report: &Report, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    for f in report.active() {
        let severity_color = match f.severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        let _ = writeln!(
            out,
            "{}: {} {} {} `{}`: {}",
            paint("1", &format!("{}:{}:{}", f.file, f.line, f.column)),
            paint(severity_color, f.rule),
            paint(severity_color, &format!("[{}]", f.severity.name())),
            f.name,
            f.resource,
            f.message
        );
        let _ = writeln!(out, "    {} {}", paint("32", "fix:"), f.fix);
    }
    let suppressed: Vec<&Finding> = report.suppressed().collect();
    if !suppressed.is_empty() {
        let _ = writeln!(out, "suppressed:");
        for f in suppressed {
            let _ = writeln!(
                out,
                "  {}:{}: {} `{}`: {} (reason: {})",
                f.file,
                f.line,
                f.rule,
                f.resource,
                f.message,
                f.suppressed.as_deref().unwrap_or_default()
            );
        }
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// `3 findings (1 critical, 2 high), 1 suppressed, in 2 files with 14 resources`.
pub fn summary(report: &Report) -> String {
    let active: Vec<&Finding> = report.active().collect();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut by_severity = Vec::new();
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let n = active.iter().filter(|f| f.severity == severity).count();
        if n > 0 {
            by_severity.push(format!("{n} {}", severity.name()));
        }
    }
    let mut text = plural(active.len(), "finding");
    if !by_severity.is_empty() {
        let _ = write!(text, " ({})", by_severity.join(", "));
    }
    let suppressed = report.suppressed().count();
    if suppressed > 0 {
        let _ = write!(text, ", {suppressed} suppressed");
    }
    let _ = write!(
        text,
        " in {} with {}",
        plural(report.files, "file"),
        plural(report.resources, "resource")
    );
    text
}

/// A JSON list of findings (suppressed ones carry `suppressed`: the reason).
pub fn json(report: &Report) -> serde_json::Value {
    serde_json::to_value(&report.findings).unwrap_or_else(|_| json!([]))
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning's `security-severity`: a CVSS-like score whose band
/// (9.0+ critical, 7.0–8.9 high, 4.0–6.9 medium, below low) it shows.
/// https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#reportingdescriptor-object
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// The SARIF `reportingDescriptor` of a rule by code (`check` and `audit`
/// describe rules the same way).
pub fn sarif_rule(code: &str) -> Option<serde_json::Value> {
    let r = RULES.iter().find(|r| r.code == code)?;
    let meta = r.rule.meta();
    Some(json!({
        "id": r.code,
        "name": meta.name,
        "shortDescription": { "text": meta.summary },
        "fullDescription": { "text": meta.summary },
        "help": { "text": meta.fix, "markdown": meta.docs },
        "helpUri": format!("https://github.com/landfall-dev/landfall/blob/main/docs/rules.md#{}", r.code.to_ascii_lowercase()),
        "defaultConfiguration": { "level": sarif_level(meta.severity) },
        "properties": {
            "family": meta.family,
            "awsConfigRules": meta.config_rules,
            "checkov": meta.checkov,
            "security-severity": security_severity(meta.severity),
            "tags": ["security"],
        },
    }))
}

/// SARIF 2.1.0: every rule in `tool.driver.rules`, one result per finding
/// with its location; suppressed findings carry an accepted suppression.
pub fn sarif(report: &Report) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = RULES.iter().filter_map(|r| sarif_rule(r.code)).collect();
    let index_of = |code: &str| RULES.iter().position(|r| r.code == code).unwrap_or(0);
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": index_of(f.rule),
                "level": sarif_level(f.severity),
                "message": { "text": format!("{} `{}`: {}", f.name, f.resource, f.message) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file.replace('\\', "/") },
                        "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
                    },
                    "logicalLocations": [{ "name": f.resource, "kind": "resource" }],
                }],
                "properties": {
                    "severity": f.severity.name(),
                    "security-severity": security_severity(f.severity),
                    "fix": f.fix,
                },
            });
            if let Some(reason) = &f.suppressed {
                result["suppressions"] =
                    json!([{ "kind": "inSource", "status": "accepted", "justification": reason }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "landfall",
                    "informationUri": "https://github.com/landfall-dev/landfall",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }]
    })
}

/// What reading the inputs reported, one entry each: the errors (files that
/// could not be read or checked) and a warning per file skipped as neither
/// template nor plan. The shape of `landfall_diagnostics::render_json`.
pub fn input_problems_json(view: &ResourceView) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = view
        .diagnostics
        .iter()
        .map(|d| serde_json::to_value(JsonDiagnostic::new(d, &view.sources)).unwrap_or_default())
        .collect();
    out.extend(view.skipped.iter().map(|path| {
        json!({
            "severity": "warning",
            "code": "input::skipped",
            "message": skipped_message(path),
            "file": path.display().to_string(),
        })
    }));
    out
}

fn skipped_message(path: &std::path::Path) -> String {
    format!(
        "`{}` is neither a CloudFormation template nor a Terraform plan; skipped",
        path.display()
    )
}

/// The SARIF `invocations` of a run: whether every input was read, and a
/// `toolExecutionNotifications` entry per input problem and skipped file, so
/// a run that checked nothing never reads as clean.
pub fn sarif_invocations(view: &ResourceView) -> serde_json::Value {
    let mut notifications: Vec<serde_json::Value> = view
        .diagnostics
        .iter()
        .map(|d| notification(&JsonDiagnostic::new(d, &view.sources)))
        .collect();
    notifications.extend(view.skipped.iter().map(|path| {
        json!({
            "level": "warning",
            "descriptor": { "id": "input::skipped" },
            "message": { "text": skipped_message(path) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": path.display().to_string().replace('\\', "/") },
                },
            }],
        })
    }));
    json!([{
        "executionSuccessful": !view.diagnostics.iter().any(|d| d.is_error()),
        "toolExecutionNotifications": notifications,
    }])
}

fn notification(diagnostic: &JsonDiagnostic) -> serde_json::Value {
    let level = match diagnostic.severity {
        landfall_diagnostics::Severity::Error => "error",
        landfall_diagnostics::Severity::Warning => "warning",
    };
    let mut text = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        text.push_str("; ");
        text.push_str(help);
    }
    let mut notification = json!({
        "level": level,
        "descriptor": { "id": diagnostic.code },
        "message": { "text": text },
    });
    if let Some(file) = &diagnostic.file {
        let mut location = json!({ "artifactLocation": { "uri": file.replace('\\', "/") } });
        if let (Some(line), Some(column)) = (diagnostic.line, diagnostic.column) {
            location["region"] = json!({ "startLine": line.max(1), "startColumn": column.max(1) });
        }
        notification["locations"] = json!([{ "physicalLocation": location }]);
    }
    notification
}
