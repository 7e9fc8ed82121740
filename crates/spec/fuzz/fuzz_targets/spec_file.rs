//! Any bytes as one spec file: parse, schema-check, merge and resolve.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let (loaded, diagnostics) = landfall_spec::load_files([("fuzz.yaml", text)]);
    let resolved = landfall_model::resolve(loaded, diagnostics);
    for diagnostic in resolved.diagnostics.iter() {
        for label in &diagnostic.labels {
            let file = resolved.loaded.sources.file(label.span.file);
            assert!(label.span.end <= file.text().len());
        }
    }
});
