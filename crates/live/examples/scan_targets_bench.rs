//! How long `landfall scan targets` takes over an organization of 40
//! accounts × 2 regions against moto server (issue target: under 10 s,
//! the audit's budget). A measurement, not a test:
//!
//! ```text
//! LANDFALL_MOTO_ENDPOINT=$(scripts/moto.sh start) \
//!   cargo run -p landfall-live --example scan_targets_bench
//! ```
//!
//! Each member account gets, in both regions, a VPC with a subnet and two
//! network interfaces (one with a public address); then the read runs five
//! times and the times are printed with their median.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_sdk_organizations::types::OrganizationFeatureSet;
use landfall_live::aws::DEPLOY_ROLES;
use landfall_live::targets::{self, Owners};
use landfall_live::{ConnectOptions, Session};

const ACCOUNTS: usize = 40;
const REGIONS: [&str; 2] = ["eu-central-1", "eu-west-1"];
const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("LANDFALL_MOTO_ENDPOINT")
        .map_err(|_| "set LANDFALL_MOTO_ENDPOINT to a moto server (scripts/moto.sh start)")?;
    reset(&url)?;
    let runtime = landfall_live::runtime()?;
    runtime.block_on(async {
        let session = Session::connect(ConnectOptions {
            endpoint_url: Some(url.clone()),
            profile: None,
            home_region: REGIONS[0].to_owned(),
            max_attempts: 8,
        })
        .await;
        let mgmt = session.management().await?;
        let organizations = mgmt.organizations();
        organizations
            .create_organization()
            .feature_set(OrganizationFeatureSet::All)
            .send()
            .await?;
        let mut owners = Owners::new();
        // The management account counts as one of the 40.
        for i in 1..ACCOUNTS {
            let name = format!("domain{i}-prod");
            let created = organizations
                .create_account()
                .account_name(&name)
                .email(format!("{name}@example.com"))
                .send()
                .await?;
            let request = created
                .create_account_status()
                .and_then(|s| s.id())
                .ok_or("no request id")?;
            let status = organizations
                .describe_create_account_status()
                .create_account_request_id(request)
                .send()
                .await?;
            let id = status
                .create_account_status()
                .and_then(|s| s.account_id())
                .ok_or("no account id")?
                .to_owned();
            for region in REGIONS {
                let clients = session.member(&mgmt, &id, region, &DEPLOY_ROLES).await?;
                let ec2 = clients.ec2();
                let vpc = ec2.create_vpc().cidr_block("10.20.0.0/16").send().await?;
                let vpc = vpc.vpc().and_then(|v| v.vpc_id()).ok_or("no vpc")?;
                let subnet = ec2
                    .create_subnet()
                    .vpc_id(vpc)
                    .cidr_block("10.20.0.0/24")
                    .availability_zone(format!("{region}a"))
                    .send()
                    .await?;
                let subnet = subnet
                    .subnet()
                    .and_then(|s| s.subnet_id())
                    .ok_or("no subnet")?;
                for ip in ["10.20.0.10", "10.20.0.20"] {
                    ec2.create_network_interface()
                        .subnet_id(subnet)
                        .private_ip_address(ip)
                        .send()
                        .await?;
                }
            }
            owners.insert(name, (Some(format!("domain{i}")), Some("prod".into())));
        }
        let regions: Vec<String> = REGIONS.iter().map(|r| (*r).to_owned()).collect();
        let mut times: Vec<Duration> = Vec::new();
        let mut found = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let targets = targets::read(&session, &owners, &regions, None, 16).await?;
            times.push(started.elapsed());
            if !targets.errors.is_empty() {
                return Err(format!("reads failed: {:?}", targets.errors).into());
            }
            found = targets.targets.len();
        }
        times.sort();
        println!(
            "scan targets: {ACCOUNTS} accounts × {} regions, {found} targets; runs {:?}; median {:?}",
            REGIONS.len(),
            times,
            times[RUNS / 2]
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

/// Empties moto server.
fn reset(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let authority = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(authority)?;
    write!(
        stream,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if !answer.starts_with("HTTP/1.1 200") && !answer.starts_with("HTTP/1.0 200") {
        return Err(format!("moto reset failed: {answer}").into());
    }
    Ok(())
}
