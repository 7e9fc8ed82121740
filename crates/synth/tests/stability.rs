//! Adding a service, an account or a domain renames nothing and moves
//! nothing: every logical id that existed is still there, in the same stack,
//! and addresses stay where the lockfile put them.

#![allow(clippy::expect_used, reason = "tests fail loudly on broken fixtures")]

mod common;

use std::collections::BTreeMap;

use landfall_graph::Graph;

/// (stack, logical id) → resource type.
fn placement(graph: &Graph) -> BTreeMap<(String, String), String> {
    graph
        .stacks
        .iter()
        .flat_map(|s| {
            s.resources
                .iter()
                .map(move |r| ((s.name.clone(), r.logical_id.clone()), r.kind.clone()))
        })
        .collect()
}

fn check_grows_without_moving(extra: &[(&str, &str)]) -> (usize, usize) {
    let before = common::synthesize_files(common::reference_files(), None);
    let mut files = common::reference_files();
    files.extend(
        extra
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned())),
    );
    let after = common::synthesize_files(files, Some(&before.plan.lockfile));
    let old = placement(&before.graph);
    let new = placement(&after.graph);
    let missing: Vec<_> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} resources moved or were renamed, for example {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    for (key, kind) in &old {
        assert_eq!(new.get(key), Some(kind), "{key:?} changed type");
    }
    // Subnets keep their addresses.
    for stack in &before.graph.stacks {
        for r in stack
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::EC2::Subnet")
        {
            let now = after
                .graph
                .stack(&stack.name)
                .and_then(|s| s.resource(&r.logical_id))
                .map(|r| r.properties["CidrBlock"].clone());
            assert_eq!(
                now.as_ref(),
                Some(&r.properties["CidrBlock"]),
                "{}",
                r.logical_id
            );
        }
    }
    (old.len(), new.len())
}

const NEW_SERVICE: &str = "service:
  name: fee-calculator
  domain: trading
  compute: { cpu: 512, memory: 1024, port: 8080 }
  ingress: internal
";

const NEW_ACCOUNT: &str = "accounts:
  - { name: scratch-two, class: sandbox }
";

const NEW_DOMAIN: &str = "domains:
  - name: lending
    description: Margin lending
    owner: { team: lending, email: lending@meridian-markets.example }
";

const NEW_DOMAIN_SERVICE: &str = "service:
  name: loan-book
  domain: lending
  compute: { cpu: 512, memory: 1024, port: 8080 }
  latency_sensitive: true
";

#[test]
fn adding_a_service_moves_nothing() {
    let (old, new) =
        check_grows_without_moving(&[("services/trading/fee-calculator.yaml", NEW_SERVICE)]);
    assert!(new > old, "the service added nothing");
}

#[test]
fn adding_an_account_moves_nothing() {
    let (old, new) = check_grows_without_moving(&[("zz-extra-accounts.yaml", NEW_ACCOUNT)]);
    assert!(new > old, "the account added nothing");
}

#[test]
fn adding_a_domain_moves_nothing() {
    let (old, new) = check_grows_without_moving(&[
        ("zz-lending.yaml", NEW_DOMAIN),
        ("services/lending/loan-book.yaml", NEW_DOMAIN_SERVICE),
    ]);
    // Three accounts and OUs, subnets in four VPCs, a repository, a role.
    assert!(
        new > old + 30,
        "the domain added only {} resources",
        new - old
    );
}
