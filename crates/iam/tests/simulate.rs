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

/// Anonymous requests are written `"principal": "anonymous"` (docs/iam-simulate.md);
/// only a resource policy allowing everyone grants one, and SCPs do not
/// apply to it. Policy evaluation logic: "a few services, such as Amazon
/// S3, ... allow some requests from anonymous users".
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
#[test]
fn anonymous_requests_are_expressible() {
    let file = |principal: &str| {
        format!(
            r#"{{"request": {{"principal": "{principal}", "action": "s3:GetObject", "resource": "arn:aws:s3:::site/index.html", "resource_account": "111122223333"}},
                "resource_policy": {{"Version": "2012-10-17", "Statement": [{{"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}}]}},
                "scps": [[{{"Version": "2012-10-17", "Statement": [{{"Effect": "Deny", "Action": "*", "Resource": "*"}}]}}]]}}"#
        )
    };
    let out = simulate_bytes(
        "anon.json",
        file("anonymous").as_bytes(),
        OutputFormat::Json,
    );
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["decision"], "allowed");
    assert_eq!(json["exemptions"][0]["reason"], "anonymous-request");
    assert_eq!(json["deciding_statements"][0]["sid"], "Public");
    // The same file from a user of the account: the SCP denies.
    let out = simulate_bytes(
        "user.json",
        file("arn:aws:iam::111122223333:user/alice").as_bytes(),
        OutputFormat::Json,
    );
    assert_eq!(out.exit_code, 1, "{}", out.stdout);
    // A principal of no known form is a located error, not a silent miss.
    let out = simulate_bytes(
        "typo.json",
        file("arn:aws:iam::111122223333:usr/alice").as_bytes(),
        OutputFormat::Text,
    );
    assert_eq!(out.exit_code, 2);
    assert!(
        out.stderr
            .contains("typo.json:1:27: error[iam::invalid-principal]"),
        "{}",
        out.stderr
    );
}

/// The explanation names, for each statement that did not match, the
/// element or condition that did not.
#[test]
fn the_explanation_says_what_did_not_match() {
    let text = r#"{"request": {"principal": "arn:aws:iam::111122223333:role/app", "action": "s3:GetObject",
                   "resource": "arn:aws:s3:::data/k", "context": {"aws:RequestedRegion": "us-east-1"}},
        "identity_policies": [{"name": "App", "document": {"Version": "2012-10-17", "Statement": [
            {"Sid": "Writes", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            {"Sid": "OtherBucket", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"},
            {"Sid": "EuOnly", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}}]}"#;
    let out = simulate_bytes("why.json", text.as_bytes(), OutputFormat::Json);
    assert_eq!(out.exit_code, 1, "{}", out.stdout);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let unmatched = json["unmatched_statements"].as_array().unwrap();
    let by_sid = |sid: &str| {
        unmatched
            .iter()
            .find(|u| u["sid"] == sid)
            .unwrap_or_else(|| panic!("{sid} in {json}"))
    };
    assert_eq!(by_sid("Writes")["element"], "Action");
    assert_eq!(by_sid("OtherBucket")["element"], "Resource");
    let eu = by_sid("EuOnly");
    assert_eq!(eu["element"], "Condition");
    assert_eq!(eu["condition"]["key"], "aws:RequestedRegion");
    assert_eq!(eu["condition"]["operator"], "StringEquals");
    assert!(
        eu["message"].as_str().unwrap().contains("`us-east-1`"),
        "{eu}"
    );
    let text = simulate_bytes("why.json", text.as_bytes(), OutputFormat::Text).stdout;
    assert!(
        text.contains("no    identity policy `App` statement 2 (Sid `EuOnly`): Condition"),
        "{text}"
    );
}

/// A role always has a trust policy, and it decides who may assume the
/// role; a request file for `sts:AssumeRole` without it is an error.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
#[test]
fn assuming_a_role_needs_the_trust_policy_in_the_file() {
    let request = r#"{"principal": "arn:aws:iam::111122223333:user/alice", "action": "sts:AssumeRole", "resource": "arn:aws:iam::111122223333:role/Target"}"#;
    let identity = r#"[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}]"#;
    let without = format!(r#"{{"request": {request}, "identity_policies": {identity}}}"#);
    let out = simulate_bytes("assume.json", without.as_bytes(), OutputFormat::Text);
    assert_eq!(out.exit_code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains("error[iam::missing-trust-policy]"),
        "{}",
        out.stderr
    );
    let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"}, "Action": "sts:AssumeRole"}]}"#;
    let with = format!(
        r#"{{"request": {request}, "identity_policies": {identity}, "resource_policy": {trust}}}"#
    );
    let out = simulate_bytes("assume.json", with.as_bytes(), OutputFormat::Json);
    assert_eq!(out.exit_code, 1, "{}", out.stdout);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["blocked_by"], serde_json::json!(["resource"]));
}

fn line(principal: &str, action: &str) -> String {
    format!(
        r#"{{"request": {{"principal": "{principal}", "action": "{action}", "resource": "arn:aws:s3:::b/k"}}, "identity_policies": [{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}]}}]}}"#
    )
}

/// Several inputs and JSON lines: one decision per request, in order, each
/// naming its input; the exit code is the worst of them.
#[test]
fn batches_answer_every_request_in_order() {
    use landfall_iam::simulate::{simulate_inputs, Input};
    let alice = "arn:aws:iam::111122223333:user/alice";
    let lines = format!(
        "{}\n\n{}\n{}\n",
        line(alice, "s3:GetObject"),
        line(alice, "s3:PutObject"),
        line(alice, "s3:GetObjekt"),
    );
    let out = simulate_inputs(
        vec![
            Input::File(example("cross-account-s3-allowed.json")),
            Input::Bytes {
                name: "<stdin>".into(),
                bytes: lines.into_bytes(),
            },
            Input::File(fixture("no-such-file.json")),
        ],
        OutputFormat::Json,
    );
    assert_eq!(out.exit_code, 2, "{}", out.stdout);
    let answers: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, serde_json::Value)> = answers
        .iter()
        .map(|a| {
            (
                a["input"].as_str().unwrap().to_owned(),
                a["decision"].clone(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 5, "{}", out.stdout);
    assert!(summary[0].0.ends_with("cross-account-s3-allowed.json"));
    assert_eq!(summary[0].1, "allowed");
    assert_eq!(summary[1], ("<stdin> (line 1)".into(), "allowed".into()));
    assert_eq!(
        summary[2],
        ("<stdin> (line 3)".into(), "implicitDeny".into())
    );
    assert_eq!(
        summary[3],
        ("<stdin> (line 4)".into(), serde_json::Value::Null)
    );
    assert_eq!(answers[3]["errors"][0]["code"], "iam::unknown-action");
    assert!(summary[4].0.ends_with("no-such-file.json"));
    assert_eq!(answers[4]["errors"][0]["code"], "iam::io");

    // Text: one block per request under its input's name.
    let two = format!(
        "{}\n{}\n",
        line(alice, "s3:GetObject"),
        line(alice, "s3:PutObject")
    );
    let text = simulate_inputs(
        vec![Input::Bytes {
            name: "<stdin>".into(),
            bytes: two.into_bytes(),
        }],
        OutputFormat::Text,
    );
    assert_eq!(text.exit_code, 1);
    let first = text
        .stdout
        .find("# <stdin> (line 1)\ndecision: allowed")
        .unwrap();
    let second = text
        .stdout
        .find("# <stdin> (line 2)\ndecision: implicitDeny")
        .unwrap();
    assert!(first < second, "{}", text.stdout);

    // One pretty-printed request file on stdin is not JSON lines.
    let pretty = std::fs::read(example("burst-instance-denied.json")).unwrap();
    let one = simulate_inputs(
        vec![Input::Bytes {
            name: "<stdin>".into(),
            bytes: pretty,
        }],
        OutputFormat::Json,
    );
    assert_eq!(one.exit_code, 1);
    let json: serde_json::Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(json["decision"], "explicitDeny");
}
