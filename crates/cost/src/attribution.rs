//! Which domain and environment a billing line belongs to: the account's,
//! from the platform model; in an account of the model no domain owns
//! (shared services, networking, ...), the line's `user:landfall:domain`
//! cost-allocation tag; else (no such tag, or an account the model does not
//! know) `unallocated`, which the ingest reports.

use std::collections::BTreeMap;

use crate::lines::Line;

/// Lines attributed to no domain.
pub const UNALLOCATED: &str = "unallocated";
/// The environment of tag-attributed spend in shared accounts.
pub const SHARED: &str = "shared";

/// Account names (as AWS Organizations knows them, which is how the model
/// names them) to their domain and environment. Built by the CLI from the
/// model; this crate knows no spec.
#[derive(Debug, Clone, Default)]
pub struct AccountMap {
    accounts: BTreeMap<String, Option<(String, String)>>,
    domains: Vec<String>,
}

/// Where a line's cost goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Allocation {
    pub domain: String,
    pub environment: String,
}

impl AccountMap {
    /// `domains`: every domain a tag may name.
    pub fn new(domains: impl IntoIterator<Item = String>) -> AccountMap {
        let mut domains: Vec<String> = domains.into_iter().collect();
        domains.sort();
        AccountMap {
            accounts: BTreeMap::new(),
            domains,
        }
    }

    /// An account owned by a domain in one environment.
    pub fn owned(&mut self, account: &str, domain: &str, environment: &str) {
        self.accounts.insert(
            account.to_string(),
            Some((domain.to_string(), environment.to_string())),
        );
    }

    /// An account no domain owns: its lines go by their tag.
    pub fn shared(&mut self, account: &str) {
        self.accounts.insert(account.to_string(), None);
    }

    pub fn domains(&self) -> &[String] {
        &self.domains
    }

    pub fn allocate(&self, line: &Line) -> Allocation {
        self.allocate_parts(&line.account_name, line.domain_tag.as_deref())
    }

    /// `allocate` from a line's account name and domain tag alone.
    pub fn allocate_parts(&self, account_name: &str, domain_tag: Option<&str>) -> Allocation {
        match self.accounts.get(account_name) {
            Some(Some((domain, environment))) => Allocation {
                domain: domain.clone(),
                environment: environment.clone(),
            },
            Some(None) => self.allocate_by_tag(domain_tag),
            // An account the model does not know: someone should add it to the spec.
            None => unallocated(),
        }
    }

    /// A shared account's line: the tag's domain, when it names one.
    pub fn allocate_by_tag(&self, domain_tag: Option<&str>) -> Allocation {
        match domain_tag {
            Some(tag)
                if self
                    .domains
                    .binary_search_by(|d| d.as_str().cmp(tag))
                    .is_ok() =>
            {
                Allocation {
                    domain: tag.to_string(),
                    environment: SHARED.to_string(),
                }
            }
            _ => unallocated(),
        }
    }

    /// Whether lines of `account_name` go by their tag (an account no domain owns).
    pub fn is_shared(&self, account_name: &str) -> bool {
        matches!(self.accounts.get(account_name), Some(None))
    }
}

fn unallocated() -> Allocation {
    Allocation {
        domain: UNALLOCATED.to_string(),
        environment: UNALLOCATED.to_string(),
    }
}
