//! Temporary elevated access: an on-call engineer asks for a permission set
//! in an account for a while, an approver grants it, and it ends on its own.
//!
//! The domain logic only: the spec's on-call rules ([`Rules`]), the grant's
//! life ([`Grant`], [`State`]), and the operations that move it
//! ([`Access`]). What it needs from outside is behind traits: where grants
//! are kept ([`GrantStore`]; [`SqliteStore`] here, DynamoDB in
//! `landfall-live`), who is in which group ([`Directory`]), what a grant
//! does in AWS ([`Executor`]: the account assignment and the schedule that
//! deletes it), and who hears of each change ([`Announcer`]). No AWS SDK.
//!
//! Every change is a conditional write on the grant's version, so two
//! approvers acting at once grant it once: the second write finds the
//! version moved and fails before anything reaches AWS.

mod announce;
mod duration;
mod error;
mod grant;
mod rules;
mod service;
mod store;
mod time;

pub use announce::{Announcer, Announcers, Event, FileSink, NoAnnouncer};
pub use duration::parse_duration;
pub use error::AccessError;
pub use grant::{Change, Grant, State};
pub use rules::{Rule, Rules};
pub use service::{Access, Directory, Executor, Request, SweepOutcome, SweepReport};
pub use store::{GrantStore, SqliteStore, StoreError};
pub use time::{schedule_time, utc};
