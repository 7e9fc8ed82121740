//! The policy language: documents, statements and conditions, parsed from
//! JSON with the span of every element.
//!
//! Grammar: IAM JSON policy element reference
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html>)
//! and the grammar page
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>).

use landfall_diagnostics::{did_you_mean, Diagnostic, FileId, SourceSet, Span};

use crate::json::{self, Json, JsonLimits, JsonValue};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// A name for explanations (file name, policy name or `identity[0]`).
    pub name: String,
    pub version: Option<Spanned<String>>,
    pub id: Option<Spanned<String>>,
    pub statements: Vec<Statement>,
    pub span: Span,
    /// Characters of the document once minified, for size limits.
    pub minified_chars: usize,
}

impl Policy {
    /// Whether policy variables are interpreted (`2012-10-17` only).
    pub fn supports_variables(&self) -> bool {
        self.version
            .as_ref()
            .is_some_and(|v| v.value == "2012-10-17")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action`/`NotAction`, `Resource`/`NotResource`: the values and whether
/// the element is the negated form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListElement {
    pub negated: bool,
    pub values: Vec<Spanned<String>>,
    pub span: Span,
}

/// One entry of a `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalValue {
    /// `"*"` or `{"AWS": "*"}`.
    Anyone,
    Aws(String),
    Service(String),
    Federated(String),
    CanonicalUser(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalElement {
    pub negated: bool,
    pub values: Vec<Spanned<PrincipalValue>>,
    pub span: Span,
}

/// The comparison of a condition operator, without its qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// Which family an operator belongs to (what type of value it compares).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorFamily {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

impl OperatorKind {
    pub const ALL: [OperatorKind; 27] = [
        Self::StringEquals,
        Self::StringNotEquals,
        Self::StringEqualsIgnoreCase,
        Self::StringNotEqualsIgnoreCase,
        Self::StringLike,
        Self::StringNotLike,
        Self::NumericEquals,
        Self::NumericNotEquals,
        Self::NumericLessThan,
        Self::NumericLessThanEquals,
        Self::NumericGreaterThan,
        Self::NumericGreaterThanEquals,
        Self::DateEquals,
        Self::DateNotEquals,
        Self::DateLessThan,
        Self::DateLessThanEquals,
        Self::DateGreaterThan,
        Self::DateGreaterThanEquals,
        Self::Bool,
        Self::BinaryEquals,
        Self::IpAddress,
        Self::NotIpAddress,
        Self::ArnEquals,
        Self::ArnLike,
        Self::ArnNotEquals,
        Self::ArnNotLike,
        Self::Null,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::StringEquals => "StringEquals",
            Self::StringNotEquals => "StringNotEquals",
            Self::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            Self::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            Self::StringLike => "StringLike",
            Self::StringNotLike => "StringNotLike",
            Self::NumericEquals => "NumericEquals",
            Self::NumericNotEquals => "NumericNotEquals",
            Self::NumericLessThan => "NumericLessThan",
            Self::NumericLessThanEquals => "NumericLessThanEquals",
            Self::NumericGreaterThan => "NumericGreaterThan",
            Self::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Self::DateEquals => "DateEquals",
            Self::DateNotEquals => "DateNotEquals",
            Self::DateLessThan => "DateLessThan",
            Self::DateLessThanEquals => "DateLessThanEquals",
            Self::DateGreaterThan => "DateGreaterThan",
            Self::DateGreaterThanEquals => "DateGreaterThanEquals",
            Self::Bool => "Bool",
            Self::BinaryEquals => "BinaryEquals",
            Self::IpAddress => "IpAddress",
            Self::NotIpAddress => "NotIpAddress",
            Self::ArnEquals => "ArnEquals",
            Self::ArnLike => "ArnLike",
            Self::ArnNotEquals => "ArnNotEquals",
            Self::ArnNotLike => "ArnNotLike",
            Self::Null => "Null",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Negated operators match when no value matches, and match a missing key.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::NumericNotEquals
                | Self::DateNotEquals
                | Self::NotIpAddress
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    pub fn family(self) -> OperatorFamily {
        use OperatorKind as K;
        match self {
            K::StringEquals
            | K::StringNotEquals
            | K::StringEqualsIgnoreCase
            | K::StringNotEqualsIgnoreCase
            | K::StringLike
            | K::StringNotLike => OperatorFamily::String,
            K::NumericEquals
            | K::NumericNotEquals
            | K::NumericLessThan
            | K::NumericLessThanEquals
            | K::NumericGreaterThan
            | K::NumericGreaterThanEquals => OperatorFamily::Numeric,
            K::DateEquals
            | K::DateNotEquals
            | K::DateLessThan
            | K::DateLessThanEquals
            | K::DateGreaterThan
            | K::DateGreaterThanEquals => OperatorFamily::Date,
            K::Bool => OperatorFamily::Bool,
            K::BinaryEquals => OperatorFamily::Binary,
            K::IpAddress | K::NotIpAddress => OperatorFamily::Ip,
            K::ArnEquals | K::ArnLike | K::ArnNotEquals | K::ArnNotLike => OperatorFamily::Arn,
            K::Null => OperatorFamily::Null,
        }
    }
}

/// `ForAllValues:` / `ForAnyValue:` qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

/// A full condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    pub kind: OperatorKind,
    pub if_exists: bool,
    pub set: SetQualifier,
}

impl Operator {
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, rest)
        } else {
            (SetQualifier::None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let kind = OperatorKind::from_name(base)?;
        // `NullIfExists` is not an operator: Null already tests existence.
        if kind == OperatorKind::Null && (if_exists || set != SetQualifier::None) {
            return None;
        }
        Some(Operator {
            kind,
            if_exists,
            set,
        })
    }

    pub fn name(&self) -> String {
        let set = match self.set {
            SetQualifier::None => "",
            SetQualifier::ForAllValues => "ForAllValues:",
            SetQualifier::ForAnyValue => "ForAnyValue:",
        };
        let suffix = if self.if_exists { "IfExists" } else { "" };
        format!("{set}{}{suffix}", self.kind.name())
    }

    /// Every valid operator name, for suggestions.
    pub fn all_names() -> Vec<String> {
        let mut names = Vec::new();
        for kind in OperatorKind::ALL {
            names.push(kind.name().to_owned());
            if kind != OperatorKind::Null {
                names.push(format!("{}IfExists", kind.name()));
            }
        }
        names
    }
}

/// One key test of a `Condition` block: operator, key, values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Spanned<Operator>,
    /// The key as written (case kept for messages; compare lower-cased).
    pub key: Spanned<String>,
    pub values: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<Spanned<String>>,
    pub effect: Spanned<Effect>,
    pub action: ListElement,
    pub resource: Option<ListElement>,
    pub principal: Option<PrincipalElement>,
    pub conditions: Vec<Condition>,
    pub span: Span,
}

const STATEMENT_KEYS: [&str; 10] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
    "Id",
];

/// Parses a policy file's bytes: UTF-8 check, JSON, then structure.
/// Adds the file to `sources` so diagnostics can be rendered.
pub fn parse_policy_bytes(
    sources: &mut SourceSet,
    name: &str,
    bytes: &[u8],
    limits: &JsonLimits,
) -> Result<Policy, Vec<Diagnostic>> {
    let (text, bad_utf8) = json::decode_utf8(bytes);
    let file = sources.add(name, text.as_str());
    if let Some(offset) = bad_utf8 {
        return Err(vec![Diagnostic::error(
            "iam::invalid-utf8",
            "file is not valid UTF-8",
        )
        .with_label(Span::new(file, offset, offset + 1), "invalid byte here")]);
    }
    parse_policy_text(file, &text, name, limits)
}

/// Parses a policy from text already added to a `SourceSet` as `file`.
pub fn parse_policy_text(
    file: FileId,
    text: &str,
    name: &str,
    limits: &JsonLimits,
) -> Result<Policy, Vec<Diagnostic>> {
    let json = json::parse(file, text, limits).map_err(|d| vec![d])?;
    parse_policy_json(&json, name)
}

/// Reads the structure of a policy from JSON; reports every structural error.
pub fn parse_policy_json(json: &Json, name: &str) -> Result<Policy, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let policy = PolicyParser {
        errors: &mut errors,
    }
    .policy(json, name);
    match policy {
        Some(policy) if errors.is_empty() => Ok(policy),
        _ => Err(errors),
    }
}

struct PolicyParser<'e> {
    errors: &'e mut Vec<Diagnostic>,
}

impl PolicyParser<'_> {
    fn error(&mut self, code: &'static str, message: impl Into<String>, span: Span, label: &str) {
        self.errors
            .push(Diagnostic::error(code, message).with_label(span, label));
    }

    fn wrong_type(&mut self, what: &str, expected: &str, json: &Json) {
        self.error(
            "iam::invalid-type",
            format!("`{what}` must be {expected}, not {}", json.type_name()),
            json.span,
            &format!("expected {expected}"),
        );
    }

    fn string(&mut self, what: &str, json: &Json) -> Option<Spanned<String>> {
        match json.as_str() {
            Some(s) => Some(Spanned {
                value: s.to_owned(),
                span: json.span,
            }),
            None => {
                self.wrong_type(what, "a string", json);
                None
            }
        }
    }

    /// A string or an array of strings.
    fn string_list(&mut self, what: &str, json: &Json) -> Vec<Spanned<String>> {
        match &json.value {
            JsonValue::String(s) => vec![Spanned {
                value: s.clone(),
                span: json.span,
            }],
            JsonValue::Array(items) => {
                if items.is_empty() {
                    self.error(
                        "iam::empty-element",
                        format!("`{what}` is an empty list"),
                        json.span,
                        "matches nothing",
                    );
                }
                items
                    .iter()
                    .filter_map(|item| self.string(what, item))
                    .collect()
            }
            _ => {
                self.wrong_type(what, "a string or an array of strings", json);
                Vec::new()
            }
        }
    }

    fn check_duplicates(&mut self, members: &[json::Member], what: &str) {
        for (i, member) in members.iter().enumerate() {
            if members[..i].iter().any(|m| m.key == member.key) {
                self.error(
                    "iam::duplicate-key",
                    format!("`{}` appears twice in {what}", member.key),
                    member.key_span,
                    "duplicate",
                );
            }
        }
    }

    fn policy(&mut self, json: &Json, name: &str) -> Option<Policy> {
        let Some(members) = json.as_object() else {
            self.wrong_type("policy", "an object", json);
            return None;
        };
        self.check_duplicates(members, "the policy");
        let mut version = None;
        let mut id = None;
        let mut statements = Vec::new();
        let mut saw_statement = false;
        for member in members {
            match member.key.as_str() {
                "Version" => {
                    version = self.string("Version", &member.value);
                    if let Some(v) = &version {
                        if v.value != "2012-10-17" && v.value != "2008-10-17" {
                            self.error(
                                "iam::invalid-version",
                                format!("unknown policy version `{}`", v.value),
                                v.span,
                                "expected `2012-10-17`",
                            );
                        }
                    }
                }
                "Id" => id = self.string("Id", &member.value),
                "Statement" => {
                    saw_statement = true;
                    match &member.value.value {
                        JsonValue::Object(_) => {
                            statements.extend(self.statement(&member.value));
                        }
                        JsonValue::Array(items) => {
                            for item in items {
                                statements.extend(self.statement(item));
                            }
                        }
                        _ => self.wrong_type(
                            "Statement",
                            "an object or an array of objects",
                            &member.value,
                        ),
                    }
                }
                other => {
                    let help = did_you_mean(other, ["Version", "Id", "Statement"]);
                    self.errors.push(
                        Diagnostic::error(
                            "iam::unknown-element",
                            format!("unknown policy element `{other}`"),
                        )
                        .with_label(member.key_span, "not a policy element")
                        .with_help(help),
                    );
                }
            }
        }
        if !saw_statement {
            self.error(
                "iam::missing-element",
                "policy has no `Statement`",
                json.span,
                "add a `Statement` here",
            );
        }
        // Sids must be unique within a policy.
        for (i, statement) in statements.iter().enumerate() {
            if let Some(sid) = &statement.sid {
                if statements[..i]
                    .iter()
                    .any(|s| s.sid.as_ref().is_some_and(|o| o.value == sid.value))
                {
                    self.error(
                        "iam::duplicate-sid",
                        format!("statement id `{}` is used twice", sid.value),
                        sid.span,
                        "duplicate",
                    );
                }
            }
        }
        Some(Policy {
            name: name.to_owned(),
            version,
            id,
            statements,
            span: json.span,
            minified_chars: json.minified_chars(),
        })
    }

    fn statement(&mut self, json: &Json) -> Option<Statement> {
        let Some(members) = json.as_object() else {
            self.wrong_type("Statement", "an object", json);
            return None;
        };
        self.check_duplicates(members, "the statement");
        let mut sid = None;
        let mut effect = None;
        let mut action: Option<ListElement> = None;
        let mut resource: Option<ListElement> = None;
        let mut principal: Option<PrincipalElement> = None;
        let mut conditions = Vec::new();
        let mut ok = true;
        for member in members {
            let key = member.key.as_str();
            let value = &member.value;
            match key {
                "Sid" => sid = self.string("Sid", value),
                "Effect" => {
                    if let Some(s) = self.string("Effect", value) {
                        effect = match s.value.as_str() {
                            "Allow" => Some(Spanned {
                                value: Effect::Allow,
                                span: s.span,
                            }),
                            "Deny" => Some(Spanned {
                                value: Effect::Deny,
                                span: s.span,
                            }),
                            other => {
                                self.errors.push(
                                    Diagnostic::error(
                                        "iam::invalid-effect",
                                        format!("unknown effect `{other}`"),
                                    )
                                    .with_label(s.span, "not an effect")
                                    .with_help(did_you_mean(other, ["Allow", "Deny"])),
                                );
                                None
                            }
                        };
                    }
                }
                "Action" | "NotAction" => {
                    let values = self.string_list(key, value);
                    for v in &values {
                        if v.value != "*" && !v.value.contains(':') {
                            self.error(
                                "iam::invalid-action",
                                format!("action `{}` has no service prefix", v.value),
                                v.span,
                                "expected `service:Action`",
                            );
                        }
                    }
                    if action.is_some() {
                        self.error(
                            "iam::conflicting-elements",
                            "a statement has either `Action` or `NotAction`, not both",
                            member.key_span,
                            "second one",
                        );
                    }
                    action = Some(ListElement {
                        negated: key == "NotAction",
                        values,
                        span: value.span,
                    });
                }
                "Resource" | "NotResource" => {
                    let values = self.string_list(key, value);
                    if resource.is_some() {
                        self.error(
                            "iam::conflicting-elements",
                            "a statement has either `Resource` or `NotResource`, not both",
                            member.key_span,
                            "second one",
                        );
                    }
                    resource = Some(ListElement {
                        negated: key == "NotResource",
                        values,
                        span: value.span,
                    });
                }
                "Principal" | "NotPrincipal" => {
                    let values = self.principal(key, value);
                    if principal.is_some() {
                        self.error(
                            "iam::conflicting-elements",
                            "a statement has either `Principal` or `NotPrincipal`, not both",
                            member.key_span,
                            "second one",
                        );
                    }
                    principal = Some(PrincipalElement {
                        negated: key == "NotPrincipal",
                        values,
                        span: value.span,
                    });
                }
                "Condition" => conditions = self.conditions(value),
                other => {
                    ok = false;
                    self.errors.push(
                        Diagnostic::error(
                            "iam::unknown-element",
                            format!("unknown statement element `{other}`"),
                        )
                        .with_label(member.key_span, "not a statement element")
                        .with_help(did_you_mean(other, STATEMENT_KEYS)),
                    );
                }
            }
        }
        let Some(effect) = effect else {
            if !members.iter().any(|m| m.key == "Effect") {
                self.error(
                    "iam::missing-element",
                    "statement has no `Effect`",
                    json.span,
                    "add `\"Effect\": \"Allow\"` or `\"Deny\"`",
                );
            }
            return None;
        };
        let Some(action) = action else {
            self.error(
                "iam::missing-element",
                "statement has neither `Action` nor `NotAction`",
                json.span,
                "add an `Action`",
            );
            return None;
        };
        ok.then_some(Statement {
            sid,
            effect,
            action,
            resource,
            principal,
            conditions,
            span: json.span,
        })
    }

    fn principal(&mut self, what: &str, json: &Json) -> Vec<Spanned<PrincipalValue>> {
        match &json.value {
            JsonValue::String(s) if s == "*" => vec![Spanned {
                value: PrincipalValue::Anyone,
                span: json.span,
            }],
            JsonValue::Object(members) => {
                self.check_duplicates(members, &format!("`{what}`"));
                let mut out = Vec::new();
                for member in members {
                    let make: fn(String) -> PrincipalValue = match member.key.as_str() {
                        "AWS" => PrincipalValue::Aws,
                        "Service" => PrincipalValue::Service,
                        "Federated" => PrincipalValue::Federated,
                        "CanonicalUser" => PrincipalValue::CanonicalUser,
                        other => {
                            self.errors.push(
                                Diagnostic::error(
                                    "iam::invalid-principal",
                                    format!("unknown principal type `{other}`"),
                                )
                                .with_label(member.key_span, "not a principal type")
                                .with_help(did_you_mean(
                                    other,
                                    ["AWS", "Service", "Federated", "CanonicalUser"],
                                )),
                            );
                            continue;
                        }
                    };
                    let is_aws = member.key == "AWS";
                    for value in self.string_list(&format!("{what}.{}", member.key), &member.value)
                    {
                        let principal = if is_aws && value.value == "*" {
                            PrincipalValue::Anyone
                        } else {
                            make(value.value)
                        };
                        out.push(Spanned {
                            value: principal,
                            span: value.span,
                        });
                    }
                }
                out
            }
            _ => {
                self.wrong_type(what, "`\"*\"` or an object such as `{\"AWS\": ...}`", json);
                Vec::new()
            }
        }
    }

    fn conditions(&mut self, json: &Json) -> Vec<Condition> {
        let Some(operators) = json.as_object() else {
            self.wrong_type("Condition", "an object", json);
            return Vec::new();
        };
        self.check_duplicates(operators, "`Condition`");
        let mut out = Vec::new();
        for op_member in operators {
            let operator = match Operator::parse(&op_member.key) {
                Some(op) => op,
                None => {
                    let names = Operator::all_names();
                    let base = op_member
                        .key
                        .rsplit(':')
                        .next()
                        .unwrap_or(&op_member.key)
                        .to_owned();
                    self.errors.push(
                        Diagnostic::error(
                            "iam::unknown-operator",
                            format!("unknown condition operator `{}`", op_member.key),
                        )
                        .with_label(op_member.key_span, "not a condition operator")
                        .with_help(did_you_mean(&base, names.iter().map(String::as_str))),
                    );
                    continue;
                }
            };
            let Some(keys) = op_member.value.as_object() else {
                self.wrong_type(
                    &op_member.key,
                    "an object of condition keys",
                    &op_member.value,
                );
                continue;
            };
            self.check_duplicates(keys, &format!("`{}`", op_member.key));
            for key_member in keys {
                let values = match &key_member.value.value {
                    JsonValue::Array(items) => items
                        .iter()
                        .filter_map(|item| self.condition_value(&key_member.key, item))
                        .collect(),
                    _ => self
                        .condition_value(&key_member.key, &key_member.value)
                        .into_iter()
                        .collect(),
                };
                if key_member.key.is_empty() {
                    self.error(
                        "iam::invalid-condition-key",
                        "empty condition key",
                        key_member.key_span,
                        "name a key",
                    );
                }
                out.push(Condition {
                    operator: Spanned {
                        value: operator,
                        span: op_member.key_span,
                    },
                    key: Spanned {
                        value: key_member.key.clone(),
                        span: key_member.key_span,
                    },
                    values,
                });
            }
        }
        out
    }

    fn condition_value(&mut self, key: &str, json: &Json) -> Option<Spanned<String>> {
        match json.scalar_text() {
            Some(value) => Some(Spanned {
                value,
                span: json.span,
            }),
            None => {
                self.wrong_type(key, "a string, number or boolean", json);
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (SourceSet, Result<Policy, Vec<Diagnostic>>) {
        let mut sources = SourceSet::default();
        let result = parse_policy_bytes(
            &mut sources,
            "p.json",
            text.as_bytes(),
            &JsonLimits::default(),
        );
        (sources, result)
    }

    #[test]
    fn parses_every_form() {
        let (_, policy) = parse(
            r#"{"Version": "2012-10-17", "Id": "x", "Statement": {
                "Sid": "A", "Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::b"],
                "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root", "*"], "Service": "ec2.amazonaws.com",
                                 "Federated": "cognito-identity.amazonaws.com", "CanonicalUser": "abc"},
                "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b"]},
                              "NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": false}}}}"#,
        );
        let policy = policy.unwrap();
        let s = &policy.statements[0];
        assert_eq!(s.effect.value, Effect::Deny);
        assert!(s.action.negated);
        assert!(s.resource.as_ref().unwrap().negated);
        let p = s.principal.as_ref().unwrap();
        assert!(p.negated);
        assert_eq!(p.values.len(), 5);
        assert_eq!(p.values[1].value, PrincipalValue::Anyone);
        assert_eq!(s.conditions.len(), 3);
        assert_eq!(
            s.conditions[0].operator.value.set,
            SetQualifier::ForAnyValue
        );
        assert!(s.conditions[0].operator.value.if_exists);
        assert_eq!(s.conditions[1].values[0].value, "10");
        assert_eq!(s.conditions[2].values[0].value, "false");
    }

    #[test]
    fn reports_every_structural_error_at_once() {
        let (sources, result) = parse(
            "{\"Version\": \"2012-10-17\", \"Statement\": [\n {\"Effect\": \"Alow\", \"Action\": \"s3:GetObject\"},\n {\"Effect\": \"Allow\", \"Acton\": \"s3:*\"},\n {\"Effect\": \"Deny\", \"Action\": \"x\", \"Condition\": {\"StringEqual\": {\"a\": \"b\"}}}]}",
        );
        let errors = result.unwrap_err();
        let codes: Vec<_> = errors.iter().map(|e| e.code).collect();
        assert!(codes.contains(&"iam::invalid-effect"), "{codes:?}");
        assert!(codes.contains(&"iam::unknown-element"));
        assert!(codes.contains(&"iam::invalid-action"));
        assert!(codes.contains(&"iam::unknown-operator"));
        let unknown = errors
            .iter()
            .find(|e| e.code == "iam::unknown-element")
            .unwrap();
        assert_eq!(unknown.help.as_deref(), Some("did you mean `Action`?"));
        let location = sources.location(unknown.primary_span().unwrap());
        assert_eq!((location.line, location.column), (3, 22));
        let op = errors
            .iter()
            .find(|e| e.code == "iam::unknown-operator")
            .unwrap();
        assert_eq!(op.help.as_deref(), Some("did you mean `StringEquals`?"));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let mut sources = SourceSet::default();
        let errors = parse_policy_bytes(
            &mut sources,
            "p.json",
            b"{\n\"Version\": \"\xc3\x28\"}",
            &JsonLimits::default(),
        )
        .unwrap_err();
        assert_eq!(errors[0].code, "iam::invalid-utf8");
        let location = sources.location(errors[0].primary_span().unwrap());
        assert_eq!((location.line, location.column), (2, 13));
    }

    #[test]
    fn operators_round_trip() {
        for name in [
            "ForAllValues:StringNotEqualsIgnoreCaseIfExists",
            "Null",
            "ArnLike",
            "ForAnyValue:IpAddress",
        ] {
            assert_eq!(Operator::parse(name).unwrap().name(), name);
        }
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("StringEqual").is_none());
    }
}
