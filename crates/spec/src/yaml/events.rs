//! saphyr's events, with spans in the file as written.
//!
//! The one place the YAML text is parsed. Positions come from saphyr as
//! line and character column; a [`Locator`] turns them into byte offsets by
//! walking from the last position asked for, so a file costs one pass
//! however long its lines are (a template written on one line is common).
//! libyaml's leniency (CloudFormation's reader) is an option: a file it
//! accepts and YAML 1.2 does not is re-indented and read again.

use std::collections::HashMap;

use landfall_diagnostics::{FileId, SourceFile, Span};
use saphyr_parser::{Event, Parser};

/// How to read a YAML text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Accept what libyaml (CloudFormation's reader) accepts and YAML 1.2
    /// does not: continuation lines of quoted and flow scalars indented less
    /// than their key. Such a line is re-indented and the text read again;
    /// spans still point into the file as written.
    pub libyaml_continuations: bool,
}

/// What consumes a document's events: a tree builder.
pub(crate) trait EventSink {
    /// Handles one event at its span in the file; false stops reading.
    fn event(&mut self, event: Event<'_>, span: Span) -> bool;
}

/// saphyr refused the text: where in the file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

/// Most lines re-indented to read one document as libyaml does.
const MAX_REINDENTED_LINES: usize = 64;

/// Reads a file's YAML events into a sink made by `sink` (made again when
/// the text is re-read), with every event's span in the file as written.
/// The one event reader of both the spec and the template readers.
pub(crate) fn read_events<S: EventSink>(
    file_id: FileId,
    file: &SourceFile,
    options: ReadOptions,
    mut sink: impl FnMut() -> S,
) -> Result<S, SyntaxError> {
    let mut text = std::borrow::Cow::Borrowed(file.text());
    // Spaces inserted at the start of a line (1-based), by line.
    let mut inserted: HashMap<usize, usize> = HashMap::new();
    let mut attempts = 0;
    let mut locator = Locator::new(file.text());
    loop {
        attempts += 1;
        let mut current = sink();
        let mut offset = |line: usize, col: usize| {
            let col = col.saturating_sub(inserted.get(&line).copied().unwrap_or(0));
            locator.offset(line, col)
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

/// Byte offsets in a file of saphyr's positions (1-based line, 0-based
/// character column). Events arrive in the order they are written, so each
/// position is found by walking from the one before it: reading costs one
/// pass over the file, not one pass over a line per value.
struct Locator<'a> {
    text: &'a str,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// The last position found: line, column, byte offset.
    line: usize,
    column: usize,
    offset: usize,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            text,
            line_starts,
            line: 1,
            column: 0,
            offset: 0,
        }
    }

    /// The byte offset of a position, clamped to its line (a column past
    /// the end is the line's end) and to the file, as
    /// `SourceFile::offset_of` would give.
    fn offset(&mut self, line: usize, column: usize) -> usize {
        let Some(&line_start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        if line != self.line {
            (self.line, self.column, self.offset) = (line, 0, line_start);
        }
        if column >= self.column {
            let line_end = self
                .line_starts
                .get(line)
                .map_or(self.text.len(), |next| next - 1);
            for c in self.text[self.offset..line_end].chars() {
                if self.column == column {
                    break;
                }
                self.offset += c.len_utf8();
                self.column += 1;
            }
        } else {
            for c in self.text[line_start..self.offset].chars().rev() {
                if self.column == column {
                    break;
                }
                self.offset -= c.len_utf8();
                self.column -= 1;
            }
        }
        self.offset
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

#[cfg(test)]
mod tests {
    use super::*;
    use landfall_diagnostics::SourceSet;

    struct Scalars(Vec<(String, Span)>);

    impl EventSink for Scalars {
        fn event(&mut self, event: Event<'_>, span: Span) -> bool {
            if let Event::Scalar(text, ..) = event {
                self.0.push((text.into_owned(), span));
            }
            true
        }
    }

    fn scalars(text: &str, options: ReadOptions) -> Result<Vec<(String, Span)>, SyntaxError> {
        let mut sources = SourceSet::default();
        let id = sources.add("t.yaml", text);
        read_events(id, sources.file(id), options, || Scalars(Vec::new())).map(|s| s.0)
    }

    /// libyaml's leniency is an option (spec files stay strict), and spans
    /// point into the file as written even where a line was re-indented to
    /// read it.
    #[test]
    fn libyaml_leniency_is_an_option() {
        let text = "a: \"one\ntwo\"\nb: [x,\ny]\nc: end\n";
        assert!(scalars(text, ReadOptions::default()).is_err());
        let lenient = ReadOptions {
            libyaml_continuations: true,
        };
        let read = scalars(text, lenient).unwrap();
        let texts: Vec<&str> = read.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["a", "one two", "b", "x", "y", "c", "end"]);
        for (scalar, span) in &read {
            if !scalar.contains(' ') {
                assert_eq!(&text[span.start..span.end], scalar.as_str());
            }
        }
    }

    /// Spans are byte ranges whatever the characters before them, on one
    /// line or many, and in either order of asking.
    #[test]
    fn spans_are_byte_ranges_past_wide_characters() {
        for text in [
            "{é: ü, 日本: [ö, 語], z: x}\n",
            "é: ü\n日本:\n  - ö\n  - 語\nz: x\n",
        ] {
            let read = scalars(text, ReadOptions::default()).unwrap();
            let texts: Vec<&str> = read.iter().map(|(t, _)| t.as_str()).collect();
            assert_eq!(texts, ["é", "ü", "日本", "ö", "語", "z", "x"]);
            for (scalar, span) in &read {
                assert_eq!(&text[span.start..span.end], scalar.as_str());
            }
        }
        // Jumping about, as `SourceFile::offset_of` finds them.
        let text = "aé\nbü日\n";
        let mut sources = SourceSet::default();
        let id = sources.add("t.yaml", text);
        let file = sources.file(id);
        let mut locator = Locator::new(text);
        for (line, column) in [
            (2, 2),
            (2, 1),
            (1, 1),
            (1, 9),
            (2, 0),
            (2, 3),
            (2, 9),
            (3, 0),
            (9, 0),
        ] {
            assert_eq!(
                locator.offset(line, column),
                file.offset_of(line, column),
                "{line}:{column}"
            );
        }
        assert_eq!(locator.offset(2, 2), 7);
    }
}
