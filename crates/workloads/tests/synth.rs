#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

#[test]
fn reference_platform_synthesizes() {
    let p = common::reference();
    let stacks = p.workloads();
    let services = stacks
        .iter()
        .filter(|s| s.name.contains("-service-"))
        .count();
    let stores = stacks.iter().filter(|s| s.name.contains("-store-")).count();
    eprintln!(
        "{} stacks, {services} service stacks, {stores} store stacks",
        stacks.len()
    );
    assert!(services >= 111);
    let graph = p.graph(stacks);
    let out = landfall_synth::cloudformation::emit(&graph, &p.model.limits, None).expect("emits");
    if let Ok(dir) = std::env::var("LANDFALL_WORKLOADS_OUT") {
        landfall_synth::cloudformation::write(&out, std::path::Path::new(&dir)).unwrap();
    }
}
