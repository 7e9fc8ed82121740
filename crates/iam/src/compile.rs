//! Policies compiled for fast evaluation: lower-cased and pre-split action
//! patterns, pre-parsed ARN patterns and condition values.
//!
//! What makes an evaluation cheap: services are compared as their index in
//! the catalog, and each statement (and each policy) keeps the services its
//! actions name as a bit set, so most statements are passed over on one
//! bit; literal patterns, and a literal before or after one `*`, compare a
//! word at a time against texts the request prepared once
//! ([`crate::glob::Matcher`], [`crate::glob::PreparedArn`]); an evaluation
//! allocates only the decision's list of matched statements, and what
//! policy variables substitute.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::glob::{ArnMatcher, ArnPattern, Glob, Matcher as GlobMatcher};
use crate::policy::{
    Effect, Operator, OperatorKind, Policy, PrincipalValue, SetQualifier, Statement,
};
use crate::request::{PrincipalInfo, PrincipalKind, Request};
use crate::vars::Template;

/// A policy ready to evaluate. Keeps the parsed policy for explanations.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    pub policy: Policy,
    pub(crate) statements: Vec<CompiledStatement>,
    /// When every statement's `Action` lists only services of the catalog,
    /// those services: a request of another service matches no statement,
    /// and the policy is passed over on one bit.
    services: Option<Box<[u64]>>,
}

impl CompiledPolicy {
    pub fn new(policy: Policy) -> CompiledPolicy {
        let variables = policy.supports_variables();
        let statements: Vec<CompiledStatement> = policy
            .statements
            .iter()
            .map(|s| CompiledStatement::new(s, variables))
            .collect();
        let services = statements
            .iter()
            .all(|s| !s.actions.negated && s.known_from == 0)
            .then(|| {
                let mut union =
                    vec![0u64; crate::catalog::Catalog::get().services.len().div_ceil(64)];
                for s in &statements {
                    for (word, bits) in union.iter_mut().zip(s.services.iter()) {
                        *word |= bits;
                    }
                }
                union.into_boxed_slice()
            });
        CompiledPolicy {
            policy,
            statements,
            services,
        }
    }

    /// Whether some statement may name the request's action; `false` only
    /// when none can.
    #[inline]
    pub(crate) fn may_match_action(&self, request: &Request) -> bool {
        self.services
            .as_ref()
            .is_none_or(|bits| has_service(bits, request.service_id))
    }

    pub fn name(&self) -> &str {
        &self.policy.name
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledStatement {
    pub effect: Effect,
    actions: Matcher<ActionPattern>,
    /// The services the action patterns from `known_from` on name (each
    /// one service of the catalog), as a bit set over the catalog's
    /// services: for a request of another service those patterns are
    /// skipped on one bit. Patterns before `known_from` (`*`, wildcard or
    /// unknown services) are always tried.
    services: Box<[u64]>,
    known_from: usize,
    /// The patterns from `known_from` on, as (service index, action name).
    known_actions: Box<[(usize, GlobMatcher)]>,
    resources: Option<Matcher<ResourcePattern>>,
    principals: Option<Matcher<PrincipalPattern>>,
    pub conditions: Vec<CompiledCondition>,
}

#[derive(Debug, Clone)]
struct Matcher<T> {
    negated: bool,
    patterns: Vec<T>,
}

#[derive(Debug, Clone)]
enum ActionPattern {
    All,
    /// Service and action name patterns, both lower case.
    Split {
        service: ServicePattern,
        action: GlobMatcher,
    },
    Whole(GlobMatcher),
}

#[derive(Debug, Clone)]
enum ServicePattern {
    /// A service of the catalog, by its index.
    Known(usize),
    /// A pattern with wildcards, or a name the catalog does not have.
    Other(GlobMatcher),
}

#[derive(Debug, Clone)]
enum ResourcePattern {
    /// The pattern (for sets of resources) and its compiled matcher.
    Static(ArnPattern, ArnMatcher),
    Dynamic(Template),
}

#[derive(Debug, Clone)]
enum PrincipalPattern {
    Anyone,
    Account(String),
    Arn {
        arn: String,
        /// For a role ARN with a path (`role/team/Deployer`), the same ARN
        /// without it: a session ARN (`assumed-role/Deployer/s`) carries the
        /// role's name only, and a role name is unique in its account
        /// whatever its path (IAM identifiers, "Friendly names and paths").
        role_without_path: Option<String>,
    },
    Service(String),
    Other(String),
}

/// How a resource policy's `Principal` matched the caller; decides whether
/// boundaries and session policies still limit the grant.
///
/// Ordered from the grant that asks most of the caller's other policies to
/// the one that asks least: when several statements or principals match,
/// the greatest decides, so naming the account as well never takes away
/// what `"*"` grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// The caller's account: delegates to identity-based policies.
    Account,
    /// `"*"` or a `NotPrincipal` the caller is not in.
    Anyone,
    /// The role itself, or the role a session belongs to.
    Role,
    /// The caller's own ARN (user, role session) or service name.
    Direct,
}

impl CompiledStatement {
    fn new(s: &Statement, variables: bool) -> Self {
        let mut patterns: Vec<ActionPattern> = s
            .action
            .values
            .iter()
            .map(|v| ActionPattern::new(&v.value))
            .collect();
        // Patterns of known services last (their order does not matter:
        // any one matching is enough).
        patterns.sort_by_key(|p| p.known_service().is_some());
        let known_from = patterns
            .iter()
            .position(|p| p.known_service().is_some())
            .unwrap_or(patterns.len());
        let services = service_set(&patterns);
        let known_actions = patterns[known_from..]
            .iter()
            .filter_map(|p| match p {
                ActionPattern::Split {
                    service: ServicePattern::Known(index),
                    action,
                } => Some((*index, action.clone())),
                _ => None,
            })
            .collect();
        let actions = Matcher {
            negated: s.action.negated,
            patterns,
        };
        let resources = s.resource.as_ref().map(|r| Matcher {
            negated: r.negated,
            patterns: r
                .values
                .iter()
                .map(
                    |v| match variables.then(|| Template::parse(&v.value)).flatten() {
                        Some(t) => ResourcePattern::Dynamic(t),
                        None => {
                            let pattern = ArnPattern::new(&v.value);
                            let matcher = ArnMatcher::new(&pattern);
                            ResourcePattern::Static(pattern, matcher)
                        }
                    },
                )
                .collect(),
        });
        let principals = s.principal.as_ref().map(|p| Matcher {
            negated: p.negated,
            patterns: p
                .values
                .iter()
                .map(|v| PrincipalPattern::new(&v.value))
                .collect(),
        });
        let conditions = s
            .conditions
            .iter()
            .map(|c| CompiledCondition {
                operator: c.operator.value,
                key: c.key.value.to_ascii_lowercase(),
                values: c
                    .values
                    .iter()
                    .map(
                        |v| match variables.then(|| Template::parse(&v.value)).flatten() {
                            Some(t) => CondValue::Dynamic(t),
                            None => CondValue::Static(Pre::new(c.operator.value.kind, &v.value)),
                        },
                    )
                    .collect(),
            })
            .collect();
        CompiledStatement {
            effect: s.effect.value,
            actions,
            services,
            known_from,
            known_actions,
            resources,
            principals,
            conditions,
        }
    }

    /// Whether the statement has a `Principal` or `NotPrincipal`.
    pub fn has_principal(&self) -> bool {
        self.principals.is_some()
    }

    /// Whether the statement applies to the request; for statements with a
    /// `Principal`, how it matched. `boundary_attached` says the caller has
    /// a permissions boundary: then a `NotPrincipal` excludes no IAM
    /// principal ("The NotPrincipal element with a Deny effect will always
    /// deny any IAM principal that has a permissions boundary policy
    /// attached, regardless of the values specified in the NotPrincipal
    /// element": Permissions boundaries for IAM entities,
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>).
    pub(crate) fn applies(
        &self,
        request: &Request,
        boundary_attached: bool,
    ) -> Option<PrincipalMatch> {
        if !self.matches_action(request) || !self.matches_resource(request) {
            return None;
        }
        let principal_match = self.principal_match(request, boundary_attached)?;
        self.conditions
            .iter()
            .all(|c| c.evaluate(request))
            .then_some(principal_match)
    }

    fn matches_resource(&self, request: &Request) -> bool {
        let Some(resources) = &self.resources else {
            return true;
        };
        let any = match &request.resource_set {
            None => {
                let resource = request.resource();
                resources
                    .patterns
                    .iter()
                    .any(|p| p.matches(resource, request))
            }
            // A request for a set of resources asks whether the action may
            // be allowed on one of them: an `Allow` applies when it covers
            // some of the set, a `Deny` only when it covers all of it
            // (`NotResource` the other way round). A guardrail proof then
            // never misses a resource the set leaves open.
            Some(set) => {
                let whole = (self.effect == Effect::Deny) != resources.negated;
                resources
                    .patterns
                    .iter()
                    .any(|p| p.relates(set, whole, request))
            }
        };
        any != resources.negated
    }

    #[inline]
    fn principal_match(
        &self,
        request: &Request,
        boundary_attached: bool,
    ) -> Option<PrincipalMatch> {
        match &self.principals {
            None => Some(PrincipalMatch::Direct),
            Some(m) if !m.negated => m
                .patterns
                .iter()
                .filter_map(|p| p.matches(&request.principal))
                .max(),
            Some(m) => {
                let excluded = !(boundary_attached && request.principal.is_iam())
                    && not_principal_excludes(&m.patterns, &request.principal);
                (!excluded).then_some(PrincipalMatch::Anyone)
            }
        }
    }

    /// The first element of the statement that does not match the request,
    /// for explanations; `None` when the statement applies.
    pub fn mismatch(&self, request: &Request) -> Option<Mismatch> {
        if !self.matches_action(request) {
            return Some(Mismatch::Action {
                negated: self.actions.negated,
            });
        }
        if !self.matches_resource(request) {
            return Some(Mismatch::Resource {
                negated: self.resources.as_ref().is_some_and(|r| r.negated),
            });
        }
        if self.principal_match(request, false).is_none() {
            return Some(Mismatch::Principal {
                negated: self.principals.as_ref().is_some_and(|p| p.negated),
            });
        }
        self.conditions
            .iter()
            .position(|c| !c.evaluate(request))
            .map(|index| Mismatch::Condition { index })
    }

    #[inline]
    pub fn matches_action(&self, request: &Request) -> bool {
        let service_id = request.service_id;
        let try_known = self.known_from < self.actions.patterns.len()
            && has_service(&self.services, service_id);
        let any = (self.known_from > 0 || try_known) && self.any_action_pattern(request, try_known);
        any != self.actions.negated
    }

    /// Whether one of the action patterns matches: those of other services
    /// and, with `try_known`, those of the request's known service.
    fn any_action_pattern(&self, request: &Request, try_known: bool) -> bool {
        let service_id = request.service_id;
        let others = &self.actions.patterns[..self.known_from];
        let keys = request.action_keys();
        others.iter().any(|p| p.matches(keys, service_id))
            || (try_known
                && self.known_actions.iter().any(|(service, action)| {
                    Some(*service) == service_id && action.matches(keys[1])
                }))
    }
}

/// Whether a `NotPrincipal` list excludes the caller. AWS matches every
/// identity the request carries — a role session is also its role and its
/// account, an IAM user also its account — so a caller is excluded only when
/// each of them is listed (or `"*"` is): IAM JSON policy elements:
/// NotPrincipal, "Specific IAM role in the same or different account" lists
/// the session ARN, the role ARN and the account
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html>).
fn not_principal_excludes(patterns: &[PrincipalPattern], caller: &PrincipalInfo) -> bool {
    let (mut anyone, mut own, mut role, mut account) = (false, false, false, false);
    for p in patterns {
        match p.matches(caller) {
            Some(PrincipalMatch::Anyone) => anyone = true,
            Some(PrincipalMatch::Direct) => own = true,
            Some(PrincipalMatch::Role) => role = true,
            Some(PrincipalMatch::Account) => account = true,
            None => {}
        }
    }
    anyone
        || match &caller.kind {
            PrincipalKind::User { .. } => own && account,
            PrincipalKind::Role => role && account,
            PrincipalKind::RoleSession { .. } => own && role && account,
            PrincipalKind::Root => account,
            PrincipalKind::Service | PrincipalKind::Other => own,
            PrincipalKind::Anonymous => false,
        }
}

/// Which element of a statement did not match a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// `Action` (or, `negated`, `NotAction`) does not cover the action.
    Action { negated: bool },
    /// `Resource` (or `NotResource`) does not cover the resource.
    Resource { negated: bool },
    /// `Principal` (or `NotPrincipal`) does not cover the caller.
    Principal { negated: bool },
    /// The condition at `index` of the statement's conditions is false.
    Condition { index: usize },
}

impl ActionPattern {
    fn new(pattern: &str) -> Self {
        let lower = pattern.to_ascii_lowercase();
        if lower == "*" {
            return ActionPattern::All;
        }
        match lower.split_once(':') {
            Some((service, action)) => {
                let glob = Glob::new(service);
                let known = glob
                    .is_literal()
                    .then(|| crate::catalog::Catalog::get().service_index(service))
                    .flatten();
                ActionPattern::Split {
                    service: match known {
                        Some(index) => ServicePattern::Known(index),
                        None => ServicePattern::Other(GlobMatcher::new(&glob)),
                    },
                    action: GlobMatcher::new(&Glob::new(action)),
                }
            }
            None => ActionPattern::Whole(GlobMatcher::new(&Glob::new(&lower))),
        }
    }

    #[inline]
    fn matches(
        &self,
        [service_key, action_key, whole_key]: [crate::glob::Key<'_>; 3],
        service_id: Option<usize>,
    ) -> bool {
        match self {
            ActionPattern::All => true,
            ActionPattern::Split { service, action } => {
                let service_matches = match service {
                    ServicePattern::Known(index) => service_id == Some(*index),
                    ServicePattern::Other(matcher) => matcher.matches(service_key),
                };
                service_matches && action.matches(action_key)
            }
            ActionPattern::Whole(matcher) => matcher.matches(whole_key),
        }
    }
}

impl ActionPattern {
    /// The catalog service the pattern is limited to, if one.
    fn known_service(&self) -> Option<usize> {
        match self {
            ActionPattern::Split {
                service: ServicePattern::Known(index),
                ..
            } => Some(*index),
            _ => None,
        }
    }
}

/// The catalog services action patterns name, as a bit set.
fn service_set(patterns: &[ActionPattern]) -> Box<[u64]> {
    let mut bits = vec![0u64; crate::catalog::Catalog::get().services.len().div_ceil(64)];
    for index in patterns.iter().filter_map(ActionPattern::known_service) {
        bits[index / 64] |= 1 << (index % 64);
    }
    bits.into()
}

/// Whether a service's bit is set.
#[inline]
fn has_service(bits: &[u64], service_id: Option<usize>) -> bool {
    service_id.is_some_and(|i| {
        bits.get(i / 64)
            .is_some_and(|word| word & (1 << (i % 64)) != 0)
    })
}

impl ResourcePattern {
    /// Whether the pattern covers all of `set` (`whole`) or some of it.
    fn relates(&self, set: &ArnPattern, whole: bool, request: &Request) -> bool {
        let relate = |p: &ArnPattern| {
            if whole {
                p.contains(set)
            } else {
                p.intersects(set)
            }
        };
        match self {
            ResourcePattern::Static(p, _) => relate(p),
            ResourcePattern::Dynamic(t) => t
                .tokens(|k| request.get(k), false)
                .is_some_and(|tokens| relate(&ArnPattern::from_tokens(tokens))),
        }
    }

    fn matches(&self, resource: &str, request: &Request) -> bool {
        match self {
            ResourcePattern::Static(_, m) => m.matches(resource, &request.resource_prepared),
            ResourcePattern::Dynamic(t) => {
                // The text before the first variable is the start of every
                // ARN the pattern matches when it has no wildcard.
                if let Some(crate::vars::Part::Text(head)) = t.parts.first() {
                    if !head.contains(['*', '?']) && !resource.starts_with(head.as_str()) {
                        return false;
                    }
                }
                t.tokens(|k| request.get(k), false).is_some_and(|tokens| {
                    crate::glob::arn_tokens_match(&tokens, resource, &request.resource_prepared)
                })
            }
        }
    }
}

impl PrincipalPattern {
    fn new(value: &PrincipalValue) -> Self {
        let is_account_id = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
        match value {
            PrincipalValue::Anyone => PrincipalPattern::Anyone,
            PrincipalValue::Aws(v) if is_account_id(v) => PrincipalPattern::Account(v.clone()),
            PrincipalValue::Aws(v) => {
                let parts: Vec<&str> = v.split(':').collect();
                if parts.len() == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5] == "root"
                {
                    PrincipalPattern::Account(parts[4].to_owned())
                } else {
                    let role_without_path = (parts.len() == 6 && parts[2] == "iam")
                        .then(|| parts[5].strip_prefix("role/"))
                        .flatten()
                        .filter(|name| name.contains('/'))
                        .and_then(|name| name.rsplit('/').next())
                        .map(|name| format!("{}:role/{name}", parts[..5].join(":")));
                    PrincipalPattern::Arn {
                        arn: v.clone(),
                        role_without_path,
                    }
                }
            }
            PrincipalValue::Service(v) => PrincipalPattern::Service(v.to_ascii_lowercase()),
            PrincipalValue::Federated(v) | PrincipalValue::CanonicalUser(v) => {
                PrincipalPattern::Other(v.clone())
            }
        }
    }

    fn matches(&self, principal: &PrincipalInfo) -> Option<PrincipalMatch> {
        match self {
            PrincipalPattern::Anyone => Some(PrincipalMatch::Anyone),
            PrincipalPattern::Account(account) => (principal.kind != PrincipalKind::Service
                && principal.account.as_deref() == Some(account.as_str()))
            .then_some(PrincipalMatch::Account),
            PrincipalPattern::Arn {
                arn,
                role_without_path,
            } => {
                if *arn == principal.arn {
                    // A resource policy that names a role (not one of its
                    // sessions) is limited by the role's boundary and session
                    // policies.
                    Some(match principal.kind {
                        PrincipalKind::Role => PrincipalMatch::Role,
                        _ => PrincipalMatch::Direct,
                    })
                } else if let PrincipalKind::RoleSession { role_arn } = &principal.kind {
                    (arn == role_arn || role_without_path.as_ref() == Some(role_arn))
                        .then_some(PrincipalMatch::Role)
                } else {
                    None
                }
            }
            PrincipalPattern::Service(name) => (principal.kind == PrincipalKind::Service
                && principal.arn.eq_ignore_ascii_case(name))
            .then_some(PrincipalMatch::Direct),
            PrincipalPattern::Other(v) => (*v == principal.arn).then_some(PrincipalMatch::Direct),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledCondition {
    pub operator: Operator,
    /// Lower case.
    pub key: String,
    values: Vec<CondValue>,
}

#[derive(Debug, Clone)]
enum CondValue {
    Static(Pre),
    Dynamic(Template),
}

/// A policy value pre-parsed for its operator's family.
#[derive(Debug, Clone)]
enum Pre {
    Text(String),
    /// Lower case, for the `IgnoreCase` operators.
    Lower(String),
    Glob(Glob),
    Number(Option<f64>),
    Date(Option<i64>),
    Bool(Option<bool>),
    Net(Option<IpNet>),
    Arn(ArnMatcher),
}

impl Pre {
    fn new(kind: OperatorKind, value: &str) -> Pre {
        use OperatorKind as K;
        match kind {
            K::StringEquals | K::StringNotEquals | K::BinaryEquals => Pre::Text(value.to_owned()),
            K::StringEqualsIgnoreCase | K::StringNotEqualsIgnoreCase => {
                Pre::Lower(value.to_lowercase())
            }
            K::StringLike | K::StringNotLike => Pre::Glob(Glob::new(value)),
            K::NumericEquals
            | K::NumericNotEquals
            | K::NumericLessThan
            | K::NumericLessThanEquals
            | K::NumericGreaterThan
            | K::NumericGreaterThanEquals => Pre::Number(parse_number(value)),
            K::DateEquals
            | K::DateNotEquals
            | K::DateLessThan
            | K::DateLessThanEquals
            | K::DateGreaterThan
            | K::DateGreaterThanEquals => Pre::Date(parse_date(value)),
            K::Bool | K::Null => Pre::Bool(parse_bool(value)),
            K::IpAddress | K::NotIpAddress => Pre::Net(parse_net(value)),
            K::ArnEquals | K::ArnLike | K::ArnNotEquals | K::ArnNotLike => {
                Pre::Arn(ArnMatcher::new(&ArnPattern::new(value)))
            }
        }
    }

    /// Builds from a template with variables substituted; substituted text is
    /// literal in wildcard patterns.
    fn from_template(kind: OperatorKind, t: &Template, request: &Request) -> Option<Pre> {
        use OperatorKind as K;
        let lookup = |k: &str| request.get(k);
        match kind {
            K::StringLike | K::StringNotLike => {
                Some(Pre::Glob(Glob::from_tokens(t.tokens(lookup, false)?)))
            }
            K::ArnEquals | K::ArnLike | K::ArnNotEquals | K::ArnNotLike => Some(Pre::Arn(
                ArnMatcher::new(&ArnPattern::from_tokens(t.tokens(lookup, false)?)),
            )),
            _ => Some(Pre::new(kind, &t.render(lookup)?)),
        }
    }

    /// Whether one context value matches this policy value (ignoring negation).
    #[inline]
    fn matches(&self, kind: OperatorKind, value: &str, request: &Request) -> bool {
        match self {
            Pre::Text(p) => p == value,
            Pre::Lower(p) => {
                if value.is_ascii() {
                    value.eq_ignore_ascii_case(p)
                } else {
                    value.to_lowercase() == *p
                }
            }
            Pre::Glob(g) => g.matches(value),
            Pre::Number(p) => match (p, parse_number(value)) {
                (Some(p), Some(v)) => compare(kind, v.partial_cmp(p)),
                _ => false,
            },
            Pre::Date(p) => match (p, parse_date(value)) {
                (Some(p), Some(v)) => compare(kind, Some(v.cmp(p))),
                _ => false,
            },
            Pre::Bool(p) => p.is_some() && *p == parse_bool(value),
            Pre::Net(p) => match (p, value.trim().parse::<IpAddr>()) {
                (Some(net), Ok(ip)) => net.contains(&ip),
                _ => false,
            },
            Pre::Arn(p) => match request.prepared_principal_arn(value) {
                Some(prepared) => p.matches(value, prepared),
                None => p.matches_text(value),
            },
        }
    }
}

fn compare(kind: OperatorKind, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    use OperatorKind as K;
    let Some(o) = ordering else { return false };
    match kind {
        K::NumericEquals | K::NumericNotEquals | K::DateEquals | K::DateNotEquals => o == Equal,
        K::NumericLessThan | K::DateLessThan => o == Less,
        K::NumericLessThanEquals | K::DateLessThanEquals => o != Greater,
        K::NumericGreaterThan | K::DateGreaterThan => o == Greater,
        K::NumericGreaterThanEquals | K::DateGreaterThanEquals => o != Less,
        _ => false,
    }
}

impl CompiledCondition {
    /// Evaluates one operator-key test against the request.
    ///
    /// Semantics (IAM JSON policy elements: Condition operators, and
    /// Single-valued vs. multivalued context keys, IAM User Guide):
    /// - a missing key makes the test false, except negated operators (true),
    ///   `...IfExists` (true), `ForAllValues:` (true) and `Null`;
    /// - values within one key are ORed; negated operators match when no
    ///   value matches;
    /// - `ForAllValues:` needs every request value to match, `ForAnyValue:` one.
    pub fn evaluate(&self, request: &Request) -> bool {
        let kind = self.operator.kind;
        let present = request.get(&self.key).filter(|v| !v.is_empty());
        if kind == OperatorKind::Null {
            // `"Null": {"k": "true"}` — the key is absent.
            let absent = present.is_none();
            return self.values.iter().any(|v| match v {
                CondValue::Static(Pre::Bool(Some(b))) => *b == absent,
                _ => false,
            });
        }
        let Some(values) = present else {
            if self.operator.if_exists {
                return true;
            }
            return match self.operator.set {
                SetQualifier::ForAllValues => true,
                SetQualifier::ForAnyValue => false,
                SetQualifier::None => kind.is_negated(),
            };
        };
        let negated = kind.is_negated();
        // Values with variables are resolved once per evaluation; an
        // unresolvable variable makes that value match nothing.
        let resolved: Option<Vec<Pre>> = self
            .values
            .iter()
            .any(|v| matches!(v, CondValue::Dynamic(_)))
            .then(|| {
                self.values
                    .iter()
                    .filter_map(|v| match v {
                        CondValue::Static(p) => Some(p.clone()),
                        CondValue::Dynamic(t) => Pre::from_template(kind, t, request),
                    })
                    .collect()
            });
        let hit = |value: &str| -> bool {
            match &resolved {
                Some(pres) => pres.iter().any(|p| p.matches(kind, value, request)),
                None => self
                    .values
                    .iter()
                    .any(|v| matches!(v, CondValue::Static(p) if p.matches(kind, value, request))),
            }
        };
        let single = |value: &String| hit(value) != negated;
        match self.operator.set {
            SetQualifier::ForAllValues => values.iter().all(single),
            SetQualifier::ForAnyValue => values.iter().any(single),
            SetQualifier::None if negated => values.iter().all(single),
            SetQualifier::None => values.iter().any(single),
        }
    }
}

pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub(crate) fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Some(net.trunc());
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Parses an ISO 8601 date-time (`2026-01-31`, `2026-01-31T12:00:00Z`,
/// fractional seconds, `+hh:mm` offsets) or epoch seconds, to epoch
/// milliseconds.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    // A date that is not on the calendar (`2026-02-30`) is not a date.
    if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    let mut rest = &s[10..];
    if let Some(time) = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' ')) {
        let t = time.as_bytes();
        if t.len() < 5 || t[2] != b':' {
            return None;
        }
        let (hour, minute) = (num(11, 2)?, num(14, 2)?);
        if hour > 23 || minute > 59 {
            return None;
        }
        millis += (hour * 3600 + minute * 60) * 1000;
        rest = &time[5..];
        if let Some(sec) = rest.strip_prefix(':') {
            let secs: i64 = sec.get(..2)?.parse().ok()?;
            if secs > 60 {
                return None;
            }
            millis += secs * 1000;
            rest = &sec[2..];
            if let Some(frac) = rest.strip_prefix('.') {
                let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
                if digits == 0 {
                    return None;
                }
                let ms: String = frac[..digits]
                    .chars()
                    .chain("000".chars())
                    .take(3)
                    .collect();
                millis += ms.parse::<i64>().ok()?;
                rest = &frac[digits..];
            }
        }
        match rest {
            "" | "Z" | "z" => {}
            offset => {
                let sign = match offset.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let o = offset[1..].replace(':', "");
                if o.len() != 4 || !o.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let minutes = o[..2].parse::<i64>().ok()? * 60 + o[2..].parse::<i64>().ok()?;
                millis -= sign * minutes * 60_000;
            }
        }
    } else if !rest.is_empty() {
        return None;
    }
    Some(millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("86400"), Some(86_400_000));
        assert_eq!(
            parse_date("2020-03-01T01:00:00+01:00"),
            parse_date("2020-03-01T00:00:00Z")
        );
        assert_eq!(
            parse_date("2020-03-01T00:00:00.5Z").unwrap() - parse_date("2020-03-01").unwrap(),
            500
        );
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_date("2026-04-31T00:00:00Z"), None);
        assert!(parse_date("2024-02-29").is_some());
        assert_eq!(parse_date("garbage"), None);
    }

    #[test]
    fn nets() {
        let net = parse_net("203.0.113.0/24").unwrap();
        assert!(net.contains(&"203.0.113.9".parse::<IpAddr>().unwrap()));
        assert!(parse_net("2001:db8::/32")
            .unwrap()
            .contains(&"2001:db8::1".parse::<IpAddr>().unwrap()));
        assert_eq!(parse_net("10.0.0.1"), Some("10.0.0.1/32".parse().unwrap()));
    }
}
