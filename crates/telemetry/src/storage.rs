//! How long each store keeps logs and traces: the data lake's S3 lifecycle,
//! OpenSearch's index state management policies and index templates.
//!
//! Indices are daily (`logs-<domain>-YYYY.MM.DD`, `jaeger-span-YYYY-MM-DD`),
//! so deleting by index age needs no rollover alias; the policies attach to
//! new indices through their `ism_template` (OpenSearch's, not
//! Elasticsearch's `index.lifecycle.*`).

use serde_json::{json, Value};

use crate::plan::Plan;

pub const LOG_INDEX_PATTERN: &str = "logs-*";
/// Replicas of every log index; the log search domains are sized for this
/// many (`landfall_synth::layers::log_search::REPLICAS`, kept equal by a
/// test).
pub const LOG_INDEX_REPLICAS: u64 = 1;
pub const TRACE_INDEX_PATTERNS: [&str; 2] = ["jaeger-span-*", "jaeger-service-*"];

/// Days after which the data lake moves objects to cheaper classes, when
/// they are kept longer than that. S3 refuses a transition to Standard-IA
/// before 30 days (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html).
pub const TRANSITIONS: [(u32, &str); 2] = [(30, "STANDARD_IA"), (90, "GLACIER_IR")];

/// One generated document and the retention it carries.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: String,
    pub value: Value,
}

pub fn documents(plan: &Plan) -> Vec<Document> {
    vec![
        Document {
            path: "s3/log-lake-lifecycle.json".to_owned(),
            value: lake_lifecycle(plan.retention.s3_days),
        },
        Document {
            path: "opensearch/ism/logs.json".to_owned(),
            value: ism_policy(
                "Application logs: searchable, then deleted (the data lake keeps them)",
                plan.retention.opensearch_days,
                &[LOG_INDEX_PATTERN],
            ),
        },
        Document {
            path: "opensearch/ism/traces.json".to_owned(),
            value: ism_policy(
                "Jaeger spans and services",
                plan.retention.traces_days,
                &TRACE_INDEX_PATTERNS,
            ),
        },
        Document {
            path: "opensearch/templates/logs.json".to_owned(),
            value: log_template(),
        },
    ]
}

/// A `PutBucketLifecycleConfiguration` document for the data lake.
pub fn lake_lifecycle(days: u32) -> Value {
    let transitions: Vec<Value> = TRANSITIONS
        .iter()
        .filter(|(after, _)| *after < days)
        .map(|(after, class)| json!({ "Days": after, "StorageClass": class }))
        .collect();
    json!({ "Rules": [{
        "ID": "retention",
        "Status": "Enabled",
        "Filter": { "Prefix": "" },
        "Transitions": transitions,
        "Expiration": { "Days": days },
        "NoncurrentVersionExpiration": { "NoncurrentDays": 1 },
        "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 },
    }] })
}

/// An ISM policy deleting indices `days` after creation.
pub fn ism_policy(description: &str, days: u32, patterns: &[&str]) -> Value {
    json!({ "policy": {
        "description": description,
        "default_state": "hot",
        "states": [
            { "name": "hot", "actions": [], "transitions": [
                { "state_name": "delete", "conditions": { "min_index_age": format!("{days}d") } },
            ] },
            { "name": "delete", "actions": [{ "delete": {} }], "transitions": [] },
        ],
        "ism_template": [{ "index_patterns": patterns, "priority": 100 }],
    } })
}

fn log_template() -> Value {
    json!({
        "index_patterns": [LOG_INDEX_PATTERN],
        "priority": 100,
        "template": {
            "settings": { "number_of_shards": 3, "number_of_replicas": LOG_INDEX_REPLICAS },
            "mappings": { "properties": {
                "timestamp": { "type": "date" },
                "domain": { "type": "keyword" },
                "service": { "type": "keyword" },
                "environment": { "type": "keyword" },
                "region": { "type": "keyword" },
                "task": { "type": "keyword" },
                "stream": { "type": "keyword" },
                "message": { "type": "text" },
            } },
        },
    })
}

/// The days after which an ISM policy deletes, read back from it.
pub fn ism_delete_days(policy: &Value) -> Option<u32> {
    let states = policy.pointer("/policy/states")?.as_array()?;
    let deleting: Vec<&str> = states
        .iter()
        .filter(|s| {
            s.get("actions")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|a| a.get("delete").is_some()))
        })
        .filter_map(|s| s.get("name")?.as_str())
        .collect();
    states
        .iter()
        .flat_map(|s| {
            s.get("transitions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter(|t| {
            t.get("state_name")
                .and_then(Value::as_str)
                .is_some_and(|n| deleting.contains(&n))
        })
        .filter_map(|t| {
            t.pointer("/conditions/min_index_age")?
                .as_str()?
                .strip_suffix('d')?
                .parse()
                .ok()
        })
        .min()
}

/// The days after which the lifecycle expires current objects.
pub fn lifecycle_expiration_days(lifecycle: &Value) -> Option<u32> {
    lifecycle
        .get("Rules")?
        .as_array()?
        .iter()
        .filter(|r| r.get("Status").and_then(Value::as_str) == Some("Enabled"))
        .filter_map(|r| r.pointer("/Expiration/Days")?.as_u64())
        .min()
        .and_then(|d| u32::try_from(d).ok())
}

/// The index patterns an ISM policy attaches to new indices.
pub fn ism_index_patterns(policy: &Value) -> Vec<String> {
    policy
        .pointer("/policy/ism_template")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|t| {
            t.get("index_patterns")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

/// An index name a Vector index template (`logs-{{ domain }}-%Y.%m.%d`)
/// gives: each field a word, each date part a number.
pub fn sample_index(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push_str("field");
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out.replace("%Y", "2026")
        .replace("%m", "12")
        .replace("%d", "06")
        .replace("%F", "2026-12-06")
}

/// Whether an OpenSearch index pattern (`*` matches anything) matches
/// `name`.
pub fn index_pattern_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == name;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_patterns_match_as_opensearch_reads_them() {
        assert!(index_pattern_matches("logs-*", "logs-trading-2026.12.06"));
        assert!(index_pattern_matches(
            "logs-*-2026*",
            "logs-trading-2026.12.06"
        ));
        assert!(index_pattern_matches(
            "logs-trading-2026.12.06",
            "logs-trading-2026.12.06"
        ));
        assert!(!index_pattern_matches("log-*", "logs-trading-2026.12.06"));
        assert!(!index_pattern_matches(
            "logs-*-x",
            "logs-trading-2026.12.06"
        ));
        assert!(!index_pattern_matches("a*a", "a"));
        assert_eq!(
            sample_index("logs-{{ domain }}-%Y.%m.%d"),
            "logs-field-2026.12.06"
        );
    }
}
