//! Rendering diagnostics for people (miette's graphical report) and for tools (JSON).

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::{Diagnostic, Severity, SourceSet};

/// How human output is drawn.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub color: bool,
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            color: false,
            width: 100,
        }
    }
}

/// Renders every diagnostic with its source snippet, then a one-line summary.
pub fn render_human(
    diagnostics: &[Diagnostic],
    sources: &SourceSet,
    options: RenderOptions,
) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    for diagnostic in diagnostics {
        // The first line is `file:line:column: severity[code]: message` so editors
        // and grep can jump to it; miette draws the snippet below.
        let header = match diagnostic.primary_span() {
            Some(span) => format!("{}: ", sources.location(span)),
            None => diagnostic
                .primary_file()
                .map(|file| format!("{}: ", sources.file(file).name()))
                .unwrap_or_default(),
        };
        let severity = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "{header}{severity}[{}]: {}\n",
            diagnostic.code, diagnostic.message
        ));
        let report = MietteAdapter::new(diagnostic, sources);
        let mut body = String::new();
        if handler.render_report(&mut body, &report).is_ok() {
            out.push_str(&body);
        }
        for label in diagnostic.labels.iter().skip(1) {
            if Some(label.span.file) != diagnostic.primary_span().map(|s| s.file) {
                out.push_str(&format!(
                    "  note: {}: {}\n",
                    sources.location(label.span),
                    label.message
                ));
            }
        }
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
    }
    out
}

/// The JSON shape of one diagnostic; stable for tools and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub label: Option<String>,
    pub help: Option<String>,
}

impl JsonDiagnostic {
    pub fn new(diagnostic: &Diagnostic, sources: &SourceSet) -> Self {
        let location = diagnostic.primary_span().map(|span| sources.location(span));
        let file = location.as_ref().map(|l| l.file.clone()).or_else(|| {
            diagnostic
                .primary_file()
                .map(|f| sources.file(f).name().to_owned())
        });
        Self {
            severity: diagnostic.severity,
            code: diagnostic.code,
            message: diagnostic.message.clone(),
            file,
            line: location.as_ref().map(|l| l.line),
            column: location.as_ref().map(|l| l.column),
            end_line: location.as_ref().map(|l| l.end_line),
            end_column: location.as_ref().map(|l| l.end_column),
            label: diagnostic.labels.first().map(|l| l.message.clone()),
            help: diagnostic.help.clone(),
        }
    }
}

/// Renders diagnostics as a JSON array.
pub fn render_json(diagnostics: &[Diagnostic], sources: &SourceSet) -> serde_json::Value {
    serde_json::Value::Array(
        diagnostics
            .iter()
            .map(|d| serde_json::to_value(JsonDiagnostic::new(d, sources)).unwrap_or_default())
            .collect(),
    )
}

/// Presents one of our diagnostics to miette without copying the source.
struct MietteAdapter<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<FileSource<'a>>,
    labels: Vec<LabeledSpan>,
}

impl<'a> MietteAdapter<'a> {
    fn new(diagnostic: &'a Diagnostic, sources: &'a SourceSet) -> Self {
        // miette draws one source per report: the primary span's file. Labels in
        // other files are listed as notes by `render_human`.
        let primary = diagnostic.primary_span();
        let source = primary.map(|span| {
            let file = sources.file(span.file);
            FileSource {
                name: file.name(),
                text: file.text(),
            }
        });
        let labels = diagnostic
            .labels
            .iter()
            .filter(|l| Some(l.span.file) == primary.map(|p| p.file))
            .enumerate()
            .map(|(i, l)| {
                let text = (!l.message.is_empty()).then(|| l.message.clone());
                let span = SourceSpan::new(l.span.start.into(), l.span.len());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                }
            })
            .collect();
        Self {
            diagnostic,
            source,
            labels,
        }
    }
}

impl fmt::Debug for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MietteAdapter")
            .field("code", &self.diagnostic.code)
            .finish()
    }
}

impl fmt::Display for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for MietteAdapter<'_> {}

impl miette::Diagnostic for MietteAdapter<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A borrowed file that tells miette its name, so snippets show `file:line:column`.
struct FileSource<'a> {
    name: &'a str,
    text: &'a str,
}

impl SourceCode for FileSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_owned(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}
