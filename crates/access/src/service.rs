//! The operations on grants: each checks the rules, writes the change over
//! the version it read, acts in AWS through the [`Executor`] only after
//! winning that write, and announces what happened.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};

use serde::Serialize;

use crate::announce::{Announcer, Event};
use crate::error::AccessError;
use crate::grant::{Change, Grant, State};
use crate::rules::{Rule, Rules};
use crate::store::GrantStore;
use crate::time::utc;

/// Who is in which group of the identity source.
pub trait Directory: Send + Sync {
    /// The names of `user`'s groups; [`AccessError::UnknownUser`] when the
    /// directory has no such user.
    fn groups_of(&self, user: &str) -> Result<BTreeSet<String>, AccessError>;
}

/// What a grant does in AWS.
pub trait Executor: Send + Sync {
    /// Assigns the permission set to the requester in the account, and
    /// schedules the assignment's deletion at `expires_at` (unix seconds);
    /// returns the requester's principal id. Leaves nothing behind when it
    /// fails.
    fn grant(&self, grant: &Grant, expires_at: u64) -> Result<String, AccessError>;
    /// Deletes the assignment and its schedule; `true` when the assignment
    /// was still there.
    fn revoke(&self, grant: &Grant) -> Result<bool, AccessError>;
}

/// What `landfall access request` asks.
#[derive(Debug, Clone)]
pub struct Request {
    pub requester: String,
    pub account: String,
    pub permission_set: String,
    pub duration_secs: u64,
    pub reason: String,
    pub ticket: Option<String>,
    pub break_glass: bool,
}

/// What `sweep` did to one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepOutcome {
    /// Its schedule had removed the assignment; the record caught up.
    ExpiredOnTime,
    /// The assignment outlived the grant; sweep removed it.
    AssignmentRemoved,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    pub swept: Vec<(String, SweepOutcome)>,
    /// Grants sweep could not finish, with why.
    pub failed: Vec<(String, String)>,
}

impl SweepReport {
    /// The grants whose assignment sweep had to remove.
    pub fn fixed(&self) -> Vec<&str> {
        self.swept
            .iter()
            .filter(|(_, o)| *o == SweepOutcome::AssignmentRemoved)
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

/// The access service over its four collaborators.
pub struct Access<'a> {
    pub rules: &'a Rules,
    pub store: &'a dyn GrantStore,
    pub directory: &'a dyn Directory,
    pub executor: &'a dyn Executor,
    pub announcer: &'a dyn Announcer,
    /// Announcements that failed (the changes stand).
    pub warnings: std::sync::Mutex<Vec<String>>,
}

impl<'a> Access<'a> {
    pub fn new(
        rules: &'a Rules,
        store: &'a dyn GrantStore,
        directory: &'a dyn Directory,
        executor: &'a dyn Executor,
        announcer: &'a dyn Announcer,
    ) -> Access<'a> {
        Access {
            rules,
            store,
            directory,
            executor,
            announcer,
            warnings: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Records a request; grants it at once when its rule needs no
    /// approval or it breaks glass. Returns the grant as stored.
    pub fn request(&self, request: Request, now: u64) -> Result<Grant, AccessError> {
        let rule = self.rule_for(&request)?;
        if request.break_glass && !rule.break_glass {
            return Err(AccessError::BreakGlassNotAllowed {
                account: request.account.clone(),
                approvers: rule.approvers.clone().unwrap_or_default(),
            });
        }
        let mut grant = Grant {
            id: new_id(now),
            requester: request.requester.clone(),
            account: request.account,
            permission_set: request.permission_set,
            duration_secs: request.duration_secs,
            reason: request.reason,
            ticket: request.ticket,
            break_glass: request.break_glass,
            approvers: rule.approvers.clone(),
            state: State::Pending,
            requested_at: now,
            approver: None,
            granted_at: None,
            expires_at: None,
            principal_id: None,
            reviewed_by: None,
            version: 0,
            history: Vec::new(),
        };
        grant.record(State::Pending, &request.requester, now, None);
        if !self.store.insert(&grant)? {
            return Err(AccessError::Conflict {
                id: grant.id,
                action: "requested",
            });
        }
        self.announce(&grant, &request.requester, now, "requested");
        if rule.approvers.is_none() || grant.break_glass {
            let note = if grant.break_glass {
                "break glass: granted before approval, to be reviewed"
            } else {
                "no approval needed"
            };
            return self.make(grant, &request.requester, now, note);
        }
        Ok(grant)
    }

    /// Approves a pending grant and makes it: the requester's assignment
    /// and its expiry schedule.
    pub fn approve(&self, id: &str, approver: &str, now: u64) -> Result<Grant, AccessError> {
        let grant = self.load(id)?;
        self.check_approver(&grant, approver, "approve")?;
        if grant.state != State::Pending {
            return Err(wrong_state(&grant, "approved"));
        }
        self.make(grant, approver, now, "approved")
    }

    /// Denies a pending grant (an approver; or the requester withdrawing).
    pub fn deny(&self, id: &str, by: &str, now: u64) -> Result<Grant, AccessError> {
        let mut grant = self.load(id)?;
        if by != grant.requester {
            self.check_approver(&grant, by, "deny")?;
        }
        if grant.state != State::Pending {
            return Err(wrong_state(&grant, "denied"));
        }
        grant.record(State::Denied, by, now, None);
        self.write(&grant, "denied")?;
        self.announce(&grant, by, now, "denied");
        Ok(grant)
    }

    /// Ends an active grant before its time (the requester, or an approver).
    pub fn revoke(&self, id: &str, by: &str, now: u64) -> Result<Grant, AccessError> {
        let mut grant = self.load(id)?;
        if by != grant.requester {
            self.check_approver(&grant, by, "revoke")?;
        }
        match (grant.state, grant.expires_at) {
            (State::Expired, Some(end)) => {
                return Err(AccessError::AlreadyExpired {
                    id: grant.id,
                    expired_at: utc(end),
                })
            }
            (State::Active, Some(end)) if end <= now => {
                return Err(AccessError::AlreadyExpired {
                    id: grant.id,
                    expired_at: utc(end),
                })
            }
            (State::Active, _) => {}
            _ => return Err(wrong_state(&grant, "revoked")),
        }
        // Claim the change first: of two revokes, one reaches AWS.
        let before = grant.clone();
        grant.record(State::Revoked, by, now, None);
        self.write(&grant, "revoked")?;
        if let Err(e) = self.executor.revoke(&grant) {
            // Still assigned: the grant stays active (its schedule, and
            // sweep, still end it).
            let mut back = before;
            back.version = grant.version;
            back.record(
                State::Active,
                by,
                now,
                Some(format!("the revoke failed in AWS: {e}")),
            );
            let _ = self.store.replace(&back);
            return Err(e);
        }
        self.announce(&grant, by, now, "revoked");
        Ok(grant)
    }

    /// Records an approver's after-the-fact review of a break-glass grant.
    pub fn review(&self, id: &str, reviewer: &str, now: u64) -> Result<Grant, AccessError> {
        let mut grant = self.load(id)?;
        self.check_approver(&grant, reviewer, "review")?;
        if !grant.break_glass {
            return Err(AccessError::NothingToReview { id: grant.id });
        }
        if !grant.review_due() {
            return Err(wrong_state(&grant, "reviewed again"));
        }
        grant.reviewed_by = Some(reviewer.to_owned());
        grant.version += 1;
        grant.history.push(Change {
            at: now,
            by: reviewer.to_owned(),
            state: grant.state,
            note: Some("break-glass grant reviewed".into()),
        });
        self.write(&grant, "reviewed")?;
        self.announce(&grant, reviewer, now, "reviewed");
        Ok(grant)
    }

    /// Every grant, oldest first; only those holding access at `now` when
    /// `active`.
    pub fn list(&self, active: bool, now: u64) -> Result<Vec<Grant>, AccessError> {
        let mut grants = self.store.list()?;
        if active {
            grants.retain(|g| g.is_active_at(now));
        }
        Ok(grants)
    }

    /// Ends every grant past its time: removes an assignment its schedule
    /// left behind, and records the grant expired.
    pub fn sweep(&self, now: u64) -> Result<SweepReport, AccessError> {
        let mut report = SweepReport::default();
        for mut grant in self.store.list()? {
            // A grant left `approving` (the process making it stopped
            // half-way) is due once it would have ended had it been made.
            let claimed_at = grant.history.last().map_or(grant.requested_at, |c| c.at);
            let due = match grant.state {
                State::Active => grant.expires_at.is_some_and(|e| e <= now),
                State::Approving => claimed_at + grant.duration_secs <= now,
                _ => false,
            };
            if !due {
                continue;
            }
            let removed = match self.executor.revoke(&grant) {
                Ok(removed) => removed,
                Err(e) => {
                    report.failed.push((grant.id.clone(), e.to_string()));
                    continue;
                }
            };
            let (outcome, note) = if removed {
                (
                    SweepOutcome::AssignmentRemoved,
                    "the assignment outlived the grant; sweep removed it",
                )
            } else {
                (
                    SweepOutcome::ExpiredOnTime,
                    "its schedule removed the assignment",
                )
            };
            grant.record(State::Expired, "landfall-sweep", now, Some(note.into()));
            match self.write(&grant, "swept") {
                Ok(()) => {
                    self.announce(&grant, "landfall-sweep", now, "expired");
                    report.swept.push((grant.id.clone(), outcome));
                }
                Err(e) => report.failed.push((grant.id.clone(), e.to_string())),
            }
        }
        Ok(report)
    }

    /// Claims the grant (conditional write), then makes it in AWS and
    /// records it active; if AWS refuses, puts it back as it was.
    fn make(&self, mut grant: Grant, by: &str, now: u64, what: &str) -> Result<Grant, AccessError> {
        let before = grant.clone();
        grant.approver = Some(by.to_owned());
        grant.record(State::Approving, by, now, Some(what.into()));
        self.write(&grant, "approved")?;
        let expires_at = now + grant.duration_secs;
        let principal_id = match self.executor.grant(&grant, expires_at) {
            Ok(id) => id,
            Err(e) => {
                let mut back = before;
                back.version = grant.version;
                back.record(
                    State::Pending,
                    by,
                    now,
                    Some(format!("AWS refused the grant: {e}")),
                );
                // The claim is ours; a failure to undo it leaves it `approving`,
                // which `list` shows.
                let _ = self.store.replace(&back);
                return Err(e);
            }
        };
        grant.principal_id = Some(principal_id);
        grant.granted_at = Some(now);
        grant.expires_at = Some(expires_at);
        grant.record(State::Active, by, now, None);
        self.write(&grant, "granted")?;
        self.announce(&grant, by, now, "granted");
        Ok(grant)
    }

    fn rule_for(&self, request: &Request) -> Result<&'a Rule, AccessError> {
        let rules: Vec<&'a Rule> = self
            .rules
            .covering(&request.account, &request.permission_set);
        if rules.is_empty() {
            let sets = self.rules.sets_in(&request.account);
            let hint = if sets.is_empty() {
                format!("; no on-call access is declared in `{}`", request.account)
            } else {
                format!(
                    "; there it covers {}",
                    sets.iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(AccessError::NoRule {
                account: request.account.clone(),
                permission_set: request.permission_set.clone(),
                hint,
            });
        }
        let groups = self.directory.groups_of(&request.requester)?;
        // Of the requester's rules, the most generous.
        let mine = rules
            .iter()
            .copied()
            .filter(|r| groups.contains(&r.group))
            .max_by_key(|r| r.max_hours);
        let Some(rule) = mine else {
            let names: BTreeSet<String> = rules.iter().map(|r| format!("`{}`", r.group)).collect();
            return Err(AccessError::NotAllowed {
                user: request.requester.clone(),
                account: request.account.clone(),
                permission_set: request.permission_set.clone(),
                groups: names.into_iter().collect::<Vec<_>>().join(" or "),
            });
        };
        if request.duration_secs > rule.max_secs() {
            return Err(AccessError::TooLong {
                asked: human(request.duration_secs),
                max_hours: rule.max_hours,
                account: request.account.clone(),
                permission_set: request.permission_set.clone(),
            });
        }
        Ok(rule)
    }

    fn check_approver(
        &self,
        grant: &Grant,
        user: &str,
        action: &'static str,
    ) -> Result<(), AccessError> {
        let approvers = grant.approvers.clone().unwrap_or_default();
        if user == grant.requester {
            return Err(AccessError::SelfApproval {
                user: user.to_owned(),
                id: grant.id.clone(),
                action,
                approvers,
            });
        }
        let allowed = !approvers.is_empty() && self.directory.groups_of(user)?.contains(&approvers);
        if !allowed {
            return Err(AccessError::NotApprover {
                user: user.to_owned(),
                id: grant.id.clone(),
                action,
                approvers: if approvers.is_empty() {
                    "the rule's approvers (it has none)".into()
                } else {
                    approvers
                },
            });
        }
        Ok(())
    }

    fn load(&self, id: &str) -> Result<Grant, AccessError> {
        self.store
            .get(id)?
            .ok_or_else(|| AccessError::UnknownGrant(id.to_owned()))
    }

    fn write(&self, grant: &Grant, action: &'static str) -> Result<(), AccessError> {
        if self.store.replace(grant)? {
            Ok(())
        } else {
            Err(AccessError::Conflict {
                id: grant.id.clone(),
                action,
            })
        }
    }

    fn announce(&self, grant: &Grant, by: &str, at: u64, what: &str) {
        if let Err(e) = self.announcer.announce(&Event::of(grant, by, at, what)) {
            if let Ok(mut w) = self.warnings.lock() {
                w.push(e);
            }
        }
    }
}

fn wrong_state(grant: &Grant, action: &'static str) -> AccessError {
    let by = grant
        .history
        .last()
        .filter(|c| c.state == grant.state)
        .map(|c| format!(" (by `{}` at {})", c.by, utc(c.at)))
        .unwrap_or_default();
    AccessError::WrongState {
        id: grant.id.clone(),
        state: grant.state,
        by,
        action,
    }
}

/// `2h`, `1h30m`, `45m`.
fn human(secs: u64) -> String {
    let (h, m) = (secs / 3600, secs % 3600 / 60);
    match (h, m) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// A short id unlikely to collide: the request time and 24 random bits
/// (the insert refuses a collision anyway).
fn new_id(now: u64) -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{:x}-{:06x}", now, random & 0xff_ffff)
}
