//! Synthetic platform specs of any size, as in-memory files, for tests and
//! benchmarks. The output is deterministic: the same [`Size`] gives the same
//! files byte for byte.
//!
//! ```
//! let files = landfall_testkit::synthetic_spec(landfall_testkit::Size { domains: 4, services_per_domain: 3 });
//! assert!(files.iter().any(|(name, _)| name == "landfall.yaml"));
//! ```

pub mod lint;
pub mod services;

use std::fmt::Write as _;

/// How large a synthetic platform is. Every domain runs in three
/// environments, so it has `3 × domains` workload accounts plus 7 core ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub domains: usize,
    pub services_per_domain: usize,
}

impl Size {
    /// A size with about `accounts` accounts and `services` services.
    pub fn about(accounts: usize, services: usize) -> Self {
        let domains = (accounts.saturating_sub(7) / 3).max(1);
        Self {
            domains,
            services_per_domain: (services / domains).max(1),
        }
    }

    pub fn accounts(&self) -> usize {
        self.domains * 3 + 7
    }

    pub fn services(&self) -> usize {
        self.domains * self.services_per_domain
    }
}

/// The files of a synthetic spec: (path relative to the spec directory, text).
///
/// Large sizes (over 30 domains) raise the AWS limits a single shared VPC per
/// environment would exceed (participants per VPC, subnets shared per
/// account) through the spec's `limits` section, as an organization with
/// raised quotas would, and share one application tier per VPC.
pub fn synthetic_spec(size: Size) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let large = size.domains > 30;
    let mut platform = String::from(
        "organization:
  name: Synthetic Co
  slug: synth
  email_domain: aws.synth.example
  regions: [eu-central-1, eu-west-1]
  azs_per_region: 3
  environments:
    - name: dev
      regions: [eu-central-1]
    - name: staging
      regions: [eu-central-1]
    - name: prod
      production: true

accounts:
  - { name: management, class: management }
  - { name: log-archive, class: log-archive }
  - { name: security, class: security-tooling }
  - { name: network, class: networking }
  - { name: shared, class: shared-services }
  - { name: observability, class: observability }
  - { name: scratch, class: sandbox }

limits:
",
    );
    let _ = writeln!(
        platform,
        "  accounts_per_organization: {}",
        size.accounts() + 100
    );
    // staging and prod NAT gateways share eu-central-1: 6 addresses in
    // three AZs, over AWS's default of 5, as granted on request.
    let _ = writeln!(platform, "  elastic_ips_per_region: 10");
    if large {
        let _ = writeln!(
            platform,
            "  participant_accounts_per_shared_vpc: {}",
            size.domains + 100
        );
        let _ = writeln!(platform, "  subnets_shared_per_account: 1000");
    }
    files.push(("landfall.yaml".to_owned(), platform));

    // Large orgs share one app tier per VPC (one VPC per environment and
    // region cannot hold a subnet per domain), sized for their tasks.
    let (per_domain, app_prefix) = if large { ("false", 18) } else { ("true", 22) };
    files.push((
        "network.yaml".to_owned(),
        format!(
            "network:
  address_space: 10.0.0.0/8
  plan_for: {{ accounts: {}, domains: {} }}
  tiers:
    - {{ name: edge, kind: edge, prefix_length: 24, environments: [prod] }}
    - {{ name: firewall, kind: firewall, prefix_length: 28, environments: [prod, staging] }}
    - {{ name: app, kind: application, prefix_length: {app_prefix}, per_domain: {per_domain} }}
    - {{ name: data, kind: data, prefix_length: 24 }}
    - {{ name: endpoints, kind: endpoints, prefix_length: 24 }}
  egress:
    - {{ environment: prod, mode: inspected, allow_domains: [.github.com] }}
    - {{ environment: staging, mode: inspected, allow_domains: [.github.com] }}
    - {{ environment: dev, mode: blocked }}
",
            size.accounts() * 2,
            size.domains * 2
        ),
    ));

    let mut domains = String::from("domains:\n");
    let mut budgets = String::new();
    // Each domain's owning team is an identity group with access to it.
    let mut team_groups = String::new();
    for d in 0..size.domains {
        let _ = writeln!(
            domains,
            "  - name: d{d}\n    owner: {{ team: team{d}, email: team{d}@synth.example }}"
        );
        let _ = writeln!(
            team_groups,
            "    - name: team{d}\n      access:\n        - {{ permission_set: Developer, accounts: {{ domains: [d{d}], environments: [dev] }} }}"
        );
        let _ = writeln!(
            budgets,
            "    - {{ domain: d{d}, monthly: {} }}",
            10_000 + d * 10
        );
    }
    files.push(("domains.yaml".to_owned(), domains));

    files.push((
        "rest.yaml".to_owned(),
        format!(
            "identity:
  permission_sets:
    - {{ name: Developer, managed_policies: [PowerUserAccess] }}
  groups:
    - name: developers
      access:
        - {{ permission_set: Developer, accounts: {{ environments: [dev] }} }}
{team_groups}
guardrails:
  controls:
    - {{ id: cdn-in-front, mode: detective, reason: no SCP condition sees what fronts a load balancer }}

cicd:
  github: {{ organization: synth }}
  codeartifact:
    domain: synth
    repositories:
      - {{ name: npm-store, external_connection: \"public:npmjs\" }}

billing:
  budgets:
{budgets}  forecast: {{ difference_percent: 10, difference_amount: 1000 }}
  report_recipients: [finance@synth.example]
"
        ),
    ));

    for d in 0..size.domains {
        let mut data = String::from("data_stores:\n");
        let _ = writeln!(
            data,
            "  - name: d{d}-db\n    domain: d{d}\n    engine: {{ kind: aurora, flavor: mysql, instance_class: db.r7g.large, instances: 2 }}"
        );
        let _ = writeln!(
            data,
            "  - name: d{d}-cache\n    domain: d{d}\n    engine: {{ kind: valkey, node_type: cache.r7g.large }}"
        );
        let _ = writeln!(
            data,
            "  - name: d{d}-bus\n    domain: d{d}\n    engine:\n      kind: msk\n      broker_type: kafka.m7g.large\n      topics: [{{ name: d{d}.events }}]"
        );
        files.push((format!("data/d{d}.yaml"), data));
        // Large orgs run fewer tasks per service so a shared app tier holds them.
        let max_tasks = if large { 2 } else { 20 };
        let peak_rps = if large { 400 } else { 2000 };
        for s in 0..size.services_per_domain {
            // Each service calls the previous one of its domain: a chain, never a cycle.
            let calls = if s > 0 {
                format!("\n    services: [d{d}-s{}]", s - 1)
            } else {
                String::new()
            };
            let consumes = if d > 0 {
                format!("\n    consumes: [d{}.events]", d - 1)
            } else {
                String::new()
            };
            files.push((
                format!("services/d{d}/d{d}-s{s}.yaml"),
                format!(
                    "service:
  name: d{d}-s{s}
  domain: d{d}
  compute: {{ cpu: 512, memory: 1024, port: 8080 }}
  scaling: {{ min_tasks: 2, max_tasks: {max_tasks}, peak_rps: {peak_rps}, rps_per_task: 200 }}
  ingress: internal
  dependencies:
    data_stores: [d{d}-db, d{d}-cache]
    produces: [d{d}.events]{consumes}{calls}
"
                ),
            ));
        }
    }
    files
}

/// The synthetic organization of the workload benchmarks: [`synthetic_spec`]
/// with the shared application tier of large organizations widened to /18
/// and services sized down (at most 6 tasks, 600 requests/s at peak), so
/// that 10,000 services' tasks fit the address plan.
pub fn synthetic_workloads(accounts: usize, services: usize) -> Vec<(String, String)> {
    synthetic_spec(Size::about(accounts, services))
        .into_iter()
        .map(|(name, text)| {
            let text = if name == "network.yaml" && text.contains("per_domain: false") {
                text.replace(
                    "kind: application, prefix_length: 22",
                    "kind: application, prefix_length: 18",
                )
            } else {
                text.replace("max_tasks: 20", "max_tasks: 6")
                    .replace("peak_rps: 2000", "peak_rps: 600")
            };
            (name, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_accounts_and_services() {
        let size = Size::about(2000, 10_000);
        assert!(
            (1990..=2010).contains(&size.accounts()),
            "{}",
            size.accounts()
        );
        assert!(
            (9_900..=10_100).contains(&size.services()),
            "{}",
            size.services()
        );
    }

    #[test]
    fn output_is_deterministic() {
        let size = Size {
            domains: 3,
            services_per_domain: 2,
        };
        assert_eq!(synthetic_spec(size), synthetic_spec(size));
        // landfall.yaml, network, domains, rest + per domain one data file and its services.
        assert_eq!(synthetic_spec(size).len(), 4 + 3 + 6);
    }
}
