//! No input panics, and every diagnostic points inside its file.
//!
//! Starts from the valid small fixture and mutates it at random: lines
//! dropped, duplicated or swapped between files, tokens replaced, files cut
//! short, bytes inserted. Whatever comes out must be diagnostics, never a
//! panic, and a model is built only when there is no error.

#![allow(clippy::unwrap_used, reason = "test")]

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

fn small_spec() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/specs/small");
    let mut files = BTreeMap::new();
    let mut stack = vec![(root.clone(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.path().is_dir() {
                stack.push((entry.path(), format!("{name}/")));
            } else {
                files.insert(name, std::fs::read_to_string(entry.path()).unwrap());
            }
        }
    }
    files.into_iter().collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    DropLine {
        file: usize,
        line: usize,
    },
    DuplicateLine {
        file: usize,
        line: usize,
    },
    MoveLine {
        from: usize,
        line: usize,
        to: usize,
    },
    ReplaceToken {
        file: usize,
        token: usize,
        with: String,
    },
    Truncate {
        file: usize,
        at: usize,
    },
    Insert {
        file: usize,
        at: usize,
        text: String,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop_oneof![
        Just(String::new()),
        Just("~".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("&a".to_owned()),
        Just("*a".to_owned()),
        Just("!!binary".to_owned()),
        Just("prod".to_owned()),
        Just("payments".to_owned()),
        "[a-z:\\-\\[\\]{}, ]{0,12}",
    ];
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(file, line)| Mutation::DropLine { file, line }),
        (any::<usize>(), any::<usize>())
            .prop_map(|(file, line)| Mutation::DuplicateLine { file, line }),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(from, line, to)| Mutation::MoveLine { from, line, to }),
        (any::<usize>(), any::<usize>(), token.clone())
            .prop_map(|(file, token, with)| Mutation::ReplaceToken { file, token, with }),
        (any::<usize>(), any::<usize>()).prop_map(|(file, at)| Mutation::Truncate { file, at }),
        (any::<usize>(), any::<usize>(), "\\PC{0,8}")
            .prop_map(|(file, at, text)| Mutation::Insert { file, at, text }),
    ]
}

fn char_boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(files: &mut [(String, String)], mutation: &Mutation) {
    let n = files.len();
    let lines = |text: &str| {
        text.split_inclusive('\n')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    match mutation {
        Mutation::DropLine { file, line } => {
            let mut l = lines(&files[file % n].1);
            if !l.is_empty() {
                let i = line % l.len();
                l.remove(i);
            }
            files[file % n].1 = l.concat();
        }
        Mutation::DuplicateLine { file, line } => {
            let mut l = lines(&files[file % n].1);
            if !l.is_empty() {
                let i = line % l.len();
                l.insert(i, l[i].clone());
            }
            files[file % n].1 = l.concat();
        }
        Mutation::MoveLine { from, line, to } => {
            let mut l = lines(&files[from % n].1);
            if !l.is_empty() {
                let moved = l.remove(line % l.len());
                files[from % n].1 = l.concat();
                files[to % n].1.push_str(&moved);
            }
        }
        Mutation::ReplaceToken { file, token, with } => {
            let text = &files[file % n].1;
            let tokens: Vec<(usize, &str)> = text
                .match_indices(|c: char| c.is_alphanumeric() || c == '-' || c == '.')
                .collect();
            if !tokens.is_empty() {
                let (at, _) = tokens[token % tokens.len()];
                let end = text[at..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.'))
                    .map_or(text.len(), |e| at + e);
                files[file % n].1 = format!("{}{with}{}", &text[..at], &text[end..]);
            }
        }
        Mutation::Truncate { file, at } => {
            let text = &files[file % n].1;
            let at = char_boundary(text, *at);
            files[file % n].1 = text[..at].to_owned();
        }
        Mutation::Insert {
            file,
            at,
            text: insert,
        } => {
            let text = &files[file % n].1;
            let at = char_boundary(text, *at);
            files[file % n].1 = format!("{}{insert}{}", &text[..at], &text[at..]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_specs_give_located_diagnostics_never_panics(mutations in proptest::collection::vec(mutation(), 1..4)) {
        let mut files = small_spec();
        for m in &mutations {
            apply(&mut files, m);
        }
        let (loaded, diagnostics) = landfall_spec::load_files(files);
        let resolved = landfall_model::resolve(loaded, diagnostics);
        if resolved.diagnostics.has_errors() {
            prop_assert!(resolved.model.is_none());
        }
        for diagnostic in resolved.diagnostics.iter() {
            for label in &diagnostic.labels {
                let text = resolved.loaded.sources.file(label.span.file).text();
                prop_assert!(label.span.end <= text.len());
                prop_assert!(text.is_char_boundary(label.span.start) && text.is_char_boundary(label.span.end));
            }
            prop_assert!(!diagnostic.message.is_empty());
            prop_assert!(!diagnostic.message.ends_with('.'), "{}", diagnostic.message);
        }
    }
}
