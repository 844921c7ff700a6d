//! The FileSet: what a run produces, as relative path → bytes, before anything touches disk.
//!
//! Targets return FileSets; [`crate::output`] writes or checks them. Paths are relative,
//! `/`-separated and never contain `..` (checked on insert), so nothing can escape the output root.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

/// Whether specgen owns a file or hands it to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// Owned by specgen: rewritten when its bytes change, removed when no longer produced.
    Generated,
    /// Written once if absent, then the user's: never overwritten, never deleted.
    Scaffold,
}

/// One file of a [`FileSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Generated or scaffold.
    pub kind: FileKind,
    /// Exact bytes to write.
    pub bytes: Vec<u8>,
}

/// Relative path → file, sorted by path (a BTreeMap, so iteration order never depends on the
/// order targets inserted files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSet {
    files: BTreeMap<Utf8PathBuf, OutputFile>,
}

impl FileSet {
    /// An empty set.
    pub fn new() -> FileSet {
        FileSet::default()
    }

    /// Adds a generated file. Panics on an unsafe path: paths come from validated names, so an
    /// unsafe one is a bug in specgen, not bad input.
    pub fn generated(&mut self, path: impl Into<Utf8PathBuf>, bytes: impl Into<Vec<u8>>) {
        self.insert(path.into(), FileKind::Generated, bytes.into());
    }

    /// Adds a scaffold (written only if absent).
    pub fn scaffold(&mut self, path: impl Into<Utf8PathBuf>, bytes: impl Into<Vec<u8>>) {
        self.insert(path.into(), FileKind::Scaffold, bytes.into());
    }

    fn insert(&mut self, path: Utf8PathBuf, kind: FileKind, bytes: Vec<u8>) {
        assert!(is_safe_relative(&path), "internal error: unsafe output path {path}");
        let previous = self.files.insert(path.clone(), OutputFile { kind, bytes });
        assert!(previous.is_none(), "internal error: two targets produce {path}");
    }

    /// Moves every file of `other` into `self`.
    pub fn extend(&mut self, other: FileSet) {
        for (path, file) in other.files {
            self.insert(path, file.kind, file.bytes);
        }
    }

    /// Files sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&Utf8Path, &OutputFile)> {
        self.files.iter().map(|(p, f)| (p.as_path(), f))
    }

    /// The file at `path`.
    pub fn get(&self, path: &str) -> Option<&OutputFile> {
        self.files.get(Utf8Path::new(path))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// True for a non-empty relative path of normal components (no `..`, no `.`, no root, no
/// backslashes, no empty components).
pub fn is_safe_relative(path: &Utf8Path) -> bool {
    let s = path.as_str();
    !s.is_empty()
        && !s.starts_with('/')
        && !s.contains('\\')
        && s.split('/').all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains(':'))
}
