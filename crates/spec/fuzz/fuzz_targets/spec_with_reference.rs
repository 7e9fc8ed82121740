//! Any bytes as one extra file beside the reference platform, so resolution
//! of a whole, otherwise valid platform meets hostile input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut files: Vec<(String, String)> = landfall_spec::REFERENCE_FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml"))
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    files.push(("services/fuzz.yaml".to_owned(), text));
    let (loaded, diagnostics) = landfall_spec::load_files(files);
    let _ = landfall_model::resolve(loaded, diagnostics);
});
