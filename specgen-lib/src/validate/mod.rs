//! Validate: every semantic rule of the spec format, and lowering of the raw specs to the IR.
//!
//! Two phases. *Parse*: each file becomes a node tree and then its spec struct; every unknown
//! key of every file is reported, plus the first shape error of each file. If any file failed,
//! validation stops there (later rules would only repeat the damage). *Check and lower*: models,
//! then events, then domains, then the fleet; every problem is collected, none stops the others.
//! Invariant: returns an IR only if no error was found; warnings travel with it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::diagnostics::{Diagnostic, Diagnostics, FileId, SourceFile, Sources};
use crate::ir::{Enum, Ir};
use crate::load::{Loaded, SpecKind};
use crate::parallel::each_in_two;
use crate::spec::config::ConfigFile;
use crate::spec::domain::DomainFile;
use crate::spec::events::EventsFile;
use crate::spec::manifest::ManifestFile;
use crate::spec::models::ModelsFile;
use crate::spec::services::ServicesFile;
use crate::targets::Options;
use crate::yaml;

mod config;
mod cycles;
mod events;
mod fleet;
mod models;
mod rest;
mod types;
mod values;

/// The outcome of a successful validation.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The resolved project.
    pub ir: Ir,
    /// Options from specgen.toml (defaults where absent).
    pub options: Options,
    /// Warnings (never errors).
    pub warnings: Vec<Diagnostic>,
}

/// Validates loaded specs and lowers them to the IR.
pub fn validate(loaded: &Loaded) -> Result<Validated, Diagnostics> {
    validate_with(loaded, models::PARALLEL_MODELS)
}

/// [`validate`], with models.yaml lowered on two threads from `parallel_models` models on.
fn validate_with(loaded: &Loaded, parallel_models: usize) -> Result<Validated, Diagnostics> {
    let parsed = parse_all(loaded)?;
    let mut ctx = Ctx::new(&loaded.sources);
    let options = config::lower(&mut ctx, parsed.config.as_ref());
    let mut ir = Ir { python_version: config::python_version(parsed.config.as_ref()), ..Ir::default() };
    ir.models_file = loaded.names.models.clone();
    ir.events_file = loaded.names.events.clone();
    ir.services_file = loaded.names.services_file.clone();
    if let Some((_, models)) = &parsed.models {
        models::lower(&mut ctx, models, &mut ir, parallel_models);
    }
    if let Some((_, events)) = &parsed.events {
        events::lower(&mut ctx, events, &mut ir);
    }
    fleet::lower(&mut ctx, &parsed, loaded, &mut ir);
    ir.enums = std::mem::take(&mut ctx.enums);
    ir.reindex();
    let diags = std::mem::take(&mut ctx.diags);
    drop_elsewhere(parsed);
    finish(&loaded.sources, diags).map(|warnings| Validated { ir, options, warnings })
}

/// Frees the spec structs on another thread: they are tens of thousands of small allocations
/// (~10 ms on a 1,000-model project) that nothing waits for, while the caller goes on rendering.
fn drop_elsewhere(parsed: Parsed) {
    // If no thread can be started, the closure (and `parsed` with it) is dropped here instead.
    let _ = std::thread::Builder::new().name("specgen-drop".into()).spawn(move || drop(parsed));
}

/// Reads only specgen.toml of `loaded` (which must contain nothing else) into [`Options`].
pub fn options_only(loaded: &Loaded) -> Result<Options, Diagnostics> {
    let parsed = parse_all(loaded)?;
    let mut ctx = Ctx::new(&loaded.sources);
    let options = config::lower(&mut ctx, parsed.config.as_ref());
    let diags = std::mem::take(&mut ctx.diags);
    finish(&loaded.sources, diags).map(|_| options)
}

/// Splits diagnostics into "stop" (any error) or the warnings to carry on with.
fn finish(sources: &Sources, diags: Vec<Diagnostic>) -> Result<Vec<Diagnostic>, Diagnostics> {
    if diags.iter().any(Diagnostic::is_error) {
        let mut all = Diagnostics { sources: sources.clone(), items: diags };
        all.sort();
        Err(all)
    } else {
        let mut warnings = Diagnostics { sources: Sources::default(), items: diags };
        warnings.sort();
        Ok(warnings.items)
    }
}

/// State shared by the checks: where to report, and what is known so far.
pub(crate) struct Ctx<'a> {
    pub sources: &'a Sources,
    pub diags: Vec<Diagnostic>,
    /// Every referenceable class name (base models and variant classes). Hashed: looked up for
    /// every reference, and only iterated for "did you mean", which does not depend on order.
    /// Shared with [`Ctx::fork`]s, which only read it.
    pub class_names: Arc<HashSet<String>>,
    /// Enums created so far.
    pub enums: Vec<Enum>,
    /// Index of `Ir::classes` by class name, filled while models are lowered.
    pub class_index: HashMap<String, usize>,
    /// Index of `enums` by name.
    pub enum_index: HashMap<String, usize>,
    /// Compiled patterns by source text: large specs repeat a few patterns many times, and
    /// compiling is the expensive part of checking them.
    pub regexes: HashMap<String, Result<fancy_regex::Regex, String>>,
}

impl<'a> Ctx<'a> {
    fn new(sources: &'a Sources) -> Ctx<'a> {
        Ctx {
            sources,
            diags: Vec::new(),
            class_names: Arc::default(),
            enums: Vec::new(),
            class_index: HashMap::new(),
            enum_index: HashMap::new(),
            regexes: HashMap::new(),
        }
    }

    /// A context for checks on another thread: it reads the class names and the enums known so
    /// far, and collects its own diagnostics, enums, class positions and patterns, until
    /// [`Ctx::merge`] adds them to this one.
    pub(crate) fn fork(&self) -> Ctx<'a> {
        Ctx {
            sources: self.sources,
            diags: Vec::new(),
            class_names: Arc::clone(&self.class_names),
            enums: self.enums.clone(),
            class_index: HashMap::new(),
            enum_index: self.enum_index.clone(),
            regexes: HashMap::new(),
        }
    }

    /// Adds what `fork` found to this context, as if its checks had run here after those so
    /// far: its diagnostics, its enums past the first `known_enums` (those it started with),
    /// its class positions moved by `class_offset` (where its classes go in `Ir::classes`).
    /// The caller makes sure the fork's new enums are not new here too.
    pub(crate) fn merge(&mut self, fork: Ctx<'a>, known_enums: usize, class_offset: usize) {
        self.diags.extend(fork.diags);
        for e in fork.enums.into_iter().skip(known_enums) {
            self.enum_index.insert(e.name.clone(), self.enums.len());
            self.enums.push(e);
        }
        if self.class_index.is_empty() && class_offset == 0 {
            self.class_index = fork.class_index;
        } else {
            self.class_index.reserve(fork.class_index.len());
            self.class_index.extend(fork.class_index.into_iter().map(|(name, i)| (name, i + class_offset)));
        }
        for (pattern, compiled) in fork.regexes {
            self.regexes.entry(pattern).or_insert(compiled);
        }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The enum called `name`, if created.
    pub(crate) fn enum_named(&self, name: &str) -> Option<&Enum> {
        self.enum_index.get(name).map(|&i| &self.enums[i])
    }

    /// Compiles `pattern` once per run.
    pub(crate) fn regex(&mut self, pattern: &str) -> Result<&fancy_regex::Regex, &str> {
        // Looked up before inserting, so a pattern seen before costs no copy of its text.
        if !self.regexes.contains_key(pattern) {
            let compiled = fancy_regex::Regex::new(pattern).map_err(|e| e.to_string());
            self.regexes.insert(pattern.to_string(), compiled);
        }
        self.regexes[pattern].as_ref().map_err(String::as_str)
    }
}

/// The spec files, parsed into their structs.
pub(crate) struct Parsed {
    pub config: Option<(FileId, ConfigFile)>,
    pub services: Option<(FileId, ServicesFile)>,
    pub models: Option<(FileId, ModelsFile)>,
    pub events: Option<(FileId, EventsFile)>,
    /// (service, domain, file, spec), sorted by service then domain.
    pub domains: Vec<(String, String, FileId, DomainFile)>,
    /// (service, file, spec), sorted by service.
    pub manifests: Vec<(String, FileId, ManifestFile)>,
}

fn parse_all(loaded: &Loaded) -> Result<Parsed, Diagnostics> {
    let mut parsed =
        Parsed { config: None, services: None, models: None, events: None, domains: Vec::new(), manifests: Vec::new() };
    let mut diags = Vec::new();
    for (id, (spec, file_diags)) in parse_files(&loaded.sources, PARALLEL_BYTES) {
        diags.extend(file_diags);
        match spec {
            None => {}
            Some(ParsedFile::Config(c)) => parsed.config = Some((id, c)),
            Some(ParsedFile::Services(s)) => parsed.services = Some((id, s)),
            Some(ParsedFile::Models(m)) => parsed.models = Some((id, m)),
            Some(ParsedFile::Events(e)) => parsed.events = Some((id, e)),
            Some(ParsedFile::Domain { service, domain, spec }) => parsed.domains.push((service, domain, id, spec)),
            Some(ParsedFile::Manifest { service, spec }) => parsed.manifests.push((service, id, spec)),
        }
    }
    if diags.is_empty() {
        parsed.domains.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        parsed.manifests.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(parsed)
    } else {
        let mut all = Diagnostics { sources: loaded.sources.clone(), items: diags };
        all.sort();
        Err(all)
    }
}

/// One spec file's struct.
#[derive(Debug)]
enum ParsedFile {
    Config(ConfigFile),
    Services(ServicesFile),
    Models(ModelsFile),
    Events(EventsFile),
    Domain { service: String, domain: String, spec: DomainFile },
    Manifest { service: String, spec: ManifestFile },
}

/// What parsing one file gave: its struct (none when it failed) and its diagnostics.
type FileOutcome = (Option<ParsedFile>, Vec<Diagnostic>);

/// Below this many bytes of input, files are parsed on one thread (a thread costs more than it
/// saves).
const PARALLEL_BYTES: usize = 256 * 1024;

/// Every file parsed (its struct, or none when it failed) with its diagnostics, in file order.
///
/// Parsing is most of validation's time on large projects and files are independent, so inputs
/// of `parallel_bytes` or more are parsed on two threads, largest file first (one big
/// models.yaml and many domain files then keep both busy).
fn parse_files(sources: &Sources, parallel_bytes: usize) -> Vec<(FileId, FileOutcome)> {
    let mut files: Vec<(FileId, &SourceFile)> = sources.iter().collect();
    let total: usize = files.iter().map(|(_, f)| f.text.len()).sum();
    if total < parallel_bytes {
        return files.into_iter().map(|(id, file)| (id, parse_file(id, file))).collect();
    }
    files.sort_by_key(|(id, f)| (std::cmp::Reverse(f.text.len()), *id));
    let parsed = each_in_two(&files, |&(id, file)| parse_file(id, file));
    let mut results: Vec<(FileId, FileOutcome)> = files.iter().map(|(id, _)| *id).zip(parsed).collect();
    results.sort_by_key(|(id, _)| *id);
    results
}

/// Parses one file into its struct; every problem found is in the diagnostics.
fn parse_file(id: FileId, file: &SourceFile) -> FileOutcome {
    let mut diags = Vec::new();
    let kind = crate::load::classify(&file.path).expect("loaded files are classified");
    if kind == SpecKind::Config {
        let config = config::parse(id, &file.text).map_err(|d| diags.push(d)).ok();
        return (config.map(ParsedFile::Config), diags);
    }
    let node = match yaml::parse(id, &file.text) {
        Ok(node) => node,
        Err(d) => return (None, vec![d]),
    };
    let soft = RefCell::new(Vec::new());
    let spec = match kind {
        SpecKind::Config => unreachable!("handled above"),
        SpecKind::Services => deserialize(&node, &soft, &mut diags).map(ParsedFile::Services),
        SpecKind::Models => deserialize(&node, &soft, &mut diags).map(ParsedFile::Models),
        SpecKind::Events => deserialize(&node, &soft, &mut diags).map(ParsedFile::Events),
        SpecKind::Domain { service, domain } => {
            deserialize(&node, &soft, &mut diags).map(|spec| ParsedFile::Domain { service, domain, spec })
        }
        SpecKind::Manifest { service } => {
            deserialize(&node, &soft, &mut diags).map(|spec| ParsedFile::Manifest { service, spec })
        }
    };
    diags.extend(soft.into_inner());
    (spec, diags)
}

/// Deserializes a whole file; a file that is empty or `null` reads as an empty map.
fn deserialize<'n, T: serde::Deserialize<'n>>(
    node: &'n yaml::Document<'n>,
    soft: &RefCell<Vec<Diagnostic>>,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    match yaml::from_node(node, soft) {
        Ok(v) => Some(v),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// An identifier: ASCII letter or `_`, then letters, digits, `_`.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// PascalCase class name: `^[A-Z][A-Za-z0-9]*$`.
pub(crate) fn is_pascal(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('A'..='Z')) && chars.all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::load::{self, Input};

    /// Parsing on two threads gives what parsing on one gives, structs and diagnostics, for the
    /// example and for every bad fixture (each with its own kind of error).
    #[test]
    fn parsing_on_two_threads_changes_nothing() {
        let fixtures = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut roots = vec![Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bookshelf")];
        let mut bad: Vec<Utf8PathBuf> =
            fixtures.join("bad").read_dir_utf8().unwrap().map(|entry| entry.unwrap().into_path()).collect();
        bad.sort();
        roots.extend(bad.into_iter().filter(|dir| dir.is_dir()));
        let mut compared = 0;
        for root in roots {
            let Ok(loaded) = load::load(&Input::Root(root.clone())) else { continue };
            let one = format!("{:?}", parse_files(&loaded.sources, usize::MAX));
            let two = format!("{:?}", parse_files(&loaded.sources, 0));
            assert_eq!(one, two, "{root}");
            compared += 1;
        }
        assert!(compared > 40, "only {compared} projects loaded");
    }

    /// Lowering models.yaml on two threads gives what one thread gives, IR and diagnostics, for
    /// the benchmark corpus, every bad fixture, and models whose enums share a name across the
    /// halves (reused with the same values, a conflict with others).
    #[test]
    fn lowering_on_two_threads_changes_nothing() {
        let shared_enums = tempfile::tempdir().unwrap();
        let spec = Utf8PathBuf::from_path_buf(shared_enums.path().join("shared/spec")).unwrap();
        std::fs::create_dir_all(&spec).unwrap();
        std::fs::write(
            spec.join("models.yaml"),
            "models:\n  A:\n    fields:\n      kind_x: {type: enum, values: [a, b]}\n      kind_y: {type: enum, values: [a, b]}\n  \
             B:\n    fields:\n      n: int\n  AKind:\n    fields:\n      x: {type: enum, values: [a, b]}\n      y: {type: enum, values: [a, c]}\n",
        )
        .unwrap();
        let corpus = crate::test_support::benchmark_corpus(30);
        let fixtures = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
        let mut roots: Vec<Utf8PathBuf> =
            fixtures.read_dir_utf8().unwrap().map(|entry| entry.unwrap().into_path()).filter(|p| p.is_dir()).collect();
        roots.sort();
        roots.push(Utf8PathBuf::from_path_buf(shared_enums.path().to_path_buf()).unwrap());
        roots.extend(corpus.iter().map(|dir| Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap()));
        let mut compared = 0;
        for root in &roots {
            let Ok(loaded) = load::load(&Input::Root(root.clone())) else { continue };
            let one = format!("{:?}", validate_with(&loaded, usize::MAX));
            let two = format!("{:?}", validate_with(&loaded, 0));
            assert_eq!(one, two, "{root}");
            compared += 1;
        }
        assert!(compared > 40, "only {compared} projects loaded");
        // The enums named alike across the halves were seen: one reused, one a conflict.
        let loaded = load::load(&Input::Root(roots[roots.len() - 1 - usize::from(corpus.is_some())].clone())).unwrap();
        let diags = validate_with(&loaded, 0).unwrap_err();
        assert_eq!(diags.items.iter().map(|d| d.code).collect::<Vec<_>>(), ["E0128"]);
    }
}
