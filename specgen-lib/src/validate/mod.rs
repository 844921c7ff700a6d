//! Validate: every semantic rule of the spec format, and lowering of the raw specs to the IR.
//!
//! Two phases. *Parse*: each file becomes a node tree and then its spec struct; every unknown
//! key of every file is reported, plus the first shape error of each file. If any file failed,
//! validation stops there (later rules would only repeat the damage). *Check and lower*: models,
//! then events, then domains, then the fleet; every problem is collected, none stops the others.
//! Invariant: returns an IR only if no error was found; warnings travel with it.

use std::cell::RefCell;
use std::sync::Arc;

use crate::diagnostics::{Diagnostic, Diagnostics, FileId, SourceFile, Sources};
use crate::ir::{Enum, Ir};
use crate::load::{Loaded, SpecKind};
use crate::name_map::{NameMap, NameSet};
use crate::parallel::{each_in_two, in_parts};
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
    /// What validation built on the way that the IR does not need.
    pub(crate) retained: Retained,
}

/// The spec structs and name tables that validation built and the IR does not need, kept as
/// long as whatever holds them instead of being freed when validation ends. They are tens of
/// thousands of small allocations: freeing them costs ~6 ms on a 1,000-model project, which a
/// process that exits after generating (the CLI) never has to spend, and which would otherwise
/// compete with rendering for the cores.
#[derive(Clone)]
pub(crate) struct Retained(#[allow(dead_code)] Arc<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for Retained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Retained(..)")
    }
}

/// Validates loaded specs and lowers them to the IR.
pub fn validate(loaded: &Loaded) -> Result<Validated, Diagnostics> {
    validate_with(loaded, models::PARALLEL_MODELS, fleet::PARALLEL_OPERATIONS)
}

/// [`validate`], with models.yaml lowered on two threads from `parallel_models` models on, and
/// the domains from `parallel_operations` operations on.
fn validate_with(
    loaded: &Loaded,
    parallel_models: usize,
    parallel_operations: usize,
) -> Result<Validated, Diagnostics> {
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
    fleet::lower(&mut ctx, &parsed, loaded, &mut ir, parallel_operations);
    ir.enums = std::mem::take(&mut ctx.enums);
    ir.reindex();
    let Ctx { diags, class_names, class_index, enum_index, regexes, .. } = ctx;
    let retained = Retained(Arc::new((parsed, class_names, class_index, enum_index, regexes)));
    finish(&loaded.sources, diags).map(|warnings| Validated { ir, options, warnings, retained })
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
///
/// Its tables are keyed by names from the project's own spec files, so they use the targets'
/// [`NameHasher`](crate::name_map::NameHasher) instead of std's SipHash: thousands of
/// classes and enums are hashed and looked up while lowering a large project.
pub(crate) struct Ctx<'a> {
    pub sources: &'a Sources,
    pub diags: Vec<Diagnostic>,
    /// Every referenceable class name (base models and variant classes). Hashed: looked up for
    /// every reference, and only iterated for "did you mean", which does not depend on order.
    /// Shared with [`Ctx::fork`]s, which only read it.
    pub class_names: Arc<NameSet<String>>,
    /// Enums created so far (in a fork: those created since it was forked; the parent holds
    /// the others).
    pub enums: Vec<Enum>,
    /// Index of `Ir::classes` by class name, filled while models are lowered (in a fork: the
    /// classes it lowered, by position in its own list).
    pub class_index: NameMap<String, usize>,
    /// Index of `enums` by name.
    pub enum_index: NameMap<String, usize>,
    /// Compiled patterns by source text: large specs repeat a few patterns many times, and
    /// compiling is the expensive part of checking them.
    pub regexes: NameMap<String, Result<fancy_regex::Regex, String>>,
    /// The context this one was forked from: read-only while the fork lives, its classes,
    /// enums and patterns are known here too without being copied.
    parent: Option<&'a Ctx<'a>>,
}

/// What a [`Ctx::fork`] found, free of its borrow of the parent, for [`Ctx::merge`].
pub(crate) struct Found {
    diags: Vec<Diagnostic>,
    /// The enums it created (none of them known to the parent when it was forked).
    pub enums: Vec<Enum>,
    class_index: NameMap<String, usize>,
    regexes: NameMap<String, Result<fancy_regex::Regex, String>>,
}

/// How many parts the two threads of a parallel lowering share ([`lower_in_parts`]): enough
/// that the thread done first is not left waiting long, few enough that forking and merging
/// stay cheap.
const LOWERING_PARTS: usize = 8;

/// `lower` over `items` on two threads, in [`LOWERING_PARTS`] parts taken from a shared queue,
/// each part into a [`Ctx::fork`] of its own; `append` takes, in item order, each part's result
/// with what its fork found (to merge into `ctx`). The outcome is the serial pass's, IR and
/// diagnostics.
///
/// Parts only interact through the enums they create (`<Model><Field>`, `<Operation><Param>`):
/// a part does not see those of the parts before it. That matters only when a part creates an
/// enum of a name an earlier part created too (a reuse or an `E0128` conflict in the serial
/// pass); that part is then lowered again, after the ones before it are merged, on a fork that
/// sees their enums.
fn lower_in_parts<'i, I: Sync, T: Send>(
    ctx: &mut Ctx<'_>,
    items: &'i [I],
    lower: impl Fn(&mut Ctx<'_>, &'i [I]) -> T + Sync,
    mut append: impl FnMut(&mut Ctx<'_>, Found, T),
) {
    let on_fork = |parent: &Ctx<'_>, part: &'i [I]| {
        let mut fork = parent.fork();
        let lowered = lower(&mut fork, part);
        (fork.found(), lowered)
    };
    let shared = &*ctx;
    for (part, (found, lowered)) in in_parts(items, LOWERING_PARTS, |part| on_fork(shared, part)) {
        // `ctx` has the enums of the parts before this one.
        let (found, lowered) = match found.enums.iter().any(|e| ctx.enum_index.contains_key(&e.name)) {
            true => on_fork(ctx, part),
            false => (found, lowered),
        };
        append(ctx, found, lowered);
    }
}

impl<'a> Ctx<'a> {
    fn new(sources: &'a Sources) -> Ctx<'a> {
        Ctx {
            sources,
            diags: Vec::new(),
            class_names: Arc::default(),
            enums: Vec::new(),
            class_index: NameMap::default(),
            enum_index: NameMap::default(),
            regexes: NameMap::default(),
            parent: None,
        }
    }

    /// A context for checks on another thread: it reads the class names, classes, enums and
    /// patterns known here, and collects its own diagnostics, enums, class positions and
    /// patterns, until [`Ctx::merge`] adds them (see [`Ctx::found`]) to this one.
    pub(crate) fn fork<'b>(&'b self) -> Ctx<'b> {
        Ctx {
            sources: self.sources,
            diags: Vec::new(),
            class_names: Arc::clone(&self.class_names),
            enums: Vec::new(),
            class_index: NameMap::default(),
            enum_index: NameMap::default(),
            regexes: NameMap::default(),
            parent: Some(self),
        }
    }

    /// What this fork found, to [`Ctx::merge`] into its parent.
    pub(crate) fn found(self) -> Found {
        Found { diags: self.diags, enums: self.enums, class_index: self.class_index, regexes: self.regexes }
    }

    /// Adds what a fork found to this context, as if its checks had run here after those so
    /// far: its diagnostics, its enums, its class positions moved by `class_offset` (where its
    /// classes go in `Ir::classes`). The caller makes sure the fork's enums are not new here
    /// too.
    pub(crate) fn merge(&mut self, found: Found, class_offset: usize) {
        self.diags.extend(found.diags);
        self.enum_index.reserve(found.enums.len());
        for e in found.enums {
            self.enum_index.insert(e.name.clone(), self.enums.len());
            self.enums.push(e);
        }
        self.class_index.reserve(found.class_index.len());
        self.class_index.extend(found.class_index.into_iter().map(|(name, i)| (name, i + class_offset)));
        for (pattern, compiled) in found.regexes {
            self.regexes.entry(pattern).or_insert(compiled);
        }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The enum called `name`, if created.
    pub(crate) fn enum_named(&self, name: &str) -> Option<&Enum> {
        match self.enum_index.get(name) {
            Some(&i) => Some(&self.enums[i]),
            None => self.parent.and_then(|parent| parent.enum_named(name)),
        }
    }

    /// The position of class `name` in `Ir::classes` (for a fork that lowered classes itself:
    /// in its own list), if lowered.
    pub(crate) fn class_position(&self, name: &str) -> Option<usize> {
        match self.class_index.get(name) {
            Some(&i) => Some(i),
            None => self.parent.and_then(|parent| parent.class_position(name)),
        }
    }

    /// `pattern` compiled, if it was before (here or in the parent).
    pub(crate) fn compiled(&self, pattern: &str) -> Option<&Result<fancy_regex::Regex, String>> {
        self.regexes.get(pattern).or_else(|| self.parent.and_then(|parent| parent.compiled(pattern)))
    }

    /// Compiles `pattern` once per run.
    pub(crate) fn regex(&mut self, pattern: &str) -> Result<&fancy_regex::Regex, &str> {
        if let Some(compiled) = self.parent.and_then(|parent| parent.compiled(pattern)) {
            return compiled.as_ref().map_err(String::as_str);
        }
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
    for (id, (spec, file_diags)) in parse_files(&loaded.sources, PARALLEL_BYTES, SPLIT_BYTES) {
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

/// From this size on, models.yaml is read in two halves on the two threads ([`Job`]): it is
/// the largest file of a large project, and one thread reading it whole while the other has
/// finished every other file was most of the parse phase.
const SPLIT_BYTES: usize = 128 * 1024;

/// Every file parsed (its struct, or none when it failed) with its diagnostics, in file order.
///
/// Parsing is most of validation's time on large projects and files are independent, so inputs
/// of `parallel_bytes` or more are parsed on two threads, largest job first (the halves of a
/// models.yaml of `split_bytes` or more, then many domain files, keep both busy).
fn parse_files(sources: &Sources, parallel_bytes: usize, split_bytes: usize) -> Vec<(FileId, FileOutcome)> {
    let files: Vec<(FileId, &SourceFile)> = sources.iter().collect();
    let total: usize = files.iter().map(|(_, f)| f.text.len()).sum();
    if total < parallel_bytes {
        return files.into_iter().map(|(id, file)| (id, parse_file(id, file))).collect();
    }
    let mut jobs = Vec::with_capacity(files.len() + 1);
    for (id, file) in files {
        let splits = file.text.len() >= split_bytes && crate::load::classify(&file.path) == Ok(SpecKind::Models);
        match splits.then(|| yaml::split_point(&file.text, "models")).flatten() {
            Some(at) => jobs.extend([Job::ModelsHead(id, file, at), Job::ModelsTail(id, file, at)]),
            None => jobs.push(Job::Whole(id, file)),
        }
    }
    jobs.sort_by_key(|job| (std::cmp::Reverse(job.len()), job.id()));
    let done = each_in_two(&jobs, Job::run);
    let mut results = Vec::with_capacity(jobs.len());
    let mut heads = Vec::new();
    let mut tails = Vec::new();
    for (job, outcome) in jobs.iter().zip(done) {
        match outcome {
            JobOutcome::Whole(outcome) => results.push((job.id(), outcome)),
            JobOutcome::ModelsHead(head) => heads.push((job, head)),
            JobOutcome::ModelsTail(tail) => tails.push((job.id(), tail)),
        }
    }
    for (job, head) in heads {
        let tail = tails.iter_mut().find(|(id, _)| *id == job.id()).and_then(|(_, tail)| tail.take());
        let outcome = match (head, tail) {
            (Some(head), Some(tail)) => join_models(head, tail),
            _ => None,
        };
        // Anything but two clean halves: the file is read whole, for exactly its diagnostics.
        let outcome = outcome.unwrap_or_else(|| parse_file(job.id(), job.file()));
        results.push((job.id(), outcome));
    }
    results.sort_by_key(|(id, _)| *id);
    results
}

/// A unit of parsing work: a whole file, or one half of a large models.yaml cut at a
/// [`yaml::split_point`].
enum Job<'s> {
    Whole(FileId, &'s SourceFile),
    /// The text before the cut: the `models:` key and the first models.
    ModelsHead(FileId, &'s SourceFile, usize),
    /// The models from the cut on.
    ModelsTail(FileId, &'s SourceFile, usize),
}

/// What a [`Job`] gave. A half is `None` unless it was read without any error (only warnings).
enum JobOutcome {
    Whole(FileOutcome),
    ModelsHead(Option<(ModelsFile, Vec<Diagnostic>)>),
    ModelsTail(Option<(ModelsMap, Vec<Diagnostic>)>),
}

type ModelsMap = indexmap::IndexMap<crate::spec::Spanned<String>, crate::spec::models::ModelSpec>;

impl Job<'_> {
    fn id(&self) -> FileId {
        match *self {
            Job::Whole(id, _) | Job::ModelsHead(id, ..) | Job::ModelsTail(id, ..) => id,
        }
    }

    fn file(&self) -> &SourceFile {
        match *self {
            Job::Whole(_, file) | Job::ModelsHead(_, file, _) | Job::ModelsTail(_, file, _) => file,
        }
    }

    /// Bytes of text to read: the largest go first.
    fn len(&self) -> usize {
        match *self {
            Job::Whole(_, file) => file.text.len(),
            Job::ModelsHead(_, _, at) => at,
            Job::ModelsTail(_, file, at) => file.text.len() - at,
        }
    }

    fn run(&self) -> JobOutcome {
        match *self {
            Job::Whole(id, file) => JobOutcome::Whole(parse_file(id, file)),
            Job::ModelsHead(id, file, at) => {
                JobOutcome::ModelsHead(yaml::parse_head(id, &file.text[..at]).and_then(|doc| clean_half(&doc)))
            }
            Job::ModelsTail(id, file, at) => {
                JobOutcome::ModelsTail(yaml::parse_entries(id, &file.text, at).and_then(|doc| clean_half(&doc)))
            }
        }
    }
}

/// A half deserialized, with its warnings; `None` on any error.
fn clean_half<'n, T: serde::Deserialize<'n>>(doc: &'n yaml::Document<'n>) -> Option<(T, Vec<Diagnostic>)> {
    let soft = RefCell::new(Vec::new());
    let value = yaml::from_node(doc, &soft).ok()?;
    let soft = soft.into_inner();
    (!soft.iter().any(Diagnostic::is_error)).then_some((value, soft))
}

/// models.yaml from its two halves, as reading it whole gives it (the halves' warnings are in
/// file order already); `None` when a model of the tail is also in the head, whose
/// diagnostic reading the whole file gives.
fn join_models(
    (mut head, mut warnings): (ModelsFile, Vec<Diagnostic>),
    (tail, tail_warnings): (ModelsMap, Vec<Diagnostic>),
) -> Option<FileOutcome> {
    if tail.keys().any(|name| head.models.contains_key(name)) {
        return None;
    }
    head.models.extend(tail);
    warnings.extend(tail_warnings);
    Some((Some(ParsedFile::Models(head)), warnings))
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

    /// Parsing on two threads, models.yaml in two halves, gives what parsing on one thread
    /// gives, structs and diagnostics, for the example, every bad fixture (each with its own kind
    /// of error), the benchmark corpus and models files whose halves go wrong in every way
    /// that reading the whole file has to answer for.
    #[test]
    fn parsing_on_two_threads_changes_nothing() {
        let fixtures = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut roots = vec![Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bookshelf")];
        let mut bad: Vec<Utf8PathBuf> =
            fixtures.join("bad").read_dir_utf8().unwrap().map(|entry| entry.unwrap().into_path()).collect();
        bad.sort();
        roots.extend(bad.into_iter().filter(|dir| dir.is_dir()));
        let corpus = crate::test_support::benchmark_corpus(30);
        roots.extend(corpus.iter().map(|dir| Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap()));
        let model = |name: &str| {
            format!("  {name}:\n    # a comment\n    fields:\n      id: {{type: int, readonly: true}}\n      title: string\n")
        };
        let models = |extra_head: &str, extra_tail: &str| {
            let head: String = (0..20).map(|i| model(&format!("Head{i}"))).collect();
            let tail: String = (0..20).map(|i| model(&format!("Tail{i}"))).collect();
            format!("# models\nmodels:\n{head}{extra_head}\n{tail}{extra_tail}")
        };
        let crafted = [
            models("", ""),
            // A model in both halves: the whole file's duplicate-key error.
            models("", &model("Head3")),
            // An unknown key, a wrong type, a root key after the models, a block scalar.
            models("", "  Tail20:\n    fields: {a: int}\n    colour: red\n"),
            models("  Head20:\n    fields: [a, b]\n", ""),
            models("", "extra: 1\n"),
            models("", "  Tail20:\n    description: |\n      two\n      lines\n    fields: {a: int}\n"),
        ];
        let dirs: Vec<(tempfile::TempDir, Utf8PathBuf)> =
            crafted.iter().map(|text| project(&[("shared/spec/models.yaml", text)])).collect();
        roots.extend(dirs.iter().map(|(_, root)| root.clone()));
        let mut compared = 0;
        let mut split = 0;
        for root in roots {
            let Ok(loaded) = load::load(&Input::Root(root.clone())) else { continue };
            let one = format!("{:?}", parse_files(&loaded.sources, usize::MAX, usize::MAX));
            let two = format!("{:?}", parse_files(&loaded.sources, 0, 0));
            assert_eq!(one, two, "{root}");
            compared += 1;
            let models = loaded.sources.iter().find(|(_, f)| f.path == "shared/spec/models.yaml");
            if let Some(at) = models.and_then(|(_, f)| yaml::split_point(&f.text, "models")) {
                let (id, file) = models.unwrap();
                let halves = (Job::ModelsHead(id, file, at).run(), Job::ModelsTail(id, file, at).run());
                if let (JobOutcome::ModelsHead(Some(_)), JobOutcome::ModelsTail(Some(_))) = halves {
                    split += 1;
                }
            }
        }
        assert!(compared > 45, "only {compared} projects loaded");
        // The clean crafted file, the example and the corpus were read in halves.
        assert!(split >= 2 + usize::from(corpus.is_some()), "only {split} models files read in halves");
    }

    #[test]
    fn split_point_cuts_between_entries_of_the_named_map() {
        let text =
            "# c\nmodels:\n  A:\n    fields: {a: int}\n  B: {fields: {b: int}}\n  # c\n  C:\n    fields: {c: int}\n";
        let at = yaml::split_point(text, "models").unwrap();
        assert!(text[at..].starts_with("  C:") || text[at..].starts_with("  B:"), "{:?}", &text[at..]);
        assert_eq!(yaml::split_point("other:\n  A: 1\n  B: 2\n", "models"), None);
        assert_eq!(yaml::split_point("models:\n- A\n- B\n", "models"), None);
        assert_eq!(yaml::split_point("models: {}\n", "models"), None);
        assert_eq!(yaml::split_point("  models:\n    A: 1\n", "models"), None);
        // Nothing to cut after the middle.
        assert_eq!(yaml::split_point("models:\n  A: 1\n", "models"), None);
    }

    /// The projects the two-thread lowerings are checked on: every bad fixture, `extra`, and
    /// the benchmark corpus (when Python can make it; kept alive by the returned directory).
    fn projects(extra: &Utf8PathBuf) -> (Vec<Utf8PathBuf>, Option<tempfile::TempDir>) {
        let corpus = crate::test_support::benchmark_corpus(30);
        let fixtures = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
        let mut roots: Vec<Utf8PathBuf> =
            fixtures.read_dir_utf8().unwrap().map(|entry| entry.unwrap().into_path()).filter(|p| p.is_dir()).collect();
        roots.sort();
        roots.push(extra.clone());
        roots.extend(corpus.iter().map(|dir| Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap()));
        (roots, corpus)
    }

    /// `validate_with` gives the same IR and diagnostics with both thresholds for every project.
    fn assert_same(roots: &[Utf8PathBuf], one: (usize, usize), two: (usize, usize)) {
        let mut compared = 0;
        for root in roots {
            let Ok(loaded) = load::load(&Input::Root(root.clone())) else { continue };
            let serial = format!("{:?}", validate_with(&loaded, one.0, one.1));
            let split = format!("{:?}", validate_with(&loaded, two.0, two.1));
            assert_eq!(serial, split, "{root}");
            compared += 1;
        }
        assert!(compared > 40, "only {compared} projects loaded");
    }

    /// Writes `files` (path, text) under a new temporary directory.
    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap();
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        (dir, root)
    }

    /// Lowering models.yaml on two threads gives what one thread gives, IR and diagnostics, for
    /// the benchmark corpus, every bad fixture, and models whose enums share a name across the
    /// halves (reused with the same values, a conflict with others).
    #[test]
    fn lowering_on_two_threads_changes_nothing() {
        let (_dir, shared_enums) = project(&[(
            "shared/spec/models.yaml",
            "models:\n  A:\n    fields:\n      kind_x: {type: enum, values: [a, b]}\n      kind_y: {type: enum, values: [a, b]}\n  \
             B:\n    fields:\n      n: int\n  AKind:\n    fields:\n      x: {type: enum, values: [a, b]}\n      y: {type: enum, values: [a, c]}\n",
        )]);
        let (roots, _corpus) = projects(&shared_enums);
        assert_same(&roots, (usize::MAX, usize::MAX), (0, usize::MAX));
        // The enums named alike across the halves were seen: one reused, one a conflict.
        let loaded = load::load(&Input::Root(shared_enums)).unwrap();
        let diags = validate_with(&loaded, 0, usize::MAX).unwrap_err();
        assert_eq!(diags.items.iter().map(|d| d.code).collect::<Vec<_>>(), ["E0128"]);
    }

    /// Lowering the domains on two threads gives what one thread gives, IR and diagnostics, for
    /// the benchmark corpus, every bad fixture, and parameters whose enums share a name across
    /// the halves (reused with the same values, a conflict with others).
    #[test]
    fn lowering_domains_on_two_threads_changes_nothing() {
        let enum_params = |op: &str, params: &[(&str, &str)], path: &str| {
            let params: Vec<String> = params
                .iter()
                .map(|(name, values)| format!("{{name: {name}, type: enum, values: [{values}], source: query}}"))
                .collect();
            format!("  {op}:\n    params: [{}]\n    rest: {{method: GET, path: {path}}}\n", params.join(", "))
        };
        let first = ["operations:\n", &enum_params("find", &[("a_kind", "x, y"), ("b_kind", "x, y")], "/a")].concat();
        // `find_a` + `kind` is the enum `FindAKind` too (reused), `find_b` + `kind` is `FindBKind`
        // with other values (a conflict).
        let second = [
            "operations:\n",
            &enum_params("find_a", &[("kind", "x, y")], "/b"),
            &enum_params("find_b", &[("kind", "x, z")], "/c"),
        ]
        .concat();
        let (_dir, shared_enums) = project(&[
            ("shared/spec/models.yaml", "models:\n  A:\n    fields:\n      n: int\n"),
            ("services/svc/spec/first.yaml", &first),
            ("services/svc/spec/second.yaml", &second),
        ]);
        let (roots, _corpus) = projects(&shared_enums);
        assert_same(&roots, (usize::MAX, usize::MAX), (usize::MAX, 0));
        // The enums named alike across the halves were seen: one reused, one a conflict.
        let loaded = load::load(&Input::Root(shared_enums)).unwrap();
        let diags = validate_with(&loaded, usize::MAX, 0).unwrap_err();
        assert_eq!(diags.items.iter().map(|d| d.code).collect::<Vec<_>>(), ["E0128"]);
    }
}
