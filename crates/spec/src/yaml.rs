//! YAML to a tree that remembers where every node came from.
//!
//! serde-based YAML readers drop positions, report one error at a time and let
//! duplicate keys through; Landfall needs all three. saphyr's event parser gives
//! exact positions, and this module builds the tree from its events: the YAML 1.2
//! core schema for plain scalars (so `no` stays a string), duplicate keys
//! rejected, aliases expanded under a budget so a "billion laughs" document is an
//! error instead of an out-of-memory.

use std::collections::HashMap;

use landfall_diagnostics::{Diagnostic, Diagnostics, FileId, SourceFile, Span};
use saphyr_parser::Parser;
pub use saphyr_parser::{Event, ScalarStyle, Tag};

/// Deepest nesting accepted; deeper documents are rejected rather than risking
/// the stack of every recursive consumer.
pub const MAX_DEPTH: usize = 64;
/// Most nodes one document may expand to, counting alias expansions.
pub const MAX_NODES: usize = 1_000_000;

/// A YAML value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// A mapping key: always a plain string in a spec file.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Sequence(Vec<Node>),
    Mapping(Vec<(Key, Node)>),
}

impl Value {
    /// The JSON Schema type name of this value, as used in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Sequence(_) => "list",
            Value::Mapping(_) => "mapping",
        }
    }
}

impl Node {
    /// Looks up a child by JSON-pointer segments (`["domains", "3", "name"]`).
    pub fn get<'a>(&self, path: impl IntoIterator<Item = &'a str>) -> Option<&Node> {
        let mut node = self;
        for segment in path {
            node = match &node.value {
                Value::Mapping(entries) => &entries.iter().find(|(key, _)| key.name == segment)?.1,
                Value::Sequence(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The key of a mapping entry, found by the path to its value.
    pub fn key_span(&self, path: &[&str]) -> Option<Span> {
        let (last, parent) = path.split_last()?;
        let parent = self.get(parent.iter().copied())?;
        match &parent.value {
            Value::Mapping(entries) => entries
                .iter()
                .find(|(key, _)| key.name == *last)
                .map(|(key, _)| key.span),
            _ => None,
        }
    }

    /// Converts to JSON for typed deserialization once the schema check passed.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Sequence(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Mapping(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(key, node)| (key.name.clone(), node.to_json()))
                    .collect(),
            ),
        }
    }
}

// ------------------------------------------------------------ event reader

/// How to read a YAML text.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Accept what libyaml (CloudFormation's reader) accepts and YAML 1.2
    /// does not: continuation lines of quoted and flow scalars indented less
    /// than their key. Such a line is re-indented and the text read again;
    /// spans still point into the file as written.
    pub libyaml_continuations: bool,
}

/// What consumes a document's events: a tree builder.
pub trait EventSink {
    /// Handles one event at its span in the file; false stops reading.
    fn event(&mut self, event: Event<'_>, span: Span) -> bool;
}

/// saphyr refused the text: where in the file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

/// Most lines re-indented to read one document as libyaml does.
const MAX_REINDENTED_LINES: usize = 64;

/// Reads a file's YAML events into a sink made by `sink` (made again when
/// the text is re-read), with every event's span in the file as written.
/// The one event reader of both the spec and the template readers.
pub fn read_events<S: EventSink>(
    file_id: FileId,
    file: &SourceFile,
    options: ReadOptions,
    mut sink: impl FnMut() -> S,
) -> Result<S, SyntaxError> {
    let mut text = std::borrow::Cow::Borrowed(file.text());
    // Spaces inserted at the start of a line (1-based), by line.
    let mut inserted: HashMap<usize, usize> = HashMap::new();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut current = sink();
        let offset = |line: usize, col: usize| {
            let col = col.saturating_sub(inserted.get(&line).copied().unwrap_or(0));
            file.offset_of(line, col)
        };
        let mut parser = Parser::new_from_str(&text);
        let mut failure = None;
        while let Some(next) = parser.next_event() {
            match next {
                Ok((event, span)) => {
                    let start = offset(span.start.line(), span.start.col());
                    let end = offset(span.end.line(), span.end.col()).max(start);
                    if !current.event(event, Span::new(file_id, start, end)) {
                        break;
                    }
                }
                Err(error) => {
                    let marker = error.marker();
                    failure = Some((marker.line(), marker.col(), error.info().to_owned()));
                    break;
                }
            }
        }
        let Some((line, col, info)) = failure else {
            return Ok(current);
        };
        if options.libyaml_continuations
            && info.contains("invalid indentation")
            && inserted.len() < MAX_REINDENTED_LINES
            && attempts <= MAX_REINDENTED_LINES
        {
            let repaired = if info.contains("quoted scalar") {
                reindent_quoted(&text, line, col)
            } else {
                reindent_continuation(&text, line).map(|(fixed, pad)| (fixed, vec![(line, pad)]))
            };
            if let Some((fixed, pads)) = repaired {
                for (line, pad) in pads {
                    *inserted.entry(line).or_default() += pad;
                }
                text = std::borrow::Cow::Owned(fixed);
                continue;
            }
        }
        return Err(SyntaxError {
            offset: offset(line, col),
            message: format!("invalid YAML: {info}"),
        });
    }
}

/// The text with line `line` (1-based) indented deeper than every line
/// before it, when that line continues a quoted scalar or a flow
/// collection (where its indentation means nothing to libyaml); the
/// spaces inserted.
fn reindent_continuation(text: &str, line: usize) -> Option<(String, usize)> {
    let start = text
        .match_indices('\n')
        .nth(line.checked_sub(2)?)
        .map(|(i, _)| i + 1)?;
    if !inside_quote_or_flow(&text[..start]) {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let deepest = text[..start]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(indent)
        .max()
        .unwrap_or(0);
    let current = indent(&text[start..]);
    let pad = (deepest + 1).checked_sub(current).filter(|p| *p > 0)?;
    let mut fixed = String::with_capacity(text.len() + pad);
    fixed.push_str(&text[..start]);
    fixed.extend(std::iter::repeat_n(' ', pad));
    fixed.push_str(&text[start..]);
    Some((fixed, pad))
}

/// The text with every continuation line of the quoted scalar that starts
/// at (`line`, `col`) indented deeper than the lines before the scalar; the
/// spaces inserted, by line.
fn reindent_quoted(text: &str, line: usize, col: usize) -> Option<(String, Vec<(usize, usize)>)> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    let (offset, quote) = text[line_start..]
        .char_indices()
        .nth(col)
        .map(|(i, c)| (line_start + i, c))?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    // The closing quote.
    let mut end = None;
    let mut chars = text[offset + 1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            ('"', '\\') => {
                chars.next();
            }
            ('\'', '\'') if chars.peek().map(|(_, c)| *c) == Some('\'') => {
                chars.next();
            }
            (q, c) if c == q => {
                end = Some(offset + 1 + i);
                break;
            }
            _ => {}
        }
    }
    let end = end?;
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let target = text[..line_start]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(indent)
        .chain(std::iter::once(indent(&text[line_start..])))
        .max()
        .unwrap_or(0)
        + 1;
    let mut fixed = String::with_capacity(text.len() + 64);
    let mut pads = Vec::new();
    let mut copied = 0;
    for (number, (i, _)) in text[offset..end].match_indices('\n').enumerate() {
        let start = offset + i + 1;
        let current = indent(&text[start..]);
        if current < target && !text[start..end].trim_start_matches(' ').starts_with('\n') {
            fixed.push_str(&text[copied..start]);
            fixed.extend(std::iter::repeat_n(' ', target - current));
            copied = start;
            pads.push((line + number + 1, target - current));
        }
    }
    if pads.is_empty() {
        return None;
    }
    fixed.push_str(&text[copied..]);
    Some((fixed, pads))
}

/// Whether the end of `text` is inside a quoted scalar or a flow
/// collection: a rough scan of quotes (opened after a space, an indicator
/// or a line start), brackets and comments.
fn inside_quote_or_flow(text: &str) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut previous = '\n';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some('\'') if c == '\'' => {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    quote = None;
                }
            }
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some('"') if c == '"' => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' if previous.is_whitespace() || "[{,:".contains(previous) => {
                    quote = Some(c);
                }
                '#' if previous.is_whitespace() => {
                    // A comment: to the end of the line.
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                    previous = '\n';
                    continue;
                }
                '[' | '{' => depth += 1,
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    quote.is_some() || depth > 0
}

/// Parses one file. Returns `None` (with diagnostics) when the YAML is malformed;
/// an empty file is an empty mapping.
pub fn parse(file_id: FileId, file: &SourceFile, diagnostics: &mut Diagnostics) -> Option<Node> {
    let read = read_events(file_id, file, ReadOptions::default(), || TreeBuilder {
        file_id,
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: Vec::new(),
        nodes: 0,
        problems: Vec::new(),
        failed: false,
    });
    let builder = match read {
        Ok(builder) => builder,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error("yaml::syntax", error.message)
                    .with_label(Span::new(file_id, error.offset, error.offset), "here")
                    .with_help(
                        "fix the YAML syntax; a linter such as `yamllint` shows the structure",
                    ),
            );
            return None;
        }
    };
    for problem in builder.problems {
        diagnostics.push(problem);
    }
    if builder.failed {
        return None;
    }
    let mut documents = builder.documents;
    match documents.len() {
        0 => Some(Node {
            span: Span::new(file_id, 0, 0),
            value: Value::Mapping(Vec::new()),
        }),
        1 => documents.pop(),
        _ => {
            diagnostics.push(
                Diagnostic::error(
                    "yaml::multiple-documents",
                    format!(
                        "a spec file holds one YAML document, found {}",
                        documents.len()
                    ),
                )
                .with_label(documents[1].span, "second document starts here")
                .with_help("move each document into a file of its own"),
            );
            None
        }
    }
}

enum Frame {
    Sequence {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Mapping {
        start: usize,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        pending_key: Option<Key>,
    },
}

struct TreeBuilder {
    file_id: FileId,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    nodes: usize,
    problems: Vec<Diagnostic>,
    failed: bool,
}

impl EventSink for TreeBuilder {
    /// Handles one event; returns false when building must stop.
    fn event(&mut self, event: Event<'_>, span: Span) -> bool {
        self.handle(event, span)
    }
}

impl TreeBuilder {
    fn error(&mut self, diagnostic: Diagnostic) -> bool {
        self.problems.push(diagnostic);
        self.failed = true;
        false
    }

    fn handle(&mut self, event: Event<'_>, span: Span) -> bool {
        match event {
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => true,
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(mut node) => {
                    let count = count_nodes(&node);
                    self.nodes += count;
                    if self.nodes > MAX_NODES {
                        return self.error(
                            Diagnostic::error(
                                "yaml::too-large",
                                format!("the document expands to more than {MAX_NODES} values"),
                            )
                            .with_label(span, "this alias pushes it over")
                            .with_help("aliases expanding aliases grow exponentially; write the values out"),
                        );
                    }
                    node.span = span;
                    self.push(node, None)
                }
                None => self.error(
                    Diagnostic::error("yaml::unknown-anchor", "alias to an unknown anchor")
                        .with_label(span, "no anchor of this name precedes it"),
                ),
            },
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(tag) = &tag {
                    if !tag.is_yaml_core_schema() {
                        return self.error(
                            Diagnostic::error(
                                "yaml::unsupported-tag",
                                format!("unsupported YAML tag `{}{}`", tag.handle, tag.suffix),
                            )
                            .with_label(span, "tag")
                            .with_help("spec files use plain YAML values; remove the tag"),
                        );
                    }
                }
                let value = match (style, tag.as_deref()) {
                    (_, Some(tag)) if tag.suffix == "str" => Value::String(text.into_owned()),
                    (ScalarStyle::Plain, _) => plain_scalar(&text),
                    _ => Value::String(text.into_owned()),
                };
                self.nodes += 1;
                let node = Node { span, value };
                self.push(node, Some(anchor))
            }
            Event::SequenceStart(anchor, _) => self.open(
                Frame::Sequence {
                    start: span.start,
                    anchor,
                    items: Vec::new(),
                },
                span,
            ),
            Event::MappingStart(anchor, _) => self.open(
                Frame::Mapping {
                    start: span.start,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                },
                span,
            ),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return true;
                };
                let (start, anchor, value) = match frame {
                    Frame::Sequence {
                        start,
                        anchor,
                        items,
                    } => (start, anchor, Value::Sequence(items)),
                    Frame::Mapping {
                        start,
                        anchor,
                        entries,
                        ..
                    } => (start, anchor, Value::Mapping(entries)),
                };
                // Block collections end where their last child ends.
                let end = span.end.max(start);
                let node = Node {
                    span: Span::new(self.file_id, start, end),
                    value,
                };
                self.nodes += 1;
                self.push(node, Some(anchor))
            }
        }
    }

    fn open(&mut self, frame: Frame, span: Span) -> bool {
        if self.stack.len() >= MAX_DEPTH {
            return self.error(
                Diagnostic::error(
                    "yaml::too-deep",
                    format!("values are nested more than {MAX_DEPTH} levels deep"),
                )
                .with_label(span, "this level is too deep")
                .with_help("a spec file is a few levels deep; flatten the structure"),
            );
        }
        // A mapping used as a key is caught when it is pushed.
        self.stack.push(frame);
        true
    }

    fn push(&mut self, node: Node, anchor: Option<usize>) -> bool {
        if let Some(anchor) = anchor.filter(|a| *a != 0) {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.documents.push(node);
                true
            }
            Some(Frame::Sequence { items, .. }) => {
                items.push(node);
                true
            }
            Some(Frame::Mapping {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                Some(key) => {
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == key.name) {
                        let first_span = first.span;
                        let name = key.name.clone();
                        return self.error(
                            Diagnostic::error(
                                "yaml::duplicate-key",
                                format!("duplicate key `{name}`"),
                            )
                            .with_label(key.span, "defined again here")
                            .with_label(first_span, "first defined here")
                            .with_help(
                                "each key appears once in a mapping; remove or rename one of them",
                            ),
                        );
                    }
                    entries.push((key, node));
                    true
                }
                None => {
                    let name = match node.value {
                        Value::String(s) => s,
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Null | Value::Sequence(_) | Value::Mapping(_) => {
                            return self.error(
                                Diagnostic::error(
                                    "yaml::complex-key",
                                    format!("a {} cannot be a mapping key", node.value.type_name()),
                                )
                                .with_label(node.span, "key")
                                .with_help("use a plain name as the key"),
                            );
                        }
                    };
                    if name == "<<" {
                        return self.error(
                            Diagnostic::error(
                                "yaml::merge-key",
                                "YAML merge keys (`<<`) are not supported",
                            )
                            .with_label(node.span, "merge key")
                            .with_help("write the fields out, or anchor and alias the whole value"),
                        );
                    }
                    *pending_key = Some(Key {
                        name,
                        span: node.span,
                    });
                    true
                }
            },
        }
    }
}

fn count_nodes(node: &Node) -> usize {
    // Iterative so a pathological tree cannot overflow the stack.
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        count += 1;
        match &node.value {
            Value::Sequence(items) => stack.extend(items),
            Value::Mapping(entries) => stack.extend(entries.iter().map(|(_, n)| n)),
            _ => {}
        }
    }
    count
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Value::Int(i);
            }
        }
    }
    if let Some(octal) = text.strip_prefix("0o") {
        if !octal.is_empty() && octal.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(i) = i64::from_str_radix(octal, 8) {
                return Value::Int(i);
            }
        }
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
    }
    if is_core_float(digits) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::String(text.to_owned())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
fn is_core_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit()))
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok && (mantissa.contains('.') || exponent.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use landfall_diagnostics::SourceSet;

    fn parse_str(text: &str) -> (Option<Node>, Diagnostics, SourceSet) {
        let mut sources = SourceSet::default();
        let id = sources.add("t.yaml", text);
        let mut diagnostics = Diagnostics::new();
        let node = parse(id, sources.file(id), &mut diagnostics);
        (node, diagnostics, sources)
    }

    #[test]
    fn core_schema_keeps_norway_a_string() {
        let (node, _, _) = parse_str("a: no\nb: 12\nc: 1.5\nd: true\ne: ~\nf: '12'\ng: 0x1f\n");
        let json = node.unwrap().to_json();
        assert_eq!(
            json,
            serde_json::json!({"a": "no", "b": 12, "c": 1.5, "d": true, "e": null, "f": "12", "g": 31})
        );
    }

    #[test]
    fn duplicate_key_points_at_both() {
        let (node, diagnostics, sources) = parse_str("name: a\nname: b\n");
        assert!(node.is_none());
        let d = diagnostics.iter().next().unwrap();
        assert_eq!(d.code, "yaml::duplicate-key");
        let location = sources.location(d.primary_span().unwrap());
        assert_eq!((location.line, location.column), (2, 1));
        assert_eq!(sources.location(d.labels[1].span).line, 1);
    }

    #[test]
    fn spans_locate_nested_values() {
        let (node, _, sources) = parse_str("service:\n  name: api\n  ports: [80, 443]\n");
        let node = node.unwrap();
        let port = node.get(["service", "ports", "1"]).unwrap();
        let location = sources.location(port.span);
        assert_eq!((location.line, location.column), (3, 15));
        let key = node.key_span(&["service", "name"]).unwrap();
        assert_eq!(sources.location(key).column, 3);
    }

    #[test]
    fn billion_laughs_is_an_error() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h"].iter().enumerate() {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                ["b", "c", "d", "e", "f", "g"][i - 1].to_owned()
            };
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let (node, diagnostics, _) = parse_str(&text);
        assert!(node.is_none());
        assert_eq!(diagnostics.iter().next().unwrap().code, "yaml::too-large");
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = "[".repeat(200) + &"]".repeat(200);
        let (node, diagnostics, _) = parse_str(&text);
        assert!(node.is_none());
        assert_eq!(diagnostics.iter().next().unwrap().code, "yaml::too-deep");
    }

    #[test]
    fn syntax_error_is_located() {
        let (node, diagnostics, sources) = parse_str("a: [1, 2\nb: 3\n");
        assert!(node.is_none());
        let d = diagnostics.iter().next().unwrap();
        assert_eq!(d.code, "yaml::syntax");
        assert!(sources.location(d.primary_span().unwrap()).line >= 1);
    }

    /// The event reader both readers share: libyaml's leniency is an
    /// option (spec files stay strict), and spans point into the file as
    /// written even where a line was re-indented to read it.
    #[test]
    fn the_shared_reader_takes_libyaml_leniency_as_an_option() {
        struct Scalars(Vec<(String, Span)>);
        impl EventSink for Scalars {
            fn event(&mut self, event: Event<'_>, span: Span) -> bool {
                if let Event::Scalar(text, ..) = event {
                    self.0.push((text.into_owned(), span));
                }
                true
            }
        }
        let text = "a: \"one\ntwo\"\nb: [x,\ny]\nc: end\n";
        let mut sources = SourceSet::default();
        let id = sources.add("t.yaml", text);
        let strict = read_events(id, sources.file(id), ReadOptions::default(), || {
            Scalars(Vec::new())
        });
        assert!(strict.is_err());
        let (node, diagnostics, _) = parse_str(text);
        assert!(node.is_none() && diagnostics.iter().any(|d| d.code == "yaml::syntax"));
        let lenient = ReadOptions {
            libyaml_continuations: true,
        };
        let read = read_events(id, sources.file(id), lenient, || Scalars(Vec::new())).unwrap();
        let texts: Vec<&str> = read.0.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["a", "one two", "b", "x", "y", "c", "end"]);
        for (scalar, span) in &read.0 {
            if !scalar.contains(' ') {
                assert_eq!(&text[span.start..span.end], scalar.as_str());
            }
        }
    }
}
