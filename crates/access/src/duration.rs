//! `--for` durations: `90m`, `2h`, `1h30m`.

/// Seconds in `text`, or what is wrong with it.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "`{text}` is not a duration: expected hours and minutes such as `2h`, `90m` or `1h30m`"
        )
    };
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut seen_unit = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        number.clear();
        seen_unit = true;
    }
    if !number.is_empty() || !seen_unit {
        return Err(bad());
    }
    if total == 0 {
        return Err(format!(
            "`{text}` is no time at all: ask for at least one minute"
        ));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_minutes_are_read_and_anything_else_is_refused() {
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert_eq!(parse_duration("90m"), Ok(5400));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        for bad in ["", "2", "h", "2d", "1.5h", "-1h", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("0m")
            .unwrap_err()
            .contains("at least one minute"));
    }
}
