//! A service repository's pipeline: image, then each environment.

use landfall_model::{Environment, Model, Service};
use landfall_spec::yaml::write::to_yaml;
use serde_json::{json, Map, Value};

use crate::actions::{action, annotate, CHECKOUT, CONFIGURE_AWS_CREDENTIALS};
use crate::{RepositoryFile, GENERATED, SHARED_SERVICES_ACCOUNT_VARIABLE};

/// The roles' path in the shared-services account (`landfall_synth`).
const CI_ROLE_PATH: &str = "/landfall/deploy/";

pub(crate) fn files(model: &Model, repository: &str, services: &[&Service]) -> Vec<RepositoryFile> {
    let branches = production_branches(model);
    let shared = services.len() > 1;
    let mut files: Vec<RepositoryFile> = services
        .iter()
        .map(|service| {
            let environments = ordered_environments(model, service);
            // One service builds from the repository's Dockerfile; several
            // from `<service>/Dockerfile` each.
            let dockerfile = if shared {
                format!("{}/Dockerfile", service.name)
            } else {
                "Dockerfile".to_owned()
            };
            RepositoryFile {
                repository: repository.to_owned(),
                path: format!(".github/workflows/deploy-{}.yml", service.name),
                contents: format!(
                    "{GENERATED}{}",
                    annotate(&to_yaml(&workflow(
                        model,
                        service,
                        &environments,
                        &branches,
                        &dockerfile
                    )))
                ),
            }
        })
        .collect();
    files.push(RepositoryFile {
        repository: repository.to_owned(),
        path: "github-environments.tf.json".to_owned(),
        contents: crate::settings::environments(model, services, repository, &branches),
    });
    files
}

/// Non-production environments first, production last, each group in the
/// spec's order: production is reached only through the others.
pub(crate) fn ordered_environments<'m>(
    model: &'m Model,
    service: &Service,
) -> Vec<&'m Environment> {
    let mut envs: Vec<&Environment> = model
        .environments
        .iter()
        .filter(|e| service.environments.contains(&e.id))
        .collect();
    envs.sort_by_key(|e| e.production);
    envs
}

pub(crate) fn production_branches(model: &Model) -> Vec<String> {
    model.cicd.as_ref().map_or_else(
        || vec!["main".to_owned()],
        |c| c.github.production_branches.clone(),
    )
}

fn shared_account() -> String {
    format!("${{{{ vars.{SHARED_SERVICES_ACCOUNT_VARIABLE} }}}}")
}

fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

fn workflow(
    model: &Model,
    service: &Service,
    environments: &[&Environment],
    branches: &[String],
    dockerfile: &str,
) -> Value {
    let home = model.region(model.organization.home_region).name.as_str();
    let domain = &model.domain(service.domain).name;
    let ecr_repository = format!("{domain}/{}", service.name);
    let mut jobs = Map::new();
    jobs.insert(
        "image".to_owned(),
        image_job(
            model,
            service,
            home,
            &ecr_repository,
            environments,
            dockerfile,
        ),
    );
    let mut previous = "image".to_owned();
    for env in environments {
        let id = format!("deploy-{}", env.name);
        jobs.insert(
            id.clone(),
            deploy_job(
                model,
                service,
                env,
                home,
                &ecr_repository,
                &previous,
                branches,
            ),
        );
        previous = id;
    }
    json!({
        "name": format!("deploy {}", service.name),
        "on": {
            "push": { "branches": branches },
            "workflow_dispatch": {}
        },
        // Nothing by default; each job asks for what it needs.
        "permissions": {},
        // One run per workflow and branch at a time; a newer push waits
        // rather than cancelling a deploy half way.
        "concurrency": { "group": "${{ github.workflow }}-${{ github.ref }}", "cancel-in-progress": false },
        "jobs": jobs
    })
}

fn image_job(
    model: &Model,
    service: &Service,
    home: &str,
    ecr_repository: &str,
    environments: &[&Environment],
    dockerfile: &str,
) -> Value {
    let push_role = role_arn(
        &shared_account(),
        CI_ROLE_PATH,
        &landfall_graph::push_role_name(&service.name),
    );
    // Tasks pull from their own region's replica of the repository.
    let mut replicas: Vec<&str> = Vec::new();
    for env in environments {
        for region in &env.regions {
            let name = model.region(*region).name.as_str();
            if name != home && !replicas.contains(&name) {
                replicas.push(name);
            }
        }
    }
    let mut steps = vec![
        json!({
            "name": "Check out",
            "uses": action(CHECKOUT).uses(),
            "with": { "persist-credentials": false }
        }),
        json!({
            "name": "Assume the push role",
            "uses": action(CONFIGURE_AWS_CREDENTIALS).uses(),
            "with": {
                "role-to-assume": push_role,
                "aws-region": home,
                "role-session-name": "push-${{ github.run_id }}"
            }
        }),
        json!({
            "name": "Build and push the image",
            "env": {
                "REGISTRY": format!("{}.dkr.ecr.{home}.amazonaws.com", shared_account()),
                "REPOSITORY": ecr_repository,
                "TAG": "${{ github.sha }}",
                "FIRST_TAG": service.first_image_tag(),
                "DOCKERFILE": dockerfile
            },
            "run": PUSH_SCRIPT
        }),
    ];
    if !replicas.is_empty() {
        steps.push(json!({
            "name": "Wait for the image in every region its tasks pull from",
            "env": {
                "REPOSITORY": ecr_repository,
                "TAG": "${{ github.sha }}",
                "REGIONS": replicas.join(" ")
            },
            "run": "set -euo pipefail\n\
                    for region in $REGIONS; do\n\
                    \x20 for attempt in $(seq 1 60); do\n\
                    \x20   if aws ecr describe-images --region \"$region\" --repository-name \"$REPOSITORY\" --image-ids imageTag=\"$TAG\" > /dev/null 2>&1; then break; fi\n\
                    \x20   if [ \"$attempt\" = 60 ]; then echo \"::error::the image did not reach $region within 10 minutes\"; exit 1; fi\n\
                    \x20   sleep 10\n\
                    \x20 done\n\
                    done\n"
        }));
    }
    json!({
        "name": "image",
        "runs-on": "ubuntu-24.04",
        "timeout-minutes": 30,
        "permissions": { "contents": "read", "id-token": "write" },
        "steps": steps
    })
}

fn deploy_job(
    model: &Model,
    service: &Service,
    env: &Environment,
    home: &str,
    ecr_repository: &str,
    needs: &str,
    branches: &[String],
) -> Value {
    let domain = &model.domain(service.domain).name;
    let account = model
        .workload_account(service.domain, env.id)
        .map_or_else(String::new, |a| a.name.clone());
    // One entry per region, named as the workload layer names them.
    let include: Vec<Value> = env
        .regions
        .iter()
        .enumerate()
        .map(|(i, region)| {
            let region = model.region(*region).name.as_str();
            json!({
                "region": region,
                "role": landfall_graph::regional_name("deploy", &service.name, (i > 0).then_some(region))
            })
        })
        .collect();
    let env_role = role_arn(
        &shared_account(),
        CI_ROLE_PATH,
        &landfall_graph::environment_deploy_role_name(&service.name, &env.name),
    );
    let job = json!({
        "name": format!("deploy to {}", env.name),
        "needs": needs,
        "runs-on": "ubuntu-24.04",
        "timeout-minutes": 60,
        // Its protection rules (reviewers, branches) gate the job, and the
        // token's `sub` names it: only this environment's role trusts it.
        "environment": env.name,
        "concurrency": { "group": format!("deploy-{}-{}", service.name, env.name), "cancel-in-progress": false },
        "permissions": { "id-token": "write" },
        "strategy": { "max-parallel": 1, "fail-fast": true, "matrix": { "include": include } },
        "steps": [
            {
                "name": format!("Assume the {} deploy role", env.name),
                "uses": action(CONFIGURE_AWS_CREDENTIALS).uses(),
                "with": {
                    "role-to-assume": env_role,
                    "aws-region": home,
                    "role-session-name": format!("deploy-{}-${{{{ github.run_id }}}}", env.name)
                }
            },
            {
                "name": format!("Find the {account} account"),
                "id": "account",
                "env": { "PARAMETER": landfall_graph::account_id_parameter(&account) },
                "run": "set -euo pipefail\n\
                        id=$(aws ssm get-parameter --name \"$PARAMETER\" --query Parameter.Value --output text)\n\
                        echo \"id=$id\" >> \"$GITHUB_OUTPUT\"\n"
            },
            {
                "name": "Assume the service's deploy role",
                "uses": action(CONFIGURE_AWS_CREDENTIALS).uses(),
                "with": {
                    "role-to-assume": "arn:aws:iam::${{ steps.account.outputs.id }}:role/workload/${{ matrix.role }}",
                    "aws-region": "${{ matrix.region }}",
                    "role-chaining": true,
                    // Chained AssumeRole with session tags needs
                    // sts:TagSession in the trust policy; nothing reads them.
                    "role-skip-session-tagging": true,
                    "role-session-name": format!("deploy-{}-${{{{ github.run_id }}}}", env.name)
                }
            },
            {
                "name": "Deploy the image and wait until the service is steady",
                "env": {
                    "CLUSTER": format!("{domain}-{}", env.name),
                    "SERVICE": service.name,
                    "CONTAINER": service.name,
                    "IMAGE": format!("{}.dkr.ecr.${{{{ matrix.region }}}}.amazonaws.com/{ecr_repository}:${{{{ github.sha }}}}", shared_account()),
                    "TAG": "${{ github.sha }}",
                    "IMAGE_PARAMETER": landfall_graph::image_tag_parameter(&service.name)
                },
                "run": DEPLOY_SCRIPT
            }
        ]
    });
    if !env.production {
        return job;
    }
    // Production only from the production branches (the environment's
    // branch policy says the same on GitHub's side).
    let condition = branches
        .iter()
        .map(|b| format!("github.ref == 'refs/heads/{b}'"))
        .collect::<Vec<_>>()
        .join(" || ");
    let mut ordered = Map::new();
    if let Value::Object(fields) = job {
        for (key, value) in fields {
            let after_needs = key == "needs";
            ordered.insert(key, value);
            if after_needs {
                ordered.insert("if".to_owned(), json!(condition));
            }
        }
    }
    Value::Object(ordered)
}

/// The image, tagged with the commit; the first run also tags it with the
/// tag the service's stack starts with (the spec's `image_tag`, or
/// `bootstrap`), which the stack's first deployment runs: `landfall plan`
/// checks that it exists, and with immutable tags it is pushed once.
pub const PUSH_SCRIPT: &str = r#"set -euo pipefail
aws ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY"
docker build --file "$DOCKERFILE" --tag "$REGISTRY/$REPOSITORY:$TAG" .
docker push "$REGISTRY/$REPOSITORY:$TAG"
if ! aws ecr describe-images --repository-name "$REPOSITORY" --image-ids imageTag="$FIRST_TAG" > /dev/null 2>&1; then
  docker tag "$REGISTRY/$REPOSITORY:$TAG" "$REGISTRY/$REPOSITORY:$FIRST_TAG"
  docker push "$REGISTRY/$REPOSITORY:$FIRST_TAG"
fi
"#;

/// A new task definition revision with the image, the service moved to it,
/// and the job failing when ECS's deployment circuit breaker rolled it back
/// (the service stays steady, on the previous revision). Only a deployment
/// that held is recorded in the service's image parameter, which its stack
/// reads: a later platform deploy keeps this image instead of putting the
/// stack's first one back.
pub const DEPLOY_SCRIPT: &str = r#"set -euo pipefail
current=$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --query 'services[0].taskDefinition' --output text)
aws ecs describe-task-definition --task-definition "$current" --query taskDefinition > current.json
jq --arg image "$IMAGE" --arg name "$CONTAINER" \
  '(.containerDefinitions[] | select(.name == $name) | .image) = $image
   | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt)' \
  current.json > next.json
next=$(aws ecs register-task-definition --cli-input-json file://next.json --query taskDefinition.taskDefinitionArn --output text)
aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$next" > /dev/null
aws ecs wait services-stable --cluster "$CLUSTER" --services "$SERVICE"
read -r running state <<< "$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --query 'services[0].deployments[?status==`PRIMARY`] | [0].[taskDefinition, rolloutState]' --output text)"
if [ "$running" != "$next" ] || [ "$state" != COMPLETED ]; then
  echo "::error::the deployment circuit breaker rolled $SERVICE back to $running ($state)"
  exit 1
fi
aws ssm put-parameter --name "$IMAGE_PARAMETER" --value "$TAG" --overwrite > /dev/null
"#;
