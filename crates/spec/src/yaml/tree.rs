//! The located tree built from a file's events, for spec files and
//! CloudFormation templates alike: what differs between them (how plain
//! scalars resolve, which tags mean what, how many documents a file holds,
//! the limits) is a [`TreeOptions`] value, so a fix to reading YAML lands
//! once for both.

use std::collections::HashMap;

use landfall_diagnostics::{FileId, SourceFile, Span};
use saphyr_parser::{Event, ScalarStyle, Tag};

use super::events::{read_events, EventSink, ReadOptions};
use super::scalar;
use super::{Key, Node, Value};

/// How plain (unquoted, untagged) scalars resolve, and which keys a
/// mapping may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// The YAML 1.2 core schema (`no` is a string, `0x1f` and `.inf` are
    /// numbers). A key is a string, a number or a boolean; merge keys
    /// (`<<`) are refused rather than silently taken as a name.
    Core,
    /// As CloudFormation reads templates: the core schema's null, booleans
    /// and decimal numbers, but a number with leading zeros (an account id)
    /// stays a string, and `0x..`, `0o..`, `.inf`, `.nan` are strings. Any
    /// scalar is a key (`null` is named "null"); `<<` is a key like another.
    CloudFormation,
}

/// What tags mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tags {
    /// Only the core schema's own tags (`!!str`, ...) and the non-specific
    /// `!`; any other tag is an error.
    CoreSchema,
    /// CloudFormation's short forms besides those: `!Name value` is read as
    /// `{"Fn::Name": value}` (`!Ref` and `!Condition` keep their names).
    Intrinsics,
}

/// How many documents a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Documents {
    /// Exactly one: a second is an error.
    One,
    /// The first is read; reading stops where it ends.
    First,
}

/// How to read a file into a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeOptions {
    pub read: ReadOptions,
    pub schema: Schema,
    pub tags: Tags,
    pub documents: Documents,
    /// Deepest nesting accepted; deeper is an error rather than a risk to
    /// the stack of every recursive consumer.
    pub max_depth: usize,
    /// Most nodes a document may expand to, counting alias expansions, so a
    /// "billion laughs" document is an error instead of an out-of-memory.
    pub max_nodes: usize,
}

/// Why a file could not be read into a tree. Each reader words and codes
/// it for its users; [`TreeError::message`] says what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeError {
    /// saphyr refused the text (`span` is where, empty).
    Syntax {
        span: Span,
        message: String,
    },
    UnknownAnchor {
        span: Span,
    },
    TooLarge {
        span: Span,
        limit: usize,
    },
    TooDeep {
        span: Span,
        limit: usize,
    },
    UnsupportedTag {
        span: Span,
        tag: String,
    },
    DuplicateKey {
        span: Span,
        first: Span,
        name: String,
    },
    ComplexKey {
        span: Span,
        type_name: &'static str,
    },
    MergeKey {
        span: Span,
    },
    /// `second` is the root of the second document.
    MultipleDocuments {
        second: Span,
        count: usize,
    },
}

impl TreeError {
    /// Where the problem is.
    pub fn span(&self) -> Span {
        match self {
            TreeError::Syntax { span, .. }
            | TreeError::UnknownAnchor { span }
            | TreeError::TooLarge { span, .. }
            | TreeError::TooDeep { span, .. }
            | TreeError::UnsupportedTag { span, .. }
            | TreeError::DuplicateKey { span, .. }
            | TreeError::ComplexKey { span, .. }
            | TreeError::MergeKey { span } => *span,
            TreeError::MultipleDocuments { second, .. } => *second,
        }
    }

    /// What is wrong, in a sentence.
    pub fn message(&self) -> String {
        match self {
            TreeError::Syntax { message, .. } => message.clone(),
            TreeError::UnknownAnchor { .. } => "alias to an unknown anchor".to_owned(),
            TreeError::TooLarge { limit, .. } => {
                format!("the document expands to more than {limit} values")
            }
            TreeError::TooDeep { limit, .. } => {
                format!("values are nested more than {limit} levels deep")
            }
            TreeError::UnsupportedTag { tag, .. } => format!("unsupported YAML tag `{tag}`"),
            TreeError::DuplicateKey { name, .. } => format!("duplicate key `{name}`"),
            TreeError::ComplexKey { type_name, .. } => {
                format!("a {type_name} cannot be a mapping key")
            }
            TreeError::MergeKey { .. } => "YAML merge keys (`<<`) are not supported".to_owned(),
            TreeError::MultipleDocuments { count, .. } => {
                format!("one YAML document expected, found {count}")
            }
        }
    }
}

/// Reads a file into a tree: the root of its document, or `None` when it
/// holds none (an empty file).
pub fn read_tree(
    file_id: FileId,
    file: &SourceFile,
    options: &TreeOptions,
) -> Result<Option<Node>, TreeError> {
    let builder = read_events(file_id, file, options.read, || Builder {
        options,
        file_id,
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: Vec::new(),
        document_count: 0,
        nodes: 0,
        failure: None,
    })
    .map_err(|error| TreeError::Syntax {
        span: Span::new(file_id, error.offset, error.offset),
        message: error.message,
    })?;
    if let Some(failure) = builder.failure {
        return Err(failure);
    }
    let mut documents = builder.documents;
    if documents.len() > 1 {
        return Err(TreeError::MultipleDocuments {
            second: documents[1].span,
            count: builder.document_count,
        });
    }
    Ok(documents.pop())
}

enum Frame {
    Sequence {
        start: usize,
        anchor: usize,
        intrinsic: Option<String>,
        items: Vec<Node>,
    },
    Mapping {
        start: usize,
        anchor: usize,
        intrinsic: Option<String>,
        entries: Vec<(Key, Node)>,
        keys: KeyIndex,
        pending_key: Option<Key>,
    },
}

struct Builder<'a> {
    options: &'a TreeOptions,
    file_id: FileId,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    /// The roots read, up to the second (enough to report a second one).
    documents: Vec<Node>,
    document_count: usize,
    nodes: usize,
    /// Why the file cannot be read (too deep, duplicate key, ...).
    failure: Option<TreeError>,
}

impl EventSink for Builder<'_> {
    /// Stops at the first problem, or where the first document ends when
    /// only that one is read.
    fn event(&mut self, event: Event<'_>, span: Span) -> bool {
        if let Err(failure) = self.handle(event, span) {
            self.failure = Some(failure);
            return false;
        }
        !(self.options.documents == Documents::First
            && !self.documents.is_empty()
            && self.stack.is_empty())
    }
}

/// What a tag asks of the node it is on.
enum TagMeaning {
    /// No tag, or one that leaves the node as it is (`!!map`, `!!int`).
    None,
    /// `!!str` or the non-specific `!`: a scalar is a string whatever it
    /// looks like.
    String,
    /// A CloudFormation short form (`!Ref`): the function's name.
    Intrinsic(String),
}

/// The non-specific tag `!`: "a string", never an intrinsic function.
fn is_non_specific(tag: &Tag) -> bool {
    (tag.handle == "!" && tag.suffix.is_empty()) || (tag.handle.is_empty() && tag.suffix == "!")
}

impl Builder<'_> {
    fn tag_meaning(&self, tag: Option<&Tag>, span: Span) -> Result<TagMeaning, TreeError> {
        let Some(tag) = tag else {
            return Ok(TagMeaning::None);
        };
        if is_non_specific(tag) || (tag.is_yaml_core_schema() && tag.suffix == "str") {
            return Ok(TagMeaning::String);
        }
        if tag.is_yaml_core_schema() {
            return Ok(TagMeaning::None);
        }
        match self.options.tags {
            Tags::Intrinsics => Ok(TagMeaning::Intrinsic(tag.suffix.clone())),
            Tags::CoreSchema => Err(TreeError::UnsupportedTag {
                span,
                tag: format!("{}{}", tag.handle, tag.suffix),
            }),
        }
    }

    fn handle(&mut self, event: Event<'_>, span: Span) -> Result<(), TreeError> {
        match event {
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
            Event::Alias(id) => {
                let Some(mut node) = self.anchors.get(&id).cloned() else {
                    return Err(TreeError::UnknownAnchor { span });
                };
                self.nodes += count_nodes(&node);
                if self.nodes > self.options.max_nodes {
                    return Err(TreeError::TooLarge {
                        span,
                        limit: self.options.max_nodes,
                    });
                }
                node.span = span;
                self.push(node, 0)
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.nodes += 1;
                let (value, intrinsic) = match self.tag_meaning(tag.as_deref(), span)? {
                    TagMeaning::None if style == ScalarStyle::Plain => {
                        (scalar::resolve(self.options.schema, &text), None)
                    }
                    TagMeaning::None | TagMeaning::String => {
                        (Value::String(text.into_owned()), None)
                    }
                    TagMeaning::Intrinsic(name) => (Value::String(text.into_owned()), Some(name)),
                };
                let node = wrap_intrinsic(intrinsic, Node { span, value });
                self.push(node, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let intrinsic = self.intrinsic(tag.as_deref(), span)?;
                self.open(
                    Frame::Sequence {
                        start: span.start,
                        anchor,
                        intrinsic,
                        items: Vec::new(),
                    },
                    span,
                )
            }
            Event::MappingStart(anchor, tag) => {
                let intrinsic = self.intrinsic(tag.as_deref(), span)?;
                self.open(
                    Frame::Mapping {
                        start: span.start,
                        anchor,
                        intrinsic,
                        entries: Vec::new(),
                        keys: KeyIndex::default(),
                        pending_key: None,
                    },
                    span,
                )
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (start, anchor, intrinsic, value) = match frame {
                    Frame::Sequence {
                        start,
                        anchor,
                        intrinsic,
                        items,
                    } => (start, anchor, intrinsic, Value::Sequence(items)),
                    Frame::Mapping {
                        start,
                        anchor,
                        intrinsic,
                        entries,
                        ..
                    } => (start, anchor, intrinsic, Value::Mapping(entries)),
                };
                self.nodes += 1;
                // Block collections end where their last child ends.
                let node = Node {
                    span: Span::new(self.file_id, start, span.end.max(start)),
                    value,
                };
                self.push(wrap_intrinsic(intrinsic, node), anchor)
            }
        }
    }

    /// The intrinsic a collection's tag names, if any.
    fn intrinsic(&self, tag: Option<&Tag>, span: Span) -> Result<Option<String>, TreeError> {
        Ok(match self.tag_meaning(tag, span)? {
            TagMeaning::Intrinsic(name) => Some(name),
            TagMeaning::None | TagMeaning::String => None,
        })
    }

    fn open(&mut self, frame: Frame, span: Span) -> Result<(), TreeError> {
        if self.stack.len() >= self.options.max_depth {
            return Err(TreeError::TooDeep {
                span,
                limit: self.options.max_depth,
            });
        }
        // A collection used as a key is caught when it is pushed.
        self.stack.push(frame);
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), TreeError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let schema = self.options.schema;
        match self.stack.last_mut() {
            None => {
                self.document_count += 1;
                if self.documents.len() < 2 {
                    self.documents.push(node);
                }
                Ok(())
            }
            Some(Frame::Sequence { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Mapping {
                entries,
                keys,
                pending_key,
                ..
            }) => match pending_key.take() {
                Some(key) => {
                    if let Some(first) = keys.find(entries, &key.name) {
                        return Err(TreeError::DuplicateKey {
                            span: key.span,
                            first: entries[first].0.span,
                            name: key.name,
                        });
                    }
                    keys.insert(&key.name, entries.len());
                    entries.push((key, node));
                    Ok(())
                }
                None => {
                    *pending_key = Some(key_of(schema, node)?);
                    Ok(())
                }
            },
        }
    }
}

/// A node read as a mapping key.
fn key_of(schema: Schema, node: Node) -> Result<Key, TreeError> {
    let name = match node.value {
        Value::String(s) => s,
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null if schema == Schema::CloudFormation => "null".to_owned(),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => {
            return Err(TreeError::ComplexKey {
                span: node.span,
                type_name: node.value.type_name(),
            });
        }
    };
    if name == "<<" && schema == Schema::Core {
        return Err(TreeError::MergeKey { span: node.span });
    }
    Ok(Key {
        name,
        span: node.span,
    })
}

/// `!Tag value` becomes `{"Fn::Tag": value}` (`Ref` and `Condition` keep
/// their names), spanning the value.
fn wrap_intrinsic(intrinsic: Option<String>, node: Node) -> Node {
    let Some(name) = intrinsic else {
        return node;
    };
    let name = match name.as_str() {
        "Ref" | "Condition" => name,
        _ => format!("Fn::{name}"),
    };
    let span = node.span;
    Node {
        span,
        value: Value::Mapping(vec![(Key { name, span }, node)]),
    }
}

/// The keys of a mapping being read: a scan while it is small, a hash map
/// once it is large, so a mapping with thousands of keys is not read in
/// quadratic time.
#[derive(Debug, Default)]
struct KeyIndex {
    large: Option<HashMap<String, usize>>,
}

impl KeyIndex {
    const SMALL: usize = 16;

    /// The index in `entries` (the entries read so far) of `name`.
    fn find(&mut self, entries: &[(Key, Node)], name: &str) -> Option<usize> {
        if entries.len() < Self::SMALL {
            return entries.iter().position(|(key, _)| key.name == name);
        }
        self.large
            .get_or_insert_with(|| {
                entries
                    .iter()
                    .enumerate()
                    .map(|(i, (key, _))| (key.name.clone(), i))
                    .collect()
            })
            .get(name)
            .copied()
    }

    /// Records a key about to be added at `index`.
    fn insert(&mut self, name: &str, index: usize) {
        if let Some(map) = &mut self.large {
            map.insert(name.to_owned(), index);
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
