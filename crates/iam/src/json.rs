//! A small JSON reader that keeps the byte span of every value and key.
//!
//! `serde_json` forgets positions, and policy errors must point at the line
//! and column that caused them. The reader is bounded: nesting depth, input
//! size and the number of values are limited, so hostile input gets a located
//! error instead of a stack overflow or an unbounded allocation.

use landfall_diagnostics::{Diagnostic, FileId, Span};

/// Bounds on what the reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Deepest nesting of arrays and objects.
    pub max_depth: usize,
    /// Largest input, in bytes.
    pub max_bytes: usize,
    /// Most values (scalars, arrays, objects) in one document.
    pub max_values: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_bytes: 8 * 1024 * 1024,
            max_values: 1_000_000,
        }
    }
}

/// A JSON value with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Json {
    pub value: JsonValue,
    pub span: Span,
}

/// An object member: the key, where it is, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_span: Span,
    pub value: Json,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    /// The number's text as written, so nothing is lost to floating point.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in document order; duplicate keys are kept for the caller to report.
    Object(Vec<Member>),
}

impl Json {
    /// The JSON type's name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "a boolean",
            JsonValue::Number(_) => "a number",
            JsonValue::String(_) => "a string",
            JsonValue::Array(_) => "an array",
            JsonValue::Object(_) => "an object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            JsonValue::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match &self.value {
            JsonValue::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, JsonValue::Null)
    }

    /// The first member named `key`, if this is an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?
            .iter()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// A scalar as text: strings as they are, numbers as written, booleans as
    /// `true`/`false` (IAM accepts all three as condition values).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            JsonValue::String(s) => Some(s.clone()),
            JsonValue::Number(n) => Some(n.clone()),
            JsonValue::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Appends the minified JSON text of this value (no insignificant whitespace).
    pub fn write_minified(&self, out: &mut String) {
        match &self.value {
            JsonValue::Null => out.push_str("null"),
            JsonValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsonValue::Number(n) => out.push_str(n),
            JsonValue::String(s) => write_string(s, out),
            JsonValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_minified(out);
                }
                out.push(']');
            }
            JsonValue::Object(members) => {
                out.push('{');
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(&member.key, out);
                    out.push(':');
                    member.value.write_minified(out);
                }
                out.push('}');
            }
        }
    }

    /// Number of characters of the minified text.
    pub fn minified_chars(&self) -> usize {
        let mut out = String::new();
        self.write_minified(&mut out);
        out.chars().count()
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Checks that `bytes` are UTF-8; otherwise a located error at the first bad byte.
///
/// Returns the text to add to a `SourceSet` (lossy, so the error can still be
/// shown in context) and the error, if any. Offsets before the bad byte are
/// identical in both.
pub fn decode_utf8(bytes: &[u8]) -> (String, Option<usize>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(error) => (
            String::from_utf8_lossy(bytes).into_owned(),
            Some(error.valid_up_to()),
        ),
    }
}

/// Parses one JSON document.
pub fn parse(file: FileId, text: &str, limits: &JsonLimits) -> Result<Json, Diagnostic> {
    if text.len() > limits.max_bytes {
        return Err(Diagnostic::error(
            "iam::json-too-large",
            format!(
                "document is {} bytes, more than the limit of {} bytes",
                text.len(),
                limits.max_bytes
            ),
        )
        .in_file(file));
    }
    let mut reader = Reader {
        file,
        text,
        bytes: text.as_bytes(),
        pos: 0,
        limits,
        values: 0,
    };
    // A BOM is not JSON, but editors write it; skip it.
    if text.starts_with('\u{feff}') {
        reader.pos = 3;
    }
    reader.skip_ws();
    let value = reader.value(0)?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error_here(
            "unexpected text after the JSON document",
            "expected the end of the file",
        ));
    }
    Ok(value)
}

struct Reader<'a> {
    file: FileId,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    limits: &'a JsonLimits,
    values: usize,
}

impl Reader<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn char_len_at(&self, pos: usize) -> usize {
        self.text[pos..].chars().next().map_or(1, char::len_utf8)
    }

    fn error_here(&self, message: impl Into<String>, label: &str) -> Diagnostic {
        let end = (self.pos + self.char_len_at(self.pos.min(self.text.len()))).min(self.text.len());
        Diagnostic::error("iam::json-syntax", message).with_label(self.span(self.pos, end), label)
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn count_value(&mut self, start: usize) -> Result<(), Diagnostic> {
        self.values += 1;
        if self.values > self.limits.max_values {
            return Err(Diagnostic::error(
                "iam::json-too-large",
                format!("document has more than {} values", self.limits.max_values),
            )
            .with_label(self.span(start, start + 1), "limit reached here"));
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Json, Diagnostic> {
        let start = self.pos;
        self.count_value(start)?;
        let Some(&b) = self.bytes.get(self.pos) else {
            return Err(self.error_here("unexpected end of the document", "expected a value"));
        };
        let value = match b {
            b'{' | b'[' if depth >= self.limits.max_depth => {
                return Err(Diagnostic::error(
                    "iam::json-too-deep",
                    format!("nesting deeper than {} levels", self.limits.max_depth),
                )
                .with_label(self.span(start, start + 1), "too deep"));
            }
            b'{' => self.object(depth)?,
            b'[' => self.array(depth)?,
            b'"' => JsonValue::String(self.string()?),
            b't' => self.literal("true", JsonValue::Bool(true))?,
            b'f' => self.literal("false", JsonValue::Bool(false))?,
            b'n' => self.literal("null", JsonValue::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(self.error_here("expected a JSON value", "not a value")),
        };
        Ok(Json {
            value,
            span: self.span(start, self.pos),
        })
    }

    fn literal(&mut self, word: &str, value: JsonValue) -> Result<JsonValue, Diagnostic> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error_here("expected a JSON value", "not a value"))
        }
    }

    fn number(&mut self) -> Result<JsonValue, Diagnostic> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while r.bytes.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos > from
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        if self.bytes.get(self.pos) == Some(&b'0') {
            self.pos += 1;
        } else if !digits(self) {
            return Err(self.error_here("invalid number", "expected a digit"));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.error_here("invalid number", "expected a digit after `.`"));
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error_here("invalid number", "expected an exponent"));
            }
        }
        Ok(JsonValue::Number(self.text[start..self.pos].to_owned()))
    }

    fn string(&mut self) -> Result<String, Diagnostic> {
        let start = self.pos;
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once.
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.bytes.get(self.pos) {
                None => {
                    return Err(Diagnostic::error("iam::json-syntax", "unterminated string")
                        .with_label(self.span(start, start + 1), "string starts here"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(&e) = self.bytes.get(self.pos) else {
                        continue;
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            self.pos -= 2;
                            return Err(
                                self.error_here("invalid escape in string", "unknown escape")
                            );
                        }
                    }
                }
                Some(_) => {
                    return Err(self.error_here(
                        "control character in string",
                        "write it as an escape such as `\\n`",
                    ));
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Diagnostic> {
        let Some(digits) = self.text.get(self.pos..self.pos + 4) else {
            return Err(self.error_here("invalid unicode escape", "expected four hex digits"));
        };
        let value = u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error_here("invalid unicode escape", "expected four hex digits"))?;
        self.pos += 4;
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, Diagnostic> {
        let escape_start = self.pos - 2;
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if self.bytes[self.pos..].starts_with(b"\\u") {
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..0xE000).contains(&low) {
                    return Err(
                        Diagnostic::error("iam::json-syntax", "invalid surrogate pair")
                            .with_label(self.span(escape_start, self.pos), "not a valid pair"),
                    );
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            } else {
                return Err(Diagnostic::error(
                    "iam::json-syntax",
                    "lone surrogate in unicode escape",
                )
                .with_label(
                    self.span(escape_start, self.pos),
                    "needs a low surrogate after it",
                ));
            }
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| {
            Diagnostic::error("iam::json-syntax", "invalid unicode escape")
                .with_label(self.span(escape_start, self.pos), "not a character")
        })
    }

    fn array(&mut self, depth: usize) -> Result<JsonValue, Diagnostic> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(JsonValue::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonValue::Array(items));
                }
                None => return Err(self.error_here("unterminated array", "expected `,` or `]`")),
                Some(_) => {
                    return Err(self.error_here("expected `,` or `]` in array", "unexpected"))
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonValue, Diagnostic> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(JsonValue::Object(members));
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error_here("expected a quoted key in object", "expected `\"`"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = self.span(key_start, self.pos);
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error_here("expected `:` after object key", "expected `:`"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(JsonValue::Object(members));
                }
                None => return Err(self.error_here("unterminated object", "expected `,` or `}`")),
                Some(_) => {
                    return Err(self.error_here("expected `,` or `}` in object", "unexpected"))
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use landfall_diagnostics::SourceSet;

    fn parse_text(text: &str) -> (SourceSet, Result<Json, Diagnostic>) {
        let mut sources = SourceSet::default();
        let file = sources.add("p.json", text);
        let result = parse(file, text, &JsonLimits::default());
        (sources, result)
    }

    #[test]
    fn keeps_spans_of_keys_and_values() {
        let (sources, json) = parse_text("{\n  \"a\": [1, \"x\\n\", true, null]\n}");
        let json = json.unwrap();
        let member = &json.as_object().unwrap()[0];
        let location = sources.location(member.key_span);
        assert_eq!((location.line, location.column), (2, 3));
        let items = member.value.as_array().unwrap();
        assert_eq!(items[1].as_str(), Some("x\n"));
        assert_eq!(sources.location(items[2].span).column, 19);
    }

    #[test]
    fn errors_are_located() {
        let (sources, result) = parse_text("{\n  \"a\": [1,, 2]\n}");
        let error = result.unwrap_err();
        let location = sources.location(error.primary_span().unwrap());
        assert_eq!((location.line, location.column), (2, 11));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let (_, result) = parse_text(&text);
        assert_eq!(result.unwrap_err().code, "iam::json-too-deep");
    }

    #[test]
    fn value_count_is_bounded() {
        let text = format!("[{}0]", "0,".repeat(2000));
        let mut sources = SourceSet::default();
        let file = sources.add("p.json", text.as_str());
        let limits = JsonLimits {
            max_values: 1000,
            ..JsonLimits::default()
        };
        assert_eq!(
            parse(file, &text, &limits).unwrap_err().code,
            "iam::json-too-large"
        );
    }

    #[test]
    fn unicode_escapes_and_surrogates() {
        let (_, json) = parse_text(r#""\u00e9\ud83d\ude00""#);
        assert_eq!(json.unwrap().as_str(), Some("é😀"));
        let (_, json) = parse_text(r#""\ud83d""#);
        assert!(json.is_err());
    }

    #[test]
    fn truncated_inputs_never_panic() {
        let text = r#"{"a": [1.5e3, "x\u12", {"b": tru"#;
        for end in 0..=text.len() {
            let _ = parse_text(&text[..end]);
        }
    }

    #[test]
    fn minified_text_drops_whitespace() {
        let (_, json) = parse_text("{ \"a\" : [ 1 , \"b c\" ] }");
        let mut out = String::new();
        json.unwrap().write_minified(&mut out);
        assert_eq!(out, r#"{"a":[1,"b c"]}"#);
    }

    #[test]
    fn invalid_utf8_reports_the_offset() {
        let (text, bad) = decode_utf8(b"{\"a\": \"\xff\"}");
        assert_eq!(bad, Some(7));
        assert!(text.contains('\u{fffd}'));
    }
}
