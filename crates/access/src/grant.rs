//! A grant and its life.
//!
//! ```text
//! pending ──approve──▶ approving ──(assignment and schedule made)──▶ active ──▶ expired
//!    │                     │ (AWS refused: back to pending)            │
//!    └──deny──▶ denied     └──────────────────────────────────────────  └──revoke──▶ revoked
//! ```
//!
//! A grant that needs no approval, or breaks glass, goes from `approving`
//! straight away. Every record carries its history and a version that each
//! change increments: stores write only over the version they read.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Waiting for an approver.
    Pending,
    /// Approved; its assignment and schedule are being made.
    Approving,
    /// The requester holds the permission set until `expires_at`.
    Active,
    Denied,
    Revoked,
    Expired,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approving => "approving",
            State::Active => "active",
            State::Denied => "denied",
            State::Revoked => "revoked",
            State::Expired => "expired",
        }
    }

    /// Whether nothing more can happen to the grant.
    pub fn is_final(self) -> bool {
        matches!(self, State::Denied | State::Revoked | State::Expired)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a grant's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Unix seconds.
    pub at: u64,
    pub by: String,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    /// The requester's user name in the identity source.
    pub requester: String,
    /// Account name, as the spec names it.
    pub account: String,
    pub permission_set: String,
    /// Seconds asked for; the grant runs that long from when it is made.
    pub duration_secs: u64,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Granted before approval, to be reviewed after.
    pub break_glass: bool,
    /// The group whose member approves (and reviews a break-glass grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvers: Option<String>,
    pub state: State,
    pub requested_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The requester's user id in the identity store, once granted (what
    /// the live assignment names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// Who reviewed a break-glass grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    /// Incremented by every change; a store writes over the version read.
    pub version: u64,
    pub history: Vec<Change>,
}

impl Grant {
    /// Moves to `state`, recording who did it and when.
    pub(crate) fn record(&mut self, state: State, by: &str, at: u64, note: Option<String>) {
        self.state = state;
        self.version += 1;
        self.history.push(Change {
            at,
            by: by.to_owned(),
            state,
            note,
        });
    }

    /// Whether the grant holds access at `now`.
    pub fn is_active_at(&self, now: u64) -> bool {
        self.state == State::Active && self.expires_at.is_some_and(|end| now < end)
    }

    /// Whether a break-glass grant still waits for its review.
    pub fn review_due(&self) -> bool {
        self.break_glass && self.granted_at.is_some() && self.reviewed_by.is_none()
    }
}
