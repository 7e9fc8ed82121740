//! The Vector aggregators in the workload layer: one stack per VPC of the
//! log archive's region with the SASL/SCRAM log cluster, in the
//! observability account beside the VPC's OpenSearch domain, reading the
//! cluster with the agents' `AmazonMSK_` secret. Each test cites the AWS
//! page the fact comes from.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::reference_with_agents as reference;

use landfall_graph::{InputKind, ParameterValue, Stack, Target};
use landfall_model::sidecars::LOG_AGENT;
use landfall_synth::layers::log_search;
use landfall_workloads::aggregator;
use serde_json::{json, Value};

fn aggregator_stacks(stacks: &[Stack]) -> Vec<&Stack> {
    stacks
        .iter()
        .filter(|s| s.name.ends_with(&format!("-{}", aggregator::STACK_SUFFIX)))
        .collect()
}

/// The `Fn::Sub` texts (and plain strings) of a value.
fn subs(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(subs).collect(),
        Value::Object(m) => m.values().flat_map(subs).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `*` as IAM's `ArnLike` reads it: any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| glob(tail, &text[head.len() + i..]))
        }
    }
}

#[test]
fn one_aggregator_stack_per_vpc_of_the_lakes_region_in_the_observability_account() {
    let (p, stacks) = reference();
    let found = aggregator_stacks(stacks);
    let mut names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    // The log archive is in eu-central-1; prod's eu-west-1 VPC has none
    // (its lake bucket would be out of reach through its gateway endpoint:
    // https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html).
    assert_eq!(
        names,
        [
            "meridian-workloads-compliance-dev-log-aggregators",
            "meridian-workloads-compliance-prod-log-aggregators",
            "meridian-workloads-compliance-staging-log-aggregators",
        ]
    );
    let observability = log_search::account(&p.model).unwrap();
    for stack in found {
        assert_eq!(
            stack.target,
            Target::Account {
                account: observability.name.clone(),
                region: "eu-central-1".into()
            }
        );
        let service = &stack.resource("AggregatorService").unwrap().properties;
        assert_eq!(service["DesiredCount"], aggregator::DESIRED_COUNT);
        assert_eq!(service["LaunchType"], "FARGATE");
        // Spread over the AZs of the subnets: one subnet per AZ
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html).
        let subnets = service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
            .as_array()
            .unwrap();
        assert!(subnets.len() >= 2);
        let params: Vec<&str> = subnets.iter().map(|s| s["Ref"].as_str().unwrap()).collect();
        assert!(
            params.iter().all(|p| p.starts_with("SubnetData")),
            "{params:?}"
        );
        let mut letters: Vec<char> = params.iter().map(|p| p.chars().last().unwrap()).collect();
        letters.dedup();
        assert_eq!(letters.len(), params.len());
        // The tasks run in the log search stack's aggregator group, which
        // the domain's group admits.
        assert_eq!(
            service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"],
            json!([{ "Ref": "AggregatorGroupId" }])
        );
        let group = stack
            .parameters
            .iter()
            .find(|q| q.name == "AggregatorGroupId")
            .unwrap();
        let ParameterValue::StackOutput {
            stack: from,
            output,
        } = &group.value
        else {
            panic!("{}", stack.name)
        };
        assert!(from.starts_with("meridian-log-search-"), "{from}");
        assert_eq!(output, "AggregatorGroupId");
        assert!(stack.depends_on.contains(from));
        assert!(service.contains_key("Tags"));
    }
}

#[test]
fn the_task_runs_the_generated_configuration_as_the_log_search_role() {
    // Secrets from Secrets Manager as task secrets, fetched by the
    // execution role
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html);
    // the task role signs the OpenSearch requests the domain's access
    // policy admits
    // (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html).
    let (_, stacks) = reference();
    for stack in aggregator_stacks(stacks) {
        let definition = &stack
            .resource("AggregatorTaskDefinition")
            .unwrap()
            .properties;
        assert_eq!(definition["RequiresCompatibilities"], json!(["FARGATE"]));
        // Two disk buffers and the image in Fargate's default ephemeral
        // storage.
        assert!(definition.get("EphemeralStorage").is_none());
        const { assert!(2 * aggregator::BUFFER_MAX_GIB < aggregator::EPHEMERAL_GIB) };
        assert_eq!(
            definition["TaskRoleArn"],
            json!({ "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/workload/landfall-log-aggregator" })
        );
        let containers = definition["ContainerDefinitions"].as_array().unwrap();
        assert_eq!(containers.len(), 1);
        let c = &containers[0];
        assert!(subs(&c["Image"])[0].ends_with(&LOG_AGENT.image()));
        assert_eq!(c["ReadonlyRootFilesystem"], true);
        let env: Vec<(&str, &Value)> = c["Environment"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["Name"].as_str().unwrap(), &e["Value"]))
            .collect();
        let get = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(
            get("VECTOR_CONFIG_YAML"),
            Some(&json!("# the log aggregators\nsources: {}\n"))
        );
        assert_eq!(
            get("LOGS_KAFKA_BOOTSTRAP_SERVERS"),
            Some(&json!({ "Ref": "LogsKafkaBootstrapServers" }))
        );
        assert_eq!(
            get(log_search::OPENSEARCH_VARIABLE),
            Some(&json!({ "Ref": "OpenSearchEndpoint" }))
        );
        assert_eq!(
            get(aggregator::BUCKET_VARIABLE),
            Some(&json!({ "Fn::Sub": "meridian-applogs-${AccountLogArchiveId}-eu-central-1" }))
        );
        // A key of another account is named by its ARN
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html).
        assert!(subs(get(aggregator::KEY_VARIABLE).unwrap())[0]
            .starts_with("arn:${AWS::Partition}:kms:eu-central-1:${AccountLogArchiveId}:key/"));
        let secrets = c["Secrets"].as_array().unwrap();
        assert_eq!(
            secrets[0]["ValueFrom"],
            json!({ "Fn::Sub": "${LogAgentsSecretArn}:username::" })
        );
        let brokers = stack
            .parameters
            .iter()
            .find(|q| q.name == "LogsKafkaBootstrapServers")
            .unwrap();
        assert!(matches!(
            &brokers.value,
            ParameterValue::MskBootstrapBrokers { stack: s, output } if s.ends_with("-store-platform-logs") && output == "ClusterArn"
        ));
        assert!(stack
            .inputs
            .iter()
            .any(|i| i.kind == InputKind::Image && i.name == LOG_AGENT.image()));
    }
}

#[test]
fn the_log_clusters_secret_and_key_admit_the_aggregators_execution_role() {
    // Cross-account secrets: the secret's resource policy, the key policy
    // and the reader's own policy must each allow it
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html).
    let (_, stacks) = reference();
    for stack in aggregator_stacks(stacks) {
        let role = &stack
            .resource("AggregatorExecutionRole")
            .unwrap()
            .properties;
        let arn = format!(
            "arn:${{AWS::Partition}}:iam::${{AccountObservabilityId}}:role{}{}",
            role["Path"].as_str().unwrap(),
            role["RoleName"].as_str().unwrap()
        );
        let store_name = stack.name.replace(
            &format!("-{}", aggregator::STACK_SUFFIX),
            "-store-platform-logs",
        );
        let store = stacks.iter().find(|s| s.name == store_name).unwrap();
        let policy = &store.resource("LogAgentsSecretPolicy").unwrap().properties;
        let statement = policy["ResourcePolicy"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "LogAgentsReadTheirCredentials")
            .unwrap();
        let roles = subs(&statement["Condition"]["ArnLike"]["aws:PrincipalArn"]);
        assert!(
            roles.iter().any(|r| glob(r, &arn)),
            "{arn} not in {roles:?}"
        );
        assert!(subs(&statement["Principal"]["AWS"])
            .contains(&"arn:${AWS::Partition}:iam::${AccountObservabilityId}:root".to_owned()));
        let key = &store.resource("LogAgentsKey").unwrap().properties["KeyPolicy"]["Statement"];
        let readers = key
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "LogAgentsReadTheirCredentials")
            .unwrap();
        assert!(subs(&readers["Principal"]["AWS"])
            .contains(&"arn:${AWS::Partition}:iam::${AccountObservabilityId}:root".to_owned()));
        let own = role["Policies"][0]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap();
        assert!(own
            .iter()
            .any(|s| s["Action"] == "secretsmanager:GetSecretValue"
                && s["Resource"] == json!({ "Ref": "LogAgentsSecretArn" })));
    }
}

#[test]
fn the_brokers_admit_the_aggregators_subnets_on_the_scram_port() {
    // https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html
    let (p, stacks) = reference();
    for stack in aggregator_stacks(stacks) {
        let store_name = stack.name.replace(
            &format!("-{}", aggregator::STACK_SUFFIX),
            "-store-platform-logs",
        );
        let store = stacks.iter().find(|s| s.name == store_name).unwrap();
        let ingress: Vec<&Value> = store.resource("SecurityGroup").unwrap().properties
            ["SecurityGroupIngress"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["Description"] == "log aggregators")
            .collect();
        let vpc = p
            .model
            .network
            .vpcs
            .iter()
            .find(|v| stack.description.contains(&format!("VPC {}:", v.name)))
            .unwrap();
        let cidrs: Vec<String> = aggregator::data_subnets(&p.model, vpc)
            .iter()
            .map(|s| p.plan.subnet_cidr(s.id).to_string())
            .collect();
        assert_eq!(ingress.len(), cidrs.len());
        for (rule, cidr) in ingress.iter().zip(&cidrs) {
            assert_eq!(rule["FromPort"], 9096);
            assert_eq!(rule["ToPort"], 9096);
            assert_eq!(&rule["CidrIp"], cidr);
        }
        let egress = stack.resource("EgressToLogBrokers").unwrap();
        assert_eq!(egress.properties["FromPort"], 9096);
        assert_eq!(
            egress.properties["DestinationSecurityGroupId"],
            json!({ "Ref": "LogClusterGroupId" })
        );
    }
}

#[test]
fn without_the_aggregators_configuration_nothing_of_them_is_built() {
    let (p, _) = reference();
    let stacks = p.workloads();
    assert!(aggregator_stacks(&stacks).is_empty());
    for stack in stacks
        .iter()
        .filter(|s| s.name.ends_with("-store-platform-logs"))
    {
        let group = &stack.resource("SecurityGroup").unwrap().properties;
        assert!(group["SecurityGroupIngress"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["Description"] != "log aggregators"));
    }
}
