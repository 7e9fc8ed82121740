//! The rulebook for Event-Driven Ansible and Automation Controller
//! (`landfall_heal::ansible`): its shape against the service's rules, and
//! the generated rulebook loaded, checked and run by ansible-rulebook
//! itself (`.venv-eda`, made by scripts/test.sh from
//! scripts/requirements-eda.txt).
//!
//! The `ansible.eda` collection comes from Ansible Galaxy, which a test
//! cannot reach; ansible-rulebook loads a source from `--source-dir` first
//! when a file there bears the source's full name, so
//! `tests/ansible/sources/` replays payloads as the collection's
//! `alertmanager` and `aws_sqs_queue` sources put them on the queue (and
//! refuse options those sources do not have). The controller is
//! `tests/ansible/controller.py`: it serves only the templates the
//! generated controller playbook declares and records every launch.
//!
//! Pages relied on:
//! - ansible-rulebook's rulebook format, throttle and actions:
//!   <https://ansible.readthedocs.io/projects/rulebook/en/stable/rules.html>,
//!   <https://ansible.readthedocs.io/projects/rulebook/en/stable/actions.html>
//! - the job template's `allow_simultaneous` and `ask_variables_on_launch`, the
//!   workflow's approval node:
//!   <https://docs.ansible.com/automation-controller/latest/html/userguide/job_templates.html>,
//!   <https://docs.ansible.com/automation-controller/latest/html/userguide/workflow_templates.html>

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use landfall_heal::ansible::{self, Options};
use landfall_heal::Rulebook;
use serde_json::{json, Value};

fn reference() -> (Rulebook, Options) {
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().unwrap();
    let (book, unknown) = Rulebook::from_model(model);
    assert!(unknown.is_empty(), "{unknown:?}");
    let environments = model.environments.iter().map(|e| e.name.clone()).collect();
    (
        book,
        Options::new(
            environments,
            landfall_model::monitoring::alert_regions(model),
        ),
    )
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// ansible-rulebook from `.venv-eda`, or `None` (a failure under `CI=true`).
fn ansible_rulebook() -> Option<PathBuf> {
    let tool = root().join(".venv-eda/bin/ansible-rulebook");
    if tool.exists() {
        return Some(tool);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("ansible-rulebook is missing from .venv-eda (CI=true): scripts/test.sh installs it");
    }
    eprintln!("note: ansible-rulebook not installed in .venv-eda; skipped (run scripts/test.sh to install it)");
    None
}

/// The JDK ansible-rulebook's Drools runs in: `JAVA_HOME`, else the one
/// `java` on PATH belongs to.
fn java_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        return Some(PathBuf::from(home));
    }
    let java = landfall_testkit::services::require("java")?;
    let java = std::fs::canonicalize(java).unwrap();
    Some(java.parent()?.parent()?.to_path_buf())
}

fn by_name<'a>(rules: &'a [Value], name: &str) -> Vec<&'a Value> {
    rules.iter().filter(|r| r["name"] == name).collect()
}

/// Every rule of the service is exactly one rule of each ruleset and one
/// template; throttles are keyed by the labels that name the target, for
/// the rule's cool-down; a disruptive rule launches a workflow whose
/// approval node precedes its job; no template runs twice at once.
#[test]
fn every_rule_is_one_ansible_rule_and_one_template_keyed_by_its_target() {
    let (book, options) = reference();
    assert!(book.rules.iter().any(|r| r.needs_approval));
    // The Aurora failover is exported, on the queue's alarms only.
    assert_eq!(
        book.rule("AuroraWriterUnavailable")
            .unwrap()
            .action
            .as_str(),
        "aurora-failover"
    );
    // One rulebook reads the queue, for every environment: SQS gives each
    // message to one reader, so a queue ruleset per environment would lose
    // the messages another environment's activation received.
    let events = ansible::events_rulebook(&book, &options);
    assert_eq!(events.as_array().unwrap().len(), 1);
    // Each alert path's own queue for Event-Driven Ansible, never the
    // service's (SQS would split the events between the two readers).
    let queues: Vec<(&str, &str)> = events[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let q = &s["ansible.eda.aws_sqs_queue"];
            (q["region"].as_str().unwrap(), q["name"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        queues,
        vec![
            ("eu-central-1", "landfall-eda-events"),
            ("eu-west-1", "landfall-eda-events"),
        ]
    );
    let event_rules = events[0]["rules"].as_array().unwrap();
    assert_eq!(
        event_rules.len(),
        ansible::rules(&book).count() * options.environments.len()
    );
    let names: std::collections::BTreeSet<&str> = event_rules
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), event_rules.len(), "rule names are unique");
    for env in &options.environments {
        let rulebook = ansible::rulebook(&book, env, &options);
        assert_eq!(rulebook.as_array().unwrap().len(), 1);
        assert!(rulebook[0]["sources"][0]["ansible.eda.alertmanager"].is_object());
        let rulesets = [&rulebook[0], &events[0]];
        let controller = ansible::controller(&book, env, &options);
        let tasks = controller[0]["tasks"].as_array().unwrap();
        let templates: BTreeMap<&str, &Value> = tasks
            .iter()
            .flat_map(|t| {
                ["awx.awx.job_template", "awx.awx.workflow_job_template"]
                    .into_iter()
                    .filter_map(move |m| t.get(m))
            })
            .map(|t| (t["name"].as_str().unwrap(), t))
            .collect();
        assert_eq!(templates.len(), tasks.len(), "template names are unique");
        for template in templates.values() {
            assert_eq!(template["allow_simultaneous"], false, "{template}");
            assert_eq!(template["ask_variables_on_launch"], true, "{template}");
        }
        for ruleset in rulesets {
            let on_queue = ruleset["sources"][0]["ansible.eda.aws_sqs_queue"].is_object();
            let rules = ruleset["rules"].as_array().unwrap();
            for rule in ansible::rules(&book) {
                let name = if on_queue {
                    ansible::events_rule_name(rule, env)
                } else {
                    rule.alert.clone()
                };
                let found = by_name(rules, &name);
                // An alert only a CloudWatch alarm raises never passes
                // Alertmanager: the queue's rulebook alone carries it.
                if !on_queue
                    && landfall_model::monitoring::ALARM_ALERTS.contains(&rule.alert.as_str())
                {
                    assert!(found.is_empty(), "{} in {}", rule.alert, ruleset["name"]);
                    continue;
                }
                assert_eq!(found.len(), 1, "{} in {}", rule.alert, ruleset["name"]);
                let ansible_rule = found[0];
                let throttle = &ansible_rule["throttle"];
                assert_eq!(
                    throttle["once_within"],
                    format!("{} seconds", rule.cooldown_seconds)
                );
                let group_by = throttle["group_by_attributes"].as_array().unwrap();
                if ruleset["sources"][0]["ansible.eda.alertmanager"].is_object() {
                    let expected: Vec<Value> = rule
                        .target
                        .labels()
                        .iter()
                        .map(|l| json!(format!("event.alert.labels.{l}")))
                        .collect();
                    assert_eq!(group_by, &expected);
                    let condition = ansible_rule["condition"].as_str().unwrap();
                    assert!(condition.contains(&format!(
                        "event.alert.labels.alertname == \"{}\"",
                        rule.alert
                    )));
                    assert!(
                        condition.contains(&format!("event.alert.labels.environment == \"{env}\""))
                    );
                } else {
                    // The alarm's name carries the target's labels.
                    assert_eq!(group_by, &vec![json!("event.body.detail.alarmName")]);
                }
                let action = &ansible_rule["action"];
                let job = ansible::job_template_name(env, rule);
                let launched = if rule.needs_approval {
                    assert!(action.get("run_job_template").is_none());
                    &action["run_workflow_template"]
                } else {
                    assert!(action.get("run_workflow_template").is_none());
                    &action["run_job_template"]
                };
                let extra_vars = &launched["job_args"]["extra_vars"];
                assert_eq!(extra_vars["landfall_rule"], rule.alert.as_str());
                assert_eq!(extra_vars["landfall_rulebook"], book.version.as_str());
                assert!(extra_vars["landfall_event"]
                    .as_str()
                    .unwrap()
                    .starts_with("{{ event."));
                let name = launched["name"].as_str().unwrap();
                let template = templates[name];
                assert!(templates.contains_key(job.as_str()));
                if rule.needs_approval {
                    let nodes = template["workflow_nodes"].as_array().unwrap();
                    let approve = &nodes[0];
                    assert_eq!(approve["unified_job_template"]["type"], "workflow_approval");
                    let next = approve["related"]["success_nodes"][0]["identifier"].clone();
                    let act = nodes.iter().find(|n| n["identifier"] == next).unwrap();
                    assert_eq!(act["unified_job_template"]["type"], "job_template");
                    assert_eq!(act["unified_job_template"]["name"], job.as_str());
                    // Nothing else starts the job: only approval leads to it.
                    assert_eq!(nodes.len(), 2);
                } else {
                    assert_eq!(name, job);
                }
            }
        }
        // One job template per rule, one workflow per disruptive rule.
        let workflows = ansible::rules(&book).filter(|r| r.needs_approval).count();
        assert_eq!(tasks.len(), ansible::rules(&book).count() + workflows);
    }
}

/// The export is deterministic and sorted: the same rulebook gives the
/// same files, byte for byte.
/// Not exported: a GuardDuty finding's environment is a tag's value, which
/// ansible-rulebook's conditions cannot pair with the tag's key, so a rule
/// would act on another environment's hosts.
#[test]
fn alerts_from_guardduty_findings_are_left_to_the_service() {
    let (book, options) = reference();
    let files = ansible::export(&book, &options);
    assert!(!files.is_empty());
    // So are retiring hosts, which only the instance's tags place.
    for alert in ["GuardDutyHighSeverityInstanceFinding", "MetalHostRetiring"] {
        assert!(book.rule(alert).is_some());
        assert!(files.values().all(|text| !text.contains(alert)), "{alert}");
    }
}

#[test]
fn the_export_is_deterministic() {
    let (book, options) = reference();
    let first = ansible::export(&book, &options);
    let second = ansible::export(&book, &options);
    assert_eq!(first, second);
    let paths: Vec<&String> = first.keys().collect();
    assert_eq!(paths.len(), options.environments.len() * 2 + 1);
    assert!(paths.contains(&&"prod/rulebook.yml".to_owned()));
    assert!(paths.contains(&&"events/rulebook.yml".to_owned()));
}

/// The files written under `dir`.
fn write_export(dir: &Path) -> (Rulebook, Options) {
    let (book, options) = reference();
    for (path, text) in ansible::export(&book, &options) {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    (book, options)
}

/// Every generated rulebook passes the JSON schema ansible-rulebook ships
/// (`ansible_rulebook/schema/ruleset_schema.json`), read by its own Python.
/// What `synth` writes follows the spec's engine: the reference names
/// Automation Controller and gets the export with the default names; a
/// platform whose remediation runs elsewhere gets no rulebooks.
#[test]
fn synth_writes_rulebooks_only_for_automation_controller() {
    let mut resolved = landfall_model::reference();
    let (book, options) = reference();
    let model = resolved.model.as_mut().unwrap();
    assert_eq!(
        ansible::for_model(model),
        Some(ansible::export(&book, &options))
    );
    let remediation = model
        .observability
        .as_mut()
        .and_then(|o| o.remediation.as_mut())
        .unwrap();
    remediation.engine = "landfall".to_owned();
    assert_eq!(ansible::for_model(model), None);
}

#[test]
fn the_rulebooks_pass_ansible_rulebooks_schema() {
    let Some(tool) = ansible_rulebook() else {
        return;
    };
    let dir = support::temp_dir("eda-schema");
    let (_, options) = write_export(&dir);
    let python = tool.parent().unwrap().join("python");
    let files = options
        .environments
        .iter()
        .map(String::as_str)
        .chain([ansible::EVENTS_DIR])
        .map(|d| dir.join(d).join("rulebook.yml"));
    for file in files {
        let out = Command::new(&python)
            .arg("-c")
            .arg(
                "import json, sys, yaml, jsonschema, ansible_rulebook, os\n\
                 schema = json.load(open(os.path.join(os.path.dirname(ansible_rulebook.__file__), 'schema', 'ruleset_schema.json')))\n\
                 jsonschema.validate(yaml.safe_load(open(sys.argv[1])), schema)\n\
                 print('valid')",
            )
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "valid",
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Waits until something listens on the loopback `port`.
fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn alert(labels: &[(&str, &str)], status: &str, fingerprint: &str) -> Value {
    let labels: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    json!({
        "status": status,
        "labels": labels,
        "annotations": {},
        "startsAt": "2026-12-06T01:00:04.810095908Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": fingerprint,
    })
}

/// The captured Alertmanager payload with `alerts` in place of its own.
fn payload(alerts: Vec<Value>) -> Value {
    let mut captured = fixture("alertmanager-webhook-v4-captured.json");
    captured["alerts"] = json!(alerts);
    captured
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The captured alarm state change, for the alarm `name` in `state`.
fn alarm(name: &str, state: &str) -> Value {
    let mut event = fixture("events/cloudwatch-alarm-state-change.json");
    event["detail"]["alarmName"] = json!(name);
    event["detail"]["state"]["value"] = json!(state);
    event
}

/// Writes `items` as files and their list, for a replaying source.
fn replay(dir: &Path, name: &str, items: &[Value]) -> PathBuf {
    let mut listing = String::new();
    for (n, item) in items.iter().enumerate() {
        let file = dir.join(format!("{name}-{n}.json"));
        std::fs::write(&file, serde_json::to_vec(item).unwrap()).unwrap();
        listing.push_str(&format!("{}\n", file.display()));
    }
    let list = dir.join(format!("{name}.list"));
    std::fs::write(&list, listing).unwrap();
    list
}

fn launches(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// ansible-rulebook loads the generated production rulebook and the event
/// queue's rulebook (two activations), evaluates their conditions on
/// replayed Alertmanager alerts and queue events, and launches exactly the
/// templates the rules name: the right job template for a firing alert of
/// a known rule, once per target within the cool-down, the approval
/// workflow for a reboot, the MSK job of each environment for its alarm
/// from the queue; nothing for the captured payload's unrelated alerts,
/// another environment's alert on production's webhook, a resolved alert,
/// or an alarm back to OK.
///
/// Each ruleset reads its events in order and the controller's launches
/// are sequential, so once the last (matching) event of each ruleset has
/// launched its template, every earlier event has been decided.
#[test]
fn ansible_rulebook_launches_the_rules_templates_for_replayed_alerts() {
    let Some(tool) = ansible_rulebook() else {
        return;
    };
    let Some(java_home) = java_home() else {
        return;
    };
    let dir = support::temp_dir("eda-run");
    let (book, _) = write_export(&dir);
    let services: Vec<&String> = book
        .services
        .iter()
        .filter(|(_, env)| env == "prod")
        .map(|(s, _)| s)
        .collect();
    let (a, b) = (services[0].as_str(), services[1].as_str());
    let domain = book.domains.iter().next().unwrap().as_str();
    let store = book.stores.iter().next().unwrap().0.as_str();
    let below = "EcsServiceBelowDesiredCount";
    let service = |s: &str, env: &str, status: &str, fingerprint: &str| {
        alert(
            &[
                ("alertname", below),
                ("service", s),
                ("environment", env),
                ("region", "eu-central-1"),
            ],
            status,
            fingerprint,
        )
    };
    let alerts = replay(
        &dir,
        "alertmanager",
        &[
            // The captured payload as it is: alerts no rule names.
            fixture("alertmanager-webhook-v4-captured.json"),
            payload(vec![
                service(a, "staging", "firing", "01"),
                service(a, "prod", "resolved", "02"),
                service(a, "prod", "firing", "03"),
            ]),
            // The same alert again (a re-send, the other Alertmanager).
            payload(vec![service(a, "prod", "firing", "03")]),
            payload(vec![
                service(b, "prod", "firing", "04"),
                alert(
                    &[
                        ("alertname", "SsmAgentDisconnected"),
                        ("domain", domain),
                        ("host", "ip-10-1-2-3.eu-central-1.compute.internal"),
                        ("environment", "prod"),
                    ],
                    "firing",
                    "05",
                ),
            ]),
        ],
    );
    let msk = |env: &str| format!("landfall/MskBrokerStorageHigh/store={store}/environment={env}");
    let events = replay(
        &dir,
        "sqs",
        &[
            fixture("events/cloudwatch-alarm-state-change.json"),
            fixture("events/guardduty-finding.json"),
            alarm(&msk("staging"), "ALARM"),
            alarm(&msk("prod"), "OK"),
            alarm(&msk("prod"), "ALARM"),
        ],
    );

    let python = tool.parent().unwrap().join("python");
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ansible");
    let port = landfall_testkit::services::free_port();
    let recorded = dir.join("launches.jsonl");
    let playbooks: Vec<String> = ["dev", "staging", "prod"]
        .iter()
        .map(|env| dir.join(env).join("controller.yml").display().to_string())
        .collect();
    let _controller = Killed(
        Command::new(&python)
            .arg(here.join("controller.py"))
            .arg(playbooks.join(":"))
            .arg(port.to_string())
            .arg(&recorded)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("controller.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port);
    let path = format!(
        "{}:{}",
        tool.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Two activations, as Automation Controller runs them: production's
    // rulebook on Alertmanager's webhook, and the one on the event queue.
    let activation = |rulebook: &str, name: &str| {
        Killed(
            Command::new(&tool)
                .arg("--rulebook")
                .arg(dir.join(rulebook))
                .args(["--inventory", "/dev/null", "--source-dir"])
                .arg(here.join("sources"))
                .args(["--controller-url", &format!("http://127.0.0.1:{port}")])
                .args(["--controller-token", "test", "-v"])
                .env("JAVA_HOME", &java_home)
                .env("PATH", &path)
                .env("LANDFALL_REPLAY_ALERTMANAGER", &alerts)
                .env("LANDFALL_REPLAY_SQS", &events)
                // The events arrive on the home region's queue; the other
                // region's source reads nothing.
                .env("LANDFALL_REPLAY_SQS_REGION", "eu-central-1")
                .stdout(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap())
                .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).unwrap())
                .spawn()
                .unwrap(),
        )
    };
    let mut engines = [
        activation("prod/rulebook.yml", "alertmanager"),
        activation("events/rulebook.yml", "events"),
    ];
    let log = dir.join("alertmanager.log");
    let job = |rule: &str| format!("landfall-prod-{rule}");
    let expected = [
        (job(below), "job_template"),
        (job(below), "job_template"),
        (
            format!("{}-approved", job("SsmAgentDisconnected")),
            "workflow_job_template",
        ),
        (job("MskBrokerStorageHigh"), "job_template"),
        // The queue's rulebook serves every environment.
        (
            "landfall-staging-MskBrokerStorageHigh".to_owned(),
            "job_template",
        ),
    ];
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut got = launches(&recorded);
    while got.len() < expected.len() && Instant::now() < deadline {
        for (engine, name) in engines.iter_mut().zip(["alertmanager", "events"]) {
            if let Ok(Some(status)) = engine.0.try_wait() {
                panic!(
                    "ansible-rulebook ({name}) exited ({status}):\n{}\n{}",
                    std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default(),
                    std::fs::read_to_string(dir.join(format!("{name}.err"))).unwrap_or_default()
                );
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        got = launches(&recorded);
    }
    drop(engines);
    let mut names: Vec<(String, &str)> = got
        .iter()
        .map(|l| {
            (
                l["template"].as_str().unwrap().to_owned(),
                if l["type"] == "job_template" {
                    "job_template"
                } else {
                    "workflow_job_template"
                },
            )
        })
        .collect();
    names.sort();
    let mut expected = expected.to_vec();
    expected.sort();
    assert_eq!(
        names,
        expected,
        "launches: {got:#?}\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    // The event and the rule travel with the launch; one launch per target.
    let services: Vec<&str> = got
        .iter()
        .filter(|l| l["template"] == job(below))
        .map(|l| {
            assert_eq!(l["extra_vars"]["landfall_rule"], below);
            assert_eq!(l["extra_vars"]["landfall_rulebook"], book.version.as_str());
            assert_eq!(
                l["extra_vars"]["landfall_event"]["labels"]["environment"],
                "prod"
            );
            l["extra_vars"]["landfall_event"]["labels"]["service"]
                .as_str()
                .unwrap()
        })
        .collect();
    let mut services = services;
    services.sort_unstable();
    let mut both = vec![a, b];
    both.sort_unstable();
    assert_eq!(services, both);
    for env in ["prod", "staging"] {
        let msk_launch = got
            .iter()
            .find(|l| l["template"] == format!("landfall-{env}-MskBrokerStorageHigh"))
            .unwrap();
        assert_eq!(
            msk_launch["extra_vars"]["landfall_event"]["detail"]["alarmName"],
            msk(env)
        );
        assert_eq!(msk_launch["extra_vars"]["landfall_environment"], env);
    }
}
