//! Validation of policies against the AWS catalog and the limits of each
//! policy kind.

use landfall_diagnostics::{did_you_mean, Diagnostic, SourceSet};

use crate::catalog::{Catalog, KeyDef, KeyType, Service};
use crate::compile::{parse_bool, parse_date, parse_net, parse_number};
use crate::glob::Glob;
use crate::json::JsonLimits;
use crate::policy::{
    parse_policy_bytes, Condition, Effect, OperatorFamily, Policy, SetQualifier, Statement,
};

/// Where a policy is used; decides its size limit and which elements it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A customer managed policy (also used as a permissions boundary).
    Managed,
    /// An inline policy of a user, group or role.
    Inline,
    /// A role's trust policy.
    Trust,
    /// A session policy passed to `AssumeRole*` or `GetFederationToken`.
    Session,
    /// A resource-based policy (bucket, key, queue, ...).
    Resource,
    Scp,
    Rcp,
}

impl PolicyKind {
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Managed => "managed policy",
            PolicyKind::Inline => "inline policy",
            PolicyKind::Trust => "trust policy",
            PolicyKind::Session => "session policy",
            PolicyKind::Resource => "resource-based policy",
            PolicyKind::Scp => "SCP",
            PolicyKind::Rcp => "RCP",
        }
    }

    fn needs_principal(self) -> bool {
        matches!(
            self,
            PolicyKind::Trust | PolicyKind::Resource | PolicyKind::Rcp
        )
    }
}

/// Size limits, in characters of the minified document (IAM and STS quotas:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>;
/// SCP and RCP syntax pages of the AWS Organizations User Guide). Defaults
/// are AWS's; a spec can override them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub scp_chars: usize,
    pub rcp_chars: usize,
    /// Managed policies: whitespace does not count.
    pub managed_chars: usize,
    pub trust_chars: usize,
    pub session_chars: usize,
    /// All inline policies of one role together.
    pub inline_aggregate_chars: usize,
    /// Resource-based policies differ per service (S3 20 KB, KMS 32 KB);
    /// this is the bound used when nothing more specific is known.
    pub resource_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            scp_chars: 10_240,
            rcp_chars: 5_120,
            managed_chars: 6_144,
            trust_chars: 2_048,
            session_chars: 2_048,
            inline_aggregate_chars: 10_240,
            resource_chars: 20_480,
        }
    }
}

impl Limits {
    pub fn for_kind(&self, kind: PolicyKind) -> usize {
        match kind {
            PolicyKind::Managed => self.managed_chars,
            PolicyKind::Inline => self.inline_aggregate_chars,
            PolicyKind::Trust => self.trust_chars,
            PolicyKind::Session => self.session_chars,
            PolicyKind::Resource => self.resource_chars,
            PolicyKind::Scp => self.scp_chars,
            PolicyKind::Rcp => self.rcp_chars,
        }
    }
}

/// Parses and validates one policy file. Diagnostics include parse errors,
/// catalog errors and warnings; the policy is returned when it parsed.
pub fn check_policy_bytes(
    sources: &mut SourceSet,
    name: &str,
    bytes: &[u8],
    kind: PolicyKind,
    limits: &Limits,
) -> (Option<Policy>, Vec<Diagnostic>) {
    match parse_policy_bytes(sources, name, bytes, &JsonLimits::default()) {
        Ok(policy) => {
            let diagnostics = validate_policy(&policy, kind, limits, Catalog::get());
            (Some(policy), diagnostics)
        }
        Err(errors) => (None, errors),
    }
}

/// Validates a parsed policy.
pub fn validate_policy(
    policy: &Policy,
    kind: PolicyKind,
    limits: &Limits,
    catalog: &Catalog,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let limit = limits.for_kind(kind);
    if policy.minified_chars > limit {
        out.push(
            Diagnostic::error(
                "iam::policy-too-large",
                format!(
                    "{} is {} characters without whitespace, more than the limit of {limit}",
                    kind.name(),
                    policy.minified_chars
                ),
            )
            .with_label(policy.span, "too large")
            .with_help("split the policy or merge statements that share actions"),
        );
    }
    if policy.version.is_none() {
        out.push(
            Diagnostic::warning("iam::missing-version", "policy has no `Version`")
                .with_label(policy.span, "add `\"Version\": \"2012-10-17\"`")
                .with_help("without it AWS reads the policy as version 2008-10-17, where policy variables are plain text"),
        );
    }
    for statement in &policy.statements {
        check_statement(statement, kind, catalog, &mut out);
    }
    out
}

/// Checks the combined size of a role's inline policies.
pub fn validate_inline_aggregate(policies: &[&Policy], limits: &Limits) -> Vec<Diagnostic> {
    let total: usize = policies.iter().map(|p| p.minified_chars).sum();
    if total <= limits.inline_aggregate_chars {
        return Vec::new();
    }
    let mut d = Diagnostic::error(
        "iam::policy-too-large",
        format!(
            "inline policies total {total} characters, more than the limit of {}",
            limits.inline_aggregate_chars
        ),
    );
    for p in policies {
        d = d.with_label(p.span, format!("{} characters", p.minified_chars));
    }
    vec![d]
}

fn check_statement(s: &Statement, kind: PolicyKind, catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    match (&s.principal, kind.needs_principal()) {
        (None, true) => out.push(
            Diagnostic::error(
                "iam::missing-element",
                format!("a statement of a {} needs a `Principal`", kind.name()),
            )
            .with_label(s.span, "add a `Principal`"),
        ),
        (Some(p), false) => out.push(
            Diagnostic::error(
                "iam::unexpected-element",
                format!("a {} cannot have a `Principal`", kind.name()),
            )
            .with_label(p.span, "remove this element"),
        ),
        (Some(p), true) if p.negated && matches!(kind, PolicyKind::Rcp) => out.push(
            Diagnostic::error(
                "iam::unexpected-element",
                "RCPs do not support `NotPrincipal`",
            )
            .with_label(p.span, "use `Principal` with a condition instead"),
        ),
        _ => {}
    }
    if s.resource.is_none() && !matches!(kind, PolicyKind::Trust) {
        out.push(
            Diagnostic::error(
                "iam::missing-element",
                "statement has neither `Resource` nor `NotResource`",
            )
            .with_label(s.span, "add `\"Resource\": \"*\"` or an ARN"),
        );
    }
    // AWS attaches its own `RCPFullAWSAccess` (the one allowing RCP) to
    // every target; a simulation that lists it is not writing an Allow RCP.
    let aws_full_access = s
        .sid
        .as_ref()
        .is_some_and(|sid| sid.value == "RCPFullAWSAccess");
    if kind == PolicyKind::Rcp && s.effect.value == Effect::Allow && !aws_full_access {
        out.push(
            Diagnostic::error(
                "iam::rcp-allow",
                "RCPs can only deny; `RCPFullAWSAccess` is the only allowing RCP",
            )
            .with_label(s.effect.span, "use `Deny`"),
        );
    }
    if let Some(resource) = &s.resource {
        for value in &resource.values {
            let v = &value.value;
            if v != "*" && !(v.starts_with("arn:") && v.splitn(6, ':').count() == 6) {
                out.push(
                    Diagnostic::error(
                        "iam::invalid-resource",
                        format!("resource `{v}` is not an ARN"),
                    )
                    .with_label(
                        value.span,
                        "expected `*` or `arn:partition:service:region:account:resource`",
                    ),
                );
            }
        }
    }
    // Actions of the statement, resolved in the catalog, for key checks.
    let mut resolved: Vec<(&Service, Vec<usize>)> = Vec::new();
    let mut any_action = s.action.negated;
    for value in &s.action.values {
        let text = value.value.as_str();
        if text == "*" {
            any_action = true;
            continue;
        }
        let Some((service_part, action_part)) = text.split_once(':') else {
            continue; // reported by the parser
        };
        let service_glob = Glob::new(&service_part.to_ascii_lowercase());
        let services: Vec<&Service> = if service_glob.is_literal() {
            match catalog.service(&service_part.to_ascii_lowercase()) {
                Some(svc) => vec![svc],
                None => {
                    out.push(
                        Diagnostic::error(
                            "iam::unknown-service",
                            format!("unknown service prefix `{service_part}`"),
                        )
                        .with_label(value.span, "not a service of the AWS catalog")
                        .with_help(did_you_mean(service_part, catalog.prefixes())),
                    );
                    continue;
                }
            }
        } else {
            catalog
                .services
                .iter()
                .filter(|svc| service_glob.matches(&svc.prefix))
                .collect()
        };
        let action_glob = Glob::new(&action_part.to_ascii_lowercase());
        let mut matched_any = false;
        for svc in &services {
            let hits: Vec<usize> = if action_glob.is_literal() {
                svc.action(action_part)
                    .and_then(|a| svc.actions.iter().position(|x| std::ptr::eq(x, a)))
                    .into_iter()
                    .collect()
            } else {
                svc.actions
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| action_glob.matches_ignoring_ascii_case(&a.name))
                    .map(|(i, _)| i)
                    .collect()
            };
            matched_any |= !hits.is_empty();
            if !hits.is_empty() {
                resolved.push((svc, hits));
            }
        }
        if !matched_any {
            let d = if action_glob.is_literal() && services.len() == 1 {
                let svc = services[0];
                Diagnostic::error("iam::unknown-action", format!("unknown action `{text}`"))
                    .with_label(value.span, format!("not an action of `{}`", svc.prefix))
                    .with_help(did_you_mean(
                        action_part,
                        svc.actions.iter().map(|a| a.name.as_str()),
                    ))
            } else {
                Diagnostic::error(
                    "iam::action-matches-nothing",
                    format!("action pattern `{text}` matches no action"),
                )
                .with_label(value.span, "matches nothing in the AWS catalog")
            };
            out.push(d);
        }
    }
    for condition in &s.conditions {
        check_condition(condition, &resolved, any_action, catalog, out);
    }
}

fn check_condition(
    c: &Condition,
    actions: &[(&Service, Vec<usize>)],
    any_action: bool,
    catalog: &Catalog,
    out: &mut Vec<Diagnostic>,
) {
    let key = c.key.value.as_str();
    let lower = key.to_ascii_lowercase();
    let operator = c.operator.value;
    let family = operator.kind.family();
    let def: Option<&KeyDef> = if lower.starts_with("aws:") {
        match catalog.global_key(key) {
            Some(def) => Some(def),
            None => {
                out.push(
                    Diagnostic::warning(
                        "iam::unknown-condition-key",
                        format!("unknown global condition key `{key}`"),
                    )
                    .with_label(c.key.span, "not a global condition key")
                    .with_help(did_you_mean(key, catalog.global_key_names())),
                );
                None
            }
        }
    } else {
        let prefix = lower.split(':').next().unwrap_or_default();
        match catalog.service(prefix) {
            None if !lower.contains(':') => None, // service-specific keys without a prefix (S3 legacy) are not checked
            None => {
                out.push(
                    Diagnostic::error(
                        "iam::unknown-condition-key",
                        format!("unknown service in condition key `{key}`"),
                    )
                    .with_label(c.key.span, "no such service prefix")
                    .with_help(did_you_mean(prefix, catalog.prefixes())),
                );
                None
            }
            Some(svc) => match svc.key(key) {
                Some(def) => {
                    // The key must be supported by at least one action of the statement.
                    if !any_action && !actions.is_empty() {
                        let supported = actions.iter().any(|(s, idx)| {
                            idx.iter().any(|&i| {
                                s.actions.get(i).is_some_and(|a| s.action_has_key(a, key))
                            })
                        });
                        if !supported {
                            out.push(
                                Diagnostic::warning(
                                    "iam::condition-key-not-for-action",
                                    format!("condition key `{key}` is not supported by any action of this statement"),
                                )
                                .with_label(c.key.span, "the request never has this key")
                                .with_help(match operator.kind.is_negated() || operator.if_exists {
                                    true => "the condition is always true for these actions",
                                    false => "the condition is always false for these actions",
                                }),
                            );
                        }
                    }
                    Some(def)
                }
                None => {
                    out.push(
                        Diagnostic::error(
                            "iam::unknown-condition-key",
                            format!("unknown condition key `{key}`"),
                        )
                        .with_label(
                            c.key.span,
                            format!("not a condition key of `{}`", svc.prefix),
                        )
                        .with_help(did_you_mean(key, svc.keys.iter().map(|k| k.name.as_str()))),
                    );
                    None
                }
            },
        }
    };
    if let Some(def) = def {
        if !def.key_type.accepts(family) {
            out.push(
                Diagnostic::error(
                    "iam::operator-type-mismatch",
                    format!(
                        "`{}` compares {} values but `{key}` is of type {}",
                        operator.name(),
                        family_name(family),
                        def.key_type.name()
                    ),
                )
                .with_label(c.operator.span, "wrong operator for this key")
                .with_help(format!("use {} operators", type_operators(def.key_type))),
            );
        }
        if operator.set != SetQualifier::None && !def.key_type.is_multivalued() {
            out.push(
                Diagnostic::warning(
                    "iam::set-operator-on-single-valued-key",
                    format!(
                        "`{}` is meant for multivalued keys; `{key}` has one value",
                        operator.name()
                    ),
                )
                .with_label(
                    c.operator.span,
                    "drop the `ForAllValues:`/`ForAnyValue:` qualifier",
                )
                .with_help(
                    "with `ForAllValues:` the condition is also true when the key is missing",
                ),
            );
        }
    }
    // Values must parse for the operator's family (variables are checked at evaluation).
    for value in &c.values {
        let v = value.value.as_str();
        if v.contains("${") {
            continue;
        }
        let ok = match family {
            OperatorFamily::Numeric => parse_number(v).is_some(),
            OperatorFamily::Date => parse_date(v).is_some(),
            OperatorFamily::Bool | OperatorFamily::Null => parse_bool(v).is_some(),
            OperatorFamily::Ip => parse_net(v).is_some(),
            _ => true,
        };
        if !ok {
            out.push(
                Diagnostic::error(
                    "iam::invalid-condition-value",
                    format!("`{v}` is not a valid value for `{}`", operator.name()),
                )
                .with_label(value.span, format!("expected {}", family_value(family)))
                .with_help("a value that cannot be read never matches"),
            );
        }
    }
}

fn family_name(f: OperatorFamily) -> &'static str {
    match f {
        OperatorFamily::String => "string",
        OperatorFamily::Numeric => "numeric",
        OperatorFamily::Date => "date",
        OperatorFamily::Bool => "boolean",
        OperatorFamily::Binary => "binary",
        OperatorFamily::Ip => "IP address",
        OperatorFamily::Arn => "ARN",
        OperatorFamily::Null => "presence",
    }
}

fn family_value(f: OperatorFamily) -> &'static str {
    match f {
        OperatorFamily::Numeric => "a number",
        OperatorFamily::Date => "an ISO 8601 date or epoch seconds",
        OperatorFamily::Bool | OperatorFamily::Null => "`true` or `false`",
        OperatorFamily::Ip => "an IP address or CIDR block",
        _ => "a string",
    }
}

fn type_operators(t: KeyType) -> &'static str {
    match t {
        KeyType::String | KeyType::ArrayOfString => "`String...`",
        KeyType::Numeric | KeyType::ArrayOfNumeric => "`Numeric...`",
        KeyType::Date | KeyType::DateOrNumeric => "`Date...`",
        KeyType::Bool | KeyType::ArrayOfBool => "`Bool`",
        KeyType::Arn | KeyType::ArrayOfArn => "`Arn...`",
        KeyType::IpAddress => "`IpAddress`/`NotIpAddress`",
        KeyType::Binary => "`BinaryEquals`",
    }
}
