//! Audit: inventory every member account and allowed region once, run every
//! guardrail rule over the same resource view `landfall check` builds, and
//! add drift against the spec.
//!
//! Each account-region becomes one document in the view, named
//! `aws://<account>/<region>`, in the CloudFormation shape the rules read
//! (the physical id is the logical id), so rules run unchanged on live
//! resources and a finding maps back to its account and region.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use landfall_rules::{LoadOptions, Settings, ViewBuilder};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::aws::{Clients, Session, AUDIT_ROLES};
use crate::deploy::bounded;
use crate::desired::{Desired, StackTarget};
use crate::error::LiveError;
use crate::inventory::{self, Inventory};
use crate::org::{self, same_policy, OrgState};
use crate::progress::Progress;

/// One problem found in a live account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AuditFinding {
    /// Rule code: `LF501` for guardrail rules, `LFD...` for drift.
    pub rule: String,
    /// Rule name: `ssh-open-to-internet`, `account-in-wrong-ou`.
    pub name: String,
    pub severity: String,
    /// Account name (the spec's, or AWS's for accounts not in the spec).
    pub account: String,
    pub account_id: String,
    /// Region, or `global` for organization, IAM and account-level findings.
    pub region: String,
    pub resource: String,
    pub resource_type: String,
    pub message: String,
    /// `guardrail` or `drift`.
    pub kind: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AccountSummary {
    pub account: String,
    pub account_id: String,
    pub reachable: bool,
    pub regions: Vec<String>,
    pub resources: usize,
    pub findings: usize,
    pub api_calls: u64,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    pub findings: Vec<AuditFinding>,
    pub accounts: Vec<AccountSummary>,
    pub account_regions: usize,
    pub resources: usize,
    pub api_calls: u64,
    pub seconds: f64,
}

impl AuditReport {
    /// What the audit could not read: accounts it could not enter and
    /// reads that failed (access denied, throttling, redirects). An audit
    /// with any of these saw only part of the platform.
    pub fn unseen(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in &self.accounts {
            if !a.reachable {
                out.push(format!(
                    "account `{}` ({}): not entered",
                    a.account, a.account_id
                ));
            }
            for e in &a.errors {
                out.push(format!("account `{}` ({}): {e}", a.account, a.account_id));
            }
        }
        out
    }

    /// Whether everything was read.
    pub fn complete(&self) -> bool {
        self.unseen().is_empty()
    }

    /// API calls per audited account-region (organization reads included).
    pub fn calls_per_account_region(&self) -> f64 {
        if self.account_regions == 0 {
            0.0
        } else {
            self.api_calls as f64 / self.account_regions as f64
        }
    }
}

/// Drift codes: Landfall's own, beside the rule table's `LF` codes.
pub const DRIFT: &[(&str, &str, &str)] = &[
    ("LFD001", "account-missing", "high"),
    ("LFD002", "account-in-wrong-ou", "high"),
    ("LFD003", "scp-missing", "critical"),
    ("LFD004", "scp-modified", "critical"),
    ("LFD005", "scp-detached", "critical"),
    ("LFD006", "stack-missing", "high"),
    ("LFD007", "stack-failed", "high"),
    ("LFD008", "vpc-differs", "high"),
    ("LFD009", "subnet-differs", "medium"),
    ("LFD010", "account-unreachable", "high"),
    ("LFD011", "assignment-not-in-spec", "high"),
    ("LFD012", "assignment-missing", "medium"),
    ("LFD013", "permission-set-modified", "high"),
    ("LFD014", "permission-set-missing", "high"),
    ("LFD015", "on-call-without-grant", "critical"),
];

pub(crate) fn drift(
    code: &str,
    account: &str,
    account_id: &str,
    region: &str,
    resource: &str,
    resource_type: &str,
    message: String,
) -> AuditFinding {
    let (rule, name, severity) = DRIFT
        .iter()
        .find(|d| d.0 == code)
        .copied()
        .unwrap_or((code, code, "high"));
    AuditFinding {
        rule: rule.to_owned(),
        name: name.to_owned(),
        severity: severity.to_owned(),
        account: account.to_owned(),
        account_id: account_id.to_owned(),
        region: region.to_owned(),
        resource: resource.to_owned(),
        resource_type: resource_type.to_owned(),
        message,
        kind: "drift".into(),
    }
}

struct Target {
    name: String,
    id: String,
    environment: Option<String>,
}

/// The active on-call grants, read in the access account's home region.
async fn grants(
    session: &Session,
    mgmt: &Clients,
    org: &OrgState,
    account: &str,
    home: &str,
) -> Result<BTreeSet<(String, String, String)>, String> {
    let ids: BTreeMap<String, String> = org
        .accounts
        .iter()
        .map(|a| (a.name.clone(), a.id.clone()))
        .collect();
    let clients = match ids.get(account) {
        Some(id) if *id != org.management_account_id => session
            .member(mgmt, id, home, &AUDIT_ROLES)
            .await
            .map_err(|e| format!("cannot read the on-call grants in `{account}`: {e}"))?,
        _ => mgmt.in_region(home),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::access::active_grants(&clients, &ids, now).await
}

/// Audits the live platform against the spec's rules and desired state.
pub async fn audit(
    session: &Session,
    desired: &Desired,
    settings: &Settings,
    concurrency: usize,
    progress: &Progress,
) -> Result<AuditReport, LiveError> {
    let started = Instant::now();
    let calls_before = session.calls.get();
    let stop = progress.spawn_ticker();
    let mgmt = session.management().await?;
    let task = progress.start("reading the organization", "IN_PROGRESS");
    let mut org = org::read(&mgmt).await?;
    org.match_accounts(&desired.accounts);
    task.finish("done");
    let mut report = AuditReport::default();
    organization_drift(desired, &org, &mut report);

    // Every account in the organization, spec or not, the management
    // account included (read with the caller's own credentials: no role of
    // the platform exists there).
    let targets: Vec<Target> = org
        .accounts
        .iter()
        .filter(|a| a.active)
        .map(|a| Target {
            name: a.name.clone(),
            id: a.id.clone(),
            environment: desired.account(&a.name).and_then(|d| d.environment.clone()),
        })
        .collect();
    let regions = desired.regions.clone();
    let home = desired.home_region.clone();
    let task = progress.start(
        format!(
            "inventory of {} accounts × {} regions",
            targets.len(),
            regions.len()
        ),
        "IN_PROGRESS",
    );
    // Jobs: (account index, region, global?) — the home region job also
    // fetches the account's global resources.
    let mut jobs = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        for r in &regions {
            jobs.push((i, t.id.clone(), r.clone(), *r == home));
        }
    }
    let total = jobs.len();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let session2 = session.clone();
    let mgmt2 = mgmt.clone();
    let task2 = task.clone();
    let done2 = done.clone();
    let results = bounded(concurrency, jobs, move |(i, id, region, global)| {
        let session = session2.clone();
        let mgmt = mgmt2.clone();
        let task = task2.clone();
        let done = done2.clone();
        async move {
            let r = inventory_one(&session, &mgmt, &id, &region, global).await;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            task.status(&format!("{n}/{total} account-regions"));
            (i, region, r)
        }
    })
    .await;
    task.finish(&format!("{total} account-regions"));

    // Per account summaries; documents per account-region.
    let mut summaries: Vec<AccountSummary> = targets
        .iter()
        .map(|t| AccountSummary {
            account: t.name.clone(),
            account_id: t.id.clone(),
            reachable: true,
            ..AccountSummary::default()
        })
        .collect();
    let mut documents: BTreeMap<(usize, String), Vec<Resource>> = BTreeMap::new();
    let mut inventories: BTreeMap<(usize, String), Inventory> = BTreeMap::new();
    for (i, region, r) in results {
        let summary = &mut summaries[i];
        match r {
            Err(e) => {
                if summary.reachable {
                    summary.reachable = false;
                    summary.errors.push(e.to_string());
                    report.findings.push(drift(
                        "LFD010",
                        &targets[i].name,
                        &targets[i].id,
                        "global",
                        &targets[i].id,
                        "AWS::Organizations::Account",
                        format!("cannot audit: {e}"),
                    ));
                }
            }
            Ok((inv, buckets, calls)) => {
                summary.regions.push(region.clone());
                summary.api_calls += calls;
                summary
                    .errors
                    .extend(inv.errors.iter().map(|e| format!("{region}: {e}")));
                documents
                    .entry((i, region.clone()))
                    .or_default()
                    .extend(inv.resources.iter().cloned());
                for (id, kind, bucket_region, props) in buckets {
                    let r = if regions.contains(&bucket_region) {
                        bucket_region
                    } else {
                        region.clone()
                    };
                    documents.entry((i, r)).or_default().push((id, kind, props));
                }
                inventories.insert((i, region), inv);
            }
        }
    }

    // The rules, over one view of every account-region.
    let mut builder = ViewBuilder::new(LoadOptions::default());
    let mut file_of: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for ((i, region), resources) in &documents {
        let target = &targets[*i];
        let name = format!("aws://{}/{region}", target.name);
        let mut res = Map::new();
        for (id, kind, props) in resources {
            res.insert(id.clone(), json!({ "Type": kind, "Properties": props }));
        }
        // The account decides which SCPs apply (the service allowlist
        // follows the account's environment, whatever a resource's tags say).
        let mut metadata = json!({ "region": region, "account": {} });
        if let Some(env) = &target.environment {
            metadata["environment"] = json!(env);
            metadata["account"]["environment"] = json!(env);
        }
        let doc = json!({ "Metadata": { "landfall": metadata }, "Resources": res });
        builder.add_text(&name, &doc.to_string());
        file_of.insert(name, (*i, region.clone()));
        summaries[*i].resources += resources.len();
        report.resources += resources.len();
    }
    let view = builder.finish();
    let checked = landfall_rules::check(&view, settings);
    for f in checked.active() {
        let (i, region) = file_of
            .get(&f.file)
            .cloned()
            .unwrap_or((usize::MAX, String::new()));
        let (account, account_id) = targets.get(i).map_or((f.file.clone(), String::new()), |t| {
            (t.name.clone(), t.id.clone())
        });
        let global = f.resource.starts_with("user/")
            || f.resource.starts_with("access-key/")
            || f.resource.starts_with("login-profile/");
        report.findings.push(AuditFinding {
            rule: f.rule.to_owned(),
            name: f.name.to_owned(),
            severity: f.severity.name().to_owned(),
            account,
            account_id,
            region: if global { "global".to_owned() } else { region },
            resource: f.resource.clone(),
            resource_type: f.resource_type.clone(),
            message: f.message.clone(),
            kind: "guardrail".into(),
        });
    }

    stack_drift(desired, &org, &targets, &inventories, &mgmt, &mut report).await;
    network_drift(desired, &org, &targets, &inventories, &mut report);
    if !desired.identity.permission_sets.is_empty() {
        let task = progress.start("reading IAM Identity Center", "IN_PROGRESS");
        let home_clients = mgmt.in_region(&home);
        let (mut live, mut errors) =
            crate::identity::read(&home_clients, &desired.identity, &org).await;
        if let Some(access) = &desired.identity.access_account {
            match grants(session, &mgmt, &org, access, &home).await {
                Ok(grants) => live.grants = Some(grants),
                Err(e) => errors.push(e),
            }
        }
        // Permission sets live in the management account: named as the
        // spec names it (its name in AWS is often just `master`).
        let mut names: BTreeMap<String, String> = targets
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect();
        names.insert(
            org.management_account_id.clone(),
            desired.management.clone(),
        );
        report.findings.extend(crate::identity::compare(
            &desired.identity,
            &live,
            &names,
            &org.management_account_id,
        ));
        if let Some(summary) = summaries
            .iter_mut()
            .find(|s| s.account_id == org.management_account_id)
        {
            summary
                .errors
                .extend(errors.into_iter().map(|e| format!("{home}: {e}")));
        }
        task.finish("done");
    }

    for f in &report.findings {
        if let Some(s) = summaries.iter_mut().find(|s| s.account_id == f.account_id) {
            s.findings += 1;
        }
    }
    report.findings.sort();
    report.findings.dedup();
    report.account_regions = summaries.iter().map(|s| s.regions.len()).sum();
    report.accounts = summaries;
    drop(stop);
    report.api_calls = session.calls.get() - calls_before;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// One resource of a document: (logical id, CloudFormation type, properties).
type Resource = (String, String, Value);

type Fetched = (Inventory, Vec<(String, String, String, Value)>, u64);

async fn inventory_one(
    session: &Session,
    mgmt: &Clients,
    id: &str,
    region: &str,
    global: bool,
) -> Result<Fetched, LiveError> {
    let clients = if id == mgmt.account_id {
        mgmt.in_region(region)
    } else {
        session.member(mgmt, id, region, &AUDIT_ROLES).await?
    };
    let (mut inv, buckets) = if global {
        let (regional, (g, buckets)) =
            tokio::join!(inventory::regional(&clients), inventory::global(&clients));
        let mut inv = regional;
        inv.resources.extend(g.resources);
        inv.errors.extend(g.errors);
        (inv, buckets)
    } else {
        (inventory::regional(&clients).await, Vec::new())
    };
    inv.errors.sort();
    Ok((inv, buckets, clients.counter.get()))
}

fn organization_drift(desired: &Desired, org: &OrgState, report: &mut AuditReport) {
    for account in &desired.accounts {
        match org.account(&account.name) {
            None => report.findings.push(drift(
                "LFD001",
                &account.name,
                "",
                "global",
                &account.name,
                "AWS::Organizations::Account",
                format!(
                    "account `{}` does not exist; `landfall deploy` creates it",
                    account.name
                ),
            )),
            Some(l) if l.parent != account.ou => report.findings.push(drift(
                "LFD002",
                &account.name,
                &l.id,
                "global",
                &l.id,
                "AWS::Organizations::Account",
                format!(
                    "account is in `{}`, the spec puts it in `{}`",
                    l.parent, account.ou
                ),
            )),
            Some(_) => {}
        }
    }
    for scp in &desired.scps {
        let Some(l) = org.scp(&scp.name) else {
            report.findings.push(drift(
                "LFD003",
                "organization",
                &org.management_account_id,
                "global",
                &scp.name,
                "AWS::Organizations::Policy",
                format!("SCP `{}` does not exist", scp.name),
            ));
            continue;
        };
        if !same_policy(&l.content, &scp.content) {
            report.findings.push(drift(
                "LFD004",
                "organization",
                &org.management_account_id,
                "global",
                &scp.name,
                "AWS::Organizations::Policy",
                format!("SCP `{}` ({}) differs from the spec's", scp.name, l.id),
            ));
        }
        for target in &scp.targets {
            let attached = org.ous.get(target).is_some_and(|id| l.targets.contains(id));
            if !attached {
                report.findings.push(drift(
                    "LFD005",
                    "organization",
                    &org.management_account_id,
                    "global",
                    &format!("{}@{target}", scp.name),
                    "AWS::Organizations::Policy",
                    format!("SCP `{}` is not attached to `{target}`", scp.name),
                ));
            }
        }
    }
}

async fn stack_drift(
    desired: &Desired,
    org: &OrgState,
    targets: &[Target],
    inventories: &BTreeMap<(usize, String), Inventory>,
    mgmt: &Clients,
    report: &mut AuditReport,
) {
    let index_of = |name: &str| targets.iter().position(|t| t.name == name);
    for stack in &desired.stacks {
        match &stack.target {
            StackTarget::Account { account, region } => {
                let Some(i) = index_of(account) else { continue };
                let Some(inv) = inventories.get(&(i, region.clone())) else {
                    continue;
                };
                match inv.stacks.iter().find(|(n, _)| *n == stack.name) {
                    None => report.findings.push(drift(
                        "LFD006",
                        account,
                        &targets[i].id,
                        region,
                        &stack.name,
                        "AWS::CloudFormation::Stack",
                        format!("stack `{}` is missing", stack.name),
                    )),
                    Some((_, status))
                        if crate::stacks::status_kind(status)
                            != crate::stacks::StackStatusKind::Complete =>
                    {
                        report.findings.push(drift(
                            "LFD007",
                            account,
                            &targets[i].id,
                            region,
                            &stack.name,
                            "AWS::CloudFormation::Stack",
                            format!("stack `{}` is {status}", stack.name),
                        ));
                    }
                    Some(_) => {}
                }
            }
            StackTarget::StackSet {
                ous,
                accounts,
                regions,
            } => {
                let instances = crate::stacks::stack_set_instances(mgmt, &stack.name)
                    .await
                    .unwrap_or_default();
                {
                    for account in desired.stack_set_accounts(ous, accounts) {
                        let Some(id) = org.account_id(&account.name) else {
                            continue;
                        };
                        for region in regions {
                            let found =
                                instances.iter().find(|(a, r, _, _)| a == id && r == region);
                            let problem = match found {
                                None => Some((
                                    "LFD006",
                                    format!("StackSet `{}` has no instance here", stack.name),
                                )),
                                Some((_, _, _, status))
                                    if !status.is_empty() && status != "CURRENT" =>
                                {
                                    Some((
                                        "LFD007",
                                        format!("StackSet `{}` instance is {status}", stack.name),
                                    ))
                                }
                                _ => None,
                            };
                            if let Some((code, message)) = problem {
                                report.findings.push(drift(
                                    code,
                                    &account.name,
                                    id,
                                    region,
                                    &stack.name,
                                    "AWS::CloudFormation::StackSet",
                                    message,
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
}

fn network_drift(
    desired: &Desired,
    _org: &OrgState,
    targets: &[Target],
    inventories: &BTreeMap<(usize, String), Inventory>,
    report: &mut AuditReport,
) {
    for vpc in &desired.vpcs {
        let Some(i) = targets.iter().position(|t| t.name == vpc.account) else {
            continue;
        };
        let Some(inv) = inventories.get(&(i, vpc.region.clone())) else {
            continue;
        };
        let id = &targets[i].id;
        match inv.vpcs.iter().find(|(_, name, _)| *name == vpc.name) {
            None => report.findings.push(drift(
                "LFD008",
                &vpc.account,
                id,
                &vpc.region,
                &vpc.name,
                "AWS::EC2::VPC",
                format!("VPC `{}` ({}) is missing", vpc.name, vpc.cidr),
            )),
            Some((vpc_id, _, cidr)) if *cidr != vpc.cidr => report.findings.push(drift(
                "LFD008",
                &vpc.account,
                id,
                &vpc.region,
                vpc_id,
                "AWS::EC2::VPC",
                format!(
                    "VPC `{}` has {cidr}, the address plan says {}",
                    vpc.name, vpc.cidr
                ),
            )),
            Some(_) => {}
        }
        for (name, cidr, az) in &vpc.subnets {
            match inv.subnets.iter().find(|(n, _, _)| n == name) {
                None => report.findings.push(drift(
                    "LFD009",
                    &vpc.account,
                    id,
                    &vpc.region,
                    name,
                    "AWS::EC2::Subnet",
                    format!("subnet `{name}` ({cidr}, {az}) is missing"),
                )),
                Some((_, live_cidr, live_az)) if live_cidr != cidr || live_az != az => {
                    report.findings.push(drift(
                        "LFD009",
                        &vpc.account,
                        id,
                        &vpc.region,
                        name,
                        "AWS::EC2::Subnet",
                        format!("subnet `{name}` is {live_cidr} in {live_az}, the address plan says {cidr} in {az}"),
                    ));
                }
                Some(_) => {}
            }
        }
    }
}

/// Text: one line per finding, then the per-account summary.
pub fn render_text(report: &AuditReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{} {} [{}] {} ({}) {}: {}: {}",
            f.rule, f.severity, f.name, f.account, f.account_id, f.region, f.resource, f.message
        );
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{:<28} {:<14} {:>9} {:>9} {:>8} {:>9}",
        "account", "id", "regions", "resources", "findings", "API calls"
    );
    for a in &report.accounts {
        let _ = writeln!(
            out,
            "{:<28} {:<14} {:>9} {:>9} {:>8} {:>9}{}",
            a.account,
            a.account_id,
            a.regions.len(),
            a.resources,
            a.findings,
            a.api_calls,
            if a.reachable {
                String::new()
            } else {
                "  UNREACHABLE".to_owned()
            }
        );
        for e in &a.errors {
            let _ = writeln!(out, "    note: {e}");
        }
    }
    let unseen = report.unseen();
    if !unseen.is_empty() {
        let _ = writeln!(
            out,
            "incomplete: {} read(s) failed; what they cover was not audited",
            unseen.len()
        );
    }
    let _ = writeln!(
        out,
        "{} finding(s) in {} account(s), {} account-region(s), {} resource(s); {} API calls ({:.1} per account-region) in {:.1}s",
        report.findings.len(),
        report.accounts.len(),
        report.account_regions,
        report.resources,
        report.api_calls,
        report.calls_per_account_region(),
        report.seconds
    );
    out
}

pub fn render_json(report: &AuditReport) -> Value {
    json!({
        "findings": report.findings,
        "accounts": report.accounts,
        "unseen": report.unseen(),
        "summary": {
            "complete": report.complete(),
            "findings": report.findings.len(),
            "accounts": report.accounts.len(),
            "account_regions": report.account_regions,
            "resources": report.resources,
            "api_calls": report.api_calls,
            "api_calls_per_account_region": report.calls_per_account_region(),
            "seconds": report.seconds,
        }
    })
}

/// SARIF 2.1.0; each result is located logically at account/region/resource.
pub fn render_sarif(report: &AuditReport) -> Value {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    for f in &report.findings {
        rules.entry(f.rule.clone()).or_insert_with(|| {
            // The descriptor `landfall check` gives the rule: help, its page,
            // the full description and the security severity code scanning
            // shows.
            landfall_rules::report::sarif_rule(&f.rule).unwrap_or_else(|| {
                let text = f.name.replace('-', " ");
                json!({ "id": f.rule, "name": f.name, "shortDescription": { "text": text }, "fullDescription": { "text": text } })
            })
        });
    }
    let level = |s: &str| match s {
        "critical" | "high" => "error",
        "medium" => "warning",
        _ => "note",
    };
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "level": level(&f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": format!("aws://{}/{}", f.account_id, f.region) } },
                    "logicalLocations": [{
                        "name": f.resource,
                        "fullyQualifiedName": format!("{}/{}/{}", f.account, f.region, f.resource),
                        "kind": "resource"
                    }]
                }],
                "properties": { "account": f.account, "accountId": f.account_id, "region": f.region, "severity": f.severity, "resourceType": f.resource_type }
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "landfall", "informationUri": "https://github.com/landfall-dev/landfall", "version": env!("CARGO_PKG_VERSION"), "rules": rules.into_values().collect::<Vec<_>>() } },
            "results": results
        }]
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]
mod tests {
    use super::*;

    /// `audit` describes a rule as `check` does: help, its page, the full
    /// description, the security severity code scanning shows, and the
    /// driver's version.
    #[test]
    fn sarif_rule_descriptors_match_the_checks() {
        let report = AuditReport {
            findings: vec![AuditFinding {
                rule: "LF501".to_owned(),
                name: "ssh-open-to-internet".to_owned(),
                severity: "critical".to_owned(),
                account: "shop-prod".to_owned(),
                account_id: "111111111111".to_owned(),
                region: "eu-central-1".to_owned(),
                resource: "sg-1".to_owned(),
                resource_type: "AWS::EC2::SecurityGroup".to_owned(),
                message: "SSH reachable from the internet".to_owned(),
                kind: "guardrail".to_owned(),
            }],
            ..AuditReport::default()
        };
        let sarif = render_sarif(&report);
        let driver = &sarif["runs"][0]["tool"]["driver"];
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let rule = &driver["rules"][0];
        assert_eq!(rule, &landfall_rules::report::sarif_rule("LF501").unwrap());
        for key in ["help", "helpUri", "fullDescription"] {
            assert!(!rule[key].is_null(), "{key} missing: {rule:#}");
        }
        assert!(rule["properties"]["security-severity"].is_string());
    }
}
