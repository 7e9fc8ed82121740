//! Both forms of the workload layer: reviewed snapshots of the small
//! fixture, determinism, stability when a service is added, and the
//! guardrail rules on the CloudFormation templates and on the Terraform
//! modules' plan view.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The same fixtures as the workload layer's tests: one copy.
#[path = "../../workloads/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use landfall_graph::Graph;

/// Every output file of the workload layer, both forms, by path.
fn files(p: &common::Platform, graph: &Graph) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let cfn = landfall_synth::cloudformation::emit(graph, &p.model.limits, None).unwrap();
    for f in cfn.files {
        out.insert(f.path, f.contents);
    }
    let tf = landfall_terraform::emit(graph, &Default::default()).unwrap();
    for f in tf.files {
        out.insert(f.path, f.contents);
    }
    out
}

#[test]
fn small_fixture_snapshots() {
    let p = common::small();
    let graph = p.graph(p.workloads());
    for (path, contents) in files(&p, &graph) {
        if path.ends_with("versions.tf.json") {
            continue;
        }
        let name = path.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, contents);
    }
}

#[test]
fn output_is_deterministic() {
    let a = common::small();
    let b = common::small();
    let fa = files(&a, &a.graph(a.workloads()));
    let fb = files(&b, &b.graph(b.workloads()));
    assert_eq!(fa, fb);
}

const EXTRA_SERVICE: &str = "service:
  name: order-audit
  domain: payments
  compute: { cpu: 512, memory: 1024, port: 8080 }
  ingress: internal
  environments: [prod]
  dependencies:
    data_stores: [payments-db]
";

fn small_files() -> Vec<(String, String)> {
    let dir = common::root().join("fixtures/specs/small");
    let mut out = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Every leaf of a JSON document by its path (object keys and array
/// indices joined with `/`).
fn leaves(value: &serde_json::Value, path: &str, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                leaves(v, &format!("{path}/{k}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, &format!("{path}/{i}"), out);
            }
        }
        leaf => {
            out.insert(path.to_owned(), leaf.to_string());
        }
    }
}

/// Whether `after` is `before` plus what only names `service`: every leaf
/// of `before` unchanged, and every new leaf under a key naming the service.
fn only_adds(before: &str, after: &str, service: &str) -> bool {
    let normal = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    };
    let (Ok(b), Ok(a)) = (
        serde_json::from_str::<serde_json::Value>(before),
        serde_json::from_str::<serde_json::Value>(after),
    ) else {
        return false;
    };
    let (mut lb, mut la) = (BTreeMap::new(), BTreeMap::new());
    leaves(&b, "", &mut lb);
    leaves(&a, "", &mut la);
    lb.iter().all(|(k, v)| la.get(k) == Some(v))
        && la
            .keys()
            .filter(|k| !lb.contains_key(*k))
            .all(|k| normal(k).contains(&normal(service)))
}

/// Adding a service adds its stacks and, to its account's shared stack,
/// the parameter its image tag is kept in (`landfall_graph::image_tag_parameter`);
/// nothing that exists changes.
#[test]
fn adding_a_service_changes_nothing_that_exists() {
    let before = common::spec(small_files());
    let mut grown = small_files();
    grown.push(("services/order-audit.yaml".into(), EXTRA_SERVICE.into()));
    let after = common::spec(grown);
    let fa = files(&before, &before.graph(before.workloads()));
    let fb = files(&after, &after.graph(after.workloads()));
    let mut changed = Vec::new();
    for (path, text) in &fa {
        if path.ends_with("manifest.json") {
            continue;
        }
        match fb.get(path) {
            Some(t) if t == text => {}
            Some(t) if only_adds(text, t, "order-audit") => {}
            Some(_) => changed.push(format!("changed: {path}")),
            None => changed.push(format!("gone: {path}")),
        }
    }
    assert!(changed.is_empty(), "{}", changed.join("\n"));
    assert!(
        fb.keys().any(|k| k.contains("service-order-audit")),
        "the new service has stacks"
    );
}

#[test]
fn renaming_a_service_moves_addresses() {
    let p = common::small();
    let mut graph = p.graph(p.workloads());
    // As if `payments-api` had been called `pay-api` before.
    let options = landfall_terraform::Options {
        renames: vec![("pay-api".into(), "payments-api".into())],
        ..Default::default()
    };
    graph
        .stacks
        .retain(|s| s.name.ends_with("service-payments-api"));
    let out = landfall_terraform::emit(&graph, &options).unwrap();
    let main = out
        .files
        .iter()
        .find(|f| f.path.ends_with("main.tf.json"))
        .unwrap();
    assert!(
        main.contents.contains("service-pay-api.tfstate"),
        "the state object keeps the old name"
    );
    let moved = out.files.iter().find(|f| f.path.ends_with("moved.tf.json"));
    assert!(moved.is_none() || moved.unwrap().contents.contains("\"from\""));
}

#[test]
fn two_modules_never_share_one_state() {
    // `--rename pay-api=payments-api` while `pay-api` still exists (here a
    // copy of payments-api's stack under the old name): the payments-api
    // module would take pay-api's state object, and applying either module
    // would destroy the other's resources.
    let p = common::small();
    let mut graph = p.graph(p.workloads());
    let mut old = graph
        .stacks
        .iter()
        .find(|s| s.name.ends_with("-service-payments-api"))
        .unwrap()
        .clone();
    old.name = old.name.replace("service-payments-api", "service-pay-api");
    graph.stacks.push(old);
    let options = landfall_terraform::Options {
        renames: vec![("pay-api".into(), "payments-api".into())],
        ..Default::default()
    };
    let Err(problems) = landfall_terraform::emit(&graph, &options) else {
        panic!("two modules were given one state");
    };
    assert!(
        problems.iter().any(|p| p.stack.ends_with("service-pay-api")
            && p.message.contains("-service-pay-api.tfstate")
            && p.message.contains("would destroy the other's resources")),
        "{problems:?}"
    );
}

fn write(dir: &Path, files: &BTreeMap<String, String>) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn rules_findings(p: &common::Platform, paths: &[PathBuf]) -> Vec<String> {
    let settings = landfall_rules::Settings::from_model(&p.model);
    let (_, report) = landfall_rules::scan_paths(paths, &Default::default(), &settings);
    report
        .findings
        .iter()
        .map(|f| format!("{f:?}").chars().take(400).collect())
        .collect()
}

#[test]
fn guardrail_rules_find_nothing_on_either_form() {
    let p = common::reference();
    let graph = p.graph(p.workloads());
    let dir = std::env::temp_dir().join(format!("landfall-forms-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let all = files(&p, &graph);
    let cfn: BTreeMap<String, String> = all
        .iter()
        .filter(|(k, _)| k.starts_with("templates/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    write(&dir.join("cfn"), &cfn);
    // Terraform: the plan view of every module.
    let mut plans = BTreeMap::new();
    for (path, text) in all.iter().filter(|(k, _)| k.ends_with("main.tf.json")) {
        let module: serde_json::Value = serde_json::from_str(text).unwrap();
        let plan = landfall_terraform::plan::plan_json(&module);
        plans.insert(
            path.replace("main.tf.json", "plan.json"),
            serde_json::to_string(&plan).unwrap(),
        );
    }
    write(&dir.join("tf"), &plans);
    let cfn_findings = rules_findings(&p, &[dir.join("cfn")]);
    // Known: CloudFront's web ACLs exist only in `us-east-1`. The SCP lets
    // `wafv2:*` through the region guardrail (a global service there), but
    // the detector LF002 does not list `wafv2` among global services yet;
    // until the rules agree, that one finding on the edge stacks is expected.
    let tf_findings: Vec<String> = rules_findings(&p, &[dir.join("tf")])
        .into_iter()
        .filter(|f| {
            !(f.contains("\"LF002\"") && f.contains("aws_wafv2_web_acl") && f.contains("-edge/"))
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        cfn_findings.is_empty(),
        "CloudFormation: {}",
        cfn_findings.join("\n")
    );
    assert!(
        tf_findings.is_empty(),
        "Terraform: {}",
        tf_findings.join("\n")
    );
}
