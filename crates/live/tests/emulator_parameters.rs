//! Stack parameters read from deployed stacks, end to end against moto
//! server: a stack in a workload account whose parameters are the physical
//! id of a platform stack's VPC (`ResourceId`) and one of its outputs, a
//! subnet id (`StackOutput`), in the networking account.
//!
//! Before anything exists the plan shows both as known after the network
//! stack deploys; the deploy passes the real ids (checked against EC2); the
//! plan after it is empty (the resolved values match the live stack's); a
//! stack referring to a resource and an output its source does not have
//! fails with both named and is not created.
//!
//! Same set-up as `emulator.rs` (moto from `LANDFALL_MOTO_ENDPOINT` or
//! `scripts/moto.sh start`; skipped with a note without one unless
//! `CI=true`):
//!
//! ```text
//! scripts/moto.sh start
//! cargo test -p landfall-live --test emulator_parameters -- --nocapture
//! scripts/moto.sh stop
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;

use landfall_graph::{Layer, Output, Parameter, ParameterValue, Resource, Stack, Target};
use landfall_live::aws::{Clients, AUDIT_ROLES};
use landfall_live::plan::Pending;
use landfall_live::{
    org, Compat, ConnectOptions, Engine, LiveOptions, Platform, Progress, Session,
};
use serde_json::{json, Value};
use support::{endpoint_or_skip, reset, workspace_root};

/// The platform stack read: the dev VPC of the home region, in the
/// networking account.
const NETWORK: &str = "emuco-network-dev-eu-central-1-core";
const CONSUMER: &str = "emuco-workloads-payments-dev-probe";
const BROKEN: &str = "emuco-workloads-payments-dev-broken";
const ACCOUNT: &str = "payments-dev";
const REGION: &str = "eu-central-1";

fn parameter(name: &str, value: ParameterValue) -> Parameter {
    Parameter {
        name: name.into(),
        description: format!("{name} of the network"),
        value,
    }
}

/// A workload-layer stack keeping each parameter in an SSM parameter and
/// an output.
fn reader(name: &str, parameters: Vec<Parameter>) -> Stack {
    let mut resources = Vec::new();
    let mut outputs = Vec::new();
    for p in &parameters {
        let mut r = Resource::new(format!("{}Parameter", p.name), "AWS::SSM::Parameter");
        r.properties = json!({
            "Name": format!("/{name}/{}", p.name),
            "Type": "String",
            "Value": { "Ref": p.name },
        })
        .as_object()
        .cloned()
        .unwrap();
        resources.push(r);
        outputs.push(Output {
            name: p.name.clone(),
            description: None,
            value: json!({ "Ref": p.name }),
            export: None,
        });
    }
    Stack {
        name: name.into(),
        layer: Layer::Workloads,
        description: "reads the network stack".into(),
        target: Target::Account {
            account: ACCOUNT.into(),
            region: REGION.into(),
        },
        parameters,
        conditions: serde_json::Map::new(),
        resources,
        outputs,
        depends_on: vec![NETWORK.into()],
        inputs: Vec::new(),
        capacity: Vec::new(),
    }
}

/// `examples/emulator` with the reader stacks added to its graph; only the
/// network stack and the readers are deployed (the organization and its
/// accounts always are).
fn with_readers(with_broken: bool) -> Platform {
    let dir = workspace_root().join("examples/emulator");
    let mut resolved = landfall_model::load_dir(&dir).expect("examples/emulator loads");
    let lockfile = landfall_synth::platform::lockfile_text(Some(&dir)).unwrap();
    let mut compiled =
        landfall_synth::platform::compile(&mut resolved, lockfile, Default::default())
            .expect("examples/emulator compiles");
    compiled.graph.stacks.push(reader(
        CONSUMER,
        vec![
            parameter(
                "VpcId",
                ParameterValue::ResourceId {
                    stack: NETWORK.into(),
                    logical_id: "Vpc".into(),
                },
            ),
            parameter(
                "SubnetId",
                ParameterValue::StackOutput {
                    stack: NETWORK.into(),
                    output: "SubnetDataA".into(),
                },
            ),
            parameter("Environment", ParameterValue::Literal("dev".into())),
        ],
    ));
    if with_broken {
        compiled.graph.stacks.push(reader(
            BROKEN,
            vec![
                parameter(
                    "GatewayId",
                    ParameterValue::ResourceId {
                        stack: NETWORK.into(),
                        logical_id: "NatGateway".into(),
                    },
                ),
                parameter(
                    "FirewallArn",
                    ParameterValue::StackOutput {
                        stack: NETWORK.into(),
                        output: "FirewallArn".into(),
                    },
                ),
            ],
        ));
    }
    assert!(
        compiled.graph.check().is_empty(),
        "{:?}",
        compiled.graph.check()
    );
    let model = resolved.model.as_ref().unwrap();
    let mut platform = Platform::new(model, &compiled, Compat::Moto);
    platform
        .desired
        .stacks
        .retain(|s| [NETWORK, CONSUMER, BROKEN].contains(&s.name.as_str()));
    let waves: BTreeMap<&str, usize> = platform
        .desired
        .stacks
        .iter()
        .map(|s| (s.name.as_str(), s.wave))
        .collect();
    assert!(waves[NETWORK] < waves[CONSUMER], "{waves:?}");
    platform
}

struct Fixture {
    url: String,
    options: LiveOptions,
}

impl Fixture {
    async fn session(&self) -> Session {
        Session::connect(ConnectOptions {
            endpoint_url: Some(self.url.clone()),
            profile: None,
            home_region: REGION.into(),
            max_attempts: 8,
        })
        .await
    }

    async fn engine(&self, platform: &Platform) -> Engine {
        Engine::new(
            self.session().await,
            platform,
            self.options.waits(),
            Progress::new(false),
        )
    }
}

#[test]
fn deployed_stacks_get_the_ids_and_outputs_their_parameters_read() {
    let Some(url) =
        endpoint_or_skip("deployed_stacks_get_the_ids_and_outputs_their_parameters_read")
    else {
        return;
    };
    let options = LiveOptions {
        endpoint_url: Some(url.clone()),
        profile: None,
        progress: false,
        concurrency: 4,
    };
    assert_eq!(options.compat(), Compat::Moto);
    let fixture = Fixture { url, options };
    let runtime = landfall_live::runtime().unwrap();
    runtime.block_on(run(&fixture));
}

async fn run(fixture: &Fixture) {
    reset(&fixture.url);
    let platform = with_readers(false);

    // 1. Nothing exists: both references are known after the network deploys.
    let engine = fixture.engine(&platform).await;
    let (plan, _) = engine.plan().await.expect("plan");
    let after = |parameter: &str| Pending {
        stack: CONSUMER.into(),
        parameter: parameter.into(),
        after: NETWORK.into(),
    };
    assert_eq!(plan.pending, vec![after("VpcId"), after("SubnetId")]);
    assert!(plan.problems.is_empty(), "{}", plan.render());
    let text = plan.render();
    assert!(
        text.contains(&format!(
            "  + create stack `{CONSUMER}` in `{ACCOUNT}` {REGION}\n      parameter `VpcId`: known after `{NETWORK}` deploys\n      parameter `SubnetId`: known after `{NETWORK}` deploys\n"
        )),
        "{text}"
    );

    // 2. The deploy passes the real ids.
    let report = engine.deploy(&plan).await.expect("deploy");
    assert!(report.ok(), "deploy failed:\n{}", report.render());
    let session = fixture.session().await;
    let mgmt = session.management().await.expect("management account");
    let ids: BTreeMap<String, String> = org::read(&mgmt)
        .await
        .expect("organization")
        .accounts
        .iter()
        .map(|a| (a.name.clone(), a.id.clone()))
        .collect();
    let network = member(&session, &mgmt, &ids["network"]).await;
    let template = &platform
        .desired
        .stacks
        .iter()
        .find(|s| s.name == NETWORK)
        .unwrap()
        .template;
    let (vpc_id, subnet_id) = live_network(&network, template).await;
    assert!(vpc_id.starts_with("vpc-"), "{vpc_id}");
    assert!(subnet_id.starts_with("subnet-"), "{subnet_id}");
    let workload = member(&session, &mgmt, &ids[ACCOUNT]).await;
    let (parameters, outputs) = stack_values(&workload, CONSUMER)
        .await
        .expect("the reading stack exists");
    let expected = BTreeMap::from([
        ("Environment".to_owned(), "dev".to_owned()),
        ("SubnetId".to_owned(), subnet_id.clone()),
        ("VpcId".to_owned(), vpc_id.clone()),
    ]);
    assert_eq!(parameters, expected);
    assert_eq!(outputs, expected);

    // 3. Resolved for real, the values match: nothing to change.
    let (plan, _) = engine.plan().await.expect("plan");
    assert!(plan.is_empty(), "second plan:\n{}", plan.render());
    assert!(plan.pending.is_empty(), "{:?}", plan.pending);

    // 4. References to what the network stack does not have: the plan
    //    says so, the deploy fails that stack naming both, and creates
    //    nothing for it.
    let platform = with_readers(true);
    let engine = fixture.engine(&platform).await;
    let (plan, _) = engine.plan().await.expect("plan");
    let problems: Vec<String> = plan.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        vec![
            format!("parameter `GatewayId` of stack `{BROKEN}`: stack `{NETWORK}` has no resource `NatGateway` in its template"),
            format!("parameter `FirewallArn` of stack `{BROKEN}`: stack `{NETWORK}` has no output `FirewallArn` in its template"),
        ]
    );
    let report = engine.deploy(&plan).await.expect("deploy");
    assert!(!report.ok());
    let failed: Vec<_> = report.stacks.iter().filter(|s| !s.ok).collect();
    assert_eq!(failed.len(), 1, "{}", report.render());
    assert_eq!(failed[0].stack, BROKEN);
    assert_eq!(failed[0].account, ACCOUNT);
    assert_eq!(failed[0].reasons, problems);
    let rendered = report.render();
    assert!(
        rendered.contains(&format!("failed: stack `{BROKEN}` in `{ACCOUNT}` {REGION}")),
        "{rendered}"
    );
    assert!(stack_values(&workload, BROKEN).await.is_none());
    // The good reader was deployed again, unchanged, with the same values.
    let (parameters, _) = stack_values(&workload, CONSUMER).await.unwrap();
    assert_eq!(parameters, expected);
}

async fn member(session: &Session, mgmt: &Clients, id: &str) -> Clients {
    session
        .member(mgmt, id, REGION, &AUDIT_ROLES)
        .await
        .expect("member account")
}

/// The ids EC2 reports for the network stack's VPC and its first data
/// subnet, found by their CIDR blocks in the template.
async fn live_network(c: &Clients, template: &Value) -> (String, String) {
    let cidr = |id: &str| {
        template["Resources"][id]["Properties"]["CidrBlock"]
            .as_str()
            .unwrap_or_else(|| panic!("`{id}` has a literal CIDR block"))
            .to_owned()
    };
    let (vpc_cidr, subnet_cidr) = (cidr("Vpc"), cidr("SubnetDataA"));
    let vpcs = c.ec2().describe_vpcs().send().await.unwrap();
    let vpc: Vec<&str> = vpcs
        .vpcs()
        .iter()
        .filter(|v| v.cidr_block() == Some(vpc_cidr.as_str()))
        .filter_map(|v| v.vpc_id())
        .collect();
    assert_eq!(vpc.len(), 1, "VPCs with {vpc_cidr}: {vpc:?}");
    let subnets = c.ec2().describe_subnets().send().await.unwrap();
    let subnet: Vec<&str> = subnets
        .subnets()
        .iter()
        .filter(|s| s.cidr_block() == Some(subnet_cidr.as_str()) && s.vpc_id() == Some(vpc[0]))
        .filter_map(|s| s.subnet_id())
        .collect();
    assert_eq!(subnet.len(), 1, "subnets with {subnet_cidr}: {subnet:?}");
    (vpc[0].to_owned(), subnet[0].to_owned())
}

/// A stack's parameters and outputs as CloudFormation reports them; `None`
/// when there is no such stack.
async fn stack_values(
    c: &Clients,
    name: &str,
) -> Option<(BTreeMap<String, String>, BTreeMap<String, String>)> {
    let described = match c
        .cloudformation()
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
    {
        Ok(d) => d,
        Err(e) if format!("{e:?}").contains("does not exist") => return None,
        Err(e) => panic!("cloudformation:DescribeStacks `{name}`: {e:?}"),
    };
    let stack = described.stacks().first()?;
    let parameters = stack
        .parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_key().unwrap().to_owned(),
                p.parameter_value().unwrap().to_owned(),
            )
        })
        .collect();
    let outputs = stack
        .outputs()
        .iter()
        .map(|o| {
            (
                o.output_key().unwrap().to_owned(),
                o.output_value().unwrap().to_owned(),
            )
        })
        .collect();
    Some((parameters, outputs))
}
