//! `landfall plan --read-only` against moto server: once the platform is
//! deployed, a read-only plan enters every member account as the baseline's
//! `landfall-audit` role, never as `landfall-deploy` or
//! `OrganizationAccountAccessRole`, and finds what the deploy role's plan
//! finds. This is what the platform repository's plan role may do: assume
//! the audit role in members, nothing that writes.
//!
//! Needs a moto server (see `emulator.rs`); skipped without one.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "support/faults.rs"]
mod faults;
mod support;

use faults::FaultProxy;
use landfall_live::{load_platform, ConnectOptions, Engine, LiveOptions, Progress, Session};
use support::{endpoint_or_skip, reset, workspace_root};

async fn engine(url: &str, options: &LiveOptions, platform: &landfall_live::Platform) -> Engine {
    let session = Session::connect(ConnectOptions {
        endpoint_url: Some(url.to_owned()),
        profile: None,
        home_region: platform.desired.home_region.clone(),
        max_attempts: 8,
    })
    .await;
    Engine::new(session, platform, options.waits(), Progress::new(false))
}

#[test]
fn a_read_only_plan_enters_member_accounts_only_as_the_audit_role() {
    let test = "a_read_only_plan_enters_member_accounts_only_as_the_audit_role";
    let Some(url) = endpoint_or_skip(test) else {
        return;
    };
    reset(&url);
    let options = LiveOptions {
        endpoint_url: Some(url.clone()),
        profile: None,
        progress: false,
        concurrency: 16,
    };
    // A copy of the example: the first deploy writes its lockfile.
    let dir = std::env::temp_dir().join(format!("landfall-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(workspace_root().join("examples/emulator")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let platform = load_platform(&dir, options.compat())
        .expect("the example compiles")
        .0;
    landfall_live::runtime().unwrap().block_on(async {
        let deployer = engine(&url, &options, &platform).await;
        let (plan, _) = deployer.plan().await.expect("plan");
        let report = deployer.deploy(&plan).await.expect("deploy");
        assert!(report.ok(), "deploy:\n{}", report.render());
        let (after, _) = engine(&url, &options, &platform)
            .await
            .plan()
            .await
            .expect("plan as the deploy role");

        // The same plan, read through a proxy that records every call.
        let proxy = FaultProxy::start(&url).await;
        let (read_only, snapshot) = engine(&proxy.url, &options, &platform)
            .await
            .read_only()
            .plan()
            .await
            .expect("read-only plan");
        let assumed = proxy.seen_of("sts:AssumeRole");
        assert!(!assumed.is_empty(), "no member account was read");
        for call in &assumed {
            assert!(
                call.body.contains("landfall%2Flandfall-audit")
                    || call.body.contains("landfall/landfall-audit"),
                "entered as another role: {}",
                call.body
            );
            assert!(!call.body.contains("landfall-deploy"), "{}", call.body);
            assert!(
                !call.body.contains("OrganizationAccountAccessRole"),
                "{}",
                call.body
            );
        }
        assert!(
            snapshot.unreachable.is_empty(),
            "{:?}",
            snapshot.unreachable
        );
        assert_eq!(read_only.changes, after.changes);
        assert_eq!(read_only.blockers, after.blockers);
        // Nor can it be applied.
        let refused = engine(&proxy.url, &options, &platform)
            .await
            .read_only()
            .deploy(&read_only)
            .await;
        assert!(
            refused.is_err_and(|e| e.to_string().contains("read-only")),
            "a read-only engine deployed"
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
