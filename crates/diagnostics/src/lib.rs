//! Source files, spans and diagnostics shared by every Landfall crate.
//!
//! Every error a user can cause is a [`Diagnostic`]: it names what is wrong,
//! points at the place in the user's file that caused it, and says what would
//! be right. Analyses collect diagnostics into a [`Diagnostics`] list and keep
//! going, so one run reports every problem.
//!
//! ```
//! use landfall_diagnostics::{Diagnostic, SourceSet};
//!
//! let mut sources = SourceSet::default();
//! let file = sources.add("services/api.yaml", "name: api\ndomain: paymnts\n");
//! let span = sources.span_of_text(file, "paymnts").unwrap();
//! let diagnostic = Diagnostic::error("spec::unknown-reference", "unknown domain `paymnts`")
//!     .with_label(span, "not a domain of this platform")
//!     .with_help("did you mean `payments`?");
//! let location = sources.location(span);
//! assert_eq!((location.line, location.column), (2, 9));
//! assert!(diagnostic.is_error());
//! ```

mod render;
mod source;
mod suggest;

pub use render::{render_human, render_json, JsonDiagnostic, RenderOptions};
pub use source::{FileId, Location, SourceFile, SourceSet, Span};
pub use suggest::{did_you_mean, suggestion};

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; does not make the input invalid.
    Warning,
    /// The input is invalid; nothing downstream runs on it.
    Error,
}

/// A labelled place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in the user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable, greppable code such as `spec::unknown-field`.
    pub code: &'static str,
    /// What is wrong: lowercase, one line, no trailing period, user input in backticks.
    pub message: String,
    /// The place that caused it; the first label is the primary one.
    pub labels: Vec<Label>,
    /// A file the diagnostic is about when no span inside it applies.
    pub file: Option<FileId>,
    /// What would be right.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            labels: Vec::new(),
            file: None,
            help: None,
        }
    }

    /// Adds a labelled span; the first one added is the primary location.
    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a label when the span is known (derived values may have none).
    #[must_use]
    pub fn with_optional_label(self, span: Option<Span>, message: impl Into<String>) -> Self {
        match span {
            Some(span) => self.with_label(span, message),
            None => self,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn in_file(mut self, file: FileId) -> Self {
        self.file = Some(file);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary span, if the diagnostic points into a file.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|label| label.span)
    }

    /// The file the diagnostic is about: its primary span's, or the one named.
    pub fn primary_file(&self) -> Option<FileId> {
        self.primary_span().map(|span| span.file).or(self.file)
    }
}

/// Diagnostics collected over one run, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Sorts by file, then position, then code, so output is stable whatever
    /// order the analyses ran in.
    pub fn sort(&mut self, sources: &SourceSet) {
        self.items.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                let file = d.primary_file().map(|f| sources.file(f).name().to_owned());
                let start = d.primary_span().map(|s| s.start);
                (file, start, d.code, d.message.clone())
            };
            key(a).cmp(&key(b))
        });
        self.items.dedup();
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<T: IntoIterator<Item = Diagnostic>>(iter: T) -> Self {
        Self {
            items: iter.into_iter().collect(),
        }
    }
}
