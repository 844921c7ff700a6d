//! Validate: every semantic rule of the spec format, and lowering of the raw specs to the IR.
//!
//! Two phases. *Parse*: each file becomes a node tree and then its spec struct; every unknown
//! key of every file is reported, plus the first shape error of each file. If any file failed,
//! validation stops there (later rules would only repeat the damage). *Check and lower*: models,
//! then events, then domains, then the fleet; every problem is collected, none stops the others.
//! Invariant: returns an IR only if no error was found; warnings travel with it.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::{Diagnostic, Diagnostics, FileId, Sources};
use crate::ir::{Enum, Ir};
use crate::load::{Loaded, SpecKind};
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
    let parsed = parse_all(loaded)?;
    let mut ctx = Ctx::new(&loaded.sources);
    let options = config::lower(&mut ctx, parsed.config.as_ref());
    let mut ir = Ir { python_version: config::python_version(parsed.config.as_ref()), ..Ir::default() };
    ir.models_file = loaded.names.models.clone();
    ir.events_file = loaded.names.events.clone();
    ir.services_file = loaded.names.services_file.clone();
    if let Some((_, models)) = &parsed.models {
        models::lower(&mut ctx, models, &mut ir);
    }
    if let Some((_, events)) = &parsed.events {
        events::lower(&mut ctx, events, &mut ir);
    }
    fleet::lower(&mut ctx, &parsed, loaded, &mut ir);
    ir.enums = std::mem::take(&mut ctx.enums);
    ir.reindex();
    let diags = std::mem::take(&mut ctx.diags);
    finish(&loaded.sources, diags).map(|warnings| Validated { ir, options, warnings })
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
    /// Every referenceable class name (base models and variant classes).
    pub class_names: BTreeSet<String>,
    /// Enums created so far.
    pub enums: Vec<Enum>,
    /// Index of `Ir::classes` by class name, filled while models are lowered.
    pub class_index: BTreeMap<String, usize>,
    /// Index of `enums` by name.
    pub enum_index: BTreeMap<String, usize>,
    /// Compiled patterns by source text: large specs repeat a few patterns many times, and
    /// compiling is the expensive part of checking them.
    pub regexes: BTreeMap<String, Result<fancy_regex::Regex, String>>,
}

impl<'a> Ctx<'a> {
    fn new(sources: &'a Sources) -> Ctx<'a> {
        Ctx {
            sources,
            diags: Vec::new(),
            class_names: BTreeSet::new(),
            enums: Vec::new(),
            class_index: BTreeMap::new(),
            enum_index: BTreeMap::new(),
            regexes: BTreeMap::new(),
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
        self.regexes
            .entry(pattern.to_string())
            .or_insert_with(|| fancy_regex::Regex::new(pattern).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
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
    for (id, file) in loaded.sources.iter() {
        let kind = crate::load::classify(&file.path).expect("loaded files are classified");
        if kind == SpecKind::Config {
            match config::parse(id, &file.text) {
                Ok(c) => parsed.config = Some((id, c)),
                Err(d) => diags.push(d),
            }
            continue;
        }
        let node = match yaml::parse(id, &file.text) {
            Ok(node) => node,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let soft = RefCell::new(Vec::new());
        match kind {
            SpecKind::Config => unreachable!("handled above"),
            SpecKind::Services => parsed.services = deserialize(&node, &soft, &mut diags).map(|s| (id, s)),
            SpecKind::Models => parsed.models = deserialize(&node, &soft, &mut diags).map(|s| (id, s)),
            SpecKind::Events => parsed.events = deserialize(&node, &soft, &mut diags).map(|s| (id, s)),
            SpecKind::Domain { service, domain } => {
                if let Some(spec) = deserialize(&node, &soft, &mut diags) {
                    parsed.domains.push((service, domain, id, spec));
                }
            }
            SpecKind::Manifest { service } => {
                if let Some(spec) = deserialize(&node, &soft, &mut diags) {
                    parsed.manifests.push((service, id, spec));
                }
            }
        }
        diags.extend(soft.into_inner());
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

/// Deserializes a whole file; a file that is empty or `null` reads as an empty map.
fn deserialize<'n, T: serde::Deserialize<'n>>(
    node: &'n yaml::Node,
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
