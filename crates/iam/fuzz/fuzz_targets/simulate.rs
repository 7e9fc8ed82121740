//! Request-file bytes → simulate: never panics.
#![no_main]

use landfall_iam::simulate::{simulate_bytes, OutputFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = simulate_bytes("fuzz.json", data, OutputFormat::Json);
});
