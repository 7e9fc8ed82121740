//! Audit benchmark against moto server: deploys a 40-account platform (four
//! core accounts and 18 domains in dev and prod, both regions, the network
//! and baseline stacks of `examples/emulator`), then audits it several times
//! and reports the wall time and the API calls per account-region.
//!
//! ```text
//! scripts/bench-audit.sh            # starts moto when needed
//! LANDFALL_MOTO_ENDPOINT=http://127.0.0.1:5000 cargo run -p landfall-live --example bench_audit
//! ```
//!
//! The moto server is reset first: do not point it at one holding anything
//! you want to keep.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use landfall_live::{audit, load_platform, ConnectOptions, Engine, LiveOptions, Progress, Session};

const DOMAINS: usize = 18;
const AUDITS: usize = 3;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn endpoint() -> Result<String, String> {
    if let Ok(url) = std::env::var("LANDFALL_MOTO_ENDPOINT") {
        if !url.trim().is_empty() {
            return Ok(url.trim().trim_end_matches('/').to_owned());
        }
    }
    let port_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/moto/port");
    let port = std::fs::read_to_string(&port_file).map_err(|_| {
        "no moto server: set LANDFALL_MOTO_ENDPOINT or run `scripts/moto.sh start`".to_owned()
    })?;
    Ok(format!("http://127.0.0.1:{}", port.trim()))
}

fn reset(url: &str) -> Result<(), String> {
    let authority = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("");
    let mut stream = TcpStream::connect(authority)
        .map_err(|e| format!("no moto server answers at {url}: {e}"))?;
    write!(
        stream,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    if answer.contains(" 200 ") {
        Ok(())
    } else {
        Err(format!("moto did not reset: {answer}"))
    }
}

/// `examples/emulator` with 18 domains: 4 core members + 36 workload accounts.
fn write_spec(dir: &Path) -> Result<(), String> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/emulator");
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for file in ["guardrails.yaml", "network.yaml"] {
        std::fs::copy(example.join(file), dir.join(file)).map_err(|e| e.to_string())?;
    }
    let platform = std::fs::read_to_string(example.join("platform.yaml"))
        .map_err(|e| format!("cannot read examples/emulator: {e}"))?;
    let head = platform
        .split("\ndomains:")
        .next()
        .ok_or("examples/emulator/platform.yaml has no domains")?;
    let mut text = head.to_owned();
    text.push_str("\ndomains:\n");
    for i in 0..DOMAINS {
        text.push_str(&format!(
            "  - {{ name: domain{i:02}, owner: {{ team: team{i:02}, email: team{i:02}@emuco.example }} }}\n"
        ));
    }
    text.push_str("\nlimits:\n  accounts_per_organization: 60\n");
    std::fs::write(dir.join("platform.yaml"), text).map_err(|e| e.to_string())?;
    let network = std::fs::read_to_string(dir.join("network.yaml")).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("network.yaml"),
        network.replace(
            "plan_for: { accounts: 50, domains: 8 }",
            "plan_for: { accounts: 60, domains: 24 }",
        ),
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

fn run() -> Result<(), String> {
    let url = endpoint()?;
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    }
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let dir: PathBuf = std::env::temp_dir().join(format!("landfall-bench-{}", std::process::id()));
    write_spec(&dir)?;
    let options = LiveOptions {
        endpoint_url: Some(url.clone()),
        profile: None,
        progress: false,
        concurrency: 16,
    };
    let loaded = load_platform(&dir, options.compat());
    let _ = std::fs::remove_dir_all(&dir);
    let (platform, settings) = loaded?;
    let desired = &platform.desired;
    eprintln!(
        "platform: {} member accounts, {} regions, {} stacks and StackSets",
        desired.accounts.len(),
        desired.regions.len(),
        desired.stacks.len()
    );
    reset(&url)?;
    let runtime = landfall_live::runtime().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let session = Session::connect(ConnectOptions {
            endpoint_url: Some(url.clone()),
            profile: None,
            home_region: desired.home_region.clone(),
            max_attempts: 8,
        })
        .await;
        let engine = Engine::new(
            session.clone(),
            &platform,
            options.waits(),
            Progress::new(false),
        );
        let started = Instant::now();
        let (plan, _) = engine.plan().await.map_err(|e| e.to_string())?;
        let report = engine.deploy(&plan).await.map_err(|e| e.to_string())?;
        if !report.ok() {
            return Err(format!("deploy failed:\n{}", report.render()));
        }
        eprintln!(
            "deploy: {:.1}s, {} API calls",
            started.elapsed().as_secs_f64(),
            report.api_calls
        );
        let mut times = Vec::new();
        for run in 1..=AUDITS {
            // A new session each time, as each `landfall audit` is: every
            // account is entered again.
            let session = Session::connect(ConnectOptions {
                endpoint_url: Some(url.clone()),
                profile: None,
                home_region: desired.home_region.clone(),
                max_attempts: 8,
            })
            .await;
            let report = audit::audit(&session, desired, &settings, 16, &Progress::new(false))
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "audit {run}: {} account-regions, {} resources, {} findings, {:.2}s, {} API calls ({:.1} per account-region)",
                report.account_regions,
                report.resources,
                report.findings.len(),
                report.seconds,
                report.api_calls,
                report.calls_per_account_region()
            );
            times.push(report.seconds);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "audit median {:.2}s over {AUDITS} runs (target: under 10 s for 40 accounts x 2 regions); the first audit after a deploy also pays for moto creating each account-region's state on first use",
            times[times.len() / 2]
        );
        Ok(())
    })
}
