//! Daily spend series files (`series,ds,usage,fee,total`, CSV, optionally
//! gzip-compressed): what `landfall cost backtest` reads, and the shape the
//! store's daily aggregates are forecast in.

use std::path::Path;

use crate::date::Date;
use crate::error::CostError;

/// One series: consecutive days, usage and fees apart (fees are forecast
/// as what they are, not as usage).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub start: Date,
    pub usage: Vec<f64>,
    pub fee: Vec<f64>,
}

impl Series {
    pub fn len(&self) -> usize {
        self.usage.len()
    }

    pub fn is_empty(&self) -> bool {
        self.usage.is_empty()
    }

    pub fn date(&self, index: usize) -> Date {
        self.start.add_days(index as i32)
    }

    /// Index of `date`, when it is inside the series.
    pub fn index_of(&self, date: Date) -> Option<usize> {
        let index = date.days_since(self.start);
        (index >= 0 && (index as usize) < self.len()).then_some(index as usize)
    }

    pub fn end(&self) -> Date {
        self.start.add_days(self.len() as i32 - 1)
    }

    pub fn total(&self, index: usize) -> f64 {
        self.usage[index] + self.fee[index]
    }
}

/// Reads a series file; `.gz` content is recognised by its magic bytes.
pub fn read_series_file(path: &Path) -> Result<Vec<Series>, CostError> {
    let bytes = std::fs::read(path).map_err(|source| CostError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        gunzip(&bytes).map_err(|message| CostError::Format {
            path: path.display().to_string(),
            line: 0,
            message,
        })?
    } else {
        bytes
    };
    let text = String::from_utf8(text).map_err(|_| CostError::Format {
        path: path.display().to_string(),
        line: 0,
        message: "not UTF-8 text".into(),
    })?;
    parse_series(&text).map_err(|(line, message)| CostError::Format {
        path: path.display().to_string(),
        line,
        message,
    })
}

/// Parses series CSV text; an error carries its 1-based line.
pub fn parse_series(text: &str) -> Result<Vec<Series>, (usize, String)> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, line)| line).ok_or((
        1,
        "empty file: expected the header `series,ds,usage,fee,total`".to_string(),
    ))?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let column = |name: &str| {
        columns.iter().position(|c| *c == name).ok_or((
            1,
            format!("no `{name}` column: expected the header `series,ds,usage,fee,total`"),
        ))
    };
    let (series_at, ds_at, usage_at, fee_at) = (
        column("series")?,
        column("ds")?,
        column("usage")?,
        column("fee")?,
    );
    let mut out: Vec<Series> = Vec::new();
    for (index, line) in lines {
        let line_number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let field = |at: usize| {
            fields.get(at).map(|f| f.trim()).ok_or((
                line_number,
                format!("{} fields, expected {}", fields.len(), columns.len()),
            ))
        };
        let name = field(series_at)?;
        let date = Date::parse(field(ds_at)?).ok_or((
            line_number,
            format!(
                "`{}` is not a date (YYYY-MM-DD)",
                field(ds_at).unwrap_or("")
            ),
        ))?;
        let number = |at: usize, what: &str| -> Result<f64, (usize, String)> {
            let text = field(at)?;
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or((
                    line_number,
                    format!("{what} `{text}` is not a non-negative number"),
                ))
        };
        let (usage, fee) = (number(usage_at, "usage")?, number(fee_at, "fee")?);
        if out.last().is_none_or(|s| s.name != name) {
            if out.iter().any(|s| s.name == name) {
                return Err((line_number, format!("series `{name}` continues after another series: rows of a series must be together")));
            }
            out.push(Series {
                name: name.to_string(),
                start: date,
                usage: Vec::new(),
                fee: Vec::new(),
            });
        }
        let series = out
            .last_mut()
            .ok_or((line_number, "no series".to_string()))?;
        let expected = series.start.add_days(series.len() as i32);
        if date != expected {
            return Err((line_number, format!("series `{name}`: {date} follows a gap or repeats a day (expected {expected}; days must be consecutive)")));
        }
        series.usage.push(usage);
        series.fee.push(fee);
    }
    if out.is_empty() {
        return Err((2, "no rows".to_string()));
    }
    Ok(out)
}

/// The one member of a gzip file (RFC 1952): header, raw deflate, trailer.
pub(crate) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let truncated = || "truncated gzip header".to_string();
    let flags = *bytes.get(3).ok_or_else(truncated)?;
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let len = bytes.get(at..at + 2).ok_or_else(truncated)?;
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = bytes
                .get(at..)
                .ok_or_else(truncated)?
                .iter()
                .position(|b| *b == 0)
                .ok_or_else(truncated)?;
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    miniz_oxide::inflate::decompress_to_vec(bytes.get(at..).ok_or_else(truncated)?)
        .map_err(|e| format!("corrupt gzip data: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_series_and_locates_errors() {
        let text = "series,ds,usage,fee,total\na,2025-01-01,1,0,1\na,2025-01-02,2,0.5,2.5\nb,2025-01-01,3,0,3\n";
        let series = parse_series(text).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].usage, vec![1.0, 2.0]);
        assert_eq!(series[0].fee, vec![0.0, 0.5]);
        let gap = "series,ds,usage,fee,total\na,2025-01-01,1,0,1\na,2025-01-03,2,0,2\n";
        let (line, message) = parse_series(gap).unwrap_err();
        assert_eq!(line, 3);
        assert!(message.contains("expected 2025-01-02"), "{message}");
        let (line, _) = parse_series("series,ds,usage,fee\na,2025-01-01,x,0\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(parse_series("series,ds,usage\n")
            .unwrap_err()
            .1
            .contains("`fee`"));
    }
}
