//! The generated Zabbix configuration imported through the API of a real
//! Zabbix 6.0 frontend (Debian `zabbix-frontend-php` on `php -S`, its schema
//! in a private PostgreSQL 15 started and stopped here), then exported
//! again: the export must equal what was generated (Zabbix's canonical
//! form), so a re-import changes nothing. Under `CI=true` missing packages
//! fail; `scripts/test.sh` installs them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{free_port, http, reference_bundle, temp_dir, Running};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const FRONTEND: &str = "/usr/share/zabbix";
const SQL: &str = "/usr/share/zabbix-server-pgsql";

fn installed() -> bool {
    let present = Path::new(PG_BIN).join("initdb").is_file()
        && Path::new(FRONTEND).join("api_jsonrpc.php").is_file()
        && Path::new(SQL).join("schema.sql.gz").is_file()
        && Command::new("php")
            .arg("-m")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("pgsql"));
    if !present {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("Zabbix 6.0 frontend, its PostgreSQL schema, PHP or PostgreSQL 15 missing (CI=true): scripts/test.sh installs them");
        }
        eprintln!("note: Zabbix test packages not installed; skipped (run scripts/test.sh)");
    }
    present
}

/// PostgreSQL refuses to run as root: as root, the server runs as the
/// `postgres` user the Debian package creates.
fn as_postgres(program: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    }
}

struct Postgres {
    data: PathBuf,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_postgres(&format!("{PG_BIN}/pg_ctl"))
            .args(["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn api(port: u16, auth: Option<&str>, method: &str, params: Value) -> Value {
    let mut body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": 1 });
    if let Some(auth) = auth {
        body["auth"] = json!(auth);
    }
    let (status, text) = http(
        "POST",
        port,
        "/api_jsonrpc.php",
        &[("Content-Type", "application/json-rpc")],
        body.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}

#[test]
fn the_generated_configuration_imports_into_zabbix_and_round_trips() {
    if !installed() {
        return;
    }
    let bundle = reference_bundle();
    let generated: Value =
        serde_json::from_str(&bundle.file("zabbix/landfall.json").unwrap().contents).unwrap();
    let dir = temp_dir("zabbix");
    let data = dir.join("pg");
    let sockets = dir.join("sock");
    for d in [&data, &sockets, &dir.join("log")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let _ = Command::new("chown")
        .args(["-R", "postgres"])
        .arg(&data)
        .arg(&sockets)
        .arg(dir.join("log"))
        .output();
    run(as_postgres(&format!("{PG_BIN}/initdb"))
        .args(["-A", "trust", "-U", "postgres", "-D"])
        .arg(&data));
    let pg_port = free_port();
    run(as_postgres(&format!("{PG_BIN}/pg_ctl"))
        .args(["-D", data.to_str().unwrap(), "-w", "-l"])
        .arg(dir.join("log/pg.log"))
        .args([
            "-o",
            &format!(
                "-p {pg_port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                sockets.display()
            ),
            "start",
        ]));
    let _pg = Postgres { data: data.clone() };
    let psql = || {
        let mut c = Command::new(format!("{PG_BIN}/psql"));
        c.args([
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            &pg_port.to_string(),
            "-U",
            "postgres",
        ]);
        c
    };
    run(psql().args(["-c", "CREATE DATABASE zabbix"]));
    for part in ["schema", "images", "data"] {
        run(Command::new("sh").arg("-c").arg(format!(
            "zcat {SQL}/{part}.sql.gz | {PG_BIN}/psql -q -h 127.0.0.1 -p {pg_port} -U postgres -v ON_ERROR_STOP=1 zabbix > /dev/null"
        )));
    }
    // The frontend reads its configuration from a fixed path under /etc;
    // a private copy reads this test's instead.
    let frontend = dir.join("frontend");
    run(Command::new("cp").arg("-a").arg(FRONTEND).arg(&frontend));
    let config_class = frontend.join("include/classes/core/CConfigFile.php");
    let conf = dir.join("zabbix.conf.php");
    let class = std::fs::read_to_string(&config_class).unwrap();
    assert!(class.contains("'/etc/zabbix/zabbix.conf.php'"));
    std::fs::write(
        &config_class,
        class.replace(
            "'/etc/zabbix/zabbix.conf.php'",
            &format!("'{}'", conf.display()),
        ),
    )
    .unwrap();
    std::fs::write(
        &conf,
        format!(
            "<?php\n$DB['TYPE'] = 'POSTGRESQL';\n$DB['SERVER'] = '127.0.0.1';\n$DB['PORT'] = '{pg_port}';\n$DB['DATABASE'] = 'zabbix';\n$DB['USER'] = 'postgres';\n$DB['PASSWORD'] = '';\n$DB['SCHEMA'] = '';\n$DB['DOUBLE_IEEE754'] = true;\n$ZBX_SERVER_NAME = 'landfall-test';\n$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let php = Running::start(
        "php -S",
        Path::new("php"),
        &[
            "-S".to_owned(),
            format!("127.0.0.1:{port}"),
            "-t".to_owned(),
            frontend.display().to_string(),
        ],
        dir.join("php.log"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let auth = loop {
        let login = http(
            "POST",
            port,
            "/api_jsonrpc.php",
            &[("Content-Type", "application/json-rpc")],
            json!({ "jsonrpc": "2.0", "method": "user.login", "params": { "username": "Admin", "password": "zabbix" }, "id": 1 }).to_string().as_bytes(),
        );
        if let Ok((200, text)) = login {
            if let Some(token) = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["result"].as_str().map(str::to_owned))
            {
                break token;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the Zabbix API did not answer:\n{}",
            php.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        api(port, None, "apiinfo.version", json!({}))
            .as_str()
            .unwrap()
            .get(..3),
        Some("6.0")
    );

    // The proxies the hosts name exist before the import (a 6.0 import
    // does not create them): active proxies (`status` 5), as the
    // monitoring hosts run them.
    let mut proxies: Vec<&str> = generated["zabbix_export"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["proxy"]["name"].as_str())
        .collect();
    proxies.sort_unstable();
    proxies.dedup();
    assert!(!proxies.is_empty(), "the hosts are assigned to proxies");
    for proxy in proxies {
        api(
            port,
            Some(&auth),
            "proxy.create",
            json!({ "host": proxy, "status": 5 }),
        );
    }

    let all = json!({ "createMissing": true, "updateExisting": true });
    let rules = json!({
        "groups": { "createMissing": true },
        "templates": all, "hosts": all, "httptests": all, "triggers": all,
        "templateLinkage": { "createMissing": true },
    });
    let source = generated.to_string();
    assert_eq!(
        api(
            port,
            Some(&auth),
            "configuration.import",
            json!({ "format": "json", "source": source, "rules": rules })
        ),
        json!(true)
    );

    // Export the template and every host, and compare with what was generated.
    let template = api(
        port,
        Some(&auth),
        "template.get",
        json!({ "filter": { "host": [landfall_observability::zabbix::TEMPLATE] }, "output": ["templateid"] }),
    );
    let template_id = template[0]["templateid"].as_str().unwrap().to_owned();
    let hosts = api(
        port,
        Some(&auth),
        "host.get",
        json!({ "output": ["hostid"], "templateids": [template_id] }),
    );
    let host_ids: Vec<Value> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hostid"].clone())
        .collect();
    let expected_hosts = generated["zabbix_export"]["hosts"].as_array().unwrap();
    assert_eq!(
        host_ids.len(),
        expected_hosts.len(),
        "every endpoint host was created"
    );
    let export = api(
        port,
        Some(&auth),
        "configuration.export",
        json!({ "format": "json", "options": { "templates": [template_id], "hosts": host_ids } }),
    );
    let mut exported: Value = serde_json::from_str(export.as_str().unwrap()).unwrap();
    exported["zabbix_export"]
        .as_object_mut()
        .unwrap()
        .remove("date");
    let by_name =
        |v: &Value, key: &str, field: &str| -> std::collections::BTreeMap<String, Value> {
            v["zabbix_export"][key]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e[field].as_str().unwrap().to_owned(), e.clone()))
                .collect()
        };
    assert_eq!(exported["zabbix_export"]["version"], "6.0");
    assert_eq!(
        by_name(&exported, "templates", "template"),
        by_name(&generated, "templates", "template")
    );
    assert_eq!(
        by_name(&exported, "triggers", "name"),
        by_name(&generated, "triggers", "name")
    );
    assert_eq!(
        by_name(&exported, "hosts", "host"),
        by_name(&generated, "hosts", "host")
    );
    assert_eq!(
        by_name(&exported, "groups", "name"),
        by_name(&generated, "groups", "name")
    );

    // A second import of the same document changes nothing (stable uuids).
    assert_eq!(
        api(
            port,
            Some(&auth),
            "configuration.import",
            json!({ "format": "json", "source": source, "rules": rules })
        ),
        json!(true)
    );
    let templates = api(
        port,
        Some(&auth),
        "template.get",
        json!({ "filter": { "host": [landfall_observability::zabbix::TEMPLATE] }, "output": ["templateid"] }),
    );
    assert_eq!(templates.as_array().unwrap().len(), 1);
    drop(php);
    let _ = std::fs::remove_dir_all(&dir);
}
