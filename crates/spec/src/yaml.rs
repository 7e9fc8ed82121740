//! YAML to a tree that remembers where every node came from.
//!
//! serde-based YAML readers drop positions, report one error at a time and let
//! duplicate keys through; Landfall needs all three. saphyr's event parser gives
//! exact positions (`events`), and one tree builder (`tree`) reads them for
//! spec files and CloudFormation templates alike, with what differs as
//! options: the schema of plain scalars (the YAML 1.2 core schema here, so
//! `no` stays a string), what tags mean, how many documents a file holds, and
//! the limits (aliases are expanded under a budget so a "billion laughs"
//! document is an error instead of an out-of-memory). Duplicate keys are
//! always rejected.

mod events;
mod scalar;
mod tree;
pub mod write;

use landfall_diagnostics::{Diagnostic, Diagnostics, FileId, SourceFile, Span};

pub use events::ReadOptions;
pub use tree::{read_tree, Documents, Schema, Tags, TreeError, TreeOptions};

/// Deepest nesting accepted in a spec file; deeper is rejected rather than risking
/// the stack of every recursive consumer.
pub const MAX_DEPTH: usize = 64;
/// Most nodes a spec file may expand to, counting alias expansions.
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

/// How spec files are read: one document of the core schema, no tags but
/// YAML's own, nesting and alias expansion bounded.
pub const SPEC: TreeOptions = TreeOptions {
    read: ReadOptions {
        libyaml_continuations: false,
    },
    schema: Schema::Core,
    tags: Tags::CoreSchema,
    documents: Documents::One,
    max_depth: MAX_DEPTH,
    max_nodes: MAX_NODES,
};

/// Parses one spec file. Returns `None` (with diagnostics) when the YAML is
/// malformed; an empty file is an empty mapping.
pub fn parse(file_id: FileId, file: &SourceFile, diagnostics: &mut Diagnostics) -> Option<Node> {
    match read_tree(file_id, file, &SPEC) {
        Ok(Some(node)) => Some(node),
        Ok(None) => Some(Node {
            span: Span::new(file_id, 0, 0),
            value: Value::Mapping(Vec::new()),
        }),
        Err(error) => {
            diagnostics.push(spec_diagnostic(&error));
            None
        }
    }
}

/// A problem reading a spec file, as the spec's users are told it.
fn spec_diagnostic(error: &TreeError) -> Diagnostic {
    let message = error.message();
    let span = error.span();
    match error {
        TreeError::Syntax { .. } => Diagnostic::error("yaml::syntax", message)
            .with_label(span, "here")
            .with_help("fix the YAML syntax; a linter such as `yamllint` shows the structure"),
        TreeError::UnknownAnchor { .. } => Diagnostic::error("yaml::unknown-anchor", message)
            .with_label(span, "no anchor of this name precedes it"),
        TreeError::TooLarge { .. } => Diagnostic::error("yaml::too-large", message)
            .with_label(span, "this alias pushes it over")
            .with_help("aliases expanding aliases grow exponentially; write the values out"),
        TreeError::TooDeep { .. } => Diagnostic::error("yaml::too-deep", message)
            .with_label(span, "this level is too deep")
            .with_help("a spec file is a few levels deep; flatten the structure"),
        TreeError::UnsupportedTag { .. } => Diagnostic::error("yaml::unsupported-tag", message)
            .with_label(span, "tag")
            .with_help("spec files use plain YAML values; remove the tag"),
        TreeError::DuplicateKey { first, .. } => Diagnostic::error("yaml::duplicate-key", message)
            .with_label(span, "defined again here")
            .with_label(*first, "first defined here")
            .with_help("each key appears once in a mapping; remove or rename one of them"),
        TreeError::ComplexKey { .. } => Diagnostic::error("yaml::complex-key", message)
            .with_label(span, "key")
            .with_help("use a plain name as the key"),
        TreeError::MergeKey { .. } => Diagnostic::error("yaml::merge-key", message)
            .with_label(span, "merge key")
            .with_help("write the fields out, or anchor and alias the whole value"),
        TreeError::MultipleDocuments { count, .. } => Diagnostic::error(
            "yaml::multiple-documents",
            format!("a spec file holds one YAML document, found {count}"),
        )
        .with_label(span, "second document starts here")
        .with_help("move each document into a file of its own"),
    }
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

    /// Past the first keys, duplicates are found through a hash map, still
    /// pointing at both.
    #[test]
    fn duplicate_key_in_a_large_mapping_points_at_both() {
        let keys: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        let (node, diagnostics, sources) = parse_str(&format!("{keys}k25: again\n"));
        assert!(node.is_none());
        let d = diagnostics.iter().next().unwrap();
        assert_eq!(d.code, "yaml::duplicate-key");
        assert_eq!(sources.location(d.primary_span().unwrap()).line, 41);
        assert_eq!(sources.location(d.labels[1].span).line, 26);
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

    /// Spec files are read as YAML 1.2 has it: the continuation lines
    /// libyaml lets through (and the template reader accepts) are errors.
    #[test]
    fn spec_files_are_strict_about_continuation_lines() {
        let (node, diagnostics, _) = parse_str("a: \"one\ntwo\"\nb: [x,\ny]\nc: end\n");
        assert!(node.is_none() && diagnostics.iter().any(|d| d.code == "yaml::syntax"));
    }

    /// `!` is YAML's non-specific tag: the value is a string, in spec files
    /// as in templates. Any other tag, on a scalar or a collection, is an
    /// error where it is written.
    #[test]
    fn the_non_specific_tag_is_a_string_and_other_tags_are_errors() {
        let (node, diagnostics, _) = parse_str("a: ! 12\nb: !!str true\nc: ! [1]\n");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(
            node.unwrap().to_json(),
            serde_json::json!({"a": "12", "b": "true", "c": [1]})
        );
        for (text, column) in [("a: !Ref x\n", 4), ("a:\n  b: !Thing [1]\n", 6)] {
            let (node, diagnostics, sources) = parse_str(text);
            assert!(node.is_none());
            let d = diagnostics.iter().next().unwrap();
            assert_eq!(d.code, "yaml::unsupported-tag");
            assert_eq!(sources.location(d.primary_span().unwrap()).column, column);
        }
    }
}
