//! `landfall access`: temporary elevated access for on-call engineers
//! (docs/access.md). Rules come from the spec's `identity.on_call`; grants
//! are kept in the access stack's DynamoDB table (or an SQLite file with
//! `--store`), made in IAM Identity Center from the security-tooling
//! account as `landfall/landfall-access`, and end by themselves through an
//! EventBridge Scheduler schedule.
//!
//! Who runs a command: `--as USER`, else `LANDFALL_USER`, else the user
//! name of the IAM Identity Center session the credentials come from. When
//! the credentials are such a session, a different `--as` is refused.
//!
//! Exit codes: 0 done; 1 refused (the rules, a wrong state, another
//! approver first); 2 usage, I/O and AWS errors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use landfall_access::{
    parse_duration, utc, Access, AccessError, Announcer, Announcers, Directory, Executor, FileSink,
    Grant, GrantStore, NoAnnouncer, Request, Rules, SqliteStore, State,
};
use landfall_live::access::{AwsAccess, DynamoStore};
use landfall_live::aws::{Clients, ACCESS_ROLES};
use landfall_live::{ConnectOptions, Session};
use landfall_synth::layers::access::GRANTS_TABLE;

use crate::args::{ColorChoice, Format, SpecArgs};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Ask for a permission set in an account for a while; granted at once
    /// when the rule needs no approval (or with `--break-glass`).
    #[command(
        after_help = "Examples:\n  landfall access request --account payments-prod --permission-set OnCallProduction --for 2h --reason 'card payments failing' --ticket INC-142"
    )]
    Request(RequestArgs),
    /// Approve a pending grant: the assignment is made and scheduled to end.
    Approve(IdArgs),
    /// Deny a pending grant (or withdraw your own request).
    Deny(IdArgs),
    /// End an active grant now.
    Revoke(IdArgs),
    /// Record an approver's review of a break-glass grant.
    Review(IdArgs),
    /// Every grant, oldest first.
    List(ListArgs),
    /// End every grant past its time; says which assignments it had to remove.
    Sweep(AccessArgs),
}

/// What every `landfall access` command reads.
#[derive(Debug, Clone, Args)]
pub struct AccessArgs {
    /// Spec directory; default: `LANDFALL_SPEC`, else the current directory when
    /// it holds `landfall.yaml`, else the built-in reference platform.
    #[arg(long, value_name = "DIR", env = "LANDFALL_SPEC")]
    pub spec: Option<PathBuf>,
    /// Who you are in the identity source (user name); default: the user of
    /// the IAM Identity Center session of your credentials.
    #[arg(long = "as", value_name = "USER", env = "LANDFALL_USER")]
    pub user: Option<String>,
    /// Keep grants in this SQLite file instead of the access stack's
    /// DynamoDB table (for one machine, or an emulator).
    #[arg(long, value_name = "FILE", env = "LANDFALL_ACCESS_STORE")]
    pub store: Option<PathBuf>,
    /// Append each change, as a JSON line, to this file.
    #[arg(long, value_name = "FILE", env = "LANDFALL_ACCESS_ANNOUNCE")]
    pub announce: Option<PathBuf>,
    /// Post each change to this chat webhook (Slack's incoming webhooks, or
    /// anything that takes `{"text": ...}`); https:// only.
    #[arg(long, value_name = "URL", env = "LANDFALL_ACCESS_WEBHOOK")]
    pub announce_webhook: Option<String>,
    /// Send every AWS call to this endpoint (an emulator such as moto server).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Named profile from the AWS shared config files (SSO profiles included).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    #[command(flatten)]
    pub access: AccessArgs,
    /// The account, as the spec names it.
    #[arg(long, value_name = "NAME")]
    pub account: String,
    #[arg(long, value_name = "NAME")]
    pub permission_set: String,
    /// How long: `2h`, `90m`, `1h30m`; at most the rule's `max_hours`.
    #[arg(long = "for", value_name = "DURATION")]
    pub duration: String,
    /// Why, for the approver and the record.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    #[arg(long, value_name = "ID")]
    pub ticket: Option<String>,
    /// Grant now, before approval (where the rule allows it); an approver
    /// reviews it afterwards.
    #[arg(long)]
    pub break_glass: bool,
}

#[derive(Debug, Clone, Args)]
pub struct IdArgs {
    #[command(flatten)]
    pub access: AccessArgs,
    /// The grant's id (`landfall access list`).
    pub id: String,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub access: AccessArgs,
    /// Only grants holding access now.
    #[arg(long)]
    pub active: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(command: AccessCommand) -> anyhow::Result<ExitCode> {
    let args = match &command {
        AccessCommand::Request(a) => &a.access,
        AccessCommand::Approve(a)
        | AccessCommand::Deny(a)
        | AccessCommand::Revoke(a)
        | AccessCommand::Review(a) => &a.access,
        AccessCommand::List(a) => &a.access,
        AccessCommand::Sweep(a) => a,
    };
    let spec_args = SpecArgs {
        spec: args.spec.clone(),
        format: Format::Text,
        color: ColorChoice::Auto,
    };
    let resolved = output::load(&spec_args)?;
    let Some(model) = resolved.model.as_ref() else {
        output::print_diagnostics(&resolved, &spec_args)?;
        return Ok(ExitCode::from(super::INVALID));
    };
    let rules = Rules::of(model);
    let duration = match &command {
        AccessCommand::Request(r) => Some(parse_duration(&r.duration).map_err(anyhow::Error::msg)?),
        _ => None,
    };
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?,
    );
    let home = model.region(model.organization.home_region).name.clone();
    let access_account = landfall_synth::layers::access::account(model)
        .map(|a| a.name.clone())
        .context("the spec has no security-tooling or management account to hold on-call access")?;
    let connected = runtime.block_on(connect(args, &home, &access_account))?;
    let user = match &command {
        // Sweep acts as itself; list needs no one.
        AccessCommand::List(_) | AccessCommand::Sweep(_) => String::new(),
        _ => who(args, connected.sso_user.as_deref())?,
    };
    let aws = AwsAccess::connect(
        runtime.clone(),
        connected.clients.clone(),
        connected.accounts,
    )
    .map_err(anyhow::Error::msg)?;
    let store: Box<dyn GrantStore> = match &args.store {
        Some(path) => Box::new(SqliteStore::open(path)?),
        None => Box::new(DynamoStore::new(
            runtime.clone(),
            &connected.clients,
            GRANTS_TABLE,
        )),
    };
    let mut announcers: Vec<Box<dyn Announcer>> = Vec::new();
    if let Some(path) = &args.announce {
        announcers.push(Box::new(FileSink { path: path.clone() }));
    }
    if let Some(url) = &args.announce_webhook {
        announcers.push(Box::new(landfall_live::webhook::ChatAnnouncer::new(url)?));
    }
    let announcer: Box<dyn Announcer> = match announcers.len() {
        0 => Box::new(NoAnnouncer),
        _ => Box::new(Announcers(announcers)),
    };
    let directory: &dyn Directory = &aws;
    let executor: &dyn Executor = &aws;
    let access = Access::new(
        &rules,
        store.as_ref(),
        directory,
        executor,
        announcer.as_ref(),
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());

    let outcome = match &command {
        AccessCommand::Request(r) => access
            .request(
                Request {
                    requester: user.clone(),
                    account: r.account.clone(),
                    permission_set: r.permission_set.clone(),
                    duration_secs: duration.unwrap_or_default(),
                    reason: r.reason.clone(),
                    ticket: r.ticket.clone(),
                    break_glass: r.break_glass,
                },
                now,
            )
            .map(|g| describe(&g)),
        AccessCommand::Approve(a) => access.approve(&a.id, &user, now).map(|g| describe(&g)),
        AccessCommand::Deny(a) => access.deny(&a.id, &user, now).map(|g| describe(&g)),
        AccessCommand::Revoke(a) => access.revoke(&a.id, &user, now).map(|g| describe(&g)),
        AccessCommand::Review(a) => access.review(&a.id, &user, now).map(|g| describe(&g)),
        AccessCommand::List(l) => access.list(l.active, now).map(|grants| match l.format {
            Format::Json => format!("{:#}", serde_json::json!(grants)),
            Format::Text => table(&grants, now),
        }),
        AccessCommand::Sweep(_) => access.sweep(now).map(|report| {
            let mut out = String::new();
            for (id, outcome) in &report.swept {
                out.push_str(&format!(
                    "{id}: {}\n",
                    match outcome {
                        landfall_access::SweepOutcome::AssignmentRemoved =>
                            "expired; its assignment was still there and is removed now",
                        landfall_access::SweepOutcome::ExpiredOnTime =>
                            "expired; its schedule had removed the assignment",
                    }
                ));
            }
            for (id, why) in &report.failed {
                out.push_str(&format!("{id}: not swept: {why}\n"));
            }
            if out.is_empty() {
                out.push_str("nothing to sweep\n");
            }
            out
        }),
    };
    if let Ok(warnings) = access.warnings.lock() {
        for w in warnings.iter() {
            eprintln!("warning: {w}");
        }
    }
    match outcome {
        Ok(text) => {
            output::print_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (AccessError::Aws(_) | AccessError::Store(_) | AccessError::Directory(_))) => {
            Err(anyhow::Error::msg(e.to_string()))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(super::INVALID))
        }
    }
}

struct Connected {
    /// In the account that administers access, home region.
    clients: Clients,
    /// Account ids by name.
    accounts: BTreeMap<String, String>,
    /// The user of the IAM Identity Center session, when the credentials
    /// are one.
    sso_user: Option<String>,
}

async fn connect(args: &AccessArgs, home: &str, access_account: &str) -> anyhow::Result<Connected> {
    let session = Session::connect(ConnectOptions {
        endpoint_url: args.endpoint_url.clone(),
        profile: args.profile.clone(),
        home_region: home.to_owned(),
        max_attempts: 3,
    })
    .await;
    let mgmt = session.management().await?;
    let caller = mgmt
        .sts()
        .get_caller_identity()
        .send()
        .await
        .ok()
        .and_then(|c| c.arn().map(str::to_owned));
    let org = session.organization(&mgmt).await?;
    let accounts: BTreeMap<String, String> = org
        .accounts
        .iter()
        .map(|a| (a.name.clone(), a.id.clone()))
        .collect();
    let clients = match accounts.get(access_account) {
        Some(id) if *id != org.management_account_id => {
            session.member(&mgmt, id, home, &ACCESS_ROLES).await?
        }
        Some(_) => mgmt.in_region(home),
        None => bail!(
            "account `{access_account}` is not in the organization: deploy the platform first (`landfall deploy`)"
        ),
    };
    Ok(Connected {
        clients,
        accounts,
        sso_user: caller.as_deref().and_then(sso_user),
    })
}

/// The user of an IAM Identity Center role session:
/// `arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Set_0123/jane@example.com`.
fn sso_user(arn: &str) -> Option<String> {
    let rest = arn.split_once(":assumed-role/")?.1;
    let (role, session) = rest.split_once('/')?;
    role.starts_with("AWSReservedSSO_")
        .then(|| session.to_owned())
}

fn who(args: &AccessArgs, sso: Option<&str>) -> anyhow::Result<String> {
    match (args.user.as_deref(), sso) {
        (Some(asked), Some(signed_in)) if asked != signed_in => bail!(
            "you are signed in to IAM Identity Center as `{signed_in}`, not `{asked}`: drop `--as` (or LANDFALL_USER)"
        ),
        (Some(user), _) | (None, Some(user)) => Ok(user.to_owned()),
        (None, None) => bail!(
            "say who you are: `--as USER` or LANDFALL_USER (your user name in the identity source), or sign in through IAM Identity Center"
        ),
    }
}

fn describe(grant: &Grant) -> String {
    let what = format!(
        "{} in {} for {}",
        grant.permission_set, grant.account, grant.requester
    );
    match grant.state {
        State::Pending => format!(
            "{}: pending — {what}; a member of `{}` approves it: landfall access approve {}",
            grant.id,
            grant.approvers.as_deref().unwrap_or("?"),
            grant.id
        ),
        State::Active => format!(
            "{}: granted — {what} until {} (it ends by itself){}",
            grant.id,
            grant.expires_at.map(utc).unwrap_or_default(),
            if grant.review_due() {
                format!(
                    "; break glass: a member of `{}` must review it (landfall access review {})",
                    grant.approvers.as_deref().unwrap_or("?"),
                    grant.id
                )
            } else {
                String::new()
            }
        ),
        State::Approving => format!("{}: being granted — {what}", grant.id),
        state
            if grant.reviewed_by.is_some()
                && grant.history.last().is_some_and(|c| c.state == state) =>
        {
            format!("{}: {state}, reviewed — {what}", grant.id)
        }
        state => format!("{}: {state} — {what}", grant.id),
    }
}

fn table(grants: &[Grant], now: u64) -> String {
    let mut rows = vec![[
        "ID".to_owned(),
        "STATE".to_owned(),
        "REQUESTER".to_owned(),
        "ACCOUNT".to_owned(),
        "PERMISSION SET".to_owned(),
        "UNTIL".to_owned(),
        "REASON".to_owned(),
    ]];
    for g in grants {
        let mut state = if g.state == State::Active && !g.is_active_at(now) {
            "ended (sweep)".to_owned()
        } else {
            g.state.to_string()
        };
        if g.review_due() {
            state.push_str(", review due");
        }
        rows.push([
            g.id.clone(),
            state,
            g.requester.clone(),
            g.account.clone(),
            g.permission_set.clone(),
            g.expires_at.map(utc).unwrap_or_else(|| "-".into()),
            match &g.ticket {
                Some(t) => format!("{} ({t})", g.reason),
                None => g.reason.clone(),
            },
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell:<width$}", width = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sso_session_names_the_user() {
        assert_eq!(
            sso_user("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_OnCall_0a1b/jane@example.com"),
            Some("jane@example.com".to_owned())
        );
        assert_eq!(
            sso_user("arn:aws:sts::111122223333:assumed-role/landfall-deploy/ci"),
            None
        );
        assert_eq!(sso_user("arn:aws:iam::111122223333:user/bob"), None);
    }
}
