//! The rulebook for teams that run remediation on Red Hat Automation
//! Controller: per environment, an ansible-rulebook rulebook (Event-Driven
//! Ansible) on Alertmanager's webhook and the controller's job and workflow
//! templates, and one rulebook on the platform's event queue for every
//! environment (a queue read by several activations gives each message to
//! one of them, which might not be the one whose rules match), all written
//! from the same [`Rulebook`] the service decides with.
//!
//! The templates are tasks of the `awx.awx` collection's `job_template` and
//! `workflow_job_template` modules (the same modules as the certified
//! `ansible.controller`), in a playbook: applied by `ansible-playbook`, they
//! create or update each template idempotently and are checked against the
//! modules' argument specs; the controller's export format (`awx export`)
//! is meant for copying a whole instance and refers to projects and
//! inventories by ids of the instance it came from.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::rulebook::{Rule, Rulebook, TargetKind};

/// Where the rulebook listens and reads, and what the controller holds.
#[derive(Debug, Clone)]
pub struct Options {
    /// The environments a rulebook is written for (one each).
    pub environments: Vec<String>,
    /// The regions with an alert path, each with its own event queue
    /// ([`landfall_model::monitoring::alert_regions`]).
    pub queue_regions: Vec<String>,
    /// Event-Driven Ansible's queue of each alert path.
    pub queue_name: String,
    /// The controller organization the templates belong to.
    pub organization: String,
    /// The controller project holding the remediation playbooks.
    pub project: String,
    /// The controller inventory the jobs run against.
    pub inventory: String,
    /// Where the Alertmanager source listens.
    pub listen_host: String,
    pub listen_port: u16,
}

impl Options {
    /// The platform's defaults: Event-Driven Ansible's queue of the alert
    /// path in each of `queue_regions`, the controller's `Default`
    /// organization.
    pub fn new(environments: Vec<String>, queue_regions: Vec<String>) -> Self {
        Self {
            environments,
            queue_regions,
            queue_name: landfall_model::monitoring::EDA_QUEUE.to_owned(),
            organization: "Default".to_owned(),
            project: "landfall-remediation".to_owned(),
            inventory: "landfall-remediation".to_owned(),
            listen_host: "0.0.0.0".to_owned(),
            listen_port: 5000,
        }
    }
}

/// How long an approval waits before the workflow gives up (seconds): the
/// alert is decided again if it persists.
pub const APPROVAL_TIMEOUT_SECONDS: u64 = 3_600;

/// The job template a rule launches in `environment`.
pub fn job_template_name(environment: &str, rule: &Rule) -> String {
    format!("landfall-{environment}-{}", rule.alert)
}

/// The workflow (approval, then the job) a disruptive rule launches.
pub fn workflow_template_name(environment: &str, rule: &Rule) -> String {
    format!("{}-approved", job_template_name(environment, rule))
}

/// The playbook, in the controller project, that carries out an action.
pub fn playbook(rule: &Rule) -> String {
    format!("remediate/{}.yml", rule.action.as_str())
}

/// The rules the export carries: all but those on alerts raised from AWS
/// events that are not alarms (a GuardDuty finding about an instance).
/// ansible-rulebook's conditions cannot tell a finding's environment (a
/// tag's value beside its key in a list), and a rule that cannot tell
/// would act on another environment's hosts; `landfall heal serve` acts on
/// those alone.
pub fn rules(book: &Rulebook) -> impl Iterator<Item = &Rule> {
    book.rules
        .iter()
        .filter(|r| !landfall_model::monitoring::EVENT_ALERTS.contains(&r.alert.as_str()))
}

/// The directory of the rulebook on the event queue.
pub const EVENTS_DIR: &str = "events";

/// The files, by path under the output directory, sorted:
/// `<env>/rulebook.yml` and `<env>/controller.yml` per environment, and
/// `events/rulebook.yml`.
pub fn export(book: &Rulebook, options: &Options) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert(
        format!("{EVENTS_DIR}/rulebook.yml"),
        landfall_observability::yaml::to_yaml(&events_rulebook(book, options)),
    );
    for env in &options.environments {
        files.insert(
            format!("{env}/rulebook.yml"),
            landfall_observability::yaml::to_yaml(&rulebook(book, env, options)),
        );
        files.insert(
            format!("{env}/controller.yml"),
            landfall_observability::yaml::to_yaml(&controller(book, env, options)),
        );
    }
    files
}

/// The engine name in `observability.remediation.engine` that says the
/// platform's remediation runs on Automation Controller.
pub use landfall_model::monitoring::AUTOMATION_CONTROLLER;

/// What `landfall synth` writes for a platform whose remediation engine is
/// Automation Controller: every environment's rulebook and templates with
/// the defaults `landfall heal export-ansible` uses. `None` for another
/// engine (the remediation service reads its rules from the spec itself).
pub fn for_model(model: &landfall_model::Model) -> Option<BTreeMap<String, String>> {
    if !landfall_model::monitoring::runs_on_automation_controller(model) {
        return None;
    }
    let (book, _unknown) = Rulebook::from_model(model);
    let environments = model.environments.iter().map(|e| e.name.clone()).collect();
    Some(export(
        &book,
        &Options::new(
            environments,
            landfall_model::monitoring::alert_regions(model),
        ),
    ))
}

/// The ansible-rulebook rulebook of one environment: a ruleset reading
/// Alertmanager's webhook, with one rule per landfall rule.
pub fn rulebook(book: &Rulebook, env: &str, options: &Options) -> Value {
    let alertmanager = json!({
        "name": format!("landfall remediation {env}: Alertmanager (rulebook {})", book.version),
        "hosts": "all",
        "sources": [{
            "name": "alertmanager",
            "ansible.eda.alertmanager": {
                "host": options.listen_host,
                "port": options.listen_port,
                "data_alerts_path": "alerts",
                // The alert's `instance` is a scrape address, not a host of
                // the inventory; the rules read their targets from labels.
                "data_host_path": "",
                // One event per alert, not also the whole batch.
                "skip_original_data": true,
            }
        }],
        // Alerts only a CloudWatch alarm raises never pass Alertmanager:
        // the events rulebook carries them.
        "rules": rules(book)
            .filter(|r| !landfall_model::monitoring::ALARM_ALERTS.contains(&r.alert.as_str()))
            .map(|r| alertmanager_rule(book, r, env, options))
            .collect::<Vec<_>>(),
    });
    json!([alertmanager])
}

/// The rulebook on the platform's event queues: one ruleset reading each
/// alert path's queue for Event-Driven Ansible, with a rule per landfall
/// rule and environment (named `<alert> (<env>)`). Run it in one
/// activation only: SQS gives each message to one reader.
pub fn events_rulebook(book: &Rulebook, options: &Options) -> Value {
    let sources: Vec<Value> = options
        .queue_regions
        .iter()
        .map(|region| {
            json!({
                "name": format!("event queue {region}"),
                "ansible.eda.aws_sqs_queue": {
                    "region": region,
                    "name": options.queue_name,
                    "delay_seconds": 20,
                }
            })
        })
        .collect();
    let queue = json!({
        "name": format!("landfall remediation: AWS events (rulebook {})", book.version),
        "hosts": "all",
        "sources": sources,
        "rules": options
            .environments
            .iter()
            .flat_map(|env| rules(book).map(move |r| alarm_rule(book, r, env, options)))
            .collect::<Vec<_>>(),
    });
    json!([queue])
}

/// A rule on an Alertmanager alert: its name, firing, in `env`, with every
/// label that names the target; throttled per target for the cool-down.
fn alertmanager_rule(book: &Rulebook, rule: &Rule, env: &str, options: &Options) -> Value {
    let labels = rule.target.labels();
    let mut condition = vec![
        format!("event.alert.labels.alertname == {}", quoted(&rule.alert)),
        "event.alert.status == \"firing\"".to_owned(),
        format!("event.alert.labels.environment == {}", quoted(env)),
    ];
    condition.extend(
        labels
            .iter()
            .filter(|l| **l != "environment")
            .map(|l| format!("event.alert.labels.{l} is defined")),
    );
    let group_by: Vec<String> = labels
        .iter()
        .map(|l| format!("event.alert.labels.{l}"))
        .collect();
    json!({
        "name": rule.alert,
        "condition": condition.join(" and "),
        "throttle": {
            "once_within": format!("{} seconds", rule.cooldown_seconds),
            "group_by_attributes": group_by,
        },
        "action": action(book, rule, env, options, "{{ event.alert }}"),
    })
}

/// The name of a rule of the events rulebook (unique in its ruleset).
pub fn events_rule_name(rule: &Rule, env: &str) -> String {
    format!("{} ({env})", rule.alert)
}

/// A rule on a CloudWatch alarm from the queue: the workload layer names
/// its alarms `landfall/<alert>/<label>=<value>/...`, so the name carries
/// the target and keys the throttle.
fn alarm_rule(book: &Rulebook, rule: &Rule, env: &str, options: &Options) -> Value {
    let pattern = format!(
        "landfall/{}/(.+/)?environment={}(/.*)?$",
        regex_escape(&rule.alert),
        regex_escape(env)
    );
    let condition = [
        "event.body.source == \"aws.cloudwatch\"".to_owned(),
        "event.body.detail.state.value == \"ALARM\"".to_owned(),
        format!("event.body.detail.alarmName is match({})", quoted(&pattern)),
    ];
    json!({
        "name": events_rule_name(rule, env),
        "condition": condition.join(" and "),
        "throttle": {
            "once_within": format!("{} seconds", rule.cooldown_seconds),
            "group_by_attributes": ["event.body.detail.alarmName"],
        },
        "action": action(book, rule, env, options, "{{ event.body }}"),
    })
}

/// `run_job_template`, or for a disruptive rule `run_workflow_template`
/// (approval first), with the event and the rule in the extra variables.
fn action(book: &Rulebook, rule: &Rule, env: &str, options: &Options, event: &str) -> Value {
    let (kind, name) = if rule.needs_approval {
        ("run_workflow_template", workflow_template_name(env, rule))
    } else {
        ("run_job_template", job_template_name(env, rule))
    };
    json!({
        kind: {
            "name": name,
            "organization": options.organization,
            "job_args": {
                "extra_vars": {
                    "landfall_rule": rule.alert,
                    "landfall_action": rule.action.as_str(),
                    "landfall_rulebook": book.version,
                    "landfall_environment": env,
                    "landfall_dry_run": rule.dry_run,
                    "landfall_event": event,
                }
            }
        }
    })
}

/// The controller's templates for one environment: a job template per
/// rule (never two runs at once), and for each disruptive rule a workflow
/// whose approval node precedes that job.
pub fn controller(book: &Rulebook, env: &str, options: &Options) -> Value {
    let mut tasks = Vec::new();
    for rule in rules(book) {
        let name = job_template_name(env, rule);
        tasks.push(json!({
            "name": format!("job template {name}"),
            "awx.awx.job_template": {
                "name": name,
                "description": format!("{} on a {}: {}", rule.action.as_str(), target_noun(rule.target), rule.reason),
                "organization": options.organization,
                "project": options.project,
                "inventory": options.inventory,
                "playbook": playbook(rule),
                "job_type": "run",
                // One run at a time: a second alert waits, it does not act
                // beside the first.
                "allow_simultaneous": false,
                // The rulebook's extra variables (the event, the rule) are
                // dropped unless the template asks for them.
                "ask_variables_on_launch": true,
                "state": "present",
            }
        }));
    }
    for rule in rules(book).filter(|r| r.needs_approval) {
        let name = workflow_template_name(env, rule);
        tasks.push(json!({
            "name": format!("workflow {name}"),
            "awx.awx.workflow_job_template": {
                "name": name,
                "description": format!("approval, then {}", job_template_name(env, rule)),
                "organization": options.organization,
                "allow_simultaneous": false,
                "ask_variables_on_launch": true,
                "state": "present",
                "workflow_nodes": [
                    {
                        "identifier": "approve",
                        "unified_job_template": {
                            "name": format!("approve {} ({})", rule.action.as_str(), rule.alert),
                            "description": rule.reason,
                            "type": "workflow_approval",
                            "timeout": APPROVAL_TIMEOUT_SECONDS,
                        },
                        "related": { "success_nodes": [{ "identifier": "act" }] },
                    },
                    {
                        "identifier": "act",
                        "unified_job_template": {
                            "name": job_template_name(env, rule),
                            "type": "job_template",
                            "organization": { "name": options.organization },
                        },
                    },
                ],
            }
        }));
    }
    json!([{
        "name": format!("landfall remediation templates {env} (rulebook {})", book.version),
        "hosts": "localhost",
        "gather_facts": false,
        "tasks": tasks,
    }])
}

fn target_noun(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Service => "service",
        TargetKind::Host => "host",
        TargetKind::Store => "data store",
        TargetKind::Certificate => "certificate",
        TargetKind::Instance => "instance",
    }
}

/// A string literal of ansible-rulebook's condition language.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `text` matched literally in a regular expression.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
