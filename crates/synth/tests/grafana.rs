//! Grafana in the resource graph: where it runs, its highly available
//! database, how it reads CloudWatch, and what AWS requires of it at
//! deploy time.
//!
//! AWS pages behind the facts checked here:
//! - Aurora fails over to a reader in another AZ:
//!   <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html>
//! - `ManageMasterUserPassword` keeps the master password in a Secrets
//!   Manager secret RDS creates, encrypted with `MasterUserSecret.KmsKeyId`:
//!   <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html>
//! - A task definition's secret is read by the execution role, which
//!   needs `kms:Decrypt` for a customer key; a JSON key of the secret is
//!   named `arn:…:key::`:
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html>
//! - A role is assumed only when its trust policy names the caller:
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_compare-resource-policies.html>
//! - ACM private certificates for an internal load balancer's name:
//!   <https://docs.aws.amazon.com/acm/latest/userguide/gs-acm-request-private.html>

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_graph::{Resource, Stack, Target};
use landfall_spec::types::AccountClass;
use landfall_synth::layers::grafana;

fn reference() -> common::Synthesized {
    common::synthesize_files(common::reference_files(), None)
}

fn grafana_stack(s: &common::Synthesized) -> &Stack {
    s.graph
        .stacks
        .iter()
        .find(|st| st.name == grafana::stack_name("meridian"))
        .expect("the Grafana stack")
}

fn get<'s>(stack: &'s Stack, id: &str) -> &'s Resource {
    stack
        .resources
        .iter()
        .find(|r| r.logical_id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

fn text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn one_grafana_in_the_home_regions_production_vpc_of_the_observability_account() {
    let s = reference();
    let st = grafana_stack(&s);
    let observability = s.model.core_account(AccountClass::Observability).unwrap();
    let vpc = s.model.vpc(s.model.network.remediation_vpc.unwrap());
    let home = &s.model.region(s.model.organization.home_region).name;
    assert_eq!(s.model.region(vpc.region).name, *home);
    assert_eq!(
        st.target,
        Target::Account {
            account: observability.name.clone(),
            region: home.clone()
        }
    );
    assert_eq!(
        s.graph
            .stacks
            .iter()
            .filter(|st| st
                .resources
                .iter()
                .any(|r| r.logical_id == "GrafanaService"))
            .count(),
        1
    );
    // After the monitoring servers of its VPC (vmselect's group, the
    // configuration bucket) and the private CA.
    assert!(st
        .depends_on
        .contains(&format!("meridian-monitoring-{}", vpc.name)));
    assert!(st
        .depends_on
        .contains(&landfall_graph::private_ca_stack_name("meridian", home)));
}

#[test]
fn the_database_is_a_multi_az_aurora_cluster_under_a_key_of_its_own() {
    let s = reference();
    let st = grafana_stack(&s);
    let cluster = get(st, "GrafanaDatabase");
    let p = &cluster.properties;
    assert_eq!(p["Engine"], "aurora-postgresql");
    assert_eq!(p["ManageMasterUserPassword"], true);
    assert!(p.get("MasterUserPassword").is_none());
    assert_eq!(
        text(&p["MasterUserSecret"]["KmsKeyId"]),
        r#"{"Ref":"GrafanaKey"}"#
    );
    assert_eq!(p["StorageEncrypted"], true);
    assert!(text(&p["KmsKeyId"]).contains("GrafanaKey"));
    assert_eq!(p["DeletionProtection"], true);
    assert!(cluster.retain);
    let writer = &get(st, "GrafanaDatabaseWriter").properties;
    let reader = &get(st, "GrafanaDatabaseReader").properties;
    assert_ne!(writer["AvailabilityZone"], reader["AvailabilityZone"]);
    for instance in [writer, reader] {
        assert_eq!(instance["PubliclyAccessible"], false);
        assert_eq!(instance["DBInstanceClass"], grafana::DB_CLASS);
    }
    // Not burstable (the guardrail LF302 refuses db.t* classes for a
    // database), and one AWS offers for the engine.
    assert!(!grafana::DB_CLASS.starts_with("db.t"));
    assert!(
        landfall_model::instance_classes::check("aurora-postgresql", grafana::DB_CLASS).is_ok()
    );
}

#[test]
fn grafana_reads_its_database_credentials_from_the_managed_secret() {
    let s = reference();
    let st = grafana_stack(&s);
    let definition = &get(st, "GrafanaTaskDefinition").properties;
    let grafana_container = definition["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Name"] == "grafana")
        .unwrap();
    let secrets = text(&grafana_container["Secrets"]);
    for key in ["username", "password"] {
        assert!(
            secrets.contains(&format!(
                "${{GrafanaDatabase.MasterUserSecret.SecretArn}}:{key}::"
            )),
            "{secrets}"
        );
    }
    let execution = text(&get(st, "GrafanaExecutionRole").properties);
    assert!(
        execution.contains(r#"{"Fn::GetAtt":["GrafanaDatabase","MasterUserSecret.SecretArn"]}"#)
    );
    assert!(execution.contains("kms:Decrypt"));
    let environment = text(&grafana_container["Environment"]);
    assert!(environment.contains("GF_DATABASE_TYPE") && environment.contains("postgres"));
    assert!(environment.contains("${GrafanaDatabase.Endpoint.Address}:5432"));
    // Two tasks, on subnets in two AZs at least.
    let service = &get(st, "GrafanaService").properties;
    assert!(service["DesiredCount"].as_u64().unwrap() >= 2);
    assert!(
        service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );
}

#[test]
fn cloudwatch_is_read_through_one_role_only_the_task_role_assumes() {
    let s = reference();
    let st = grafana_stack(&s);
    let role = &get(st, "GrafanaCloudWatchRole").properties;
    assert_eq!(role["RoleName"], grafana::CLOUDWATCH_ROLE);
    let trust = &role["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(trust.as_array().unwrap().len(), 1);
    assert_eq!(
        text(&trust[0]["Principal"]),
        r#"{"AWS":{"Fn::GetAtt":["GrafanaTaskRole","Arn"]}}"#
    );
    let policy = text(&role["Policies"]);
    for action in [
        "cloudwatch:GetMetricData",
        "cloudwatch:ListMetrics",
        "logs:StartQuery",
    ] {
        assert!(policy.contains(action), "{action}");
    }
    // Read only.
    for verb in [":Put", ":Delete", ":Create", ":Set"] {
        assert!(!policy.contains(verb), "{verb}");
    }
    let task_role = text(&get(st, "GrafanaTaskRole").properties);
    assert!(task_role.contains("sts:AssumeRole") && task_role.contains(grafana::CLOUDWATCH_ROLE));
    let definition = text(&get(st, "GrafanaTaskDefinition").properties);
    assert!(definition.contains(&format!(
        r#"{{"Name":"{}","Value":{{"Fn::GetAtt":["GrafanaCloudWatchRole","Arn"]}}}}"#,
        grafana::CLOUDWATCH_ROLE_ENV
    )));
}

#[test]
fn the_front_is_an_internal_https_load_balancer_with_a_private_certificate() {
    let s = reference();
    let st = grafana_stack(&s);
    assert_eq!(
        get(st, "GrafanaLoadBalancer").properties["Scheme"],
        "internal"
    );
    let listener = &get(st, "GrafanaListener").properties;
    assert_eq!(listener["Protocol"], "HTTPS");
    assert_eq!(listener["Port"], 443);
    let certificate = &get(st, "GrafanaCertificate").properties;
    assert_eq!(
        text(&certificate["CertificateAuthorityArn"]),
        r#"{"Ref":"PrivateCaArn"}"#
    );
    // ACM takes at most 64 characters for the first name:
    // internal-<name>-<id>.<region>.elb.amazonaws.com.
    assert!(grafana::LOAD_BALANCER.len() <= 10);
}

#[test]
fn the_images_are_copied_into_the_shared_services_registry() {
    let s = reference();
    let shared = s.model.core_account(AccountClass::SharedServices).unwrap();
    let repositories: Vec<String> = s
        .graph
        .stacks
        .iter()
        .filter(
            |st| matches!(&st.target, Target::Account { account, .. } if *account == shared.name),
        )
        .flat_map(|st| st.resources.iter())
        .filter(|r| r.kind == "AWS::ECR::Repository")
        .filter_map(|r| r.properties["RepositoryName"].as_str().map(str::to_owned))
        .collect();
    let st = grafana_stack(&s);
    for (repo, _, tag) in grafana::IMAGES {
        assert!(repositories.iter().any(|r| r == repo), "{repo}");
        assert!(st.inputs.iter().any(|i| i.name == format!("{repo}:{tag}")));
    }
}

#[test]
fn the_grafana_template_is_reviewed_as_a_snapshot() {
    let s = reference();
    let emitted = common::emit(&s);
    let name = grafana::stack_name("meridian");
    let file = emitted
        .files
        .iter()
        .find(|f| f.path.ends_with(&format!("/{name}.json")))
        .unwrap_or_else(|| panic!("no template {name}"));
    insta::assert_snapshot!(name, file.contents);
}

/// The CloudWatch endpoint (`monitoring`) is Grafana's: the remediation
/// service's VPC has it where Grafana runs there, and without monitoring
/// servers (so without Grafana) only the queue's endpoint is added.
/// Interface endpoints are billed per AZ and hour:
/// <https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html>
#[test]
fn the_cloudwatch_endpoint_is_added_only_where_grafana_runs() {
    let endpoints = |s: &common::Synthesized| -> Vec<String> {
        let vpc = s.model.vpc(s.model.network.remediation_vpc.unwrap());
        let network = format!("meridian-network-{}", vpc.name);
        s.graph
            .stacks
            .iter()
            .filter(|st| st.name.starts_with(&network))
            .flat_map(|st| &st.resources)
            .filter(|r| r.kind == "AWS::EC2::VPCEndpoint")
            .filter_map(|r| r.properties["ServiceName"]["Fn::Sub"].as_str())
            .map(str::to_owned)
            .collect()
    };
    let with = endpoints(&reference());
    assert!(with.iter().any(|e| e.ends_with(".monitoring")), "{with:?}");
    assert!(with.iter().any(|e| e.ends_with(".sqs")), "{with:?}");

    let files = common::reference_files()
        .into_iter()
        .map(|(path, text)| {
            let text = text.replace("backend: victoria-metrics", "backend: prometheus");
            (path, text)
        })
        .collect();
    let without = common::synthesize_files(files, None);
    assert!(without
        .graph
        .stacks
        .iter()
        .all(|st| st.name != grafana::stack_name("meridian")));
    let left = endpoints(&without);
    assert!(!left.iter().any(|e| e.ends_with(".monitoring")), "{left:?}");
    assert!(left.iter().any(|e| e.ends_with(".sqs")), "{left:?}");
}

/// Grafana's data source of eu-west-1 reads that region's VictoriaMetrics:
/// VPCs are not connected, so eu-west-1's vmselect load balancer is an
/// endpoint service supporting Grafana's region (cross-region PrivateLink,
/// <https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region>;
/// PrivateLink traffic is not held to the load balancer's inbound rules,
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>),
/// and the VPC's owner (participants of a shared VPC cannot create
/// interface endpoints in it) makes an endpoint of it in Grafana's VPC,
/// named as the data source reads it.
#[test]
fn grafana_reads_the_other_regions_vmselect_through_an_endpoint_in_its_vpc() {
    let s = reference();
    let grafana_vpc = s.model.vpc(s.model.network.remediation_vpc.unwrap());
    let owner = &s.model.account(grafana_vpc.account).name;
    let west = s
        .graph
        .stacks
        .iter()
        .find(|st| st.name == "meridian-monitoring-prod-eu-west-1")
        .unwrap();
    let service = get(west, "SelectEndpointService");
    assert_eq!(
        service.properties["SupportedRegions"],
        serde_json::json!(["eu-central-1", "eu-west-1"])
    );
    assert_eq!(
        get(west, "SelectLoadBalancer").properties
            ["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"],
        "off"
    );
    assert!(west
        .outputs
        .iter()
        .any(|o| o.name == grafana::SELECT_ENDPOINT_SERVICE_OUTPUT));
    // The home region's own cluster needs none.
    let home = s
        .graph
        .stacks
        .iter()
        .find(|st| st.name == "meridian-monitoring-prod-eu-central-1")
        .unwrap();
    assert!(home.resource("SelectEndpointService").is_none());

    let link = s
        .graph
        .stacks
        .iter()
        .find(|st| st.name == grafana::select_link_stack_name("meridian", "eu-west-1"))
        .expect("a link stack in Grafana's VPC");
    match &link.target {
        Target::Account { account, region } => {
            assert_eq!((account, region.as_str()), (owner, "eu-central-1"));
        }
        other => panic!("{other:?}"),
    }
    let endpoint = get(link, "VmselectEndpoint");
    assert_eq!(endpoint.properties["ServiceRegion"], "eu-west-1");
    let record = get(link, "Vmselect");
    assert_eq!(
        record.properties["Name"],
        "vmselect.eu-west-1.metrics.meridian.internal"
    );
    // The name the data source reads (landfall_observability::grafana
    // builds its URL from the same function).
    assert_eq!(
        record.properties["Name"],
        landfall_model::monitoring::vmselect_host("meridian", "eu-west-1")
    );
    // Grafana's tasks may reach the endpoints of their VPC on vmselect's
    // port.
    let egress = text(
        &get(grafana_stack(&s), "GrafanaTasksSecurityGroup").properties["SecurityGroupEgress"],
    );
    assert!(egress.contains("vmselect of other regions"), "{egress}");
}
