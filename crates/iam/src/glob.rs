//! Wildcard matching (`*` and `?`) and ARN matching.
//!
//! Matching is the classic two-pointer algorithm with a single backtrack
//! point: time is O(pattern × text) in the worst case and linear for the
//! patterns policies use, never exponential, whatever the number of `*`.
//! `?` matches one character (not one byte).

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// A literal byte of the pattern's UTF-8 text.
    Byte(u8),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, including none.
    Any,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    /// `*` alone.
    All,
    /// No wildcard.
    Exact(Box<str>),
    /// Literal text then one trailing `*`.
    Prefix(Box<str>),
    /// General pattern.
    Tokens(Box<[Token]>),
}

impl Glob {
    /// Compiles a pattern where `*` and `?` are wildcards.
    pub fn new(pattern: &str) -> Self {
        let wildcards = pattern.bytes().filter(|b| matches!(b, b'*' | b'?')).count();
        if pattern == "*" {
            Glob::All
        } else if wildcards == 0 {
            Glob::Exact(pattern.into())
        } else if wildcards == 1 && pattern.ends_with('*') {
            Glob::Prefix(pattern[..pattern.len() - 1].into())
        } else {
            Glob::from_tokens(tokenize(pattern))
        }
    }

    /// Builds from tokens (used when policy variables put literal `*` in a pattern).
    pub fn from_tokens(mut tokens: Vec<Token>) -> Self {
        // `**` is the same as `*`; collapsing keeps the matcher's work small.
        tokens.dedup_by(|a, b| *a == Token::Any && *b == Token::Any);
        if tokens == [Token::Any] {
            return Glob::All;
        }
        let wild = tokens
            .iter()
            .filter(|t| !matches!(t, Token::Byte(_)))
            .count();
        let literal = |ts: &[Token]| -> Option<String> {
            let bytes: Vec<u8> = ts
                .iter()
                .map(|t| match t {
                    Token::Byte(b) => Some(*b),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            String::from_utf8(bytes).ok()
        };
        if wild == 0 {
            if let Some(s) = literal(&tokens) {
                return Glob::Exact(s.into());
            }
        }
        if wild == 1 && tokens.last() == Some(&Token::Any) {
            if let Some(s) = literal(&tokens[..tokens.len() - 1]) {
                return Glob::Prefix(s.into());
            }
        }
        Glob::Tokens(tokens.into())
    }

    /// Whether the pattern has any wildcard.
    pub fn is_literal(&self) -> bool {
        matches!(self, Glob::Exact(_))
    }

    pub fn matches(&self, text: &str) -> bool {
        match self {
            Glob::All => true,
            Glob::Exact(s) => &**s == text,
            Glob::Prefix(p) => text.starts_with(&**p),
            Glob::Tokens(tokens) => match_tokens(tokens, text.as_bytes()),
        }
    }

    /// [`matches`](Self::matches) for a lower-case pattern against `text`
    /// in any ASCII case, allocating only for general patterns (catalog
    /// names against `iam:Get*`-style patterns, thousands per policy).
    pub fn matches_ignoring_ascii_case(&self, text: &str) -> bool {
        match self {
            Glob::All => true,
            Glob::Exact(s) => s.eq_ignore_ascii_case(text),
            Glob::Prefix(p) => text
                .as_bytes()
                .get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes())),
            Glob::Tokens(tokens) => match_tokens(tokens, text.to_ascii_lowercase().as_bytes()),
        }
    }
}

impl Glob {
    /// The pattern as tokens.
    fn tokens(&self) -> std::borrow::Cow<'_, [Token]> {
        use std::borrow::Cow;
        match self {
            Glob::All => Cow::Owned(vec![Token::Any]),
            Glob::Exact(s) => Cow::Owned(s.bytes().map(Token::Byte).collect()),
            Glob::Prefix(p) => Cow::Owned(
                p.bytes()
                    .map(Token::Byte)
                    .chain(std::iter::once(Token::Any))
                    .collect(),
            ),
            Glob::Tokens(t) => Cow::Borrowed(t),
        }
    }

    /// Whether some text matches both patterns.
    pub fn intersects(&self, other: &Glob) -> bool {
        match (self, other) {
            (Glob::All, _) | (_, Glob::All) => true,
            (Glob::Exact(s), g) | (g, Glob::Exact(s)) => g.matches(s),
            _ => tokens_intersect(&self.tokens(), &other.tokens()),
        }
    }

    /// Whether every text `other` matches, this pattern matches too.
    pub fn contains(&self, other: &Glob) -> bool {
        match (self, other) {
            (Glob::All, _) => true,
            (_, Glob::Exact(s)) => self.matches(s),
            _ => tokens_contain(&self.tokens(), &other.tokens()),
        }
    }
}

/// Breadth-first walk over pairs of positions in two token lists, at most
/// `a.len() × b.len()` states: quadratic, never exponential.
fn walk(a: &[Token], b: &[Token], step: impl Fn(usize, usize, &mut Vec<(usize, usize)>)) -> bool {
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut todo = vec![(0usize, 0usize)];
    let mut next = Vec::new();
    while let Some((i, j)) = todo.pop() {
        if std::mem::replace(&mut seen[i * width + j], true) {
            continue;
        }
        if i == a.len() && j == b.len() {
            return true;
        }
        step(i, j, &mut next);
        todo.append(&mut next);
    }
    false
}

/// Some text matches both `a` and `b`. `?` stands for one byte here: ARNs
/// are ASCII.
fn tokens_intersect(a: &[Token], b: &[Token]) -> bool {
    walk(a, b, |i, j, next| {
        let (x, y) = (a.get(i), b.get(j));
        if x == Some(&Token::Any) {
            next.push((i + 1, j));
            if y.is_some_and(|t| *t != Token::Any) {
                next.push((i, j + 1));
            }
        }
        if y == Some(&Token::Any) {
            next.push((i, j + 1));
            if x.is_some_and(|t| *t != Token::Any) {
                next.push((i + 1, j));
            }
        }
        match (x, y) {
            (Some(Token::Byte(p)), Some(Token::Byte(q))) if p == q => next.push((i + 1, j + 1)),
            (Some(Token::One), Some(Token::Byte(_) | Token::One))
            | (Some(Token::Byte(_)), Some(Token::One)) => next.push((i + 1, j + 1)),
            _ => {}
        }
    })
}

/// Every text `inner` matches, `outer` matches: `outer` matches `inner`
/// read as text in which `inner`'s `*` can only be taken by a `*` and its
/// `?` by a `?` or a `*`. Sound (never claims containment that does not
/// hold); it can miss containments that only a union of cases shows.
fn tokens_contain(outer: &[Token], inner: &[Token]) -> bool {
    walk(outer, inner, |i, j, next| {
        match (outer.get(i), inner.get(j)) {
            (Some(Token::Any), y) => {
                next.push((i + 1, j));
                if y.is_some() {
                    next.push((i, j + 1));
                }
            }
            (Some(Token::Byte(p)), Some(Token::Byte(q))) if p == q => next.push((i + 1, j + 1)),
            (Some(Token::One), Some(Token::Byte(_) | Token::One)) => next.push((i + 1, j + 1)),
            _ => {}
        }
    })
}

/// Tokens of a pattern where `*` and `?` are wildcards.
pub fn tokenize(pattern: &str) -> Vec<Token> {
    pattern
        .bytes()
        .map(|b| match b {
            b'*' => Token::Any,
            b'?' => Token::One,
            b => Token::Byte(b),
        })
        .collect()
}

/// Length of the UTF-8 character that starts with byte `b`.
fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// Two-pointer wildcard matching; `text` must be the UTF-8 bytes of a `str`.
pub fn match_tokens(pattern: &[Token], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Where the last `*` was, and the text position it currently absorbs up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::Any) => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(Token::One) => {
                t += char_len(text[t]);
                p += 1;
                continue;
            }
            Some(Token::Byte(b)) if *b == text[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_p, star_t)) => {
                let next = star_t + char_len(text[star_t]);
                star = Some((star_p, next));
                p = star_p + 1;
                t = next;
            }
            None => return false,
        }
    }
    while pattern.get(p) == Some(&Token::Any) {
        p += 1;
    }
    p == pattern.len() && t == text.len()
}

/// A Resource or ARN-condition pattern, matched per ARN segment.
///
/// "Each segment of an ARN is matched on its own" — IAM JSON policy elements:
/// Resource (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>):
/// wildcards in the partition, service, region and account segments stay in
/// their segment; the last segment (the resource part) may contain colons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnPattern {
    All,
    /// `arn:partition:service:region:account:resource` as six globs.
    Segments(Box<[Glob; 6]>),
    /// Anything that is not ARN-shaped, matched as a whole.
    Whole(Glob),
}

impl ArnPattern {
    pub fn new(pattern: &str) -> Self {
        Self::from_glob_parts(pattern, Glob::new)
    }

    /// Builds from token lists (policy variables may contribute literal wildcards).
    pub fn from_tokens(tokens: Vec<Token>) -> Self {
        if tokens == [Token::Any] {
            return ArnPattern::All;
        }
        let parts: Vec<&[Token]> = tokens.splitn(6, |t| *t == Token::Byte(b':')).collect();
        match <[&[Token]; 6]>::try_from(parts) {
            Ok(parts) if parts[0] == tokenize("arn").as_slice() => {
                ArnPattern::Segments(Box::new(parts.map(|p| Glob::from_tokens(p.to_vec()))))
            }
            _ => ArnPattern::Whole(Glob::from_tokens(tokens)),
        }
    }

    fn from_glob_parts(pattern: &str, glob: impl Fn(&str) -> Glob) -> Self {
        if pattern == "*" {
            return ArnPattern::All;
        }
        let parts: Vec<&str> = pattern.splitn(6, ':').collect();
        match <[&str; 6]>::try_from(parts) {
            Ok(parts) if parts[0] == "arn" => ArnPattern::Segments(Box::new(parts.map(glob))),
            _ => ArnPattern::Whole(glob(pattern)),
        }
    }

    /// Whether some ARN matches both patterns (segment by segment).
    pub fn intersects(&self, other: &ArnPattern) -> bool {
        match (self, other) {
            (ArnPattern::All, _) | (_, ArnPattern::All) => true,
            (ArnPattern::Segments(a), ArnPattern::Segments(b)) => {
                a.iter().zip(b.iter()).all(|(x, y)| x.intersects(y))
            }
            (ArnPattern::Whole(a), ArnPattern::Whole(b)) => a.intersects(b),
            _ => false,
        }
    }

    /// Whether every ARN `other` matches, this pattern matches too.
    pub fn contains(&self, other: &ArnPattern) -> bool {
        match (self, other) {
            (ArnPattern::All, _) => true,
            (_, ArnPattern::All) => false,
            (ArnPattern::Segments(a), ArnPattern::Segments(b)) => {
                a.iter().zip(b.iter()).all(|(x, y)| x.contains(y))
            }
            (ArnPattern::Whole(a), ArnPattern::Whole(b)) => a.contains(b),
            _ => false,
        }
    }

    pub fn matches(&self, arn: &str) -> bool {
        match self {
            ArnPattern::All => true,
            ArnPattern::Whole(glob) => glob.matches(arn),
            ArnPattern::Segments(globs) => {
                let mut parts = arn.splitn(6, ':');
                for glob in globs.iter() {
                    match parts.next() {
                        Some(part) if glob.matches(part) => {}
                        _ => return false,
                    }
                }
                true
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(Glob::new("*").matches(""));
        assert!(Glob::new("a*c").matches("abbbc"));
        assert!(Glob::new("a*c").matches("ac"));
        assert!(!Glob::new("a*c").matches("acb"));
        assert!(Glob::new("a?c").matches("abc"));
        assert!(Glob::new("a?c").matches("aéc"));
        assert!(!Glob::new("a?c").matches("ac"));
        assert!(Glob::new("*a*b*").matches("xxaxxbxx"));
        assert!(Glob::new("get*").matches("getobject"));
        assert!(!Glob::new("Get*").matches("getobject"));
        assert!(Glob::new("get*").matches_ignoring_ascii_case("GetObject"));
        assert!(Glob::new("getobject").matches_ignoring_ascii_case("GetObject"));
        assert!(!Glob::new("put*").matches_ignoring_ascii_case("GetObject"));
        assert!(Glob::new("*object").matches_ignoring_ascii_case("GetObject"));
        assert!(!Glob::new("getobjects*").matches_ignoring_ascii_case("GetObject"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = format!("{}b", "a*".repeat(500));
        let text = "a".repeat(5000);
        let started = std::time::Instant::now();
        assert!(!Glob::new(&pattern).matches(&text));
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn pattern_intersection_and_containment() {
        let p = |s: &str| ArnPattern::new(s);
        // Log prefixes under a bucket wildcard.
        let logs = p("arn:aws:s3:::logs-*/AWSLogs/*");
        assert!(p("arn:aws:s3:::logs-prod/*").intersects(&logs));
        assert!(!p("arn:aws:s3:::logs-prod/*").contains(&logs));
        assert!(p("arn:aws:s3:::logs-*/*").contains(&logs));
        assert!(p("arn:aws:s3:::*").contains(&logs));
        assert!(!p("arn:aws:s3:::data-*/*").intersects(&logs));
        assert!(!p("arn:aws:ec2:*:*:*").intersects(&logs));
        assert!(p("arn:aws:s3:::*/AWSLogs/?????????????/*").intersects(&logs));
        assert!(!p("arn:aws:s3:::logs-?/*").contains(&logs));
        assert!(p("arn:aws:s3:::logs-?*/AWSLogs/*").intersects(&p("arn:aws:s3:::logs-*/AWSLogs/x")));
        assert!(!p("arn:aws:s3:::logs-?*/AWSLogs/*").contains(&logs));
        assert!(
            Glob::new("a*b").intersects(&Glob::new("*c*"))
                && !Glob::new("a*").intersects(&Glob::new("b*"))
        );
    }

    #[test]
    fn arn_segments_do_not_leak() {
        let p = ArnPattern::new("arn:aws:s3:::bucket/*");
        assert!(p.matches("arn:aws:s3:::bucket/a/b:c"));
        assert!(!p.matches("arn:aws:s3:::other/a"));
        let p = ArnPattern::new("arn:aws:iam::*:role/Admin");
        assert!(p.matches("arn:aws:iam::111122223333:role/Admin"));
        assert!(!p.matches("arn:aws:iam::111122223333:role/Admin2"));
        // `*` in the account segment does not swallow the resource segment.
        let p = ArnPattern::new("arn:aws:iam::*:*");
        assert!(p.matches("arn:aws:iam::111122223333:role/Admin"));
        assert!(!ArnPattern::new("arn:aws:*:*:*:role/Admin").matches("arn:aws:iam::1:x:role/Admin"));
        let p = ArnPattern::new("arn:aws:logs:*:*:log-group:app:*");
        assert!(p.matches("arn:aws:logs:eu-west-1:111122223333:log-group:app:log-stream:x"));
    }
}
