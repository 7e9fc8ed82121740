//! Properties of every plan: no two allocations overlap, every subnet lies
//! in its VPC, and with the lockfile, adding, removing and reordering
//! domains, accounts and services never moves anything that stays.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

mod common;

use std::collections::BTreeMap;

use common::{edit, plan, small};
use ipnet::Ipv4Net;
use proptest::prelude::*;

const EXTRA: usize = 10;

/// The small fixture plus the extra domains chosen (in the order given),
/// each with one service, latency-sensitive or not.
fn spec(extra: &[(usize, bool)]) -> BTreeMap<String, String> {
    let mut files = small();
    edit(&mut files, "network.yaml", "domains: 8", "domains: 16");
    edit(
        &mut files,
        "platform.yaml",
        "accounts_per_organization: 20",
        "accounts_per_organization: 100",
    );
    let mut domains = String::new();
    for (i, latency) in extra {
        domains.push_str(&format!(
            "  - name: x{i}\n    owner: {{ team: x{i}, email: x{i}@smallco.example }}\n"
        ));
        files.insert(
            format!("services/x{i}.yaml"),
            format!(
                "service:\n  name: x{i}-api\n  domain: x{i}\n  compute: {{ cpu: 512, memory: 1024, port: 8080 }}\n  ingress: internal\n  latency_sensitive: {latency}\n"
            ),
        );
    }
    files.get_mut("domains.yaml").unwrap().push_str(&domains);
    files
}

fn allocations(outcome: &common::Outcome) -> BTreeMap<String, Ipv4Net> {
    let lock = &outcome.planned.plan.as_ref().unwrap().lockfile;
    lock.vpcs
        .iter()
        .chain(&lock.subnets)
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn assert_disjoint(nets: &[(String, Ipv4Net)]) {
    let mut sorted: Vec<_> = nets.to_vec();
    sorted.sort_by_key(|(_, n)| u32::from(n.network()));
    for pair in sorted.windows(2) {
        assert!(
            u32::from(pair[0].1.broadcast()) < u32::from(pair[1].1.network()),
            "{} {} overlaps {} {}",
            pair[0].0,
            pair[0].1,
            pair[1].0,
            pair[1].1
        );
    }
}

fn subset() -> impl Strategy<Value = Vec<(usize, bool)>> {
    (
        proptest::sample::subsequence((0..EXTRA).collect::<Vec<_>>(), 0..=EXTRA),
        proptest::collection::vec(any::<bool>(), EXTRA),
    )
        .prop_flat_map(|(chosen, flags)| {
            let items: Vec<(usize, bool)> = chosen.iter().map(|i| (*i, flags[*i])).collect();
            Just(items).prop_shuffle()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn allocations_never_overlap_and_subnets_lie_in_their_vpc(extra in subset()) {
        let outcome = plan(&spec(&extra), None);
        prop_assert!(outcome.planned.diagnostics.is_empty(), "{}", outcome.rendered());
        let model = outcome.resolved.model.as_ref().unwrap();
        let plan = outcome.planned.plan.as_ref().unwrap();
        let vpcs: Vec<_> = model.network.vpcs.iter().map(|v| (v.name.clone(), plan.vpc_cidr(v.id))).collect();
        assert_disjoint(&vpcs);
        let subnets: Vec<_> = model.network.subnets.iter().map(|s| (s.name.clone(), plan.subnet_cidr(s.id))).collect();
        assert_disjoint(&subnets);
        for subnet in &model.network.subnets {
            prop_assert!(plan.vpc_cidr(subnet.vpc).contains(&plan.subnet_cidr(subnet.id)), "{}", subnet.name);
            prop_assert!(plan.address_space.contains(&plan.vpc_cidr(subnet.vpc)));
        }
    }

    #[test]
    fn growth_and_shrinkage_never_move_what_stays(before in subset(), after in subset(), later in subset()) {
        let first = plan(&spec(&before), None);
        prop_assert!(first.planned.diagnostics.is_empty(), "{}", first.rendered());
        let second = plan(&spec(&after), Some(&first.lock_text()));
        prop_assert!(second.planned.diagnostics.is_empty(), "{}", second.rendered());
        let third = plan(&spec(&later), Some(&second.lock_text()));
        prop_assert!(third.planned.diagnostics.is_empty(), "{}", third.rendered());
        let (a, b, c) = (allocations(&first), allocations(&second), allocations(&third));
        // Nothing recorded moves or disappears, and the union stays disjoint
        // (a removed domain's subnets stay reserved until pruned).
        for (name, net) in &a {
            prop_assert_eq!(b.get(name), Some(net), "{} moved", name);
        }
        for (name, net) in &b {
            prop_assert_eq!(c.get(name), Some(net), "{} moved", name);
        }
        let subnets: Vec<_> = c.iter().filter(|(k, _)| k.matches('-').count() > 3).map(|(k, v)| (k.clone(), *v)).collect();
        assert_disjoint(&subnets);
    }
}
