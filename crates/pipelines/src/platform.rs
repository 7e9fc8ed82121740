//! The platform repository's own pipeline: on every pull request and on
//! the default branch, `landfall validate`, `check` (its SARIF report in
//! code scanning), `iam prove`, and on a pull request the synthesis diff as
//! a comment. All offline: no AWS credentials exist in this pipeline.

use landfall_model::Model;
use landfall_spec::yaml::write::to_yaml;
use serde_json::{json, Value};

use crate::actions::{action, annotate, CACHE, CHECKOUT, UPLOAD_SARIF};
use crate::{RepositoryFile, GENERATED};

/// The repository variable naming the Landfall commit the pipeline builds.
pub const LANDFALL_REVISION_VARIABLE: &str = "LANDFALL_REVISION";

pub(crate) fn files(model: &Model, repository: &str) -> Vec<RepositoryFile> {
    vec![RepositoryFile {
        repository: repository.to_owned(),
        path: ".github/workflows/landfall.yml".to_owned(),
        contents: format!("{GENERATED}{}", annotate(&to_yaml(&workflow(model)))),
    }]
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
    let branches: Vec<String> = model
        .cicd
        .as_ref()
        .and_then(|c| c.github.production_branches.first().cloned())
        .into_iter()
        .collect();
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
            "GH_TOKEN": "${{ github.token }}"
        },
        "run": SYNTH_DIFF_SCRIPT
    }));
    json!({
        "name": "landfall",
        "on": {
            "pull_request": {},
            "push": { "branches": branches }
        },
        "permissions": {},
        "concurrency": { "group": "${{ github.workflow }}-${{ github.ref }}", "cancel-in-progress": true },
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
            }
        }
    })
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
  echo '### What this change does to the synthesized platform'
  echo '```'
  sed -n '/^since the last synthesis/,$p' synth.txt | grep -v '^  done in' || true
  echo '```'
} > comment.md
gh pr comment "$PR" --body-file comment.md
"##;
