//! Unix seconds as UTC text, without a date library.

/// `2026-12-06T18:00:00Z`.
pub fn utc(secs: u64) -> String {
    format!("{}Z", schedule_time(secs))
}

/// `2026-12-06T18:00:00`: the form of EventBridge Scheduler's one-time
/// `at(...)` expression (read in the schedule's time zone, UTC here).
/// <https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time>
pub fn schedule_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a date.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_the_calendar() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(schedule_time(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(utc(1_796_580_000), "2026-12-06T18:00:00Z");
    }
}
