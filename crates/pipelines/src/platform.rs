//! The platform repository's own pipeline: on every pull request and on
//! the default branch, `landfall validate`, `check` (its SARIF report in
//! code scanning), `iam prove`, offline; on a pull request the synthesis
//! diff, and the live plan read through the management account's plan
//! role, each as one comment updated in place; on a push to the default
//! branch, `landfall deploy` through the platform deploy role, from the
//! `platform` GitHub environment (the roles: `landfall_synth`'s
//! `platform_ci` layer).
//!
//! The deploy goes one stage at a time: the platform layers (the
//! organization, baselines, networks, shared services, observability),
//! then the workload layer environment by environment, non-production
//! first (`landfall deploy --environment`), each stage a job of the
//! `platform` GitHub environment that the platform team reviews, and
//! never two runs at a time.

use landfall_model::Model;
use landfall_spec::yaml::write::to_yaml;
use serde_json::{json, Value};

use crate::actions::{action, annotate, CACHE, CHECKOUT, CONFIGURE_AWS_CREDENTIALS, UPLOAD_SARIF};
use crate::{RepositoryFile, GENERATED};

/// The repository variable naming the Landfall commit the pipeline builds.
pub const LANDFALL_REVISION_VARIABLE: &str = "LANDFALL_REVISION";
/// The repository variable holding the management account's id, where the
/// platform's plan and deploy roles are.
pub const MANAGEMENT_ACCOUNT_VARIABLE: &str = "LANDFALL_MANAGEMENT_ACCOUNT_ID";
/// The path of the platform's own roles.
const PLATFORM_ROLE_PATH: &str = "/landfall/";
/// What a deploy may take: GitHub stops a hosted runner's job after 6
/// hours, and the deploy role's sessions last as long
/// (`landfall_synth::layers::platform_ci::DEPLOY_SESSION_SECONDS`).
const DEPLOY_MINUTES: u32 = 360;

pub(crate) fn files(model: &Model, repository: &str) -> Vec<RepositoryFile> {
    let branch = default_branch(model);
    vec![
        RepositoryFile {
            repository: repository.to_owned(),
            path: ".github/workflows/landfall.yml".to_owned(),
            contents: format!("{GENERATED}{}", annotate(&to_yaml(&workflow(model)))),
        },
        RepositoryFile {
            repository: repository.to_owned(),
            path: "github-environments.tf.json".to_owned(),
            contents: crate::settings::platform_environment(model, repository, &branch),
        },
    ]
}

/// The branch the platform deploys from: the first production branch.
fn default_branch(model: &Model) -> String {
    model
        .cicd
        .as_ref()
        .and_then(|c| c.github.production_branches.first().cloned())
        .unwrap_or_else(|| "main".to_owned())
}

fn platform_role(name: &str) -> String {
    format!(
        "arn:aws:iam::${{{{ vars.{MANAGEMENT_ACCOUNT_VARIABLE} }}}}:role{PLATFORM_ROLE_PATH}{name}"
    )
}

fn install_steps() -> Vec<Value> {
    vec![
        json!({
            "name": "Cache the Landfall build",
            "uses": action(CACHE).uses(),
            "with": {
                "path": "~/.landfall",
                "key": format!("landfall-${{{{ runner.os }}}}-${{{{ vars.{LANDFALL_REVISION_VARIABLE} }}}}")
            }
        }),
        json!({
            "name": "Install Landfall",
            "env": {
                "LANDFALL_REVISION": format!("${{{{ vars.{LANDFALL_REVISION_VARIABLE} }}}}"),
                "LANDFALL_REPOSITORY": env!("CARGO_PKG_REPOSITORY")
            },
            "run": "set -euo pipefail\n\
                    if [ -z \"$LANDFALL_REVISION\" ]; then\n\
                    \x20 echo \"::error::set the repository variable LANDFALL_REVISION to the Landfall commit this platform is built with\"\n\
                    \x20 exit 1\n\
                    fi\n\
                    if [ ! -x \"$HOME/.landfall/bin/landfall\" ]; then\n\
                    \x20 cargo install --locked --git \"$LANDFALL_REPOSITORY\" --rev \"$LANDFALL_REVISION\" --root \"$HOME/.landfall\" landfall\n\
                    fi\n\
                    echo \"$HOME/.landfall/bin\" >> \"$GITHUB_PATH\"\n"
        }),
    ]
}

fn workflow(model: &Model) -> Value {
    let branch = default_branch(model);
    let home = model.region(model.organization.home_region).name.as_str();
    let mut checks = vec![json!({
        "name": "Check out",
        "uses": action(CHECKOUT).uses(),
        "with": { "persist-credentials": false }
    })];
    checks.extend(install_steps());
    checks.extend([
        json!({ "name": "Validate the spec", "run": "landfall validate --spec ." }),
        json!({
            "name": "Check the guardrails and what AWS would refuse at deploy time",
            "id": "check",
            // The report is uploaded whatever it finds; the job fails after.
            "run": "set +e\n\
                    landfall check --spec . --format sarif > landfall.sarif\n\
                    echo \"status=$?\" >> \"$GITHUB_OUTPUT\"\n"
        }),
        json!({
            "name": "Upload the findings to code scanning",
            "if": "${{ !cancelled() }}",
            "uses": action(UPLOAD_SARIF).uses(),
            "with": { "sarif_file": "landfall.sarif", "category": "landfall" }
        }),
        json!({ "name": "Prove the guardrails and the CI/CD trust", "run": "landfall iam prove --spec ." }),
        json!({
            "name": "Fail on findings",
            "env": { "STATUS": "${{ steps.check.outputs.status }}" },
            "run": "if [ \"$STATUS\" != 0 ]; then echo \"::error::landfall check found problems (see code scanning)\"; exit 1; fi\n"
        }),
    ]);
    let mut diff = vec![json!({
        "name": "Check out with history",
        "uses": action(CHECKOUT).uses(),
        "with": { "persist-credentials": false, "fetch-depth": 0 }
    })];
    diff.extend(install_steps());
    diff.push(json!({
        "name": "Comment what the change does to the synthesized platform",
        "env": {
            "BASE": "${{ github.event.pull_request.base.sha }}",
            "HEAD": "${{ github.event.pull_request.head.sha }}",
            "PR": "${{ github.event.pull_request.number }}",
            "GH_TOKEN": "${{ github.token }}",
            "MARKER": SYNTH_DIFF_MARKER
        },
        "run": format!("{SYNTH_DIFF_SCRIPT}{}", upsert_comment(SYNTH_DIFF_MARKER))
    }));
    let mut workflow = json!({
        "name": "landfall",
        "on": {
            "pull_request": {},
            "push": { "branches": [branch] }
        },
        "permissions": {},
        // A newer push to a pull request replaces its run; runs on the
        // default branch are never cancelled (one may be deploying).
        "concurrency": {
            "group": "${{ github.workflow }}-${{ github.ref }}",
            "cancel-in-progress": "${{ github.event_name == 'pull_request' }}"
        },
        "jobs": {
            "checks": {
                "name": "validate, check, prove",
                "runs-on": "ubuntu-24.04",
                "timeout-minutes": 60,
                "permissions": { "contents": "read", "security-events": "write" },
                "steps": checks
            },
            "synthesis-diff": {
                "name": "synthesis diff",
                "if": "github.event_name == 'pull_request'",
                "runs-on": "ubuntu-24.04",
                "timeout-minutes": 60,
                "permissions": { "contents": "read", "pull-requests": "write" },
                "steps": diff
            },
            "plan": plan_job(home)
        }
    });
    if let Some(Value::Object(jobs)) = workflow.get_mut("jobs") {
        for (id, job) in deploy_jobs(model, home, &branch) {
            jobs.insert(id, job);
        }
    }
    workflow
}

/// On a pull request: what merging it would deploy, read from the live
/// platform as the plan role (read-only in every account), as a comment.
fn plan_job(home: &str) -> Value {
    let mut steps = vec![json!({
        "name": "Check out",
        "uses": action(CHECKOUT).uses(),
        "with": { "persist-credentials": false }
    })];
    steps.extend(install_steps());
    steps.extend([
        json!({
            "name": "Assume the plan role",
            "uses": action(CONFIGURE_AWS_CREDENTIALS).uses(),
            "with": {
                "role-to-assume": platform_role(landfall_graph::PLATFORM_PLAN_ROLE),
                "aws-region": home,
                "role-session-name": "platform-plan-${{ github.run_id }}"
            }
        }),
        json!({
            "name": "Comment what merging this deploys",
            "env": {
                "PR": "${{ github.event.pull_request.number }}",
                "GH_TOKEN": "${{ github.token }}",
                "MARKER": PLAN_MARKER
            },
            "run": format!("{PLAN_SCRIPT}{}{PLAN_STATUS}", upsert_comment(PLAN_MARKER))
        }),
    ]);
    json!({
        "name": "plan",
        // GitHub gives a fork's pull request no OIDC token: it is not
        // planned (the checks and the synthesis diff still run).
        "if": "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository",
        "runs-on": "ubuntu-24.04",
        "timeout-minutes": 60,
        "permissions": { "contents": "read", "id-token": "write", "pull-requests": "write" },
        "steps": steps
    })
}

/// A stage of the deploy: the platform layers, one environment's workload
/// stacks, or, last, the whole workload layer.
enum Stage<'m> {
    Platform,
    Environment(&'m str),
    /// The last environment's stacks with the whole workload layer: by
    /// then the other environments are deployed, so what changes is that
    /// environment and the stacks that span environments (the public
    /// zones' delegation, which no one environment's deploy holds).
    Workloads(&'m str),
}

/// On a push to the default branch, once the checks pass: the deploy in
/// stages, each needing the one before (a failed stage stops the ones
/// after it): the platform layers, then each environment's workload
/// stacks, production last. Each stage is a job of the `platform`
/// environment, so its reviewers approve each stage, and assumes the deploy
/// role; a stage's concurrency group keeps it from overlapping itself
/// across runs, whose order the workflow's concurrency keeps.
fn deploy_jobs(model: &Model, home: &str, branch: &str) -> Vec<(String, Value)> {
    let mut environments: Vec<&landfall_model::Environment> = model.environments.iter().collect();
    // Non-production first, in the spec's order.
    environments.sort_by_key(|e| e.production);
    let last = environments.len().saturating_sub(1);
    let stages =
        std::iter::once(Stage::Platform).chain(environments.iter().enumerate().map(|(i, e)| {
            if i == last {
                Stage::Workloads(&e.name)
            } else {
                Stage::Environment(&e.name)
            }
        }));
    let mut jobs = Vec::new();
    let mut needs = "checks".to_owned();
    for stage in stages {
        let (id, job) = deploy_job(home, branch, &stage, &needs);
        needs.clone_from(&id);
        jobs.push((id, job));
    }
    jobs
}

fn deploy_job(home: &str, branch: &str, stage: &Stage<'_>, needs: &str) -> (String, Value) {
    let (id, name, what, scope) = match stage {
        Stage::Platform => (
            "deploy".to_owned(),
            "deploy: platform layers".to_owned(),
            "the platform layers".to_owned(),
            String::new(),
        ),
        Stage::Environment(env) => (
            format!("deploy-{env}"),
            format!("deploy: {env} workloads"),
            format!("the {env} workloads"),
            format!(" --environment {env}"),
        ),
        Stage::Workloads(env) => (
            format!("deploy-{env}"),
            format!("deploy: {env} workloads"),
            format!("the {env} workloads and what spans environments"),
            " --workloads".to_owned(),
        ),
    };
    let mut steps = vec![json!({
        "name": "Check out",
        "uses": action(CHECKOUT).uses(),
        "with": { "persist-credentials": false }
    })];
    steps.extend(install_steps());
    steps.extend([
        json!({
            "name": "Assume the platform deploy role",
            "uses": action(CONFIGURE_AWS_CREDENTIALS).uses(),
            "with": {
                "role-to-assume": platform_role(landfall_graph::PLATFORM_DEPLOY_ROLE),
                "aws-region": home,
                "role-session-name": "platform-deploy-${{ github.run_id }}",
                "role-duration-seconds": DEPLOY_MINUTES * 60
            }
        }),
        json!({
            "name": format!("Deploy {what}"),
            // The first deploy writes `landfall.lock`; a runner would
            // lose it, and later deploys refuse to run without it.
            "run": format!("set -euo pipefail\n\
                    if [ ! -f landfall.lock ]; then\n\
                    \x20 echo \"::error::commit landfall.lock (written by landfall net) before deploying from the pipeline\"\n\
                    \x20 exit 1\n\
                    fi\n\
                    landfall deploy --spec .{scope} --yes --journal \"$RUNNER_TEMP/landfall-deploy.jsonl\"\n")
        }),
        json!({
            "name": "Show what was applied",
            "if": "${{ failure() }}",
            "run": "cat \"$RUNNER_TEMP/landfall-deploy.jsonl\" || true\n"
        }),
    ]);
    let mut job = json!({
        "name": name,
        "needs": needs,
        // The first stage decides for all: the others need it.
        "if": format!("github.event_name == 'push' && github.ref == 'refs/heads/{branch}'"),
        "runs-on": "ubuntu-24.04",
        "timeout-minutes": DEPLOY_MINUTES,
        // Its reviewers approve each stage, and the token's `sub` names it:
        // only the platform deploy role trusts it.
        "environment": landfall_graph::PLATFORM_DEPLOY_ENVIRONMENT,
        "concurrency": { "group": format!("landfall-platform-{id}"), "cancel-in-progress": false },
        "permissions": { "contents": "read", "id-token": "write" },
        "steps": steps
    });
    if needs != "checks" {
        if let Some(fields) = job.as_object_mut() {
            fields.shift_remove("if");
        }
    }
    (id, job)
}

/// Synthesizes the base, then the head into the same directory: `synth`
/// reports what changed since the last synthesis, stack by stack.
const SYNTH_DIFF_SCRIPT: &str = r##"set -euo pipefail
out="$RUNNER_TEMP/synth"
git checkout --quiet "$BASE"
landfall synth --spec . --out "$out" > /dev/null 2>&1
git checkout --quiet "$HEAD"
landfall synth --spec . --out "$out" > /dev/null 2> synth.txt
{
  echo "$MARKER"
  echo '### What this change does to the synthesized platform'
  echo '```'
  sed -n '/^since the last synthesis/,$p' synth.txt | grep -v '^  done in' || true
  echo '```'
} > comment.md
"##;

/// The live plan of the pull request's head, read-only, as JSON, then a
/// short summary of it in `comment.md`; the plan's exit status is kept for
/// the end of the step.
const PLAN_SCRIPT: &str = r##"set -uo pipefail
landfall plan --spec . --workloads --read-only --quiet --format json > plan.json
status=$?
{
  echo "$MARKER"
  echo '### What merging this deploys'
  if jq -e '.changes' plan.json > /dev/null 2>&1; then
    jq -r '
      def line: "- `\(.change)` \(.name // .service // .path // "")\(if .account then " in `\(.account)`" else "" end)\(if .region then " (\(.region))" else "" end)";
      def section(title; items): if (items | length) > 0 then "**\(title)**\n" + (items | join("\n")) + "\n" else empty end;
      "**\(.changes | length) change(s)**, \(.retirements | length) retirement(s) (kept unless deployed with `--delete-retired`)",
      "",
      section("The deploy would not start:"; .blockers | map("- " + .)),
      section("Parameters that cannot be resolved:"; .problems | map("- `\(.stack)` `\(.parameter)`: \(.problem)")),
      section("Held back:"; .held | to_entries | map("- `\(.key)`: \(.value)")),
      if (.changes | length) > 0 then
        "<details><summary>Changes</summary>\n",
        (.changes[:200][] | line),
        (if (.changes | length) > 200 then "- ..." else empty end),
        "\n</details>"
      else empty end
    ' plan.json
  else
    echo "\`landfall plan\` stopped before it had a plan (exit status $status): see the job's log."
  fi
} > comment.md
"##;

/// Posts `comment.md` on the pull request, or replaces the comment that
/// starts with `marker` (the step's `MARKER`), so pushes do not stack
/// comments.
fn upsert_comment(marker: &str) -> String {
    format!(
        r##"set -e
id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR/comments" --jq '.[] | select(.body | startswith("{marker}")) | .id' | sed -n 1p)
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F body=@comment.md > /dev/null
else
  gh pr comment "$PR" --repo "$GITHUB_REPOSITORY" --body-file comment.md
fi
"##
    )
}

/// The first line of each comment the pipeline keeps up to date.
const SYNTH_DIFF_MARKER: &str = "<!-- landfall synthesis diff -->";
const PLAN_MARKER: &str = "<!-- landfall plan -->";

/// The plan step fails after commenting when the plan could not be made
/// or could not be applied.
const PLAN_STATUS: &str = r#"if [ "$status" != 0 ]; then echo "::error::landfall plan exited with $status (see the comment)"; exit 1; fi
"#;
