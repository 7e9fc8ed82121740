//! Every family over the reference platform, workloads included.

mod common;

use std::time::Instant;

#[test]
fn reference_platform_findings_are_printed() {
    let platform = common::reference();
    let started = Instant::now();
    let findings = landfall_deployability::check(&platform.input());
    let elapsed = started.elapsed();
    for f in &findings {
        println!("{} {} {:?}: {}", f.code, f.stack, f.resource, f.message);
    }
    println!(
        "{} stacks, {} findings in {elapsed:?}: {:?}",
        platform.graph.stacks.len(),
        findings.len(),
        common::counts(&findings)
    );
}
