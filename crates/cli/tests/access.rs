//! `landfall access` end to end, the binary against moto server: the
//! emulator platform with on-call rules deployed (the access stack makes
//! the grants table and roles in the security account), the directory's
//! users and groups and the on-call permission set made there as Identity
//! Center and the identity source would; then a request granted at once,
//! one approved by another person, and the refusals, each with its exit
//! code. Also the issue's figure: `access request` to granted, as a whole
//! process, under 2 s.
//!
//! Needs `LANDFALL_MOTO_ENDPOINT` (skipped without, failed with `CI=true`)
//! and the Python of `.venv` (boto3 comes with moto) for the directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const IDENTITY: &str = "identity:
  permission_sets:
    - { name: OnCallProduction, managed_policies: [PowerUserAccess], session_hours: 4 }
  groups:
    - name: payments
    - name: trading
    - name: risk
    - name: incident-commanders
  on_call:
    - group: payments
      permission_set: OnCallProduction
      accounts: { domains: [payments], environments: [prod] }
      max_hours: 4
      approvers: incident-commanders
    - group: payments
      permission_set: OnCallProduction
      accounts: { domains: [payments], environments: [dev] }
      max_hours: 2
";

/// In the security account, as `landfall/landfall-access`: the permission
/// set, the directory (ana on payments, cy an incident commander) and the
/// schedule group (moto's CloudFormation has no `AWS::Scheduler::*`).
const DIRECTORY: &str = r#"
import boto3, os
ep = os.environ["EP"]
kw = dict(endpoint_url=ep, region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing")
accounts = {a["Name"]: a["Id"] for a in boto3.client("organizations", **kw).list_accounts()["Accounts"]}
c = boto3.client("sts", **kw).assume_role(RoleArn=f"arn:aws:iam::{accounts['security']}:role/landfall/landfall-access", RoleSessionName="setup")["Credentials"]
kw = dict(endpoint_url=ep, region_name="eu-central-1", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
sso = boto3.client("sso-admin", **kw)
instance = sso.list_instances()["Instances"][0]
sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="OnCallProduction", SessionDuration="PT4H")
ids = boto3.client("identitystore", **kw)
store = instance["IdentityStoreId"]
groups = {g: ids.create_group(IdentityStoreId=store, DisplayName=g)["GroupId"] for g in ["payments", "incident-commanders"]}
for user, group in [("ana", "payments"), ("cy", "incident-commanders")]:
    uid = ids.create_user(IdentityStoreId=store, UserName=user, DisplayName=user, Name={"GivenName": user, "FamilyName": "Example"})["UserId"]
    ids.create_group_membership(IdentityStoreId=store, GroupId=groups[group], MemberId={"UserId": uid})
boto3.client("scheduler", **kw).create_schedule_group(Name="landfall-access")
"#;

#[test]
fn on_call_access_through_the_binary() {
    let Ok(endpoint) = std::env::var("LANDFALL_MOTO_ENDPOINT") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "LANDFALL_MOTO_ENDPOINT is not set (CI=true: the emulator test cannot be skipped)"
        );
        eprintln!("note: no moto server; skipped");
        return;
    };
    let python = repo(".venv/bin/python");
    if !python.exists() {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "no .venv");
        eprintln!("note: no .venv/bin/python; skipped");
        return;
    }
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let dir = std::env::temp_dir().join(format!("landfall-cli-access-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = dir.join("spec");
    std::fs::create_dir_all(&spec).unwrap();
    for entry in std::fs::read_dir(repo("examples/emulator"))
        .unwrap()
        .flatten()
    {
        if entry.path().extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(entry.path(), spec.join(entry.file_name())).unwrap();
        }
    }
    std::fs::write(spec.join("identity.yaml"), IDENTITY).unwrap();
    let events = dir.join("events.jsonl");
    let landfall = |args: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_landfall"))
            .args(args)
            .arg("--spec")
            .arg(&spec)
            .args(["--endpoint-url", &endpoint])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1")
            .env("LANDFALL_ACCESS_ANNOUNCE", &events)
            .env_remove("LANDFALL_USER")
            .output()
            .unwrap()
    };

    let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let (status, body) =
        landfall_testkit::services::http("POST", port, "/moto-api/reset", &[], b"").unwrap();
    assert_eq!(status, 200, "{body}");
    let deployed = landfall(&["deploy", "--yes", "--quiet"]);
    assert!(deployed.status.success(), "{}", text(&deployed.stderr));
    let setup = Command::new(&python)
        .args(["-c", DIRECTORY])
        .env("EP", &endpoint)
        .output()
        .unwrap();
    assert!(setup.status.success(), "{}", text(&setup.stderr));

    // No approval needed in dev: granted by the request itself.
    let started = Instant::now();
    let dev = landfall(&[
        "access",
        "request",
        "--as",
        "ana",
        "--account",
        "payments-dev",
        "--permission-set",
        "OnCallProduction",
        "--for",
        "1h",
        "--reason",
        "a dev deploy is stuck",
    ]);
    let took = started.elapsed();
    eprintln!("landfall access request to granted: {took:?}");
    assert!(dev.status.success(), "{}", text(&dev.stderr));
    assert!(
        text(&dev.stdout).contains(": granted — OnCallProduction in payments-dev for ana until "),
        "{}",
        text(&dev.stdout)
    );

    // Production: requested, refused to the requester, approved by cy once.
    let prod = landfall(&[
        "access",
        "request",
        "--as",
        "ana",
        "--account",
        "payments-prod",
        "--permission-set",
        "OnCallProduction",
        "--for",
        "2h",
        "--reason",
        "card payments failing",
        "--ticket",
        "INC-142",
    ]);
    assert!(prod.status.success(), "{}", text(&prod.stderr));
    let out = text(&prod.stdout);
    assert!(out.contains(": pending — "), "{out}");
    let id = out.split(':').next().unwrap().to_owned();
    let own = landfall(&["access", "approve", "--as", "ana", &id]);
    assert_eq!(own.status.code(), Some(1));
    assert!(
        text(&own.stderr).contains("cannot approve it"),
        "{}",
        text(&own.stderr)
    );
    let approved = landfall(&["access", "approve", "--as", "cy", &id]);
    assert!(approved.status.success(), "{}", text(&approved.stderr));
    assert!(
        text(&approved.stdout).contains(": granted — "),
        "{}",
        text(&approved.stdout)
    );
    let again = landfall(&["access", "approve", "--as", "cy", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("so it cannot be approved"),
        "{}",
        text(&again.stderr)
    );
    let too_long = landfall(&[
        "access",
        "request",
        "--as",
        "ana",
        "--account",
        "payments-dev",
        "--permission-set",
        "OnCallProduction",
        "--for",
        "3h",
        "--reason",
        "x",
    ]);
    assert_eq!(too_long.status.code(), Some(1));
    let nobody = landfall(&["access", "approve", &id]);
    assert_eq!(nobody.status.code(), Some(2), "{}", text(&nobody.stderr));
    assert!(
        text(&nobody.stderr).contains("say who you are"),
        "{}",
        text(&nobody.stderr)
    );

    let list = landfall(&["access", "list", "--active", "--format", "json"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let grants: serde_json::Value = serde_json::from_str(&text(&list.stdout)).unwrap();
    let mut held: Vec<(&str, &str)> = grants
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["account"].as_str().unwrap(), g["state"].as_str().unwrap()))
        .collect();
    held.sort();
    assert_eq!(
        held,
        [("payments-dev", "active"), ("payments-prod", "active")]
    );
    let announced = std::fs::read_to_string(&events).unwrap();
    assert_eq!(announced.lines().count(), 4, "{announced}");
    let _ = std::fs::remove_dir_all(&dir);
}
