//! Source files and byte spans into them.

use std::sync::Arc;

/// Index of a file in a [`SourceSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(u32);

impl FileId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Self {
            file,
            start,
            end: end.max(start),
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A human position: 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One source file: its display name (relative to the spec directory) and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: Arc<str>,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// Every character longer than one byte: its byte offset and the bytes
    /// beyond the first of it and of all before it, so a column is found
    /// without rescanning its line (a plan written on one line has every
    /// finding on line 1).
    wide_chars: Vec<(usize, usize)>,
}

impl SourceFile {
    fn new(name: String, text: Arc<str>) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut wide_chars = Vec::new();
        if !text.is_ascii() {
            let mut extra = 0;
            for (i, c) in text.char_indices().filter(|(_, c)| !c.is_ascii()) {
                extra += c.len_utf8() - 1;
                wide_chars.push((i, extra));
            }
        }
        Self {
            name,
            text,
            line_starts,
            wide_chars,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Byte offset of a 1-based line and 0-based character column; clamps to
    /// the file so a bad position can never panic.
    pub fn offset_of(&self, line: usize, char_column: usize) -> usize {
        let Some(&line_start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let line_text = &self.text[line_start..];
        let line_end = line_text.find('\n').unwrap_or(line_text.len());
        line_text[..line_end]
            .char_indices()
            .nth(char_column)
            .map_or(line_start + line_end, |(i, _)| line_start + i)
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_index];
        let column = if self.text.is_char_boundary(offset) {
            (offset - line_start)
                - (self.extra_bytes_before(offset) - self.extra_bytes_before(line_start))
        } else {
            0
        };
        (line_index + 1, column + 1)
    }

    /// Bytes beyond the first of every character that starts before `offset`.
    fn extra_bytes_before(&self, offset: usize) -> usize {
        match self
            .wide_chars
            .partition_point(|&(start, _)| start < offset)
        {
            0 => 0,
            n => self.wide_chars[n - 1].1,
        }
    }
}

/// Every file a run has read, so diagnostics can be rendered with context.
#[derive(Debug, Clone, Default)]
pub struct SourceSet {
    files: Vec<SourceFile>,
}

impl SourceSet {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(name.into(), text.into()));
        id
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.index()]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn location(&self, span: Span) -> Location {
        let file = self.file(span.file);
        let (line, column) = file.line_column(span.start);
        let (end_line, end_column) = file.line_column(span.end);
        Location {
            file: file.name.clone(),
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// The span of the first occurrence of `needle` in a file; for tests and
    /// examples.
    pub fn span_of_text(&self, file: FileId, needle: &str) -> Option<Span> {
        let start = self.file(file).text.find(needle)?;
        Some(Span::new(file, start, start + needle.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_not_bytes() {
        let mut set = SourceSet::default();
        let id = set.add("a.yaml", "name: é\nx: ü y\n");
        let span = set.span_of_text(id, "y").unwrap();
        let location = set.location(span);
        assert_eq!((location.line, location.column), (2, 6));
        assert_eq!(set.file(id).offset_of(2, 5), span.start);
    }

    #[test]
    fn columns_on_a_long_line_with_wide_characters() {
        let mut set = SourceSet::default();
        let text = "{\"a\": \"é\", \"b\": \"日本\", \"c\": 1}\n{\"d\": \"ü\"}";
        let id = set.add("plan.json", text);
        for (needle, expected) in [
            ("\"a\"", (1, 2)),
            ("\"b\"", (1, 12)),
            ("\"c\"", (1, 23)),
            ("\"d\"", (2, 2)),
            ("\"ü\"", (2, 7)),
        ] {
            let span = set.span_of_text(id, needle).unwrap();
            let location = set.location(span);
            assert_eq!((location.line, location.column), expected, "{needle}");
            // The same as counting the characters of the line's prefix.
            let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
            assert_eq!(
                location.column,
                text[line_start..span.start].chars().count() + 1
            );
        }
        // Inside a character: the start of the line, never a panic.
        let inside = text.find('é').unwrap() + 1;
        assert_eq!(set.file(id).line_column(inside), (1, 1));
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let mut set = SourceSet::default();
        let id = set.add("a.yaml", "a\n");
        assert_eq!(set.file(id).offset_of(99, 0), 2);
        assert_eq!(set.file(id).offset_of(1, 99), 1);
        assert_eq!(set.file(id).line_column(99), (2, 1));
    }
}
