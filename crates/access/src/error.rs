//! What can go wrong, said so the user knows what would be right.

use crate::grant::State;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(
        "no on-call rule covers permission set `{permission_set}` in account `{account}`{hint}"
    )]
    NoRule {
        account: String,
        permission_set: String,
        /// What the rules do allow, when something close.
        hint: String,
    },
    #[error("`{user}` may not request `{permission_set}` in `{account}`: only members of {groups} may (the spec's `identity.on_call`)")]
    NotAllowed {
        user: String,
        account: String,
        permission_set: String,
        groups: String,
    },
    #[error("{asked} is longer than the {max_hours} hours allowed for `{permission_set}` in `{account}`: ask for {max_hours}h or less")]
    TooLong {
        asked: String,
        max_hours: u8,
        account: String,
        permission_set: String,
    },
    #[error("on-call access to `{account}` may not break glass: request it without `--break-glass` and have a member of `{approvers}` approve it")]
    BreakGlassNotAllowed { account: String, approvers: String },
    #[error("no grant `{0}`: `landfall access list` shows them")]
    UnknownGrant(String),
    #[error("`{user}` requested grant `{id}` and cannot {action} it: a member of `{approvers}` other than the requester must")]
    SelfApproval {
        user: String,
        id: String,
        action: &'static str,
        approvers: String,
    },
    #[error("`{user}` cannot {action} grant `{id}`: only members of `{approvers}` may")]
    NotApprover {
        user: String,
        id: String,
        action: &'static str,
        approvers: String,
    },
    #[error("grant `{id}` is {state}{by}, so it cannot be {action}")]
    WrongState {
        id: String,
        state: State,
        /// ` (by x)`, or empty.
        by: String,
        action: &'static str,
    },
    #[error("grant `{id}` expired at {expired_at}; there is nothing to revoke (`landfall access sweep` removes an assignment left behind)")]
    AlreadyExpired { id: String, expired_at: String },
    #[error("grant `{id}` changed while it was being {action} (someone else acted on it first); nothing was done: `landfall access list` shows its state")]
    Conflict { id: String, action: &'static str },
    #[error("`{user}` is not in the identity source's directory")]
    UnknownUser { user: String },
    #[error("grant `{id}` is not a break-glass grant; there is nothing to review")]
    NothingToReview { id: String },
    #[error("{0}")]
    Directory(String),
    /// AWS refused or failed the grant's assignment or schedule.
    #[error("{0}")]
    Aws(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
