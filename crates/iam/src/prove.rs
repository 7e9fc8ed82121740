//! Proving guardrails: can *any* request matching an intent get past the
//! organization's policies?
//!
//! The question is decided by enumeration, which is exact for the policy
//! language: a condition can only tell apart the values its policies
//! mention, so for every condition key that matters we try each value the
//! policies mention, a value just beside it (for wildcards, numbers, dates
//! and addresses), a value no policy mentions, and absence. Identity
//! policies are taken as allowing everything (the most permissive
//! principal), so a request that passes is a real hole in the guardrail.

use std::collections::{BTreeMap, BTreeSet};

use crate::authorize::{evaluate, Decision, PolicySet};
use crate::compile::{parse_date, parse_net, parse_number, CompiledPolicy};
use crate::json::JsonLimits;
use crate::policy::{parse_policy_text, OperatorFamily};
use crate::request::{ContextValue, Request, RequestInput};
use crate::vars::Template;

/// What a guardrail forbids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intent {
    pub name: String,
    /// Concrete actions (`iam:CreateUser`); any one being allowed breaks the intent.
    pub actions: Vec<String>,
    /// Resource ARN; `*` when absent.
    pub resource: Option<String>,
    /// Condition keys whose values may vary; empty means every key the
    /// policies mention for these actions.
    pub keys: Vec<String>,
    /// Calling principal; a role in the account when absent.
    pub principal: Option<String>,
    /// Context keys held fixed (not enumerated).
    pub fixed: BTreeMap<String, ContextValue>,
    /// Keys whose values are given rather than taken from the policies: each
    /// listed value is tried, absence is not (`ec2:InstanceType` ∈ burst types).
    pub values: BTreeMap<String, Vec<String>>,
    /// Keys AWS always sends for these actions: absence is not tried.
    pub always_present: Vec<String>,
}

/// Bounds on the enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProveOptions {
    /// Most requests to evaluate before answering `Inconclusive`.
    pub max_requests: usize,
}

impl Default for ProveOptions {
    fn default() -> Self {
        Self {
            max_requests: 1_000_000,
        }
    }
}

/// The answer for one account and one intent.
#[derive(Debug, Clone)]
pub enum ProveOutcome {
    /// No request of the intent is allowed.
    Holds { requests_checked: usize },
    /// This request is allowed.
    Counterexample {
        request: Box<RequestInput>,
        decision: Box<Decision>,
        requests_checked: usize,
    },
    /// Too many combinations to try.
    Inconclusive {
        reason: String,
        requests_checked: usize,
    },
}

impl ProveOutcome {
    pub fn holds(&self) -> bool {
        matches!(self, ProveOutcome::Holds { .. })
    }
}

/// Organization policies of one account.
#[derive(Debug, Clone, Default)]
pub struct OrgPolicies {
    /// Root → OUs → account.
    pub scps: Vec<Vec<CompiledPolicy>>,
    /// Root → OUs → account.
    pub rcps: Vec<Vec<CompiledPolicy>>,
}

/// Decides whether any request of `intent`, made in `account`, is allowed
/// by `org`; returns a counterexample when one is.
pub fn prove(
    account: &str,
    org: &OrgPolicies,
    intent: &Intent,
    options: ProveOptions,
) -> ProveOutcome {
    let allow_all = allow_everything();
    let set = PolicySet {
        identity: vec![allow_all],
        scps: org.scps.clone(),
        rcps: org.rcps.clone(),
        ..PolicySet::default()
    };
    let principal = intent
        .principal
        .clone()
        .unwrap_or_else(|| format!("arn:aws:iam::{account}:role/landfall-prove"));
    let base = |action: &str| RequestInput {
        principal: principal.clone(),
        action: action.to_owned(),
        resource: intent.resource.clone().unwrap_or_else(|| "*".to_owned()),
        resource_account: Some(account.to_owned()),
        context: intent.fixed.clone(),
        management_account: None,
    };
    let fixed: BTreeSet<String> = intent
        .fixed
        .keys()
        .map(|k| k.to_ascii_lowercase())
        .collect();
    let mut checked = 0usize;
    for action in &intent.actions {
        let probe = Request::new(base(action));
        let policies: Vec<&CompiledPolicy> =
            set.scps.iter().chain(set.rcps.iter()).flatten().collect();
        let candidates = candidate_values(&policies, &probe, intent, &fixed);
        let total = candidates
            .iter()
            .try_fold(1usize, |acc, (_, values)| acc.checked_mul(values.len()));
        match total {
            Some(n) if checked.saturating_add(n) <= options.max_requests => {}
            _ => {
                return ProveOutcome::Inconclusive {
                    reason: format!(
                        "`{action}` needs more than {} requests over {} condition keys; name the keys that matter in the intent",
                        options.max_requests,
                        candidates.len()
                    ),
                    requests_checked: checked,
                };
            }
        }
        // Odometer over the candidate values of every key.
        let mut index = vec![0usize; candidates.len()];
        loop {
            let mut input = base(action);
            for ((key, values), &i) in candidates.iter().zip(&index) {
                if let Some(value) = &values[i] {
                    input.context.insert(key.clone(), value.clone());
                }
            }
            let request = Request::new(input);
            let decision = evaluate(&set, &request);
            checked += 1;
            if decision.is_allowed() {
                return ProveOutcome::Counterexample {
                    request: Box::new(request.input),
                    decision: Box::new(decision),
                    requests_checked: checked,
                };
            }
            // Advance.
            let mut k = 0;
            loop {
                if k == index.len() {
                    break;
                }
                index[k] += 1;
                if index[k] < candidates[k].1.len() {
                    break;
                }
                index[k] = 0;
                k += 1;
            }
            if k == index.len() {
                break;
            }
        }
    }
    ProveOutcome::Holds {
        requests_checked: checked,
    }
}

fn allow_everything() -> CompiledPolicy {
    let text =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let mut sources = landfall_diagnostics::SourceSet::default();
    let file = sources.add("allow-all", text);
    match parse_policy_text(
        file,
        text,
        "most permissive identity policy",
        &JsonLimits::default(),
    ) {
        Ok(policy) => CompiledPolicy::new(policy),
        // The text above is a constant, valid policy.
        Err(_) => CompiledPolicy::new(crate::policy::Policy {
            name: String::new(),
            version: None,
            id: None,
            statements: Vec::new(),
            span: landfall_diagnostics::Span::new(file, 0, 0),
            minified_chars: 0,
        }),
    }
}

type Candidates = Vec<(String, Vec<Option<ContextValue>>)>;

/// For every key that matters: the values worth trying (`None` = absent).
fn candidate_values(
    policies: &[&CompiledPolicy],
    probe: &Request,
    intent: &Intent,
    fixed: &BTreeSet<String>,
) -> Candidates {
    let wanted: Option<BTreeSet<String>> = (!intent.keys.is_empty())
        .then(|| intent.keys.iter().map(|k| k.to_ascii_lowercase()).collect());
    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut multi: BTreeSet<String> = BTreeSet::new();
    if let Some(keys) = &wanted {
        for key in keys {
            values.entry(key.clone()).or_default();
        }
    }
    for policy in policies {
        for (statement, source) in policy.statements.iter().zip(&policy.policy.statements) {
            if !statement.matches_action(probe) {
                continue;
            }
            for (compiled, condition) in statement.conditions.iter().zip(&source.conditions) {
                let key = &compiled.key;
                // With a named principal, keys derived from it are fixed by the
                // request, not chosen; without one, varying them explores
                // every principal.
                let derived = intent.principal.is_some()
                    && crate::request::DERIVED_KEYS.contains(&key.as_str());
                if derived
                    || fixed.contains(key)
                    || wanted.as_ref().is_some_and(|w| !w.contains(key))
                {
                    continue;
                }
                if compiled.operator.set != crate::policy::SetQualifier::None {
                    multi.insert(key.clone());
                }
                let set = values.entry(key.clone()).or_default();
                for value in &condition.values {
                    witnesses(compiled.operator.kind.family(), &value.value, set);
                }
            }
        }
    }
    let given: BTreeMap<String, &Vec<String>> = intent
        .values
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    for key in given.keys() {
        values.entry(key.clone()).or_default();
    }
    let present: BTreeSet<String> = intent
        .always_present
        .iter()
        .map(|k| k.to_ascii_lowercase())
        .collect();
    values
        .into_iter()
        .filter(|(key, _)| !fixed.contains(key))
        .map(|(key, mut set)| {
            if let Some(given) = given.get(&key) {
                return (
                    key,
                    given
                        .iter()
                        .map(|v| Some(ContextValue::One(v.clone())))
                        .collect(),
                );
            }
            set.insert("landfall-unmentioned-value".to_owned());
            let mut list: Vec<Option<ContextValue>> = Vec::new();
            if !present.contains(&key) {
                list.push(None);
            }
            list.extend(set.iter().map(|v| Some(ContextValue::One(v.clone()))));
            if multi.contains(&key) && set.len() > 1 {
                list.push(Some(ContextValue::Many(set.iter().cloned().collect())));
                list.push(Some(ContextValue::Many(Vec::new())));
            }
            (key, list)
        })
        .collect()
}

/// Values that fall on each side of a policy value.
fn witnesses(family: OperatorFamily, value: &str, out: &mut BTreeSet<String>) {
    if Template::parse(value).is_some() {
        // Compared with another key's value: equal and different both matter.
        out.insert(value.to_owned());
        return;
    }
    match family {
        OperatorFamily::String | OperatorFamily::Arn | OperatorFamily::Binary => {
            out.insert(value.to_owned());
            if value.contains(['*', '?']) {
                out.insert(value.replace('*', "").replace('?', "x"));
                out.insert(value.replace(['*', '?'], "x"));
            }
            out.insert(value.to_uppercase());
        }
        OperatorFamily::Numeric => {
            if let Some(n) = parse_number(value) {
                for v in [n - 1.0, n, n + 1.0] {
                    out.insert(format!("{v}"));
                }
            }
        }
        OperatorFamily::Date => {
            if let Some(ms) = parse_date(value) {
                for s in [ms / 1000 - 1, ms / 1000, ms / 1000 + 1] {
                    out.insert(s.to_string());
                }
            }
        }
        OperatorFamily::Bool | OperatorFamily::Null => {
            out.insert("true".to_owned());
            out.insert("false".to_owned());
        }
        OperatorFamily::Ip => {
            if let Some(net) = parse_net(value) {
                out.insert(net.network().to_string());
                out.insert(net.broadcast().to_string());
                // Just outside the block, when there is such an address.
                match net {
                    ipnet::IpNet::V4(n) => {
                        if let Some(after) = u32::from(n.broadcast()).checked_add(1) {
                            out.insert(std::net::Ipv4Addr::from(after).to_string());
                        }
                    }
                    ipnet::IpNet::V6(n) => {
                        if let Some(after) = u128::from(n.broadcast()).checked_add(1) {
                            out.insert(std::net::Ipv6Addr::from(after).to_string());
                        }
                    }
                }
            }
        }
    }
}
