//! `landfall heal serve` as a process: killed with SIGKILL right after it
//! acknowledged a burst of alerts, then restarted on the same journal, it
//! decides every acknowledged alert exactly once; approval-gated actions
//! wait for `landfall heal approve`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::process::{Command, Output};
use std::time::Duration;

use landfall_testkit::services::{free_port, http, wait_ready, Running};

const TOKEN: &str = "crash-token-0123456789";

fn landfall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(args)
        .output()
        .unwrap()
}

fn serve(journal: &std::path::Path, port: u16, log: std::path::PathBuf) -> Running {
    std::env::set_var("LANDFALL_HEAL_TOKEN", TOKEN);
    let running = Running::start(
        "landfall heal serve",
        std::path::Path::new(env!("CARGO_BIN_EXE_landfall")),
        &[
            "heal".to_owned(),
            "serve".to_owned(),
            format!("--listen=127.0.0.1:{port}"),
            format!("--journal={}", journal.display()),
        ],
        log,
    );
    wait_ready(&running, port, "/healthz");
    running
}

fn now_rfc3339() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%S.000000000Z"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn alert(i: usize, alertname: &str, labels: &str, starts_at: &str) -> String {
    format!(
        r#"{{"receiver":"remediation","status":"firing","version":"4","groupKey":"k","truncatedAlerts":0,"groupLabels":{{}},"commonLabels":{{}},"commonAnnotations":{{}},"externalURL":"http://am","alerts":[{{"status":"firing","labels":{{"alertname":"{alertname}",{labels}}},"annotations":{{}},"startsAt":"{starts_at}","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"{i:016x}"}}]}}"#
    )
}

fn history(journal: &std::path::Path) -> Vec<serde_json::Value> {
    let out = landfall(&[
        "heal",
        "history",
        "--journal",
        journal.to_str().unwrap(),
        "--format",
        "json",
        "--limit",
        "10000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_killed_service_decides_every_acknowledged_alert_once_after_restart() {
    let dir = std::env::temp_dir().join(format!("landfall-heal-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.sqlite");
    let port = free_port();
    let first = serve(&journal, port, dir.join("first.log"));
    let starts_at = now_rfc3339();
    let headers = [
        ("Authorization", "Bearer crash-token-0123456789"),
        ("Content-Type", "application/json"),
    ];
    let labels = r#""domain":"trading","service":"order-gateway","environment":"prod","region":"eu-central-1""#;
    for i in 0..300 {
        let body = alert(i, "EcsServiceBelowDesiredCount", labels, &starts_at);
        let (status, answer) =
            http("POST", port, "/alertmanager", &headers, body.as_bytes()).unwrap();
        assert_eq!(status, 200, "{answer}");
    }
    // SIGKILL (Running's drop), with decisions possibly half done.
    drop(first);
    let second = serve(&journal, port, dir.join("second.log"));
    let mut decided = Vec::new();
    for _ in 0..100 {
        decided = history(&journal);
        if decided.len() >= 300 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut ids: Vec<&str> = decided
        .iter()
        .map(|d| d["signal_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 300, "every acknowledged alert decided");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 300, "none decided twice");
    // All for one target: the first is the (dry-run) action, the rest wait
    // out its cool-down.
    let dry = decided.iter().filter(|d| d["outcome"] == "dry-run").count();
    assert_eq!(dry, 1, "{decided:#?}");

    // A disruptive action waits for a human.
    let host =
        r#""domain":"trading","host":"ip-10-0-0-1","environment":"prod","region":"eu-central-1""#;
    let body = alert(999, "SsmAgentDisconnected", host, &now_rfc3339());
    assert_eq!(
        http("POST", port, "/alertmanager", &headers, body.as_bytes())
            .unwrap()
            .0,
        200
    );
    let mut waiting = None;
    for _ in 0..100 {
        waiting = history(&journal)
            .into_iter()
            .find(|d| d["outcome"] == "awaiting-approval");
        if waiting.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let waiting = waiting.expect("the reboot waits for approval");
    let id = waiting["action_id"].as_str().unwrap();
    let approve = landfall(&[
        "heal",
        "approve",
        id,
        "--journal",
        journal.to_str().unwrap(),
    ]);
    assert!(
        approve.status.success(),
        "{}",
        String::from_utf8_lossy(&approve.stderr)
    );
    let again = landfall(&[
        "heal",
        "approve",
        id,
        "--journal",
        journal.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(1), "an action is approved once");
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The journal's table as the alerting layer declares it (keys, index,
/// TTL), made with the boto3 that comes with moto in `.venv`.
const JOURNAL_TABLE: &str = r#"
import boto3, os
ddb = boto3.client("dynamodb", endpoint_url=os.environ["EP"], region_name="eu-central-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
s = lambda n: {"AttributeName": n, "AttributeType": "S"}
ddb.create_table(TableName=os.environ["TABLE"], BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[s("pk"), s("sk"), s("gsi1pk"), s("gsi1sk")],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
        "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}])
"#;

/// `--journal dynamodb://TABLE`: the service journals and decides in the
/// table, and `history`, `pause` and `resume` read and set it there.
#[test]
fn the_service_and_its_commands_on_a_dynamodb_journal() {
    let Ok(endpoint) = std::env::var("LANDFALL_MOTO_ENDPOINT") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "LANDFALL_MOTO_ENDPOINT is not set (CI=true: the emulator test cannot be skipped)"
        );
        eprintln!("note: no moto server; skipped");
        return;
    };
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if !python.exists() {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "no .venv");
        eprintln!("note: no .venv/bin/python; skipped");
        return;
    }
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let table = format!("heal-journal-cli-{}", std::process::id());
    let made = Command::new(&python)
        .args(["-c", JOURNAL_TABLE])
        .env("EP", &endpoint)
        .env("TABLE", &table)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let journal = format!("dynamodb://{table}");
    let aws = |command: &mut Command| {
        command
            .args(["--endpoint-url", &endpoint])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "eu-central-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE");
    };
    let run = |args: &[&str]| -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_landfall"));
        command.args(args).args(["--journal", &journal]);
        aws(&mut command);
        command.output().unwrap()
    };
    let history = || -> Vec<serde_json::Value> {
        let out = run(&["heal", "history", "--format", "json", "--limit", "1000"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
    };

    let dir = std::env::temp_dir().join(format!("landfall-heal-dynamodb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("LANDFALL_HEAL_TOKEN", TOKEN);
    for (key, value) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        std::env::set_var(key, value);
    }
    std::env::remove_var("AWS_PROFILE");
    let port = free_port();
    let service = Running::start(
        "landfall heal serve",
        std::path::Path::new(env!("CARGO_BIN_EXE_landfall")),
        &[
            "heal".to_owned(),
            "serve".to_owned(),
            format!("--listen=127.0.0.1:{port}"),
            format!("--journal={journal}"),
            format!("--endpoint-url={endpoint}"),
        ],
        dir.join("serve.log"),
    );
    wait_ready(&service, port, "/healthz");
    let headers = [
        ("Authorization", "Bearer crash-token-0123456789"),
        ("Content-Type", "application/json"),
    ];
    let labels = r#""domain":"trading","service":"order-gateway","environment":"prod","region":"eu-central-1""#;
    let starts_at = now_rfc3339();
    for i in 0..20 {
        // Each alert twice, as the two Alertmanagers of a pair send it.
        for _ in 0..2 {
            let body = alert(i, "EcsServiceBelowDesiredCount", labels, &starts_at);
            let (status, answer) =
                http("POST", port, "/alertmanager", &headers, body.as_bytes()).unwrap();
            assert_eq!(status, 200, "{answer}");
        }
    }
    let mut decided = Vec::new();
    for _ in 0..150 {
        decided = history();
        if decided.len() >= 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut ids: Vec<&str> = decided
        .iter()
        .map(|d| d["signal_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((decided.len(), ids.len()), (20, 20), "{decided:#?}");
    // One (dry-run) action for the one target; the rest wait out its cool-down.
    let dry = decided.iter().filter(|d| d["outcome"] == "dry-run").count();
    assert_eq!(dry, 1, "{decided:#?}");

    let paused = run(&["heal", "pause"]);
    assert!(
        paused.status.success(),
        "{}",
        String::from_utf8_lossy(&paused.stderr)
    );
    let body = alert(100, "EcsServiceBelowDesiredCount", labels, &now_rfc3339());
    assert_eq!(
        http("POST", port, "/alertmanager", &headers, body.as_bytes())
            .unwrap()
            .0,
        200
    );
    let mut newest = serde_json::Value::Null;
    for _ in 0..150 {
        let all = history();
        if all.len() > 20 {
            newest = all[0].clone();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(newest["outcome"], "suppressed", "{newest:#?}");
    assert!(
        newest["reason"].as_str().unwrap().starts_with("paused"),
        "{newest:#?}"
    );
    let resumed = run(&["heal", "resume"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    drop(service);
    let _ = std::fs::remove_dir_all(&dir);
}

/// With the remediation service as the engine nothing is exported: the
/// alert paths have no queue for Event-Driven Ansible, and its rules would
/// act beside the service's on every alert.
#[test]
fn export_ansible_refuses_a_spec_whose_engine_is_the_service() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reference");
    let spec =
        std::env::temp_dir().join(format!("landfall-engine-landfall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&spec);
    std::fs::create_dir_all(&spec).unwrap();
    fn copy(from: &std::path::Path, to: &std::path::Path, replaced: &mut bool) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy(&path, &target, replaced);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                let changed = text.replace("engine: automation-controller", "engine: landfall");
                *replaced |= changed != text;
                std::fs::write(target, changed).unwrap();
            }
        }
    }
    let mut replaced = false;
    copy(&root, &spec, &mut replaced);
    assert!(replaced);
    let out_dir = spec.join("out");
    let out = landfall(&[
        "heal",
        "export-ansible",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("engine: automation-controller"), "{stderr}");
    assert!(!out_dir.exists());
    let _ = std::fs::remove_dir_all(&spec);
}

/// `heal export-ansible` writes each environment's rulebook and templates
/// (or one environment's) and the one rulebook on the event queue, the same
/// bytes every run; an environment the
/// spec does not declare is an error naming those it does.
#[test]
fn export_ansible_writes_each_environments_rulebook_and_templates() {
    let dir = std::env::temp_dir().join(format!("landfall-export-ansible-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = landfall(&["heal", "export-ansible", "--out", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The queue is read by one activation, for every environment.
    let events = std::fs::read_to_string(dir.join("events/rulebook.yml")).unwrap();
    assert!(events.contains("ansible.eda.aws_sqs_queue:"), "{events}");
    for env in ["dev", "staging", "prod"] {
        assert!(
            events.contains(&format!("name: EcsServiceBelowDesiredCount ({env})")),
            "{events}"
        );
        let rulebook = std::fs::read_to_string(dir.join(env).join("rulebook.yml")).unwrap();
        assert!(rulebook.contains("ansible.eda.alertmanager:"), "{rulebook}");
        assert!(!rulebook.contains("aws_sqs_queue"), "{rulebook}");
        assert!(rulebook.contains(&format!("name: landfall-{env}-EcsServiceBelowDesiredCount")));
        let controller = std::fs::read_to_string(dir.join(env).join("controller.yml")).unwrap();
        assert!(
            controller.contains("allow_simultaneous: false"),
            "{controller}"
        );
    }
    let first = std::fs::read(dir.join("prod/rulebook.yml")).unwrap();
    let again = dir.join("again");
    let out = landfall(&[
        "heal",
        "export-ansible",
        "--env",
        "prod",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(again.join("prod/rulebook.yml")).unwrap(),
        first
    );
    assert!(!again.join("dev").exists());

    let out = landfall(&[
        "heal",
        "export-ansible",
        "--env",
        "qa",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no environment `qa`") && stderr.contains("prod"),
        "{stderr}"
    );
    let out = landfall(&[
        "heal",
        "export-ansible",
        "--listen",
        "5000",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// One `heal pause` stops the service of every region: each journal named
/// is switched, one that cannot be opened is reported without keeping the
/// others from being switched, and the exit says not all were; `resume`
/// the same way.
#[test]
fn pause_switches_every_journal_it_is_given_and_names_the_ones_it_could_not() {
    use landfall_heal::journal::Journal;
    let dir = std::env::temp_dir().join(format!("landfall-cli-heal-pause-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (home, west) = (
        dir.join("eu-central-1.sqlite"),
        dir.join("eu-west-1.sqlite"),
    );
    let unreachable = "/nonexistent-landfall-dir/eu-south-1.sqlite";
    let out = landfall(&[
        "heal",
        "pause",
        "--journal",
        home.to_str().unwrap(),
        "--journal",
        unreachable,
        "--journal",
        west.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("paused every action in `{}`", west.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("error: `{unreachable}` was not paused")),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 3 journals not paused"), "{stderr}");
    for path in [&home, &west] {
        let journal = landfall_heal::SqliteJournal::open(path).unwrap();
        assert!(journal.paused("all").unwrap(), "{}", path.display());
    }
    let out = landfall(&[
        "heal",
        "resume",
        "ecs-force-new-deployment",
        "--journal",
        home.to_str().unwrap(),
        "--journal",
        west.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for path in [&home, &west] {
        let journal = landfall_heal::SqliteJournal::open(path).unwrap();
        assert!(!journal.paused("ecs-force-new-deployment").unwrap());
        assert!(
            journal.paused("all").unwrap(),
            "only the kind named was resumed"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
