//! The patterns removed from every log record before it leaves the task.
//!
//! The built-in ones always apply (a spec can add patterns, never remove
//! these): a trading platform's logs are kept for years and read by many,
//! so a card number or a credential written by mistake must never reach
//! the topic.

use landfall_spec::types::Redaction;
use landfall_spec::Pointer;
use serde::Serialize;

/// One pattern, with how a match is replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pattern {
    /// Shown in the replacement: `[REDACTED:<name>]`.
    pub name: String,
    /// Rust `regex` syntax, as VRL reads it.
    pub regex: String,
    pub replace: Replace,
    /// The spec entry; `None` for a built-in pattern.
    #[serde(skip)]
    pub origin: Option<Pointer>,
}

/// What a match becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Replace {
    /// The whole match (the match is the secret).
    Match,
    /// Everything after the first capture group (the group is the key that
    /// names the secret, kept so the record still says what was there and
    /// a JSON line stays JSON).
    AfterKey,
}

impl Pattern {
    pub fn replacement(&self) -> String {
        format!("[REDACTED:{}]", self.name)
    }
}

/// Card numbers: 13 to 19 digits, optionally grouped by spaces or dashes,
/// starting with a prefix of Visa (4), Mastercard (51–55, 2221–2720),
/// American Express (34, 37) or Discover (6011, 65). The prefixes keep
/// millisecond timestamps and order ids (which start otherwise) intact.
pub const CARD_NUMBER: &str =
    r"\b(?:4\d{3}|5[1-5]\d{2}|2[2-7]\d{2}|3[47]\d{2}|6(?:011|5\d{2}))(?:[ -]?\d){9,15}\b";

/// The built-in patterns, in the order they are applied: whole secrets
/// first, then values named by their keys (a bearer token is recognised
/// before its `Authorization:` key takes the rest of the line's value).
pub fn builtin() -> Vec<Pattern> {
    let pattern = |name: &str, regex: &str, replace| Pattern {
        name: name.to_owned(),
        regex: regex.to_owned(),
        replace,
        origin: None,
    };
    vec![
        pattern(
            "private-key",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
            Replace::Match,
        ),
        pattern(
            "bearer-token",
            r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*",
            Replace::Match,
        ),
        pattern(
            "aws-access-key-id",
            r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b",
            Replace::Match,
        ),
        pattern("card-number", CARD_NUMBER, Replace::Match),
        pattern(
            "secret",
            r#"(?i)("?(?:password|passwd|pwd|client[_-]?secret|secret[_-]?access[_-]?key|secret|api[_-]?key|access[_-]?token|refresh[_-]?token|token|authorization|credentials?)"?\s*[:=]\s*"?)[^\s",;&}]+"#,
            Replace::AfterKey,
        ),
    ]
}

/// The spec's patterns (`observability.logs.redact`), then the built-in
/// ones: a spec pattern is the more specific (an IBAN holds digits a card
/// pattern would take), so it names what it removes.
pub fn patterns(extra: &[Redaction], at: &Pointer) -> Vec<Pattern> {
    let mut all: Vec<Pattern> = extra
        .iter()
        .enumerate()
        .map(|(i, r)| Pattern {
            name: r.name.clone(),
            regex: r.pattern.clone(),
            replace: Replace::Match,
            origin: Some(at.child(i)),
        })
        .collect();
    all.extend(builtin());
    all
}
