//! What arrives: Alertmanager's webhook (version 4), as signals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Alertmanager's webhook body. Unknown fields are refused: a payload that
/// is not what we think it is must not be read as one.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertmanagerPayload {
    pub version: String,
    pub group_key: String,
    #[serde(default)]
    pub truncated_alerts: u64,
    pub status: String,
    pub receiver: String,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL", default)]
    pub external_url: String,
    pub alerts: Vec<WebhookAlert>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookAlert {
    pub status: String,
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(rename = "generatorURL", default)]
    pub generator_url: String,
    pub fingerprint: String,
}

/// Whether an alert is firing or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Firing,
    Resolved,
}

/// One alert episode's state change, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// Stable across re-sends and HA duplicates: the fingerprint, the
    /// episode's start and the status.
    pub id: String,
    pub alertname: String,
    pub status: Status,
    pub labels: BTreeMap<String, String>,
    /// The episode's start as Alertmanager gives it (RFC 3339).
    pub starts_at: String,
}

/// The alert name prefix of an AWS Health event (`AwsHealth:<eventTypeCode>`).
pub const HEALTH_PREFIX: &str = "AwsHealth:";
/// A Health event's labels: the AWS service (`ECS`, `EC2`, `RDS`, ...),
/// the category (`issue`, `scheduledChange`, `accountNotification`), the
/// status (`open`, `upcoming`, `closed`) and the event's ARN.
pub const HEALTH_SERVICE: &str = "aws_service";
pub const HEALTH_CATEGORY: &str = "health_category";
pub const HEALTH_STATUS: &str = "health_status";
/// `PUBLIC` (a service's issue in a region, every account) or
/// `ACCOUNT_SPECIFIC` (resources of one account).
pub const HEALTH_SCOPE: &str = "health_scope";
pub const HEALTH_EVENT: &str = "health_event";

/// Why a payload is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    Malformed(String),
    UnsupportedVersion(String),
    MissingAlertname { fingerprint: String },
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayloadError::Malformed(e) => write!(f, "not an Alertmanager webhook payload: {e}"),
            PayloadError::UnsupportedVersion(v) => {
                write!(f, "webhook version `{v}` is not supported (expected `4`)")
            }
            PayloadError::MissingAlertname { fingerprint } => {
                write!(f, "alert `{fingerprint}` has no `alertname` label")
            }
        }
    }
}

impl AlertmanagerPayload {
    pub fn parse(body: &[u8]) -> Result<Self, PayloadError> {
        let payload: Self =
            serde_json::from_slice(body).map_err(|e| PayloadError::Malformed(e.to_string()))?;
        if payload.version != "4" {
            return Err(PayloadError::UnsupportedVersion(payload.version));
        }
        Ok(payload)
    }

    /// The payload's alerts as signals. Truncated alerts (beyond the
    /// receiver's `max_alerts`) are absent from the body: nothing is
    /// inferred about them, in particular not that they resolved.
    pub fn signals(&self) -> Result<Vec<Signal>, PayloadError> {
        self.alerts
            .iter()
            .map(|a| {
                let alertname = a.labels.get("alertname").cloned().ok_or_else(|| {
                    PayloadError::MissingAlertname {
                        fingerprint: a.fingerprint.clone(),
                    }
                })?;
                let status = if a.status == "resolved" {
                    Status::Resolved
                } else {
                    Status::Firing
                };
                let suffix = match status {
                    Status::Firing => "firing",
                    Status::Resolved => "resolved",
                };
                Ok(Signal {
                    id: format!("am:{}:{}:{suffix}", a.fingerprint, a.starts_at),
                    alertname,
                    status,
                    labels: a.labels.clone(),
                    starts_at: a.starts_at.clone(),
                })
            })
            .collect()
    }
}

/// An AWS event as EventBridge delivers it to a queue: the fields the
/// service reads. The rest of the event (`detail` beyond these) is kept
/// only in the labels it gives.
#[derive(Debug, Clone, Deserialize)]
struct AwsEvent {
    id: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: String,
    account: String,
    region: String,
    time: String,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    detail: serde_json::Value,
}

/// The prefix of the platform's alarm names:
/// `landfall/<alert>/<label>=<value>/...` (the workload layer's alarms, for
/// example `landfall/EcsServiceBelowDesiredCount/service=order-gateway/environment=prod`),
/// so an alarm's state change names the alert and its target as an
/// Alertmanager alert's labels do.
pub const ALARM_PREFIX: &str = "landfall/";

/// CloudWatch writes `+0000`; RFC 3339 (and the journal) want `Z`.
fn rfc3339(time: &str) -> String {
    time.strip_suffix("+0000")
        .map_or_else(|| time.to_owned(), |t| format!("{t}Z"))
}

impl Signal {
    /// Every signal an AWS event is: one per instance of an EC2
    /// retirement (an AWS Health event may name several), else what
    /// [`Signal::from_event`] reads.
    pub fn from_event_all(body: &[u8]) -> Result<Vec<Signal>, PayloadError> {
        let event: AwsEvent = serde_json::from_slice(body)
            .map_err(|e| PayloadError::Malformed(format!("not an EventBridge event: {e}")))?;
        if let Some(signals) = retiring_instances(&event).filter(|s| !s.is_empty()) {
            return Ok(signals);
        }
        Ok(Signal::from_event(body)?.into_iter().collect())
    }

    /// The signal an AWS event (an SQS message EventBridge delivered) is,
    /// or `None` for one that says nothing to act on (an alarm entering
    /// `INSUFFICIENT_DATA`). A CloudWatch alarm's episode starts when it
    /// entered `ALARM`, so its firing and its resolution are one episode,
    /// as an Alertmanager alert's are; the id is stable across
    /// redeliveries of the same event.
    pub fn from_event(body: &[u8]) -> Result<Option<Signal>, PayloadError> {
        let event: AwsEvent = serde_json::from_slice(body)
            .map_err(|e| PayloadError::Malformed(format!("not an EventBridge event: {e}")))?;
        let mut labels = BTreeMap::from([
            ("account".to_owned(), event.account.clone()),
            ("region".to_owned(), event.region.clone()),
            ("source".to_owned(), event.source.clone()),
        ]);
        let text = |v: &serde_json::Value, path: &str| {
            v.pointer(path)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        if event.detail_type == "CloudWatch Alarm State Change" {
            let name = text(&event.detail, "/alarmName").ok_or_else(|| {
                PayloadError::Malformed("an alarm state change without `alarmName`".into())
            })?;
            let state = text(&event.detail, "/state/value").unwrap_or_default();
            let (status, started) = match state.as_str() {
                "ALARM" => (Status::Firing, text(&event.detail, "/state/timestamp")),
                // The episode that ends began when the alarm left OK.
                "OK" => (
                    Status::Resolved,
                    text(&event.detail, "/previousState/timestamp"),
                ),
                _ => return Ok(None),
            };
            let starts_at = rfc3339(&started.unwrap_or_else(|| event.time.clone()));
            let mut parts = name.strip_prefix(ALARM_PREFIX).map(|rest| rest.split('/'));
            let alertname = parts
                .as_mut()
                .and_then(Iterator::next)
                .map_or_else(|| name.clone(), str::to_owned);
            // `key=value` segments are the alert's labels.
            for part in parts.into_iter().flatten() {
                if let Some((key, value)) = part.split_once('=') {
                    if !matches!(key, "alertname" | "account" | "region" | "source" | "alarm") {
                        labels.insert(key.to_owned(), value.to_owned());
                    }
                }
            }
            labels.insert("alertname".to_owned(), alertname.clone());
            labels.insert("alarm".to_owned(), name.clone());
            let suffix = match status {
                Status::Firing => "firing",
                Status::Resolved => "resolved",
            };
            return Ok(Some(Signal {
                id: format!(
                    "cw:{}:{}:{name}:{starts_at}:{suffix}",
                    event.account, event.region
                ),
                alertname,
                status,
                labels,
                starts_at,
            }));
        }
        if let Some(signal) = guardduty_instance_finding(&event, &mut labels) {
            return Ok(Some(signal));
        }
        // Other AWS events (Health, ECS, GuardDuty) are journaled under
        // their kind; the rulebook acts on none of them unless it names it.
        let kind = match event.detail_type.as_str() {
            "AWS Health Event" => {
                // What the engine's Health gate reads: which AWS service,
                // where, and whether the issue is still open
                // (https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html).
                for (label, path) in [
                    (HEALTH_SERVICE, "/service"),
                    (HEALTH_CATEGORY, "/eventTypeCategory"),
                    (HEALTH_SCOPE, "/eventScopeCode"),
                    (HEALTH_STATUS, "/statusCode"),
                    (HEALTH_EVENT, "/eventArn"),
                ] {
                    if let Some(value) = text(&event.detail, path).filter(|v| !v.is_empty()) {
                        labels.insert(label.to_owned(), value);
                    }
                }
                // An event about another region than the bus's names it.
                if let Some(region) = text(&event.detail, "/eventRegion").filter(|r| !r.is_empty())
                {
                    labels.insert("region".to_owned(), region);
                }
                text(&event.detail, "/eventTypeCode").map(|code| format!("{HEALTH_PREFIX}{code}"))
            }
            "GuardDuty Finding" => text(&event.detail, "/type").map(|t| format!("GuardDuty:{t}")),
            "ECS Task State Change" => Some("EcsTaskStateChange".to_owned()),
            "ECS Service Action" => {
                text(&event.detail, "/eventName").map(|name| format!("EcsServiceAction:{name}"))
            }
            _ => None,
        }
        .unwrap_or_else(|| event.detail_type.replace(' ', ""));
        labels.insert("alertname".to_owned(), kind.clone());
        let starts_at = rfc3339(&event.time);
        Ok(Some(Signal {
            id: format!("ev:{}", event.id),
            alertname: kind,
            status: Status::Firing,
            labels,
            starts_at,
        }))
    }
}

/// An AWS Health event retiring EC2 instances (or reporting their
/// instance store degraded) becomes [`METAL_HOST_RETIRING`] once per
/// affected instance, labelled with the instance, its account and its
/// region: the remediation service finds out from the instance's tags
/// whether it is a metal host of the model. A `closed` event ends the
/// episode. `None` for any other event.
fn retiring_instances(event: &AwsEvent) -> Option<Vec<Signal>> {
    use landfall_model::monitoring::{EC2_RETIREMENT_EVENTS, METAL_HOST_RETIRING};
    let text = |path: &str| {
        event
            .detail
            .pointer(path)
            .and_then(serde_json::Value::as_str)
            .filter(|v| !v.is_empty())
    };
    if event.detail_type != "AWS Health Event"
        || event.source != "aws.health"
        || text("/service") != Some("EC2")
        || !EC2_RETIREMENT_EVENTS.contains(&text("/eventTypeCode")?)
    {
        return None;
    }
    let code = text("/eventTypeCode")?;
    let status = if text("/statusCode") == Some("closed") {
        Status::Resolved
    } else {
        Status::Firing
    };
    let account = text("/affectedAccount").unwrap_or(&event.account);
    let region = text("/eventRegion").unwrap_or(&event.region);
    // Entities are instance ids or ARNs (`...:instance/i-...`); the event's
    // `resources` say the same.
    // An entity AWS marks `RESOLVED` needs nothing more; without entities
    // the event's `resources` name the instances.
    let listed = event
        .detail
        .get("affectedEntities")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let entities: Vec<&str> = listed
        .iter()
        .filter(|e| e.get("status").and_then(serde_json::Value::as_str) != Some("RESOLVED"))
        .filter_map(|e| e.get("entityValue").and_then(serde_json::Value::as_str))
        .collect();
    let resources: Vec<&str> = if listed.is_empty() {
        event.resources.iter().map(String::as_str).collect()
    } else {
        Vec::new()
    };
    let mut instances: Vec<&str> = entities
        .into_iter()
        .chain(resources)
        .map(|v| v.rsplit('/').next().unwrap_or(v))
        .filter(|v| is_instance_id(v))
        .collect();
    instances.sort_unstable();
    instances.dedup();
    let starts_at = rfc3339(&event.time);
    Some(
        instances
            .into_iter()
            .map(|instance| {
                let labels = BTreeMap::from([
                    ("alertname".to_owned(), METAL_HOST_RETIRING.to_owned()),
                    ("account".to_owned(), account.to_owned()),
                    ("region".to_owned(), region.to_owned()),
                    ("source".to_owned(), event.source.clone()),
                    ("instance_id".to_owned(), instance.to_owned()),
                    ("health_event_code".to_owned(), code.to_owned()),
                    (
                        HEALTH_EVENT.to_owned(),
                        text("/eventArn").unwrap_or_default().to_owned(),
                    ),
                ]);
                Signal {
                    id: format!("ev:{}:{instance}", event.id),
                    alertname: METAL_HOST_RETIRING.to_owned(),
                    status,
                    labels,
                    starts_at: starts_at.clone(),
                }
            })
            .collect(),
    )
}

/// `i-` and 8 or 17 hexadecimal digits.
pub fn is_instance_id(text: &str) -> bool {
    text.strip_prefix("i-").is_some_and(|hex| {
        matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// A GuardDuty finding of high or critical severity about an EC2 instance
/// becomes [`GUARDDUTY_INSTANCE_ALERT`], labelled with what the instance's
/// tags and first interface say of it (`domain` and `environment` from the
/// workload layer's `landfall:` tags, `host` its private DNS name) and the
/// finding (`finding_type`, `severity`, `instance_id`, `finding_id`), so the
/// rulebook resolves it to a metal host of the model or refuses it. The
/// finding's fields are GuardDuty's `Finding` object
/// (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Finding.html,
/// https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html).
/// Every new occurrence of a finding is an event of its own (a new id), so
/// it is decided again under the cool-down.
fn guardduty_instance_finding(
    event: &AwsEvent,
    labels: &mut BTreeMap<String, String>,
) -> Option<Signal> {
    use landfall_model::monitoring::{GUARDDUTY_HIGH_SEVERITY, GUARDDUTY_INSTANCE_ALERT};
    if event.detail_type != "GuardDuty Finding" {
        return None;
    }
    let detail = &event.detail;
    let severity = detail.get("severity").and_then(serde_json::Value::as_f64)?;
    let instance = detail.pointer("/resource/instanceDetails")?;
    if detail.pointer("/resource/resourceType") != Some(&serde_json::json!("Instance"))
        || severity < GUARDDUTY_HIGH_SEVERITY
    {
        return None;
    }
    let text = |v: &serde_json::Value, path: &str| {
        v.pointer(path)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let tag = |key: &str| {
        instance
            .get("tags")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| t.get("key").and_then(serde_json::Value::as_str) == Some(key))
            .and_then(|t| text(t, "/value"))
    };
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            labels.insert(key.to_owned(), value);
        }
    };
    put("domain", tag("landfall:domain"));
    put("environment", tag("landfall:environment"));
    put(
        "host",
        text(instance, "/networkInterfaces/0/privateDnsName"),
    );
    put("instance_id", text(instance, "/instanceId"));
    put("finding_type", text(detail, "/type"));
    put("finding_id", text(detail, "/id"));
    put("severity", Some(severity.to_string()));
    labels.insert("alertname".to_owned(), GUARDDUTY_INSTANCE_ALERT.to_owned());
    Some(Signal {
        id: format!("ev:{}", event.id),
        alertname: GUARDDUTY_INSTANCE_ALERT.to_owned(),
        status: Status::Firing,
        labels: labels.clone(),
        starts_at: rfc3339(&event.time),
    })
}

#[cfg(test)]
mod event_tests {
    use super::*;

    fn alarm(name: &str, state: &str, previous: &str) -> Vec<u8> {
        serde_json::json!({
            "version": "0", "id": "c4c1c1c9", "detail-type": "CloudWatch Alarm State Change",
            "source": "aws.cloudwatch", "account": "123456789012", "time": "2026-12-06T10:05:00Z",
            "region": "eu-central-1", "resources": [],
            "detail": {
                "alarmName": name,
                "previousState": { "value": previous, "timestamp": "2026-12-06T10:00:00.000+0000" },
                "state": { "value": state, "timestamp": "2026-12-06T10:05:00.000+0000" }
            }
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_platform_alarm_names_its_alert_and_target_and_its_episode_spans_firing_and_resolution() {
        let name = "landfall/EcsServiceBelowDesiredCount/service=order-gateway/environment=prod";
        let firing = Signal::from_event(&alarm(name, "ALARM", "OK"))
            .unwrap()
            .unwrap();
        assert_eq!(firing.alertname, "EcsServiceBelowDesiredCount");
        assert_eq!(firing.status, Status::Firing);
        assert_eq!(firing.labels["service"], "order-gateway");
        assert_eq!(firing.labels["environment"], "prod");
        assert_eq!(firing.labels["region"], "eu-central-1");
        assert_eq!(firing.starts_at, "2026-12-06T10:05:00.000Z");
        // Resolution: the episode began when the alarm entered ALARM.
        let mut resolved_event: serde_json::Value =
            serde_json::from_slice(&alarm(name, "OK", "ALARM")).unwrap();
        resolved_event["detail"]["previousState"]["timestamp"] =
            "2026-12-06T10:05:00.000+0000".into();
        let resolved = Signal::from_event(resolved_event.to_string().as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(resolved.status, Status::Resolved);
        assert_eq!(resolved.starts_at, firing.starts_at);
        assert_ne!(resolved.id, firing.id);
        // Redelivered, the same id (the journal keeps one).
        let again = Signal::from_event(&alarm(name, "ALARM", "OK"))
            .unwrap()
            .unwrap();
        assert_eq!(again.id, firing.id);
    }

    #[test]
    fn insufficient_data_is_nothing_to_act_on_and_other_alarms_keep_their_name() {
        assert!(Signal::from_event(&alarm("x", "INSUFFICIENT_DATA", "OK"))
            .unwrap()
            .is_none());
        let other = Signal::from_event(&alarm("ServerCpuTooHigh", "ALARM", "OK"))
            .unwrap()
            .unwrap();
        assert_eq!(other.alertname, "ServerCpuTooHigh");
        assert!(!other.labels.contains_key("service"));
    }

    fn finding(severity: f64, tags: serde_json::Value) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/events/guardduty-finding.json");
        let mut event: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        event["detail"]["severity"] = severity.into();
        event["detail"]["resource"]["instanceDetails"]["tags"] = tags;
        event["detail"]["resource"]["instanceDetails"]["networkInterfaces"][0]["privateDnsName"] =
            "ip-10-20-1-15.eu-west-1.compute.internal".into();
        event.to_string().into_bytes()
    }

    #[test]
    fn a_high_severity_finding_about_an_instance_names_the_host_its_tags_place() {
        let tags = serde_json::json!([
            { "key": "landfall:domain", "value": "trading" },
            { "key": "landfall:environment", "value": "prod" },
            { "key": "Name", "value": "metal" }
        ]);
        let signal = Signal::from_event(&finding(8.0, tags.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(signal.alertname, "GuardDutyHighSeverityInstanceFinding");
        assert_eq!(signal.status, Status::Firing);
        assert_eq!(signal.labels["domain"], "trading");
        assert_eq!(signal.labels["environment"], "prod");
        assert_eq!(
            signal.labels["host"],
            "ip-10-20-1-15.eu-west-1.compute.internal"
        );
        assert_eq!(signal.labels["instance_id"], "i-0abcd1234ef567890");
        assert_eq!(
            signal.labels["finding_type"],
            "Backdoor:EC2/C&CActivity.B!DNS"
        );
        assert_eq!(signal.labels["severity"], "8");
        assert_eq!(signal.id, "ev:cd2d702e-ab31-411b-9344-793ce56b1bc7");
        // Critical (9 and up) too; medium (4.0 to 6.9) keeps its kind.
        assert_eq!(
            Signal::from_event(&finding(9.5, tags.clone()))
                .unwrap()
                .unwrap()
                .alertname,
            "GuardDutyHighSeverityInstanceFinding"
        );
        let medium = Signal::from_event(&finding(6.9, tags)).unwrap().unwrap();
        assert_eq!(medium.alertname, "GuardDuty:Backdoor:EC2/C&CActivity.B!DNS");
        assert!(!medium.labels.contains_key("host"));
    }

    #[test]
    fn the_documented_event_shapes_are_read() {
        // AWS's documented shapes, as the platform's samples give them.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events");
        let entries = std::fs::read_dir(&dir).unwrap();
        let mut read = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let body = std::fs::read(entry.path()).unwrap();
            let signal = Signal::from_event(&body)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .unwrap_or_else(|| panic!("{name}: nothing read"));
            assert!(!signal.alertname.is_empty(), "{name}");
            assert!(
                parse_time_ok(&signal.starts_at),
                "{name}: {}",
                signal.starts_at
            );
            read += 1;
        }
        assert!(read >= 5, "{read} events read");
    }

    fn parse_time_ok(text: &str) -> bool {
        crate::engine::parse_time(text).is_some()
    }

    #[test]
    fn a_health_event_names_its_service_category_status_and_region() {
        let body = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/events/aws-health-ec2-instance-store-degraded.json"),
        )
        .unwrap();
        let signal = Signal::from_event(&body).unwrap().unwrap();
        assert_eq!(
            signal.alertname,
            "AwsHealth:AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED"
        );
        assert_eq!(signal.labels[HEALTH_SERVICE], "EC2");
        assert_eq!(signal.labels[HEALTH_CATEGORY], "issue");
        assert_eq!(signal.labels[HEALTH_STATUS], "open");
        // The event is about `eventRegion`, not the bus's region.
        assert_eq!(signal.labels["region"], "us-east-1");
        assert!(signal.labels[HEALTH_EVENT].starts_with("arn:aws:health:"));
    }

    #[test]
    fn something_else_is_refused() {
        assert!(Signal::from_event(b"{\"alerts\": []}").is_err());
        assert!(Signal::from_event(b"not json").is_err());
    }
}
