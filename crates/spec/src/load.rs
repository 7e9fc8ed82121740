//! Reading a spec directory: every file parsed, schema-checked and merged into
//! one [`Spec`], with every problem of every file reported together.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use landfall_diagnostics::{Diagnostic, Diagnostics, FileId, SourceSet, Span};

use crate::types::*;
use crate::yaml::{self, Node};

/// Largest spec file read; a larger one is almost certainly not a spec.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Where a value came from: a file and a JSON pointer into it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pointer {
    pub file: FileId,
    /// JSON pointer, for example `/domains/3/owner`.
    pub path: String,
}

impl Pointer {
    pub fn new(file: FileId, path: impl Into<String>) -> Self {
        Self {
            file,
            path: path.into(),
        }
    }

    /// The pointer to a field or list index below this one.
    #[must_use]
    pub fn child(&self, segment: impl fmt::Display) -> Self {
        Self {
            file: self.file,
            path: format!("{}/{segment}", self.path),
        }
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|s| !s.is_empty())
    }
}

/// A spec value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub at: Pointer,
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// The whole spec, merged from every file of the directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spec {
    pub organization: Option<Located<Organization>>,
    pub identity: Option<Located<Identity>>,
    pub guardrails: Option<Located<Guardrails>>,
    pub network: Option<Located<Network>>,
    pub cicd: Option<Located<Cicd>>,
    pub billing: Option<Located<Billing>>,
    pub observability: Option<Located<Observability>>,
    pub limits: Option<Located<BTreeMap<String, u64>>>,
    pub accounts: Vec<Located<Account>>,
    pub domains: Vec<Located<Domain>>,
    pub services: Vec<Located<Service>>,
    pub data_stores: Vec<Located<DataStore>>,
}

/// A loaded spec with the sources and trees that locate its values.
#[derive(Debug, Clone, Default)]
pub struct LoadedSpec {
    pub sources: SourceSet,
    /// The YAML tree of every file, by `FileId` index (`None` where it did not parse).
    trees: Vec<Option<Node>>,
    pub spec: Spec,
    /// The directory read, when it came from disk.
    pub root: Option<PathBuf>,
    /// The text of everything that could not be loaded: files that do not
    /// parse, values the schema rejected. A name written there may be
    /// declared there, so a reference to it is held back, not reported.
    set_aside: Vec<String>,
    /// A file was too large to read: it may declare anything.
    unread: bool,
}

impl LoadedSpec {
    /// Whether `name` appears, as a whole word, in a part of the spec that
    /// could not be loaded (so it may be declared there).
    pub fn may_be_declared_in_unloaded_part(&self, name: &str) -> bool {
        self.unread
            || (!name.is_empty() && self.set_aside.iter().any(|text| contains_word(text, name)))
    }

    /// The span of the value at a pointer.
    pub fn span(&self, at: &Pointer) -> Option<Span> {
        let tree = self.trees.get(at.file.index())?.as_ref()?;
        tree.get(at.segments()).map(|node| node.span)
    }

    /// The span of the key whose value is at a pointer (the value's span when
    /// the value is a list item).
    pub fn key_span(&self, at: &Pointer) -> Option<Span> {
        let tree = self.trees.get(at.file.index())?.as_ref()?;
        let segments: Vec<&str> = at.segments().collect();
        tree.key_span(&segments).or_else(|| self.span(at))
    }
}

/// Why a spec directory could not be read at all (as opposed to being invalid).
#[derive(Debug)]
pub enum LoadError {
    NotADirectory(PathBuf),
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotADirectory(path) => {
                write!(f, "`{}` is not a spec directory", path.display())
            }
            LoadError::Io { path, error } => write!(f, "cannot read `{}`: {error}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {}

/// Reads every `*.yaml`/`*.yml` file below `dir` (sorted, hidden entries
/// skipped) and loads them as one spec.
pub fn load_dir(dir: &Path) -> Result<(LoadedSpec, Diagnostics), LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::NotADirectory(dir.to_path_buf()));
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths)?;
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    let mut diagnostics = Diagnostics::new();
    let mut sources = SourceSet::default();
    let mut set_aside = Vec::new();
    let mut too_large = false;
    for path in paths {
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let metadata = std::fs::metadata(&path).map_err(|error| LoadError::Io {
            path: path.clone(),
            error,
        })?;
        if metadata.len() > MAX_FILE_BYTES {
            let id = sources.add(name, "");
            diagnostics.push(
                Diagnostic::error(
                    "spec::file-too-large",
                    format!(
                        "file is {} bytes; spec files are at most {MAX_FILE_BYTES}",
                        metadata.len()
                    ),
                )
                .in_file(id)
                .with_help("split it into smaller files"),
            );
            too_large = true;
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|error| LoadError::Io {
            path: path.clone(),
            error,
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => files.push((name, text)),
            Err(error) => {
                let valid_up_to = error.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                let id = sources.add(name, text);
                diagnostics.push(
                    Diagnostic::error("spec::encoding", "file is not valid UTF-8")
                        .with_label(
                            Span::new(id, valid_up_to, valid_up_to + 1),
                            "invalid byte here",
                        )
                        .with_help("save the file as UTF-8"),
                );
                set_aside.push(sources.file(id).text().to_owned());
            }
        }
    }
    let mut loaded = LoadedSpec {
        sources,
        trees: Vec::new(),
        spec: Spec::default(),
        root: Some(dir.to_path_buf()),
        set_aside,
        unread: too_large,
    };
    loaded.trees = vec![None; loaded.sources.len()];
    load_files_into(&mut loaded, files, &mut diagnostics);
    Ok((loaded, diagnostics))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|error| LoadError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    for entry in entries {
        let entry = entry.map_err(|error| LoadError::Io {
            path: dir.to_path_buf(),
            error,
        })?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads a spec from in-memory files: (name relative to the spec directory, text).
pub fn load_files<N, T>(files: impl IntoIterator<Item = (N, T)>) -> (LoadedSpec, Diagnostics)
where
    N: Into<String>,
    T: Into<String>,
{
    let mut loaded = LoadedSpec::default();
    let mut diagnostics = Diagnostics::new();
    let files = files
        .into_iter()
        .map(|(n, t)| (n.into(), t.into()))
        .collect();
    load_files_into(&mut loaded, files, &mut diagnostics);
    (loaded, diagnostics)
}

fn load_files_into(
    loaded: &mut LoadedSpec,
    files: Vec<(String, String)>,
    diagnostics: &mut Diagnostics,
) {
    let mut merger = Merger::default();
    // A file that did not load may hold a section; a missing section is only
    // reported when every file loaded.
    let mut all_loaded = diagnostics.error_count() == 0;
    for (name, text) in files {
        let id = loaded.sources.add(name, text);
        let tree = yaml::parse(id, loaded.sources.file(id), diagnostics);
        if let Some(tree) = &tree {
            // An empty file (or one of comments only) declares nothing: a
            // service whose file was emptied by mistake would vanish silently.
            let json = tree.to_json();
            if json.is_null() || json.as_object().is_some_and(|o| o.is_empty()) {
                diagnostics.push(
                    Diagnostic::warning(
                        "spec::empty-file",
                        format!("`{}` declares nothing", loaded.sources.file(id).name()),
                    )
                    .in_file(id)
                    .with_help("write its section (for example `service:`), or remove the file"),
                );
            }
            let invalid = crate::schema::invalid_values(tree, diagnostics);
            if !invalid.is_empty() {
                // Keep what can be read, so its references are still checked.
                all_loaded = false;
                let salvaged = crate::salvage::salvage(tree.to_json(), &invalid);
                let index = |section: &str, i| salvaged.original_index(section, i);
                merger.add(id, tree, salvaged.file.clone(), &index, diagnostics);
                loaded.set_aside.extend(salvaged.set_aside);
                loaded.trees.push(Some(tree.clone()));
                continue;
            }
            match serde_json::from_value::<SpecFile>(tree.to_json()) {
                Ok(file) => merger.add(id, tree, file, &|_, i| i, diagnostics),
                // The schema check passed, so this is a gap between schema and
                // types; still report it at the file rather than panic.
                Err(error) => diagnostics.push(
                    Diagnostic::error("spec::invalid", format!("cannot read the file: {error}"))
                        .in_file(id),
                ),
            }
        }
        if tree.is_none() {
            all_loaded = false;
            loaded
                .set_aside
                .push(loaded.sources.file(id).text().to_owned());
        }
        loaded.trees.push(tree);
    }
    merger.finish(&mut loaded.spec, diagnostics, all_loaded);
}

/// Merges files' sections, rejecting a singleton section defined twice.
#[derive(Default)]
struct Merger {
    spec: Spec,
    /// Where each singleton section was first defined.
    first: BTreeMap<&'static str, Span>,
    /// Singleton sections defined more than once: neither copy is used, so
    /// the duplicate is the one error reported about them.
    conflicted: std::collections::BTreeSet<&'static str>,
}

impl Merger {
    /// Merges one file's content; `index` maps the `i`-th item kept of a list
    /// section to its index in the file (items may have been set aside).
    fn add(
        &mut self,
        file: FileId,
        tree: &Node,
        content: SpecFile,
        index: &dyn Fn(&str, usize) -> usize,
        diagnostics: &mut Diagnostics,
    ) {
        let key_span = |name: &str| tree.key_span(&[name]).unwrap_or(Span::new(file, 0, 0));
        let mut singleton =
            |name: &'static str, diagnostics: &mut Diagnostics| -> Option<Pointer> {
                let span = key_span(name);
                if let Some(first) = self.first.get(name) {
                    self.conflicted.insert(name);
                    diagnostics.push(
                        Diagnostic::error(
                            "spec::duplicate-section",
                            format!("section `{name}` is defined twice"),
                        )
                        .with_label(span, "defined again here")
                        .with_label(*first, "first defined here")
                        .with_help(format!(
                            "keep one `{name}` section and merge the other into it"
                        )),
                    );
                    return None;
                }
                self.first.insert(name, span);
                Some(Pointer::new(file, format!("/{name}")))
            };
        macro_rules! singleton {
            ($field:ident) => {
                if let Some(value) = content.$field {
                    if let Some(at) = singleton(stringify!($field), diagnostics) {
                        self.spec.$field = Some(Located { value, at });
                    }
                }
            };
        }
        singleton!(organization);
        singleton!(identity);
        singleton!(guardrails);
        singleton!(network);
        singleton!(cicd);
        singleton!(billing);
        singleton!(observability);
        singleton!(limits);
        let list = |name: &str, i: usize| Pointer::new(file, format!("/{name}/{}", index(name, i)));
        for (i, value) in content.accounts.into_iter().flatten().enumerate() {
            self.spec.accounts.push(Located {
                value,
                at: list("accounts", i),
            });
        }
        for (i, value) in content.domains.into_iter().flatten().enumerate() {
            self.spec.domains.push(Located {
                value,
                at: list("domains", i),
            });
        }
        for (i, value) in content.data_stores.into_iter().flatten().enumerate() {
            self.spec.data_stores.push(Located {
                value,
                at: list("data_stores", i),
            });
        }
        if let Some(value) = content.service {
            self.spec.services.push(Located {
                value,
                at: Pointer::new(file, "/service"),
            });
        }
        for (i, value) in content.services.into_iter().flatten().enumerate() {
            self.spec.services.push(Located {
                value,
                at: list("services", i),
            });
        }
    }

    fn finish(self, spec: &mut Spec, diagnostics: &mut Diagnostics, all_loaded: bool) {
        let required: &[(&str, &str)] = if all_loaded {
            &[
                (
                    "organization",
                    "the organization's name, regions and environments",
                ),
                ("network", "the address space, subnet tiers and egress"),
            ]
        } else {
            &[]
        };
        for &(name, what) in required {
            if !self.first.contains_key(name) {
                diagnostics.push(
                    Diagnostic::error("spec::missing-section", format!("no file defines `{name}`"))
                        .with_help(format!(
                            "add a `{name}:` section ({what}) to one file; `landfall init DIR` writes a complete example"
                        )),
                );
            }
        }
        let mut merged = self.spec;
        for name in &self.conflicted {
            match *name {
                "organization" => merged.organization = None,
                "identity" => merged.identity = None,
                "guardrails" => merged.guardrails = None,
                "network" => merged.network = None,
                "cicd" => merged.cicd = None,
                "billing" => merged.billing = None,
                "observability" => merged.observability = None,
                "limits" => merged.limits = None,
                _ => {}
            }
        }
        *spec = merged;
    }
}

/// Whether `word` occurs in `text` not as part of a longer name.
fn contains_word(text: &str, word: &str) -> bool {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    text.match_indices(word).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + word.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}
