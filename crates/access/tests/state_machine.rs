//! The grant's life under the rules, with an in-memory directory and an
//! executor that records what it was asked to do in AWS.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;

use landfall_access::*;

struct Users(BTreeMap<&'static str, Vec<&'static str>>);

impl Directory for Users {
    fn groups_of(&self, user: &str) -> Result<BTreeSet<String>, AccessError> {
        self.0
            .get(user)
            .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
            .ok_or_else(|| AccessError::UnknownUser {
                user: user.to_owned(),
            })
    }
}

/// What reached "AWS": assignments held, by grant id, and every call.
#[derive(Default)]
struct Aws {
    assigned: Mutex<BTreeMap<String, u64>>,
    calls: Mutex<Vec<String>>,
    refuse: bool,
    refuse_revoke: bool,
}

impl Executor for Aws {
    fn grant(&self, grant: &Grant, expires_at: u64) -> Result<String, AccessError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("grant {}", grant.id));
        if self.refuse {
            return Err(AccessError::Aws("AccessDenied".into()));
        }
        self.assigned
            .lock()
            .unwrap()
            .insert(grant.id.clone(), expires_at);
        Ok(format!("user-{}", grant.requester))
    }
    fn revoke(&self, grant: &Grant) -> Result<bool, AccessError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("revoke {}", grant.id));
        if self.refuse_revoke {
            return Err(AccessError::Aws("ThrottlingException".into()));
        }
        Ok(self.assigned.lock().unwrap().remove(&grant.id).is_some())
    }
}

fn rules() -> Rules {
    Rules {
        rules: vec![
            Rule {
                group: "payments-engineers".into(),
                permission_set: "OnCall".into(),
                accounts: ["payments-prod".to_owned()].into(),
                max_hours: 4,
                approvers: Some("incident-commanders".into()),
                break_glass: false,
            },
            Rule {
                group: "platform-engineers".into(),
                permission_set: "OnCall".into(),
                accounts: ["networking".to_owned()].into(),
                max_hours: 2,
                approvers: Some("platform-admins".into()),
                break_glass: true,
            },
            Rule {
                group: "payments-engineers".into(),
                permission_set: "Debug".into(),
                accounts: ["payments-dev".to_owned()].into(),
                max_hours: 8,
                approvers: None,
                break_glass: false,
            },
        ],
    }
}

fn users() -> Users {
    Users(
        [
            ("ana", vec!["payments-engineers"]),
            ("ben", vec!["payments-engineers", "incident-commanders"]),
            ("cy", vec!["incident-commanders"]),
            ("dee", vec!["incident-commanders"]),
            ("pat", vec!["platform-engineers"]),
            ("max", vec!["platform-admins"]),
            ("eve", vec!["web-engineers"]),
        ]
        .into(),
    )
}

fn store(name: &str) -> (SqliteStore, PathBuf) {
    let path =
        std::env::temp_dir().join(format!("landfall-access-{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    (SqliteStore::open(&path).unwrap(), path)
}

fn ask(requester: &str, account: &str, set: &str, secs: u64) -> Request {
    Request {
        requester: requester.into(),
        account: account.into(),
        permission_set: set.into(),
        duration_secs: secs,
        reason: "INC-42 payments timing out".into(),
        ticket: Some("INC-42".into()),
        break_glass: false,
    }
}

const T0: u64 = 1_800_000_000;

#[test]
fn requested_approved_active_then_expired_by_sweep() {
    let (store, _) = store("life");
    let (rules, users, aws) = (rules(), users(), Aws::default());
    let events = std::env::temp_dir().join(format!("landfall-events-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&events);
    let sink = FileSink {
        path: events.clone(),
    };
    let access = Access::new(&rules, &store, &users, &aws, &sink);

    let grant = access
        .request(ask("ana", "payments-prod", "OnCall", 7200), T0)
        .unwrap();
    assert_eq!(grant.state, State::Pending);
    assert!(
        aws.calls.lock().unwrap().is_empty(),
        "nothing in AWS before approval"
    );

    let grant = access.approve(&grant.id, "cy", T0 + 60).unwrap();
    assert_eq!(grant.state, State::Active);
    assert_eq!(grant.approver.as_deref(), Some("cy"));
    assert_eq!(grant.expires_at, Some(T0 + 60 + 7200));
    assert_eq!(
        aws.assigned.lock().unwrap().get(&grant.id),
        Some(&(T0 + 60 + 7200))
    );
    assert_eq!(access.list(true, T0 + 61).unwrap().len(), 1);

    // Before its time sweep leaves it; after, it expires it.
    assert!(access.sweep(T0 + 7000).unwrap().swept.is_empty());
    let report = access.sweep(T0 + 60 + 7200).unwrap();
    assert_eq!(report.fixed(), vec![grant.id.as_str()]);
    let after = store.get(&grant.id).unwrap().unwrap();
    assert_eq!(after.state, State::Expired);
    assert!(access.list(true, T0 + 60 + 7200).unwrap().is_empty());
    let states: Vec<State> = after.history.iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        [
            State::Pending,
            State::Approving,
            State::Active,
            State::Expired
        ]
    );

    // Each change was announced, in order.
    let lines = std::fs::read_to_string(&events).unwrap();
    let announced: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["state"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(announced, ["pending", "active", "expired"]);
    let _ = std::fs::remove_file(&events);
}

#[test]
fn each_refusal_is_said_and_changes_nothing() {
    let (store, _) = store("refusals");
    let (rules, users, aws) = (rules(), users(), Aws::default());
    let access = Access::new(&rules, &store, &users, &aws, &NoAnnouncer);

    let e = access
        .request(ask("eve", "payments-prod", "OnCall", 3600), T0)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`eve` may not request `OnCall` in `payments-prod`: only members of `payments-engineers` may (the spec's `identity.on_call`)"
    );
    let e = access
        .request(ask("ana", "payments-prod", "OnCall", 5 * 3600), T0)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "5h is longer than the 4 hours allowed for `OnCall` in `payments-prod`: ask for 4h or less"
    );
    let e = access
        .request(ask("ana", "payments-prod", "Admin", 3600), T0)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "no on-call rule covers permission set `Admin` in account `payments-prod`; there it covers `OnCall`"
    );
    let e = access
        .request(ask("nobody", "payments-prod", "OnCall", 3600), T0)
        .unwrap_err();
    assert!(matches!(e, AccessError::UnknownUser { .. }));
    let mut glass = ask("ana", "payments-prod", "OnCall", 3600);
    glass.break_glass = true;
    assert!(matches!(
        access.request(glass, T0).unwrap_err(),
        AccessError::BreakGlassNotAllowed { .. }
    ));
    assert!(store.list().unwrap().is_empty());

    // ben is both an engineer and a commander: still not his own approver.
    let grant = access
        .request(ask("ben", "payments-prod", "OnCall", 3600), T0)
        .unwrap();
    let e = access.approve(&grant.id, "ben", T0).unwrap_err();
    assert!(matches!(e, AccessError::SelfApproval { .. }), "{e}");
    let e = access.approve(&grant.id, "ana", T0).unwrap_err();
    assert!(matches!(e, AccessError::NotApprover { .. }), "{e}");
    assert_eq!(store.get(&grant.id).unwrap().unwrap().state, State::Pending);

    // Approved once; the second approval is refused and says by whom.
    access.approve(&grant.id, "cy", T0 + 1).unwrap();
    let e = access.approve(&grant.id, "dee", T0 + 2).unwrap_err();
    assert!(
        e.to_string().starts_with("grant `") && e.to_string().contains("is active (by `cy`"),
        "{e}"
    );
    // Revoking after the end is refused; sweep is what tidies up.
    let e = access.revoke(&grant.id, "ben", T0 + 1 + 3600).unwrap_err();
    assert!(matches!(e, AccessError::AlreadyExpired { .. }), "{e}");
    access.sweep(T0 + 3601).unwrap();
    let e = access.revoke(&grant.id, "ben", T0 + 3602).unwrap_err();
    assert!(e.to_string().contains("expired at"), "{e}");
    let calls = aws.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [
            format!("grant {}", grant.id),
            format!("revoke {}", grant.id)
        ]
    );
}

#[test]
fn deny_revoke_and_no_approval_rules() {
    let (store, _) = store("deny");
    let (rules, users, aws) = (rules(), users(), Aws::default());
    let access = Access::new(&rules, &store, &users, &aws, &NoAnnouncer);

    let denied = access
        .request(ask("ana", "payments-prod", "OnCall", 3600), T0)
        .unwrap();
    assert_eq!(
        access.deny(&denied.id, "cy", T0).unwrap().state,
        State::Denied
    );
    assert!(matches!(
        access.approve(&denied.id, "dee", T0).unwrap_err(),
        AccessError::WrongState { .. }
    ));

    // No approvers: granted on request.
    let dev = access
        .request(ask("ana", "payments-dev", "Debug", 3600), T0)
        .unwrap();
    assert_eq!(dev.state, State::Active);
    let revoked = access.revoke(&dev.id, "ana", T0 + 10).unwrap();
    assert_eq!(revoked.state, State::Revoked);
    assert!(aws.assigned.lock().unwrap().is_empty());
}

#[test]
fn break_glass_is_granted_at_once_and_reviewed_after_by_an_approver() {
    let (store, _) = store("glass");
    let (rules, users, aws) = (rules(), users(), Aws::default());
    let access = Access::new(&rules, &store, &users, &aws, &NoAnnouncer);
    let mut request = ask("pat", "networking", "OnCall", 3600);
    request.break_glass = true;
    let grant = access.request(request, T0).unwrap();
    assert_eq!(grant.state, State::Active);
    assert!(grant.review_due());
    assert!(matches!(
        access.review(&grant.id, "pat", T0).unwrap_err(),
        AccessError::SelfApproval { .. }
    ));
    let reviewed = access.review(&grant.id, "max", T0 + 100).unwrap();
    assert_eq!(reviewed.reviewed_by.as_deref(), Some("max"));
    assert!(!reviewed.review_due());
}

#[test]
fn an_aws_refusal_puts_the_grant_back_to_pending() {
    let (store, _) = store("refused");
    let (rules, users) = (rules(), users());
    let aws = Aws {
        refuse: true,
        ..Aws::default()
    };
    let access = Access::new(&rules, &store, &users, &aws, &NoAnnouncer);
    let grant = access
        .request(ask("ana", "payments-prod", "OnCall", 3600), T0)
        .unwrap();
    let e = access.approve(&grant.id, "cy", T0).unwrap_err();
    assert_eq!(e.to_string(), "AccessDenied");
    let back = store.get(&grant.id).unwrap().unwrap();
    assert_eq!(back.state, State::Pending);
    assert!(back
        .history
        .last()
        .unwrap()
        .note
        .as_deref()
        .unwrap()
        .contains("AccessDenied"));
}

#[test]
fn a_revoke_aws_refuses_leaves_the_grant_active() {
    let (store, _) = store("revoke-refused");
    let (rules, users) = (rules(), users());
    let aws = Aws {
        refuse_revoke: true,
        ..Aws::default()
    };
    let access = Access::new(&rules, &store, &users, &aws, &NoAnnouncer);
    let grant = access
        .request(ask("ana", "payments-dev", "Debug", 3600), T0)
        .unwrap();
    let e = access.revoke(&grant.id, "ana", T0 + 1).unwrap_err();
    assert_eq!(e.to_string(), "ThrottlingException");
    let after = store.get(&grant.id).unwrap().unwrap();
    assert_eq!(after.state, State::Active);
    assert!(after.is_active_at(T0 + 2));
    assert!(aws.assigned.lock().unwrap().contains_key(&grant.id));
}

#[test]
fn sweep_ends_a_grant_left_half_made() {
    let (store, _) = store("half-made");
    let (rules, users, aws) = (rules(), users(), Aws::default());
    let access = Access::new(&rules, &store, &users, &aws, &NoAnnouncer);
    let grant = access
        .request(ask("ana", "payments-prod", "OnCall", 3600), T0)
        .unwrap();
    // The approver's process claimed it, made the assignment, and stopped.
    let mut claimed = store.get(&grant.id).unwrap().unwrap();
    claimed.state = State::Approving;
    claimed.version += 1;
    claimed.history.push(Change {
        at: T0 + 5,
        by: "cy".into(),
        state: State::Approving,
        note: None,
    });
    assert!(store.replace(&claimed).unwrap());
    aws.assigned
        .lock()
        .unwrap()
        .insert(grant.id.clone(), T0 + 3605);
    assert!(access.sweep(T0 + 3604).unwrap().swept.is_empty());
    let report = access.sweep(T0 + 3605).unwrap();
    assert_eq!(report.fixed(), vec![grant.id.as_str()]);
    assert!(aws.assigned.lock().unwrap().is_empty());
    assert_eq!(store.get(&grant.id).unwrap().unwrap().state, State::Expired);
}

#[test]
fn two_approvals_at_once_grant_once() {
    let (_, path) = store("race");
    let (rules, users, aws) = (rules(), users(), Aws::default());
    let first = SqliteStore::open(&path).unwrap();
    let id = Access::new(&rules, &first, &users, &aws, &NoAnnouncer)
        .request(ask("ana", "payments-prod", "OnCall", 3600), T0)
        .unwrap()
        .id;
    for _ in 0..20 {
        let results: Vec<Result<Grant, AccessError>> = std::thread::scope(|s| {
            let handles: Vec<_> = ["cy", "dee"]
                .into_iter()
                .map(|approver| {
                    let (rules, users, aws, path, id) = (&rules, &users, &aws, &path, &id);
                    s.spawn(move || {
                        // Each approver its own connection, as two processes.
                        let store = SqliteStore::open(path).unwrap();
                        Access::new(rules, &store, users, aws, &NoAnnouncer)
                            .approve(id, approver, T0)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert_eq!(aws.calls.lock().unwrap().len(), 1);
        // Again, from pending.
        let store = SqliteStore::open(&path).unwrap();
        let mut g = store.get(&id).unwrap().unwrap();
        g.state = State::Pending;
        g.version += 1;
        assert!(store.replace(&g).unwrap());
        aws.calls.lock().unwrap().clear();
    }
}
