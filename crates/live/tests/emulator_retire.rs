//! A domain removed and another added, against moto server: the lockfile
//! the first deploy writes keeps every live address where it is, a plan
//! without it refuses to run, a plan whose addresses live subnets hold
//! refuses up front naming both owners (instead of a deploy that fails
//! halfway with `InvalidSubnet.Conflict`), and what the removed domain left
//! live is listed as retirements and deleted only when asked.
//!
//! Needs a moto server (see `emulator.rs`); skipped without one.
//! CloudFormation fails a subnet whose CIDR another subnet of the VPC holds:
//! <https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html>
//! ("The CIDR block of a subnet can be the same as the CIDR block for the
//! VPC ... but subnets in a VPC cannot overlap").

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use landfall_live::retire::Retirement;
use landfall_live::{
    load_platform, Compat, ConnectOptions, DeployReport, Engine, LiveOptions, Plan, Platform,
    Progress, Session,
};
use support::{endpoint_or_skip, reset, workspace_root};

/// A copy of `examples/emulator` without its lockfile, in a fresh directory.
fn copy_example(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landfall-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let example = workspace_root().join("examples/emulator");
    for entry in std::fs::read_dir(&example).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Replaces the `risk` domain by `lending`.
fn risk_to_lending(dir: &Path) {
    let path = dir.join("platform.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = text
        .replace("  - name: risk\n", "  - name: lending\n")
        .replace("Exposure and limits", "Loans")
        .replace(
            "{ team: risk, email: risk@emuco.example }",
            "{ team: lending, email: lending@emuco.example }",
        );
    assert_ne!(text, changed);
    std::fs::write(path, changed).unwrap();
}

struct Fixture {
    url: String,
    options: LiveOptions,
}

impl Fixture {
    fn platform(&self, dir: &Path) -> Platform {
        load_platform(dir, self.options.compat())
            .expect("the spec compiles")
            .0
    }

    async fn engine(&self, platform: &Platform) -> Engine {
        let session = Session::connect(ConnectOptions {
            endpoint_url: Some(self.url.clone()),
            profile: None,
            home_region: platform.desired.home_region.clone(),
            max_attempts: 8,
        })
        .await;
        Engine::new(
            session,
            platform,
            self.options.waits(),
            Progress::new(false),
        )
    }

    async fn plan(&self, engine: &Engine) -> Plan {
        engine.plan().await.expect("plan").0
    }

    async fn deploy(&self, engine: &Engine) -> (Plan, DeployReport) {
        let plan = self.plan(engine).await;
        let report = engine.deploy(&plan).await.expect("deploy");
        (plan, report)
    }
}

#[test]
fn removing_a_domain_and_adding_another_keeps_addresses_and_retires_what_is_left() {
    let test = "removing_a_domain_and_adding_another";
    let Some(url) = endpoint_or_skip(test) else {
        return;
    };
    let options = LiveOptions {
        endpoint_url: Some(url.clone()),
        profile: None,
        progress: false,
        concurrency: 16,
    };
    assert_eq!(options.compat(), Compat::Moto);
    let fixture = Fixture { url, options };
    let dir = copy_example(test);
    let lock = dir.join("landfall.lock");
    landfall_live::runtime()
        .unwrap()
        .block_on(scenario(&fixture, &dir, &lock));
    let _ = std::fs::remove_dir_all(&dir);
}

async fn scenario(fixture: &Fixture, dir: &Path, lock: &Path) {
    reset(&fixture.url);

    // 1. The first deploy has no lockfile: it writes it before anything else.
    let platform = fixture.platform(dir);
    let engine = fixture.engine(&platform).await;
    let (plan, report) = fixture.deploy(&engine).await;
    assert!(report.ok(), "first deploy:\n{}", report.render());
    let action = plan
        .lockfile
        .as_ref()
        .expect("the plan writes the lockfile");
    assert!(action.create);
    assert!(
        plan.render().contains("lockfile:\n  + write `"),
        "{}",
        plan.render()
    );
    assert!(lock.exists(), "the deploy wrote no lockfile");
    let recorded = std::fs::read_to_string(lock).unwrap();
    assert!(recorded.contains("risk"), "{recorded}");
    let again = fixture.plan(&engine).await;
    assert!(
        again.lockfile.is_none() && again.is_empty(),
        "{}",
        again.render()
    );

    // 2. `risk` removed, `lending` added.
    risk_to_lending(dir);

    // 2a. Without the lockfile the deploy refuses to start.
    std::fs::rename(lock, dir.join("saved.lock")).unwrap();
    let unlocked = fixture.platform(dir);
    let engine = fixture.engine(&unlocked).await;
    let plan = fixture.plan(&engine).await;
    assert!(plan.blocked(), "{}", plan.render());
    assert!(
        plan.blockers
            .iter()
            .any(|b| b.contains("landfall.lock` is missing, but the platform is deployed")),
        "{:?}",
        plan.blockers
    );
    let report = engine.deploy(&plan).await.expect("deploy");
    assert!(!report.ok());
    assert!(report.applied.is_empty(), "{:?}", report.applied);
    assert!(!lock.exists(), "a refused deploy wrote the lockfile");

    // 2b. Addresses planned afresh (as with no lockfile management at all):
    //     `lending` takes the slot of `risk`, whose subnets are live. The
    //     plan refuses and names both subnets.
    let mut fresh = unlocked;
    fresh.lockfile = None;
    let engine = fixture.engine(&fresh).await;
    let plan = fixture.plan(&engine).await;
    let conflicts: Vec<&String> = plan
        .blockers
        .iter()
        .filter(|b| b.contains("InvalidSubnet.Conflict"))
        .collect();
    assert!(!conflicts.is_empty(), "{}", plan.render());
    assert!(
        conflicts
            .iter()
            .all(|c| c.contains("lending") && c.contains("risk")),
        "{conflicts:#?}"
    );
    let report = engine.deploy(&plan).await.expect("deploy");
    assert!(
        !report.ok() && report.applied.is_empty(),
        "{}",
        report.render()
    );

    // 3. With the lockfile: `lending` gets new addresses, `risk` keeps its
    //    own; its leftovers are retirements, kept without the flag.
    std::fs::rename(dir.join("saved.lock"), lock).unwrap();
    let platform = fixture.platform(dir);
    let engine = fixture.engine(&platform).await;
    let plan = fixture.plan(&engine).await;
    assert!(!plan.blocked(), "{}", plan.render());
    let action = plan
        .lockfile
        .as_ref()
        .expect("lending's allocations are recorded");
    assert!(!action.create && action.allocations > 0);
    assert!(!plan.retirements.is_empty(), "{}", plan.render());
    // risk's network stacks in the networking account, and the baseline
    // instances in its two accounts.
    assert!(
        plan.retirements
            .iter()
            .all(|r| r.describe().contains("risk") && !r.describe().contains("lending")),
        "{}",
        plan.render()
    );
    assert!(plan
        .retirements
        .iter()
        .any(|r| matches!(r, Retirement::Stack { .. })));
    assert!(plan
        .retirements
        .iter()
        .any(|r| matches!(r, Retirement::StackInstances { .. })));
    let (_, report) = fixture.deploy(&engine).await;
    assert!(report.ok(), "deploy with lending:\n{}", report.render());
    assert_eq!(
        report.kept.len(),
        plan.retirements.len(),
        "{}",
        report.render()
    );
    let recorded = std::fs::read_to_string(lock).unwrap();
    assert!(recorded.contains("lending") && recorded.contains("risk"));

    // 4. With --delete-retired they go, and nothing is left to retire.
    let mut engine = fixture.engine(&platform).await;
    engine.delete_retired = true;
    let (plan, report) = fixture.deploy(&engine).await;
    assert!(report.ok(), "retiring:\n{}", report.render());
    for r in &plan.retirements {
        assert!(
            report.applied.contains(&r.describe()),
            "{} not applied:\n{}",
            r.describe(),
            report.render()
        );
    }
    let plan = fixture.plan(&engine).await;
    assert!(
        plan.retirements.is_empty() && plan.is_empty(),
        "{}",
        plan.render()
    );
}
