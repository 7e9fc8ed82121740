//! The alert path end to end, on loopback, with the real programs: samples
//! in Telegraf's line protocol go into a VictoriaMetrics single node, the
//! generated rules run in vmalert, the generated route tree runs in
//! Alertmanager and delivers to webhook receivers recorded here.
//!
//! Two changes to the generated files, both to make minutes into seconds:
//! every rule's `for` is zero (promtool's unit tests cover the durations),
//! and every receiver's integrations become a webhook to this test, keeping
//! the receiver names, routes and inhibitions as generated.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use support::{
    free_port, http, reference_bundle, require, temp_dir, wait_ready, write_bundle, Running, Sink,
};

fn alert_named(body: &str, name: &str) -> Option<serde_json::Value> {
    let body: serde_json::Value = serde_json::from_str(body).ok()?;
    body["alerts"]
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == name)
        .cloned()
}

#[test]
fn samples_become_alerts_delivered_to_the_owning_team_and_the_remediation_webhook() {
    let (Some(vm), Some(vmalert), Some(alertmanager)) = (
        require("victoria-metrics"),
        require("vmalert"),
        require("prometheus-alertmanager"),
    ) else {
        return;
    };
    let bundle = reference_bundle();
    let dir = temp_dir("e2e");
    write_bundle(&bundle, &dir);

    // Rules as generated, with `for: 0s`.
    let rules = dir.join("rules");
    let mut stack = vec![rules.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = std::fs::read_to_string(&p).unwrap();
                let text: String = text
                    .lines()
                    .map(|l| {
                        if l.trim_start().starts_with("for: ") {
                            l.split("for:").next().unwrap().to_owned() + "for: 0s"
                        } else {
                            l.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                std::fs::write(&p, text).unwrap();
            }
        }
    }

    // Receivers as webhooks to the sink, named as generated.
    let sink = Sink::start();
    let token = dir.join("remediation-token");
    std::fs::write(&token, "e2e-secret-token").unwrap();
    let mut config = landfall_observability::alertmanager::config(&bundle.plan);
    for receiver in &mut config.receivers {
        let name = receiver["name"].as_str().unwrap().to_owned();
        let mut hook = json!({ "url": format!("http://127.0.0.1:{}/{name}", sink.port), "send_resolved": true });
        if name == landfall_observability::alertmanager::REMEDIATION {
            hook["http_config"] =
                json!({ "authorization": { "type": "Bearer", "credentials_file": token } });
        }
        *receiver = json!({ "name": name, "webhook_configs": [hook] });
    }
    let am_config = dir.join("alertmanager-e2e.yml");
    std::fs::write(
        &am_config,
        landfall_observability::alertmanager::render_config(&config),
    )
    .unwrap();

    let vm_port = free_port();
    let vm = Running::start(
        "victoria-metrics",
        &vm,
        &[
            format!("-storageDataPath={}", dir.join("vm").display()),
            format!("-httpListenAddr=127.0.0.1:{vm_port}"),
            "-search.latencyOffset=0s".to_owned(),
            "-search.disableCache".to_owned(),
            "-retentionPeriod=1".to_owned(),
        ],
        dir.join("vm.log"),
    );
    wait_ready(&vm, vm_port, "/health");
    let am_port = free_port();
    let am = Running::start(
        "alertmanager",
        &alertmanager,
        &[
            format!("--config.file={}", am_config.display()),
            format!("--storage.path={}", dir.join("am").display()),
            format!("--web.listen-address=127.0.0.1:{am_port}"),
            "--cluster.listen-address=".to_owned(),
        ],
        dir.join("am.log"),
    );
    wait_ready(&am, am_port, "/-/ready");

    // A trading service failing half its requests for the last 70 minutes,
    // and a metal host of the same domain with a full disk, as Telegraf
    // writes them (`?db=telegraf`, nanosecond timestamps).
    let service = bundle
        .plan
        .services
        .iter()
        .find(|s| s.domain == "trading")
        .expect("trading has services");
    let team = bundle
        .plan
        .team_of_domain("trading")
        .expect("trading has a team");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut lines = String::new();
    for minute in 0..=70u64 {
        let t = (now - (70 - minute) * 60) * 1_000_000_000;
        for (code, per_minute) in [("200", 300), ("500", 300)] {
            lines.push_str(&format!(
                "app,domain=trading,service={},environment=prod,region=eu-central-1,host=task-1,code={code} http_server_requests_total={} {t}\n",
                service.name,
                per_minute * minute
            ));
        }
    }
    lines.push_str(&format!(
        "disk,domain=trading,environment=prod,region=eu-central-1,host=ip-10-0-0-1,role=ecs-host,path=/ used_percent=93 {}\n",
        now * 1_000_000_000
    ));
    let (status, body) =
        http("POST", vm_port, "/write?db=telegraf", &[], lines.as_bytes()).unwrap();
    assert_eq!(
        status, 204,
        "VictoriaMetrics refused the line protocol: {body}"
    );
    let (_, body) = http("GET", vm_port, "/internal/force_flush", &[], b"").unwrap();
    let _ = body;
    // The names the rules query exist as Telegraf's `<measurement>_<field>`.
    let (_, names) = http("GET", vm_port, "/api/v1/label/__name__/values", &[], b"").unwrap();
    assert!(names.contains("app_http_server_requests_total"), "{names}");
    assert!(names.contains("disk_used_percent"), "{names}");

    let vmalert_port = free_port();
    let vmalert = Running::start(
        "vmalert",
        &vmalert,
        &[
            format!("-rule={}/*.yml", rules.display()),
            format!("-rule={}/domains/*.yml", rules.display()),
            format!("-rule={}/services/trading/*.yml", rules.display()),
            format!("-datasource.url=http://127.0.0.1:{vm_port}"),
            format!("-remoteWrite.url=http://127.0.0.1:{vm_port}"),
            format!("-notifier.url=http://127.0.0.1:{am_port}"),
            "-evaluationInterval=2s".to_owned(),
            format!("-httpListenAddr=127.0.0.1:{vmalert_port}"),
        ],
        dir.join("vmalert.log"),
    );
    wait_ready(&vmalert, vmalert_port, "/health");

    // The remediation route does not wait (group_wait 0s) and carries the
    // bearer token; the domain's page receiver gets the same alert.
    let remediation = sink
        .wait_for(Duration::from_secs(60), |r| {
            r.path == "/remediation" && alert_named(&r.body, "MetalHostDiskAlmostFull").is_some()
        })
        .unwrap_or_else(|| {
            panic!(
                "no remediation webhook; received {:?}\nvmalert:\n{}",
                sink.all(),
                vmalert.log()
            )
        });
    assert_eq!(
        remediation.authorization.as_deref(),
        Some("Bearer e2e-secret-token")
    );
    let body: serde_json::Value = serde_json::from_str(&remediation.body).unwrap();
    assert_eq!(body["version"], "4");
    let alert = alert_named(&remediation.body, "MetalHostDiskAlmostFull").unwrap();
    assert_eq!(alert["labels"]["domain"], "trading");
    assert_eq!(alert["labels"]["severity"], "page");
    assert_eq!(alert["labels"]["host"], "ip-10-0-0-1");
    assert_eq!(alert["status"], "firing");

    let page = format!("/{}", team.page_receiver());
    let paged = sink
        .wait_for(Duration::from_secs(90), |r| {
            r.path == page && alert_named(&r.body, "ServiceErrorBudgetFastBurn").is_some()
        })
        .unwrap_or_else(|| {
            panic!(
                "{page} got no burn-rate page; received {:?}\nvmalert:\n{}\nalertmanager:\n{}",
                sink.all()
                    .iter()
                    .map(|r| r.path.clone())
                    .collect::<Vec<_>>(),
                vmalert.log(),
                am.log()
            )
        });
    let burn = alert_named(&paged.body, "ServiceErrorBudgetFastBurn").unwrap();
    assert_eq!(burn["labels"]["service"], service.name.as_str());
    assert_eq!(burn["labels"]["slo"], "availability");
    assert_eq!(burn["labels"]["environment"], "prod");
    assert_eq!(
        burn["annotations"]["dashboard"],
        format!("/d/{}", service.dashboard_uid)
    );
    assert!(
        sink.wait_for(Duration::from_secs(20), |r| r.path == page
            && alert_named(&r.body, "MetalHostDiskAlmostFull").is_some())
            .is_some(),
        "the disk alert also pages trading"
    );
    // Nothing reached the catch-all, and no other team heard of trading.
    for r in sink.all() {
        assert_ne!(
            r.path, "/unrouted",
            "an alert fell through to the catch-all: {}",
            r.body
        );
        let expected = [
            page.as_str(),
            "/remediation",
            &format!("/{}", team.ticket_receiver()),
        ];
        assert!(
            expected.contains(&r.path.as_str()),
            "unexpected receiver {}: {}",
            r.path,
            r.body
        );
    }
    drop(vmalert);
    drop(am);
    drop(vm);
    let _ = std::fs::remove_dir_all(&dir);
}
