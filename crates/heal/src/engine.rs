//! Decisions: for each signal, what the rulebook and the safety limits
//! allow, in a fixed order whose first refusal wins (and is the reason
//! journaled).

use std::sync::Arc;

use serde::Serialize;

use crate::journal::{DecisionRecord, Journal, JournalError, Recorded, Result};
use crate::rulebook::{ActionKind, Rulebook};
use crate::signal::{Signal, Status};

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The action runs.
    Act,
    /// The action would run; the rule (or the service) is in dry-run.
    DryRun,
    /// Disruptive: waits for a human.
    AwaitingApproval,
    /// A safety limit held it back (reason says which).
    Suppressed,
    /// Not something remediation may act on (unknown alert or target, stale).
    Refused,
    /// A resolved signal: the episode ended, which verifies a recovery.
    Recovered,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Act => "act",
            Outcome::DryRun => "dry-run",
            Outcome::AwaitingApproval => "awaiting-approval",
            Outcome::Suppressed => "suppressed",
            Outcome::Refused => "refused",
            Outcome::Recovered => "recovered",
        }
    }
}

/// A decision about one signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub signal_id: String,
    pub alert: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub reason: String,
    pub action: Option<ActionKind>,
    /// Also the idempotency token and the AWS session name of the call.
    pub action_id: Option<String>,
}

/// Decides signals against a rulebook and the journal's state.
pub struct Engine<J: Journal + ?Sized> {
    pub journal: Arc<J>,
    pub rulebook: Rulebook,
    /// Every decision at most a dry run (the service's `--dry-run`).
    pub dry_run: bool,
}

/// Seconds since the Unix epoch of an RFC 3339 time as Alertmanager writes
/// it (`2026-12-06T01:00:04.810095908Z`); the IAM engine's ISO 8601 reader.
pub fn parse_time(text: &str) -> Option<u64> {
    let millis = landfall_iam::compile::parse_date(text)?;
    u64::try_from(millis / 1000).ok()
}

/// How many times a decision is evaluated again when another instance
/// recorded an action on its target meanwhile; each retry sees that
/// action, so more than a couple means the journal is not answering sanely.
const MAX_EVALUATIONS: usize = 8;

impl<J: Journal + ?Sized> Engine<J> {
    /// Decides one signal and records the decision (and an action's
    /// intent) before returning it. A signal another instance decided
    /// first is an error here; the worker uses [`Engine::decide_once`].
    pub fn decide(&self, signal: &Signal, now: u64) -> Result<Decision> {
        self.decide_once(signal, now)?.ok_or_else(|| {
            JournalError(format!(
                "signal `{}` was decided already (by another instance)",
                signal.id
            ))
        })
    }

    /// Decides one signal unless it was decided already (`None`). The
    /// target's version is read before the limits and checked when the
    /// decision is recorded: if another instance recorded an action on
    /// the target in between, the limits are evaluated again.
    pub fn decide_once(&self, signal: &Signal, now: u64) -> Result<Option<Decision>> {
        let target = self
            .rulebook
            .rule(&signal.alertname)
            .and_then(|rule| self.rulebook.target(rule, &signal.labels).ok());
        for _ in 0..MAX_EVALUATIONS {
            let seen = match &target {
                Some(target) => self.journal.target_version(target)?,
                None => 0,
            };
            let decision = self.evaluate(signal, now)?;
            let record = DecisionRecord {
                signal_id: decision.signal_id.clone(),
                alert: decision.alert.clone(),
                target: decision.target.clone(),
                outcome: decision.outcome.as_str().to_owned(),
                reason: decision.reason.clone(),
                action_id: decision.action_id.clone(),
                action_kind: decision.action.map(|a| a.as_str().to_owned()),
                at: now,
            };
            match self
                .journal
                .record_decision(&record, &decision.alert, seen)?
            {
                Recorded::AlreadyDecided => return Ok(None),
                Recorded::TargetChanged => continue,
                Recorded::Yes => {}
            }
            if let (Some(target), Outcome::Act | Outcome::DryRun) =
                (&decision.target, decision.outcome)
            {
                // Every action counts toward the breaker until a recovery is seen.
                let (count, _) = self.journal.breaker(&decision.alert, target)?;
                self.journal
                    .set_breaker(&decision.alert, target, count + 1, false)?;
            }
            return Ok(Some(decision));
        }
        Err(JournalError(format!(
            "signal `{}`: its target changed under {MAX_EVALUATIONS} evaluations in a row",
            signal.id
        )))
    }

    fn evaluate(&self, signal: &Signal, now: u64) -> Result<Decision> {
        let mut d = Decision {
            signal_id: signal.id.clone(),
            alert: signal.alertname.clone(),
            target: None,
            outcome: Outcome::Refused,
            reason: String::new(),
            action: None,
            action_id: None,
        };
        if let Some(noted) = self.note_health_issue(signal)? {
            d.reason = noted;
            return Ok(d);
        }
        let Some(rule) = self.rulebook.rule(&signal.alertname) else {
            d.reason = "no rule for this alert: the spec does not list it as automatic".to_owned();
            return Ok(d);
        };
        d.action = Some(rule.action);
        let target = match self.rulebook.target(rule, &signal.labels) {
            Ok(t) => t,
            Err(why) => {
                d.reason = format!("unknown target: {why}");
                return Ok(d);
            }
        };
        let region =
            target_region(&target).or_else(|| signal.labels.get("region").map(String::as_str));
        if let Some(elsewhere) =
            region.filter(|r| !r.is_empty() && !self.rulebook.acts_in_region(r))
        {
            // Refused, not suppressed: nothing is wrong, the service of
            // that region decides it (its breaker and cool-downs too). The
            // decision names no target, so it counts toward none of this
            // service's windows (a storm elsewhere is not systemic here).
            d.reason = format!(
                "out of reach: {target} is in {elsewhere} and this service acts in {} only; the service of {elsewhere}, where the platform runs one, acts on it",
                self.rulebook.acts_in.iter().cloned().collect::<Vec<_>>().join(", ")
            );
            return Ok(d);
        }
        d.target = Some(target.clone());
        if signal.status == Status::Resolved {
            let (_, open) = self.journal.breaker(&rule.alert, &target)?;
            if !open {
                self.journal.set_breaker(&rule.alert, &target, 0, false)?;
            }
            d.outcome = Outcome::Recovered;
            d.action = None;
            d.reason = if open {
                "resolved; the breaker stays open until a human resets it".to_owned()
            } else {
                "resolved: recovery verified, the breaker is reset".to_owned()
            };
            return Ok(d);
        }
        match parse_time(&signal.starts_at) {
            Some(start) if now.saturating_sub(start) > rule.max_age_seconds => {
                d.reason = format!(
                    "stale: firing since {} ({} minutes), older than {} minutes",
                    signal.starts_at,
                    now.saturating_sub(start) / 60,
                    rule.max_age_seconds / 60
                );
                return Ok(d);
            }
            None => {
                d.reason = format!("`{}` is not a start time", signal.starts_at);
                return Ok(d);
            }
            _ => {}
        }
        d.outcome = Outcome::Suppressed;
        if let Some(why) = self.gates(rule.action, &target, region, now)? {
            d.reason = why;
            return Ok(d);
        }
        if self.journal.in_flight(&target)? {
            d.reason = "an action on this target has no result yet".to_owned();
            return Ok(d);
        }
        let (count, open) = self.journal.breaker(&rule.alert, &target)?;
        if open || count >= rule.breaker_after {
            if !open {
                self.journal
                    .set_breaker(&rule.alert, &target, count, true)?;
            }
            d.reason = format!(
                "breaker open: {count} actions without a verified recovery; a human must look (landfall heal reset)"
            );
            return Ok(d);
        }
        if let Some(last) = self.journal.last_action(&rule.alert, &target)? {
            if now.saturating_sub(last) < rule.cooldown_seconds {
                d.reason = format!(
                    "cool-down: acted {} s ago, waits {} s",
                    now.saturating_sub(last),
                    rule.cooldown_seconds
                );
                return Ok(d);
            }
        }
        let recent_targets = self
            .journal
            .targets_since(&rule.alert, now.saturating_sub(300))?;
        if recent_targets + 1 >= rule.systemic_targets {
            d.reason = format!(
                "systemic: {} targets raised `{}` within 5 minutes; acting on none",
                recent_targets + 1,
                rule.alert
            );
            return Ok(d);
        }
        if self
            .journal
            .actions_since(&rule.alert, now.saturating_sub(600))?
            >= rule.budget_per_10m
        {
            d.reason = format!(
                "budget: {} actions in 10 minutes already",
                rule.budget_per_10m
            );
            return Ok(d);
        }
        d.action_id = Some(format!("heal-{}", short_hash(&signal.id)));
        if rule.needs_approval {
            d.outcome = Outcome::AwaitingApproval;
            d.reason = format!(
                "`{}` is disruptive: waits for approval",
                rule.action.as_str()
            );
        } else if rule.dry_run || self.dry_run {
            d.outcome = Outcome::DryRun;
            d.reason = "dry run: decided and journaled, no AWS call".to_owned();
        } else {
            d.outcome = Outcome::Act;
            d.reason = rule.reason.to_owned();
        }
        Ok(d)
    }
}

impl<J: Journal + ?Sized> Engine<J> {
    /// The gates an action passes when it is decided and again when an
    /// approved one is about to run: the kill switches, a change freeze of
    /// the target's environment, an open AWS Health issue of a service the
    /// action depends on in `region` (when known). `Some(why)` holds it.
    pub fn gates(
        &self,
        action: ActionKind,
        target: &str,
        region: Option<&str>,
        now: u64,
    ) -> Result<Option<String>> {
        if self.journal.paused("all")? {
            return Ok(Some("paused: the global kill switch is on".to_owned()));
        }
        if self.journal.paused(action.as_str())? {
            return Ok(Some(format!(
                "paused: `{}` actions are switched off",
                action.as_str()
            )));
        }
        let environment = target_environment(target);
        if let Some(freeze) = self
            .rulebook
            .freezes
            .iter()
            .find(|f| f.holds(environment, i64::try_from(now).unwrap_or(i64::MAX)))
        {
            return Ok(Some(format!(
                "change freeze until {}: {}",
                freeze.until_text, freeze.reason
            )));
        }
        let Some(region) = region.filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        for service in action.aws_services() {
            if self.journal.paused(&health_switch(service, region))? {
                return Ok(Some(format!(
                    "systemic: an AWS Health issue is open for {service} in {region}; acting on none until it closes"
                )));
            }
        }
        Ok(None)
    }

    /// An AWS Health issue (category `issue`) opens or closes the switch
    /// of its service and region, which holds back every action depending
    /// on that service there: many targets failing at once because AWS
    /// does is systemic. The switch is the journal's, so it outlives a
    /// restart; `landfall heal resume health:<SERVICE>:<region>` clears one
    /// whose closing event never came. `None` for any other signal.
    fn note_health_issue(&self, signal: &Signal) -> Result<Option<String>> {
        use crate::signal::{
            HEALTH_CATEGORY, HEALTH_EVENT, HEALTH_PREFIX, HEALTH_SCOPE, HEALTH_SERVICE,
            HEALTH_STATUS,
        };
        let label = |k: &str| signal.labels.get(k).map(String::as_str).unwrap_or("");
        // Only AWS Health's own events, from the queue (an EventBridge
        // event's id, source `aws.health`, which no one else may send on a
        // bus): an alarm or an alert named like one is not AWS speaking.
        // Only public issues: an account-specific event is about some
        // resources of one account, not the service in the region.
        let from_health = signal.id.starts_with("ev:") && label("source") == "aws.health";
        if !from_health
            || !signal.alertname.starts_with(HEALTH_PREFIX)
            || label(HEALTH_CATEGORY) != "issue"
            || label(HEALTH_SCOPE) != "PUBLIC"
        {
            return Ok(None);
        }
        let (service, region) = (label(HEALTH_SERVICE), label("region"));
        if service.is_empty() || region.is_empty() {
            return Ok(None);
        }
        let open = label(HEALTH_STATUS) != "closed";
        let switch = health_switch(service, region);
        // One member per issue (its event ARN): overlapping issues hold
        // until the last one closes.
        let event = Some(label(HEALTH_EVENT))
            .filter(|e| !e.is_empty())
            .unwrap_or(&signal.id);
        self.journal.set_member(&switch, event, open)?;
        Ok(Some(if open {
            format!("AWS Health issue {event} open for {service} in {region}: actions depending on it there hold until it closes")
        } else if self.journal.paused(&switch)? {
            format!(
                "AWS Health issue {event} for {service} in {region} closed; another is still open there, so actions depending on it still hold"
            )
        } else {
            format!(
                "AWS Health issue {event} for {service} in {region} closed: actions there may run again"
            )
        }))
    }
}

/// The journal switch an open AWS Health issue of `service` in `region`
/// turns on.
pub fn health_switch(service: &str, region: &str) -> String {
    format!("health:{service}:{region}")
}

/// The environment a target names (`service/<name>/<env>/<region>`,
/// `host/<domain>/<env>/<host>`, `store/<name>/<env>/<region>`); a
/// certificate names none.
fn target_environment(target: &str) -> Option<&str> {
    let mut parts = target.split('/');
    match parts.next()? {
        "service" | "host" | "store" => parts.nth(1),
        _ => None,
    }
}

/// The region a service's or a store's target names.
pub fn target_region(target: &str) -> Option<&str> {
    let mut parts = target.split('/');
    match parts.next()? {
        "service" | "store" => parts.nth(2).filter(|r| !r.is_empty()),
        // `instance/<account>/<region>/<id>`
        "instance" => parts.nth(1).filter(|r| !r.is_empty()),
        _ => None,
    }
}

fn short_hash(text: &str) -> String {
    format!(
        "{:016x}",
        landfall_observability::plan::fnv1a(text.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_alertmanager_writes_them() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_time("2026-12-06T01:00:04.810095908Z"),
            Some(1_796_518_804)
        );
        assert_eq!(parse_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
    }
}
