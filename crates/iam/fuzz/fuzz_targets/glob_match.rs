//! Pattern and text → matcher: never panics, stays fast on `*`-heavy input.
#![no_main]

use landfall_iam::glob::{ArnPattern, Glob};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: (&str, &str)| {
    let (pattern, text) = data;
    let _ = Glob::new(pattern).matches(text);
    let _ = ArnPattern::new(pattern).matches(text);
});
