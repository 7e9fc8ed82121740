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
