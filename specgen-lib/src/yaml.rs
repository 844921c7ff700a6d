//! YAML behind one small module: parse text into a span-carrying [`Node`] tree straight from
//! granit-parser's event stream, then deserialize spec structs from that tree with [`from_node`].
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
//! Hostile input stays cheap: collections nest at most [`MAX_DEPTH`] levels (aliases included),
//! at most [`MAX_ALIASES`] aliases are followed, and the tree (alias copies included) holds at
//! most [`MAX_NODES`] nodes and [`MAX_SCALAR_BYTES`] bytes of scalar text. Sizes of anchored
//! nodes are known when an alias is met, so an alias bomb is rejected before anything is copied.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};

use granit_parser::{ErrorKind, Event, Parser, ScalarStyle, ScanError, StructureStyle, Tag, TryLoadError};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::diagnostics::{did_you_mean, Diagnostic, FileId, Span};

/// A parsed YAML node with its byte span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// The shapes a YAML node can take after tag resolution (YAML 1.2 core schema).
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl NodeKind {
    /// "a string", "a map"… for messages.
    pub fn describe(&self) -> String {
        match self {
            NodeKind::Null => "null".into(),
            NodeKind::Bool(b) => format!("the boolean `{b}`"),
            NodeKind::Int(i) => format!("the integer `{i}`"),
            NodeKind::Float(f) => format!("the number `{f}`"),
            NodeKind::Str(s) => format!("the string `{}`", abbreviate(s)),
            NodeKind::Seq(_) => "a list".into(),
            NodeKind::Map(_) => "a map".into(),
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
/// Most nodes in one file's tree, counting every alias copy (and the copy kept of each anchored
/// node) in full. A file of [`crate::load`]'s maximum size without aliases stays far below.
pub const MAX_NODES: usize = 10_000_000;
/// Most aliases in one file.
pub const MAX_ALIASES: usize = 100_000;
/// Most bytes of scalar text in one file's tree, counted like [`MAX_NODES`] (or twice the file
/// size, if larger, so that a file without aliases never hits it).
pub const MAX_SCALAR_BYTES: usize = 64 << 20;

const BUDGET_HELP: &str =
    "specgen bounds aliases, nesting depth and events to keep hostile input cheap; flatten the file";
const DUPLICATE_HELP: &str = "each key may appear once in a map; remove or rename one";

/// Parses `text` (one YAML document, BOM already stripped) into a node tree.
pub fn parse(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    let options = granit_parser::options! {
        emit_comments: false,
        emit_unresolved_aliases: true,
        flow_nesting_limit: MAX_DEPTH,
        block_nesting_limit: MAX_DEPTH,
    };
    let mut builder = Builder::new(file, text);
    match Parser::new_from_str_with_options(text, options).try_load(&mut builder, true) {
        Ok(()) => Ok(builder.root.unwrap_or(Node { kind: NodeKind::Null, span: Span::new(file, 0..0) })),
        Err(TryLoadError::Receiver(d)) => Err(*d),
        Err(TryLoadError::Scan(e)) => Err(builder.scan_error(&e)),
    }
}

/// Builds the tree from parser events, one open collection per [`Frame`].
struct Builder<'t> {
    file: FileId,
    text: &'t str,
    stack: Vec<Frame>,
    root: Option<Node>,
    documents: usize,
    /// Anchor id → a copy of the anchored node, taken when it was complete.
    anchors: HashMap<usize, Anchored>,
    /// Nodes and scalar bytes created so far (alias copies and anchor copies included).
    nodes: usize,
    bytes: usize,
    max_bytes: usize,
    aliases: usize,
    /// Nodes and bytes of the copies kept of anchored nodes (they count against the limits too).
    copied_nodes: usize,
    copied_bytes: usize,
    /// The tag token of the current event, if any.
    tag_at: Option<Span>,
}

struct Anchored {
    node: Node,
    /// Nodes and scalar bytes in the node's tree, and its height (0 for a scalar).
    nodes: usize,
    bytes: usize,
    height: usize,
}

struct Frame {
    /// The start token (`[`, `{`, or empty for a block collection).
    span: Span,
    flow: bool,
    anchor: usize,
    nodes_before: usize,
    bytes_before: usize,
    /// Height of the tallest child.
    height: usize,
    body: Body,
}

enum Body {
    Seq(Vec<Node>),
    Map(MapBuilder),
}

#[derive(Default)]
struct MapBuilder {
    entries: Vec<(Node, Node)>,
    /// The key waiting for its value; `None` inside when the key is a merge key `<<`.
    key: Option<Option<Node>>,
    /// Values of merge keys, in order.
    merges: Vec<Node>,
    /// Hashes of the scalar keys in `entries`, built once the map is large.
    index: Option<HashSet<u64>>,
}

/// Maps up to this size find keys by scanning; larger ones by hash.
const SCAN_LIMIT: usize = 16;

impl MapBuilder {
    /// The index of the entry whose key equals `key` (scalars only).
    fn position(&mut self, key: &NodeKind) -> Option<usize> {
        let hash = key_hash(key)?;
        if self.entries.len() > SCAN_LIMIT {
            let index = self.index.get_or_insert_with(|| {
                let mut set = HashSet::with_capacity(self.entries.len() * 2);
                set.extend(self.entries.iter().filter_map(|(k, _)| key_hash(&k.kind)));
                set
            });
            if !index.contains(&hash) {
                return None;
            }
        }
        self.entries.iter().position(|(k, _)| same_key(&k.kind, key))
    }

    fn push(&mut self, key: Node, value: Node) {
        if let (Some(index), Some(hash)) = (&mut self.index, key_hash(&key.kind)) {
            index.insert(hash);
        }
        self.entries.push((key, value));
    }
}

fn key_hash(key: &NodeKind) -> Option<u64> {
    let mut h = DefaultHasher::new();
    match key {
        NodeKind::Null => 0u8.hash(&mut h),
        NodeKind::Bool(b) => (1u8, b).hash(&mut h),
        NodeKind::Int(i) => (2u8, i).hash(&mut h),
        NodeKind::Float(f) => (3u8, f.to_bits()).hash(&mut h),
        NodeKind::Str(s) => (4u8, s).hash(&mut h),
        NodeKind::Seq(_) | NodeKind::Map(_) => return None,
    }
    Some(h.finish())
}

/// Key equality for duplicate detection and merges: scalars by value, collections never.
fn same_key(a: &NodeKind, b: &NodeKind) -> bool {
    match (a, b) {
        (NodeKind::Null, NodeKind::Null) => true,
        (NodeKind::Bool(x), NodeKind::Bool(y)) => x == y,
        (NodeKind::Int(x), NodeKind::Int(y)) => x == y,
        (NodeKind::Float(x), NodeKind::Float(y)) => x.to_bits() == y.to_bits(),
        (NodeKind::Str(x), NodeKind::Str(y)) => x == y,
        _ => false,
    }
}

fn key_text(key: &NodeKind) -> String {
    match key {
        NodeKind::Null => "null".into(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Int(i) => i.to_string(),
        NodeKind::Float(f) => f.to_string(),
        NodeKind::Str(s) => abbreviate(s),
        NodeKind::Seq(_) | NodeKind::Map(_) => String::new(),
    }
}

type Step = Result<(), Box<Diagnostic>>;

impl<'t> granit_parser::TrySpannedEventReceiver<'t> for Builder<'_> {
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
                let kind = self.scalar(value.into_owned(), style, tag.as_deref(), span)?;
                let bytes = match &kind {
                    NodeKind::Str(s) => s.len(),
                    _ => 0,
                };
                self.charge(1, bytes, span)?;
                self.complete(Node { kind, span }, anchor, Size { nodes: 1, bytes, height: 0 }, merge_key)
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

/// Nodes, scalar bytes and height of a finished node.
#[derive(Clone, Copy)]
struct Size {
    nodes: usize,
    bytes: usize,
    height: usize,
}

impl<'t> Builder<'t> {
    fn new(file: FileId, text: &'t str) -> Self {
        Builder {
            file,
            text,
            stack: Vec::new(),
            root: None,
            documents: 0,
            anchors: HashMap::new(),
            nodes: 0,
            bytes: 0,
            max_bytes: MAX_SCALAR_BYTES.max(text.len().saturating_mul(2)),
            aliases: 0,
            copied_nodes: 0,
            copied_bytes: 0,
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
        self.check(span)
    }

    fn check(&self, span: Span) -> Step {
        if self.nodes.saturating_add(self.copied_nodes) > MAX_NODES {
            return Err(Self::budget_error(span, format!("more than {MAX_NODES} nodes after expanding aliases")));
        }
        if self.bytes.saturating_add(self.copied_bytes) > self.max_bytes {
            return Err(Self::budget_error(
                span,
                format!("more than {} MiB of text after expanding aliases", self.max_bytes >> 20),
            ));
        }
        Ok(())
    }

    fn scalar(
        &self,
        value: String,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<NodeKind, Box<Diagnostic>> {
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
            Some(core @ ("int" | "float" | "bool" | "null")) => (core, resolve_plain(value.clone(), span)?),
            _ => return Err(self.tag_error(tag, span, "a scalar")),
        };
        match resolved {
            ("int", kind @ NodeKind::Int(_))
            | ("bool", kind @ NodeKind::Bool(_))
            | ("null", kind @ NodeKind::Null)
            | ("float", kind @ NodeKind::Float(_)) => Ok(kind),
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
                .with_help("spec files are plain data: remove the tag (only `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq` and `!!map` are understood)"),
        )
    }

    fn open(&mut self, span: Span, style: StructureStyle, anchor: usize, tag: Option<&Tag>, map: bool) -> Step {
        if let Some(tag) = tag {
            let fits = tag.parts() == ("", "!") || tag.is_yaml_core_schema_tag(if map { "map" } else { "seq" });
            if !fits {
                return Err(self.tag_error(tag, span, if map { "a map" } else { "a list" }));
            }
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(Self::budget_error(span, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.charge(1, 0, span)?;
        self.stack.push(Frame {
            span,
            flow: style == StructureStyle::Flow,
            anchor,
            nodes_before: self.nodes - 1,
            bytes_before: self.bytes,
            height: 0,
            body: if map { Body::Map(MapBuilder::default()) } else { Body::Seq(Vec::new()) },
        });
        Ok(())
    }

    fn close(&mut self) -> Step {
        let Some(frame) = self.stack.pop() else { return Ok(()) };
        let kind = match frame.body {
            Body::Seq(items) => NodeKind::Seq(items),
            Body::Map(mut map) => {
                for source in std::mem::take(&mut map.merges) {
                    let maps = match source.kind {
                        NodeKind::Map(entries) => vec![entries],
                        NodeKind::Seq(items) => items
                            .into_iter()
                            .filter_map(|item| match item.kind {
                                NodeKind::Map(entries) => Some(entries),
                                _ => None,
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    for (key, value) in maps.into_iter().flatten() {
                        if map.position(&key.kind).is_none() {
                            map.push(key, value);
                        }
                    }
                }
                NodeKind::Map(map.entries)
            }
        };
        let size = Size {
            nodes: self.nodes - frame.nodes_before,
            bytes: self.bytes - frame.bytes_before,
            height: frame.height + 1,
        };
        self.complete(Node { kind, span: frame.span }, frame.anchor, size, false)
    }

    fn alias(&mut self, id: usize, span: Span) -> Step {
        let name = self.text.get(span.start as usize..span.end as usize).unwrap_or("*");
        let Some(anchored) = self.anchors.get(&id) else {
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
        let size = Size { nodes: anchored.nodes, bytes: anchored.bytes, height: anchored.height };
        self.aliases += 1;
        if self.aliases > MAX_ALIASES {
            return Err(Self::budget_error(span, format!("more than {MAX_ALIASES} aliases")));
        }
        if self.stack.len() + size.height > MAX_DEPTH {
            return Err(Self::budget_error(span, format!("nesting deeper than {MAX_DEPTH} levels (through an alias)")));
        }
        self.charge(size.nodes, size.bytes, span)?;
        let mut node = self.anchors[&id].node.clone();
        node.span = span;
        self.complete(node, 0, size, false)
    }

    /// Hands a finished node to its parent (or makes it the root), keeping a copy if anchored.
    fn complete(&mut self, node: Node, anchor: usize, size: Size, merge_key: bool) -> Step {
        if anchor != 0 {
            self.copied_nodes = self.copied_nodes.saturating_add(size.nodes);
            self.copied_bytes = self.copied_bytes.saturating_add(size.bytes);
            self.check(node.span)?;
            let copy = Anchored { node: node.clone(), nodes: size.nodes, bytes: size.bytes, height: size.height };
            self.anchors.insert(anchor, copy);
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        parent.height = parent.height.max(size.height);
        let map = match &mut parent.body {
            Body::Seq(items) => {
                items.push(node);
                return Ok(());
            }
            Body::Map(map) => map,
        };
        match map.key.take() {
            None if merge_key => map.key = Some(None),
            None => {
                if let Some(first) = map.position(&node.kind) {
                    let first = map.entries[first].0.span;
                    return Err(Box::new(
                        Diagnostic::error(
                            "E0001",
                            format!("duplicate key `{}`", key_text(&node.kind)),
                            node.span,
                            "here",
                        )
                        .with_label(first, "first here")
                        .with_help(DUPLICATE_HELP),
                    ));
                }
                map.key = Some(Some(node));
            }
            Some(Some(key)) => map.push(key, node),
            Some(None) => {
                let bad = match &node.kind {
                    NodeKind::Map(_) | NodeKind::Null => None,
                    NodeKind::Seq(items) => items.iter().find(|i| !matches!(i.kind, NodeKind::Map(_))),
                    _ => Some(&node),
                };
                if let Some(bad) = bad {
                    return Err(Box::new(
                        Diagnostic::error(
                            "E0001",
                            format!(
                                "invalid YAML: a merge key `<<` takes a map or a list of maps, not {}",
                                bad.kind.describe()
                            ),
                            bad.span,
                            "here",
                        )
                        .with_help("write `<<: *anchor` or `<<: [*first, *second]` with anchors on maps"),
                    ));
                }
                map.merges.push(node);
            }
        }
        Ok(())
    }

    /// A diagnostic for a syntax error of the parser, located at its marker.
    fn scan_error(&self, e: &ScanError) -> Diagnostic {
        let at = self.offset(e.marker());
        let span = Span::new(self.file, at..at);
        let innermost_flow = |map: bool| {
            self.stack.iter().rev().find(|f| f.flow && matches!(f.body, Body::Map(_)) == map).map(|f| f.span)
        };
        let (message, help, opened): (String, Option<&str>, Option<(Span, &str)>) = match e.kind() {
            ErrorKind::RecursionLimitExceeded => {
                return *Self::budget_error(span, format!("nesting deeper than {MAX_DEPTH} levels"));
            }
            ErrorKind::ExpectedBlockMappingKey | ErrorKind::InvalidIndentation => (
                "invalid YAML: this line is not indented like a key of the map around it".into(),
                Some("keys of one map start in the same column; indent with spaces to match the key above"),
                None,
            ),
            ErrorKind::TabInBlockIndentation | ErrorKind::TabInIndentation | ErrorKind::TabNotAllowed => (
                "invalid YAML: a tab is used for indentation".into(),
                Some("YAML indents with spaces only; replace the tab with spaces"),
                None,
            ),
            ErrorKind::ExpectedFlowMappingSeparator => (
                "invalid YAML: expected `,` or `}` in a flow map".into(),
                Some("a `{…}` map needs `,` between its entries and a closing `}`"),
                innermost_flow(true).map(|s| (s, "the flow map starts here")),
            ),
            ErrorKind::ExpectedFlowSequenceSeparator => (
                "invalid YAML: expected `,` or `]` in a flow list".into(),
                Some("a `[…]` list needs `,` between its items and a closing `]`"),
                innermost_flow(false).map(|s| (s, "the flow list starts here")),
            ),
            ErrorKind::UnclosedFlowCollection { open } => {
                (format!("invalid YAML: `{open}` is never closed"), None, None)
            }
            ErrorKind::UnclosedQuotedScalar => (
                "invalid YAML: unclosed quote".into(),
                Some("a quoted string ends with the same quote it starts with"),
                None,
            ),
            kind => (format!("invalid YAML: {kind}"), None, None),
        };
        let mut d = Diagnostic::error("E0001", message, span, "here");
        if let Some((span, label)) = opened {
            d = d.with_label(span, label);
        }
        d.with_help_opt(help.map(str::to_string))
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn resolve_plain(value: String, span: Span) -> Result<NodeKind, Box<Diagnostic>> {
    let kind = match value.as_str() {
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
                let (file, start, end): (u32, u32, u32) =
                    seq.next_element()?.ok_or_else(|| de::Error::custom("span missing"))?;
                let value = seq.next_element()?.ok_or_else(|| de::Error::custom("value missing"))?;
                Ok(Spanned { value, span: Span { file: FileId(file), start, end } })
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
pub fn from_node<'n, T: Deserialize<'n>>(node: &'n Node, soft: &RefCell<Vec<Diagnostic>>) -> Result<T, Diagnostic> {
    T::deserialize(NodeDe { node, soft }).map_err(|e| {
        let span = e.span.unwrap_or(node.span);
        Diagnostic::error("E0002", e.message, span, "").with_help_opt(e.help)
    })
}

struct NodeDe<'n, 's> {
    node: &'n Node,
    soft: &'s RefCell<Vec<Diagnostic>>,
}

impl<'n, 's> NodeDe<'n, 's> {
    fn mismatch(&self, expected: &str) -> Error {
        Error {
            message: format!("expected {expected}, found {}", self.node.kind.describe()),
            span: Some(self.node.span),
            help: None,
        }
    }
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
            NodeKind::Seq(items) => visitor.visit_seq(Seq { items: items.iter(), soft: self.soft }),
            NodeKind::Map(entries) => {
                visitor.visit_map(Map { entries: entries.iter(), value: None, soft: self.soft, fields: None })
            }
        };
        result.map_err(|e: Error| e.at(span))
    }

    fn deserialize_bool<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Str(s)
                if ["yes", "no", "on", "off", "y", "n", "True", "False", "TRUE", "FALSE"].contains(&s.as_str()) =>
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
            NodeKind::Seq(items) => {
                visitor.visit_seq(Seq { items: items.iter(), soft: self.soft }).map_err(|e: Error| e.at(self.node.span))
            }
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
            return visitor
                .visit_seq(SpannedAccess { span: Some((span.file.0, span.start, span.end)), de: Some(self) });
        }
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'n>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Map(entries) => visitor
                .visit_map(Map { entries: entries.iter(), value: None, soft: self.soft, fields: None })
                .map_err(|e: Error| e.at(self.node.span)),
            // An empty value (`Create:`) reads as an empty map.
            NodeKind::Null => visitor
                .visit_map(Map { entries: [].iter(), value: None, soft: self.soft, fields: None })
                .map_err(|e: Error| e.at(self.node.span)),
            _ => Err(self.mismatch("a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'n>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let entries = match &self.node.kind {
            NodeKind::Map(entries) => entries.as_slice(),
            NodeKind::Null => &[],
            _ => return Err(self.mismatch("a map")),
        };
        visitor
            .visit_map(Map { entries: entries.iter(), value: None, soft: self.soft, fields: Some(fields) })
            .map_err(|e: Error| e.at(self.node.span))
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
                NodeKind::Map(_) => "map",
                _ => return Err(self.mismatch("a string or a map")),
            };
            return visitor.visit_enum(ShapeAccess { variant, de: self });
        }
        match &self.node.kind {
            NodeKind::Str(s) => {
                let span = self.node.span;
                visitor.visit_enum(s.as_str().into_deserializer()).map_err(|e: Error| e.at(span))
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

struct Seq<'n, 's> {
    items: std::slice::Iter<'n, Node>,
    soft: &'s RefCell<Vec<Diagnostic>>,
}

impl<'n> SeqAccess<'n> for Seq<'n, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'n>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => {
                seed.deserialize(NodeDe { node, soft: self.soft }).map(Some).map_err(|e: Error| e.at(node.span))
            }
            None => Ok(None),
        }
    }
}

struct Map<'n, 's> {
    entries: std::slice::Iter<'n, (Node, Node)>,
    value: Option<&'n Node>,
    soft: &'s RefCell<Vec<Diagnostic>>,
    /// For structs: the known keys. Unknown ones become soft diagnostics and are skipped.
    fields: Option<&'static [&'static str]>,
}

impl<'n> MapAccess<'n> for Map<'n, '_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'n>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        for (key, value) in self.entries.by_ref() {
            if let (Some(fields), NodeKind::Str(name)) = (self.fields, &key.kind) {
                if !fields.contains(&name.as_str()) {
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
                .deserialize(NodeDe { node: key, soft: self.soft })
                .map(Some)
                .map_err(|e: Error| e.at(key.span));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'n>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let node = self.value.take().ok_or_else(|| <Error as de::Error>::custom("value requested before key"))?;
        seed.deserialize(NodeDe { node, soft: self.soft }).map_err(|e: Error| e.at(node.span))
    }
}

struct SpannedAccess<'n, 's> {
    span: Option<(u32, u32, u32)>,
    de: Option<NodeDe<'n, 's>>,
}

impl<'n> SeqAccess<'n> for SpannedAccess<'n, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'n>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if let Some((file, start, end)) = self.span.take() {
            use serde::de::value::SeqDeserializer;
            let de = SeqDeserializer::<_, Error>::new([file, start, end].into_iter());
            return seed.deserialize(de).map(Some);
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
mod dump_tmp {
    use super::*;
    fn dump(n: &Node, text: &str, indent: usize, out: &mut String) {
        use std::fmt::Write;
        let src = text.get(n.span.start as usize..n.span.end as usize).unwrap_or("<bad>");
        let src: String = src.chars().take(30).collect();
        let kind = match &n.kind {
            NodeKind::Seq(_) => "Seq".to_string(),
            NodeKind::Map(_) => "Map".to_string(),
            k => format!("{k:?}"),
        };
        writeln!(out, "{:indent$}{kind} {}..{} {:?}", "", n.span.start, n.span.end, src, indent = indent).unwrap();
        match &n.kind {
            NodeKind::Seq(items) => items.iter().for_each(|i| dump(i, text, indent + 2, out)),
            NodeKind::Map(entries) => entries.iter().for_each(|(k, v)| {
                dump(k, text, indent + 2, out);
                dump(v, text, indent + 4, out);
            }),
            _ => {}
        }
    }
    #[test]
    #[ignore]
    fn dump_all() {
        let out_dir = std::env::var("DUMP_DIR").unwrap();
        let mut files = Vec::new();
        fn walk(p: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(p).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, files)
                } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    files.push(p)
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        walk(&root.join("specgen-lib/tests/fixtures"), &mut files);
        walk(&root.join("examples"), &mut files);
        walk(std::path::Path::new("/tmp/n1000/services"), &mut files);
        walk(std::path::Path::new("/tmp/extra_yaml"), &mut files);
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else { continue };
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
            let mut out = String::new();
            match parse(FileId(0), &text) {
                Ok(n) => dump(&n, &text, 0, &mut out),
                Err(d) => out = format!("ERR {d:?}\n"),
            }
            let name = f.to_string_lossy().replace('/', "_");
            std::fs::write(format!("{out_dir}/{name}.txt"), out).unwrap();
        }
    }
}
