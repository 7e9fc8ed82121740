//! The actions generated workflows use, pinned by commit
//! (`data/actions.tsv`): a workflow names the commit, and a comment after it
//! names the release it was read from, so people can review upgrades.

/// One pinned action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedAction {
    pub name: String,
    pub tag: String,
    pub commit: String,
}

impl PinnedAction {
    /// `owner/repo@<commit>`, what a step's `uses:` holds.
    pub fn uses(&self) -> String {
        format!("{}@{}", self.name, self.commit)
    }
}

pub(crate) const CHECKOUT: &str = "actions/checkout";
pub(crate) const CONFIGURE_AWS_CREDENTIALS: &str = "aws-actions/configure-aws-credentials";
pub(crate) const CACHE: &str = "actions/cache";
pub(crate) const UPLOAD_SARIF: &str = "github/codeql-action/upload-sarif";

const TABLE: &str = include_str!("../data/actions.tsv");

/// Every pinned action of the table.
pub fn pinned() -> Vec<PinnedAction> {
    TABLE
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some(PinnedAction {
                name: fields.next()?.to_owned(),
                tag: fields.next()?.to_owned(),
                commit: fields.next()?.to_owned(),
            })
        })
        .collect()
}

/// The pinned action named `name`. The table is part of the binary and
/// its names are the ones this crate asks for (a unit test reads each).
pub(crate) fn action(name: &str) -> PinnedAction {
    pinned()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| PinnedAction {
            name: name.to_owned(),
            tag: "unpinned".to_owned(),
            commit: "0000000000000000000000000000000000000000".to_owned(),
        })
}

/// Why a job holds each permission it asks for, written beside it.
const PERMISSION_REASONS: [(&str, &str); 4] = [
    (
        "id-token: write",
        "an OIDC token, to assume the job's AWS role",
    ),
    ("contents: read", "to check out the source"),
    (
        "security-events: write",
        "to upload the SARIF report to code scanning",
    ),
    ("pull-requests: write", "to comment on the pull request"),
];

/// Adds `# <tag>` after every pinned `uses:` line, as Dependabot and
/// people read them, and the reason beside every permission.
pub(crate) fn annotate(yaml: &str) -> String {
    let table = pinned();
    let mut out = String::with_capacity(yaml.len() + 256);
    for line in yaml.lines() {
        out.push_str(line);
        let trimmed = line.trim();
        if let Some(action) = table.iter().find(|a| trimmed.ends_with(&a.uses())) {
            out.push_str(" # ");
            out.push_str(&action.tag);
        } else if let Some((_, why)) = PERMISSION_REASONS.iter().find(|(p, _)| trimmed == *p) {
            out.push_str(" # ");
            out.push_str(why);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_used_is_pinned_to_a_full_commit() {
        let table = pinned();
        for name in [CHECKOUT, CONFIGURE_AWS_CREDENTIALS, CACHE, UPLOAD_SARIF] {
            let a = table.iter().find(|a| a.name == name);
            let a = a.unwrap_or_else(|| panic!("{name} is not in data/actions.tsv"));
            assert_eq!(a.commit.len(), 40, "{name}");
            assert!(a.commit.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
            assert!(a.tag.starts_with('v'), "{name}");
        }
    }
}
