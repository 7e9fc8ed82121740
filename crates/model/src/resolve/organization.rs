//! Organization, regions, environments, domains, OUs and accounts.

use landfall_spec::types::{AccountClass, EgressMode, OuLayout, Owner};
use landfall_spec::{Pointer, Spec};

use super::{item, Names, Resolver};
use crate::aws;
use crate::limits::Limits;
use crate::model::*;

/// What the organization part resolves, used by every later part.
pub(crate) struct Org {
    pub info: OrganizationInfo,
    pub regions: Vec<Region>,
    pub environments: Vec<Environment>,
    pub domains: Vec<Domain>,
    pub ous: Vec<OrganizationalUnit>,
    pub accounts: Vec<Account>,
    pub env_names: Names<EnvId>,
    pub domain_names: Names<DomainId>,
    pub account_names: Names<AccountId>,
}

/// Core classes every platform needs exactly one of.
const REQUIRED_CORE: &[(AccountClass, &str)] = &[
    (
        AccountClass::Management,
        "the organization's management account",
    ),
    (AccountClass::LogArchive, "central, write-once log storage"),
    (
        AccountClass::SecurityTooling,
        "delegated administration of security services",
    ),
    (
        AccountClass::Networking,
        "the VPCs shared to workload accounts",
    ),
    (
        AccountClass::SharedServices,
        "CI/CD roles, ECR and CodeArtifact",
    ),
];

/// Core classes a platform may have at most one of.
const SINGLE_CORE: &[AccountClass] = &[AccountClass::Observability, AccountClass::Backup];

pub(crate) fn resolve(r: &mut Resolver<'_>, spec: &Spec, limits: &Limits) -> Option<Org> {
    let organization = spec.organization.as_ref()?;
    let at = &organization.at;
    r.check_name(
        "organization slug",
        &organization.slug,
        20,
        &at.child("slug"),
    );
    if !organization.email_domain.contains('.') || organization.email_domain.contains('@') {
        r.error(
            "spec::invalid-email-domain",
            format!("`{}` is not a mail domain", organization.email_domain),
            &at.child("email_domain"),
            "expected a domain such as `aws.example.com`",
            "account root emails are `aws+<account>@<email_domain>`",
        );
    }

    // Regions.
    let mut regions = Vec::new();
    let mut region_names = Names::new("region");
    for (i, name) in organization.regions.iter().enumerate() {
        let region_at = item(at, "regions", i);
        let Some(available) = aws::region_azs(name) else {
            r.error(
                "spec::unknown-region",
                format!("unknown AWS region `{name}`"),
                &region_at,
                "not a commercial AWS region",
                landfall_diagnostics::did_you_mean(name, aws::REGIONS.iter().map(|(n, _)| *n)),
            );
            continue;
        };
        let id = RegionId::from_index(regions.len());
        if !r.define(&mut region_names, name, id, &region_at, &|_| {
            region_at.clone()
        }) {
            continue;
        }
        let azs = if organization.azs_per_region > available {
            r.error(
                "spec::too-many-azs",
                format!(
                    "`{name}` has {available} availability zones, {} are asked for",
                    organization.azs_per_region
                ),
                &at.child("azs_per_region"),
                "more than this region offers",
                format!("set `azs_per_region` to at most {available}, or choose regions with more zones"),
            );
            available
        } else {
            organization.azs_per_region
        };
        regions.push(Region {
            id,
            name: name.clone(),
            azs: aws::az_names(name, azs),
        });
    }
    if organization.regions.len() < 2 {
        r.error_at_key(
            "spec::too-few-regions",
            format!(
                "{} region given; the platform runs in at least two",
                organization.regions.len()
            ),
            &at.child("regions"),
            "one region cannot survive a regional outage",
            "list a second region, for example `regions: [eu-central-1, eu-west-1]`",
        );
    }
    if organization.azs_per_region < 2 {
        r.error(
            "spec::too-few-azs",
            "a single availability zone cannot survive a zone outage",
            &at.child("azs_per_region"),
            "at least 2 (3 recommended)",
            "set `azs_per_region: 3`",
        );
    }
    let home_region = RegionId(0);

    // Environments (egress is filled in by the network part).
    let mut environments = Vec::new();
    let mut env_names = Names::new("environment");
    for (i, env) in organization.environments.iter().enumerate() {
        let env_at = item(at, "environments", i);
        if !r.check_name("environment", &env.name, 12, &env_at.child("name")) {
            continue;
        }
        let id = EnvId::from_index(environments.len());
        let envs_so_far: Vec<Pointer> = (0..organization.environments.len())
            .map(|j| item(at, "environments", j).child("name"))
            .collect();
        let first_at = |existing: EnvId| envs_so_far[existing.index()].clone();
        if !r.define(
            &mut env_names,
            &env.name,
            id,
            &env_at.child("name"),
            &first_at,
        ) {
            continue;
        }
        let env_regions = match &env.regions {
            None => regions.iter().map(|region| region.id).collect(),
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(|(j, name)| r.lookup(&region_names, name, &item(&env_at, "regions", j)))
                .collect(),
        };
        environments.push(Environment {
            id,
            name: env.name.clone(),
            production: env.production,
            regions: env_regions,
            egress: Egress {
                mode: EgressMode::Blocked,
                allow_domains: Vec::new(),
                allow_cidrs: Vec::new(),
            },
            origin: env_at,
        });
    }
    if organization.environments.is_empty() {
        r.error_at_key(
            "spec::no-environments",
            "no environments are defined",
            &at.child("environments"),
            "empty",
            "add at least one, for example `- name: prod\\n  production: true`",
        );
    }

    // Domains.
    let mut domains = Vec::new();
    let mut domain_names = Names::new("domain");
    let domain_origins: Vec<Pointer> = spec.domains.iter().map(|d| d.at.child("name")).collect();
    for domain in &spec.domains {
        let name_at = domain.at.child("name");
        if !r.check_name("domain", &domain.name, 24, &name_at) {
            continue;
        }
        let id = DomainId::from_index(domains.len());
        let first_at = |existing: DomainId| domain_origins[existing.index()].clone();
        if !r.define(&mut domain_names, &domain.name, id, &name_at, &first_at) {
            continue;
        }
        check_owner(r, &domain.owner, &domain.at.child("owner"));
        let envs = match &domain.environments {
            None => environments.iter().map(|e| e.id).collect(),
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(|(j, name)| {
                    r.lookup(&env_names, name, &item(&domain.at, "environments", j))
                })
                .collect(),
        };
        domains.push(Domain {
            id,
            name: domain.name.clone(),
            description: domain.description.clone(),
            owner: domain.owner.clone(),
            environments: envs,
            cost_center: domain.cost_center.clone(),
            origin: domain.at.clone(),
        });
    }
    if spec.domains.is_empty() && !r.incomplete {
        r.error(
            "spec::no-domains",
            "no business domains are defined",
            at,
            "",
            "add a `domains:` list; accounts, subnets and budgets are organized by domain",
        );
    }

    let mut ous = organizational_units(organization.ou_layout, &domains, &environments);
    add_class_ous(&mut ous, spec);
    let max_depth = ous.iter().map(|ou| ou.depth).max().unwrap_or(0);
    if max_depth as u64 > limits.ou_max_depth {
        r.error(
            "limits::ou-depth",
            format!(
                "OUs nest {max_depth} levels deep; AWS allows {}",
                limits.ou_max_depth
            ),
            &at.child("ou_layout"),
            "this layout nests too deep",
            "choose a flatter `ou_layout`",
        );
    }

    let accounts = accounts(r, spec, organization, &domains, &environments, &ous);
    let mut account_names = Names::new("account");
    let origins: Vec<Pointer> = accounts.iter().map(|a| a.origin.clone()).collect();
    for account in &accounts {
        let origin = account.origin.clone();
        let first_at = |existing: AccountId| origins[existing.index()].clone();
        r.define(
            &mut account_names,
            &account.name,
            account.id,
            &origin,
            &first_at,
        );
    }
    check_accounts(r, &accounts, at, limits);

    Some(Org {
        info: OrganizationInfo {
            name: organization.name.clone(),
            slug: organization.slug.clone(),
            email_domain: organization.email_domain.clone(),
            home_region,
            origin: at.clone(),
        },
        regions,
        environments,
        domains,
        ous,
        accounts,
        env_names,
        domain_names,
        account_names,
    })
}

fn check_owner(r: &mut Resolver<'_>, owner: &Owner, at: &Pointer) {
    if !is_email(&owner.email) {
        r.error(
            "spec::invalid-email",
            format!("`{}` is not an email address", owner.email),
            &at.child("email"),
            "expected `name@domain`",
            "give the team's mailbox, for example `payments-team@example.com`",
        );
    }
}

pub(crate) fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !text.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn organizational_units(
    layout: OuLayout,
    domains: &[Domain],
    environments: &[Environment],
) -> Vec<OrganizationalUnit> {
    let mut ous: Vec<OrganizationalUnit> = Vec::new();
    let add = |name: String,
               parent: Option<OuId>,
               kind: OuKind,
               domain: Option<DomainId>,
               environment: Option<EnvId>,
               ous: &mut Vec<OrganizationalUnit>| {
        let id = OuId::from_index(ous.len());
        let (path, depth) = match parent {
            Some(p) => (
                format!("{}/{name}", ous[p.index()].path),
                ous[p.index()].depth + 1,
            ),
            None => (name.clone(), 0),
        };
        ous.push(OrganizationalUnit {
            id,
            name,
            path,
            parent,
            depth,
            kind,
            domain,
            environment,
            class: None,
        });
        id
    };
    let root = add("Root".into(), None, OuKind::Root, None, None, &mut ous);
    add(
        "Core".into(),
        Some(root),
        OuKind::Core,
        None,
        None,
        &mut ous,
    );
    add(
        "Sandbox".into(),
        Some(root),
        OuKind::Sandbox,
        None,
        None,
        &mut ous,
    );
    add(
        "Suspended".into(),
        Some(root),
        OuKind::Suspended,
        None,
        None,
        &mut ous,
    );
    let workloads = add(
        "Workloads".into(),
        Some(root),
        OuKind::Workloads,
        None,
        None,
        &mut ous,
    );
    match layout {
        OuLayout::DomainEnvironment => {
            for domain in domains {
                let d = add(
                    domain.name.clone(),
                    Some(workloads),
                    OuKind::Domain,
                    Some(domain.id),
                    None,
                    &mut ous,
                );
                for env in &domain.environments {
                    let name = environments[env.index()].name.clone();
                    add(
                        name,
                        Some(d),
                        OuKind::Environment,
                        Some(domain.id),
                        Some(*env),
                        &mut ous,
                    );
                }
            }
        }
        OuLayout::EnvironmentDomain => {
            for env in environments {
                let e = add(
                    env.name.clone(),
                    Some(workloads),
                    OuKind::Environment,
                    None,
                    Some(env.id),
                    &mut ous,
                );
                for domain in domains.iter().filter(|d| d.environments.contains(&env.id)) {
                    add(
                        domain.name.clone(),
                        Some(e),
                        OuKind::Domain,
                        Some(domain.id),
                        Some(env.id),
                        &mut ous,
                    );
                }
            }
        }
    }
    ous
}

/// The OU of a declared account's class, under `Core` (or `Workloads` for
/// hand-declared workload accounts); the management account stays at the
/// root and sandboxes share `Sandbox`, which holds nothing else.
///
/// A service-managed StackSet deployed to an OU reaches every account in it
/// and in the OUs below it, and auto-deployment adds every account that
/// joins them
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html>):
/// the config-rules StackSet of one class can target only OUs whose
/// accounts are all of that class. These OUs are appended after the
/// others, so existing OU ids stay as they were.
fn add_class_ous(ous: &mut Vec<OrganizationalUnit>, spec: &Spec) {
    let mut classes: Vec<AccountClass> = spec
        .accounts
        .iter()
        .map(|a| a.class)
        .filter(|c| !matches!(c, AccountClass::Management | AccountClass::Sandbox))
        .collect();
    classes.sort();
    classes.dedup();
    for class in classes {
        let (parent_kind, name) = match class {
            AccountClass::Workload => (OuKind::Workloads, "Standalone"),
            _ => (OuKind::Core, class_ou_name(class)),
        };
        let parent = ou_of_kind(ous, parent_kind);
        let parent_ou = &ous[parent.index()];
        let ou = OrganizationalUnit {
            id: OuId::from_index(ous.len()),
            name: name.to_owned(),
            path: format!("{}/{name}", parent_ou.path),
            parent: Some(parent),
            depth: parent_ou.depth + 1,
            kind: OuKind::Class,
            domain: None,
            environment: None,
            class: Some(class),
        };
        ous.push(ou);
    }
}

fn class_ou_name(class: AccountClass) -> &'static str {
    match class {
        AccountClass::LogArchive => "LogArchive",
        AccountClass::SecurityTooling => "SecurityTooling",
        AccountClass::Networking => "Networking",
        AccountClass::SharedServices => "SharedServices",
        AccountClass::Observability => "Observability",
        AccountClass::Backup => "Backup",
        AccountClass::Management => "Management",
        AccountClass::Sandbox => "Sandbox",
        AccountClass::Workload => "Standalone",
    }
}

fn class_ou(ous: &[OrganizationalUnit], class: AccountClass) -> Option<OuId> {
    ous.iter()
        .find(|ou| ou.kind == OuKind::Class && ou.class == Some(class))
        .map(|ou| ou.id)
}

/// The OU a workload account of (domain, environment) lives in.
fn workload_ou(ous: &[OrganizationalUnit], domain: DomainId, env: EnvId) -> OuId {
    ous.iter()
        .find(|ou| ou.domain == Some(domain) && ou.environment == Some(env))
        .map_or(OuId(0), |ou| ou.id)
}

fn ou_of_kind(ous: &[OrganizationalUnit], kind: OuKind) -> OuId {
    ous.iter()
        .find(|ou| ou.kind == kind)
        .map_or(OuId(0), |ou| ou.id)
}

fn accounts(
    r: &mut Resolver<'_>,
    spec: &Spec,
    organization: &landfall_spec::Located<landfall_spec::types::Organization>,
    domains: &[Domain],
    environments: &[Environment],
    ous: &[OrganizationalUnit],
) -> Vec<Account> {
    let email_for = |name: &str| format!("aws+{name}@{}", organization.email_domain);
    let platform_owner = Owner {
        team: "platform".to_owned(),
        email: format!("platform@{}", organization.email_domain),
        chat: None,
        pager: None,
    };
    let mut accounts = Vec::new();
    // The management account first, then the other declared accounts, then
    // derived workload accounts, so ids are stable within a spec.
    let mut declared: Vec<_> = spec.accounts.iter().collect();
    declared.sort_by_key(|a| a.class != AccountClass::Management);
    for account in declared {
        let name_at = account.at.child("name");
        r.check_name("account", &account.name, 50, &name_at);
        let email = account
            .email
            .clone()
            .unwrap_or_else(|| email_for(&account.name));
        if let Some(given) = &account.email {
            if !is_email(given) {
                r.error(
                    "spec::invalid-email",
                    format!("`{given}` is not an email address"),
                    &account.at.child("email"),
                    "expected `name@domain`",
                    "remove it to use the default `aws+<account>@<email_domain>`",
                );
            }
        }
        if let Some(owner) = &account.owner {
            check_owner(r, owner, &account.at.child("owner"));
        }
        let ou = match account.class {
            AccountClass::Management => OuId(0),
            AccountClass::Sandbox => ou_of_kind(ous, OuKind::Sandbox),
            AccountClass::Workload => {
                class_ou(ous, account.class).unwrap_or_else(|| ou_of_kind(ous, OuKind::Workloads))
            }
            _ => class_ou(ous, account.class).unwrap_or_else(|| ou_of_kind(ous, OuKind::Core)),
        };
        accounts.push(Account {
            id: AccountId::from_index(accounts.len()),
            name: account.name.clone(),
            email,
            class: account.class,
            ou,
            domain: None,
            environment: None,
            owner: account
                .owner
                .clone()
                .unwrap_or_else(|| platform_owner.clone()),
            origin: name_at,
        });
    }
    for domain in domains {
        for env in &domain.environments {
            let env_name = &environments[env.index()].name;
            let name = format!("{}-{env_name}", domain.name);
            accounts.push(Account {
                id: AccountId::from_index(accounts.len()),
                email: email_for(&name),
                name,
                class: AccountClass::Workload,
                ou: workload_ou(ous, domain.id, *env),
                domain: Some(domain.id),
                environment: Some(*env),
                owner: domain.owner.clone(),
                origin: domain.origin.child("name"),
            });
        }
    }
    accounts
}

fn check_accounts(r: &mut Resolver<'_>, accounts: &[Account], org_at: &Pointer, limits: &Limits) {
    for (class, purpose) in REQUIRED_CORE {
        let of_class: Vec<&Account> = accounts.iter().filter(|a| a.class == *class).collect();
        let class_name = class_name(*class);
        match of_class.as_slice() {
            [] => r.error(
                "spec::missing-core-account",
                format!("no `{class_name}` account is defined"),
                org_at,
                "",
                format!("add `- {{ name: {class_name}, class: {class_name} }}` to `accounts` ({purpose})"),
            ),
            [_] => {}
            [_, second, ..] => {
                let at = second.origin.clone();
                r.error(
                    "spec::duplicate-core-account",
                    format!("more than one `{class_name}` account"),
                    &at,
                    "second one",
                    format!("a platform has exactly one `{class_name}` account; change this one's class"),
                );
            }
        }
    }
    for class in SINGLE_CORE {
        let of_class: Vec<&Account> = accounts.iter().filter(|a| a.class == *class).collect();
        if let [_, second, ..] = of_class.as_slice() {
            let at = second.origin.clone();
            let class_name = class_name(*class);
            r.error(
                "spec::duplicate-core-account",
                format!("more than one `{class_name}` account"),
                &at,
                "second one",
                format!(
                    "a platform has at most one `{class_name}` account; change this one's class"
                ),
            );
        }
    }
    let mut emails = std::collections::BTreeMap::new();
    for account in accounts {
        if let Some(first) = emails.insert(account.email.to_ascii_lowercase(), account.name.clone())
        {
            let at = account.origin.clone();
            r.error(
                "spec::duplicate-email",
                format!(
                    "accounts `{first}` and `{}` share the email `{}`",
                    account.name, account.email
                ),
                &at,
                "same root email as another account",
                "every AWS account needs its own root email",
            );
        }
        if account.email.len() > 64 {
            let at = account.origin.clone();
            r.error(
                "spec::email-too-long",
                format!(
                    "root email `{}` is {} characters; AWS accepts at most 64",
                    account.email,
                    account.email.len()
                ),
                &at,
                "derived from this name",
                "shorten the account or domain name, or give the account an `email`",
            );
        }
    }
    if accounts.len() as u64 > limits.accounts_per_organization {
        r.error_at_key(
            "limits::accounts",
            format!(
                "the platform has {} accounts; the organization allows {}",
                accounts.len(),
                limits.accounts_per_organization
            ),
            org_at,
            "too many accounts",
            format!(
                "raise the quota through Service Quotas and record it as `limits: {{ accounts_per_organization: {} }}`",
                accounts.len().next_multiple_of(10).max(accounts.len() + 10)
            ),
        );
    }
}

pub(crate) fn class_name(class: AccountClass) -> &'static str {
    match class {
        AccountClass::Management => "management",
        AccountClass::LogArchive => "log-archive",
        AccountClass::SecurityTooling => "security-tooling",
        AccountClass::Networking => "networking",
        AccountClass::SharedServices => "shared-services",
        AccountClass::Observability => "observability",
        AccountClass::Backup => "backup",
        AccountClass::Sandbox => "sandbox",
        AccountClass::Workload => "workload",
    }
}
