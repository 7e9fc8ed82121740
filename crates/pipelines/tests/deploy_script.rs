//! The service pipeline's push and deploy steps, run by bash against
//! stand-in `aws` and `docker` commands: ECR with and without the first
//! tag, ECS after a deployment that held and after one the deployment
//! circuit breaker rolled back.
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

/// A stand-in for `docker` (logs its arguments) and for `aws` answering
/// `ecr describe-images` as ECR does for a tag it has (`HAVE_FIRST=1`) or
/// has not (an `ImageNotFoundException`, exit 254). `docker login` reads
/// the password as the real one does: a stand-in that did not would end the
/// pipe early and fail the step with SIGPIPE now and then.
const FAKE_ECR: &str = r#"#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CALLS"
case "$(basename "$0") $1 $2" in
  "aws ecr describe-images") [ "${HAVE_FIRST:-0}" = 1 ] || exit 254 ;;
  "aws ecr get-login-password") echo secret ;;
  "docker login --username") cat > /dev/null ;;
esac
"#;

fn push(have_first: bool) -> String {
    let work = tempfile_dir(if have_first {
        "push-again"
    } else {
        "push-first"
    });
    let bin = work.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["aws", "docker"] {
        std::fs::write(bin.join(name), FAKE_ECR).unwrap();
        Command::new("chmod")
            .arg("+x")
            .arg(bin.join(name))
            .status()
            .unwrap();
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(landfall_pipelines::PUSH_SCRIPT)
        .current_dir(&work)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("CALLS", work.join("calls"))
        .env("HAVE_FIRST", if have_first { "1" } else { "0" })
        .env("REGISTRY", "123.dkr.ecr.eu-central-1.amazonaws.com")
        .env("REPOSITORY", "trading/app")
        .env("TAG", "abc123")
        .env("FIRST_TAG", "bootstrap")
        .env("DOCKERFILE", "Dockerfile")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(work.join("calls")).unwrap()
}

/// The service's stack starts with the first tag (`bootstrap` unless the
/// spec names one), which `landfall plan` checks exists: the pipeline's
/// first run pushes it beside the commit's tag, later runs leave it (ECR
/// refuses to move an immutable tag).
/// <https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html>
#[test]
fn the_first_run_also_pushes_the_tag_the_stack_starts_with() {
    let first = push(false);
    assert!(
        first.contains("docker push 123.dkr.ecr.eu-central-1.amazonaws.com/trading/app:abc123\n"),
        "{first}"
    );
    assert!(first.contains("docker tag 123.dkr.ecr.eu-central-1.amazonaws.com/trading/app:abc123 123.dkr.ecr.eu-central-1.amazonaws.com/trading/app:bootstrap\n"), "{first}");
    assert!(
        first.ends_with(
            "docker push 123.dkr.ecr.eu-central-1.amazonaws.com/trading/app:bootstrap\n"
        ),
        "{first}"
    );
    let again = push(true);
    assert!(!again.contains(":bootstrap"), "{again}");
    assert!(
        again.contains(
            "aws ecr describe-images --repository-name trading/app --image-ids imageTag=bootstrap"
        ),
        "{again}"
    );
}
