//! The Zabbix server and its proxies in the resource graph: where the
//! server runs, its database, the endpoint service the proxies reach it
//! through from every VPC (across regions), and the proxy on each VPC's
//! monitoring hosts.
//!
//! AWS pages behind the facts checked here:
//! - An endpoint service fronts Network Load Balancers; consumers in other
//!   regions need the region in `SupportedRegions` and name the service's
//!   region in `ServiceRegion`:
//!   <https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region>
//! - The principals allowed to connect are the accounts creating the
//!   endpoints: <https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#add-remove-permissions>
//! - Participants cannot create interface endpoints in a shared VPC (the
//!   owner does): <https://repost.aws/knowledge-center/vpc-interface-endpoint-creation-errors>
//! - A Network Load Balancer with security groups evaluates inbound rules
//!   for PrivateLink traffic unless told not to:
//!   <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>
//! - Aurora fails over to a reader in another AZ:
//!   <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.AuroraHighAvailability.html>
//! - `ManageMasterUserPassword`:
//!   <https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html>
//! - ECS stops tasks that fail their target group's health check, and
//!   `MinimumHealthyPercent`/`MaximumPercent` decide whether the old task
//!   stops first: <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html>

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use landfall_graph::{Resource, Stack, Target};
use landfall_spec::types::AccountClass;
use landfall_synth::layers::{monitoring as servers, zabbix};
use serde_json::Value;

fn reference() -> common::Synthesized {
    common::synthesize_files(common::reference_files(), None)
}

fn stack<'s>(s: &'s common::Synthesized, name: &str) -> &'s Stack {
    s.graph
        .stacks
        .iter()
        .find(|st| st.name == name)
        .unwrap_or_else(|| panic!("no stack {name}"))
}

fn get<'s>(stack: &'s Stack, id: &str) -> &'s Resource {
    stack
        .resources
        .iter()
        .find(|r| r.logical_id == id)
        .unwrap_or_else(|| panic!("no {id} in {}", stack.name))
}

fn text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn one_server_in_grafanas_vpc_of_the_observability_account() {
    let s = reference();
    let st = stack(&s, &zabbix::stack_name("meridian"));
    let observability = s.model.core_account(AccountClass::Observability).unwrap();
    let home = &s.model.region(s.model.organization.home_region).name;
    assert_eq!(
        st.target,
        Target::Account {
            account: observability.name.clone(),
            region: home.clone()
        }
    );
    // The same VPC and subnets as Grafana's.
    let grafana = stack(&s, &landfall_synth::layers::grafana::stack_name("meridian"));
    let vpc = |st: &Stack| {
        st.parameters
            .iter()
            .find(|p| p.name == "VpcId")
            .map(|p| text(&p.value))
    };
    assert_eq!(vpc(st), vpc(grafana));
    assert_eq!(
        text(&get(st, "ZabbixService").properties["NetworkConfiguration"]),
        text(&get(grafana, "GrafanaService").properties["NetworkConfiguration"])
            .replace("GrafanaTasksSecurityGroup", "ZabbixTasksSecurityGroup")
    );
    assert_eq!(
        s.graph
            .stacks
            .iter()
            .filter(|st| st.resources.iter().any(|r| r.logical_id == "ZabbixService"))
            .count(),
        1
    );
}

#[test]
fn the_server_is_zabbix_6_0_pinned_and_one_task_that_stops_before_its_replacement() {
    let s = reference();
    let st = stack(&s, &zabbix::stack_name("meridian"));
    let (repo, upstream, tag) = zabbix::SERVER_IMAGE;
    assert_eq!(upstream, "zabbix/zabbix-server-pgsql");
    assert!(tag.starts_with("alpine-6.0."), "{tag}");
    assert!(st.inputs.iter().any(|i| i.name == format!("{repo}:{tag}")));
    let definition = &get(st, "ZabbixTaskDefinition").properties;
    let container = &definition["ContainerDefinitions"][0];
    assert!(text(&container["Image"]).contains(&format!("/{repo}:{tag}")));
    assert_eq!(container["PortMappings"][0]["ContainerPort"], zabbix::PORT);
    let env = text(&container["Environment"]);
    assert!(env.contains("ZabbixDatabase") && env.contains("Endpoint.Address"));
    assert!(
        env.contains("\"ZBX_DBTLSCONNECT\",\"Value\":\"required\""),
        "{env}"
    );
    // Credentials from the RDS-managed secret, not in the definition.
    let secrets = text(&container["Secrets"]);
    assert!(secrets.contains("MasterUserSecret.SecretArn}:username::"));
    assert!(secrets.contains("MasterUserSecret.SecretArn}:password::"));
    assert!(!env.contains("PASSWORD"));
    let service = &get(st, "ZabbixService").properties;
    assert_eq!(service["DesiredCount"], 1);
    assert_eq!(
        service["DeploymentConfiguration"]["MaximumPercent"], 100,
        "two servers on one database both process it"
    );
    assert_eq!(
        service["DeploymentConfiguration"]["MinimumHealthyPercent"],
        0
    );
    assert_eq!(service["LoadBalancers"][0]["ContainerPort"], zabbix::PORT);
}

#[test]
fn the_database_is_encrypted_highly_available_aurora_with_a_managed_secret() {
    let s = reference();
    let st = stack(&s, &zabbix::stack_name("meridian"));
    let db = get(st, "ZabbixDatabase");
    assert_eq!(db.properties["Engine"], "aurora-postgresql");
    assert_eq!(db.properties["StorageEncrypted"], true);
    assert_eq!(db.properties["ManageMasterUserPassword"], true);
    assert_eq!(db.properties["DeletionProtection"], true);
    assert!(text(&db.properties["KmsKeyId"]).contains("ZabbixKey"));
    assert!(text(&db.properties["MasterUserSecret"]).contains("ZabbixKey"));
    let writer = &get(st, "ZabbixDatabaseWriter").properties;
    let reader = &get(st, "ZabbixDatabaseReader").properties;
    assert_ne!(writer["AvailabilityZone"], reader["AvailabilityZone"]);
    assert!(writer["AvailabilityZone"].is_string() && reader["AvailabilityZone"].is_string());
    // Only the server's group reaches it.
    let ingress = get(st, "ZabbixDatabaseFromTasks");
    assert!(text(&ingress.properties["SourceSecurityGroupId"]).contains("ZabbixTasksSecurityGroup"));
    assert_eq!(ingress.properties["FromPort"], zabbix::DB_PORT);
}

#[test]
fn the_endpoint_service_supports_every_region_with_monitoring_servers_and_allows_their_owners() {
    let s = reference();
    let st = stack(&s, &zabbix::stack_name("meridian"));
    let nlb = &get(st, "ZabbixLoadBalancer").properties;
    assert_eq!(nlb["Type"], "network");
    assert_eq!(nlb["Scheme"], "internal");
    assert_eq!(
        nlb["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"],
        "off"
    );
    let listener = &get(st, "ZabbixListener").properties;
    assert_eq!(listener["Port"], zabbix::PORT);
    assert_eq!(listener["Protocol"], "TCP");
    let targets = &get(st, "ZabbixTargets").properties;
    assert_eq!(targets["TargetType"], "ip");
    assert_eq!(targets["Port"], zabbix::PORT);
    let service = &get(st, "ZabbixEndpointService").properties;
    assert_eq!(service["AcceptanceRequired"], false);
    let supported: Vec<&str> = service["SupportedRegions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let with_servers: std::collections::BTreeSet<String> = s
        .graph
        .stacks
        .iter()
        .filter(|st| st.name.starts_with("meridian-zabbix-link-"))
        .filter_map(|st| match &st.target {
            Target::Account { region, .. } => Some(region.clone()),
            _ => None,
        })
        .collect();
    assert!(
        with_servers.len() > 1,
        "the reference platform spans regions"
    );
    for region in &with_servers {
        assert!(supported.contains(&region.as_str()), "{region}");
    }
    let permissions = text(&get(st, "ZabbixEndpointServicePermissions").properties);
    let networking = s.model.core_account(AccountClass::Networking).unwrap();
    let param = st
        .parameters
        .iter()
        .find(|p| text(&p.value).contains(&format!("\"{}\"", networking.name)))
        .expect("the networking account's id");
    assert!(permissions.contains(&format!("${{{}}}:root", param.name)));
}

#[test]
fn every_vpc_with_monitoring_servers_gets_an_endpoint_a_record_and_a_proxy() {
    let s = reference();
    let networking = s.model.core_account(AccountClass::Networking).unwrap();
    let home = &s.model.region(s.model.organization.home_region).name;
    let monitored: Vec<&landfall_model::Vpc> = s
        .model
        .network
        .vpcs
        .iter()
        .filter(|vpc| {
            s.graph
                .stacks
                .iter()
                .any(|st| st.name == servers::stack_name("meridian", &vpc.name))
        })
        .collect();
    assert!(monitored.len() > 2);
    for vpc in monitored {
        let link = stack(&s, &zabbix::link_stack_name("meridian", &vpc.name));
        let region = &s.model.region(vpc.region).name;
        assert_eq!(
            link.target,
            Target::Account {
                account: networking.name.clone(),
                region: region.clone()
            }
        );
        let endpoint = &get(link, "ZabbixEndpoint").properties;
        assert_eq!(endpoint["VpcEndpointType"], "Interface");
        if region == home {
            assert!(endpoint.get("ServiceRegion").is_none());
        } else {
            assert_eq!(endpoint["ServiceRegion"], home.as_str(), "{}", vpc.name);
        }
        let group = &get(link, "ZabbixEndpointSecurityGroup").properties;
        let ingress = &group["SecurityGroupIngress"][0];
        assert_eq!(ingress["FromPort"], zabbix::PORT);
        assert!(text(&ingress["SourceSecurityGroupId"]).contains(servers::HOSTS_GROUP_OUTPUT));
        let record = &get(link, "Zabbix").properties;
        assert_eq!(record["Name"], "zabbix.metrics.meridian.internal");
        assert!(text(&record["ResourceRecords"]).contains("ZabbixEndpoint"));

        // One proxy, on the first host, connecting to that name.
        let servers_stack = stack(&s, &servers::stack_name("meridian", &vpc.name));
        let scripts: Vec<String> = servers_stack
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::EC2::Instance")
            .map(|r| text(&r.properties["UserData"]))
            .collect();
        let proxies: Vec<&String> = scripts
            .iter()
            .filter(|u| u.contains("run zabbix-proxy"))
            .collect();
        assert_eq!(proxies.len(), 1, "{}", vpc.name);
        let proxy = proxies[0];
        assert!(proxy.contains("-e ZBX_PROXYMODE=0"));
        assert!(proxy.contains(&format!(
            "-e ZBX_HOSTNAME={}",
            zabbix::proxy_name(&vpc.name)
        )));
        assert!(proxy.contains("-e ZBX_SERVER_HOST=zabbix.metrics.meridian.internal"));
        assert!(proxy.contains(&format!("-e ZBX_SERVER_PORT={}", zabbix::PORT)));
        let (repo, _, tag) = zabbix::PROXY_IMAGE;
        assert!(proxy.contains(&format!("/{repo}:{tag}")));
        // The hosts reach the endpoint's subnets on the port.
        let hosts =
            text(&get(servers_stack, "HostsSecurityGroup").properties["SecurityGroupEgress"]);
        assert!(
            hosts.contains(&format!("\"FromPort\":{}", zabbix::PORT)),
            "{}",
            vpc.name
        );
    }
}

#[test]
fn the_server_stack_is_reviewed_as_a_snapshot() {
    let s = reference();
    let emitted = common::emit(&s);
    for name in [
        "meridian-zabbix".to_owned(),
        zabbix::link_stack_name("meridian", "dev-eu-central-1"),
    ] {
        let file = emitted
            .files
            .iter()
            .find(|f| f.path.ends_with(&format!("/{name}.json")))
            .unwrap_or_else(|| panic!("no template {name}"));
        insta::assert_snapshot!(name, file.contents);
    }
}
