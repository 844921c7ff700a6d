//! YAML behind one small module: parse text into a span-carrying [`Node`] tree straight from
//! granit-parser's event stream, then deserialize spec structs from that tree with [`from_node`].
//!
//! Files in the plain block style that spec files are written in take a fast path first: a small
//! hand-written parser (`fast.rs`) that builds the same tree, spans included, several times
//! cheaper. Anything else, and every error, goes through granit-parser.
//!
//! Why a tree in between: serde's derived code stops at the first error. Going through our own
//! deserializer lets us report *every* unknown key of a file (with "did you mean"), attach a
//! precise span to every error, accept only real booleans, and give [`Spanned`] values their
//! byte range.
//!
//! What [`parse`] accepts:
//! - One document per file (an empty file, or one with only comments, is a null node).
//! - Plain scalars resolve by the YAML 1.2 core schema: `null`/`~`/empty, `true`/`false` (also
//!   `True`, `FALSE`…), integers (decimal, `0o` octal, `0x` hex; must fit in 64 bits), floats
//!   (`1.5`, `-2e3`, `.inf`, `.nan`…); everything else, `yes`/`no`/`on`/`off` included, is a
//!   string. Quoted and block scalars are always strings.
//! - Tags: the core tags `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` on scalars (the value
//!   must fit the tag), `!!seq`/`!!map` on collections and the non-specific `!` (a string).
//!   Any other tag is an error: spec files are plain data, and silently ignoring a tag would
//!   hide a misunderstanding.
//! - Anchors and aliases: an alias is a copy of the anchored node (whose top span is the
//!   alias). Merge keys (`<<: *base`, `<<: [*a, *b]`) copy the entries of the merged maps that
//!   the map does not set itself, after its own entries; earlier sources win over later ones.
//! - Duplicate keys (compared after scalar resolution, so `1` and `0x1` collide, `1` and `"1"`
//!   do not) are errors; keys coming from merges are not checked.
//!
//! Spans are byte ranges: a scalar's whole token (quotes included; a block scalar's content
//! lines), a collection's start token (`[` or `{`, empty at the first entry for block style).
//!
//! Hostile input stays cheap: collections nest at most [`MAX_DEPTH`] levels (aliases included),
//! at most [`MAX_ALIASES`] aliases are followed, and the tree (alias copies included) holds at
//! most [`MAX_NODES`] nodes and [`MAX_SCALAR_BYTES`] bytes of scalar text. The first pass keeps
//! aliases as references and adds up the size of what they would copy, so an alias bomb is
//! rejected in time and memory proportional to the file, before anything is copied.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use granit_parser::{ErrorKind, Event, Parser, ScalarStyle, ScanError, StructureStyle, Tag, TryLoadError};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::diagnostics::{did_you_mean, Diagnostic, FileId, Span};

mod fast;

/// A parsed YAML node with its byte span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'t> {
    pub kind: NodeKind<'t>,
    pub span: Span,
}

/// The shapes a YAML node can take after tag resolution (YAML 1.2 core schema). Strings borrow
/// from the parsed text when they are written there as they are (no escapes, no folding): most
/// scalars of a spec file are, and copying each one was a large part of parsing. A
/// collection's children are a range of its [`Document`]'s nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind<'t> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'t, str>),
    /// `len` items from `start`.
    Seq {
        start: u32,
        len: u32,
    },
    /// `len` entries from `start`, each a key node followed by its value node.
    Map {
        start: u32,
        len: u32,
    },
}

/// A parsed file: its root and, in one vector, the children of every collection (each
/// collection's together). Why not a vector per collection: building and freeing tens of
/// thousands of small vectors was a large part of reading a big project.
#[derive(Clone)]
pub struct Document<'t> {
    pub root: Node<'t>,
    nodes: Vec<Node<'t>>,
}

impl<'t> Document<'t> {
    /// The document of `root`, the children of its collections in `nodes`.
    fn new(root: Node<'t>, nodes: Vec<Node<'t>>) -> Self {
        Document { root, nodes }
    }

    /// The items of a sequence (none for anything else).
    pub fn items(&self, node: &Node<'t>) -> &[Node<'t>] {
        match node.kind {
            NodeKind::Seq { start, len } => &self.nodes[start as usize..(start + len) as usize],
            _ => &[],
        }
    }

    /// The keys and values of a map, alternating (none for anything else).
    pub fn entries(&self, node: &Node<'t>) -> &[Node<'t>] {
        match node.kind {
            NodeKind::Map { start, len } => &self.nodes[start as usize..(start + 2 * len) as usize],
            _ => &[],
        }
    }
}

/// Prints the tree, children inside their collections, whatever the order of `nodes`.
impl fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Tree<'d, 't>(&'d Document<'t>, &'d Node<'t>);
        impl fmt::Debug for Tree<'_, '_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let Tree(doc, node) = *self;
                match &node.kind {
                    NodeKind::Seq { .. } => {
                        let items = doc.items(node).iter().map(|item| Tree(doc, item));
                        f.debug_struct("Seq")
                            .field("span", &node.span)
                            .field("items", &items.collect::<Vec<_>>())
                            .finish()
                    }
                    NodeKind::Map { .. } => {
                        let entries =
                            doc.entries(node).chunks_exact(2).map(|kv| (Tree(doc, &kv[0]), Tree(doc, &kv[1])));
                        f.debug_struct("Map")
                            .field("span", &node.span)
                            .field("entries", &entries.collect::<Vec<_>>())
                            .finish()
                    }
                    _ => node.fmt(f),
                }
            }
        }
        Tree(self, &self.root).fmt(f)
    }
}

impl NodeKind<'_> {
    /// "a string", "a map"… for messages.
    pub fn describe(&self) -> String {
        match self {
            NodeKind::Null => "null".into(),
            NodeKind::Bool(b) => format!("the boolean `{b}`"),
            NodeKind::Int(i) => format!("the integer `{i}`"),
            NodeKind::Float(f) => format!("the number `{f}`"),
            NodeKind::Str(s) => format!("the string `{}`", abbreviate(s)),
            NodeKind::Seq { .. } => "a list".into(),
            NodeKind::Map { .. } => "a map".into(),
        }
    }
}

fn abbreviate(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.chars().count() > 40 {
        format!("{}…", one_line.chars().take(40).collect::<String>())
    } else {
        one_line
    }
}

/// Deepest nesting of collections (sequences and maps, alias copies included).
pub const MAX_DEPTH: usize = 64;
/// Most nodes in one file's tree, every alias copy counted in full. A file of `load`'s maximum
/// size without aliases stays far below.
pub const MAX_NODES: usize = 10_000_000;
/// Most aliases in one file.
pub const MAX_ALIASES: usize = 100_000;
/// Most bytes of scalar text in one file's tree, counted like [`MAX_NODES`] (or twice the file
/// size, if larger, so that a file without aliases never hits it).
pub const MAX_SCALAR_BYTES: usize = 64 << 20;

const BUDGET_HELP: &str =
    "specgen bounds aliases, nesting depth and events to keep hostile input cheap; flatten the file";
const DUPLICATE_HELP: &str = "each key may appear once in a map; remove or rename one";

/// Parses `text` (one YAML document, BOM already stripped) into a [`Document`]: on the fast path
/// when it can, else (and for every error) with granit-parser.
pub fn parse(file: FileId, text: &str) -> Result<Document<'_>, Diagnostic> {
    match fast::parse(file, text) {
        Some(doc) => Ok(doc),
        None => parse_with(file, text, LIMITS),
    }
}

/// Where `text` can be cut in two to be read on two threads ([`parse_head`] before the cut,
/// [`parse_entries`] from it), near its middle: `text` must be a root map with only `key`,
/// holding a block map (models.yaml's `models:`), and the cut is the start of the line of one
/// of that map's keys. `None` for any other shape, and when no key follows the middle.
///
/// Only the layout of lines is looked at: whatever else is wrong (or outside the fast path)
/// makes one of the halves fail, and the caller then reads the file whole.
pub(crate) fn split_point(text: &str, key: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let line_end = |at: usize| bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| at + i);
    let content = |start: usize, end: usize| {
        let line = &text[start..end];
        let body = line.trim_start_matches(' ');
        (!body.is_empty() && !body.starts_with('#')).then_some((line.len() - body.len(), body))
    };
    // The first content line: `key:` in column 0, nothing after it but a comment.
    let mut at = 0;
    let mut entry_indent = None;
    while at < bytes.len() {
        let end = line_end(at);
        if let Some((indent, body)) = content(at, end) {
            match entry_indent {
                None => {
                    let after = body.strip_prefix(key)?.strip_prefix(':')?.trim_start_matches(' ');
                    if indent != 0 || !(after.is_empty() || after.starts_with('#')) {
                        return None;
                    }
                    entry_indent = Some(0);
                }
                // The first entry of the inner map gives its indentation.
                Some(_) => {
                    if indent == 0 || body.starts_with('-') {
                        return None;
                    }
                    entry_indent = Some(indent);
                    break;
                }
            }
        }
        at = end + 1;
    }
    let indent = entry_indent.filter(|&indent| indent > 0)?;
    // The first line after the middle holding a key at that indentation.
    let mut line = bytes[bytes.len() / 2..].iter().position(|&b| b == b'\n').map(|i| bytes.len() / 2 + i + 1)?;
    line = line.max(line_end(at) + 1);
    while line < bytes.len() {
        let end = line_end(line);
        if let Some((found, body)) = content(line, end) {
            if found == indent && !body.starts_with('-') {
                return Some(line);
            }
        }
        line = end + 1;
    }
    None
}

/// The part of a file before a [`split_point`] (a whole document itself), on the fast path
/// only: `None` when that path does not take it.
pub(crate) fn parse_head(file: FileId, text: &str) -> Option<Document<'_>> {
    fast::parse(file, text)
}

/// The part of a file from a [`split_point`] on: the entries of the map the split is in, as a
/// document whose root is a map of them, with the spans of the whole file. Fast path only:
/// `None` when it does not take them.
pub(crate) fn parse_entries(file: FileId, text: &str, start: usize) -> Option<Document<'_>> {
    fast::parse_map_entries(file, text, start)
}

/// The bounds on one file (smaller ones in tests).
#[derive(Debug, Clone, Copy)]
struct Limits {
    depth: usize,
    nodes: usize,
    aliases: usize,
    bytes: usize,
}

const LIMITS: Limits = Limits { depth: MAX_DEPTH, nodes: MAX_NODES, aliases: MAX_ALIASES, bytes: MAX_SCALAR_BYTES };

/// Two passes: the parser's events go into a flat arena (aliases stay references, while sizes
/// and depths are added up), and only a document within the limits becomes a [`Document`].
fn parse_with(file: FileId, text: &str, limits: Limits) -> Result<Document<'_>, Diagnostic> {
    let options = granit_parser::options! {
        emit_comments: false,
        emit_unresolved_aliases: true,
        flow_nesting_limit: limits.depth,
        block_nesting_limit: limits.depth,
    };
    let mut builder = Builder::new(file, text, limits);
    match Parser::new_from_str_with_options(text, options).try_load(&mut builder, true) {
        Ok(()) => {}
        Err(TryLoadError::Receiver(d)) => return Err(*d),
        Err(TryLoadError::Scan(e)) => return Err(builder.scan_error(&e)),
    }
    let mut nodes = Vec::with_capacity(builder.arena.raws.len());
    let root = match builder.root {
        Some(root) => builder.arena.build(root, false, &mut nodes),
        None => Node { kind: NodeKind::Null, span: Span::new(file, 0..0) },
    };
    Ok(Document::new(root, nodes))
}

/// One node of the first pass. Collections point into [`Arena::children`].
struct Raw<'t> {
    kind: RawKind<'t>,
    span: Span,
    /// Aliases refer to it: its scalars are copied, not moved, into the tree.
    shared: bool,
}

enum RawKind<'t> {
    /// Never `Seq` or `Map`.
    Scalar(NodeKind<'t>),
    /// `len` nodes from `start`.
    Seq { start: u32, len: u32 },
    /// `len` key-value pairs from `start`, then `merges` values of merge keys `<<`.
    Map { start: u32, len: u32, merges: u32 },
    /// A copy of the (anchored) node at this index.
    Alias(u32),
}

#[derive(Default)]
struct Arena<'t> {
    raws: Vec<Raw<'t>>,
    children: Vec<u32>,
}

impl<'t> Arena<'t> {
    /// The node an index stands for, aliases followed (an anchored node is never an alias).
    fn target(&self, index: u32) -> &Raw<'t> {
        match self.raws[index as usize].kind {
            RawKind::Alias(target) => &self.raws[target as usize],
            _ => &self.raws[index as usize],
        }
    }

    /// The scalar a key resolves to (`None` for a collection).
    fn scalar(&self, index: u32) -> Option<&NodeKind<'t>> {
        match &self.target(index).kind {
            RawKind::Scalar(kind) => Some(kind),
            _ => None,
        }
    }

    /// The second pass: the tree of the node at `index`, its descendants appended to `out`.
    /// Scalars are moved out of the arena unless they are `shared` (or `copy` is set, below an
    /// alias).
    fn build(&mut self, index: u32, copy: bool, out: &mut Vec<Node<'t>>) -> Node<'t> {
        let raw = &mut self.raws[index as usize];
        let copy = copy || raw.shared;
        let span = raw.span;
        let kind = match &mut raw.kind {
            RawKind::Scalar(kind) if copy => kind.clone(),
            RawKind::Scalar(kind) => std::mem::replace(kind, NodeKind::Null),
            &mut RawKind::Alias(target) => return Node { span, ..self.build(target, true, out) },
            &mut RawKind::Seq { start, len } => {
                let mut items = Vec::with_capacity(len as usize);
                for i in start..start + len {
                    items.push(self.build(self.children[i as usize], copy, out));
                }
                let first = out.len() as u32;
                out.extend(items);
                NodeKind::Seq { start: first, len }
            }
            &mut RawKind::Map { start, len, merges } => {
                let mut entries = Vec::with_capacity(len as usize);
                for i in (start..start + 2 * len).step_by(2) {
                    let key = self.build(self.children[i as usize], copy, out);
                    let value = self.build(self.children[i as usize + 1], copy, out);
                    entries.push((key, value));
                }
                if merges > 0 {
                    self.merge(&mut entries, start + 2 * len, merges, copy, out);
                }
                let first = out.len() as u32;
                let len = entries.len() as u32;
                out.extend(entries.into_iter().flat_map(|(key, value)| [key, value]));
                NodeKind::Map { start: first, len }
            }
        };
        Node { kind, span }
    }

    /// Appends the entries of the merged maps whose keys `entries` lacks; earlier maps win.
    fn merge(
        &mut self,
        entries: &mut Vec<(Node<'t>, Node<'t>)>,
        start: u32,
        merges: u32,
        copy: bool,
        out: &mut Vec<Node<'t>>,
    ) {
        let mut index = KeyIndex::default();
        // The index knows only the keys given to it: first the map's own.
        for own in 0..entries.len() {
            index.insert(own, |i| Some(&entries[i].0.kind), &entries[own].0.kind);
        }
        for i in start..start + merges {
            let source = self.build(self.children[i as usize], copy, out);
            let maps: Vec<Node<'t>> = match source.kind {
                NodeKind::Map { .. } => vec![source],
                NodeKind::Seq { start, len } => out[start as usize..(start + len) as usize]
                    .iter()
                    .filter(|item| matches!(item.kind, NodeKind::Map { .. }))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            for map in maps {
                let NodeKind::Map { start, len } = map.kind else { continue };
                for at in (start..start + 2 * len).step_by(2) {
                    let key = &out[at as usize];
                    if index.insert(entries.len(), |i| Some(&entries[i].0.kind), &key.kind).is_none() {
                        entries.push((key.clone(), out[at as usize + 1].clone()));
                    }
                }
            }
        }
    }
}

/// Finds scalar keys among a map's keys: by scanning while the map is small, by hash after
/// (randomly keyed, so crafted keys cannot make every lookup a scan).
#[derive(Default)]
struct KeyIndex {
    /// For small maps, a bit per [`fingerprint`] of the keys: a new key whose bit is not set
    /// equals none of them, so the scan (a string comparison per key) is skipped for most keys.
    fingerprints: u64,
    /// For large maps, the [`key_hash`] of every scalar key.
    hashes: Option<(RandomState, HashSet<u64, KeyHashed>)>,
}

/// Maps up to this size find keys by scanning; larger ones by hash.
const SCAN_LIMIT: usize = 16;

impl KeyIndex {
    /// The position among the `len` keys given by `key_at` of one equal to `key` (scalars
    /// only); if there is none, `key` is recorded as the key that follows them. Each scalar
    /// one of those `len` keys must have been given to `insert` before. One call rather than a
    /// lookup and an insertion, so that a key is hashed once.
    #[inline]
    fn insert<'k, 't: 'k>(
        &mut self,
        len: usize,
        key_at: impl Fn(usize) -> Option<&'k NodeKind<'t>>,
        key: &NodeKind<'_>,
    ) -> Option<usize> {
        if len > SCAN_LIMIT {
            let (state, hashes) = self.hashes.get_or_insert_with(|| {
                let state = RandomState::new();
                let mut hashes = HashSet::with_capacity_and_hasher(2 * len, KeyHashed);
                hashes.extend((0..len).filter_map(|i| key_at(i).and_then(|k| key_hash(&state, k))));
                (state, hashes)
            });
            // A hash not seen before: no key equals this one.
            if hashes.insert(key_hash(state, key)?) {
                return None;
            }
        } else {
            let bit = fingerprint(key);
            let seen = self.fingerprints & bit != 0;
            self.fingerprints |= bit;
            if !seen {
                return None;
            }
        }
        (0..len).find(|&i| key_at(i).is_some_and(|k| same_key(k, key)))
    }
}

/// Hashes the [`key_hash`]es of [`KeyIndex`] to themselves: they are random-keyed hashes
/// already, and hashing them again was most of the cost of a lookup.
#[derive(Clone, Copy, Default)]
struct KeyHashed;

impl BuildHasher for KeyHashed {
    type Hasher = KeyHashedHasher;
    fn build_hasher(&self) -> KeyHashedHasher {
        KeyHashedHasher(0)
    }
}

/// The hasher of [`KeyHashed`]: the last `u64` written.
struct KeyHashedHasher(u64);

impl Hasher for KeyHashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed; bytes are folded in for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One bit of 64 standing for a scalar key, the same for keys [`same_key`] finds equal (none
/// for a collection, which equals nothing). Cheap: a string's length and its first, middle and
/// last bytes, spread over the 64 bits by one multiplication.
fn fingerprint(key: &NodeKind<'_>) -> u64 {
    let mix = match key {
        NodeKind::Null => 0,
        NodeKind::Bool(b) => 1 + u64::from(*b),
        NodeKind::Int(i) => (*i as u64).wrapping_add(3),
        NodeKind::Float(f) => 5 + f.to_bits() % 61,
        NodeKind::Str(s) => match s.as_bytes() {
            [] => 7,
            bytes => {
                let (first, middle, last) = (bytes[0], bytes[bytes.len() / 2], bytes[bytes.len() - 1]);
                (bytes.len() as u64) << 24 | u64::from(first) << 16 | u64::from(middle) << 8 | u64::from(last)
            }
        },
        NodeKind::Seq { .. } | NodeKind::Map { .. } => return 0,
    };
    1 << (mix.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// Hashes a scalar key consistently with [`same_key`].
fn key_hash(state: &RandomState, key: &NodeKind<'_>) -> Option<u64> {
    let mut h = state.build_hasher();
    match key {
        NodeKind::Null => 0u8.hash(&mut h),
        NodeKind::Bool(b) => (1u8, b).hash(&mut h),
        NodeKind::Int(i) => (2u8, i).hash(&mut h),
        NodeKind::Float(f) => (3u8, f.to_bits()).hash(&mut h),
        NodeKind::Str(s) => (4u8, s.as_ref()).hash(&mut h),
        NodeKind::Seq { .. } | NodeKind::Map { .. } => return None,
    }
    Some(h.finish())
}

/// Key equality for duplicate detection and merges: scalars by value, collections never.
fn same_key(a: &NodeKind<'_>, b: &NodeKind<'_>) -> bool {
    match (a, b) {
        (NodeKind::Null, NodeKind::Null) => true,
        (NodeKind::Bool(x), NodeKind::Bool(y)) => x == y,
        (NodeKind::Int(x), NodeKind::Int(y)) => x == y,
        (NodeKind::Float(x), NodeKind::Float(y)) => x.to_bits() == y.to_bits(),
        (NodeKind::Str(x), NodeKind::Str(y)) => x == y,
        _ => false,
    }
}

fn key_text(key: &NodeKind<'_>) -> String {
    match key {
        NodeKind::Null => "null".into(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Int(i) => i.to_string(),
        NodeKind::Float(f) => f.to_string(),
        NodeKind::Str(s) => abbreviate(s),
        NodeKind::Seq { .. } | NodeKind::Map { .. } => String::new(),
    }
}

/// The first pass: fills the arena from parser events, one open collection per [`Frame`],
/// checking the limits as it goes.
struct Builder<'t> {
    file: FileId,
    text: &'t str,
    limits: Limits,
    arena: Arena<'t>,
    stack: Vec<Frame>,
    /// Children of the open collections, innermost last (pairs for maps).
    pending: Vec<u32>,
    root: Option<u32>,
    documents: usize,
    /// Anchor id → the anchored node.
    anchors: HashMap<usize, Anchored>,
    /// Nodes and bytes of scalar text of the tree so far, aliases expanded.
    nodes: usize,
    bytes: usize,
    max_bytes: usize,
    aliases: usize,
    /// The tag token of the current event, if any.
    tag_at: Option<Span>,
}

/// An anchored node with the size of its tree.
struct Anchored {
    index: u32,
    size: Size,
}

/// Nodes, bytes of scalar text and height (0 for a scalar) of a tree, aliases expanded.
#[derive(Clone, Copy)]
struct Size {
    nodes: usize,
    bytes: usize,
    height: usize,
}

struct Frame {
    /// The collection's slot in the arena, filled when it ends.
    index: u32,
    /// The start token (`[`, `{`, or empty for a block collection).
    span: Span,
    flow: bool,
    anchor: usize,
    nodes_before: usize,
    bytes_before: usize,
    /// Height of the tallest child.
    height: usize,
    /// Where its children start in `pending`.
    pending_start: usize,
    /// For a map.
    map: Option<MapState>,
}

#[derive(Default)]
struct MapState {
    /// A key was read, its value not yet: `Some(true)` for a merge key `<<`.
    key: Option<bool>,
    /// Values of merge keys, in order (kept apart from `pending`).
    merges: Vec<u32>,
    index: KeyIndex,
}

type Step = Result<(), Box<Diagnostic>>;

impl<'t> granit_parser::TrySpannedEventReceiver<'t> for Builder<'t> {
    type Error = Box<Diagnostic>;

    fn on_event(&mut self, event: Event<'t>, span: granit_parser::Span) -> Step {
        self.tag_at = event.tag().and_then(|_| span.tag_span()).map(|t| self.span(&t));
        let span = self.span(&span);
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Box::new(
                        Diagnostic::error("E0001", "invalid YAML: more than one document in a file", span, "here")
                            .with_help("a spec file holds one YAML document; remove this `---` and what follows it"),
                    ));
                }
                Ok(())
            }
            Event::Scalar(value, style, anchor, tag) => {
                let merge_key = style == ScalarStyle::Plain && tag.is_none() && value == "<<";
                let kind = self.scalar(value, style, tag.as_deref(), span)?;
                let bytes = match &kind {
                    NodeKind::Str(s) => s.len(),
                    _ => 0,
                };
                self.charge(1, bytes, span)?;
                let index = self.push(RawKind::Scalar(kind), span);
                self.complete(index, anchor, Size { nodes: 1, bytes, height: 0 }, merge_key)
            }
            Event::SequenceStart(style, anchor, tag) => self.open(span, style, anchor, tag.as_deref(), false),
            Event::MappingStart(style, anchor, tag) => self.open(span, style, anchor, tag.as_deref(), true),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Alias(id) => self.alias(id, span),
            Event::UnresolvedAlias(name) => Err(Box::new(
                Diagnostic::error("E0001", format!("invalid YAML: unknown alias `*{name}`"), span, "here")
                    .with_help("an alias must name an anchor (`&name`) defined before it in the same file"),
            )),
            _ => Ok(()),
        }
    }
}

impl<'t> Builder<'t> {
    fn new(file: FileId, text: &'t str, limits: Limits) -> Self {
        Builder {
            file,
            text,
            limits,
            // About one node per 8 bytes of spec text; reserving spares most regrowth copies.
            arena: Arena { raws: Vec::with_capacity(text.len() / 8), children: Vec::with_capacity(text.len() / 8) },
            stack: Vec::new(),
            pending: Vec::new(),
            root: None,
            documents: 0,
            anchors: HashMap::new(),
            nodes: 0,
            bytes: 0,
            max_bytes: limits.bytes.max(text.len().saturating_mul(2)),
            aliases: 0,
            tag_at: None,
        }
    }

    /// Byte offset of a parser marker (granit reports byte offsets for `&str` input; the
    /// character index is the fallback).
    fn offset(&self, marker: &granit_parser::Marker) -> usize {
        let offset = marker
            .byte_offset()
            .unwrap_or_else(|| self.text.char_indices().nth(marker.index()).map_or(self.text.len(), |(i, _)| i));
        offset.min(self.text.len())
    }

    fn span(&self, span: &granit_parser::Span) -> Span {
        let start = self.offset(&span.start);
        let end = self.offset(&span.end).max(start);
        Span::new(self.file, start..end)
    }

    fn push(&mut self, kind: RawKind<'t>, span: Span) -> u32 {
        // Fewer nodes than `limits.nodes` (checked before) fit in a u32.
        let index = self.arena.raws.len() as u32;
        self.arena.raws.push(Raw { kind, span, shared: false });
        index
    }

    fn budget_error(span: Span, what: impl fmt::Display) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::error("E0001", format!("YAML too large or too deeply nested: {what}"), span, "here")
                .with_help(BUDGET_HELP),
        )
    }

    /// Accounts for `nodes` new nodes of the tree holding `bytes` bytes of scalar text.
    fn charge(&mut self, nodes: usize, bytes: usize, span: Span) -> Step {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        let max = self.limits.nodes.min(u32::MAX as usize / 2);
        if self.nodes > max {
            return Err(Self::budget_error(span, format!("more than {max} nodes after expanding aliases")));
        }
        if self.bytes > self.max_bytes {
            let mib = self.max_bytes >> 20;
            return Err(Self::budget_error(span, format!("more than {mib} MiB of text after expanding aliases")));
        }
        Ok(())
    }

    fn scalar(
        &self,
        value: Cow<'t, str>,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<NodeKind<'t>, Box<Diagnostic>> {
        let Some(tag) = tag else {
            return match style {
                ScalarStyle::Plain => resolve_plain(value, span),
                _ => Ok(NodeKind::Str(value)),
            };
        };
        if tag.parts() == ("", "!") {
            return Ok(NodeKind::Str(value));
        }
        let resolved = match tag.core_suffix() {
            Some("str") => return Ok(NodeKind::Str(value)),
            Some(core @ ("int" | "float" | "bool" | "null")) => (core, resolve_plain(Cow::Borrowed(&value), span)?),
            _ => return Err(self.tag_error(tag, span, "a scalar")),
        };
        match resolved {
            ("int", NodeKind::Int(i)) => Ok(NodeKind::Int(i)),
            ("bool", NodeKind::Bool(b)) => Ok(NodeKind::Bool(b)),
            ("null", NodeKind::Null) => Ok(NodeKind::Null),
            ("float", NodeKind::Float(f)) => Ok(NodeKind::Float(f)),
            ("float", NodeKind::Int(i)) => Ok(NodeKind::Float(i as f64)),
            (core, _) => Err(Box::new(Diagnostic::error(
                "E0001",
                format!("invalid YAML: `{}` is not a valid `!!{core}`", abbreviate(&value)),
                span,
                "here",
            ))),
        }
    }

    fn tag_error(&self, tag: &Tag, node: Span, what: &str) -> Box<Diagnostic> {
        let span = self.tag_at.unwrap_or(node);
        Box::new(
            Diagnostic::error("E0001", format!("unsupported YAML tag `{}` on {what}", tag.original()), span, "here")
                .with_help(
                    "spec files are plain data: remove the tag (only `!!str`, `!!int`, `!!float`, `!!bool`, \
                     `!!null`, `!!seq` and `!!map` are understood)",
                ),
        )
    }

    fn open(&mut self, span: Span, style: StructureStyle, anchor: usize, tag: Option<&Tag>, map: bool) -> Step {
        if let Some(tag) = tag {
            let fits = tag.parts() == ("", "!") || tag.is_yaml_core_schema_tag(if map { "map" } else { "seq" });
            if !fits {
                return Err(self.tag_error(tag, span, if map { "a map" } else { "a list" }));
            }
        }
        if self.stack.len() >= self.limits.depth {
            return Err(Self::budget_error(span, format!("nesting deeper than {} levels", self.limits.depth)));
        }
        let (nodes_before, bytes_before) = (self.nodes, self.bytes);
        self.charge(1, 0, span)?;
        let index = self.push(RawKind::Seq { start: 0, len: 0 }, span);
        self.stack.push(Frame {
            index,
            span,
            flow: style == StructureStyle::Flow,
            anchor,
            nodes_before,
            bytes_before,
            height: 0,
            pending_start: self.pending.len(),
            map: map.then(MapState::default),
        });
        Ok(())
    }

    fn close(&mut self) -> Step {
        let Some(frame) = self.stack.pop() else { return Ok(()) };
        // Fewer children than nodes (checked against the limit) fit in a u32.
        let start = self.arena.children.len() as u32;
        let count = (self.pending.len() - frame.pending_start) as u32;
        self.arena.children.extend(self.pending.drain(frame.pending_start..));
        self.arena.raws[frame.index as usize].kind = match frame.map {
            None => RawKind::Seq { start, len: count },
            Some(map) => {
                self.arena.children.extend(&map.merges);
                RawKind::Map { start, len: count / 2, merges: map.merges.len() as u32 }
            }
        };
        let size = Size {
            nodes: self.nodes - frame.nodes_before,
            bytes: self.bytes - frame.bytes_before,
            height: frame.height + 1,
        };
        self.complete(frame.index, frame.anchor, size, false)
    }

    fn alias(&mut self, id: usize, span: Span) -> Step {
        let Some(&Anchored { index: target, size }) = self.anchors.get(&id) else {
            let name = self.text.get(span.start as usize..span.end as usize).unwrap_or("*");
            return Err(Box::new(
                Diagnostic::error(
                    "E0001",
                    format!("invalid YAML: alias `{name}` refers to a node that contains it"),
                    span,
                    "here",
                )
                .with_help("an alias cannot be used inside the node its anchor names"),
            ));
        };
        self.aliases += 1;
        if self.aliases > self.limits.aliases {
            return Err(Self::budget_error(span, format!("more than {} aliases", self.limits.aliases)));
        }
        if self.stack.len() + size.height > self.limits.depth {
            let depth = self.limits.depth;
            return Err(Self::budget_error(span, format!("nesting deeper than {depth} levels (through an alias)")));
        }
        self.charge(size.nodes, size.bytes, span)?;
        self.arena.raws[target as usize].shared = true;
        let index = self.push(RawKind::Alias(target), span);
        self.complete(index, 0, size, false)
    }

    /// Hands a finished node to its parent (or makes it the root).
    fn complete(&mut self, index: u32, anchor: usize, size: Size, merge_key: bool) -> Step {
        if anchor != 0 {
            self.anchors.insert(anchor, Anchored { index, size });
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(index);
            return Ok(());
        };
        parent.height = parent.height.max(size.height);
        let Some(map) = &mut parent.map else {
            self.pending.push(index);
            return Ok(());
        };
        match map.key.take() {
            None if merge_key => map.key = Some(true),
            None => {
                let keys = &self.pending[parent.pending_start..];
                let arena = &self.arena;
                if let Some(key) = arena.scalar(index) {
                    if let Some(first) = map.index.insert(keys.len() / 2, |i| arena.scalar(keys[2 * i]), key) {
                        let first = arena.raws[keys[2 * first] as usize].span;
                        let span = arena.raws[index as usize].span;
                        return Err(Box::new(
                            Diagnostic::error("E0001", format!("duplicate key `{}`", key_text(key)), span, "here")
                                .with_label(first, "first here")
                                .with_help(DUPLICATE_HELP),
                        ));
                    }
                }
                map.key = Some(false);
                self.pending.push(index);
            }
            Some(false) => self.pending.push(index),
            Some(true) => {
                let arena = &self.arena;
                let bad = match &arena.target(index).kind {
                    RawKind::Map { .. } | RawKind::Scalar(NodeKind::Null) => None,
                    &RawKind::Seq { start, len } => (start..start + len)
                        .map(|i| arena.children[i as usize])
                        .find(|&item| !matches!(arena.target(item).kind, RawKind::Map { .. })),
                    _ => Some(index),
                };
                if let Some(bad) = bad {
                    let found = match &arena.target(bad).kind {
                        RawKind::Scalar(kind) => kind.describe(),
                        _ => "a list".into(),
                    };
                    return Err(Box::new(
                        Diagnostic::error(
                            "E0001",
                            format!("invalid YAML: a merge key `<<` takes a map or a list of maps, not {found}"),
                            arena.raws[bad as usize].span,
                            "here",
                        )
                        .with_help("write `<<: *anchor` or `<<: [*first, *second]` with anchors on maps"),
                    ));
                }
                map.merges.push(index);
            }
        }
        Ok(())
    }

    /// A diagnostic for a syntax error of the parser, located at its marker.
    fn scan_error(&self, e: &ScanError) -> Diagnostic {
        let mut at = self.offset(e.marker());
        let here = |at: usize| Span::new(self.file, at..at);
        let innermost_flow =
            |map: bool| self.stack.iter().rev().find(|f| f.flow && f.map.is_some() == map).map(|f| f.span);
        let (message, help) = match e.kind() {
            ErrorKind::RecursionLimitExceeded => {
                return *Self::budget_error(here(at), format!("nesting deeper than {} levels", self.limits.depth));
            }
            ErrorKind::ExpectedFlowMappingSeparator | ErrorKind::ExpectedFlowSequenceSeparator => {
                let map = matches!(e.kind(), ErrorKind::ExpectedFlowMappingSeparator);
                let (what, close, label) = if map { ("map", '}', "entries") } else { ("list", ']', "items") };
                let help = format!("a flow {what} needs `,` between its {label} and a closing `{close}`");
                let Some(open) = innermost_flow(map) else {
                    let message = format!("invalid YAML: expected `,` or `{close}` in a flow {what}");
                    return Diagnostic::error("E0001", message, here(at), "here").with_help(help);
                };
                let expected = format!("expected `,` or `{close}` here");
                let opened_before = self.text.get(open.start as usize..at).is_some_and(|s| s.contains('\n'));
                return if opened_before {
                    // Most likely the closing bracket is missing: point at the opening one.
                    let opening = self.text.get(open.start as usize..open.end as usize).unwrap_or("");
                    let message = format!("invalid YAML: flow {what} `{opening}` is not closed, or a `,` is missing");
                    Diagnostic::error("E0001", message, open, "opened here").with_label(here(at), expected)
                } else {
                    let message = format!("invalid YAML: expected `,` or `{close}` in a flow {what}");
                    Diagnostic::error("E0001", message, here(at), expected).with_label(open, "opened here")
                }
                .with_help(help);
            }
            ErrorKind::MismatchedFlowCollectionEnd { open, close } => {
                // The parser points at the opening bracket.
                let message = format!("invalid YAML: `{open}` is closed by `{close}`");
                return Diagnostic::error("E0001", message, here(at), format!("closed by `{close}`"));
            }
            ErrorKind::ExpectedBlockMappingKey | ErrorKind::InvalidIndentation => (
                "invalid YAML: this line is not indented like a key of the map around it".into(),
                Some("keys of one map start in the same column; indent with spaces to match the key above"),
            ),
            ErrorKind::TabInBlockIndentation | ErrorKind::TabInIndentation | ErrorKind::TabNotAllowed => {
                // The parser reports the position after the tab; point at the tab itself.
                let line = self.text.get(..at).unwrap_or("");
                let line_start = line.rfind('\n').map_or(0, |i| i + 1);
                if let Some(tab) = line[line_start..].rfind('\t') {
                    at = line_start + tab;
                }
                (
                    "invalid YAML: a tab is used for indentation".into(),
                    Some("YAML indents with spaces only; replace the tab with spaces"),
                )
            }
            ErrorKind::UnclosedFlowCollection { open } => (format!("invalid YAML: `{open}` is never closed"), None),
            ErrorKind::UnclosedQuotedScalar => {
                ("invalid YAML: unclosed quote".into(), Some("a quoted string ends with the same quote it starts with"))
            }
            kind => (format!("invalid YAML: {kind}"), None),
        };
        Diagnostic::error("E0001", message, here(at), "here").with_help_opt(help.map(str::to_string))
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
#[inline]
fn resolve_plain(value: Cow<'_, str>, span: Span) -> Result<NodeKind<'_>, Box<Diagnostic>> {
    // Most plain scalars are words that start like none of the special values: one look at
    // the first two bytes (and the length, for null, true and false) says so, here where it
    // is inlined into the parsers, before the full match.
    let maybe_special = match value.as_bytes() {
        [] => true,
        [b'n' | b'N', b'u' | b'U', ..] | [b't' | b'T', b'r' | b'R', ..] => value.len() == 4,
        [b'f' | b'F', b'a' | b'A', ..] => value.len() == 5,
        [first, ..] => matches!(first, b'~' | b'.' | b'+' | b'-' | b'0'..=b'9'),
    };
    if maybe_special {
        resolve_special(value, span)
    } else {
        Ok(NodeKind::Str(value))
    }
}

/// [`resolve_plain`] for a scalar that may be a null, a boolean or a number.
fn resolve_special(value: Cow<'_, str>, span: Span) -> Result<NodeKind<'_>, Box<Diagnostic>> {
    let kind = match value.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
        "true" | "True" | "TRUE" => NodeKind::Bool(true),
        "false" | "False" | "FALSE" => NodeKind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => NodeKind::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => NodeKind::Float(f64::NAN),
        s => match number(s) {
            Some(Number::Int(digits, radix)) => match i64::from_str_radix(digits, radix) {
                Ok(i) => NodeKind::Int(i),
                Err(_) => {
                    return Err(Box::new(
                        Diagnostic::error(
                            "E0001",
                            format!("integer `{}` is out of range", abbreviate(s)),
                            span,
                            "here",
                        )
                        .with_help("integers must fit in 64 bits (signed); quote the value to make it a string"),
                    ));
                }
            },
            Some(Number::Float) => match s.parse::<f64>() {
                Ok(f) => NodeKind::Float(f),
                Err(_) => NodeKind::Str(value),
            },
            None => NodeKind::Str(value),
        },
    };
    Ok(kind)
}

enum Number<'s> {
    /// Digits (with the sign, for decimals) and radix.
    Int(&'s str, u32),
    Float,
}

/// Matches the core schema's number patterns: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`, and
/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn number(s: &str) -> Option<Number<'_>> {
    let b = s.as_bytes();
    if !matches!(b.first(), Some(b'0'..=b'9' | b'-' | b'+' | b'.')) {
        return None;
    }
    let all = |rest: &str, f: fn(&u8) -> bool| !rest.is_empty() && rest.as_bytes().iter().all(f);
    if let Some(rest) = s.strip_prefix("0o") {
        return all(rest, |c| (b'0'..=b'7').contains(c)).then_some(Number::Int(rest, 8));
    }
    if let Some(rest) = s.strip_prefix("0x") {
        return all(rest, u8::is_ascii_hexdigit).then_some(Number::Int(rest, 16));
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if all(unsigned, u8::is_ascii_digit) {
        return Some(Number::Int(s, 10));
    }
    let digits = |t: &str| t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let mut rest = unsigned;
    let int_digits = digits(rest);
    rest = &rest[int_digits..];
    let mut frac_digits = 0;
    if let Some(after_dot) = rest.strip_prefix('.') {
        frac_digits = digits(after_dot);
        rest = &after_dot[frac_digits..];
    } else if int_digits == 0 {
        return None;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if let Some(exp) = rest.strip_prefix(['e', 'E']) {
        let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        if !all(exp, u8::is_ascii_digit) {
            return None;
        }
        rest = "";
    }
    rest.is_empty().then_some(Number::Float)
}

// ---------------------------------------------------------------------------------------------
// Deserializing spec structs from a node tree.

/// A value with the span it was read from. Compares and hashes by value only.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for Spanned<T> {}
impl<T: std::hash::Hash> std::hash::Hash for Spanned<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}
impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Struct name our deserializer recognises to hand out a node's span.
const SPANNED: &str = "$specgen::Spanned";
/// Enum name our deserializer recognises to choose a variant by the node's shape: variant
/// `str` for a string, `map` for a map (the "bare string or full map" forms of the spec).
pub(crate) const SHAPE: &str = "$specgen::Shape";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a spanned value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Spanned<T>, A::Error> {
                let span: u128 = seq.next_element()?.ok_or_else(|| de::Error::custom("span missing"))?;
                let value = seq.next_element()?.ok_or_else(|| de::Error::custom("value missing"))?;
                Ok(Spanned { value, span: unpack_span(span) })
            }
        }
        d.deserialize_tuple_struct(SPANNED, 2, V(std::marker::PhantomData))
    }
}

/// Errors while deserializing from a node: message, span, help.
#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub span: Option<Span>,
    pub help: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error { message: msg.to_string(), span: None, help: None }
    }
    fn missing_field(field: &'static str) -> Self {
        Error {
            message: format!("missing required key `{field}`"),
            span: None,
            help: Some(format!("add `{field}: …` to this map")),
        }
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let help = did_you_mean(variant, expected.iter().copied())
            .unwrap_or_else(|| format!("expected one of {}", list(expected)));
        Error { message: format!("unknown value `{variant}`"), span: None, help: Some(help) }
    }
}

fn list(items: &[&str]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

impl Error {
    fn at(mut self, span: Span) -> Self {
        self.span.get_or_insert(span);
        self
    }
}

/// Deserializes `T` from `node`. Unknown keys are collected in `soft` (all of them, the value is
/// skipped); the first hard error is returned. Either way, `soft` may have grown.
pub fn from_node<'n, T: Deserialize<'n>>(
    doc: &'n Document<'n>,
    soft: &RefCell<Vec<Diagnostic>>,
) -> Result<T, Diagnostic> {
    let node = &doc.root;
    T::deserialize(NodeDe { doc, node, soft }).map_err(|e| {
        let span = e.span.unwrap_or(node.span);
        Diagnostic::error("E0002", e.message, span, "").with_help_opt(e.help)
    })
}

struct NodeDe<'n, 's> {
    doc: &'n Document<'n>,
    node: &'n Node<'n>,
    soft: &'s RefCell<Vec<Diagnostic>>,
}

impl<'n, 's> NodeDe<'n, 's> {
    fn mismatch(&self, expected: &str) -> Error {
        Error {
            message: format!("expected {expected}, found {}", self.node.kind.describe()),
            span: Some(self.node.span),
            help: mismatch_help(expected, &self.node.kind),
        }
    }
}

/// What to do about a value of the wrong shape, for the common mistakes.
fn mismatch_help(expected: &str, found: &NodeKind<'_>) -> Option<String> {
    let help = match (expected, found) {
        ("an integer" | "a number", NodeKind::Str(s)) if s.trim().parse::<f64>().is_ok() => {
            format!("remove the quotes: write `{}`", s.trim())
        }
        ("a map", NodeKind::Seq { .. }) => "write `key: value` entries here, not `- item` entries".to_string(),
        ("a list", NodeKind::Map { .. }) => {
            "write `- item` entries (or `[a, b]`) here, not `key: value` entries".to_string()
        }
        ("a map", _) => "write a map here: `key: value` entries, or `{key: value}`".to_string(),
        ("a string" | "a string or a map", NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_)) => {
            "quote the value to make it a string".to_string()
        }
        ("a string or a map", NodeKind::Seq { .. }) => {
            "write a type string such as `int`, or a map such as `{type: int}`".to_string()
        }
        _ => return None,
    };
    Some(help)
}

macro_rules! int_methods {
    ($($method:ident => $visit:ident : $ty:ty),*) => {$(
        fn $method<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
            match &self.node.kind {
                NodeKind::Int(i) => match <$ty>::try_from(*i) {
                    Ok(v) => visitor.$visit(v).map_err(|e: Error| e.at(self.node.span)),
                    Err(_) => Err(Error { message: format!("integer `{i}` is out of range"), span: Some(self.node.span), help: None }),
                },
                _ => Err(self.mismatch("an integer")),
            }
        }
    )*};
}

impl<'n> de::Deserializer<'n> for NodeDe<'n, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        let span = self.node.span;
        let result = match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => visitor.visit_i64(*i),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            NodeKind::Str(s) => visitor.visit_borrowed_str(s),
            NodeKind::Seq { .. } => visitor.visit_seq(self.seq()),
            NodeKind::Map { .. } => visitor.visit_map(self.map(None)),
        };
        result.map_err(|e: Error| e.at(span))
    }

    fn deserialize_bool<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Str(s)
                if ["yes", "no", "on", "off", "y", "n", "True", "False", "TRUE", "FALSE"].contains(&s.as_ref()) =>
            {
                Err(Error {
                    message: format!("expected `true` or `false`, found the string `{s}`"),
                    span: Some(self.node.span),
                    help: Some(
                        "YAML 1.1 spellings such as yes/no/on/off are strings here; write `true` or `false`".into(),
                    ),
                })
            }
            _ => Err(self.mismatch("`true` or `false`")),
        }
    }

    int_methods!(deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16, deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64, deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64);

    fn deserialize_f32<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Int(i) => visitor.visit_f64(*i as f64),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            _ => Err(self.mismatch("a number")),
        }
    }

    fn deserialize_char<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Str(s) => visitor.visit_borrowed_str(s).map_err(|e: Error| e.at(self.node.span)),
            _ => Err(self.mismatch("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            _ => Err(self.mismatch("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'n>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'n>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Seq { .. } => visitor.visit_seq(self.seq()).map_err(|e: Error| e.at(self.node.span)),
            _ => Err(self.mismatch("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'n>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'n>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == SPANNED {
            let span = self.node.span;
            return visitor.visit_seq(SpannedAccess { span: Some(pack_span(span)), de: Some(self) });
        }
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            // An empty value (`Create:`) reads as an empty map.
            NodeKind::Map { .. } | NodeKind::Null => {
                visitor.visit_map(self.map(None)).map_err(|e: Error| e.at(self.node.span))
            }
            _ => Err(self.mismatch("a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'n>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if !matches!(self.node.kind, NodeKind::Map { .. } | NodeKind::Null) {
            return Err(self.mismatch("a map"));
        }
        let span = self.node.span;
        visitor.visit_map(self.map(Some(fields))).map_err(|e: Error| e.at(span))
    }

    fn deserialize_enum<V: Visitor<'n>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == SHAPE {
            let variant = match &self.node.kind {
                NodeKind::Str(_) => "str",
                NodeKind::Map { .. } => "map",
                _ => return Err(self.mismatch("a string or a map")),
            };
            return visitor.visit_enum(ShapeAccess { variant, de: self });
        }
        match &self.node.kind {
            NodeKind::Str(s) => {
                let span = self.node.span;
                visitor.visit_enum(s.as_ref().into_deserializer()).map_err(|e: Error| e.at(span))
            }
            _ => Err(self.mismatch(&format!("one of {}", list(variants)))),
        }
    }

    fn deserialize_identifier<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

impl<'n, 's> NodeDe<'n, 's> {
    /// The items of a sequence node.
    fn seq(&self) -> Seq<'n, 's> {
        Seq { doc: self.doc, items: self.doc.items(self.node).iter(), soft: self.soft }
    }

    /// The entries of a map node (none for null), `fields` for a struct.
    fn map(&self, fields: Option<&'static [&'static str]>) -> Map<'n, 's> {
        Map {
            doc: self.doc,
            entries: self.doc.entries(self.node).chunks_exact(2),
            value: None,
            soft: self.soft,
            fields,
        }
    }
}

struct Seq<'n, 's> {
    doc: &'n Document<'n>,
    items: std::slice::Iter<'n, Node<'n>>,
    soft: &'s RefCell<Vec<Diagnostic>>,
}

impl<'n> SeqAccess<'n> for Seq<'n, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'n>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDe { doc: self.doc, node, soft: self.soft })
                .map(Some)
                .map_err(|e: Error| e.at(node.span)),
            None => Ok(None),
        }
    }

    // Lets a list be allocated at its size rather than grown.
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'n, 's> {
    doc: &'n Document<'n>,
    /// Key and value nodes, in pairs.
    entries: std::slice::ChunksExact<'n, Node<'n>>,
    value: Option<&'n Node<'n>>,
    soft: &'s RefCell<Vec<Diagnostic>>,
    /// For structs: the known keys. Unknown ones become soft diagnostics and are skipped.
    fields: Option<&'static [&'static str]>,
}

impl<'n> MapAccess<'n> for Map<'n, '_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'n>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        for pair in self.entries.by_ref() {
            let (key, value) = (&pair[0], &pair[1]);
            if let (Some(fields), NodeKind::Str(name)) = (self.fields, &key.kind) {
                if !fields.contains(&name.as_ref()) {
                    let help = did_you_mean(name, fields.iter().copied())
                        .unwrap_or_else(|| format!("known keys here: {}", list(fields)));
                    self.soft.borrow_mut().push(
                        Diagnostic::error(
                            "E0003",
                            format!("unknown key `{}`", abbreviate(name)),
                            key.span,
                            "not allowed here",
                        )
                        .with_help(help),
                    );
                    continue;
                }
            }
            if self.fields.is_some() && !matches!(key.kind, NodeKind::Str(_)) {
                return Err(Error {
                    message: format!("expected a string key, found {}", key.kind.describe()),
                    span: Some(key.span),
                    help: None,
                });
            }
            self.value = Some(value);
            return seed
                .deserialize(NodeDe { doc: self.doc, node: key, soft: self.soft })
                .map(Some)
                .map_err(|e: Error| e.at(key.span));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'n>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let node = self.value.take().ok_or_else(|| <Error as de::Error>::custom("value requested before key"))?;
        seed.deserialize(NodeDe { doc: self.doc, node, soft: self.soft }).map_err(|e: Error| e.at(node.span))
    }

    // Lets a map be allocated at its size rather than grown (an upper bound for a struct,
    // whose unknown keys are skipped).
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A span as one number, handed to [`Spanned`] as the first element of a sequence (one
/// number is cheaper to pass through serde than three).
fn pack_span(span: Span) -> u128 {
    u128::from(span.file.0) << 64 | u128::from(span.start) << 32 | u128::from(span.end)
}

fn unpack_span(packed: u128) -> Span {
    Span { file: FileId((packed >> 64) as u32), start: (packed >> 32) as u32, end: packed as u32 }
}

struct SpannedAccess<'n, 's> {
    span: Option<u128>,
    de: Option<NodeDe<'n, 's>>,
}

impl<'n> SeqAccess<'n> for SpannedAccess<'n, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'n>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if let Some(span) = self.span.take() {
            return seed.deserialize(span.into_deserializer()).map(Some);
        }
        match self.de.take() {
            Some(de) => seed.deserialize(de).map(Some),
            None => Ok(None),
        }
    }
}

struct ShapeAccess<'n, 's> {
    variant: &'static str,
    de: NodeDe<'n, 's>,
}

impl<'n, 's> de::EnumAccess<'n> for ShapeAccess<'n, 's> {
    type Error = Error;
    type Variant = NodeDe<'n, 's>;
    fn variant_seed<V: DeserializeSeed<'n>>(self, seed: V) -> Result<(V::Value, Self::Variant), Error> {
        let v = seed.deserialize(self.variant.into_deserializer())?;
        Ok((v, self.de))
    }
}

impl<'n> de::VariantAccess<'n> for NodeDe<'n, '_> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'n>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'n>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }
    fn struct_variant<V: Visitor<'n>>(self, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: FileId = FileId(0);

    /// A parsed document as a tree, children inside their collections, owning its strings:
    /// what the tests take apart. (It shadows the parser's own `Node` and `NodeKind` here.)
    #[derive(Debug, Clone, PartialEq)]
    pub(super) struct Node {
        pub kind: NodeKind,
        pub span: Span,
    }

    #[derive(Debug, Clone, PartialEq)]
    pub(super) enum NodeKind {
        Null,
        Bool(bool),
        Int(i64),
        Float(f64),
        Str(String),
        Seq(Vec<Node>),
        Map(Vec<(Node, Node)>),
    }

    impl NodeKind {
        fn describe(&self) -> &'static str {
            match self {
                NodeKind::Seq(_) => "a list",
                NodeKind::Map(_) => "a map",
                _ => "a scalar",
            }
        }
    }

    /// The tree of `doc`.
    pub(super) fn nested(doc: &Document<'_>) -> Node {
        fn node(doc: &Document<'_>, n: &super::Node<'_>) -> Node {
            let kind = match &n.kind {
                super::NodeKind::Null => NodeKind::Null,
                super::NodeKind::Bool(b) => NodeKind::Bool(*b),
                super::NodeKind::Int(i) => NodeKind::Int(*i),
                super::NodeKind::Float(f) => NodeKind::Float(*f),
                super::NodeKind::Str(s) => NodeKind::Str(s.to_string()),
                super::NodeKind::Seq { .. } => NodeKind::Seq(doc.items(n).iter().map(|i| node(doc, i)).collect()),
                super::NodeKind::Map { .. } => NodeKind::Map(
                    doc.entries(n).chunks_exact(2).map(|kv| (node(doc, &kv[0]), node(doc, &kv[1]))).collect(),
                ),
            };
            Node { kind, span: n.span }
        }
        node(doc, &doc.root)
    }

    fn parsed(text: &str) -> Node {
        nested(&parse(FILE, text).unwrap_or_else(|d| panic!("{text:?}: {d:?}")))
    }

    fn error(text: &str) -> Diagnostic {
        match parse(FILE, text) {
            Ok(doc) => panic!("{text:?} parsed: {doc:?}"),
            Err(d) => d,
        }
    }

    /// The text a span covers.
    fn at(text: &str, span: Span) -> &str {
        &text[span.start as usize..span.end as usize]
    }

    fn entries(node: &Node) -> &[(Node, Node)] {
        match &node.kind {
            NodeKind::Map(entries) => entries,
            other => panic!("expected a map, found {other:?}"),
        }
    }

    fn items(node: &Node) -> &[Node] {
        match &node.kind {
            NodeKind::Seq(items) => items,
            other => panic!("expected a list, found {other:?}"),
        }
    }

    /// The value of the only key of `v: <src>`.
    fn value(src: &str) -> NodeKind {
        let text = format!("v: {src}\n");
        entries(&parsed(&text))[0].1.kind.clone()
    }

    /// Map entries as `key=value` strings (scalars only).
    fn pairs(node: &Node) -> Vec<String> {
        let show = |k: &NodeKind| match k {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Int(i) => i.to_string(),
            other => format!("{other:?}"),
        };
        entries(node).iter().map(|(k, v)| format!("{}={}", show(&k.kind), show(&v.kind))).collect()
    }

    fn str(s: &str) -> NodeKind {
        NodeKind::Str(s.into())
    }

    #[test]
    fn plain_scalars_resolve_by_the_core_schema() {
        let table: &[(&str, NodeKind)] = &[
            ("null", NodeKind::Null),
            ("Null", NodeKind::Null),
            ("NULL", NodeKind::Null),
            ("~", NodeKind::Null),
            ("", NodeKind::Null),
            ("true", NodeKind::Bool(true)),
            ("True", NodeKind::Bool(true)),
            ("TRUE", NodeKind::Bool(true)),
            ("false", NodeKind::Bool(false)),
            ("False", NodeKind::Bool(false)),
            ("FALSE", NodeKind::Bool(false)),
            ("0", NodeKind::Int(0)),
            ("12", NodeKind::Int(12)),
            ("-7", NodeKind::Int(-7)),
            ("+12", NodeKind::Int(12)),
            ("007", NodeKind::Int(7)),
            ("0o17", NodeKind::Int(15)),
            ("0x1F", NodeKind::Int(31)),
            ("0xff", NodeKind::Int(255)),
            ("9223372036854775807", NodeKind::Int(i64::MAX)),
            ("-9223372036854775808", NodeKind::Int(i64::MIN)),
            ("1.5", NodeKind::Float(1.5)),
            ("-2e3", NodeKind::Float(-2000.0)),
            ("1e3", NodeKind::Float(1000.0)),
            ("2E-2", NodeKind::Float(0.02)),
            ("1.", NodeKind::Float(1.0)),
            (".5", NodeKind::Float(0.5)),
            ("+.5", NodeKind::Float(0.5)),
            ("-0.25e+1", NodeKind::Float(-2.5)),
            (".inf", NodeKind::Float(f64::INFINITY)),
            (".Inf", NodeKind::Float(f64::INFINITY)),
            ("+.INF", NodeKind::Float(f64::INFINITY)),
            ("-.inf", NodeKind::Float(f64::NEG_INFINITY)),
            // Strings: YAML 1.1 spellings and near misses.
            ("yes", str("yes")),
            ("no", str("no")),
            ("on", str("on")),
            ("off", str("off")),
            ("y", str("y")),
            ("nULL", str("nULL")),
            ("tRUE", str("tRUE")),
            ("1_000", str("1_000")),
            ("0b101", str("0b101")),
            ("0o", str("0o")),
            ("0o8", str("0o8")),
            ("0xG", str("0xG")),
            ("-0x1F", str("-0x1F")),
            ("0X1F", str("0X1F")),
            ("1.2.3", str("1.2.3")),
            (".", str(".")),
            ("+", str("+")),
            ("1e", str("1e")),
            ("e3", str("e3")),
            (".e3", str(".e3")),
            ("inf", str("inf")),
            ("nan", str("nan")),
            ("12:30", str("12:30")),
            ("2024-01-01", str("2024-01-01")),
            ("~foo", str("~foo")),
            ("string", str("string")),
            ("list[int]", str("list[int]")),
        ];
        for (src, expected) in table {
            assert_eq!(&value(src), expected, "plain scalar {src:?}");
        }
        assert!(matches!(value(".nan"), NodeKind::Float(f) if f.is_nan()));
        assert!(matches!(value(".NaN"), NodeKind::Float(f) if f.is_nan()));
    }

    #[test]
    fn quoted_and_block_scalars_are_strings() {
        assert_eq!(value("'12'"), str("12"));
        assert_eq!(value("\"true\""), str("true"));
        assert_eq!(value("\"null\""), str("null"));
        assert_eq!(value("''"), str(""));
        assert_eq!(value("'it''s'"), str("it's"));
        assert_eq!(value("\"a\\tb\\u00e9\""), str("a\tbé"));
        assert_eq!(value("|\n  12\n"), str("12\n"));
        assert_eq!(value(">-\n  true\n  story\n"), str("true story"));
        assert_eq!(value("plain\n  continued"), str("plain continued"));
    }

    #[test]
    fn tags() {
        assert_eq!(value("!!str 12"), str("12"));
        assert_eq!(value("!!str"), str(""));
        assert_eq!(value("!!str true"), str("true"));
        assert_eq!(value("! 12"), str("12"));
        assert_eq!(value("!!int \"12\""), NodeKind::Int(12));
        assert_eq!(value("!!float 2"), NodeKind::Float(2.0));
        assert_eq!(value("!!bool 'false'"), NodeKind::Bool(false));
        assert_eq!(value("!!null ''"), NodeKind::Null);
        assert_eq!(value("!!seq [1]").describe(), "a list");
        assert_eq!(value("!!map {a: 1}").describe(), "a map");

        let text = "a: 1\nb: !!int twelve\n";
        let d = error(text);
        assert_eq!(d.message, "invalid YAML: `twelve` is not a valid `!!int`");
        assert_eq!(at(text, d.primary_span().unwrap()), "twelve");

        let text = "a: 1\nb: !custom x\n";
        let d = error(text);
        assert_eq!(d.message, "unsupported YAML tag `!custom` on a scalar");
        assert_eq!(at(text, d.primary_span().unwrap()), "!custom");
        assert!(d.help.unwrap().contains("remove the tag"));

        let d = error("ü: !!map [1]\n");
        assert_eq!(d.message, "unsupported YAML tag `!!map` on a list");
        assert_eq!(error("a: !!timestamp 2024-01-01\n").message, "unsupported YAML tag `!!timestamp` on a scalar");
    }

    #[test]
    fn integers_out_of_range_are_errors() {
        let text = "a: 1\nbig: 9223372036854775808\n";
        let d = error(text);
        assert_eq!(d.code, "E0001");
        assert_eq!(d.message, "integer `9223372036854775808` is out of range");
        assert_eq!(at(text, d.primary_span().unwrap()), "9223372036854775808");
        assert!(d.help.is_some());
        assert!(parse(FILE, "a: 0x10000000000000000\n").is_err());
        assert!(parse(FILE, "a: -9223372036854775809\n").is_err());
        assert_eq!(value("'9223372036854775808'"), str("9223372036854775808"));
    }

    #[test]
    fn spans_are_byte_ranges_after_non_ascii_text() {
        let text = "# Grüße\nnäme: \"ü x\"\nkey: 'é'\nlist: [ä, \"ö\", {ü: 1}]\nblock: |\n  ä\nend: ~\n";
        let root = parsed(text);
        let e = entries(&root);
        assert_eq!(at(text, e[0].0.span), "näme");
        assert_eq!(at(text, e[0].1.span), "\"ü x\"");
        assert_eq!(e[0].1.kind, str("ü x"));
        assert_eq!(at(text, e[1].0.span), "key");
        assert_eq!(at(text, e[1].1.span), "'é'");
        let list = items(&e[2].1);
        assert_eq!(at(text, e[2].1.span), "[");
        assert_eq!(at(text, list[0].span), "ä");
        assert_eq!(at(text, list[1].span), "\"ö\"");
        assert_eq!(at(text, list[2].span), "{");
        assert_eq!(at(text, entries(&list[2])[0].0.span), "ü");
        assert_eq!(at(text, entries(&list[2])[0].1.span), "1");
        assert_eq!(at(text, e[3].1.span), "ä\n");
        assert_eq!(at(text, e[4].1.span), "~");
        // A block map's span is empty, at its first key.
        assert_eq!(root.span.start as usize, text.find("näme").unwrap());
        assert_eq!(root.span.start, root.span.end);
    }

    #[test]
    fn syntax_errors_are_located_by_byte_offset() {
        let text = "ключ: значение\nx: [a, b\n";
        let d = error(text);
        assert_eq!(d.code, "E0001");
        assert_eq!(d.message, "invalid YAML: `[` is never closed");
        assert_eq!(d.primary_span().unwrap().start as usize, text.find('[').unwrap());
        assert!(!d.message.contains("line"));

        let text =
            "models:\n  Bök:\n    fields:\n      title: {type: string, min_length: 1\n      isbn: {type: string}\n";
        let d = error(text);
        assert_eq!(d.message, "invalid YAML: flow map `{` is not closed, or a `,` is missing");
        assert_eq!(at(text, d.labels[0].span), "{");
        assert_eq!(d.labels[1].message, "expected `,` or `}` here");
        assert_eq!(d.labels[1].span.start as usize, text.find("isbn").unwrap() + 4);
        let d = error("a: {x: 1 y: 2}\n");
        assert_eq!(d.message, "invalid YAML: expected `,` or `}` in a flow map");
        assert_eq!(d.labels[1].span, Span::new(FILE, 3..4));
        let d = error("a: [1, {b: 2]\n");
        assert_eq!(d.message, "invalid YAML: `{` is closed by `]`");
        assert_eq!(d.primary_span(), Some(Span::new(FILE, 7..7)));

        let text = "models:\n  Bök:\n\tfields: {}\n";
        let d = error(text);
        assert_eq!(d.message, "invalid YAML: a tab is used for indentation");
        assert_eq!(d.primary_span().unwrap().start as usize, text.find('\t').unwrap());

        let text = "ä:\n  b: 1\n c: 2\n";
        let d = error(text);
        assert!(d.message.starts_with("invalid YAML: "), "{}", d.message);
        assert_eq!(d.primary_span().unwrap().start as usize, text.find("c:").unwrap());
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        let text = "base: &b {x: 1, y: [2]}\ncopy: *b\nname: &n ä\nagain: *n\n";
        let root = parsed(text);
        let e = entries(&root);
        assert_eq!(e[1].1.kind, e[0].1.kind);
        assert_eq!(at(text, e[1].1.span), "*b");
        // Inside the copy, spans are those of the anchored node.
        assert_eq!(at(text, entries(&e[1].1)[0].0.span), "x");
        assert_eq!(e[3].1.kind, str("ä"));
        assert_eq!(at(text, e[3].1.span), "*n");

        let d = error("a: 1\nb: *nope\n");
        assert_eq!(d.message, "invalid YAML: unknown alias `*nope`");
        assert_eq!(at("a: 1\nb: *nope\n", d.primary_span().unwrap()), "*nope");

        let d = error("a: &a [1, *a]\n");
        assert_eq!(d.message, "invalid YAML: alias `*a` refers to a node that contains it");

        // A repeated anchor name: aliases refer to the latest definition.
        let root = parsed("a: &x 1\nb: *x\nc: &x 2\nd: *x\n");
        assert_eq!(pairs(&root), ["a=1", "b=1", "c=2", "d=2"]);
    }

    #[test]
    fn merge_keys() {
        let text = "\
base: &base {a: 1, b: 2}
other: &other {b: 3, c: 4}
one:
  <<: *base
  x: 9
two:
  x: 9
  <<: [*base, *other]
  a: 0
inline:
  <<: {q: 1}
nothing:
  <<: ~
  k: v
quoted:
  '<<': *base
";
        let root = parsed(text);
        let e = entries(&root);
        // Own entries first, then merged ones; own keys win, earlier sources win.
        assert_eq!(pairs(&e[2].1), ["x=9", "a=1", "b=2"]);
        assert_eq!(pairs(&e[3].1), ["x=9", "a=0", "b=2", "c=4"]);
        assert_eq!(pairs(&e[4].1), ["q=1"]);
        assert_eq!(pairs(&e[5].1), ["k=v"]);
        // Merged entries keep the spans of their definition.
        assert_eq!(at(text, entries(&e[2].1)[1].0.span), "a");
        assert_eq!(entries(&e[2].1)[1].0.span.start as usize, text.find("a: 1").unwrap());
        // A quoted `<<` is an ordinary key.
        assert_eq!(entries(&e[6].1)[0].0.kind, str("<<"));

        // Keys coming from merges are no duplicates; keys written twice are.
        parsed("b: &b {a: 1}\nm:\n  <<: *b\n  <<: *b\n  a: 2\n");
        let text = "b: &b {a: 1}\ns: &s x\nm:\n  <<: [*b, 1]\n";
        let d = error(text);
        assert_eq!(d.message, "invalid YAML: a merge key `<<` takes a map or a list of maps, not the integer `1`");
        assert_eq!(d.primary_span().unwrap().start as usize, text.rfind('1').unwrap());
        let text = "b: &b {a: 1}\ns: &s x\nm:\n  <<: [*b, *s]\n";
        assert_eq!(at(text, error(text).primary_span().unwrap()), "*s");
        assert!(error("m:\n  <<: text\n").message.contains("not the string `text`"));
    }

    #[test]
    fn duplicate_keys() {
        let text = "models:\n  Book:\n    fields:\n      title: string\n      isbn: string\n      title: int\n";
        let d = error(text);
        assert_eq!(d.code, "E0001");
        assert_eq!(d.message, "duplicate key `title`");
        let span = d.primary_span().unwrap();
        assert_eq!(at(text, span), "title");
        assert_eq!(span.start as usize, text.rfind("title").unwrap());
        assert_eq!(d.labels[1].span.start as usize, text.find("title").unwrap());
        assert_eq!(d.help.as_deref(), Some(DUPLICATE_HELP));

        // Compared after resolution: `1` and `0x1` collide, `1` and `"1"` do not.
        assert_eq!(error("1: a\n0x1: b\n").message, "duplicate key `1`");
        assert_eq!(error("{~: a, null: b}").message, "duplicate key `null`");
        parsed("1: a\n\"1\": b\n");
        parsed("a: {x: 1}\nb: {x: 1}\n");
        // Large maps use the hash index.
        let mut big: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        parsed(&big);
        big.push_str("k42: again\n");
        let d = error(&big);
        assert_eq!(d.message, "duplicate key `k42`");
        assert_eq!(at(&big, d.primary_span().unwrap()), "k42");
        assert_eq!(d.primary_span().unwrap().start as usize, big.rfind("k42").unwrap());
    }

    #[test]
    fn nesting_is_limited() {
        let flow = |n: usize| format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
        parsed(&flow(MAX_DEPTH - 1)); // plus the top-level map
        let text = flow(MAX_DEPTH);
        let d = error(&text);
        assert_eq!(d.message, "YAML too large or too deeply nested: nesting deeper than 64 levels");
        assert_eq!(d.help.as_deref(), Some(BUDGET_HELP));
        assert_eq!(d.primary_span().unwrap().start as usize, 3 + MAX_DEPTH - 1);
        assert!(parse(FILE, &flow(100_000)).is_err());

        let block = |n: usize| (0..n).map(|i| format!("\n{}k{i}:", "  ".repeat(i))).collect::<String>() + " end\n";
        parsed(&block(MAX_DEPTH));
        assert!(error(&block(MAX_DEPTH + 1)).message.contains("nesting deeper than 64 levels"));

        // Through aliases: a deep anchored node copied somewhere deep.
        let deep = format!("a: &d {}{}\n", "[".repeat(40), "]".repeat(40));
        parsed(&format!("{deep}b: {}*d{}\n", "[".repeat(20), "]".repeat(20)));
        let text = format!("{deep}b: {}*d{}\n", "[".repeat(30), "]".repeat(30));
        let d = error(&text);
        assert!(d.message.contains("nesting deeper than 64 levels (through an alias)"), "{}", d.message);
        assert_eq!(at(&text, d.primary_span().unwrap()), "*d");
    }

    #[test]
    fn alias_bombs_are_rejected_before_expansion() {
        let levels = ["lol"; 10].join(", ");
        let mut bomb = format!("a0: &a0 [{levels}]\n");
        for i in 1..40 {
            let prev = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{prev}]\n"));
        }
        // 10^40 nodes if expanded: this test finishing at all shows the limit applies before
        // any expansion (the bench, not the tests, measures how fast).
        let d = error(&bomb);
        assert_eq!(
            d.message,
            format!("YAML too large or too deeply nested: more than {MAX_NODES} nodes after expanding aliases")
        );
        assert!(at(&bomb, d.primary_span().unwrap()).starts_with('*'));

        // Long strings count by their bytes.
        let long = "x".repeat(1 << 16);
        let copies = vec!["*s"; 2000].join(", ");
        assert!(error(&format!("s: &s {long}\nt: [{copies}]\n")).message.contains("MiB of text"));

        // The limits themselves.
        let small = Limits { depth: 8, nodes: 20, aliases: 3, bytes: 1 << 10 };
        let d = parse_with(FILE, "a: &a x\nb: [*a, *a, *a, *a]\n", small).unwrap_err();
        assert_eq!(d.message, "YAML too large or too deeply nested: more than 3 aliases");
        assert!(parse_with(FILE, "a: &a x\nb: [*a, *a, *a]\n", small).is_ok());
        let d = parse_with(FILE, "a: &a [1, 2, 3, 4, 5, 6, 7, 8]\nb: *a\nc: *a\n", small).unwrap_err();
        assert_eq!(d.message, "YAML too large or too deeply nested: more than 20 nodes after expanding aliases");
    }

    #[test]
    fn documents() {
        assert_eq!(parsed("").kind, NodeKind::Null);
        assert_eq!(parsed("# only a comment\n\n# another\n").kind, NodeKind::Null);
        assert_eq!(parsed("\n  \n").span, Span::new(FILE, 0..0));
        assert_eq!(pairs(&parsed("---\na: 1\n...\n")), ["a=1"]);
        assert_eq!(parsed("--- just text\n").kind, str("just text"));
        assert_eq!(parsed("---\n").kind, NodeKind::Null);

        let text = "a: 1\n---\nb: 2\n";
        let d = error(text);
        assert_eq!(d.message, "invalid YAML: more than one document in a file");
        assert_eq!(at(text, d.primary_span().unwrap()), "---");
        assert!(parse(FILE, "a: 1\n...\n---\nb: 2\n").is_err());
    }

    #[test]
    fn the_caller_strips_the_bom() {
        // As load does: spans are offsets into the stripped text.
        let file = "\u{feff}näme: x\n";
        let text = file.strip_prefix('\u{feff}').unwrap();
        let root = parsed(text);
        assert_eq!(at(text, entries(&root)[0].0.span), "näme");
        // A BOM left in is skipped by the parser; spans still count its bytes.
        let root = parsed(file);
        assert_eq!(at(file, entries(&root)[0].0.span), "näme");
    }

    /// Tiny deterministic generator for the fuzz test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Parses and checks that every span lies on character boundaries inside the text.
    fn parse_checked(text: &str) {
        fn check(text: &str, node: &Node) {
            let (start, end) = (node.span.start as usize, node.span.end as usize);
            assert!(start <= end && end <= text.len(), "{text:?}: {:?}", node.span);
            assert!(text.is_char_boundary(start) && text.is_char_boundary(end), "{text:?}: {:?}", node.span);
            match &node.kind {
                NodeKind::Seq(items) => items.iter().for_each(|n| check(text, n)),
                NodeKind::Map(entries) => entries.iter().for_each(|(k, v)| {
                    check(text, k);
                    check(text, v)
                }),
                _ => {}
            }
        }
        match parse(FILE, text) {
            Ok(doc) => check(text, &nested(&doc)),
            Err(d) => {
                assert_eq!(d.code, "E0001");
                for label in &d.labels {
                    let (start, end) = (label.span.start as usize, label.span.end as usize);
                    assert!(start <= end && end <= text.len(), "{text:?}: {d:?}");
                    assert!(text.is_char_boundary(start) && text.is_char_boundary(end), "{text:?}: {d:?}");
                }
                let digit_after = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_digit());
                assert!(!d.message.split("line ").skip(1).any(digit_after), "{}", d.message);
            }
        }
    }

    /// The YAML files under `dir` (recursively, sorted) that are UTF-8, with their text.
    pub(super) fn yaml_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
            let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        out.push((path, text));
                    }
                }
            }
        }
        let mut files = Vec::new();
        walk(dir, &mut files);
        files
    }

    #[test]
    fn never_panics_on_mangled_input() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let texts: Vec<String> = yaml_files(&fixtures).into_iter().map(|(_, text)| text).collect();
        assert!(texts.len() > 20);
        let pieces = [
            "[",
            "]",
            "{",
            "}",
            ":",
            ": ",
            ",",
            "- ",
            "-",
            "&a ",
            "*a",
            "!!",
            "! ",
            "!x ",
            "|",
            ">",
            "'",
            "\"",
            "#",
            "\t",
            "\n",
            "\n  ",
            " ",
            "<<: ",
            "? ",
            "---\n",
            "...",
            "%YAML 1.2\n",
            "\\",
            "ü",
            "\u{feff}",
            "\r",
            "\0",
        ];
        // `YAML_FUZZ_ROUNDS=200 cargo test --release …` fuzzes longer, with other random choices.
        let rounds: u64 = std::env::var("YAML_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(1);
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for text in (0..rounds).flat_map(|_| &texts) {
            let text: String = text.chars().take(1500).collect();
            for _ in 0..3 {
                let mut cut = rng.below(text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                parse_checked(&text[..cut]);
            }
            for _ in 0..4 {
                let mut mutated = text.clone();
                for _ in 0..1 + rng.below(3) {
                    let mut at = rng.below(mutated.len() + 1);
                    while !mutated.is_char_boundary(at) {
                        at -= 1;
                    }
                    let piece = pieces[rng.below(pieces.len())];
                    if rng.below(2) == 0 {
                        mutated.insert_str(at, piece);
                    } else {
                        let end = mutated[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                        mutated.replace_range(at..end, piece);
                    }
                }
                parse_checked(&mutated);
            }
        }
        for _ in 0..300 * rounds {
            let len = rng.below(40);
            let text: String = (0..len).map(|_| pieces[rng.below(pieces.len())]).collect();
            parse_checked(&text);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            parse_checked(&String::from_utf8_lossy(&bytes));
        }
    }
}
