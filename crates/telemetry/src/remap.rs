//! The remap (VRL) program of each service: parse its log format, redact,
//! and say where the record comes from.
//!
//! One program serves both collection paths: on Fargate the record comes
//! from FireLens (Fluent Bit's forward protocol: the line in `log`, the task
//! in `ecs_task_arn`), on a metal host from Docker (the line in `message`,
//! the task in the `com.amazonaws.ecs.task-arn` label).

use std::fmt::Write;

use landfall_spec::types::LogFormat;

use crate::plan::LoggedService;
use crate::redaction::{Pattern, Replace};

/// The environment variables a log agent's container must carry (the task
/// definition sets them; Fargate sets `AWS_REGION` itself).
pub const ENVIRONMENT_VARIABLE: &str = "LANDFALL_ENVIRONMENT";
pub const REGION_VARIABLE: &str = "AWS_REGION";

/// The fields every record leaves the agent with, whatever the service wrote.
pub const ADDED_FIELDS: [&str; 6] = [
    "domain",
    "service",
    "environment",
    "region",
    "task",
    "stream",
];

/// The program of one service.
pub fn program(service: &LoggedService, redactions: &[Pattern]) -> String {
    let mut p = String::new();
    let format = match service.format {
        LogFormat::Json => "JSON lines",
        LogFormat::Logfmt => "logfmt lines",
        LogFormat::Text => "text lines",
    };
    let _ = writeln!(
        p,
        "# Service `{}` of domain `{}`: {format}, redacted, with where each record comes from.",
        service.name, service.domain
    );
    p.push_str(concat!(
        "task = string(.ecs_task_arn) ?? string(.label.\"com.amazonaws.ecs.task-arn\") ?? \"unknown\"\n",
        "stream = string(.source) ?? string(.stream) ?? \"stdout\"\n",
        "received = .timestamp\n",
        "line = string(.log) ?? string(.message) ?? \"\"\n",
    ));
    // The line is redacted before it is parsed, so a secret in a field that
    // fails to parse is gone too, and keys naming a secret are still seen.
    for pattern in redactions {
        let with = match pattern.replace {
            Replace::Match => pattern.replacement(),
            Replace::AfterKey => format!("$1{}", pattern.replacement()),
        };
        let _ = writeln!(
            p,
            "line = replace(line, {}, {})",
            regex_literal(&pattern.regex),
            string_literal(&with)
        );
    }
    match service.format {
        LogFormat::Json | LogFormat::Logfmt => {
            let parse = if service.format == LogFormat::Json {
                "parse_json"
            } else {
                "parse_logfmt"
            };
            let _ = writeln!(p, "parsed, error = {parse}(line)");
            p.push_str(concat!(
                "if error == null && is_object(parsed) {\n",
                "    . = object!(parsed)\n",
                "} else {\n",
                "    . = { \"message\": line }\n",
                "}\n",
            ));
        }
        LogFormat::Text => p.push_str(". = { \"message\": line }\n"),
    }
    p.push_str("if !exists(.timestamp) && received != null { .timestamp = received }\n");
    let _ = writeln!(p, ".domain = {}", string_literal(&service.domain));
    let _ = writeln!(p, ".service = {}", string_literal(&service.name));
    let _ = writeln!(
        p,
        ".environment = get_env_var(\"{ENVIRONMENT_VARIABLE}\") ?? \"unknown\""
    );
    let _ = writeln!(
        p,
        ".region = get_env_var(\"{REGION_VARIABLE}\") ?? \"unknown\""
    );
    p.push_str(".task = task\n.stream = stream\n");
    // Once more over the parsed values, in one pass: a number the service
    // escaped in its JSON (`\u0034…`) reads as digits only now.
    let filters: Vec<String> = redactions
        .iter()
        .filter(|p| p.replace == Replace::Match)
        .map(|p| regex_literal(&p.regex))
        .collect();
    if !filters.is_empty() {
        let _ = writeln!(
            p,
            ". = redact(., filters: [{}], redactor: {{\"type\": \"text\", \"replacement\": \"[REDACTED]\"}})",
            filters.join(", ")
        );
    }
    p
}

/// A program without its service's own literals (the heading comment,
/// `.domain`, `.service`): programs of one shape compile alike.
pub fn shape(program: &str) -> String {
    program
        .lines()
        .filter(|l| {
            !(l.starts_with("# Service ")
                || l.starts_with(".domain = ")
                || l.starts_with(".service = "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A VRL regex literal (`r'…'`; a quote inside is escaped).
fn regex_literal(regex: &str) -> String {
    format!("r'{}'", regex.replace('\'', "\\'"))
}

/// A VRL string literal.
fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
