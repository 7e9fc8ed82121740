//! The service pipeline's deploy step, run by bash against a stand-in
//! `aws` command that answers as ECS does after a deployment that held and
//! after one the deployment circuit breaker rolled back.
//! <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html>
//! <https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html>
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::path::Path;
use std::process::Command;

/// A stand-in for the AWS CLI: logs each call's arguments and answers the
/// queries the script makes. `ROLLED_BACK=1` makes the primary deployment
/// the previous revision, as after a circuit-breaker rollback.
const FAKE_AWS: &str = r#"#!/usr/bin/env bash
echo "$*" >> "$CALLS"
case "$1 $2" in
  "ecs describe-services")
    if [[ "$*" == *rolloutState* ]]; then
      if [ "${ROLLED_BACK:-0}" = 1 ]; then printf 'arn:td/app:1\tCOMPLETED\n'; else printf 'arn:td/app:2\tCOMPLETED\n'; fi
    else
      echo arn:td/app:1
    fi ;;
  "ecs describe-task-definition")
    echo '{"family":"app","revision":1,"taskDefinitionArn":"arn:td/app:1","status":"ACTIVE","containerDefinitions":[{"name":"app","image":"old"},{"name":"log-agent","image":"vector"}]}' ;;
  "ecs register-task-definition")
    cp "${4#file://}" "$WORK/registered.json"
    echo arn:td/app:2 ;;
esac
"#;

fn run(rolled_back: bool) -> (bool, String, serde_json::Value) {
    let work = tempfile_dir(if rolled_back { "rolled-back" } else { "held" });
    let bin = work.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let aws = bin.join("aws");
    std::fs::write(&aws, FAKE_AWS).unwrap();
    Command::new("chmod").arg("+x").arg(&aws).status().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(landfall_pipelines::DEPLOY_SCRIPT)
        .current_dir(&work)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("CALLS", work.join("calls"))
        .env("WORK", &work)
        .env("ROLLED_BACK", if rolled_back { "1" } else { "0" })
        .env("CLUSTER", "payments-dev")
        .env("SERVICE", "app")
        .env("CONTAINER", "app")
        .env("IMAGE", "123.dkr.ecr.eu-central-1.amazonaws.com/app:abc123")
        .env("TAG", "abc123")
        .env(
            "IMAGE_PARAMETER",
            landfall_graph::image_tag_parameter("app"),
        )
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(work.join("calls")).unwrap_or_default();
    let registered = std::fs::read_to_string(work.join("registered.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (out.status.success(), calls, registered)
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("deploy-script-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_deployment_that_held_is_recorded_in_the_image_parameter() {
    let (ok, calls, registered) = run(false);
    assert!(ok, "{calls}");
    // The new revision has the image in the app's container only.
    assert_eq!(
        registered["containerDefinitions"][0]["image"],
        "123.dkr.ecr.eu-central-1.amazonaws.com/app:abc123"
    );
    assert_eq!(registered["containerDefinitions"][1]["image"], "vector");
    assert!(registered.get("taskDefinitionArn").is_none());
    let last = calls.lines().last().unwrap();
    assert_eq!(
        last,
        "ssm put-parameter --name /landfall/images/app --value abc123 --overwrite"
    );
    let waited = calls.find("ecs wait services-stable").unwrap();
    assert!(waited < calls.find("ssm put-parameter").unwrap());
}

#[test]
fn a_rolled_back_deployment_fails_and_leaves_the_image_parameter_alone() {
    let (ok, calls, _) = run(true);
    assert!(!ok);
    assert!(calls.contains("ecs update-service"), "{calls}");
    assert!(!calls.contains("ssm put-parameter"), "{calls}");
}
