//! The spec's on-call rules, by name: who may request which permission set
//! in which accounts, for how long, and who approves.

use std::collections::BTreeSet;

use landfall_model::Model;
use serde::Serialize;

/// One `identity.on_call` entry of the spec, its accounts listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The group whose members may request.
    pub group: String,
    pub permission_set: String,
    /// Account names.
    pub accounts: BTreeSet<String>,
    pub max_hours: u8,
    /// Who approves; `None`: no approval needed.
    pub approvers: Option<String>,
    pub break_glass: bool,
}

impl Rule {
    pub fn max_secs(&self) -> u64 {
        u64::from(self.max_hours) * 3600
    }
}

/// Every on-call rule of a platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

impl Rules {
    /// The rules the model declares (the model has already refused a rule
    /// longer than its permission set's sessions).
    pub fn of(model: &Model) -> Rules {
        let identity = &model.identity;
        let rules = identity
            .on_call
            .iter()
            .map(|on_call| Rule {
                group: identity.groups[on_call.group.index()].name.clone(),
                permission_set: identity.permission_sets[on_call.permission_set.index()]
                    .name
                    .clone(),
                accounts: on_call
                    .accounts
                    .iter()
                    .map(|a| model.account(*a).name.clone())
                    .collect(),
                max_hours: on_call.max_hours,
                approvers: on_call
                    .approvers
                    .map(|g| identity.groups[g.index()].name.clone()),
                break_glass: on_call.break_glass,
            })
            .collect();
        Rules { rules }
    }

    /// The rules that cover `permission_set` in `account`.
    pub fn covering(&self, account: &str, permission_set: &str) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.permission_set == permission_set && r.accounts.contains(account))
            .collect()
    }

    /// Permission sets any rule grants: an assignment of one of them is
    /// on-call access, and needs an active grant.
    pub fn on_call_permission_sets(&self) -> BTreeSet<&str> {
        self.rules
            .iter()
            .map(|r| r.permission_set.as_str())
            .collect()
    }

    /// What the rules allow in `account`, for a hint.
    pub(crate) fn sets_in(&self, account: &str) -> BTreeSet<&str> {
        self.rules
            .iter()
            .filter(|r| r.accounts.contains(account))
            .map(|r| r.permission_set.as_str())
            .collect()
    }
}
