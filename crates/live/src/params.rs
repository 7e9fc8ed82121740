//! Stack parameters: values known before anything is deployed (literals,
//! account and organization ids) and values read from stacks deployed
//! before the one that needs them (the physical id of a resource, an
//! output).
//!
//! The resolution itself is pure: the engine reads every stack the
//! parameters refer to once ([`referenced_stacks`],
//! `stacks::read_facts`) and hands the results in as [`Facts`]. A deploy
//! resolves a stack's parameters just before the stack's wave, when the
//! stacks it reads are deployed; a plan shows a value read from a stack that
//! does not exist yet as known after that stack deploys.

use std::collections::BTreeMap;
use std::fmt;

use landfall_graph::ParameterValue;
use serde::Serialize;
use serde_json::Value;

use crate::desired::{Desired, DesiredStack, StackTarget};

/// What other stacks' parameters read from a deployed stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackFacts {
    /// Physical id by logical id.
    pub resources: BTreeMap<String, String>,
    /// Output values by output name.
    pub outputs: BTreeMap<String, String>,
}

/// A referenced stack as it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Deployed(StackFacts),
    /// The stack (or its account) does not exist.
    Absent,
    /// The stack could not be read: why.
    Unreadable(String),
}

/// Every referenced stack read, by name.
pub type Facts = BTreeMap<String, Read>;

/// A parameter's value in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Planned {
    Known(String),
    /// Read from a stack that does not exist yet, or does not have the
    /// resource or output yet: known once that stack deploys.
    KnownAfter(String),
}

/// A parameter that has no value, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    pub stack: String,
    pub parameter: String,
    pub problem: String,
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parameter `{}` of stack `{}`: {}",
            self.parameter, self.stack, self.problem
        )
    }
}

/// The parameters of every stack of a plan, by stack name.
pub type PlannedParameters = BTreeMap<String, Result<Vec<(String, Planned)>, Vec<Unresolved>>>;

/// The stacks `stack`'s parameters read, each once, in parameter order.
pub fn referenced_stacks(stack: &DesiredStack) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (_, value) in &stack.parameters {
        if let Some(name) = referenced_stack(value) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// The AWS-managed prefix lists `stack`'s parameters name, each once: read
/// by their name ([`prefix_list_fact`]) before the stack's parameters are
/// resolved.
pub fn managed_prefix_lists(stack: &DesiredStack) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (_, value) in &stack.parameters {
        if let ParameterValue::ManagedPrefixList(name) = value {
            if !out.contains(&name.as_str()) {
                out.push(name);
            }
        }
    }
    out
}

/// Where [`Facts`] keep what was read of an AWS-managed prefix list (its id
/// is the output `Id`): beside the stacks, under a name no stack can have.
pub fn prefix_list_fact(name: &str) -> String {
    format!("managed-prefix-list:{name}")
}

/// The region of an AWS-managed prefix list's name
/// (`com.amazonaws.<region>.<service>`).
pub fn prefix_list_region(name: &str) -> Option<&str> {
    name.strip_prefix("com.amazonaws.")?.split('.').next()
}

fn prefix_list_id(name: &str, facts: &Facts) -> Result<String, String> {
    match facts.get(&prefix_list_fact(name)) {
        Some(Read::Deployed(f)) => f
            .outputs
            .get("Id")
            .filter(|id| !id.is_empty())
            .cloned()
            .ok_or_else(|| format!("AWS has no managed prefix list `{name}`")),
        Some(Read::Absent) => Err(format!("AWS has no managed prefix list `{name}`")),
        Some(Read::Unreadable(why)) => Err(format!(
            "cannot read the managed prefix list `{name}`: {why}"
        )),
        None => Err(format!("the managed prefix list `{name}` was not read")),
    }
}

fn referenced_stack(value: &ParameterValue) -> Option<&str> {
    match value {
        ParameterValue::ResourceId { stack, .. }
        | ParameterValue::StackOutput { stack, .. }
        | ParameterValue::MskBootstrapBrokers { stack, .. } => Some(stack),
        _ => None,
    }
}

/// The MSK clusters whose bootstrap brokers `stack`'s parameters need, as
/// (stack, output holding the cluster's ARN), each once: asked of MSK by
/// the cluster's ARN ([`brokers_fact`]) once the cluster's stack is read.
pub fn msk_clusters(stack: &DesiredStack) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for (_, value) in &stack.parameters {
        if let ParameterValue::MskBootstrapBrokers { stack, output } = value {
            if !out.contains(&(stack.as_str(), output.as_str())) {
                out.push((stack, output));
            }
        }
    }
    out
}

/// Where [`Facts`] keep the bootstrap brokers MSK gave for a cluster (the
/// output `SaslScram`): beside the stacks, under a name no stack can have.
pub fn brokers_fact(cluster_arn: &str) -> String {
    format!("msk-bootstrap-brokers:{cluster_arn}")
}

/// The output of [`brokers_fact`] facts.
pub const SASL_SCRAM: &str = "SaslScram";

/// The cluster ARN a deployed stack's output holds, if it was read.
pub fn cluster_arn<'f>(facts: &'f Facts, stack: &str, output: &str) -> Option<&'f str> {
    match facts.get(stack) {
        Some(Read::Deployed(f)) => f
            .outputs
            .get(output)
            .map(String::as_str)
            .filter(|v| !v.is_empty()),
        _ => None,
    }
}

fn bootstrap_brokers(cluster_arn: &str, facts: &Facts) -> Result<String, String> {
    match facts.get(&brokers_fact(cluster_arn)) {
        Some(Read::Deployed(f)) => f
            .outputs
            .get(SASL_SCRAM)
            .filter(|b| !b.is_empty())
            .cloned()
            .ok_or_else(|| {
                format!("MSK gives no SASL/SCRAM bootstrap brokers for `{cluster_arn}`: is SASL/SCRAM on for the cluster, and is it active?")
            }),
        Some(Read::Absent) => Err(format!("MSK has no cluster `{cluster_arn}`")),
        Some(Read::Unreadable(why)) => Err(format!(
            "cannot ask MSK for the bootstrap brokers of `{cluster_arn}`: {why}"
        )),
        None => Err(format!(
            "the bootstrap brokers of `{cluster_arn}` were not asked of MSK"
        )),
    }
}

/// The account stack `referenced` that `stack` may read: it must be
/// deployed by this platform, be an account stack (a StackSet has one
/// resource per instance) and be a dependency of `stack`, so that it is
/// deployed first.
pub fn locate<'a>(
    desired: &'a Desired,
    stack: &DesiredStack,
    referenced: &str,
) -> Result<(&'a DesiredStack, &'a str, &'a str), String> {
    let Some(target) = desired.stacks.iter().find(|s| s.name == referenced) else {
        let why: Vec<&str> = desired
            .left_out
            .iter()
            .filter(|l| l.stack == referenced)
            .map(|l| l.why.as_str())
            .collect();
        return Err(match why.first() {
            Some(why) => format!("stack `{referenced}` is not deployed: {why}"),
            None => format!("the platform has no stack `{referenced}` to deploy"),
        });
    };
    let StackTarget::Account { account, region } = &target.target else {
        return Err(format!(
            "`{referenced}` is a StackSet, whose resources and outputs differ per instance; a parameter can read only a stack in one account and region"
        ));
    };
    if !stack.depends_on.iter().any(|d| d == referenced) {
        return Err(format!(
            "stack `{}` reads `{referenced}` but does not depend on it in the resource graph, so `{referenced}` is not sure to be deployed first (a bug in the graph: the dependency is missing)",
            stack.name
        ));
    }
    if target.wave >= stack.wave {
        return Err(format!(
            "`{referenced}` is deployed in wave {} and `{}` in wave {}: a stack's parameters can read only stacks of earlier waves",
            target.wave + 1,
            stack.name,
            stack.wave + 1
        ));
    }
    Ok((target, account, region))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Plan,
    Deploy,
}

/// `stack`'s parameters for a plan. `fixed` gives the value of every
/// parameter that reads no stack; `facts` holds the stacks the others read
/// ([`referenced_stacks`]).
pub fn for_plan(
    desired: &Desired,
    stack: &DesiredStack,
    fixed: &dyn Fn(&ParameterValue) -> String,
    facts: &Facts,
) -> Result<Vec<(String, Planned)>, Vec<Unresolved>> {
    resolve(desired, stack, fixed, facts, Phase::Plan)
}

/// `stack`'s parameters for its deploy, once the stacks of earlier waves
/// are deployed: every value, or every parameter that has none.
pub fn for_deploy(
    desired: &Desired,
    stack: &DesiredStack,
    fixed: &dyn Fn(&ParameterValue) -> String,
    facts: &Facts,
) -> Result<Vec<(String, String)>, Vec<Unresolved>> {
    let values = resolve(desired, stack, fixed, facts, Phase::Deploy)?;
    let mut out = Vec::with_capacity(values.len());
    let mut problems = Vec::new();
    for (name, value) in values {
        match value {
            Planned::Known(v) => out.push((name, v)),
            // A deploy never waits for a later stack (see `resolve`).
            Planned::KnownAfter(after) => problems.push(Unresolved {
                stack: stack.name.clone(),
                parameter: name,
                problem: format!("stack `{after}` is not deployed"),
            }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn resolve(
    desired: &Desired,
    stack: &DesiredStack,
    fixed: &dyn Fn(&ParameterValue) -> String,
    facts: &Facts,
    phase: Phase,
) -> Result<Vec<(String, Planned)>, Vec<Unresolved>> {
    let mut values = Vec::with_capacity(stack.parameters.len());
    let mut problems = Vec::new();
    for (name, value) in &stack.parameters {
        let wanted = match value {
            ParameterValue::ResourceId { stack, logical_id } => Wanted::Resource(stack, logical_id),
            ParameterValue::StackOutput { stack, output } => Wanted::Output(stack, output),
            ParameterValue::MskBootstrapBrokers {
                stack: cluster_stack,
                output,
            } => {
                // The cluster's ARN first, then what MSK said of it.
                let value = read_reference(
                    desired,
                    stack,
                    Wanted::Output(cluster_stack, output),
                    facts,
                    phase,
                )
                .and_then(|arn| match arn {
                    Planned::Known(arn) => bootstrap_brokers(&arn, facts).map(Planned::Known),
                    after @ Planned::KnownAfter(_) => Ok(after),
                });
                match value {
                    Ok(v) => values.push((name.clone(), v)),
                    Err(problem) => problems.push(Unresolved {
                        stack: stack.name.clone(),
                        parameter: name.clone(),
                        problem,
                    }),
                }
                continue;
            }
            ParameterValue::ManagedPrefixList(list) => {
                match prefix_list_id(list, facts) {
                    Ok(id) => values.push((name.clone(), Planned::Known(id))),
                    Err(problem) => problems.push(Unresolved {
                        stack: stack.name.clone(),
                        parameter: name.clone(),
                        problem,
                    }),
                }
                continue;
            }
            other => {
                values.push((name.clone(), Planned::Known(fixed(other))));
                continue;
            }
        };
        match read_reference(desired, stack, wanted, facts, phase) {
            Ok(v) => values.push((name.clone(), v)),
            Err(problem) => problems.push(Unresolved {
                stack: stack.name.clone(),
                parameter: name.clone(),
                problem,
            }),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

#[derive(Debug, Clone, Copy)]
enum Wanted<'a> {
    Resource(&'a str, &'a str),
    Output(&'a str, &'a str),
}

impl Wanted<'_> {
    fn stack(self) -> String {
        match self {
            Wanted::Resource(s, _) | Wanted::Output(s, _) => s.to_owned(),
        }
    }

    fn describe(self) -> String {
        match self {
            Wanted::Resource(_, id) => format!("resource `{id}`"),
            Wanted::Output(_, name) => format!("output `{name}`"),
        }
    }

    fn find(self, facts: &StackFacts) -> Option<&str> {
        let found = match self {
            Wanted::Resource(_, id) => facts.resources.get(id),
            Wanted::Output(_, name) => facts.outputs.get(name),
        };
        found.map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Whether the stack's template declares it.
    fn declared(self, template: &Value) -> bool {
        let (section, key) = match self {
            Wanted::Resource(_, id) => ("Resources", id),
            Wanted::Output(_, name) => ("Outputs", name),
        };
        template
            .get(section)
            .and_then(Value::as_object)
            .is_some_and(|m| m.contains_key(key))
    }
}

fn read_reference(
    desired: &Desired,
    stack: &DesiredStack,
    wanted: Wanted<'_>,
    facts: &Facts,
    phase: Phase,
) -> Result<Planned, String> {
    let name = wanted.stack();
    let (target, account, region) = locate(desired, stack, &name)?;
    if !wanted.declared(&target.template) {
        let left_out = desired.left_out.iter().find(|l| {
            l.stack == name && matches!(wanted, Wanted::Resource(_, id) if id == l.logical_id)
        });
        return Err(match left_out {
            Some(l) => format!(
                "stack `{name}` has no {}: it is left out ({})",
                wanted.describe(),
                l.why
            ),
            None => format!(
                "stack `{name}` has no {} in its template",
                wanted.describe()
            ),
        });
    }
    match facts.get(&name) {
        Some(Read::Deployed(f)) => match (wanted.find(f), phase) {
            (Some(v), _) => Ok(Planned::Known(v.to_owned())),
            // Declared but not there yet: its next deploy adds it.
            (None, Phase::Plan) => Ok(Planned::KnownAfter(name)),
            (None, Phase::Deploy) => Err(format!(
                "stack `{name}` in `{account}` {region} has no {} (its template declares it, but the deployed stack does not have it)",
                wanted.describe()
            )),
        },
        Some(Read::Unreadable(why)) => Err(format!(
            "cannot read stack `{name}` in `{account}` {region}: {why}"
        )),
        Some(Read::Absent) | None => match phase {
            Phase::Plan => Ok(Planned::KnownAfter(name)),
            Phase::Deploy => Err(format!(
                "stack `{name}` does not exist in `{account}` {region}, so its {} cannot be read",
                wanted.describe()
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::LeftOut;
    use crate::emulator::Compat;
    use landfall_graph::Layer;
    use serde_json::json;

    fn stack(name: &str, wave: usize, target: StackTarget) -> DesiredStack {
        DesiredStack {
            name: name.into(),
            layer: Layer::Network,
            target,
            template: json!({
                "Resources": { "Vpc": { "Type": "AWS::EC2::VPC" } },
                "Outputs": { "SubnetA": { "Value": { "Ref": "SubnetA" } } }
            }),
            parameters: Vec::new(),
            wave,
            resources: vec![("Vpc".into(), "AWS::EC2::VPC".into())],
            depends_on: Vec::new(),
            service_role: None,
            inputs: Vec::new(),
            capacity: Vec::new(),
        }
    }

    fn account(account: &str) -> StackTarget {
        StackTarget::Account {
            account: account.into(),
            region: "eu-central-1".into(),
        }
    }

    fn consumer(parameters: Vec<(&str, ParameterValue)>) -> DesiredStack {
        let mut s = stack("app", 1, account("payments-dev"));
        s.layer = Layer::Workloads;
        s.parameters = parameters
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        s.depends_on = vec!["net".into()];
        s
    }

    fn vpc_id() -> ParameterValue {
        ParameterValue::ResourceId {
            stack: "net".into(),
            logical_id: "Vpc".into(),
        }
    }

    fn subnet_output() -> ParameterValue {
        ParameterValue::StackOutput {
            stack: "net".into(),
            output: "SubnetA".into(),
        }
    }

    fn desired(stacks: Vec<DesiredStack>) -> Desired {
        Desired {
            slug: "t".into(),
            home_region: "eu-central-1".into(),
            regions: vec!["eu-central-1".into()],
            management: "management".into(),
            ous: Vec::new(),
            accounts: Vec::new(),
            scps: Vec::new(),
            stacks,
            vpcs: Vec::new(),
            concurrent_account_creations: 1,
            accounts_quota: 10,
            template_inline_max_bytes: 51_200,
            left_out: Vec::new(),
            compat: Compat::Aws,
            identity: Default::default(),
            workloads_in_full: false,
        }
    }

    fn deployed() -> Facts {
        let mut facts = Facts::new();
        facts.insert(
            "net".into(),
            Read::Deployed(StackFacts {
                resources: [("Vpc".to_owned(), "vpc-0abc".to_owned())].into(),
                outputs: [("SubnetA".to_owned(), "subnet-0def".to_owned())].into(),
            }),
        );
        facts
    }

    fn fixed(value: &ParameterValue) -> String {
        match value {
            ParameterValue::Literal(v) => v.clone(),
            ParameterValue::AccountId(a) => format!("id-of-{a}"),
            _ => "org".into(),
        }
    }

    #[test]
    fn a_managed_prefix_list_is_read_by_its_name() {
        let s3 = "com.amazonaws.eu-central-1.s3";
        let app = consumer(vec![
            (
                "S3PrefixListId",
                ParameterValue::ManagedPrefixList(s3.into()),
            ),
            ("Again", ParameterValue::ManagedPrefixList(s3.into())),
        ]);
        let d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        assert_eq!(managed_prefix_lists(&app), vec![s3]);
        assert_eq!(prefix_list_region(s3), Some("eu-central-1"));
        let mut facts = deployed();
        facts.insert(
            prefix_list_fact(s3),
            Read::Deployed(StackFacts {
                resources: BTreeMap::new(),
                outputs: [("Id".to_owned(), "pl-6ea54007".to_owned())].into(),
            }),
        );
        assert_eq!(
            for_deploy(&d, &app, &fixed, &facts).unwrap(),
            vec![
                ("S3PrefixListId".to_owned(), "pl-6ea54007".to_owned()),
                ("Again".to_owned(), "pl-6ea54007".to_owned()),
            ]
        );
        // Not found: every parameter naming it is unresolved, with why.
        facts.insert(prefix_list_fact(s3), Read::Absent);
        let problems = for_plan(&d, &app, &fixed, &facts).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(
            problems[0].problem,
            "AWS has no managed prefix list `com.amazonaws.eu-central-1.s3`"
        );
    }

    /// The log agents' broker list: the cluster's ARN from its stack, then
    /// what MSK answered for that ARN. Before the cluster's stack exists a
    /// plan shows it known after that stack; a deploy never guesses.
    #[test]
    fn bootstrap_brokers_are_read_for_the_cluster_its_stack_outputs() {
        let arn = "arn:aws:kafka:eu-central-1:111122223333:cluster/logs/abc-1";
        let brokers = ParameterValue::MskBootstrapBrokers {
            stack: "net".into(),
            output: "ClusterArn".into(),
        };
        let app = consumer(vec![("Brokers", brokers.clone()), ("Again", brokers)]);
        let mut template = stack("net", 0, account("network"));
        template.template["Outputs"]["ClusterArn"] = json!({ "Value": { "Ref": "Cluster" } });
        let d = desired(vec![template, app.clone()]);
        assert_eq!(msk_clusters(&app), vec![("net", "ClusterArn")]);
        assert_eq!(referenced_stacks(&app), vec!["net"]);

        // Not deployed: known after it in a plan, an error in a deploy.
        let none = Facts::new();
        assert_eq!(
            for_plan(&d, &app, &fixed, &none).unwrap()[0].1,
            Planned::KnownAfter("net".into())
        );
        assert!(for_deploy(&d, &app, &fixed, &none).is_err());

        let mut facts = deployed();
        if let Some(Read::Deployed(f)) = facts.get_mut("net") {
            f.outputs.insert("ClusterArn".into(), arn.into());
        }
        assert_eq!(cluster_arn(&facts, "net", "ClusterArn"), Some(arn));
        // Deployed, but MSK not asked: never a value made up.
        let problems = for_deploy(&d, &app, &fixed, &facts).unwrap_err();
        assert!(
            problems[0].problem.contains("were not asked of MSK"),
            "{problems:?}"
        );
        let scram = "b-1.logs.abc.c2.kafka.eu-central-1.amazonaws.com:9096,b-2.logs.abc.c2.kafka.eu-central-1.amazonaws.com:9096";
        facts.insert(
            brokers_fact(arn),
            Read::Deployed(StackFacts {
                resources: BTreeMap::new(),
                outputs: [(SASL_SCRAM.to_owned(), scram.to_owned())].into(),
            }),
        );
        assert_eq!(
            for_deploy(&d, &app, &fixed, &facts).unwrap(),
            vec![
                ("Brokers".to_owned(), scram.to_owned()),
                ("Again".to_owned(), scram.to_owned()),
            ]
        );
        // A cluster without SASL/SCRAM answers no such string.
        facts.insert(brokers_fact(arn), Read::Deployed(StackFacts::default()));
        let problems = for_plan(&d, &app, &fixed, &facts).unwrap_err();
        assert!(
            problems[0]
                .problem
                .contains("no SASL/SCRAM bootstrap brokers"),
            "{problems:?}"
        );
        facts.insert(brokers_fact(arn), Read::Unreadable("AccessDenied".into()));
        let problems = for_deploy(&d, &app, &fixed, &facts).unwrap_err();
        assert!(
            problems[0].problem.ends_with("AccessDenied"),
            "{problems:?}"
        );
    }

    #[test]
    fn references_read_the_deployed_stack() {
        let app = consumer(vec![
            ("VpcId", vpc_id()),
            ("SubnetId", subnet_output()),
            ("Env", ParameterValue::Literal("dev".into())),
            ("Account", ParameterValue::AccountId("network".into())),
        ]);
        let d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        let values = for_deploy(&d, &app, &fixed, &deployed()).unwrap();
        assert_eq!(
            values,
            vec![
                ("VpcId".to_owned(), "vpc-0abc".to_owned()),
                ("SubnetId".to_owned(), "subnet-0def".to_owned()),
                ("Env".to_owned(), "dev".to_owned()),
                ("Account".to_owned(), "id-of-network".to_owned()),
            ]
        );
        assert_eq!(
            for_plan(&d, &app, &fixed, &deployed()).unwrap()[..2],
            [
                ("VpcId".to_owned(), Planned::Known("vpc-0abc".into())),
                ("SubnetId".to_owned(), Planned::Known("subnet-0def".into())),
            ]
        );
        assert_eq!(referenced_stacks(&app), vec!["net"]);
    }

    #[test]
    fn a_stack_not_deployed_yet_is_known_after_it_deploys_in_a_plan_and_an_error_in_a_deploy() {
        let app = consumer(vec![("VpcId", vpc_id()), ("SubnetId", subnet_output())]);
        let d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        for facts in [
            Facts::from([("net".to_owned(), Read::Absent)]),
            Facts::new(),
        ] {
            assert_eq!(
                for_plan(&d, &app, &fixed, &facts).unwrap(),
                vec![
                    ("VpcId".to_owned(), Planned::KnownAfter("net".into())),
                    ("SubnetId".to_owned(), Planned::KnownAfter("net".into())),
                ]
            );
            let problems = for_deploy(&d, &app, &fixed, &facts).unwrap_err();
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            assert_eq!(
                text,
                vec![
                    "parameter `VpcId` of stack `app`: stack `net` does not exist in `network` eu-central-1, so its resource `Vpc` cannot be read",
                    "parameter `SubnetId` of stack `app`: stack `net` does not exist in `network` eu-central-1, so its output `SubnetA` cannot be read",
                ]
            );
        }
    }

    #[test]
    fn a_resource_or_output_the_deployed_stack_lacks_is_pending_in_a_plan_and_an_error_in_a_deploy()
    {
        let app = consumer(vec![("VpcId", vpc_id()), ("SubnetId", subnet_output())]);
        let d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        let facts = Facts::from([("net".to_owned(), Read::Deployed(StackFacts::default()))]);
        assert_eq!(
            for_plan(&d, &app, &fixed, &facts).unwrap()[1],
            ("SubnetId".to_owned(), Planned::KnownAfter("net".into()))
        );
        let problems = for_deploy(&d, &app, &fixed, &facts).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].parameter, "VpcId");
        assert!(
            problems[0]
                .problem
                .contains("`net` in `network` eu-central-1 has no resource `Vpc`"),
            "{}",
            problems[0]
        );
        assert!(
            problems[1].problem.contains("has no output `SubnetA`"),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn a_reference_the_template_does_not_declare_is_an_error_even_in_a_plan() {
        let app = consumer(vec![
            (
                "Missing",
                ParameterValue::ResourceId {
                    stack: "net".into(),
                    logical_id: "Nat".into(),
                },
            ),
            (
                "Gone",
                ParameterValue::StackOutput {
                    stack: "net".into(),
                    output: "Nope".into(),
                },
            ),
            ("VpcId", vpc_id()),
        ]);
        let mut d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        d.left_out.push(LeftOut {
            stack: "net".into(),
            logical_id: "Nat".into(),
            kind: "AWS::EC2::NatGateway".into(),
            why: "the emulator's CloudFormation cannot create this type".into(),
        });
        let problems = for_plan(&d, &app, &fixed, &deployed()).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "parameter `Missing` of stack `app`: stack `net` has no resource `Nat`: it is left out (the emulator's CloudFormation cannot create this type)",
                "parameter `Gone` of stack `app`: stack `net` has no output `Nope` in its template",
            ]
        );
    }

    #[test]
    fn a_reference_without_a_graph_dependency_is_reported_as_a_bug() {
        let mut app = consumer(vec![("VpcId", vpc_id())]);
        app.depends_on.clear();
        let d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        let problems = for_deploy(&d, &app, &fixed, &deployed()).unwrap_err();
        assert!(
            problems[0]
                .problem
                .contains("does not depend on it in the resource graph"),
            "{}",
            problems[0]
        );
        // Depending on it but in the same wave (a desired state built by hand).
        let mut app = consumer(vec![("VpcId", vpc_id())]);
        app.wave = 0;
        let d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        let problems = for_plan(&d, &app, &fixed, &deployed()).unwrap_err();
        assert!(
            problems[0].problem.contains("only stacks of earlier waves"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn stack_sets_unknown_and_left_out_stacks_cannot_be_read() {
        let app = consumer(vec![("VpcId", vpc_id())]);
        let set = StackTarget::StackSet {
            ous: vec!["Root".into()],
            accounts: Vec::new(),
            regions: vec!["eu-central-1".into()],
        };
        let d = desired(vec![stack("net", 0, set), app.clone()]);
        let problems = for_deploy(&d, &app, &fixed, &deployed()).unwrap_err();
        assert!(
            problems[0].problem.contains("is a StackSet"),
            "{}",
            problems[0]
        );

        let mut d = desired(vec![app.clone()]);
        let problems = for_deploy(&d, &app, &fixed, &deployed()).unwrap_err();
        assert_eq!(
            problems[0].problem,
            "the platform has no stack `net` to deploy"
        );
        d.left_out.push(LeftOut {
            stack: "net".into(),
            logical_id: "Vpc".into(),
            kind: "AWS::EC2::VPC".into(),
            why: "the management account is not modified beyond the organization".into(),
        });
        let problems = for_plan(&d, &app, &fixed, &deployed()).unwrap_err();
        assert_eq!(
            problems[0].problem,
            "stack `net` is not deployed: the management account is not modified beyond the organization"
        );
    }

    #[test]
    fn an_unreadable_stack_is_an_error_naming_it() {
        let app = consumer(vec![("VpcId", vpc_id())]);
        let d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        let facts = Facts::from([(
            "net".to_owned(),
            Read::Unreadable("account `111` is unreachable: AccessDenied".into()),
        )]);
        for problems in [
            for_plan(&d, &app, &fixed, &facts).unwrap_err(),
            for_deploy(&d, &app, &fixed, &facts).unwrap_err(),
        ] {
            assert_eq!(
                problems[0].to_string(),
                "parameter `VpcId` of stack `app`: cannot read stack `net` in `network` eu-central-1: account `111` is unreachable: AccessDenied"
            );
        }
    }

    #[test]
    fn an_empty_physical_id_is_not_a_value() {
        let app = consumer(vec![("VpcId", vpc_id())]);
        let d = desired(vec![stack("net", 0, account("network")), app.clone()]);
        let facts = Facts::from([(
            "net".to_owned(),
            Read::Deployed(StackFacts {
                resources: [("Vpc".to_owned(), String::new())].into(),
                outputs: BTreeMap::new(),
            }),
        )]);
        assert!(for_deploy(&d, &app, &fixed, &facts).is_err());
    }
}
