//! `landfall.lock`: every allocation the planner ever made, so the next plan
//! can keep it.
//!
//! The file is TOML, written by [`Lockfile::to_toml`] with a fixed layout and
//! every table sorted by name, so two plans of the same spec give the same
//! bytes and a change shows up in review as a few added lines. It is read
//! back by [`Lockfile::parse`], which keeps the span of every entry so a
//! disagreement with the spec is reported at its line in the lockfile.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use ipnet::Ipv4Net;
use landfall_diagnostics::{Diagnostic, FileId, Span};
use serde::Deserialize;
use toml::Spanned;

/// The lockfile's name, next to the spec files.
pub const LOCKFILE_NAME: &str = "landfall.lock";

/// The format version written and understood.
pub const LOCK_VERSION: u32 = 1;

/// Room reserved in each dimension of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grid {
    /// Environment slots per region row (`plan_for.environments`).
    pub environments: u32,
    /// Region slots per environment (`plan_for.regions`).
    pub regions: u32,
    /// Availability-zone slots per tier (the most AZs any region uses).
    pub az_slots: u32,
    /// Domain slots of per-domain tiers (`plan_for.domains`).
    pub domain_slots: u32,
}

/// Where a tier's subnets live in every VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLock {
    pub prefix_length: u8,
    pub per_domain: bool,
    /// Addresses from the start of the VPC to the tier's first subnet.
    pub offset: u64,
    /// Subnets reserved: AZ slots, times domain slots when per domain.
    pub slots: u32,
}

impl TierLock {
    /// Addresses of one subnet.
    pub fn subnet_size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix_length.min(32)))
    }

    /// Addresses of the whole reservation.
    pub fn size(&self) -> u64 {
        self.subnet_size() * u64::from(self.slots)
    }

    /// One past the reservation's last address, from the start of the VPC.
    pub fn end(&self) -> u64 {
        self.offset + self.size()
    }
}

/// Sections of the lockfile, for locating entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// A top-level key (`address_space`, `vpc_prefix_length`, `version`).
    Header,
    Grid,
    Environments,
    Regions,
    Domains,
    Tiers,
    Vpcs,
    Subnets,
}

/// The contents of `landfall.lock`.
#[derive(Debug, Clone, Default)]
pub struct Lockfile {
    pub address_space: Ipv4Net,
    pub vpc_prefix_length: u8,
    pub grid: Grid,
    /// Environment name → slot (column of the VPC grid).
    pub environments: BTreeMap<String, u32>,
    /// Region name → slot (row of the VPC grid).
    pub regions: BTreeMap<String, u32>,
    /// Domain name → slot in per-domain tiers.
    pub domains: BTreeMap<String, u32>,
    /// Tier name → its place in every VPC.
    pub tiers: BTreeMap<String, TierLock>,
    /// VPC name → CIDR.
    pub vpcs: BTreeMap<String, Ipv4Net>,
    /// Subnet name → CIDR.
    pub subnets: BTreeMap<String, Ipv4Net>,
    pub(crate) spans: BTreeMap<(Section, String), Span>,
}

/// Lockfiles are equal when their allocations are; where they were read
/// from does not matter.
impl PartialEq for Lockfile {
    fn eq(&self, other: &Self) -> bool {
        self.address_space == other.address_space
            && self.vpc_prefix_length == other.vpc_prefix_length
            && self.grid == other.grid
            && self.environments == other.environments
            && self.regions == other.regions
            && self.domains == other.domains
            && self.tiers == other.tiers
            && self.vpcs == other.vpcs
            && self.subnets == other.subnets
    }
}

impl Eq for Lockfile {}

/// What changed between two lockfiles, VPCs and subnets only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockChanges {
    /// Allocations the new lockfile has and the old one did not.
    pub added: Vec<String>,
    /// Allocations whose CIDR changed: (name, old, new).
    pub moved: Vec<(String, Ipv4Net, Ipv4Net)>,
    /// Allocations the new lockfile no longer has.
    pub removed: Vec<String>,
}

impl LockChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.moved.is_empty() && self.removed.is_empty()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLock {
    version: Spanned<u32>,
    address_space: Spanned<String>,
    vpc_prefix_length: Spanned<u8>,
    grid: RawGrid,
    #[serde(default)]
    environments: BTreeMap<String, Spanned<u32>>,
    #[serde(default)]
    regions: BTreeMap<String, Spanned<u32>>,
    #[serde(default)]
    domains: BTreeMap<String, Spanned<u32>>,
    #[serde(default)]
    tiers: BTreeMap<String, Spanned<RawTier>>,
    #[serde(default)]
    vpcs: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    subnets: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    environments: Spanned<u32>,
    regions: Spanned<u32>,
    az_slots: Spanned<u32>,
    domain_slots: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    prefix_length: u8,
    per_domain: bool,
    offset: u64,
    slots: u32,
}

fn span_of<T>(file: FileId, value: &Spanned<T>) -> Span {
    let range = value.span();
    Span::new(file, range.start, range.end)
}

impl Lockfile {
    /// Reads a lockfile; `file` is its id in the caller's source set, so
    /// every entry and every error is located in it.
    pub fn parse(text: &str, file: FileId) -> Result<Lockfile, Vec<Diagnostic>> {
        let raw: RawLock = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(error) => {
                let span = error
                    .span()
                    .map(|r| Span::new(file, r.start, r.end.max(r.start)));
                let message = error.message().trim().trim_end_matches('.').to_owned();
                let diagnostic = Diagnostic::error(
                    "net::lock-syntax",
                    format!("cannot read `{LOCKFILE_NAME}`: {message}"),
                )
                .with_optional_label(span, "here")
                .with_help(format!(
                    "fix the entry by hand, or delete `{LOCKFILE_NAME}` to plan every address anew (everything may move)"
                ))
                .in_file(file);
                return Err(vec![diagnostic]);
            }
        };
        let mut errors = Vec::new();
        let mut lock = Lockfile::default();
        if *raw.version.get_ref() != LOCK_VERSION {
            errors.push(
                Diagnostic::error(
                    "net::lock-version",
                    format!(
                        "`{LOCKFILE_NAME}` has version {}; this Landfall reads version {LOCK_VERSION}",
                        raw.version.get_ref()
                    ),
                )
                .with_label(span_of(file, &raw.version), "unknown version")
                .with_help("upgrade Landfall to the version that wrote this lockfile"),
            );
        }
        let cidr = |value: &Spanned<String>, what: &str, errors: &mut Vec<Diagnostic>| {
            let span = span_of(file, value);
            match Ipv4Net::from_str(value.get_ref()) {
                Ok(net) if net.trunc() == net => Some((net, span)),
                Ok(net) => {
                    errors.push(
                        Diagnostic::error(
                            "net::lock-invalid",
                            format!("`{}` has host bits set", value.get_ref()),
                        )
                        .with_label(span, format!("not the network address of {what}"))
                        .with_help(format!("did you mean `{}`?", net.trunc())),
                    );
                    None
                }
                Err(_) => {
                    errors.push(
                        Diagnostic::error(
                            "net::lock-invalid",
                            format!("`{}` is not an IPv4 CIDR block", value.get_ref()),
                        )
                        .with_label(span, format!("expected the CIDR of {what}"))
                        .with_help("for example `10.0.0.0/16`"),
                    );
                    None
                }
            }
        };
        if let Some((net, span)) = cidr(&raw.address_space, "the address space", &mut errors) {
            lock.address_space = net;
            lock.spans
                .insert((Section::Header, "address_space".into()), span);
        }
        lock.vpc_prefix_length = *raw.vpc_prefix_length.get_ref();
        lock.spans.insert(
            (Section::Header, "vpc_prefix_length".into()),
            span_of(file, &raw.vpc_prefix_length),
        );
        lock.grid = Grid {
            environments: *raw.grid.environments.get_ref(),
            regions: *raw.grid.regions.get_ref(),
            az_slots: *raw.grid.az_slots.get_ref(),
            domain_slots: *raw.grid.domain_slots.get_ref(),
        };
        for (key, value) in [
            ("environments", &raw.grid.environments),
            ("regions", &raw.grid.regions),
            ("az_slots", &raw.grid.az_slots),
            ("domain_slots", &raw.grid.domain_slots),
        ] {
            lock.spans
                .insert((Section::Grid, key.into()), span_of(file, value));
        }
        for (section, source, target) in [
            (
                Section::Environments,
                &raw.environments,
                &mut lock.environments,
            ),
            (Section::Regions, &raw.regions, &mut lock.regions),
            (Section::Domains, &raw.domains, &mut lock.domains),
        ] {
            for (name, slot) in source {
                target.insert(name.clone(), *slot.get_ref());
                lock.spans
                    .insert((section, name.clone()), span_of(file, slot));
            }
        }
        for (name, tier) in &raw.tiers {
            let t = tier.get_ref();
            lock.tiers.insert(
                name.clone(),
                TierLock {
                    prefix_length: t.prefix_length,
                    per_domain: t.per_domain,
                    offset: t.offset,
                    slots: t.slots,
                },
            );
            lock.spans
                .insert((Section::Tiers, name.clone()), span_of(file, tier));
            if t.prefix_length > 32 {
                errors.push(
                    Diagnostic::error(
                        "net::lock-invalid",
                        format!("tier `{name}` has prefix length {}", t.prefix_length),
                    )
                    .with_label(span_of(file, tier), "not an IPv4 prefix length")
                    .with_help("prefix lengths are 0 to 32"),
                );
            }
        }
        for (name, value) in &raw.vpcs {
            if let Some((net, span)) = cidr(value, &format!("VPC `{name}`"), &mut errors) {
                lock.vpcs.insert(name.clone(), net);
                lock.spans.insert((Section::Vpcs, name.clone()), span);
            }
        }
        for (name, value) in &raw.subnets {
            if let Some((net, span)) = cidr(value, &format!("subnet `{name}`"), &mut errors) {
                lock.subnets.insert(name.clone(), net);
                lock.spans.insert((Section::Subnets, name.clone()), span);
            }
        }
        if errors.is_empty() {
            Ok(lock)
        } else {
            Err(errors)
        }
    }

    /// Where an entry was read from, when this lockfile was parsed.
    pub fn span(&self, section: Section, name: &str) -> Option<Span> {
        self.spans.get(&(section, name.to_owned())).copied()
    }

    /// The file's text: fixed layout, every table sorted, so it diffs well.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# landfall.lock: every address allocation of the platform, written by\n\
             # `landfall net`. Commit it next to the spec, like Cargo.lock.\n\
             # Allocations recorded here never move and are never reused:\n\
             # `landfall net --update` re-plans on purpose and reports what moves,\n\
             # and `--update --prune` frees what the spec no longer has.\n",
        );
        let _ = writeln!(out, "version = {LOCK_VERSION}");
        let _ = writeln!(out, "address_space = \"{}\"", self.address_space);
        let _ = writeln!(out, "vpc_prefix_length = {}", self.vpc_prefix_length);
        out.push_str(
            "\n# Room reserved in every dimension. A VPC's block in the address space is\n\
             # (environment slot x regions + region slot); a per-domain subnet's slot in\n\
             # its tier is (domain slot x az_slots + AZ index).\n[grid]\n",
        );
        let _ = writeln!(out, "environments = {}", self.grid.environments);
        let _ = writeln!(out, "regions = {}", self.grid.regions);
        let _ = writeln!(out, "az_slots = {}", self.grid.az_slots);
        let _ = writeln!(out, "domain_slots = {}", self.grid.domain_slots);
        for (title, map) in [
            ("environments", &self.environments),
            ("regions", &self.regions),
            ("domains", &self.domains),
        ] {
            let _ = writeln!(out, "\n[{title}]");
            for (name, slot) in map {
                let _ = writeln!(out, "{} = {slot}", key(name));
            }
        }
        out.push_str(
            "\n# Where each tier's subnets start in every VPC (addresses from the VPC's\n\
             # first address) and how many subnets it reserves.\n[tiers]\n",
        );
        let mut tiers: Vec<(&String, &TierLock)> = self.tiers.iter().collect();
        tiers.sort_by_key(|(name, t)| (t.offset, (*name).clone()));
        for (name, t) in tiers {
            let _ = writeln!(
                out,
                "{} = {{ prefix_length = {}, per_domain = {}, offset = {}, slots = {} }}",
                key(name),
                t.prefix_length,
                t.per_domain,
                t.offset,
                t.slots
            );
        }
        out.push_str("\n[vpcs]\n");
        for (name, net) in &self.vpcs {
            let _ = writeln!(out, "{} = \"{net}\"", key(name));
        }
        out.push_str("\n[subnets]\n");
        for (name, net) in &self.subnets {
            let _ = writeln!(out, "{} = \"{net}\"", key(name));
        }
        out
    }

    /// What changed from `old` to `self`, VPCs and subnets, sorted by name.
    pub fn changes_from(&self, old: &Lockfile) -> LockChanges {
        let mut changes = LockChanges::default();
        for (new, old) in [(&self.vpcs, &old.vpcs), (&self.subnets, &old.subnets)] {
            for (name, net) in new {
                match old.get(name) {
                    None => changes.added.push(name.clone()),
                    Some(before) if before != net => {
                        changes.moved.push((name.clone(), *before, *net));
                    }
                    Some(_) => {}
                }
            }
            for name in old.keys() {
                if !new.contains_key(name) {
                    changes.removed.push(name.clone());
                }
            }
        }
        changes
    }
}

/// A TOML key: bare when it can be, quoted otherwise.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        return name.to_owned();
    }
    let mut out = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use landfall_diagnostics::SourceSet;

    fn sample() -> Lockfile {
        let mut lock = Lockfile {
            address_space: "10.0.0.0/8".parse().unwrap_or_default(),
            vpc_prefix_length: 16,
            grid: Grid {
                environments: 4,
                regions: 4,
                az_slots: 3,
                domain_slots: 8,
            },
            ..Lockfile::default()
        };
        lock.environments.insert("prod".into(), 0);
        lock.regions.insert("eu-central-1".into(), 0);
        lock.domains.insert("trading".into(), 0);
        lock.tiers.insert(
            "app".into(),
            TierLock {
                prefix_length: 22,
                per_domain: true,
                offset: 0,
                slots: 24,
            },
        );
        lock.vpcs.insert(
            "prod-eu-central-1".into(),
            "10.0.0.0/16".parse().unwrap_or_default(),
        );
        lock.subnets.insert(
            "odd name \"quoted\"".into(),
            "10.0.0.0/22".parse().unwrap_or_default(),
        );
        lock
    }

    #[test]
    fn round_trips_through_text() {
        let lock = sample();
        let text = lock.to_toml();
        let mut sources = SourceSet::default();
        let file = sources.add(LOCKFILE_NAME, text.as_str());
        let back = Lockfile::parse(&text, file).map_err(|e| format!("{e:?}"));
        assert_eq!(back.as_ref().ok(), Some(&lock), "{back:?}");
        assert_eq!(back.map(|b| b.to_toml()).ok(), Some(text));
    }

    #[test]
    fn invalid_cidr_is_located_at_its_value() {
        let text = sample().to_toml().replace("10.0.0.0/22", "10.0.0.1/22");
        let mut sources = SourceSet::default();
        let file = sources.add(LOCKFILE_NAME, text.as_str());
        let errors = Lockfile::parse(&text, file).err().unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "net::lock-invalid");
        let span = errors[0].primary_span().map(|s| sources.location(s));
        let line = text
            .lines()
            .position(|l| l.contains("10.0.0.1/22"))
            .map(|i| i + 1);
        assert_eq!(span.map(|l| l.line), line);
    }

    #[test]
    fn syntax_errors_are_located() {
        let text = "version = 1\naddress_space = \n";
        let mut sources = SourceSet::default();
        let file = sources.add(LOCKFILE_NAME, text);
        let errors = Lockfile::parse(text, file).err().unwrap_or_default();
        assert_eq!(errors[0].code, "net::lock-syntax");
        assert!(errors[0].primary_span().is_some());
    }
}
