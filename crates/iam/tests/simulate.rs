//! The `iam simulate` command's library entry point, on the example request
//! files and on broken input.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use landfall_iam::simulate::{simulate_bytes, simulate_command, OutputFormat};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/iam")
        .join(name)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn burst_instance_is_denied_by_the_scp() {
    let out = simulate_command(&example("burst-instance-denied.json"), OutputFormat::Json);
    assert_eq!(out.exit_code, 1, "{}", out.stdout);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["decision"], "explicitDeny");
    assert_eq!(json["blocked_by"], serde_json::json!(["scp"]));
    let deciding = &json["deciding_statements"][0];
    assert_eq!(deciding["policy"], "DenyBurstInstances");
    assert_eq!(deciding["sid"], "DenyBurstInstances");
    assert_eq!(deciding["level"], 1);

    let text = simulate_command(&example("burst-instance-denied.json"), OutputFormat::Text);
    assert!(
        text.stdout
            .starts_with("decision: explicitDeny\nblocked by: scp\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "deny  scp level 1 policy `DenyBurstInstances` statement 0 (Sid `DenyBurstInstances`)"
        ),
        "{}",
        text.stdout
    );
}

#[test]
fn cross_account_read_is_allowed() {
    let out = simulate_command(
        &example("cross-account-s3-allowed.json"),
        OutputFormat::Json,
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["decision"], "allowed", "{}", out.stdout);
    assert_eq!(json["cross_account"], true);
    assert_eq!(out.exit_code, 0);
}

#[test]
fn broken_files_report_every_error_with_locations() {
    let out = simulate_command(&fixture("malformed.json"), OutputFormat::Text);
    assert_eq!(out.exit_code, 2);
    assert!(
        out.stderr.contains(
            "malformed.json:5:5: error[iam::unknown-field]: unknown request field `resourse`"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("unknown effect `Alow`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("unknown condition operator `StringEqual`"),
        "{}",
        out.stderr
    );
    let json = simulate_command(&fixture("malformed.json"), OutputFormat::Json);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(v["decision"].is_null());
    assert_eq!(v["errors"].as_array().unwrap().len(), 3);
    assert_eq!(v["errors"][0]["line"], 5);
}

#[test]
fn missing_files_and_hostile_bytes_do_not_panic() {
    let out = simulate_command(Path::new("/nonexistent/request.json"), OutputFormat::Json);
    assert_eq!(out.exit_code, 2);
    for bytes in [&b"\xff\xfe"[..], b"", b"[", b"{\"request\": 5}", b"null"] {
        assert_eq!(
            simulate_bytes("x.json", bytes, OutputFormat::Text).exit_code,
            2
        );
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let out = simulate_bytes("deep.json", deep.as_bytes(), OutputFormat::Text);
    assert!(out.stderr.contains("iam::json-too-deep"), "{}", out.stderr);
}

/// A request with an action AWS does not have, or a policy naming one, is
/// a question nobody can ask: it used to evaluate (and `s3:*` allowed
/// `s3:GetObjekt`). Each is now a located error with the nearest real name,
/// and nothing is evaluated.
#[test]
fn unknown_actions_and_unreadable_condition_values_are_errors_not_answers() {
    let request = |action: &str, policy: &str| {
        format!(
            r#"{{"request": {{"principal": "arn:aws:iam::111122223333:role/app", "action": "{action}", "resource": "arn:aws:s3:::bucket/key"}},
               "identity_policies": [{policy}]}}"#
        )
    };
    let allow_all_s3 = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#;
    let cases = [
        (
            request("s3:GetObjekt", allow_all_s3),
            "iam::unknown-action",
            "did you mean `GetObject`?",
        ),
        (
            request("s4:GetObject", allow_all_s3),
            "iam::unknown-service",
            "not a service of the AWS catalog",
        ),
        (
            request(
                "s3:GetObject",
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s4:Get*", "Resource": "*"}]}"#,
            ),
            "iam::unknown-service",
            "",
        ),
        (
            request(
                "s3:GetObject",
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]}"#,
            ),
            "iam::unknown-action",
            "did you mean `GetObject`?",
        ),
        (
            request(
                "s3:GetObject",
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}]}"#,
            ),
            "iam::invalid-condition-value",
            "",
        ),
    ];
    for (text, code, help) in cases {
        let out = simulate_bytes("request.json", text.as_bytes(), OutputFormat::Json);
        assert_eq!(out.exit_code, 2, "{code}: {}", out.stdout);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(json["decision"], serde_json::Value::Null, "{code}: {json}");
        let error = json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {json}"));
        assert!(error["line"].as_u64().is_some(), "{error}");
        assert!(error.to_string().contains(help), "{code}: {error}");
    }
}
