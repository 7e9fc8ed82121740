//! SSM Automation, how `landfall heal` runs a runbook on a metal host: the
//! disk cleanup is the baseline's Automation document
//! ([`landfall_model::monitoring::DISK_CLEANUP_DOCUMENT`]), started with the
//! host's instance and the action's id.
//!
//! The calls sit behind [`AutomationApi`] because the emulator the tests run
//! has no Automation executions; [`SdkAutomation`] makes them through the
//! SDK and [`RecordingAutomation`] records them.
//!
//! - `StartAutomationExecution` takes a client token, a UUID, that makes a
//!   retried start return the execution already started instead of a
//!   second one; it is derived from the action's id, so a retry after a
//!   crash sends the same token
//!   (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartAutomationExecution.html>).
//! - Without `AutomationAssumeRole` the runbook runs with the permissions of
//!   whoever started it, here the remediation role
//!   (<https://docs.aws.amazon.com/systems-manager/latest/userguide/running-simple-automations.html>).
//! - Whether an action's runbook was started is read back from the
//!   executions of the document started since the intent
//!   (`DescribeAutomationExecutions`, then `GetAutomationExecution` for the
//!   parameters, where the action's id is).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use crate::aws::Clients;
use crate::error::LiveError;

/// How far back of the intent executions are looked for.
const CLOCK_MARGIN_SECONDS: u64 = 300;

/// One runbook start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomationStart {
    pub document: String,
    /// Parameter name → values, as `StartAutomationExecution` takes them.
    pub parameters: BTreeMap<String, Vec<String>>,
    pub client_token: String,
}

/// One execution of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutomationExecution {
    pub id: String,
    pub status: String,
    pub parameters: BTreeMap<String, Vec<String>>,
}

/// The Automation calls, in the account and region `clients` enter.
pub trait AutomationApi: Send + Sync {
    /// Starts the runbook; the execution's id.
    fn start<'a>(
        &'a self,
        clients: &'a Clients,
        start: &'a AutomationStart,
    ) -> impl Future<Output = Result<String, String>> + Send + 'a;
    /// The executions of `document` started at or after `since` (Unix
    /// seconds), with their parameters.
    fn executions_since<'a>(
        &'a self,
        clients: &'a Clients,
        document: &'a str,
        since: u64,
    ) -> impl Future<Output = Result<Vec<AutomationExecution>, String>> + Send + 'a;
}

/// The disk cleanup of `instance` for the action `action_id`.
pub fn disk_cleanup(instance: &str, action_id: &str) -> AutomationStart {
    use landfall_model::monitoring::{DISK_CLEANUP_ACTION_PARAMETER, DISK_CLEANUP_DOCUMENT};
    AutomationStart {
        document: DISK_CLEANUP_DOCUMENT.to_owned(),
        parameters: BTreeMap::from([
            ("InstanceId".to_owned(), vec![instance.to_owned()]),
            (
                DISK_CLEANUP_ACTION_PARAMETER.to_owned(),
                vec![action_id.to_owned()],
            ),
        ]),
        client_token: client_token(action_id),
    }
}

/// A UUID-shaped token that is the same for the same action id (two
/// FNV-1a hashes of it, with the version and variant bits of RFC 9562's
/// custom UUIDs): a retried start is the start already made.
pub fn client_token(action_id: &str) -> String {
    let fnv = |seed: u64| {
        action_id.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let high = fnv(0xcbf2_9ce4_8422_2325);
    let low = fnv(0x6c62_272e_07bb_0142);
    let high = (high & !0xf000) | 0x8000;
    let low = (low & !(0xc000_u64 << 48)) | (0x8000_u64 << 48);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// The calls through the AWS SDK.
#[derive(Debug, Default, Clone, Copy)]
pub struct SdkAutomation;

impl AutomationApi for SdkAutomation {
    async fn start<'a>(
        &'a self,
        clients: &'a Clients,
        start: &'a AutomationStart,
    ) -> Result<String, String> {
        let out = clients
            .ssm()
            .start_automation_execution()
            .document_name(&start.document)
            .set_parameters(Some(
                start
                    .parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
            .client_token(&start.client_token)
            .send()
            .await
            .map_err(|e| LiveError::api("ssm:StartAutomationExecution", &e).to_string())?;
        Ok(out
            .automation_execution_id()
            .unwrap_or("(no id)")
            .to_owned())
    }

    async fn executions_since<'a>(
        &'a self,
        clients: &'a Clients,
        document: &'a str,
        since: u64,
    ) -> Result<Vec<AutomationExecution>, String> {
        use aws_sdk_ssm::types::{AutomationExecutionFilter, AutomationExecutionFilterKey};
        let ssm = clients.ssm();
        // A margin for this machine's clock running ahead of AWS's: the
        // action's id, not the time, tells which execution is ours.
        let since = since.saturating_sub(CLOCK_MARGIN_SECONDS);
        let after = aws_sdk_ssm::primitives::DateTime::from_secs(i64::try_from(since).unwrap_or(0))
            .fmt(aws_sdk_ssm::primitives::DateTimeFormat::DateTime)
            .map_err(|e| e.to_string())?;
        let filter = |key: AutomationExecutionFilterKey, value: &str| {
            AutomationExecutionFilter::builder()
                .key(key)
                .values(value)
                .build()
                .map_err(|e| e.to_string())
        };
        let filters = vec![
            filter(AutomationExecutionFilterKey::DocumentNamePrefix, document)?,
            filter(AutomationExecutionFilterKey::StartTimeAfter, &after)?,
        ];
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let out = ssm
                .describe_automation_executions()
                .set_filters(Some(filters.clone()))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| LiveError::api("ssm:DescribeAutomationExecutions", &e).to_string())?;
            ids.extend(
                out.automation_execution_metadata_list()
                    .iter()
                    .filter(|m| m.document_name() == Some(document))
                    .filter_map(|m| m.automation_execution_id().map(str::to_owned)),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        let mut executions = Vec::new();
        for id in ids {
            let out = ssm
                .get_automation_execution()
                .automation_execution_id(&id)
                .send()
                .await
                .map_err(|e| LiveError::api("ssm:GetAutomationExecution", &e).to_string())?;
            let Some(execution) = out.automation_execution() else {
                continue;
            };
            executions.push(AutomationExecution {
                id,
                status: execution
                    .automation_execution_status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                parameters: execution
                    .parameters()
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            });
        }
        Ok(executions)
    }
}

/// Automation in memory: every start, in the account and region it was
/// made in, with the time it was recorded; a start with a token already
/// seen returns the execution it started, as SSM does.
#[derive(Debug, Default)]
pub struct RecordingAutomation {
    starts: Mutex<Vec<RecordedStart>>,
}

/// A start as it was requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedStart {
    pub account: String,
    pub region: String,
    pub start: AutomationStart,
    pub id: String,
    /// Unix seconds.
    pub at: u64,
}

impl RecordingAutomation {
    /// Every start requested so far, retries included.
    pub fn starts(&self) -> Vec<RecordedStart> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordedStart>> {
        self.starts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl AutomationApi for RecordingAutomation {
    fn start<'a>(
        &'a self,
        clients: &'a Clients,
        start: &'a AutomationStart,
    ) -> impl Future<Output = Result<String, String>> + Send + 'a {
        let mut starts = self.lock();
        let id = starts
            .iter()
            .find(|s| s.start.client_token == start.client_token)
            .map_or_else(|| format!("exec-{}", starts.len() + 1), |s| s.id.clone());
        starts.push(RecordedStart {
            account: clients.account_id.clone(),
            region: clients.region.clone(),
            start: start.clone(),
            id: id.clone(),
            at: now(),
        });
        async move { Ok(id) }
    }

    fn executions_since<'a>(
        &'a self,
        clients: &'a Clients,
        document: &'a str,
        since: u64,
    ) -> impl Future<Output = Result<Vec<AutomationExecution>, String>> + Send + 'a {
        let mut seen = std::collections::BTreeSet::new();
        let found: Vec<AutomationExecution> = self
            .lock()
            .iter()
            .filter(|s| {
                s.account == clients.account_id
                    && s.region == clients.region
                    && s.start.document == document
                    && s.at >= since
                    && seen.insert(s.id.clone())
            })
            .map(|s| AutomationExecution {
                id: s.id.clone(),
                status: "InProgress".to_owned(),
                parameters: s.start.parameters.clone(),
            })
            .collect();
        async move { Ok(found) }
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// SSM takes a UUID as client token (8-4-4-4-12 hexadecimal digits);
    /// the same action gives the same token, another action another.
    #[test]
    fn the_client_token_is_a_uuid_of_the_action() {
        let token = client_token("act-0001");
        let parts: Vec<&str> = token.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12],
            "{token}"
        );
        assert!(token.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        // Version 8 (custom), variant 10.
        assert!(parts[2].starts_with('8'), "{token}");
        assert!(
            matches!(parts[3].chars().next(), Some('8' | '9' | 'a' | 'b')),
            "{token}"
        );
        assert_eq!(token, client_token("act-0001"));
        assert_ne!(token, client_token("act-0002"));
    }

    /// What the start sends is what the baseline's runbook declares: its
    /// parameters by name, and the action's id in the command's comment,
    /// which is how a person finds the action from a host's command history.
    #[test]
    fn the_start_fits_the_runbook_the_baseline_deploys() {
        let runbook = landfall_synth::layers::baseline::disk_cleanup_runbook();
        let declared: std::collections::BTreeSet<&str> = runbook["parameters"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let start = disk_cleanup("i-0123456789abcdef0", "heal-0a1b2c3d");
        let sent: std::collections::BTreeSet<&str> =
            start.parameters.keys().map(String::as_str).collect();
        assert_eq!(declared, sent);
        // Each value is one string of its parameter's allowed pattern
        // (anchored; SSM refuses a start whose values do not match).
        for (name, values) in &start.parameters {
            let pattern = runbook["parameters"][name]["allowedPattern"]
                .as_str()
                .unwrap();
            assert_eq!(values.len(), 1);
            assert!(
                regex::Regex::new(pattern).unwrap().is_match(&values[0]),
                "{name}: {} against {pattern}",
                values[0]
            );
        }
        // A real instance id and a journal action id, as `heal` makes them.
        let bad = disk_cleanup("i-XYZ", "heal 0a1b");
        let pattern = |n: &str| {
            regex::Regex::new(runbook["parameters"][n]["allowedPattern"].as_str().unwrap()).unwrap()
        };
        assert!(!pattern("InstanceId").is_match(&bad.parameters["InstanceId"][0]));
        assert!(!pattern("ActionId").is_match(&bad.parameters["ActionId"][0]));
        let step = &runbook["mainSteps"][0];
        assert_eq!(step["action"], "aws:runCommand");
        assert_eq!(step["inputs"]["InstanceIds"][0], "{{ InstanceId }}");
        assert_eq!(
            step["inputs"]["Comment"],
            "landfall heal {{ ActionId }}: disk cleanup"
        );
        assert_eq!(
            step["inputs"]["Parameters"]["commands"],
            serde_json::json!(landfall_model::monitoring::DISK_CLEANUP)
        );
        // No assumed role: it runs as the remediation role that starts it.
        assert!(runbook.get("assumeRole").is_none());
    }

    /// The start names the baseline's document, the instance and the
    /// action, the parameters the document declares.
    #[test]
    fn the_disk_cleanup_names_the_document_the_instance_and_the_action() {
        let start = disk_cleanup("i-0123456789abcdef0", "act-7");
        assert_eq!(
            start.document,
            landfall_model::monitoring::DISK_CLEANUP_DOCUMENT
        );
        assert_eq!(start.parameters["InstanceId"], ["i-0123456789abcdef0"]);
        assert_eq!(
            start.parameters[landfall_model::monitoring::DISK_CLEANUP_ACTION_PARAMETER],
            ["act-7"]
        );
        assert_eq!(start.client_token, client_token("act-7"));
    }
}
