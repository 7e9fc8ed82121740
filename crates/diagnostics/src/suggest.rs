//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `input`, if any is close enough to be a likely typo.
pub fn suggestion<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let input_lower = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let score = strsim::jaro_winkler(&input_lower, &candidate.to_ascii_lowercase());
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.8)
        // Highest score wins; ties go to the alphabetically first so output is stable.
        .max_by(|(a, x), (b, y)| a.total_cmp(b).then_with(|| y.cmp(x)))
        .map(|(_, candidate)| candidate)
}

/// A help text: "did you mean `x`?" or, without a close match, the valid choices.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    if let Some(best) = suggestion(input, candidates.clone()) {
        return format!("did you mean `{best}`?");
    }
    let mut all: Vec<&str> = candidates.into_iter().collect();
    all.sort_unstable();
    all.dedup();
    match all.len() {
        0 => "there is nothing of that kind to refer to yet".to_owned(),
        1..=12 => format!(
            "expected one of {}",
            all.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        n => format!(
            "expected one of {n} names, such as {}",
            all.iter()
                .take(5)
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_match() {
        assert_eq!(
            suggestion("paymnts", ["payments", "trading", "risk"]),
            Some("payments")
        );
        assert_eq!(suggestion("zzz", ["payments", "trading"]), None);
    }

    #[test]
    fn lists_choices_without_a_close_match() {
        assert_eq!(did_you_mean("zzz", ["b", "a"]), "expected one of `a`, `b`");
    }
}
