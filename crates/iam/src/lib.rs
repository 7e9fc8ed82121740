//! Landfall's offline IAM policy engine: parse, validate, evaluate, explain
//! and prove — no AWS SDK, no network.
//!
//! - [`policy`]: the policy language, parsed from JSON with the location of
//!   every element ([`json`] is the position-keeping, bounded JSON reader);
//! - [`validate`]: checks against the AWS action catalog ([`catalog`], the
//!   Service Authorization Reference embedded at compile time) and the size
//!   limits of each policy kind;
//! - [`compile`] and [`authorize`]: policies compiled for speed and evaluated
//!   over every layer (SCPs, RCPs, identity, resource, boundary, session) as
//!   AWS documents it, with the statements that decided;
//! - [`aws_rules`]: what AWS decides whatever the policies say, and the
//!   resources (KMS keys, roles to assume) whose own policy must allow;
//! - [`prove`]: whether *any* request of an intent gets past an
//!   organization's SCPs and RCPs, with a counterexample when one does;
//! - [`simulate`]: request files (one, several, or JSON lines) and the
//!   `landfall iam simulate` command.
//!
//! Architecture invariant: nothing here performs I/O except
//! [`simulate::simulate_command`] and [`simulate::simulate_inputs`], which
//! read the files they are given.
//! Evaluation never fails: bad input is rejected with located diagnostics
//! before it is compiled, and matching is linear in the size of its input.
//!
//! ```
//! use landfall_diagnostics::SourceSet;
//! use landfall_iam::authorize::{evaluate, DecisionKind, Layer, PolicySet};
//! use landfall_iam::compile::CompiledPolicy;
//! use landfall_iam::json::JsonLimits;
//! use landfall_iam::policy::parse_policy_bytes;
//! use landfall_iam::request::{Request, RequestInput};
//!
//! let mut sources = SourceSet::default();
//! let mut compile = |name: &str, text: &str| {
//!     let policy = parse_policy_bytes(&mut sources, name, text.as_bytes(), &JsonLimits::default())
//!         .expect("valid policy");
//!     CompiledPolicy::new(policy)
//! };
//! let policies = PolicySet {
//!     identity: vec![compile("admin.json", r#"{"Version": "2012-10-17",
//!         "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#)],
//!     scps: vec![vec![
//!         compile("full.json", r#"{"Version": "2012-10-17",
//!             "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#),
//!         compile("no-users.json", r#"{"Version": "2012-10-17",
//!             "Statement": {"Sid": "DenyIamUsers", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}}"#),
//!     ]],
//!     ..PolicySet::default()
//! };
//! let request = Request::new(RequestInput {
//!     principal: "arn:aws:iam::111122223333:role/Admin".into(),
//!     action: "iam:CreateUser".into(),
//!     resource: "*".into(),
//!     ..RequestInput::default()
//! });
//! let decision = evaluate(&policies, &request);
//! assert_eq!(decision.decision, DecisionKind::ExplicitDeny);
//! assert_eq!(decision.blocked_by, [Layer::Scp]);
//! ```

pub mod authorize;
pub mod aws_rules;
pub mod catalog;
pub mod compile;
pub mod glob;
pub mod json;
pub mod policy;
pub mod prove;
pub mod request;
pub mod simulate;
pub mod validate;
pub mod vars;

pub use authorize::{evaluate, Decision, DecisionKind, Layer, PolicySet};
pub use compile::CompiledPolicy;
pub use prove::{prove, Intent, OrgPolicies, ProveOptions, ProveOutcome};
pub use request::{ContextValue, Request, RequestInput};
pub use simulate::{simulate_command, CommandOutput, OutputFormat};
pub use validate::{check_policy_bytes, validate_policy, Limits, PolicyKind};
