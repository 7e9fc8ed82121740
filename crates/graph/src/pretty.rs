//! Pretty JSON text assembled from parts serialized apart (on several
//! threads), byte for byte what `serde_json::to_string_pretty` gives for
//! the whole.

use serde::Serialize;

/// `value` pretty-printed, newline-terminated, into a buffer sized up front
/// (`expected` bytes): growing a large text by doubling copies it again and
/// again.
pub fn file_text<T: Serialize + ?Sized>(value: &T, expected: usize) -> String {
    let mut buf = Vec::with_capacity(expected);
    if serde_json::to_writer_pretty(&mut buf, value).is_err() {
        return String::new();
    }
    buf.push(b'\n');
    // serde_json writes UTF-8 only.
    String::from_utf8(buf).unwrap_or_default()
}

/// `value` pretty-printed as an element `depth` levels deep: every line
/// indented by two spaces per level.
pub fn at_depth<T: Serialize + ?Sized>(value: &T, depth: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let pad = "  ".repeat(depth);
    // JSON strings never hold a raw newline, so every newline is a line.
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    out.push_str(&pad);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    out
}

/// Replaces the empty array of `field` (`"field": []`, at the top level of
/// `text`, a pretty-printed object) with `items`, each made by
/// [`at_depth`] at depth 2.
pub fn splice_array(text: &str, field: &str, items: &[String]) -> String {
    let empty = format!("\n  \"{field}\": []");
    let Some(at) = text.find(&empty) else {
        return text.to_owned();
    };
    if items.is_empty() {
        return text.to_owned();
    }
    let size: usize = items.iter().map(|i| i.len() + 2).sum();
    let mut out = String::with_capacity(text.len() + size + field.len() + 16);
    out.push_str(&text[..at]);
    out.push_str(&format!("\n  \"{field}\": [\n"));
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(item);
    }
    out.push_str("\n  ]");
    out.push_str(&text[at + empty.len()..]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spliced_text_is_what_the_whole_would_print() {
        let items = vec![
            json!({ "name": "a", "deps": ["x", "y"], "nested": { "k": [] } }),
            json!({ "name": "b", "deps": [] }),
        ];
        let whole = json!({ "format": "f", "stacks": items, "tail": { "t": 1 } });
        let expected = serde_json::to_string_pretty(&whole).unwrap();
        let head = json!({ "format": "f", "stacks": [], "tail": { "t": 1 } });
        let texts: Vec<String> = items.iter().map(|i| at_depth(i, 2)).collect();
        let got = splice_array(
            &serde_json::to_string_pretty(&head).unwrap(),
            "stacks",
            &texts,
        );
        assert_eq!(got, expected);
        // No items: the empty array stays.
        let empty = serde_json::to_string_pretty(&head).unwrap();
        assert_eq!(splice_array(&empty, "stacks", &[]), empty);
    }
}
