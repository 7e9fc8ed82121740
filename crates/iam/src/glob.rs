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

/// A text prepared for matching against many [`Matcher`]s: its first
/// eight bytes as one word, so that most comparisons of short texts (service
/// prefixes, action names, ARN segments) are one integer comparison.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub text: &'a str,
    pub head: u64,
}

impl<'a> Key<'a> {
    pub fn new(text: &'a str) -> Self {
        Key {
            text,
            head: head_word(text.as_bytes()),
        }
    }
}

/// The first eight bytes of `bytes`, zero-padded, as one word: two texts of
/// the same length up to eight bytes are equal when their words are.
pub fn head_word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(word)
}

/// A [`Glob`] compiled for matching prepared [`Key`]s: a literal, or a
/// literal before or after a single `*`, is compared a word at a time and
/// never walks the pattern; other patterns fall back to [`match_tokens`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    All,
    Exact {
        head: u64,
        text: Box<str>,
    },
    /// `text*`; `mask` keeps the bytes of the word `text` fills.
    Prefix {
        head: u64,
        mask: u64,
        text: Box<str>,
    },
    /// `*text`.
    Suffix(Box<str>),
    Tokens(Box<[Token]>),
}

impl Matcher {
    pub fn new(glob: &Glob) -> Self {
        match glob {
            Glob::All => Matcher::All,
            Glob::Exact(text) => Matcher::Exact {
                head: head_word(text.as_bytes()),
                text: text.clone(),
            },
            Glob::Prefix(text) => {
                let n = text.len().min(8);
                Matcher::Prefix {
                    head: head_word(text.as_bytes()),
                    mask: if n == 8 {
                        u64::MAX
                    } else {
                        (1u64 << (8 * n)) - 1
                    },
                    text: text.clone(),
                }
            }
            Glob::Tokens(tokens) => match tokens.split_first() {
                Some((Token::Any, rest)) if rest.iter().all(|t| matches!(t, Token::Byte(_))) => {
                    let bytes: Vec<u8> = rest
                        .iter()
                        .filter_map(|t| match t {
                            Token::Byte(b) => Some(*b),
                            _ => None,
                        })
                        .collect();
                    match String::from_utf8(bytes) {
                        Ok(text) => Matcher::Suffix(text.into()),
                        Err(_) => Matcher::Tokens(tokens.clone()),
                    }
                }
                _ => Matcher::Tokens(tokens.clone()),
            },
        }
    }

    #[inline]
    pub fn matches(&self, key: Key<'_>) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Exact { head, text } => {
                *head == key.head
                    && text.len() == key.text.len()
                    && (text.len() <= 8 || text.as_bytes()[8..] == key.text.as_bytes()[8..])
            }
            Matcher::Prefix { head, mask, text } => {
                key.text.len() >= text.len()
                    && key.head & mask == *head
                    && (text.len() <= 8
                        || text.as_bytes()[8..] == key.text.as_bytes()[8..text.len()])
            }
            Matcher::Suffix(text) => key.text.ends_with(&**text),
            Matcher::Tokens(tokens) => match_tokens(tokens, key.text.as_bytes()),
        }
    }
}

/// An ARN prepared for matching: its six segments as [`Key`]s (when it has
/// six), and the whole text.
#[derive(Debug, Clone)]
pub struct PreparedArn {
    /// Byte ranges and head words of the six segments.
    segments: Option<[(usize, usize, u64); 6]>,
    whole_head: u64,
}

impl PreparedArn {
    pub fn new(arn: &str) -> Self {
        let bytes = arn.as_bytes();
        let mut segments = [(0usize, 0usize, 0u64); 6];
        // The first five colons end the first five segments; the sixth
        // runs to the end (a resource part may hold colons).
        let mut start = 0;
        let mut found = 0;
        for (i, b) in bytes.iter().enumerate() {
            if *b == b':' {
                segments[found] = (start, i, head_word(&bytes[start..i]));
                start = i + 1;
                found += 1;
                if found == 5 {
                    break;
                }
            }
        }
        segments[5] = (start, bytes.len(), head_word(&bytes[start..]));
        PreparedArn {
            segments: (found == 5).then_some(segments),
            whole_head: head_word(bytes),
        }
    }

    /// The six segments of `arn` (the text this was prepared from).
    fn segments<'a>(&self, arn: &'a str) -> Option<[Key<'a>; 6]> {
        let segments = self.segments.as_ref()?;
        Some(segments.map(|(start, end, head)| Key {
            text: &arn[start..end],
            head,
        }))
    }

    /// Whether segment by segment `matchers` match `arn` (the text this was
    /// prepared from), stopping at the first that does not.
    #[inline]
    fn segments_match(&self, arn: &str, matchers: &[Matcher; 6]) -> bool {
        let Some(segments) = &self.segments else {
            return false;
        };
        matchers
            .iter()
            .zip(segments)
            .all(|(m, &(start, end, head))| {
                m.matches(Key {
                    text: arn.get(start..end).unwrap_or_default(),
                    head,
                })
            })
    }
}

/// Whether `arn` matches the pattern `tokens` read as an [`ArnPattern`]
/// (`ArnPattern::from_tokens(tokens).matches(arn)`), without building it:
/// for patterns with policy variables, substituted once per request.
pub fn arn_tokens_match(tokens: &[Token], arn: &str, prepared: &PreparedArn) -> bool {
    if tokens == [Token::Any] {
        return true;
    }
    let colon = |t: &Token| *t == Token::Byte(b':');
    let arn_shaped = tokens.iter().filter(|t| colon(t)).count() >= 5
        && tokens.starts_with(&[
            Token::Byte(b'a'),
            Token::Byte(b'r'),
            Token::Byte(b'n'),
            Token::Byte(b':'),
        ]);
    if !arn_shaped {
        return match_tokens(tokens, arn.as_bytes());
    }
    let Some(keys) = prepared.segments(arn) else {
        return false;
    };
    tokens
        .splitn(6, colon)
        .zip(keys)
        .all(|(part, key)| match_tokens(part, key.text.as_bytes()))
}

/// An [`ArnPattern`] compiled for matching [`PreparedArn`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnMatcher {
    All,
    Segments(Box<[Matcher; 6]>),
    Whole(Matcher),
}

impl ArnMatcher {
    pub fn new(pattern: &ArnPattern) -> Self {
        match pattern {
            ArnPattern::All => ArnMatcher::All,
            ArnPattern::Segments(globs) => {
                ArnMatcher::Segments(Box::new(std::array::from_fn(|i| Matcher::new(&globs[i]))))
            }
            ArnPattern::Whole(glob) => ArnMatcher::Whole(Matcher::new(glob)),
        }
    }

    /// [`matches`](Self::matches) for a text not prepared beforehand (a
    /// context value).
    pub fn matches_text(&self, arn: &str) -> bool {
        match self {
            ArnMatcher::All => true,
            _ => self.matches(arn, &PreparedArn::new(arn)),
        }
    }

    /// Whether `arn`, prepared as `prepared`, matches; the same answer as
    /// [`ArnPattern::matches`].
    #[inline]
    pub fn matches(&self, arn: &str, prepared: &PreparedArn) -> bool {
        match self {
            ArnMatcher::All => true,
            ArnMatcher::Whole(m) => m.matches(Key {
                text: arn,
                head: prepared.whole_head,
            }),
            ArnMatcher::Segments(matchers) => prepared.segments_match(arn, matchers),
        }
    }
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
    fn compiled_matchers_agree_with_globs() {
        let patterns = [
            "*",
            "",
            "s3",
            "ec2",
            "getobject",
            "get*",
            "getobjectversion*",
            "*object",
            "*objectacl",
            "a?c",
            "*a*b*",
            "runinstances",
            "describe*",
            "longer-than-eight*",
            "exactly8",
            "exactly8*",
            "exactly9x",
            "é*",
            "*é",
            "?",
        ];
        let texts = [
            "",
            "s3",
            "ec2",
            "getobject",
            "getobjectversion",
            "getobjectversionacl",
            "putobject",
            "abc",
            "aéc",
            "xxaxxbxx",
            "runinstances",
            "describeinstances",
            "describe",
            "longer-than-eight-bytes",
            "longer-than-eigh",
            "exactly8",
            "exactly8x",
            "exactly9x",
            "exactly9",
            "é",
            "éa",
            "aé",
            "a",
        ];
        for pattern in patterns {
            let glob = Glob::new(pattern);
            let matcher = Matcher::new(&glob);
            for text in texts {
                assert_eq!(
                    matcher.matches(Key::new(text)),
                    glob.matches(text),
                    "`{pattern}` on `{text}`"
                );
            }
        }
        let arns = [
            "arn:aws:s3:::bucket/a/b:c",
            "arn:aws:iam::111122223333:role/Admin",
            "arn:aws:iam::111122223333:role/Admin2",
            "arn:aws:logs:eu-west-1:111122223333:log-group:app:log-stream:x",
            "arn:aws:iam::1:x:role/Admin",
            "not-an-arn",
            "arn:aws:s3",
            "*",
        ];
        for pattern in [
            "*",
            "arn:aws:s3:::bucket/*",
            "arn:aws:iam::*:role/Admin",
            "arn:aws:iam::*:*",
            "arn:aws:*:*:*:role/Admin",
            "arn:aws:logs:*:*:log-group:app:*",
            "not-*",
            "arn:aws:s3",
            "arn:aws:s3:::bucket/**",
            "arn:*",
            "*:*",
            "arn:aws:iam::111122223333:role/Admin",
            "arn:aws:s3:::*/a/*",
            "arn:aws:iam::1:x:*",
        ] {
            let arn_pattern = ArnPattern::new(pattern);
            let matcher = ArnMatcher::new(&arn_pattern);
            for arn in arns {
                assert_eq!(
                    matcher.matches(arn, &PreparedArn::new(arn)),
                    arn_pattern.matches(arn),
                    "`{pattern}` on `{arn}`"
                );
                assert_eq!(matcher.matches_text(arn), arn_pattern.matches(arn));
                let tokens = tokenize(pattern);
                assert_eq!(
                    arn_tokens_match(&tokens, arn, &PreparedArn::new(arn)),
                    ArnPattern::from_tokens(tokens.clone()).matches(arn),
                    "tokens `{pattern}` on `{arn}`"
                );
            }
        }
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
