//! Rule documentation generated from the registry: the `landfall rules`
//! listing, one rule's explanation, and `docs/rules.md`.

use std::fmt::Write as _;

use crate::codes::{RegisteredRule, RULES};

fn guardrail_name(rule: &RegisteredRule) -> String {
    rule.rule
        .meta()
        .guardrail
        .and_then(|g| serde_json::to_value(g).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "-".to_owned())
}

fn has_scp(rule: &RegisteredRule) -> bool {
    let settings = crate::settings::Settings {
        allowed_regions: vec!["eu-central-1".to_owned()],
        ..Default::default()
    };
    let principals = Vec::new();
    !rule
        .rule
        .scp_statements(&crate::registry::ScpContext {
            settings: &settings,
            exempt_principals: &principals,
        })
        .is_empty()
        || rule.rule.meta().guardrail == Some(landfall_spec::types::GuardrailId::ServiceAllowlist)
}

/// One line per rule: code, name, guardrail, summary.
/// One rule as data: what `landfall rules --format json` prints.
pub fn to_json(rule: &RegisteredRule) -> serde_json::Value {
    let meta = rule.rule.meta();
    serde_json::json!({
        "code": rule.code,
        "name": meta.name,
        "family": meta.family,
        "summary": meta.summary,
        "severity": meta.severity,
        "guardrail": meta.guardrail,
        "config_rules": meta.config_rules,
        "checkov": meta.checkov,
        "kinds": meta.kinds,
        "fix": meta.fix,
        "docs": meta.docs,
    })
}

pub fn list() -> String {
    let mut out = String::new();
    for r in RULES {
        let meta = r.rule.meta();
        let _ = writeln!(
            out,
            "{}  {:<42} {:<24} {}",
            r.code,
            meta.name,
            guardrail_name(r),
            meta.summary
        );
    }
    out
}

/// A rule's full documentation, in Markdown.
pub fn explain(rule: &RegisteredRule) -> String {
    let meta = rule.rule.meta();
    let mut out = String::new();
    let _ = writeln!(out, "# {} `{}`\n", rule.code, meta.name);
    let _ = writeln!(out, "{}\n", capitalize(meta.summary));
    let list = |items: &[&str]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(out, "- Family: `{}`", meta.family);
    let _ = writeln!(out, "- Guardrail: `{}`", guardrail_name(rule));
    let _ = writeln!(
        out,
        "- Severity: critical when the guardrail is preventive, otherwise {}",
        meta.severity.name()
    );
    let _ = writeln!(
        out,
        "- Prevented by SCP: {}",
        if has_scp(rule) { "yes" } else { "no" }
    );
    let _ = writeln!(out, "- AWS Config rules: {}", list(meta.config_rules));
    let _ = writeln!(out, "- checkov: {}", list(meta.checkov));
    let _ = writeln!(out, "- Resource types: {}", list(meta.kinds));
    let _ = writeln!(out, "- Fix: {}\n", meta.fix);
    // Doc comments start every line with a space.
    for line in meta.docs.lines() {
        let line = line.strip_prefix(' ').unwrap_or(line);
        // Nested one level under the rule's heading.
        if let Some(heading) = line.strip_prefix("## ") {
            let _ = writeln!(out, "### {heading}");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str() + ".",
        None => String::new(),
    }
}

/// The whole `docs/rules.md`.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("<!-- Generated from crates/rules by `LANDFALL_UPDATE_DOCS=1 cargo test -p landfall-rules --test docs`. Do not edit. -->\n\n");
    out.push_str("# Guardrail rules\n\n");
    out.push_str(
        "Every rule is written once in `crates/rules/src/rules/<family>/<rule>.rs` and used four ways: \
its SCP statements prevent the violation, its AWS Config rules detect it in live accounts, \
`landfall check` finds it in CloudFormation templates and Terraform plans before deployment, \
and an audit runs the same check on a live inventory.\n\n\
Severity is `critical` when the rule's guardrail is preventive in the spec (`guardrails.controls`), \
otherwise the rule's own severity; a guardrail switched `off` disables its rules. \
Suppress a finding with a reason: CloudFormation resource `Metadata: {landfall: {suppress: [{rule: LF101, reason: \"...\"}]}}`, \
Terraform tag `landfall:suppress = \"LF101: reason\"`.\n\n\
How `landfall check` reads its inputs: a CloudFormation parameter is undecided unless pinned \
(`--parameter KEY=VALUE`, `--parameter-file FILE`), so a condition over it is checked both ways and a \
value read from a default says \"when parameter `X` keeps its default\"; `Fn::ForEach` is expanded as \
CloudFormation does; AWS SAM functions and state machines are checked through their `Policies` and other \
SAM resources are reported as not checked; a Rain module, Terraform state, an undefined `Ref`, an inverted \
port range and a directory with nothing to check are input errors (exit 2); files that are neither template \
nor plan are listed as skipped (SARIF `toolExecutionNotifications`). In plans, an attribute the \
configuration does not set is AWS's default, not unknown, and findings use Terraform's attribute names.\n\n",
    );
    out.push_str("| code | name | guardrail | severity | SCP | AWS Config | checkov |\n|---|---|---|---|---|---|---|\n");
    for r in RULES {
        let meta = r.rule.meta();
        let _ = writeln!(
            out,
            "| [{}](#{}) | `{}` | {} | {} | {} | {} | {} |",
            r.code,
            r.code.to_ascii_lowercase(),
            meta.name,
            guardrail_name(r),
            meta.severity.name(),
            if has_scp(r) { "yes" } else { "" },
            meta.config_rules.join(", "),
            meta.checkov.join(", "),
        );
    }
    out.push('\n');
    for r in RULES {
        let _ = writeln!(out, "<a id=\"{}\"></a>", r.code.to_ascii_lowercase());
        let text = explain(r);
        // One level deeper than the page title.
        for line in text.lines() {
            if line.starts_with('#') {
                let _ = writeln!(out, "#{line}");
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
