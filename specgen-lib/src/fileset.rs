//! The FileSet: what a run produces, as relative path → bytes, before anything touches disk.
//!
//! Targets return FileSets; [`crate::output`] writes or checks them. Paths are relative,
//! `/`-separated and never contain `..` (checked on insert), so nothing can escape the output root.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

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
    files: BTreeMap<PathKey, OutputFile>,
}

/// A path as a key of [`FileSet`]: in the order of `Utf8Path` (component by component), found
/// by comparing bytes with `/` ranked below every other byte. For the normal relative paths a
/// FileSet holds (checked on insert) the two orders are the same, and comparing bytes does not
/// split both paths into components at every step of a lookup.
#[derive(Clone, PartialEq, Eq)]
struct PathKey(Utf8PathBuf);

impl Ord for PathKey {
    fn cmp(&self, other: &PathKey) -> Ordering {
        let rank = |byte: u8| if byte == b'/' { 0 } else { byte };
        let (a, b) = (self.0.as_str().as_bytes(), other.0.as_str().as_bytes());
        match a.iter().zip(b).position(|(x, y)| x != y) {
            Some(at) => rank(a[at]).cmp(&rank(b[at])),
            None => a.len().cmp(&b.len()),
        }
    }
}

impl PartialOrd for PathKey {
    fn partial_cmp(&self, other: &PathKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for PathKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
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
        match self.files.entry(PathKey(path)) {
            std::collections::btree_map::Entry::Vacant(entry) => {
                entry.insert(OutputFile { kind, bytes });
            }
            std::collections::btree_map::Entry::Occupied(entry) => {
                panic!("internal error: two targets produce {}", entry.key().0)
            }
        }
    }

    /// Moves every file of `other` into `self`.
    pub fn extend(&mut self, other: FileSet) {
        for (path, file) in other.files {
            self.insert(path.0, file.kind, file.bytes);
        }
    }

    /// Files sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&Utf8Path, &OutputFile)> {
        self.files.iter().map(|(p, f)| (p.0.as_path(), f))
    }

    /// The file at `path`.
    pub fn get(&self, path: &str) -> Option<&OutputFile> {
        self.files.get(&PathKey(Utf8PathBuf::from(path)))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The FileSet is sorted as paths sort (component by component), although its keys compare
    /// bytes: checked on paths whose components are prefixes of each other and contain bytes
    /// below `/` (`-`, `.`).
    #[test]
    fn files_are_in_path_order() {
        let mut state = 0x2545_f491_u32;
        let mut next = move |n: u32| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state % n
        };
        let mut paths: Vec<Utf8PathBuf> = Vec::new();
        while paths.len() < 400 {
            let components: Vec<String> = (0..1 + next(3))
                .map(|_| (0..1 + next(3)).map(|_| ["a", "b", "-", ".", "_"][next(5) as usize]).collect())
                .collect();
            let path = Utf8PathBuf::from(components.join("/"));
            if is_safe_relative(&path) && !paths.contains(&path) {
                paths.push(path);
            }
        }
        let mut files = FileSet::new();
        for path in &paths {
            files.generated(path.clone(), Vec::new());
        }
        paths.sort();
        let order: Vec<&Utf8Path> = files.iter().map(|(path, _)| path).collect();
        assert_eq!(order, paths.iter().map(|p| p.as_path()).collect::<Vec<_>>());
        assert!(files.get("a/b").is_some() == paths.iter().any(|p| p == "a/b"));
    }
}
