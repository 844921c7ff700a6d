//! Load: find the spec files and read them into [`Sources`].
//!
//! Two modes ([`Input`]): a project root walked in sorted order, or an explicit list of files
//! relative to a root (the hermetic mode of Bazel and Nix: nothing else is read). Either way the
//! result depends only on the files' paths and bytes, never on discovery order.
//! This module reads files but knows nothing of their content beyond "is it UTF-8".

use std::collections::BTreeMap;
use std::io::Read as _;

use camino::{Utf8Path, Utf8PathBuf};

use crate::diagnostics::{Diagnostic, Diagnostics, FileId, Sources, Span};
use crate::parallel::each_in_two;

/// Files larger than this are rejected before parsing: specs are small, and this bounds memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Where the specs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Walk the project root: `services.yml`, `specgen.toml`, `shared/spec/*.yaml`,
    /// `services/*/spec/*.yaml`.
    Root(Utf8PathBuf),
    /// Exactly these files, given relative to `root` (or absolute below it).
    Files {
        /// The project root the files are relative to.
        root: Utf8PathBuf,
        /// The files.
        files: Vec<Utf8PathBuf>,
    },
}

/// The kind of a spec file, known from its path alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpecKind {
    /// `specgen.toml`
    Config,
    /// `services.yml`
    Services,
    /// `shared/spec/models.yaml`
    Models,
    /// `shared/spec/events.yaml`
    Events,
    /// `services/<svc>/spec/manifest.yaml`
    Manifest {
        /// The service.
        service: String,
    },
    /// `services/<svc>/spec/<domain>.yaml`
    Domain {
        /// The service.
        service: String,
        /// The domain (file stem).
        domain: String,
    },
}

/// The input files by kind: all that `specgen outputs` needs (output paths are a function of
/// these names only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputNames {
    /// `specgen.toml`, if given.
    pub config: Option<Utf8PathBuf>,
    /// `services.yml`, if given.
    pub services_file: Option<Utf8PathBuf>,
    /// `shared/spec/models.yaml`, if given.
    pub models: Option<Utf8PathBuf>,
    /// `shared/spec/events.yaml`, if given.
    pub events: Option<Utf8PathBuf>,
    /// Services that have a `spec/` directory with at least one file, by name.
    pub services: BTreeMap<String, ServiceFiles>,
}

/// The spec files of one service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFiles {
    /// Domain files by domain name.
    pub domains: BTreeMap<String, Utf8PathBuf>,
    /// `manifest.yaml`, if given.
    pub manifest: Option<Utf8PathBuf>,
}

impl InputNames {
    /// Every input path, sorted.
    pub fn all_paths(&self) -> Vec<Utf8PathBuf> {
        let mut paths: Vec<Utf8PathBuf> =
            [&self.config, &self.services_file, &self.models, &self.events].into_iter().flatten().cloned().collect();
        for svc in self.services.values() {
            paths.extend(svc.domains.values().cloned());
            paths.extend(svc.manifest.clone());
        }
        paths.sort();
        paths
    }
}

/// Checks that a name is a snake_case identifier (`^[a-z][a-z0-9_]*$`), the rule for service
/// directories and domain stems, which also keeps every output path inside the output root.
pub fn is_snake_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z')) && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Classifies a root-relative path; `Err` says why it is not a spec file.
pub fn classify(path: &Utf8Path) -> Result<SpecKind, String> {
    let parts: Vec<&str> = path.as_str().split('/').collect();
    match parts.as_slice() {
        ["specgen.toml"] => Ok(SpecKind::Config),
        ["services.yml"] => Ok(SpecKind::Services),
        ["shared", "spec", "models.yaml"] => Ok(SpecKind::Models),
        ["shared", "spec", "events.yaml"] => Ok(SpecKind::Events),
        ["services", service, "spec", file] => {
            let Some(stem) = file.strip_suffix(".yaml") else {
                return Err(format!("`{file}` is not a `.yaml` file"));
            };
            if !is_snake_identifier(service) {
                return Err(format!("service directory `{service}` is not a snake_case identifier (^[a-z][a-z0-9_]*$)"));
            }
            if stem == "manifest" {
                return Ok(SpecKind::Manifest { service: service.to_string() });
            }
            if !is_snake_identifier(stem) {
                return Err(format!("domain file stem `{stem}` is not a snake_case identifier (^[a-z][a-z0-9_]*$)"));
            }
            Ok(SpecKind::Domain { service: service.to_string(), domain: stem.to_string() })
        }
        _ => Err("not a spec file: expected services.yml, specgen.toml, shared/spec/models.yaml, shared/spec/events.yaml or services/<svc>/spec/<domain>.yaml".into()),
    }
}

/// Builds [`InputNames`] from root-relative paths. Errors name each path that is not a spec file.
pub fn names_of(paths: &[Utf8PathBuf]) -> Result<InputNames, Vec<String>> {
    let mut names = InputNames::default();
    let mut errors = Vec::new();
    for path in paths {
        match classify(path) {
            Ok(SpecKind::Config) => names.config = Some(path.clone()),
            Ok(SpecKind::Services) => names.services_file = Some(path.clone()),
            Ok(SpecKind::Models) => names.models = Some(path.clone()),
            Ok(SpecKind::Events) => names.events = Some(path.clone()),
            Ok(SpecKind::Manifest { service }) => {
                names.services.entry(service).or_default().manifest = Some(path.clone())
            }
            Ok(SpecKind::Domain { service, domain }) => {
                names.services.entry(service).or_default().domains.insert(domain, path.clone());
            }
            Err(why) => errors.push(format!("{path}: {why}")),
        }
    }
    if errors.is_empty() {
        Ok(names)
    } else {
        Err(errors)
    }
}

/// The loaded input: every spec file's text, and the names by kind.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The files' texts.
    pub sources: Sources,
    /// The files by kind.
    pub names: InputNames,
    /// The project root (for messages only; never rendered into outputs).
    pub root: Utf8PathBuf,
}

impl Loaded {
    /// The id of a loaded file.
    pub fn file(&self, path: &Utf8Path) -> Option<FileId> {
        self.sources.find(path)
    }
}

/// Finds the spec files without reading them: the root and the root-relative paths, sorted.
pub fn discover(input: &Input) -> Result<(Utf8PathBuf, InputNames), Diagnostics> {
    let (root, mut relative) = match input {
        Input::Root(root) => (root.clone(), walk(root).map_err(only)?),
        Input::Files { root, files } => (root.clone(), relativize(root, files)?),
    };
    relative.sort();
    relative.dedup();
    let names = names_of(&relative).map_err(|errors| Diagnostics {
        sources: Sources::default(),
        items: errors
            .into_iter()
            .map(|e| {
                no_span_error(
                    "E0004",
                    e,
                    "service directories and domain files have snake_case names; spec/ holds only `.yaml` specs (see `specgen --help` for the layout)",
                )
            })
            .collect(),
    })?;
    Ok((root, names))
}

/// Finds and reads the spec files.
pub fn load(input: &Input) -> Result<Loaded, Diagnostics> {
    let (root, names) = discover(input)?;
    let relative = names.all_paths();
    let mut loaded = Loaded { sources: Sources::default(), names, root: root.clone() };
    let mut problems = Vec::new();
    // Read on two threads when there are many files (a large project has a domain file per
    // resource group); added in path order whatever the threads' order.
    let read = |path: &Utf8PathBuf| read_text(&root.join(path));
    let texts = if relative.len() >= PARALLEL_READS {
        each_in_two(&relative, read)
    } else {
        relative.iter().map(read).collect()
    };
    for (path, text) in relative.iter().zip(texts) {
        match text {
            Ok(text) => {
                loaded.sources.add(path.clone(), text);
            }
            Err(ReadError::Io(e)) => problems.push(no_span_error(
                "E0005",
                format!("cannot read `{path}`: {e}"),
                "check that the file exists and is readable",
            )),
            Err(ReadError::TooLarge(n)) => problems.push(no_span_error(
                "E0006",
                format!("`{path}` is {n} bytes; spec files are limited to {MAX_FILE_BYTES} bytes"),
                "split the spec into several domain files",
            )),
            Err(ReadError::NotUtf8 { text, valid_up_to }) => {
                let id = loaded.sources.add(path.clone(), text);
                problems.push(
                    Diagnostic::error(
                        "E0007",
                        format!("`{path}` is not valid UTF-8"),
                        Span::new(id, valid_up_to..valid_up_to + 1),
                        "invalid byte here",
                    )
                    .with_help("save the file as UTF-8"),
                );
            }
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(Diagnostics { sources: loaded.sources, items: problems })
    }
}

fn only(d: Diagnostic) -> Diagnostics {
    Diagnostics { sources: Sources::default(), items: vec![d] }
}

/// A diagnostic about something that is not inside a file (a path, an argument).
pub(crate) fn no_span_error(code: &'static str, message: String, help: &str) -> Diagnostic {
    Diagnostic {
        code,
        severity: crate::Severity::Error,
        message,
        labels: Vec::new(),
        help: Some(help.to_string()),
        notes: Vec::new(),
    }
}

/// From this many spec files on, [`load`] reads them on two threads.
const PARALLEL_READS: usize = 32;

enum ReadError {
    Io(std::io::Error),
    TooLarge(u64),
    NotUtf8 { text: String, valid_up_to: usize },
}

fn read_text(path: &Utf8Path) -> Result<String, ReadError> {
    // The size is checked on the open file, which is then read in one call and a last one that
    // finds its end: five system calls a file (`fs::read` after a `metadata` takes six, and
    // reading through `take` alone more), each a few microseconds here, where a large project
    // has hundreds of files.
    let mut file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let len = file.metadata().map_err(ReadError::Io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge(len));
    }
    let mut bytes = vec![0; len as usize];
    // Fewer bytes when it is shorter than it was a moment ago.
    let filled = fill(&mut file, &mut bytes).map_err(ReadError::Io)?;
    bytes.truncate(filled);
    // Longer than it was: read on, to one byte past the limit at most.
    file.take(MAX_FILE_BYTES + 1 - filled as u64).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    // Why strip a BOM: some Windows editors add one; it is not part of the YAML.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").map(<[u8]>::to_vec).unwrap_or(bytes);
    String::from_utf8(bytes).map_err(|e| {
        let valid_up_to = e.utf8_error().valid_up_to();
        ReadError::NotUtf8 { text: String::from_utf8_lossy(e.as_bytes()).into_owned(), valid_up_to }
    })
}

/// Reads into `buffer` until it is full or the file ends; how many bytes were read.
pub(crate) fn fill(file: &mut impl std::io::Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Lists the spec files under `root`, relative to it. Sorted by the caller.
fn walk(root: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Diagnostic> {
    if !root.is_dir() {
        return Err(no_span_error(
            "E0008",
            format!("project root `{root}` is not a directory"),
            "run specgen from the project root or pass `--root DIR`",
        ));
    }
    let mut found = Vec::new();
    for name in ["specgen.toml", "services.yml", "shared/spec/models.yaml", "shared/spec/events.yaml"] {
        if root.join(name).is_file() {
            found.push(Utf8PathBuf::from(name));
        }
    }
    let services = root.join("services");
    for service in sorted_dir(&services) {
        let spec_dir = services.join(&service).join("spec");
        for file in sorted_files(&spec_dir) {
            if file.ends_with(".yaml") {
                found.push(Utf8PathBuf::from(format!("services/{service}/spec/{file}")));
            }
        }
    }
    Ok(found)
}

/// Entry names of a directory, sorted; empty if it does not exist. Non-UTF-8 names are skipped
/// (they cannot be spec files).
fn sorted_dir(dir: &Utf8Path) -> Vec<String> {
    sorted_names(dir, |_| true)
}

/// The names of the files (or links to files) in a directory, as [`sorted_dir`]. The kind of
/// an entry comes with the directory listing on most file systems: only a link costs a `stat`.
fn sorted_files(dir: &Utf8Path) -> Vec<String> {
    sorted_names(dir, |entry| match entry.file_type() {
        Ok(kind) if kind.is_symlink() => entry.path().is_file(),
        Ok(kind) => kind.is_file(),
        Err(_) => false,
    })
}

fn sorted_names(dir: &Utf8Path, keep: impl Fn(&std::fs::DirEntry) -> bool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            keep(&e).then(|| e.file_name().into_string().ok()).flatten()
        })
        .collect();
    names.sort();
    names
}

/// Makes explicit file arguments root-relative and `/`-separated; rejects paths outside the root.
fn relativize(root: &Utf8Path, files: &[Utf8PathBuf]) -> Result<Vec<Utf8PathBuf>, Diagnostics> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let rel = if file.is_absolute() {
            match file.strip_prefix(root) {
                Ok(rel) => rel.to_path_buf(),
                Err(_) => {
                    problems.push(no_span_error(
                        "E0009",
                        format!("`{file}` is not below the project root `{root}`"),
                        "pass files relative to --root",
                    ));
                    continue;
                }
            }
        } else {
            file.clone()
        };
        let normal: Vec<&str> = rel.as_str().split(['/', '\\']).filter(|c| !c.is_empty() && *c != ".").collect();
        if normal.contains(&"..") {
            problems.push(no_span_error(
                "E0009",
                format!("`{file}` leaves the project root"),
                "pass files relative to --root, without `..`",
            ));
            continue;
        }
        out.push(Utf8PathBuf::from(normal.join("/")));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Diagnostics { sources: Sources::default(), items: problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project of `files` domain files (read on two threads from [`PARALLEL_READS`] on);
    /// those whose number is in `latin1` hold a Latin-1 byte.
    fn project(files: usize, latin1: &[usize]) -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).unwrap();
        std::fs::create_dir_all(root.join("services/svc/spec")).unwrap();
        for i in 0..files {
            let mut text = format!("operations:\n  op_{i}:\n    summary: \"file {i}\"\n").into_bytes();
            if latin1.contains(&i) {
                text.extend_from_slice(b"# caf\xE9\n");
            }
            std::fs::write(root.join(format!("services/svc/spec/d{i:03}.yaml")), text).unwrap();
        }
        (dir, root)
    }

    #[test]
    fn many_files_are_read_in_path_order() {
        let files = PARALLEL_READS + 9;
        let (_dir, root) = project(files, &[]);
        let loaded = load(&Input::Root(root)).unwrap();
        let read: Vec<(String, String)> =
            loaded.sources.iter().map(|(_, f)| (f.path.to_string(), f.text.clone())).collect();
        let expected: Vec<(String, String)> = (0..files)
            .map(|i| {
                (
                    format!("services/svc/spec/d{i:03}.yaml"),
                    format!("operations:\n  op_{i}:\n    summary: \"file {i}\"\n"),
                )
            })
            .collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn read_errors_of_many_files_are_reported_in_path_order() {
        let (_dir, root) = project(PARALLEL_READS + 9, &[PARALLEL_READS + 5, 3]);
        let diags = load(&Input::Root(root)).unwrap_err();
        let reported: Vec<(&str, &str)> = diags
            .items
            .iter()
            .map(|d| (d.code, diags.sources.get(d.primary_span().unwrap().file).path.as_str()))
            .collect();
        let late = format!("services/svc/spec/d{:03}.yaml", PARALLEL_READS + 5);
        assert_eq!(reported, [("E0007", "services/svc/spec/d003.yaml"), ("E0007", late.as_str())]);
    }

    /// Discovery takes a domain file, or a link to one, by its listing; it skips directories
    /// and links that lead nowhere or to a directory. Reading keeps the text exact (a BOM
    /// dropped, an empty file empty) and refuses a file over the limit without reading it.
    #[test]
    fn spec_files_are_found_by_kind_and_read_whole() {
        let (_dir, root) = project(2, &[]);
        let spec = root.join("services/svc/spec");
        std::fs::create_dir(spec.join("folder.yaml")).unwrap();
        std::os::unix::fs::symlink(spec.join("d000.yaml"), spec.join("linked.yaml")).unwrap();
        std::os::unix::fs::symlink(spec.join("missing.yaml"), spec.join("dangling.yaml")).unwrap();
        std::os::unix::fs::symlink(spec.join("folder.yaml"), spec.join("to_folder.yaml")).unwrap();
        std::fs::write(spec.join("empty.yaml"), "").unwrap();
        std::fs::write(spec.join("bom.yaml"), "\u{feff}operations: {}\n").unwrap();
        let loaded = load(&Input::Root(root.clone())).unwrap();
        let read: Vec<(&str, &str)> = loaded.sources.iter().map(|(_, f)| (f.path.as_str(), f.text.as_str())).collect();
        let first = "operations:\n  op_0:\n    summary: \"file 0\"\n";
        assert_eq!(
            read,
            [
                ("services/svc/spec/bom.yaml", "operations: {}\n"),
                ("services/svc/spec/d000.yaml", first),
                ("services/svc/spec/d001.yaml", "operations:\n  op_1:\n    summary: \"file 1\"\n"),
                ("services/svc/spec/empty.yaml", ""),
                ("services/svc/spec/linked.yaml", first),
            ]
        );

        let large = std::fs::File::create(spec.join("large.yaml")).unwrap();
        large.set_len(MAX_FILE_BYTES + 1).unwrap();
        let diags = load(&Input::Root(root)).unwrap_err();
        let codes: Vec<&str> = diags.items.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["E0006"]);
        assert!(diags.items[0].message.contains("large.yaml"), "{}", diags.items[0].message);
    }
}
