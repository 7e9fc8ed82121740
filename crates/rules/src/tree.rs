//! Located trees read from JSON and YAML input files.
//!
//! Both readers produce the same [`Node`] tree, in which every value keeps the
//! byte span it was read from. YAML short-form intrinsics (`!Ref X`,
//! `!GetAtt A.B`, `!Sub ...`) become the long form (`{"Ref": "X"}`,
//! `{"Fn::GetAtt": "A.B"}`), so nothing after this module knows which syntax
//! a template was written in. Nesting depth and alias expansion are bounded so
//! a hostile file is an error, never a stack overflow or an out-of-memory.

use std::collections::HashSet;

use landfall_diagnostics::{Diagnostic, FileId, SourceFile, Span};
use landfall_spec::yaml::{
    self, read_tree, Documents, ReadOptions, Schema, Tags, TreeError, TreeOptions,
};

/// Deepest nesting accepted in an input file.
pub const MAX_DEPTH: usize = 128;
/// Most values a YAML document may expand to, counting alias expansions.
pub const MAX_NODES: usize = 2_000_000;

/// A value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: NodeValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A mapping entry by key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, n)| n),
            _ => None,
        }
    }

    /// Follows mapping keys and sequence indexes.
    pub fn at<'a>(&self, path: impl IntoIterator<Item = &'a str>) -> Option<&Node> {
        let mut node = self;
        for segment in path {
            node = match &node.value {
                NodeValue::Map(_) => node.get(segment)?,
                NodeValue::Seq(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            NodeValue::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            NodeValue::Seq(items) => items,
            _ => &[],
        }
    }
}

/// The keys of a mapping being read: a scan while it is small, a hash set
/// once it is large, so a template with thousands of resources is not read
/// in quadratic time.
#[derive(Debug, Default)]
struct KeySet {
    large: Option<HashSet<String>>,
}

impl KeySet {
    const SMALL: usize = 16;

    /// Whether `key` is already among `entries` (the keys read so far).
    fn contains(&mut self, entries: &[(String, Node)], key: &str) -> bool {
        if entries.len() < Self::SMALL {
            return entries.iter().any(|(k, _)| k == key);
        }
        self.large
            .get_or_insert_with(|| entries.iter().map(|(k, _)| k.clone()).collect())
            .contains(key)
    }

    /// Records a key just added to the entries.
    fn insert(&mut self, key: &str) {
        if let Some(set) = &mut self.large {
            set.insert(key.to_owned());
        }
    }
}

const DUPLICATE_KEY_HELP: &str =
    "AWS and scanners may read different copies of a duplicated key; keep one";

fn error_at(file: FileId, offset: usize, code: &'static str, message: String) -> Diagnostic {
    Diagnostic::error(code, message).with_label(Span::new(file, offset, offset + 1), "here")
}

// ------------------------------------------------------------------ JSON

/// Parses a JSON document; the error is located at the offending byte.
pub fn parse_json(file_id: FileId, text: &str) -> Result<Node, Diagnostic> {
    let mut parser = JsonParser {
        file: file_id,
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    parser.skip_ws();
    let node = parser.value(0)?;
    parser.skip_ws();
    if parser.pos < parser.bytes.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    Ok(node)
}

struct JsonParser<'a> {
    file: FileId,
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl JsonParser<'_> {
    fn error(&self, message: &str) -> Diagnostic {
        error_at(
            self.file,
            self.pos,
            "input::json-syntax",
            format!("invalid JSON: {message}"),
        )
        .with_help("fix the JSON syntax; `python3 -m json.tool FILE` shows where it breaks")
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        if depth > MAX_DEPTH {
            return Err(error_at(
                self.file,
                self.pos,
                "input::too-deep",
                format!("values are nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        let start = self.pos;
        let value = match self.bytes.get(self.pos) {
            None => return Err(self.error("unexpected end of file")),
            Some(b'{') => {
                self.pos += 1;
                let mut entries: Vec<(String, Node)> = Vec::new();
                let mut keys = KeySet::default();
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        if self.bytes.get(self.pos) != Some(&b'"') {
                            return Err(self.error("expected a string key"));
                        }
                        let key_at = self.pos;
                        let key = self.string()?;
                        if keys.contains(&entries, &key) {
                            return Err(error_at(
                                self.file,
                                key_at,
                                "input::duplicate-key",
                                format!("duplicate key `{key}`"),
                            )
                            .with_help(DUPLICATE_KEY_HELP));
                        }
                        self.skip_ws();
                        if self.bytes.get(self.pos) != Some(&b':') {
                            return Err(self.error("expected `:` after the key"));
                        }
                        self.pos += 1;
                        self.skip_ws();
                        let value = self.value(depth + 1)?;
                        keys.insert(&key);
                        entries.push((key, value));
                        self.skip_ws();
                        match self.bytes.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.error("expected `,` or `}`")),
                        }
                    }
                }
                NodeValue::Map(entries)
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        items.push(self.value(depth + 1)?);
                        self.skip_ws();
                        match self.bytes.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.error("expected `,` or `]`")),
                        }
                    }
                }
                NodeValue::Seq(items)
            }
            Some(b'"') => NodeValue::String(self.string()?),
            Some(b't') => self.literal("true", NodeValue::Bool(true))?,
            Some(b'f') => self.literal("false", NodeValue::Bool(false))?,
            Some(b'n') => self.literal("null", NodeValue::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a value")),
        };
        Ok(Node {
            span: Span::new(self.file, start, self.pos),
            value,
        })
    }

    fn literal(&mut self, word: &str, value: NodeValue) -> Result<NodeValue, Diagnostic> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn number(&mut self) -> Result<NodeValue, Diagnostic> {
        let start = self.pos;
        while let Some(b) = self.bytes.get(self.pos) {
            if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.text[start..self.pos]
            .parse::<f64>()
            .map(NodeValue::Number)
            .map_err(|_| {
                error_at(
                    self.file,
                    start,
                    "input::json-syntax",
                    "invalid JSON: malformed number".to_owned(),
                )
            })
    }

    fn string(&mut self) -> Result<String, Diagnostic> {
        // At the opening quote.
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.bytes.get(self.pos) {
                if *b == b'"' || *b == b'\\' || *b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.bytes.get(self.pos) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.bytes.get(self.pos).copied();
                    self.pos += 1;
                    match escaped {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let high = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&high) {
                                if self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u") {
                                    self.pos += 2;
                                    let low = self.hex4()?;
                                    char::from_u32(
                                        0x10000
                                            + ((high - 0xD800) << 10)
                                            + (low.wrapping_sub(0xDC00) & 0x3FF),
                                    )
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(high)
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(self.error("invalid escape in string")),
                    }
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Diagnostic> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("short unicode escape"))?;
        let value =
            u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid unicode escape"))?;
        self.pos += 4;
        Ok(value)
    }
}

// ------------------------------------------------------------------ YAML

/// How templates are read: as CloudFormation's libyaml reads them
/// (continuation lines of quoted and flow scalars indented less than YAML
/// 1.2 requires are accepted, leading zeros keep a number a string),
/// short-form tags as intrinsics, the first document only.
const TEMPLATE: TreeOptions = TreeOptions {
    read: ReadOptions {
        libyaml_continuations: true,
    },
    schema: Schema::CloudFormation,
    tags: Tags::Intrinsics,
    documents: Documents::First,
    max_depth: MAX_DEPTH,
    max_nodes: MAX_NODES,
};

/// Parses a YAML document (the first one of the stream) with the reader
/// of spec files (`landfall_spec::yaml::read_tree`), every span pointing
/// into the file as written.
pub fn parse_yaml(file_id: FileId, file: &SourceFile) -> Result<Node, Diagnostic> {
    match read_tree(file_id, file, &TEMPLATE) {
        Ok(Some(root)) => Ok(from_yaml(root)),
        Ok(None) => Ok(Node {
            span: Span::new(file_id, 0, 0),
            value: NodeValue::Null,
        }),
        Err(error) => {
            let code = match &error {
                TreeError::Syntax { .. } | TreeError::UnknownAnchor { .. } => "input::yaml-syntax",
                TreeError::TooLarge { .. } => "input::too-large",
                TreeError::TooDeep { .. } => "input::too-deep",
                TreeError::UnsupportedTag { .. } => "input::unsupported-tag",
                TreeError::DuplicateKey { .. } => "input::duplicate-key",
                TreeError::ComplexKey { .. } | TreeError::MergeKey { .. } => "input::complex-key",
                TreeError::MultipleDocuments { .. } => "input::multiple-documents",
            };
            let diagnostic = error_at(file_id, error.span().start, code, error.message());
            Err(match error {
                TreeError::DuplicateKey { .. } => diagnostic.with_help(DUPLICATE_KEY_HELP),
                _ => diagnostic,
            })
        }
    }
}

/// The YAML tree in this module's terms: numbers are JSON's, keys plain
/// strings.
fn from_yaml(node: yaml::Node) -> Node {
    let value = match node.value {
        yaml::Value::Null => NodeValue::Null,
        yaml::Value::Bool(b) => NodeValue::Bool(b),
        yaml::Value::Int(i) => NodeValue::Number(i as f64),
        yaml::Value::Float(f) => NodeValue::Number(f),
        yaml::Value::String(s) => NodeValue::String(s),
        yaml::Value::Sequence(items) => NodeValue::Seq(items.into_iter().map(from_yaml).collect()),
        yaml::Value::Mapping(entries) => NodeValue::Map(
            entries
                .into_iter()
                .map(|(key, node)| (key.name, from_yaml(node)))
                .collect(),
        ),
    };
    Node {
        span: node.span,
        value,
    }
}

/// Formats a number the way it was most likely written (`22`, not `22.0`).
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use landfall_diagnostics::SourceSet;

    fn yaml(text: &str) -> Result<Node, Diagnostic> {
        let mut sources = SourceSet::default();
        let id = sources.add("t.yaml", text);
        parse_yaml(id, sources.file(id))
    }

    fn json(text: &str) -> Result<Node, Diagnostic> {
        let mut sources = SourceSet::default();
        let id = sources.add("t.json", text);
        parse_json(id, text)
    }

    #[test]
    fn short_form_tags_become_long_form() {
        let node =
            yaml("a: !Ref X\nb: !GetAtt R.Arn\nc: !If [Cond, 1, 2]\nd: !Sub 'x-${AWS::Region}'\n")
                .unwrap();
        assert_eq!(node.at(["a", "Ref"]).and_then(Node::as_str), Some("X"));
        assert_eq!(
            node.at(["b", "Fn::GetAtt"]).and_then(Node::as_str),
            Some("R.Arn")
        );
        assert_eq!(node.at(["c", "Fn::If"]).map(|n| n.items().len()), Some(3));
        assert!(node.at(["d", "Fn::Sub"]).is_some());
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let node = yaml("a: no\nb: 22\nc: '22'\nd: 0123\ne: true\n").unwrap();
        assert_eq!(node.get("a").unwrap().value, NodeValue::String("no".into()));
        assert_eq!(node.get("b").unwrap().value, NodeValue::Number(22.0));
        assert_eq!(node.get("c").unwrap().value, NodeValue::String("22".into()));
        assert_eq!(
            node.get("d").unwrap().value,
            NodeValue::String("0123".into())
        );
        assert_eq!(node.get("e").unwrap().value, NodeValue::Bool(true));
    }

    #[test]
    fn json_reads_escapes_and_reports_errors_in_place() {
        let node = json(r#"{"a": "x\u00e9\n", "b": [1, -2.5e1, null, false]}"#).unwrap();
        assert_eq!(node.get("a").and_then(Node::as_str), Some("xé\n"));
        assert_eq!(node.at(["b", "1"]).unwrap().value, NodeValue::Number(-25.0));
        let error = json("{\"a\": [1, 2,, 3]}").unwrap_err();
        assert_eq!(error.code, "input::json-syntax");
        assert_eq!(error.primary_span().unwrap().start, 12);
    }

    #[test]
    fn hostile_nesting_is_an_error() {
        let deep = "[".repeat(100_000);
        assert_eq!(json(&deep).unwrap_err().code, "input::too-deep");
        // saphyr stops at its own recursion limit first; either way an error.
        let deep_yaml = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(yaml(&deep_yaml).is_err());
        let deep_yaml = "[".repeat(200) + &"]".repeat(200);
        assert!(yaml(&deep_yaml).is_err());
    }

    /// What libyaml (CloudFormation's reader) accepts and YAML 1.2 does not:
    /// continuation lines of quoted and flow scalars indented less than
    /// their key, as in templates of AWS's own collections.
    #[test]
    fn continuation_lines_libyaml_accepts_are_read() {
        let text = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: \"abc\ndef\"\n      Tags: [{Key: a, Value: b},\n{Key: c, Value: 'd\n  e'}]\n      After: here\n";
        let mut sources = SourceSet::default();
        let id = sources.add("t.yaml", text);
        let node = parse_yaml(id, sources.file(id)).unwrap();
        let props = node.at(["Resources", "B", "Properties"]).unwrap();
        assert_eq!(
            props.get("BucketName").and_then(Node::as_str),
            Some("abc def")
        );
        assert_eq!(
            props.at(["Tags", "1", "Value"]).and_then(Node::as_str),
            Some("d e")
        );
        // Spans still point into the file as written.
        let after = props.get("After").unwrap();
        assert_eq!(&text[after.span.start..after.span.end], "here");
        let c = props.at(["Tags", "1", "Key"]).unwrap();
        assert_eq!(&text[c.span.start..c.span.end], "c");
        // Broken YAML is still an error, located in the file.
        let error = yaml("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(error.code, "input::yaml-syntax");
        let error = yaml("a:\n  b: 1\n c: 2\n").unwrap_err();
        assert_eq!(error.code, "input::yaml-syntax");
    }

    /// Re-reading is bounded: a file needing more re-indented lines than
    /// allowed is an error, not a long loop.
    #[test]
    fn reindenting_is_bounded() {
        let mut text = String::from("Outer:\n  Inner:\n");
        for i in 0..500 {
            text.push_str(&format!("    k{i}: \"a\nb\"\n"));
        }
        let started = std::time::Instant::now();
        assert_eq!(yaml(&text).unwrap_err().code, "input::yaml-syntax");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    /// `!` is YAML's non-specific tag ("a string"), not an intrinsic.
    #[test]
    fn the_non_specific_tag_is_a_string() {
        let node = yaml("a: ! 123\nb: ! true\nc: !Ref X\n").unwrap();
        assert_eq!(
            node.get("a").unwrap().value,
            NodeValue::String("123".into())
        );
        assert_eq!(
            node.get("b").unwrap().value,
            NodeValue::String("true".into())
        );
        assert_eq!(node.at(["c", "Ref"]).and_then(Node::as_str), Some("X"));
    }

    /// The reader spec files use, with CloudFormation's options: what the
    /// spec refuses a template may hold (`<<` and `null` as keys, a tag on
    /// a collection, a second document after the template).
    #[test]
    fn templates_are_read_with_cloudformation_options() {
        let node = yaml("<<: a\nnull: b\nc: 0x1f\nd: !GetAZs {}\n---\nbroken: [\n").unwrap();
        assert_eq!(node.get("<<").and_then(Node::as_str), Some("a"));
        assert_eq!(node.get("null").and_then(Node::as_str), Some("b"));
        assert_eq!(node.get("c").and_then(Node::as_str), Some("0x1f"));
        assert!(node.at(["d", "Fn::GetAZs"]).is_some());
        assert_eq!(node.entries().len(), 4);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        assert_eq!(
            json(r#"{"a": 1, "a": 2}"#).unwrap_err().code,
            "input::duplicate-key"
        );
        assert_eq!(
            yaml("a: 1\na: 2\n").unwrap_err().code,
            "input::duplicate-key"
        );
        // Beyond the first keys, found through the set.
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k3\": 0}}", many.join(", "));
        assert_eq!(json(&text).unwrap_err().code, "input::duplicate-key");
        assert!(json(&format!("{{{}}}", many.join(", "))).is_ok());
        let many: Vec<String> = (0..40).map(|i| format!("k{i}: {i}")).collect();
        let text = format!("{}\nk39: 0\n", many.join("\n"));
        assert_eq!(yaml(&text).unwrap_err().code, "input::duplicate-key");
        assert!(yaml(&many.join("\n")).is_ok());
    }
}
