//! The log pipeline in the workload layer: the log cluster's SASL/SCRAM
//! sign-in for the Vector agents (Vector cannot sign in to MSK with IAM),
//! its secret as MSK requires it, the agents' cross-account read of it, the
//! network path to the brokers on 9096, and the log sidecars in every
//! Fargate task. Each test cites the AWS page the fact comes from.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::reference_with_agents as reference;

use landfall_graph::{InputKind, ParameterValue, Resource, Stack};
use landfall_model::sidecars::{LOG_AGENT, LOG_ROUTER};
use serde_json::{json, Value};

/// The stacks of the log cluster (one per environment and region).
fn log_cluster_stacks(stacks: &[Stack]) -> Vec<&Stack> {
    let found: Vec<&Stack> = stacks
        .iter()
        .filter(|s| s.name.contains("-compliance-") && s.name.ends_with("-store-platform-logs"))
        .collect();
    assert!(!found.is_empty());
    found
}

fn fargate_services(stacks: &[Stack]) -> Vec<(&Stack, &Resource)> {
    stacks
        .iter()
        .filter_map(|s| Some((s, s.resource("TaskDefinition")?)))
        .filter(|(_, d)| d.properties["RequiresCompatibilities"][0] == "FARGATE")
        .collect()
}

fn container<'a>(definition: &'a Resource, name: &str) -> Option<&'a Value> {
    definition.properties["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Name"] == name)
}

#[test]
fn the_log_cluster_accepts_scram_beside_iam_and_no_other_cluster_does() {
    // SASL/SCRAM and IAM can be on together; each client uses one
    // (https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html,
    // https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control.html).
    let (_, stacks) = reference();
    for stack in log_cluster_stacks(stacks) {
        let auth = &stack.resource("Cluster").unwrap().properties["ClientAuthentication"];
        assert_eq!(
            auth,
            &json!({ "Sasl": { "Iam": { "Enabled": true }, "Scram": { "Enabled": true } }, "Unauthenticated": { "Enabled": false } }),
            "{}",
            stack.name
        );
    }
    for stack in stacks
        .iter()
        .filter(|s| !s.name.ends_with("-store-platform-logs"))
    {
        if let Some(cluster) = stack
            .resource("Cluster")
            .filter(|r| r.kind == "AWS::MSK::Cluster")
        {
            assert!(
                cluster.properties["ClientAuthentication"]["Sasl"]
                    .get("Scram")
                    .is_none(),
                "{}",
                stack.name
            );
            assert!(stack.resource("LogAgentsSecret").is_none());
        }
    }
}

#[test]
fn the_agents_secret_follows_msks_rules_and_is_associated_with_the_cluster() {
    // https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html
    // and msk-password-tutorial.html: the name starts with `AmazonMSK_`; a
    // secret under Secrets Manager's default (AWS managed) key cannot be
    // used, so it names a customer managed key; `username` and `password`
    // keys; in the cluster's account and region (the same stack);
    // associated through AWS::MSK::BatchScramSecret.
    let (_, stacks) = reference();
    for stack in log_cluster_stacks(stacks) {
        let secret = stack
            .resource("LogAgentsSecret")
            .expect("the agents' secret");
        assert_eq!(secret.kind, "AWS::SecretsManager::Secret");
        let name = secret.properties["Name"].as_str().unwrap();
        assert!(name.starts_with("AmazonMSK_"), "{name}");
        assert_eq!(
            secret.properties["KmsKeyId"],
            json!({ "Fn::GetAtt": ["LogAgentsKey", "Arn"] })
        );
        let key = stack.resource("LogAgentsKey").unwrap();
        assert_eq!(key.kind, "AWS::KMS::Key");
        assert_eq!(key.properties["EnableKeyRotation"], true);
        assert!(key.properties.get("KeySpec").is_none(), "symmetric");
        let generated = &secret.properties["GenerateSecretString"];
        let template: Value =
            serde_json::from_str(generated["SecretStringTemplate"].as_str().unwrap()).unwrap();
        assert!(template["username"].is_string());
        assert_eq!(generated["GenerateStringKey"], "password");
        assert!(generated["PasswordLength"].as_u64().unwrap() >= 32);
        let association = stack.resource("LogAgentsScram").unwrap();
        assert_eq!(association.kind, "AWS::MSK::BatchScramSecret");
        assert_eq!(
            association.properties["ClusterArn"],
            json!({ "Ref": "Cluster" })
        );
        assert_eq!(
            association.properties["SecretArnList"],
            json!([{ "Ref": "LogAgentsSecret" }])
        );
    }
}

/// The `Fn::Sub` texts of a policy statement's values.
fn subs(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(subs).collect(),
        Value::Object(m) => m.values().flat_map(subs).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[test]
fn other_domains_execution_roles_read_the_secret_across_accounts() {
    // Cross-account secrets: the secret's resource policy, the key policy
    // and the reader's own policy must each allow it
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html);
    // ECS fetches task secrets with the task execution role
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
    let (p, stacks) = reference();
    for stack in log_cluster_stacks(stacks) {
        let policy = &stack.resource("LogAgentsSecretPolicy").unwrap().properties;
        assert_eq!(policy["SecretId"], json!({ "Ref": "LogAgentsSecret" }));
        assert_eq!(policy["BlockPublicPolicy"], true);
        let statements = policy["ResourcePolicy"]["Statement"].as_array().unwrap();
        // MSK's own statement, which the association put there first.
        let kafka = statements
            .iter()
            .find(|s| s["Sid"] == "AWSKafkaResourcePolicy")
            .unwrap();
        assert_eq!(
            kafka["Principal"],
            json!({ "Service": "kafka.amazonaws.com" })
        );
        assert_eq!(
            stack.resource("LogAgentsSecretPolicy").unwrap().depends_on,
            ["LogAgentsScram"]
        );
        let statement = statements
            .iter()
            .find(|s| s["Sid"] == "LogAgentsReadTheirCredentials")
            .unwrap();
        assert_eq!(statement["Action"], "secretsmanager:GetSecretValue");
        let principals = subs(&statement["Principal"]["AWS"]);
        let roles = subs(&statement["Condition"]["ArnLike"]["aws:PrincipalArn"]);
        // Every other domain account with Fargate services in the environment.
        let others = principals
            .iter()
            .filter(|p| p.contains("${Account"))
            .count();
        assert!(others >= 5, "{}: {principals:?}", stack.name);
        assert_eq!(roles.len(), principals.len());
        assert!(
            roles.iter().all(|r| r.ends_with(":role/workload/exec-*")),
            "{roles:?}"
        );
        let key = &stack.resource("LogAgentsKey").unwrap().properties["KeyPolicy"]["Statement"];
        let readers = key
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "LogAgentsReadTheirCredentials")
            .unwrap();
        assert_eq!(readers["Action"], "kms:Decrypt");
        assert_eq!(subs(&readers["Principal"]["AWS"]), principals);
        assert_eq!(
            readers["Condition"]["StringEquals"]["kms:ViaService"],
            json!({ "Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com" })
        );
        assert_eq!(
            stack
                .outputs
                .iter()
                .filter(|o| o.name.starts_with("LogAgents"))
                .count(),
            2
        );
    }
    // Each agent's execution role allows itself the secret and the key,
    // both read from the log cluster's stack once it is deployed.
    let mut seen = 0;
    for (stack, _) in fargate_services(stacks) {
        let role = stack.resource("ExecutionRole").unwrap();
        let statements = role.properties["Policies"][0]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap();
        let find = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).unwrap();
        assert_eq!(
            find("ReadLogAgentCredentials")["Resource"],
            json!({ "Ref": "LogAgentsSecretArn" })
        );
        assert_eq!(
            find("DecryptLogAgentCredentials")["Resource"],
            json!({ "Ref": "LogAgentsKeyArn" })
        );
        for name in ["LogAgentsSecretArn", "LogAgentsKeyArn"] {
            let param = stack.parameters.iter().find(|q| q.name == name).unwrap();
            let ParameterValue::StackOutput {
                stack: from,
                output,
            } = &param.value
            else {
                panic!("{}: {name}", stack.name)
            };
            assert!(
                from.ends_with("-store-platform-logs") || from.contains("-store-platform-logs"),
                "{from}"
            );
            assert!(stack.depends_on.contains(from), "{}", stack.name);
            assert_eq!(output, name);
        }
        seen += 1;
    }
    assert!(
        seen >= p
            .model
            .services
            .iter()
            .filter(|s| !s.latency_sensitive)
            .count()
    );
}

#[test]
fn tasks_reach_the_log_brokers_on_the_scram_port() {
    // SASL/SCRAM clients reach the brokers on 9096
    // (https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html);
    // a security group rule must allow it at both ends
    // (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
    let (_, stacks) = reference();
    for (stack, _) in fargate_services(stacks) {
        let egress = stack.resource("SecurityGroup").unwrap().properties["SecurityGroupEgress"]
            .as_array()
            .unwrap();
        let rule = egress
            .iter()
            .find(|r| r["FromPort"] == 9096)
            .unwrap_or_else(|| panic!("{}: no egress on 9096", stack.name));
        assert_eq!(rule["ToPort"], 9096);
        assert!(rule["DestinationSecurityGroupId"].is_object());
    }
    for stack in log_cluster_stacks(stacks) {
        let ingress = stack.resource("SecurityGroup").unwrap().properties["SecurityGroupIngress"]
            .as_array()
            .unwrap();
        let agents: Vec<&Value> = ingress.iter().filter(|r| r["FromPort"] == 9096).collect();
        // The application subnets of every domain with Fargate services.
        assert!(agents.len() >= 3 * 5, "{}: {}", stack.name, agents.len());
        assert!(agents.iter().all(|r| r["CidrIp"].is_string()));
    }
}

#[test]
fn every_fargate_task_ships_its_logs_through_firelens_to_its_vector_agent() {
    // FireLens: the app's `awsfirelens` driver, a Fluent Bit router with
    // `firelensConfiguration` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/firelens-taskdef.html),
    // whose `forward` output reaches Vector's `fluent` source on localhost
    // (tasks share a network namespace in `awsvpc` mode:
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html).
    let (p, stacks) = reference();
    let configs = common::log_agent_configs(&p.model);
    let services = fargate_services(stacks);
    assert!(services.len() > 50);
    for (stack, definition) in services {
        let app = &definition.properties["ContainerDefinitions"][0];
        assert_eq!(
            app["LogConfiguration"]["LogDriver"], "awsfirelens",
            "{}",
            stack.name
        );
        let options = &app["LogConfiguration"]["Options"];
        assert_eq!(options["Name"], "forward");
        // Not 24224: the FireLens router listens there itself ("FireLens
        // listens on port 24224", firelens-taskdef.html), and the task's
        // containers share one network namespace.
        assert_eq!(options["Host"], "127.0.0.1");
        assert_ne!(options["Port"], "24224");
        let router = container(definition, LOG_ROUTER.container).unwrap();
        assert_eq!(router["FirelensConfiguration"]["Type"], "fluentbit");
        let agent = container(definition, LOG_AGENT.container).unwrap();
        // Pinned images of the data table, never `latest`.
        for (c, s) in [(router, LOG_ROUTER), (agent, LOG_AGENT)] {
            let image = c["Image"]["Fn::Sub"].as_str().unwrap();
            assert!(image.ends_with(&format!("/{}", s.image())), "{image}");
            assert!(!image.ends_with(":latest"));
            assert_eq!(c["Essential"], true);
        }
        // The service's own configuration, in the variable the agent's
        // shell writes to its data volume before starting Vector.
        let name = definition.properties["Family"].as_str().unwrap();
        let env = agent["Environment"].as_array().unwrap();
        let var = |n: &str| env.iter().find(|e| e["Name"] == n).map(|e| &e["Value"]);
        assert_eq!(var("VECTOR_CONFIG_YAML").unwrap(), &json!(configs[name]));
        assert_eq!(
            var("LOGS_KAFKA_BOOTSTRAP_SERVERS").unwrap(),
            &json!({ "Ref": "LogsKafkaBootstrapServers" })
        );
        assert!(var("LANDFALL_ENVIRONMENT").is_some());
        assert!(agent["Command"][0]
            .as_str()
            .unwrap()
            .contains("VECTOR_CONFIG_YAML"));
        // Credentials as task secrets from the log cluster's secret.
        assert_eq!(
            agent["Secrets"],
            json!([
                { "Name": "LOGS_KAFKA_USERNAME", "ValueFrom": { "Fn::Sub": "${LogAgentsSecretArn}:username::" } },
                { "Name": "LOGS_KAFKA_PASSWORD", "ValueFrom": { "Fn::Sub": "${LogAgentsSecretArn}:password::" } }
            ])
        );
        // The disk buffer on a volume of the task's ephemeral storage.
        assert_eq!(agent["MountPoints"][0]["ContainerPath"], "/var/lib/vector");
        assert_eq!(
            definition.properties["Volumes"][0]["Name"],
            agent["MountPoints"][0]["SourceVolume"]
        );
        // The sidecars' share is reserved inside the task's size.
        let cpu: u64 = definition.properties["Cpu"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let memory: u64 = definition.properties["Memory"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let reserved_cpu = router["Cpu"].as_u64().unwrap() + agent["Cpu"].as_u64().unwrap();
        let reserved_memory = router["MemoryReservation"].as_u64().unwrap()
            + agent["MemoryReservation"].as_u64().unwrap();
        assert!(
            reserved_cpu * 2 <= cpu && reserved_memory * 2 <= memory,
            "{}",
            stack.name
        );
        // The broker list is asked of MSK when the stack deploys, for the
        // cluster the log cluster's stack outputs (CloudFormation returns
        // no attribute for it), so nobody has to publish it by hand:
        // https://docs.aws.amazon.com/msk/latest/developerguide/msk-get-bootstrap-brokers.html
        let brokers = stack
            .parameters
            .iter()
            .find(|q| q.name == "LogsKafkaBootstrapServers")
            .unwrap();
        let ParameterValue::MskBootstrapBrokers {
            stack: cluster_stack,
            output,
        } = &brokers.value
        else {
            panic!("{}", stack.name)
        };
        assert_eq!(output, "ClusterArn");
        let secret = stack
            .parameters
            .iter()
            .find(|q| q.name == "LogAgentsSecretArn")
            .unwrap();
        assert!(
            matches!(&secret.value, ParameterValue::StackOutput { stack: s, .. } if s == cluster_stack),
            "{}",
            stack.name
        );
        assert!(stack
            .inputs
            .iter()
            .all(|i| i.kind != InputKind::SsmParameter || !i.name.contains("bootstrap")));
    }
}

#[test]
fn without_the_agents_configuration_tasks_log_to_cloudwatch_only() {
    let (p, _) = reference();
    let stacks = p.workloads();
    for (stack, definition) in fargate_services(&stacks) {
        assert!(
            container(definition, LOG_AGENT.container).is_none(),
            "{}",
            stack.name
        );
        assert!(stack.resource("LogAgentsSecret").is_none());
    }
}
