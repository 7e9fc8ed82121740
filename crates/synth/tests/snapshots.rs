//! The small fixture platform's output, file by file: every template and the
//! manifest. Review a changed snapshot as you would review the templates.

#![allow(clippy::expect_used, reason = "tests fail loudly on broken fixtures")]

mod common;

#[test]
fn small_platform_output() {
    let synthesized = common::synthesize_files(common::small_files(), None);
    let emitted = common::emit(&synthesized);
    let names: Vec<&str> = emitted.files.iter().map(|f| f.path.as_str()).collect();
    insta::assert_snapshot!("files", names.join("\n"));
    for file in &emitted.files {
        let name = file
            .path
            .trim_start_matches("templates/")
            .trim_end_matches(".json")
            .replace('/', "__");
        insta::assert_snapshot!(name, file.contents);
    }
}
