//! The service over HTTPS (`heal serve --tls-cert --tls-key`): a captured
//! Alertmanager payload with the bearer token is journaled over TLS, a
//! wrong token is still refused, and plain HTTP on the TLS port reaches
//! no handler; a real Alertmanager with the generated configuration
//! verifies the service by the private root and the name it posts to.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use landfall_heal::journal::Journal;
use landfall_heal::server::{self, Executor, Service};
use landfall_heal::{Engine, SqliteJournal};
use rustls::pki_types::{CertificateDer, ServerName};

const TOKEN: &str = "test-token-0123456789";
/// Two firing alerts as a real Alertmanager sent them.
const CAPTURED: &str = include_str!("fixtures/alertmanager-webhook-v4-captured.json");

struct NoActions;

impl Executor for NoActions {
    fn execute(&self, kind: &str, target: &str, _: &str) -> Result<String, String> {
        Err(format!("no action expected, got {kind} on {target}"))
    }
}

/// A self-signed certificate for `localhost`, written as PEM files; returns
/// the paths and the certificate the client trusts.
fn self_signed(
    dir: &std::path::Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    CertificateDer<'static>,
) {
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = dir.join("heal.crt");
    let key_path = dir.join("heal.key");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
    (cert_path, key_path, cert.der().clone())
}

/// One HTTP/1.1 request over TLS to `localhost:port`, trusting `root`
/// only; the status and the body.
fn https(port: u16, root: &CertificateDer<'static>, request: &str) -> (u16, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    stream.write_all(request.as_bytes()).unwrap();
    let text = read_all(&mut stream);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// Everything until the peer closes (a close without TLS's close_notify
/// included: the response is complete by then).
fn read_all(stream: &mut impl Read) -> String {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e)
                if e.kind() == ErrorKind::UnexpectedEof
                    || e.kind() == ErrorKind::ConnectionReset =>
            {
                break
            }
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn post(token: &str, body: &str) -> String {
    post_to("/alertmanager", token, body)
}

fn post_to(path: &str, token: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn alertmanager_posts_over_https_and_plain_http_is_refused() {
    let dir = support::temp_dir("tls");
    let (cert, key, root) = self_signed(&dir);
    let tls = landfall_heal::tls::server_config(&cert, &key).unwrap();
    let journal = Arc::new(SqliteJournal::open(&dir.join("journal.sqlite")).unwrap());
    let engine = Engine {
        journal: Arc::clone(&journal),
        rulebook: support::live_rulebook(),
        dry_run: false,
    };
    let service = Service::new(engine, NoActions, TOKEN.to_owned());
    let runtime = support::runtime();
    let port = server::start_tls_on_loopback(&runtime, service, tls).unwrap();

    let (status, body) = https(
        port,
        &root,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    // The wrong token is refused over TLS as over plain HTTP.
    let (status, _) = https(port, &root, &post("not-the-token-at-all", CAPTURED));
    assert_eq!(status, 401);

    // The path of the generated Alertmanager configuration's default URL.
    let (status, body) = https(port, &root, &post_to("/v1/alertmanager", TOKEN, CAPTURED));
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer, serde_json::json!({ "received": 2, "new": 2 }));
    // Both alerts are journaled and decided (refused: the reference
    // rulebook has no rule for `EcsServiceUnhealthy`).
    for _ in 0..100 {
        if journal.history(10).unwrap().len() == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let history = journal.history(10).unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(
        history.iter().all(|d| d.outcome == "refused"),
        "{history:?}"
    );

    // Plain HTTP on the TLS port: the handshake fails, no handler answers
    // and nothing is journaled.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let other_alerts = CAPTURED.replace("fb8135279fac4f2a", "0000000000000001");
    plain
        .write_all(post(TOKEN, &other_alerts).as_bytes())
        .unwrap();
    let answer = read_all(&mut plain);
    assert!(
        !answer.starts_with("HTTP/"),
        "plain HTTP was answered: {answer:?}"
    );
    // The connection is closed: a handler would have journaled the new
    // alert before answering.
    let (status, metrics) = https(
        port,
        &root,
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(
        metrics.contains("landfall_heal_requests_total 2\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("landfall_heal_signals_total 2\n"),
        "{metrics}"
    );
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_at_start() {
    let dir = support::temp_dir("tls-mismatch");
    let (cert, _, _) = self_signed(&dir);
    let other = rcgen::KeyPair::generate().unwrap();
    let key = dir.join("other.key");
    std::fs::write(&key, other.serialize_pem()).unwrap();
    let error = landfall_heal::tls::server_config(&cert, &key).unwrap_err();
    assert!(error.contains("do not make a server identity"), "{error}");
    let missing = landfall_heal::tls::server_config(&dir.join("none.crt"), &key).unwrap_err();
    assert!(missing.contains("cannot read the certificate"), "{missing}");
}

/// A private root and a certificate it signs for `host`, written as PEM
/// files: (root, certificate, key).
fn private_ca(
    dir: &std::path::Path,
    host: &str,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let root_key = rcgen::KeyPair::generate().unwrap();
    let mut root = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    root.distinguished_name
        .push(rcgen::DnType::CommonName, "landfall test private root");
    root.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let root = root.self_signed(&root_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec![host.to_owned()])
        .unwrap()
        .signed_by(&key, &root, &root_key)
        .unwrap();
    let paths = (
        dir.join("root.pem"),
        dir.join("heal.crt"),
        dir.join("heal.key"),
    );
    std::fs::write(&paths.0, root.pem()).unwrap();
    std::fs::write(&paths.1, leaf.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

/// The generated Alertmanager configuration of the reference platform,
/// run by a real Alertmanager, delivers to the service over HTTPS: its
/// `tls_config.ca_file` (the private root) verifies the certificate the
/// service presents for `remediation.metrics.<org>.internal`, and its
/// `credentials_file` is the bearer token. On the hosts that name resolves
/// to the VPC's interface endpoint; here it is pointed at loopback with
/// `server_name` keeping the name checked. An Alertmanager holding another
/// root delivers nothing.
#[test]
fn a_real_alertmanager_posts_with_the_generated_tls_config() {
    use landfall_observability::alertmanager::{REMEDIATION_CA_FILE, SECRETS_DIR};
    use landfall_testkit::services::require;
    let (Some(alertmanager), Some(amtool)) =
        (require("prometheus-alertmanager"), require("amtool"))
    else {
        return;
    };
    let dir = support::temp_dir("tls-alertmanager");
    let resolved = landfall_model::reference();
    let model = resolved.model.as_ref().unwrap();
    let host = landfall_model::monitoring::remediation_host(&model.organization.slug);
    let (root, cert, key) = private_ca(&dir, &host);

    let journal = Arc::new(SqliteJournal::open(&dir.join("journal.sqlite")).unwrap());
    let engine = Engine {
        journal: Arc::clone(&journal),
        rulebook: support::live_rulebook(),
        dry_run: true,
    };
    let service = Service::new(engine, NoActions, TOKEN.to_owned());
    let runtime = support::runtime();
    let tls = landfall_heal::tls::server_config(&cert, &key).unwrap();
    let port = server::start_tls_on_loopback(&runtime, service, tls).unwrap();

    let generated = landfall_observability::generate(model)
        .unwrap()
        .file("alertmanager/alertmanager.yml")
        .unwrap()
        .contents
        .clone();
    let url = landfall_model::monitoring::remediation_webhook_url(&model.organization.slug);
    assert!(
        generated.contains(&format!("url: \"{url}\"")),
        "{generated}"
    );
    let ca_line = format!("ca_file: {REMEDIATION_CA_FILE}");
    let indent = generated
        .lines()
        .find(|l| l.trim() == ca_line)
        .map(|l| &l[..l.len() - l.trim_start().len()])
        .expect("the remediation receiver's tls_config");
    // As on a host, but under this test's directory and with the name
    // the endpoint has in the VPC checked against loopback.
    let config_for = |secrets: &std::path::Path| {
        generated
            .replace(&url, &format!("https://127.0.0.1:{port}/alertmanager"))
            .replace(
                &format!("{indent}{ca_line}"),
                &format!("{indent}{ca_line}\n{indent}server_name: {host}"),
            )
            .replace(SECRETS_DIR, &secrets.display().to_string())
    };
    let secrets = |name: &str, root_pem: &std::path::Path| {
        let secrets = dir.join(name);
        std::fs::create_dir_all(&secrets).unwrap();
        for file in ["chat-webhook-url", "smtp-password"] {
            std::fs::write(secrets.join(file), "http://127.0.0.1:9/").unwrap();
        }
        std::fs::write(secrets.join("remediation-token"), TOKEN).unwrap();
        let ca = REMEDIATION_CA_FILE.rsplit('/').next().unwrap();
        std::fs::copy(root_pem, secrets.join(ca)).unwrap();
        secrets
    };
    let trusted = secrets("trusted", &root);
    std::fs::create_dir_all(dir.join("other")).unwrap();
    let (other_root, _, _) = private_ca(&dir.join("other"), &host);
    let untrusted = secrets("untrusted", &other_root);
    let (_am, am_port) = support::alertmanager(&alertmanager, &dir, "am", &config_for(&trusted));
    let (_other, other_port) =
        support::alertmanager(&alertmanager, &dir, "other", &config_for(&untrusted));

    support::amtool_add_service_alert(&amtool, am_port, "order-gateway");
    support::amtool_add_service_alert(&amtool, other_port, "market-data-feed");
    let mut decided = Vec::new();
    for _ in 0..200 {
        decided = journal.history(10).unwrap();
        if !decided.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert_eq!(
        decided[0].target.as_deref(),
        Some("service/order-gateway/prod/eu-central-1"),
        "{decided:?}"
    );
    assert!(decided[0].signal_id.starts_with("am:"), "{decided:?}");
    // The other root's Alertmanager tried and could not verify the service.
    let mut log = String::new();
    for _ in 0..200 {
        log = std::fs::read_to_string(dir.join("other.log")).unwrap_or_default();
        if log.contains("certificate signed by unknown authority") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        log.contains("receiver=remediation")
            && log.contains("certificate signed by unknown authority"),
        "{log}"
    );
    assert_eq!(journal.history(10).unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
