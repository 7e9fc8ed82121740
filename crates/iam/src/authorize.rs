//! The authorizer: evaluates a request against every policy layer the way
//! AWS documents it, and says which statements decided.
//!
//! Policy evaluation logic
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>):
//! 1. an explicit `Deny` in any applicable policy wins;
//! 2. RCPs must allow, at every level from the root to the resource's account
//!    (member accounts only, supported services only);
//! 3. SCPs must allow, at every level from the root to the principal's account
//!    (member accounts only; never service-linked roles);
//! 4. within one account an identity-based or a resource-based policy may
//!    allow; across accounts both must;
//! 5. permissions boundaries and session policies intersect with
//!    identity-based policies;
//! 6. KMS keys and roles to assume need their own policy to allow
//!    ([`ResourceGate`]); some requests AWS decides whatever the policies
//!    say ([`AwsRule`]);
//! 7. an anonymous request is allowed by a resource-based policy that
//!    allows everyone, or not at all; RCPs apply to it, SCPs do not.

use serde::Serialize;

use crate::aws_rules::{AwsRule, ResourceGate};
use crate::compile::{CompiledPolicy, PrincipalMatch};
use crate::policy::Effect;
use crate::request::{PrincipalKind, Request};

/// The policies that apply to one request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub identity: Vec<CompiledPolicy>,
    pub resource: Option<CompiledPolicy>,
    /// Read as one boundary: a statement of any of them may allow.
    pub boundaries: Vec<CompiledPolicy>,
    pub session: Option<CompiledPolicy>,
    /// Levels from the root to the principal's account; empty when the
    /// account is not in an organization.
    pub scps: Vec<Vec<CompiledPolicy>>,
    /// Levels from the root to the resource's account.
    pub rcps: Vec<Vec<CompiledPolicy>>,
}

/// AWS's own names for the three outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DecisionKind {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Allowed => "allowed",
            DecisionKind::ExplicitDeny => "explicitDeny",
            DecisionKind::ImplicitDeny => "implicitDeny",
        }
    }
}

/// A policy layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    Scp,
    Rcp,
    Identity,
    Resource,
    Boundary,
    Session,
    /// AWS itself, whatever the policies say ([`AwsRule`]).
    Aws,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Scp => "scp",
            Layer::Rcp => "rcp",
            Layer::Identity => "identity",
            Layer::Resource => "resource",
            Layer::Boundary => "boundary",
            Layer::Session => "session",
            Layer::Aws => "aws",
        }
    }
}

/// A statement that matched the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef {
    pub layer: Layer,
    /// Level for SCPs and RCPs (0 = root).
    pub level: usize,
    /// Index of the policy within its layer (or level).
    pub policy: usize,
    pub statement: usize,
    pub effect: Effect,
}

/// Why a layer did not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exemption {
    ManagementAccount,
    ServiceLinkedRole,
    ServicePrincipal,
    UnsupportedService,
    AnonymousRequest,
}

impl Exemption {
    pub fn describe(self, layer: Layer) -> &'static str {
        match (self, layer) {
            (Exemption::ManagementAccount, Layer::Scp) => {
                "SCPs do not apply to the management account"
            }
            (Exemption::ManagementAccount, _) => {
                "RCPs do not apply to resources of the management account"
            }
            (Exemption::ServiceLinkedRole, _) => {
                "organization policies do not apply to service-linked roles"
            }
            (Exemption::ServicePrincipal, _) => "SCPs do not apply to AWS service principals",
            (Exemption::UnsupportedService, _) => "RCPs do not apply to this service",
            (Exemption::AnonymousRequest, _) => {
                "SCPs apply to principals of member accounts; an anonymous request has none"
            }
        }
    }
}

/// The outcome of one evaluation and the statements behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub decision: DecisionKind,
    /// Layers that denied (explicitly) or failed to allow (implicitly).
    pub blocked_by: Vec<Layer>,
    /// Every statement that matched, in evaluation order.
    pub matched: Vec<StatementRef>,
    /// SCP/RCP levels without an allowing statement.
    pub missing_levels: Vec<(Layer, usize)>,
    /// Organization layers skipped, and why.
    pub exemptions: Vec<(Layer, Exemption)>,
    /// Whether principal and resource are in different accounts (always for
    /// an anonymous request or a service principal, which have none).
    pub cross_account: bool,
    /// The AWS rule that decided, whatever the policies say.
    pub aws_rule: Option<AwsRule>,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        self.decision == DecisionKind::Allowed
    }

    /// Statements that decided: the denies for an explicit deny, the allows
    /// otherwise.
    pub fn deciding(&self) -> impl Iterator<Item = &StatementRef> {
        let want = if self.decision == DecisionKind::ExplicitDeny {
            Effect::Deny
        } else {
            Effect::Allow
        };
        self.matched.iter().filter(move |s| s.effect == want)
    }
}

/// Services whose resources RCPs govern, from the catalog.
fn rcp_supported(service: &str) -> bool {
    crate::catalog::Catalog::get()
        .service(service)
        .is_some_and(|s| s.rcp_supported)
}

struct Scan<'a> {
    request: &'a Request,
    matched: Vec<StatementRef>,
    /// The caller has a permissions boundary: `NotPrincipal` in a
    /// resource-based `Deny` excludes nobody.
    boundary_attached: bool,
}

impl Scan<'_> {
    /// Evaluates one policy; returns (any allow, any deny, best principal match of allows).
    fn policy(
        &mut self,
        layer: Layer,
        level: usize,
        index: usize,
        policy: &CompiledPolicy,
    ) -> (bool, bool, Option<PrincipalMatch>) {
        let (mut allow, mut deny, mut how) = (false, false, None);
        if !policy.may_match_action(self.request) {
            return (allow, deny, how);
        }
        let resource_layer = layer == Layer::Resource;
        for (i, statement) in policy.statements.iter().enumerate() {
            // A resource-based policy statement without `Principal` is
            // invalid (AWS rejects the policy): it grants and denies nothing.
            if resource_layer && !statement.has_principal() {
                continue;
            }
            let strict =
                resource_layer && self.boundary_attached && statement.effect == Effect::Deny;
            if let Some(m) = statement.applies(self.request, strict) {
                self.matched.push(StatementRef {
                    layer,
                    level,
                    policy: index,
                    statement: i,
                    effect: statement.effect,
                });
                match statement.effect {
                    Effect::Allow => {
                        allow = true;
                        how = how.max(Some(m));
                    }
                    Effect::Deny => deny = true,
                }
            }
        }
        (allow, deny, how)
    }

    fn list(
        &mut self,
        layer: Layer,
        level: usize,
        policies: &[CompiledPolicy],
    ) -> (bool, bool, Option<PrincipalMatch>) {
        let (mut allow, mut deny, mut how) = (false, false, None);
        for (i, p) in policies.iter().enumerate() {
            let (a, d, h) = self.policy(layer, level, i, p);
            allow |= a;
            deny |= d;
            how = how.max(h);
        }
        (allow, deny, how)
    }
}

/// Evaluates `request` against `policies`.
pub fn evaluate(policies: &PolicySet, request: &Request) -> Decision {
    let principal = &request.principal;
    let anonymous = principal.kind == PrincipalKind::Anonymous;
    let service = principal.kind == PrincipalKind::Service;
    let principal_account = principal.account.as_deref();
    let resource_account = request.resource_account();
    let cross_account = match (principal_account, resource_account) {
        (Some(p), Some(r)) => p != r,
        // A service principal and an anonymous caller have no account:
        // their access comes from the resource policy alone.
        _ => service || anonymous,
    };
    if let Some(rule) = request.fixed {
        let allowed = rule.allows();
        return Decision {
            decision: if allowed {
                DecisionKind::Allowed
            } else {
                DecisionKind::ExplicitDeny
            },
            blocked_by: if allowed {
                Vec::new()
            } else {
                vec![Layer::Aws]
            },
            matched: Vec::new(),
            missing_levels: Vec::new(),
            exemptions: Vec::new(),
            cross_account,
            aws_rule: Some(rule),
        };
    }
    let management = request.input.management_account.as_deref();
    let mut exemptions = Vec::new();

    let scp_applies = if policies.scps.is_empty() {
        false
    } else if principal.service_linked {
        exemptions.push((Layer::Scp, Exemption::ServiceLinkedRole));
        false
    } else if service {
        exemptions.push((Layer::Scp, Exemption::ServicePrincipal));
        false
    } else if anonymous {
        exemptions.push((Layer::Scp, Exemption::AnonymousRequest));
        false
    } else if management.is_some() && management == principal_account {
        exemptions.push((Layer::Scp, Exemption::ManagementAccount));
        false
    } else {
        true
    };
    let rcp_applies = if policies.rcps.is_empty() {
        false
    } else if principal.service_linked {
        exemptions.push((Layer::Rcp, Exemption::ServiceLinkedRole));
        false
    } else if management.is_some() && management == resource_account {
        exemptions.push((Layer::Rcp, Exemption::ManagementAccount));
        false
    } else if !rcp_supported(&request.action[..request.service_len]) {
        exemptions.push((Layer::Rcp, Exemption::UnsupportedService));
        false
    } else {
        true
    };

    let mut scan = Scan {
        request,
        // Room for what usually matches (an allow per SCP level and a few
        // more), so the list is allocated once.
        matched: Vec::with_capacity(8),
        boundary_attached: !policies.boundaries.is_empty() && principal.is_iam(),
    };
    let mut denied_by: Vec<Layer> = Vec::new();
    let mut missing_levels = Vec::new();

    let mut org_layer = |scan: &mut Scan,
                         layer: Layer,
                         levels: &[Vec<CompiledPolicy>],
                         denied_by: &mut Vec<Layer>| {
        let mut all_allow = true;
        for (level, policies) in levels.iter().enumerate() {
            let (allow, deny, _) = scan.list(layer, level, policies);
            if deny && !denied_by.contains(&layer) {
                denied_by.push(layer);
            }
            if !allow {
                all_allow = false;
                missing_levels.push((layer, level));
            }
        }
        all_allow
    };
    let rcp_ok = !rcp_applies || org_layer(&mut scan, Layer::Rcp, &policies.rcps, &mut denied_by);
    let scp_ok = !scp_applies || org_layer(&mut scan, Layer::Scp, &policies.scps, &mut denied_by);

    let layer =
        |scan: &mut Scan, layer: Layer, list: &[CompiledPolicy], denied_by: &mut Vec<Layer>| {
            let (allow, deny, how) = scan.list(layer, 0, list);
            if deny {
                denied_by.push(layer);
            }
            (allow, how)
        };
    // An anonymous caller has no identity: no identity-based policy,
    // boundary or session policy is its own.
    let none: &[CompiledPolicy] = &[];
    let (identity_allow, _) = layer(
        &mut scan,
        Layer::Identity,
        if anonymous { none } else { &policies.identity },
        &mut denied_by,
    );
    let (resource_allow, resource_how) = match &policies.resource {
        Some(p) => layer(
            &mut scan,
            Layer::Resource,
            std::slice::from_ref(p),
            &mut denied_by,
        ),
        None => (false, None),
    };
    let (boundary_allow, _) = layer(
        &mut scan,
        Layer::Boundary,
        if anonymous {
            none
        } else {
            &policies.boundaries
        },
        &mut denied_by,
    );
    let (session_allow, _) = match &policies.session {
        Some(p) if !anonymous => layer(
            &mut scan,
            Layer::Session,
            std::slice::from_ref(p),
            &mut denied_by,
        ),
        _ => (false, None),
    };
    let boundary_ok = policies.boundaries.is_empty() || boundary_allow;
    let session_ok = policies.session.is_none() || session_allow;
    // The root user of an account has every permission in it unless a
    // deny or an organization policy says otherwise.
    let identity_ok = identity_allow || principal.kind == PrincipalKind::Root;
    let principal_path = identity_ok && boundary_ok && session_ok;

    let mut blocked_by = Vec::new();
    let decision = if !denied_by.is_empty() {
        denied_by.sort();
        denied_by.dedup();
        blocked_by = denied_by;
        DecisionKind::ExplicitDeny
    } else {
        // Within one account, how the resource policy named the caller
        // decides what else must allow ("Policy evaluation logic",
        // resource-based policies): the user or the role session itself is
        // not limited by boundaries or session policies; the role (or
        // everyone) is; the account delegates to identity-based policies.
        let resource_path = match resource_how {
            Some(PrincipalMatch::Direct) => true,
            Some(PrincipalMatch::Role | PrincipalMatch::Anyone) => boundary_ok && session_ok,
            Some(PrincipalMatch::Account) => principal_path,
            None => false,
        };
        let policies_ok = if anonymous || service {
            resource_allow
        } else if cross_account {
            // Cross-account policy evaluation logic: the identity side and
            // the resource-based policy must both allow.
            principal_path && resource_allow
        } else {
            match request.gate {
                ResourceGate::None => principal_path || resource_path,
                // A key or a role always has its policy; one the caller does
                // not give is read as delegating to the account — AWS's
                // default key policy, a trust policy trusting the account:
                // IAM policies decide.
                ResourceGate::KeyPolicy | ResourceGate::TrustPolicy
                    if policies.resource.is_none() =>
                {
                    principal_path
                }
                ResourceGate::KeyPolicy | ResourceGate::TrustPolicy => resource_path,
            }
        };
        if !rcp_ok {
            blocked_by.push(Layer::Rcp);
        }
        if !scp_ok {
            blocked_by.push(Layer::Scp);
        }
        if !policies_ok {
            let caller_side = !service && !anonymous;
            if caller_side && !identity_ok {
                blocked_by.push(Layer::Identity);
            }
            if caller_side && identity_ok && !boundary_ok {
                blocked_by.push(Layer::Boundary);
            }
            if caller_side && identity_ok && !session_ok {
                blocked_by.push(Layer::Session);
            }
            if !resource_allow && (cross_account || policies.resource.is_some()) {
                blocked_by.push(Layer::Resource);
            }
            if blocked_by.is_empty() {
                // The resource policy allowed, but named the caller in a way
                // that leaves the decision to a layer that did not allow.
                blocked_by.push(Layer::Resource);
            }
        }
        if blocked_by.is_empty() {
            DecisionKind::Allowed
        } else {
            DecisionKind::ImplicitDeny
        }
    };
    Decision {
        decision,
        blocked_by,
        matched: scan.matched,
        missing_levels,
        exemptions,
        cross_account,
        aws_rule: None,
    }
}
