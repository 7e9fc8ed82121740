//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`,
//! and the escapes `${*}`, `${?}`, `${$}`.
//!
//! IAM JSON policy elements: Variables and tags
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>):
//! variables work only with `"Version": "2012-10-17"`; a variable whose key is
//! missing from the request (or is multivalued) makes the element not match,
//! unless it has a default value; `${*}`, `${?}` and `${$}` stand for the
//! literal characters.

use crate::glob::Token;

/// A string that may contain policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text in which `*` and `?` keep their wildcard meaning.
    Text(String),
    /// A character escaped with `${*}`, `${?}` or `${$}`: always literal.
    Literal(char),
    /// A context key (lower case) and its default value.
    Var {
        key: String,
        default: Option<String>,
    },
}

impl Template {
    /// Parses `text`; `None` when it has no `${`, so callers keep the fast path.
    pub fn parse(text: &str) -> Option<Template> {
        if !text.contains("${") {
            return None;
        }
        let mut parts = Vec::new();
        let mut rest = text;
        let mut buffer = String::new();
        while let Some(start) = rest.find("${") {
            buffer.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match parse_var(after) {
                Some((part, used)) => {
                    if !buffer.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut buffer)));
                    }
                    parts.push(part);
                    rest = &after[used..];
                }
                None => {
                    // Not a well-formed variable: the text stays as written.
                    buffer.push_str("${");
                    rest = after;
                }
            }
        }
        buffer.push_str(rest);
        if !buffer.is_empty() {
            parts.push(Part::Text(buffer));
        }
        Some(Template { parts })
    }

    /// Context keys the template refers to.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// Substitutes variables, giving tokens where substituted text and escapes
    /// are literal; `None` when a variable cannot be resolved.
    pub fn tokens<'a>(
        &self,
        lookup: impl Fn(&str) -> Option<&'a [String]>,
        lowercase: bool,
    ) -> Option<Vec<Token>> {
        // Room for the text and a substituted value or two, so the list is
        // allocated once.
        let mut out = Vec::with_capacity(self.parts.len() * 32);
        let push_literal = |out: &mut Vec<Token>, s: &str| {
            if lowercase {
                out.extend(s.to_lowercase().bytes().map(Token::Byte));
            } else {
                out.extend(s.bytes().map(Token::Byte));
            }
        };
        for part in &self.parts {
            match part {
                Part::Text(text) => {
                    if lowercase {
                        out.extend(crate::glob::tokenize(&text.to_lowercase()));
                    } else {
                        out.extend(crate::glob::tokenize(text));
                    }
                }
                Part::Literal(c) => push_literal(&mut out, c.encode_utf8(&mut [0; 4])),
                Part::Var { key, default } => {
                    push_literal(&mut out, &resolve(key, default.as_deref(), &lookup)?);
                }
            }
        }
        Some(out)
    }

    /// Substitutes variables into plain text (wildcards left as written).
    pub fn render<'a>(&self, lookup: impl Fn(&str) -> Option<&'a [String]>) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Literal(c) => out.push(*c),
                Part::Var { key, default } => {
                    out.push_str(&resolve(key, default.as_deref(), &lookup)?);
                }
            }
        }
        Some(out)
    }
}

fn resolve<'a>(
    key: &str,
    default: Option<&str>,
    lookup: &impl Fn(&str) -> Option<&'a [String]>,
) -> Option<String> {
    match lookup(key) {
        // A multivalued key cannot be substituted.
        Some([single]) => Some(single.clone()),
        _ => default.map(str::to_owned),
    }
}

/// Parses the inside of `${...}`; returns the part and the bytes used
/// including the closing brace.
fn parse_var(after: &str) -> Option<(Part, usize)> {
    let close = find_close(after)?;
    let inner = after[..close].trim();
    let part = match inner {
        "*" => Part::Literal('*'),
        "?" => Part::Literal('?'),
        "$" => Part::Literal('$'),
        _ => {
            let (key, default) = match inner.find(',') {
                Some(comma) => {
                    let key = inner[..comma].trim();
                    let quoted = inner[comma + 1..].trim();
                    let body = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
                    // `''` inside a default is one quote.
                    if body.replace("''", "").contains('\'') {
                        return None;
                    }
                    (key, Some(body.replace("''", "'")))
                }
                None => (inner, None),
            };
            if key.is_empty() || key.contains(char::is_whitespace) {
                return None;
            }
            Part::Var {
                key: key.to_ascii_lowercase(),
                default,
            }
        }
    };
    Some((part, close + 1))
}

/// Position of the `}` that closes a variable, skipping quoted defaults.
fn find_close(s: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::glob::Glob;

    fn lookup(key: &str) -> Option<&'static [String]> {
        static USER: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        static MULTI: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        match key {
            "aws:username" => Some(USER.get_or_init(|| vec!["alice".to_owned()])),
            "aws:calledvia" => Some(MULTI.get_or_init(|| vec!["a".to_owned(), "b".to_owned()])),
            _ => None,
        }
    }

    #[test]
    fn substitutes_and_escapes() {
        let t = Template::parse("home/${aws:username}/${*}x*").unwrap();
        let glob = Glob::from_tokens(t.tokens(lookup, false).unwrap());
        assert!(glob.matches("home/alice/*xyz"));
        assert!(!glob.matches("home/alice/axyz"));
        assert_eq!(t.render(lookup).unwrap(), "home/alice/*x*");
    }

    #[test]
    fn defaults_and_missing_keys() {
        let t = Template::parse("${aws:PrincipalTag/team, 'it''s'}").unwrap();
        assert_eq!(t.render(lookup).unwrap(), "it's");
        let t = Template::parse("${aws:PrincipalTag/team}").unwrap();
        assert_eq!(t.render(lookup), None);
        let t = Template::parse("${aws:CalledVia}").unwrap();
        assert_eq!(t.render(lookup), None, "multivalued keys do not substitute");
        assert_eq!(
            Template::parse("a${b").unwrap().render(lookup).unwrap(),
            "a${b"
        );
        assert!(Template::parse("plain").is_none());
    }
}
