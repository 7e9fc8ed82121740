//! The `landfall` binary end to end: output contracts and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn landfall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("landfall runs")
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn show_json_on_the_reference_platform_has_the_blueprint_footprint() {
    let output = landfall(&["show", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let footprint = &json["footprint"];
    let count = |key: &str| {
        footprint[key]
            .as_u64()
            .unwrap_or_else(|| panic!("missing `{key}` in {json}"))
    };
    assert_eq!(count("accounts"), 40);
    assert_eq!(count("environments"), 3);
    assert_eq!(count("azs_per_region"), 3);
    assert_eq!(footprint["regions"].as_array().unwrap().len(), 2);
    // What the text shows beyond the counts: the OU tree, the accounts, the
    // network and the domains.
    assert_eq!(json["accounts"].as_array().unwrap().len(), 40);
    let prod = json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "trading-prod")
        .unwrap();
    assert_eq!(prod["domain"], "trading");
    assert_eq!(prod["environment"], "prod");
    assert!(json["organizational_units"]
        .as_array()
        .unwrap()
        .iter()
        .any(|ou| ou["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "trading-prod")));
    assert_eq!(
        json["network"]["vpcs"].as_array().unwrap().len() as u64,
        count("vpcs")
    );
    let trading = json["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "trading")
        .unwrap();
    assert!(trading["services"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "order-gateway"));
    assert_eq!(count("production_vpcs"), 2);
    assert!(
        (140..=170).contains(&count("subnets")),
        "{}",
        count("subnets")
    );
    assert!(
        (100..=120).contains(&count("services")),
        "{}",
        count("services")
    );
    assert!(
        (45..=55).contains(&count("databases")),
        "{}",
        count("databases")
    );
    for key in ["organizational_units", "domains", "vpcs"] {
        assert!(count(key) > 0, "{key}");
    }
}

#[test]
fn show_without_a_command_shows_the_reference_beside_the_blueprint() {
    let output = landfall(&[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("Meridian Markets (meridian)"), "{text}");
    assert!(text.contains("blueprint"));
    assert!(
        text.lines()
            .any(|l| l.starts_with("accounts") && l.contains("40") && l.contains("~40")),
        "{text}"
    );
}

#[test]
fn validate_reports_every_error_located_and_exits_1() {
    let dir = tempdir("validate-errors");
    copy_dir(&repo("fixtures/specs/small"), &dir);
    std::fs::write(
        dir.join("services/order-api.yaml"),
        "service:\n  name: order-api\n  domain: tradng\n  compute: { cpu: 1000, memory: 2048, port: 8080 }\n",
    )
    .unwrap();
    let output = landfall(&["validate", "--spec", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains(
            "services/order-api.yaml:3:11: error[spec::unknown-reference]: unknown domain `tradng`"
        ),
        "{text}"
    );
    assert!(text.contains("help: did you mean `trading`?"), "{text}");
    assert!(
        text.contains("services/order-api.yaml:4:19: error[spec::invalid-fargate-cpu]"),
        "{text}"
    );
    assert!(
        text.contains("found 2 errors and 0 warnings in 1 file"),
        "{text}"
    );

    let output = landfall(&[
        "validate",
        "--spec",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["errors"], 2);
    let first = &json["diagnostics"][0];
    assert_eq!(first["file"], "services/order-api.yaml");
    assert_eq!(first["line"], 3);
    assert_eq!(first["column"], 11);
    assert_eq!(first["code"], "spec::unknown-reference");
    assert_eq!(first["help"], "did you mean `trading`?");
}

#[test]
fn validate_accepts_the_reference_and_the_small_fixture() {
    let output = landfall(&["validate"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = landfall(&[
        "validate",
        "--spec",
        repo("fixtures/specs/small").to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("is valid"));
}

#[test]
fn a_missing_spec_directory_is_an_io_error_with_exit_2() {
    let output = landfall(&["validate", "--spec", "/nonexistent/landfall-spec"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`/nonexistent/landfall-spec` is not a spec directory"),
        "{}",
        stderr(&output)
    );
}

#[cfg(feature = "live")]
#[test]
fn plan_and_deploy_take_the_services_asked_for_from_the_spec() {
    let spec = repo("fixtures/specs/small");
    for command in ["plan", "deploy"] {
        // An unknown service stops the command before any AWS call (the
        // endpoint is a closed loopback port all the same).
        let output = landfall(&[
            command,
            "--spec",
            spec.to_str().unwrap(),
            "--service",
            "order-apii",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--quiet",
        ]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{command}: {err}");
        assert!(
            err.contains("there is no service `order-apii`")
                && err.contains("did you mean `order-api`?"),
            "{command}: {err}"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let output = landfall(&["show", "--format", "yaml"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn init_writes_a_spec_that_validates_and_refuses_to_overwrite() {
    let dir = tempdir("init");
    let target = dir.join("platform");
    let output = landfall(&["init", target.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(target.join("landfall.yaml").exists() || target.join("network.yaml").exists());
    let output = landfall(&["validate", "--spec", target.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = landfall(&["init", target.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--force"));
}

#[test]
fn schema_is_json_schema_with_every_section() {
    let output = landfall(&["schema"]);
    assert!(output.status.success());
    let schema: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(schema["$schema"]
        .as_str()
        .unwrap()
        .contains("json-schema.org"));
    for section in [
        "organization",
        "network",
        "service",
        "services",
        "data_stores",
        "identity",
        "guardrails",
        "cicd",
        "billing",
        "observability",
        "limits",
    ] {
        assert!(
            schema["properties"][section].is_object(),
            "missing {section}"
        );
    }
}

#[test]
fn limits_shows_overrides_beside_aws_defaults() {
    let output = landfall(&["limits", "--format", "json"]);
    assert!(output.status.success());
    let rows: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let accounts = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "accounts_per_organization")
        .unwrap();
    assert_eq!(accounts["aws_default"], 10);
    assert!(accounts["value"].as_u64().unwrap() >= 40);
    // The quotas the workload layer can exceed show what the spec uses.
    let rules = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "alb_rules_per_load_balancer")
        .unwrap();
    assert_eq!(rules["value"], 100);
    assert!(rules["used"].as_u64().unwrap() > 0, "{rules}");
}

/// More services behind a domain's load balancer than it takes listener
/// rules (AWS: 100 per Application Load Balancer,
/// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html)
/// is refused by `validate` and `synth`, located at the domain, instead of
/// failing mid-deploy. The limit is lowered here so the reference's own
/// domains exceed it.
#[test]
fn a_domain_with_more_services_than_its_load_balancer_takes_is_refused() {
    let (_dir, spec) = reference_copy("alb-quota");
    edit(
        &spec,
        "landfall.yaml",
        "limits:\n",
        "limits:\n  alb_rules_per_load_balancer: 5\n",
    );
    let validate = landfall(&["validate", "--spec", spec.to_str().unwrap()]);
    assert_eq!(validate.status.code(), Some(1), "{}", stderr(&validate));
    let err = stderr(&validate);
    assert!(err.contains("domains.yaml:"), "{err}");
    assert!(err.contains("error[workloads::quota-exceeded]: trading-prod needs 6 of `alb_rules_per_load_balancer`; AWS allows 5"), "{err}");
    let out = _dir.join("out");
    let synth = landfall(&[
        "synth",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(synth.status.code(), Some(1), "{}", stderr(&synth));
    assert!(
        stderr(&synth).contains("workloads::quota-exceeded"),
        "{}",
        stderr(&synth)
    );
}

/// The reference platform written into a fresh directory: (directory, spec).
fn reference_copy(name: &str) -> (PathBuf, PathBuf) {
    let dir = tempdir(name);
    let spec = dir.join("spec");
    assert!(landfall(&["init", spec.to_str().unwrap()]).status.success());
    (dir, spec)
}

/// Replaces the first `from` in one file of a spec (which must hold it).
fn edit(spec: &Path, file: &str, from: &str, to: &str) {
    let path = spec.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landfall-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn iam_simulate_explains_the_decision_with_exit_codes() {
    let denied = landfall(&[
        "iam",
        "simulate",
        "--input",
        repo("examples/iam/burst-instance-denied.json")
            .to_str()
            .unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(denied.status.code(), Some(1), "{}", stderr(&denied));
    let json: serde_json::Value = serde_json::from_str(&stdout(&denied)).unwrap();
    assert_eq!(json["decision"], "explicitDeny");
    assert_eq!(json["blocked_by"], serde_json::json!(["scp"]));

    let allowed = landfall(&[
        "iam",
        "simulate",
        "--input",
        repo("examples/iam/cross-account-s3-allowed.json")
            .to_str()
            .unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    let json: serde_json::Value = serde_json::from_str(&stdout(&allowed)).unwrap();
    assert_eq!(json["decision"], "allowed");

    let missing = landfall(&["iam", "simulate", "--input", "/nonexistent.json"]);
    assert_eq!(missing.status.code(), Some(2));

    // `--input -` reads stdin; a misspelled action is an error, not an answer.
    let text = std::fs::read_to_string(repo("examples/iam/cross-account-s3-allowed.json"))
        .unwrap()
        .replace("\"s3:GetObject\"", "\"s3:GetObjekt\"");
    assert!(text.contains("GetObjekt"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(["iam", "simulate", "--input", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .env("NO_COLOR", "1")
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let typo = child.wait_with_output().unwrap();
    assert_eq!(typo.status.code(), Some(2), "{}", stderr(&typo));
    assert!(stderr(&typo).contains("<stdin>:"), "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("did you mean `GetObject`?"),
        "{}",
        stderr(&typo)
    );
}

/// Several `--input`s and JSON lines on stdin: one decision per request, in
/// order, in one process.
#[test]
fn iam_simulate_answers_json_lines_and_several_files() {
    let files = [
        "burst-instance-denied.json",
        "cross-account-s3-allowed.json",
    ];
    let mut lines = String::new();
    for name in files {
        let text = std::fs::read_to_string(repo(&format!("examples/iam/{name}"))).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        lines.push_str(&serde_json::to_string(&value).unwrap());
        lines.push('\n');
    }
    let allowed = repo("examples/iam/cross-account-s3-allowed.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(["iam", "simulate", "--input", "-", "--input"])
        .arg(&allowed)
        .args(["--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .env("NO_COLOR", "1")
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), lines.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let decisions: Vec<(String, String)> = stdout(&output)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["input"].as_str().unwrap().to_owned(),
                v["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            ("<stdin> (line 1)".to_owned(), "explicitDeny".to_owned()),
            ("<stdin> (line 2)".to_owned(), "allowed".to_owned()),
            (allowed.display().to_string(), "allowed".to_owned()),
        ]
    );
}

#[test]
fn iam_prove_holds_on_the_reference_platform() {
    let output = landfall(&["iam", "prove", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["holds"], true);
    let intents = json["intents"].as_array().unwrap();
    assert!(intents.iter().any(|i| i["intent"] == "no-iam-users"));
    assert!(intents
        .iter()
        .all(|i| !i["accounts"].as_array().unwrap().is_empty()));
}

#[test]
fn iam_can_answers_for_one_account_through_its_scps() {
    let burst = landfall(&[
        "iam",
        "can",
        "--account",
        "trading-dev",
        "--action",
        "ec2:RunInstances",
        "--context",
        "ec2:InstanceType=t3.large",
        "--format",
        "json",
    ]);
    assert_eq!(burst.status.code(), Some(1), "{}", stderr(&burst));
    let json: serde_json::Value = serde_json::from_str(&stdout(&burst)).unwrap();
    assert_eq!(json["decision"], "explicitDeny");
    assert_eq!(json["blocked_by"], serde_json::json!(["scp"]));

    let fixed = landfall(&[
        "iam",
        "can",
        "--account",
        "trading-dev",
        "--action",
        "ec2:RunInstances",
        "--context",
        "ec2:InstanceType=m7i.large",
    ]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stdout(&fixed));

    let typo = landfall(&[
        "iam",
        "can",
        "--account",
        "tradng-dev",
        "--action",
        "ec2:RunInstances",
    ]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("did you mean `trading-dev`?"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn iam_access_review_lists_what_principals_can_do_and_why() {
    let output = landfall(&[
        "iam",
        "access-review",
        "--account",
        "security-tooling",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let principals = json["principals"].as_array().unwrap();
    let admin = principals
        .iter()
        .find(|p| p["name"] == "AdministratorAccess" && p["account"] == "security-tooling")
        .expect("the administrators' permission set is reviewed");
    // A key needs its key policy and an identity policy: both are named.
    let key = admin["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["access"][0]["resource"]["kind"] == "kms-key")
        .unwrap();
    let layers: Vec<&str> = key["allowed_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["layer"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["identity", "resource"]);
    // SecurityAuditor reads configuration only.
    let auditor_levels: Vec<&str> = principals
        .iter()
        .filter(|p| p["name"] == "SecurityAuditor" && p["account"] == "security-tooling")
        .flat_map(|p| p["reasons"].as_array().unwrap())
        .flat_map(|r| r["access"].as_array().unwrap())
        .filter(|a| a["resource"]["account"] == "security-tooling")
        .map(|a| a["level"].as_str().unwrap())
        .collect();
    assert!(!auditor_levels.is_empty());
    assert!(
        auditor_levels.iter().all(|l| *l == "read-configuration"),
        "{auditor_levels:?}"
    );

    // The text form, for review; the assertions above are what is tested.
    let text = landfall(&["iam", "access-review", "--account", "security-tooling"]);
    assert!(text.status.success());
    insta::assert_snapshot!("iam_access_review_security_tooling", stdout(&text));

    let typo = landfall(&["iam", "access-review", "--account", "securty-tooling"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("did you mean `security-tooling`?"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn check_without_paths_synthesizes_the_platform_and_finds_nothing() {
    let output = landfall(&["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let findings = json.as_array().expect("a list of findings");
    // No guardrail rule fires on the platform's own templates, and nothing
    // AWS would refuse at deploy time: only the warnings of what AWS's
    // documentation leaves in doubt (CloudFront VPC origins in shared
    // subnets, docs/deployability.md), which do not fail the check.
    let rules: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] != "deploy::vpc-origin-account")
        .collect();
    assert!(rules.is_empty(), "{rules:#?}");
    assert_eq!(findings.len(), 4, "{findings:#?}");
    assert!(findings
        .iter()
        .all(|f| f["certain"] == false && f["severity"] == "low"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn check_without_paths_reports_deploy_time_findings_in_every_format() {
    // The small fixture's public service sits behind a CloudFront VPC
    // origin in subnets shared through RAM: a warning in every format.
    let spec = repo("fixtures/specs/small");
    let spec = spec.to_str().unwrap();
    let output = landfall(&["check", "--spec", spec, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let deploy: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("deploy::"))
        .collect();
    assert!(!deploy.is_empty());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for f in &deploy {
        assert!(
            f["stack"].as_str().unwrap().starts_with("smallco-")
                && !f["message"].as_str().unwrap().is_empty()
                && f["fix"].as_str().unwrap().contains("https://")
                && f["fix"].as_str().unwrap().contains("leaves this in doubt")
                && f["severity"] == "low"
                && f["line"].as_u64().unwrap() > 0,
            "{f:#?}"
        );
    }
    let sarif = landfall(&["check", "--spec", spec, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&sarif)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let sarif_deploy: Vec<_> = results
        .iter()
        .filter(|r| r["ruleId"].as_str().unwrap().starts_with("deploy::"))
        .collect();
    assert_eq!(sarif_deploy.len(), deploy.len());
    assert!(sarif_deploy.iter().all(|r| r["level"] == "warning"));
    let text = landfall(&["check", "--spec", spec]);
    assert_eq!(text.status.code(), output.status.code());
    assert_eq!(
        stdout(&text).matches("warning[deploy::").count(),
        deploy.len(),
        "{}",
        stdout(&text)
    );
}

#[test]
fn check_reports_a_violation_with_its_location_and_exit_1() {
    let dir = tempdir("check-violation");
    std::fs::write(
        dir.join("volume.yaml"),
        "Resources:\n  Data:\n    Type: AWS::EC2::Volume\n    Properties:\n      Size: 10\n      AvailabilityZone: eu-central-1a\n",
    )
    .unwrap();
    let output = landfall(&["check", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let finding = &json[0];
    assert_eq!(finding["rule"], "LF101");
    assert_eq!(finding["line"], 3);
    assert!(finding["file"].as_str().unwrap().ends_with("volume.yaml"));
    assert!(
        finding["severity"].is_string()
            && finding["message"].is_string()
            && finding["resource"] == "Data"
    );
}

/// Nothing checked must not read as clean: a directory without a template
/// or plan, a UTF-16 plan (Windows PowerShell's `>`), Terraform state, and
/// the files skipped on the way, in every format.
#[test]
fn check_never_passes_a_run_that_checked_nothing() {
    let dir = tempdir("check-nothing");
    std::fs::write(dir.join("package.json"), r#"{"name": "site"}"#).unwrap();
    let output = landfall(&["check", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("holds no CloudFormation template or Terraform plan"),
        "{err}"
    );
    assert!(err.contains("package.json"), "{err}");

    // A plan written by PowerShell: UTF-16LE with a byte order mark.
    let plan = r#"{"format_version": "1.2", "terraform_version": "1.9.8",
      "planned_values": {"root_module": {"resources": [
        {"address": "aws_ebs_volume.data", "mode": "managed", "type": "aws_ebs_volume", "name": "data",
         "values": {"availability_zone": "eu-central-1a", "encrypted": false, "size": 20}}]}}}"#;
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(plan.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.join("plan.json"), utf16).unwrap();
    let output = landfall(&["check", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let entries = json.as_array().unwrap();
    assert!(entries.iter().any(|f| f["rule"] == "LF101"), "{entries:#?}");
    assert!(
        entries.iter().any(|f| f["code"] == "input::skipped"
            && f["file"].as_str().unwrap().ends_with("package.json")),
        "{entries:#?}"
    );
    let text = landfall(&["check", dir.to_str().unwrap()]);
    assert!(
        stderr(&text).contains("1 file(s) skipped"),
        "{}",
        stderr(&text)
    );

    // Terraform state beside the plan: an input error, in SARIF too.
    std::fs::write(
        dir.join("state.json"),
        r#"{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {}}}"#,
    )
    .unwrap();
    let output = landfall(&["check", dir.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert!(
        notifications.iter().any(|n| n["level"] == "error"
            && n["descriptor"]["id"] == "input::terraform-state"
            && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("state.json")),
        "{notifications:#?}"
    );
    assert!(notifications
        .iter()
        .any(|n| n["level"] == "warning" && n["descriptor"]["id"] == "input::skipped"));
}

/// A resource that exists only for a non-default parameter value is
/// checked unless a pinned value rules it out; pins come from flags or a
/// parameter file as CloudFormation takes it.
#[test]
fn check_pins_parameters_from_flags_and_files() {
    let dir = tempdir("check-parameters");
    let template = dir.join("nat.yaml");
    std::fs::write(
        &template,
        "Parameters:\n  NumberOfAZs:\n    Type: Number\n    Default: 2\nConditions:\n  Has3AZs: !Not [!Equals [!Ref NumberOfAZs, 2]]\nResources:\n  Nat3:\n    Type: AWS::EC2::Volume\n    Condition: Has3AZs\n    Properties:\n      Size: 8\n      AvailabilityZone: eu-central-1c\n",
    )
    .unwrap();
    let path = template.to_str().unwrap();
    let undecided = landfall(&["check", path, "--format", "json"]);
    assert_eq!(undecided.status.code(), Some(1), "{}", stderr(&undecided));
    let json: serde_json::Value = serde_json::from_str(&stdout(&undecided)).unwrap();
    assert!(json[0]["message"]
        .as_str()
        .unwrap()
        .contains("when condition `Has3AZs` is true"));
    let pinned = landfall(&["check", path, "--parameter", "NumberOfAZs=2"]);
    assert_eq!(pinned.status.code(), Some(0), "{}", stderr(&pinned));
    let file = dir.join("params.json");
    std::fs::write(
        &file,
        r#"[{"ParameterKey": "NumberOfAZs", "ParameterValue": "2"}]"#,
    )
    .unwrap();
    let from_file = landfall(&["check", path, "--parameter-file", file.to_str().unwrap()]);
    assert_eq!(from_file.status.code(), Some(0), "{}", stderr(&from_file));
    // The flag wins over the file.
    let both = landfall(&[
        "check",
        path,
        "--parameter-file",
        file.to_str().unwrap(),
        "--parameter",
        "NumberOfAZs=3",
    ]);
    assert_eq!(both.status.code(), Some(1), "{}", stderr(&both));
    // Malformed: said where and what is right.
    let bad = landfall(&["check", path, "--parameter", "NumberOfAZs"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("is not KEY=VALUE"),
        "{}",
        stderr(&bad)
    );
    std::fs::write(
        &file,
        "[{\"ParameterKey\": \"NumberOfAZs\",\n  \"ParameterValue\": 2,,}]",
    )
    .unwrap();
    let bad = landfall(&["check", path, "--parameter-file", file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("params.json:2:"), "{}", stderr(&bad));
}

/// Findings are coloured when asked (and on a terminal by default).
#[test]
fn check_colours_findings_on_request() {
    let dir = tempdir("check-colour");
    std::fs::write(
        dir.join("volume.yaml"),
        "Resources:\n  Data:\n    Type: AWS::EC2::Volume\n    Properties:\n      Size: 10\n      AvailabilityZone: eu-central-1a\n",
    )
    .unwrap();
    let coloured = landfall(&["check", dir.to_str().unwrap(), "--color", "always"]);
    assert!(
        stdout(&coloured).contains("\x1b[1;31mLF101\x1b[0m"),
        "{}",
        stdout(&coloured)
    );
    let plain = landfall(&["check", dir.to_str().unwrap(), "--color", "never"]);
    assert!(!stdout(&plain).contains('\x1b'), "{}", stdout(&plain));
    assert!(stdout(&plain).contains("LF101 [critical]"));
}

#[test]
fn net_plans_the_reference_with_its_committed_lockfile() {
    let output = landfall(&["net", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let vpcs = json["vpcs"].as_array().unwrap();
    let subnets = json["subnets"].as_array().unwrap();
    assert_eq!(vpcs.len(), 4);
    assert_eq!(subnets.len(), 159);
    let names: Vec<&str> = vpcs.iter().map(|v| v["name"].as_str().unwrap()).collect();
    for subnet in subnets {
        assert!(names.contains(&subnet["vpc"].as_str().unwrap()), "{subnet}");
        for key in ["cidr", "az", "tier", "shared_with"] {
            assert!(!subnet[key].is_null(), "{key} missing in {subnet}");
        }
    }
    let svg = landfall(&["net", "--format", "svg"]);
    assert!(svg.status.success());
    assert!(stdout(&svg).starts_with("<svg"));
}

#[test]
fn net_writes_a_lockfile_for_a_new_spec_and_keeps_it_stable() {
    let dir = tempdir("net-lock");
    copy_dir(&repo("fixtures/specs/small"), &dir);
    let first = landfall(&["net", "--spec", dir.to_str().unwrap(), "--format", "json"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let lock = std::fs::read_to_string(dir.join("landfall.lock")).unwrap();
    let second = landfall(&["net", "--spec", dir.to_str().unwrap(), "--format", "json"]);
    assert!(second.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("landfall.lock")).unwrap(),
        lock
    );
    assert_eq!(stdout(&first), stdout(&second));
}

#[test]
fn synth_rename_is_checked_against_the_spec_and_the_previous_synthesis() {
    let dir = tempdir("rename");
    let spec = dir.join("spec");
    copy_dir(&repo("fixtures/specs/small"), &spec);
    let out = dir.join("out");
    let synth = |renames: &[&str]| {
        let mut args = vec![
            "synth",
            "--spec",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--emit",
            "terraform",
        ];
        for r in renames {
            args.extend(["--rename", r]);
        }
        landfall(&args)
    };
    // Before anything was synthesized there is nothing to check a rename against.
    let first = synth(&["payments-api=pay-gateway"]);
    assert_eq!(first.status.code(), Some(2), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("`pay-gateway` (the new name"),
        "{}",
        stderr(&first)
    );
    let first = synth(&[]);
    assert!(first.status.success(), "{}", stderr(&first));

    // The service is renamed in the spec.
    edit(
        &spec,
        "services/payments-api.yaml",
        "name: payments-api",
        "name: pay-gateway",
    );

    // Malformed values, an old name still in the spec (two modules on one
    // state), a misspelt old name (an empty state): all refused in one run,
    // and nothing written.
    let refused = synth(&[
        "nonsense",
        "order-api=pay-gateway",
        "payment-api=pay-gateway",
    ]);
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`--rename nonsense` is not of the form OLD=NEW"),
        "{err}"
    );
    assert!(
        err.contains(
            "`order-api` (the old name in `--rename order-api=pay-gateway`) is still in the spec"
        ),
        "{err}"
    );
    assert!(
        err.contains("more than one name is renamed to `pay-gateway`"),
        "{err}"
    );
    assert!(!out
        .join("terraform/workloads")
        .read_dir()
        .unwrap()
        .flatten()
        .any(|e| e
            .file_name()
            .to_string_lossy()
            .ends_with("service-pay-gateway")));
    let typo = synth(&["payment-api=pay-gateway"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("`payment-api` is not a service of the previous synthesis"),
        "{}",
        stderr(&typo)
    );
    assert!(
        stderr(&typo).contains("did you mean `payments-api`?"),
        "{}",
        stderr(&typo)
    );

    // The right rename keeps the old state, and stays valid on the next run.
    for _ in 0..2 {
        let renamed = synth(&["payments-api=pay-gateway"]);
        assert!(renamed.status.success(), "{}", stderr(&renamed));
        let module = std::fs::read_dir(out.join("terraform/workloads"))
            .unwrap()
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .ends_with("service-pay-gateway")
            })
            .expect("the renamed service has a module");
        let main = std::fs::read_to_string(module.path().join("main.tf.json")).unwrap();
        assert!(
            main.contains("-service-payments-api.tfstate"),
            "the module keeps its state"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A remediation alert that no generated rule raises is a located spec
/// error for `validate`, and `synth` writes nothing.
#[test]
fn validate_and_synth_refuse_an_automatic_alert_no_rule_raises() {
    let (dir, spec) = reference_copy("unknown-remediation-alert");
    edit(
        &spec,
        "observability.yaml",
        "- MskBrokerStorageHigh",
        "- MskBrokerStorageHi",
    );
    let validate = landfall(&["validate", "--spec", spec.to_str().unwrap()]);
    assert_eq!(validate.status.code(), Some(1), "{}", stderr(&validate));
    let err = stderr(&validate);
    assert!(err.contains("observability.yaml:"), "{err}");
    assert!(err.contains("observability::unknown-alert"), "{err}");
    assert!(
        err.contains("did you mean `MskBrokerStorageHigh`?"),
        "{err}"
    );
    let out = dir.join("out");
    let synth = landfall(&[
        "synth",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(synth.status.code(), Some(1), "{}", stderr(&synth));
    assert!(!out.join("observability").exists());
}

/// A log pipeline Vector cannot authenticate to is a located spec error for
/// `validate` and `check`, and `synth` writes nothing; the reference writes
/// the log and trace configuration under `observability/`.
#[test]
fn synth_writes_log_and_trace_configuration_and_refuses_iam_for_vector() {
    let (dir, spec) = reference_copy("vector-iam");
    let out = dir.join("out");
    let synth = landfall(&[
        "synth",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(synth.status.success(), "{}", stderr(&synth));
    assert!(
        stderr(&synth).contains("wrote log and trace configuration"),
        "{}",
        stderr(&synth)
    );
    for file in [
        "vector/aggregator.yaml",
        "otel/gateway.yaml",
        "jaeger/jaeger.yaml",
        "telemetry.json",
    ] {
        assert!(out.join("observability").join(file).is_file(), "{file}");
    }
    // The reference's remediation engine is Automation Controller: synth
    // writes its rulebooks, the bytes `heal export-ansible` writes.
    let exported = dir.join("exported");
    let export = landfall(&[
        "heal",
        "export-ansible",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        exported.to_str().unwrap(),
    ]);
    assert!(export.status.success(), "{}", stderr(&export));
    for path in [
        "dev/rulebook.yml",
        "dev/controller.yml",
        "staging/rulebook.yml",
        "staging/controller.yml",
        "prod/rulebook.yml",
        "prod/controller.yml",
        "events/rulebook.yml",
    ] {
        let synthesized = out.join("observability/ansible").join(path);
        assert_eq!(
            std::fs::read(&synthesized).unwrap(),
            std::fs::read(exported.join(path)).unwrap(),
            "{}",
            synthesized.display()
        );
    }
    assert!(
        stderr(&synth).contains("remediation rules for Automation Controller (7 files)"),
        "{}",
        stderr(&synth)
    );
    let _ = std::fs::remove_dir_all(&out);
    edit(
        &spec,
        "observability.yaml",
        "    opensearch_retention_days: 14\n",
        "    opensearch_retention_days: 14\n    kafka_authentication: iam\n",
    );
    for command in ["validate", "check"] {
        let run = landfall(&[command, "--spec", spec.to_str().unwrap()]);
        assert_eq!(run.status.code(), Some(1), "{command}: {}", stderr(&run));
        let text = format!("{}{}", stdout(&run), stderr(&run));
        assert!(text.contains("observability.yaml:"), "{command}: {text}");
        assert!(
            text.contains("telemetry::kafka-authentication"),
            "{command}: {text}"
        );
    }
    let synth = landfall(&[
        "synth",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(synth.status.code(), Some(1), "{}", stderr(&synth));
    assert!(!out.join("observability").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Inside a spec directory, commands read it (not the built-in reference)
/// and say so; `LANDFALL_SPEC` names one from anywhere; `--spec` wins.
#[test]
fn commands_find_the_spec_of_the_current_directory() {
    let (dir, spec) = reference_copy("discover");
    // Make this spec distinguishable from the reference: one broken value.
    edit(
        &spec,
        "observability.yaml",
        "sample_percent: 5",
        "sample_percent: 500",
    );
    let run = |cwd: &std::path::Path, env: Option<&std::path::Path>, args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_landfall"));
        c.args(args).current_dir(cwd).env_remove("LANDFALL_SPEC");
        if let Some(e) = env {
            c.env("LANDFALL_SPEC", e);
        }
        c.output().unwrap()
    };
    let inside = run(&spec, None, &["validate"]);
    assert_eq!(inside.status.code(), Some(1), "{}", stderr(&inside));
    assert!(
        stderr(&inside).contains("note: using the spec in the current directory"),
        "{}",
        stderr(&inside)
    );
    assert!(
        stderr(&inside).contains("500% of requests cannot be sampled"),
        "{}",
        stderr(&inside)
    );
    let by_env = run(&dir, Some(&spec), &["validate"]);
    assert_eq!(by_env.status.code(), Some(1), "{}", stderr(&by_env));
    let elsewhere = run(&dir, None, &["validate"]);
    assert!(elsewhere.status.success(), "{}", stderr(&elsewhere));
    assert!(
        stderr(&elsewhere).contains("using the built-in reference platform"),
        "{}",
        stderr(&elsewhere)
    );
    // An explicit --spec wins over the directory.
    let reference = dir.join("reference");
    assert!(landfall(&["init", reference.to_str().unwrap()])
        .status
        .success());
    let explicit = run(
        &spec,
        None,
        &["validate", "--spec", reference.to_str().unwrap()],
    );
    assert!(explicit.status.success(), "{}", stderr(&explicit));
}

/// A skipped intent (its control is detective) is not counted as holding.
#[test]
fn iam_prove_counts_skipped_intents_apart() {
    let (_dir, spec) = reference_copy("prove-skipped");
    edit(
        &spec,
        "guardrails.yaml",
        "    - id: region-allowlist\n      mode: preventive",
        "    - id: region-allowlist\n      mode: detective\n      reason: evaluating a third region",
    );
    let prove = landfall(&["iam", "prove", "--spec", spec.to_str().unwrap()]);
    assert!(prove.status.success(), "{}", stderr(&prove));
    let err = stderr(&prove);
    assert!(err.contains("14 hold, 1 skipped"), "{err}");
    assert!(!err.contains("all hold"), "{err}");
}

#[test]
fn show_service_suggests_the_service_meant() {
    let out = landfall(&["show", "service", "ordr-gateway"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `order-gateway`?"),
        "{}",
        stderr(&out)
    );
}

/// `show service --format json` carries what the text shows.
#[test]
fn show_service_json_carries_the_explanation() {
    let out = landfall(&["show", "service", "order-gateway", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["domain"], "trading");
    assert_eq!(json["compute"]["capacity"], "metal");
    let prod = json["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["environment"] == "prod")
        .unwrap();
    let placement = &prod["placement"];
    assert_eq!(placement["account"], "trading-prod");
    assert_eq!(placement["tasks"]["with_headroom"], 5);
    assert!(placement["security_group_rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["direction"] == "in" && r["port"] == 9000));
    assert!(placement["grants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["actions"][0] == "rds-db:connect"));
    assert!(
        !json["monitoring"]["alerts"].as_array().unwrap().is_empty(),
        "{json}"
    );
}

/// `show service` says where the service's logs and traces go and how long
/// each store keeps them, in text and JSON.
#[test]
fn show_service_shows_where_logs_and_traces_go() {
    let out = landfall(&["show", "service", "order-gateway", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let logs = &json["telemetry"]["logs"];
    assert_eq!(
        logs["agent_config"],
        "observability/vector/hosts/trading.yaml"
    );
    assert_eq!(logs["topic"], "logs.application");
    assert_eq!(logs["authentication"], "scram-sha-512");
    assert_eq!(logs["data_lake_days"], 1825);
    assert_eq!(logs["opensearch_days"], 14);
    assert_eq!(json["telemetry"]["traces"]["days"], 7);
    assert_eq!(json["telemetry"]["traces"]["sample_percent"], 5);

    let out = landfall(&["show", "service", "order-gateway"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("kept: data lake 1825 days (`domain=trading/service=order-gateway/date=YYYY-MM-DD/`), OpenSearch 14 days"), "{text}");
    assert!(
        text.contains("(every trace with an error, 5% of the rest)"),
        "{text}"
    );
}

/// One convention: a name on the command line that does not exist is a usage
/// error (exit 2) with a suggestion, whichever command it is given to; asked
/// for JSON, the error is JSON on stdout.
#[test]
fn unknown_names_are_usage_errors_everywhere_and_json_when_json_is_asked() {
    let cases: &[&[&str]] = &[
        &["show", "service", "ordr-gateway"],
        &[
            "synth",
            "--service",
            "ordr-gateway",
            "--out",
            "/nonexistent/never-written",
        ],
        &["check", "--environment", "prd"],
        &["rules", "LF9999"],
        &[
            "iam",
            "can",
            "--account",
            "trading-prod",
            "--action",
            "ec2:RunInstancez",
        ],
    ];
    for args in cases {
        let text = landfall(args);
        assert_eq!(text.status.code(), Some(2), "{args:?}: {}", stderr(&text));
        assert!(
            stderr(&text).starts_with("note:") || stderr(&text).contains("error:"),
            "{args:?}: {}",
            stderr(&text)
        );
        let mut json_args = args.to_vec();
        json_args.extend(["--format", "json"]);
        let json = landfall(&json_args);
        assert_eq!(
            json.status.code(),
            Some(2),
            "{json_args:?}: {}",
            stderr(&json)
        );
        let value: serde_json::Value = serde_json::from_str(&stdout(&json))
            .unwrap_or_else(|e| panic!("{json_args:?}: not JSON ({e}): {}", stdout(&json)));
        let error = &value["errors"][0];
        assert_eq!(error["code"], "usage", "{json_args:?}: {value}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{value}"
        );
    }
}

/// Asked for JSON, a spec with errors is reported as JSON on stdout, not as
/// text meant for people.
#[test]
fn spec_errors_are_json_when_json_is_asked() {
    let (_dir, spec) = reference_copy("json-errors");
    edit(
        &spec,
        "domains.yaml",
        "  - name: trading\n",
        "  - name: trading\n    colour: blue\n",
    );
    let out = landfall(&["show", "--format", "json", "--spec", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    assert_eq!(value["valid"], false);
    assert_eq!(
        value["diagnostics"][0]["code"], "spec::unknown-field",
        "{value}"
    );
    assert!(!stderr(&out).contains("unknown field"), "{}", stderr(&out));
    // The same from `check`, asked for JSON or SARIF, and from `net`.
    for (command, format) in [
        ("check", "json"),
        ("check", "sarif"),
        ("net", "json"),
        ("plan", "json"),
        ("deploy", "json"),
        ("audit", "json"),
    ] {
        let out = landfall(&[
            command,
            "--format",
            format,
            "--spec",
            spec.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let value: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
        assert_eq!(
            value["diagnostics"][0]["code"], "spec::unknown-field",
            "{value}"
        );
    }
}

/// The blueprint's figures describe the reference company; beside another
/// spec they would read as its targets. A spec's own plan (`plan_for`) is
/// shown instead.
#[test]
fn show_puts_the_blueprint_only_beside_the_reference_platform() {
    let (_dir, spec) = reference_copy("show-own-spec");
    let own = landfall(&["show", "--spec", spec.to_str().unwrap()]);
    assert!(own.status.success(), "{}", stderr(&own));
    let text = String::from_utf8_lossy(&own.stdout);
    assert!(!text.contains("blueprint"), "{text}");
    assert!(!text.contains("~110"), "{text}");
    assert!(text.contains("planned for"), "{text}");
    let reference = landfall(&["show"]);
    assert!(String::from_utf8_lossy(&reference.stdout).contains("blueprint"));
}

#[test]
fn check_refuses_an_environment_the_spec_does_not_have() {
    let out = landfall(&["check", "--environment", "prd"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did you mean `prod`?"),
        "{}",
        stderr(&out)
    );
}

/// A misspelled action is an error with a suggestion, not a request that
/// quietly evaluates as "allowed".
#[test]
fn iam_can_refuses_an_action_aws_does_not_have() {
    let out = landfall(&[
        "iam",
        "can",
        "--account",
        "trading-dev",
        "--action",
        "ec2:RunInstancez",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did you mean `RunInstances`?"),
        "{}",
        stderr(&out)
    );
    let prefix = landfall(&[
        "iam",
        "can",
        "--account",
        "trading-dev",
        "--action",
        "s4:GetObject",
    ]);
    assert_eq!(prefix.status.code(), Some(2), "{}", stderr(&prefix));
    assert!(
        stderr(&prefix).contains("no AWS service has the prefix `s4`"),
        "{}",
        stderr(&prefix)
    );
    let real = landfall(&[
        "iam",
        "can",
        "--account",
        "trading-dev",
        "--action",
        "ec2:RunInstances",
    ]);
    assert_ne!(real.status.code(), Some(2), "{}", stderr(&real));
}

/// Monitoring inconsistencies reach every output of `check`, located.
#[test]
fn check_reports_monitoring_inconsistencies_in_sarif_too() {
    let (_dir, spec) = reference_copy("check-monitoring-sarif");
    edit(
        &spec,
        "observability.yaml",
        "- TelegrafAgentDown",
        "- TelegrafAgentDwn",
    );
    let out = landfall(&[
        "check",
        "--spec",
        spec.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let found = results
        .iter()
        .find(|r| r["ruleId"] == "observability::unknown-alert")
        .expect("the monitoring finding is a SARIF result");
    let location = &found["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "observability.yaml");
    assert!(location["region"]["startLine"].as_u64().unwrap() > 1);
    assert!(found["properties"]["fix"]
        .as_str()
        .unwrap()
        .contains("TelegrafAgentDown"));
}

/// `validate` runs the address plan's checks: what `net` refuses, it
/// reports too.
#[test]
fn validate_reports_what_the_address_plan_refuses() {
    let (_dir, spec) = reference_copy("validate-netplan");
    std::fs::remove_file(spec.join("landfall.lock")).unwrap();
    edit(
        &spec,
        "network.yaml",
        "address_space: 10.0.0.0/8",
        "address_space: 10.0.0.0/14",
    );
    let validate = landfall(&["validate", "--spec", spec.to_str().unwrap()]);
    assert_eq!(validate.status.code(), Some(1), "{}", stderr(&validate));
    assert!(
        stderr(&validate).contains("network.yaml:10:18: error[net::space-exhausted]"),
        "{}",
        stderr(&validate)
    );
    let net = landfall(&["net", "--spec", spec.to_str().unwrap()]);
    assert_eq!(net.status.code(), Some(1));
}

/// Every command's help ends with examples; completions come from the same
/// command tree.
#[test]
fn help_has_examples_and_completions_are_generated() {
    for command in [
        "validate",
        "show",
        "schema",
        "init",
        "limits",
        "net",
        "synth",
        "check",
        "rules",
        "completions",
    ] {
        let help = landfall(&[command, "--help"]);
        assert!(help.status.success());
        assert!(
            String::from_utf8_lossy(&help.stdout).contains("Examples:\n  landfall"),
            "{command} --help has no examples"
        );
    }
    // One flag vocabulary: `--color` and `--format` read the same wherever
    // they appear, and the commands that print results take `--format`.
    let mut colour_lines = std::collections::BTreeSet::new();
    for command in [
        &["validate"][..],
        &["show"],
        &["net"],
        &["synth"],
        &["check"],
        &["plan"],
        &["deploy"],
        &["audit"],
        &["limits"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = landfall(&args);
        let text = String::from_utf8_lossy(&help.stdout).into_owned();
        // The flag and the start of its description, laid out the same way.
        let colour: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("--color"))
            .take(2)
            .collect();
        if !colour.is_empty() {
            colour_lines.insert(colour.join("\n"));
        }
        if command != ["limits"] {
            assert!(text.contains("--format"), "{command:?} has no --format");
        }
    }
    assert_eq!(
        colour_lines.len(),
        1,
        "--color reads differently: {colour_lines:#?}"
    );
    for command in [&["rules"][..], &["plan"], &["deploy"], &["iam", "simulate"]] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = landfall(&args);
        assert!(
            String::from_utf8_lossy(&help.stdout).contains("--format"),
            "{command:?} has no --format"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = landfall(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("landfall") && script.contains("synth"),
            "{shell}: {script}"
        );
    }
}

/// An emptied service file does not make its service vanish silently.
#[test]
fn an_empty_spec_file_is_a_warning() {
    let (_dir, spec) = reference_copy("empty-file");
    let services = spec.join("services");
    let domain = std::fs::read_dir(&services)
        .unwrap()
        .flatten()
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    let file = std::fs::read_dir(&domain)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::write(&file, "# moved to another team\n").unwrap();
    let out = landfall(&["validate", "--spec", spec.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(err.contains("warning[spec::empty-file]"), "{err}");
    assert!(err.contains("declares nothing"), "{err}");
}

/// A closed endpoint and an unknown profile are said plainly, not as the
/// SDK's debug dump or an instance-metadata error.
#[test]
fn live_commands_say_plainly_when_they_cannot_reach_aws_or_find_the_profile() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let closed = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(["plan", "--endpoint-url", &endpoint])
        .envs(emulator_credentials())
        .output()
        .unwrap();
    assert_eq!(closed.status.code(), Some(2), "{}", stderr(&closed));
    let err = stderr(&closed);
    assert!(
        err.contains(&format!("cannot reach {endpoint}: connection refused")),
        "{err}"
    );
    assert!(!err.contains("DispatchFailure"), "{err}");

    let home = std::env::temp_dir().join(format!("landfall-cli-profile-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        "[profile platform-admin]\nregion = eu-central-1\n",
    )
    .unwrap();
    let unknown = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(["plan", "--profile", "platform-admn"])
        .env("HOME", &home)
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    let err = stderr(&unknown);
    assert!(
        err.contains("profile `platform-admn` is not defined"),
        "{err}"
    );
    assert!(err.contains("did you mean `platform-admin`?"), "{err}");
    assert!(!err.contains("IMDS"), "{err}");
    let _ = std::fs::remove_dir_all(&home);
}

/// `plan --detailed-exitcode` for CI, as Terraform's: 2 when there is
/// something to change (a platform not deployed yet, on moto server), and an
/// error is 1 there (2 would read as "changes").
#[test]
fn plan_detailed_exit_code_says_whether_there_are_changes() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let closed = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args([
            "plan",
            "--detailed-exitcode",
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .envs(emulator_credentials())
        .output()
        .unwrap();
    assert_eq!(closed.status.code(), Some(1), "{}", stderr(&closed));

    let Some((endpoint, _moto)) = moto() else {
        return;
    };
    let plan = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args([
            "plan",
            "--detailed-exitcode",
            "--quiet",
            "--endpoint-url",
            &endpoint,
        ])
        .arg("--spec")
        .arg(repo("fixtures/specs/small"))
        .envs(emulator_credentials())
        .output()
        .unwrap();
    assert_eq!(
        plan.status.code(),
        Some(2),
        "{}\n{}",
        stdout(&plan),
        stderr(&plan)
    );
    assert!(stdout(&plan).contains("change(s)"), "{}", stdout(&plan));
}

/// A second synthesis into the same directory says what changed since the
/// first: the stacks added, changed and removed, by name.
#[test]
fn synth_reports_what_changed_since_the_last_synthesis() {
    let dir = std::env::temp_dir().join(format!("landfall-cli-synth-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = dir.join("spec");
    let out = dir.join("out");
    copy_dir(&repo("fixtures/specs/small"), &spec);
    let synth = || {
        landfall(&[
            "synth",
            "--spec",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let first = synth();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        !stderr(&first).contains("since the last synthesis"),
        "{}",
        stderr(&first)
    );
    let same = synth();
    assert!(
        stderr(&same).contains("no changes since the last synthesis"),
        "{}",
        stderr(&same)
    );
    edit(
        &spec,
        "services/order-api.yaml",
        "cpu: 1024, memory: 2048",
        "cpu: 512, memory: 1024",
    );
    std::fs::remove_file(spec.join("services/payments-api.yaml")).unwrap();
    let changed = synth();
    assert!(changed.status.success(), "{}", stderr(&changed));
    let err = stderr(&changed);
    assert!(
        err.contains("~ smallco-workloads-trading-prod-service-order-api"),
        "{err}"
    );
    assert!(
        err.contains("- smallco-workloads-payments-prod-service-payments-api"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Credentials only an emulator accepts, no instance metadata, no colour:
/// the environment of a live command pointed at moto or a closed port.
fn emulator_credentials() -> [(&'static str, &'static str); 4] {
    [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("NO_COLOR", "1"),
    ]
}

/// The moto server of the test command, reset, held for one test at a time;
/// `None` (after a note) without one, a failure with `CI=true`.
fn moto() -> Option<(String, std::sync::MutexGuard<'static, ()>)> {
    static MOTO: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = MOTO
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Ok(endpoint) = std::env::var("LANDFALL_MOTO_ENDPOINT") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "LANDFALL_MOTO_ENDPOINT is not set (CI=true: the emulator part cannot be skipped)"
        );
        eprintln!("note: no moto server; the emulator part is skipped");
        return None;
    };
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let (status, body) =
        landfall_testkit::services::http("POST", port, "/moto-api/reset", &[], b"").unwrap();
    assert_eq!(status, 200, "{body}");
    Some((endpoint, guard))
}

/// Ctrl-C in the middle of a deploy ends it with a report of what had been
/// applied (from the journal) and exit code 130, not silently.
#[test]
fn an_interrupted_deploy_says_what_it_had_applied() {
    let Some((endpoint, _moto)) = moto() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("landfall-cli-interrupt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = dir.join("spec");
    copy_dir(&repo("fixtures/specs/small"), &spec);
    let journal = dir.join("deploy.jsonl");
    let child = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(["deploy", "--yes", "--quiet", "--endpoint-url", &endpoint])
        .arg("--spec")
        .arg(&spec)
        .arg("--journal")
        .arg(&journal)
        .envs(emulator_credentials())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once something has been applied, interrupt as a terminal would.
    let started = std::time::Instant::now();
    loop {
        let applied = std::fs::read_to_string(&journal)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"applied\""))
            .count();
        if applied >= 3 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "nothing applied"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted: "), "{err}");
    assert!(err.contains(&journal.display().to_string()), "{err}");
    assert!(err.contains("`landfall plan` shows what is left"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The NAT gateway's route table takes a return route through the firewall
/// per inspected subnet; past AWS's 50 routes per table
/// (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html)
/// the network stack would fail. Lowered here so the reference exceeds it.
#[test]
fn a_vpc_with_more_inspected_subnets_than_its_nat_table_takes_is_refused() {
    let (_dir, spec) = reference_copy("route-quota");
    edit(
        &spec,
        "landfall.yaml",
        "limits:\n",
        "limits:\n  routes_per_route_table: 10\n",
    );
    let validate = landfall(&["validate", "--spec", spec.to_str().unwrap()]);
    assert_eq!(validate.status.code(), Some(1), "{}", stderr(&validate));
    let err = stderr(&validate);
    assert!(err.contains("error[net::routes-per-route-table]: the NAT gateway's route table of `prod-eu-central-1` needs"), "{err}");
    assert!(err.contains("AWS allows 10"), "{err}");
}

#[test]
fn pentest_scope_writes_the_document_with_the_policy_and_what_needs_approval() {
    let out = landfall(&["scan", "pentest-scope", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let scope: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        scope["policy"]["source"],
        "https://aws.amazon.com/security/penetration-testing/"
    );
    let endpoints = scope["endpoints"].as_array().unwrap();
    assert!(endpoints
        .iter()
        .any(|e| e["kind"] == "cloudfront" && e["internet_facing"] == true));
    assert!(endpoints
        .iter()
        .any(|e| e["kind"] == "elasticache" && e.get("permitted_as").is_none()));

    let dir = std::env::temp_dir().join(format!("landfall-pentest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scope.md");
    let out = landfall(&["scan", "pentest-scope", "--out", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("need AWS's approval to test"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# Penetration test scope: "));
    assert!(text.contains("## Prohibited"));
    let _ = std::fs::remove_dir_all(&dir);

    // A path that cannot be written is a usage error (exit 2), said once.
    let out = landfall(&[
        "scan",
        "pentest-scope",
        "--out",
        "/nonexistent-dir/scope.md",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write"));
}

/// `heal serve` checks its TLS files (both or neither) and the account ids
/// it is given before anything starts: a usage error, with what is wrong.
#[test]
fn heal_serve_refuses_unreadable_tls_files_and_malformed_account_ids() {
    let half = landfall(&["heal", "serve", "--tls-cert", "/nonexistent/heal.crt"]);
    assert_eq!(half.status.code(), Some(2), "{}", stderr(&half));
    assert!(stderr(&half).contains("--tls-key"), "{}", stderr(&half));
    let missing = landfall(&[
        "heal",
        "serve",
        "--tls-cert",
        "/nonexistent/heal.crt",
        "--tls-key",
        "/nonexistent/heal.key",
    ]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("cannot read the certificate `/nonexistent/heal.crt`"),
        "{}",
        stderr(&missing)
    );
    let accounts = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(["heal", "serve"])
        .env("NO_COLOR", "1")
        .env("LANDFALL_HEAL_ACCOUNTS", "trading-prod=12345")
        .output()
        .unwrap();
    assert_eq!(accounts.status.code(), Some(2), "{}", stderr(&accounts));
    assert!(
        stderr(&accounts).contains(
            "LANDFALL_HEAL_ACCOUNTS: `12345` (account `trading-prod`) is not a 12-digit account id"
        ),
        "{}",
        stderr(&accounts)
    );
}

/// `heal serve --regions` names regions of the spec: another is a usage
/// error before anything starts, with the regions it declares.
#[cfg(feature = "live")]
#[test]
fn heal_serve_refuses_a_region_the_spec_does_not_declare() {
    let out = Command::new(env!("CARGO_BIN_EXE_landfall"))
        .args(["heal", "serve", "--regions", "eu-west-1,mars-north-1"])
        .env("NO_COLOR", "1")
        .env("LANDFALL_HEAL_TOKEN", "regions-token-0123456789")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "--regions: no region `mars-north-1` in the spec; it declares eu-central-1, eu-west-1"
        ),
        "{}",
        stderr(&out)
    );
}

/// `heal reset` closes an open breaker and journals who and why; without a
/// reason it is a usage error, and a closed breaker has nothing to reset.
#[test]
fn heal_reset_closes_an_open_breaker_on_the_record() {
    use landfall_heal::journal::Journal;
    let dir = std::env::temp_dir().join(format!("landfall-cli-heal-reset-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("journal.sqlite");
    let (rule, target) = (
        "EcsServiceBelowDesiredCount",
        "service/order-gateway/prod/eu-central-1",
    );
    landfall_heal::SqliteJournal::open(&path)
        .unwrap()
        .set_breaker(rule, target, 3, true)
        .unwrap();
    let journal = path.to_str().unwrap();
    let reset = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_landfall"))
            .args(["heal", "reset", rule, target, "--journal", journal])
            .args(extra)
            .env("NO_COLOR", "1")
            .env("USER", "alice")
            .output()
            .unwrap()
    };
    let no_reason = reset(&[]);
    assert_eq!(no_reason.status.code(), Some(2), "{}", stderr(&no_reason));
    assert!(
        stderr(&no_reason).contains("--reason"),
        "{}",
        stderr(&no_reason)
    );

    let closed = reset(&["--reason", "rolled back the bad image"]);
    assert!(closed.status.success(), "{}", stderr(&closed));
    assert!(
        stderr(&closed).contains("closed by alice"),
        "{}",
        stderr(&closed)
    );
    let history = landfall(&["heal", "history", "--journal", journal, "--format", "json"]);
    assert!(history.status.success(), "{}", stderr(&history));
    let history: serde_json::Value = serde_json::from_str(&stdout(&history)).unwrap();
    assert_eq!(history[0]["outcome"], "reset", "{history}");
    let reason = history[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(target) && reason.contains("by alice: rolled back the bad image"),
        "{reason}"
    );
    assert_eq!(
        landfall_heal::SqliteJournal::open(&path)
            .unwrap()
            .breaker(rule, target)
            .unwrap(),
        (0, false)
    );

    let again = reset(&["--reason", "once more"]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("is not open"), "{}", stderr(&again));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `show servers`: each VPC's monitoring cluster and log search domain,
/// sized by the formulas it prints, the same figures in JSON and text.
#[test]
fn show_servers_sizes_every_vpcs_monitoring_cluster_and_log_domain() {
    let out = landfall(&["show", "servers", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let metrics = json["metrics"].as_array().unwrap();
    let logs = json["log_search"].as_array().unwrap();
    // The reference has a VPC per environment and region: dev, staging
    // and prod in one or two regions.
    assert!(metrics.len() >= 3, "{json}");
    assert_eq!(metrics.len(), logs.len());
    let prod = metrics
        .iter()
        .find(|c| c["vpc"] == "prod-eu-central-1")
        .unwrap();
    // The formula holds on the figures it shows.
    let series = prod["active_series"].as_u64().unwrap();
    assert_eq!(
        series,
        prod["services"].as_u64().unwrap() * prod["series_per_service"].as_u64().unwrap()
    );
    assert_eq!(
        prod["samples_per_second"].as_u64().unwrap(),
        series.div_ceil(prod["scrape_interval_seconds"].as_u64().unwrap())
    );
    assert!(prod["instance_type"].as_str().unwrap().starts_with("r7i."));

    let out = landfall(&["show", "servers"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("volume per node = samples/s × 2 copies"),
        "{text}"
    );
    assert!(
        text.contains(&format!("prod-eu-central-1: {} services", prod["services"])),
        "{text}"
    );
    assert!(
        text.contains("log search: an OpenSearch domain per VPC"),
        "{text}"
    );
}
