//! The fast path of [`parse`](super::parse): a small hand-written parser for the plain
//! block-style YAML that spec files are written in. It builds the very tree the granit path
//! builds (same kinds, values and byte spans) at a fraction of the cost.
//!
//! Why: granit-parser handles all of YAML 1.2, and pays for it on every byte with a general
//! scanner and parser state machine (queued tokens, simple-key bookkeeping, one event per
//! node). On a large project parsing was most of the time of a whole run. Spec files use a
//! small, regular part of YAML, which a line-oriented recursive parser reads directly.
//!
//! Why falling back is always safe: [`parse`] returns `None` for anything outside the subset
//! below, and for anything it is unsure about; the caller then parses the whole file with
//! granit, as before. The fast path reports no errors: invalid YAML, duplicate keys, integers
//! out of range and trees near the limits all give `None`, so every diagnostic comes from the
//! granit path. A `Some` holds for a document the fast path fully understood; the tests check
//! that it equals granit's tree on every spec file of the repository, on a generated corpus and
//! on random documents in and around the subset.
//!
//! The subset:
//! - block maps and sequences indented with spaces, with `- key: value` maps and `- - item`
//!   sequences inside sequence entries, and sequences at the indentation of their parent key;
//! - keys: plain or quoted scalars followed by `:` and a space or the line end;
//! - values: plain scalars on one line (ended by `: `, ` #` or the line end, resolved like
//!   granit's by [`resolve_plain`]), single- and double-quoted scalars on one line (all escapes
//!   except line continuations), flow sequences and maps on one line (`[a, b]`, `{k: v}`,
//!   nested) holding such scalars;
//! - comments, blank lines, empty values (null), empty documents, a leading `---` line.
//!
//! Left to granit: tabs, carriage returns, a BOM and other unusual characters; anchors,
//! aliases, tags and merge keys `<<`; block scalars `|`/`>`; scalars and flow collections over
//! several lines; explicit keys `?`, collection keys, flow entries without a value and
//! trailing commas; directives and document markers other than a leading `---`; keys near
//! YAML's 1024-character limit; and everything granit would reject.

use std::borrow::Cow;

use super::{resolve_plain, Document, KeyIndex, Node, NodeKind, MAX_DEPTH, MAX_NODES};
use crate::diagnostics::{FileId, Span};

/// Parses `text` into the tree the granit path would build, if it lies in the subset; `None`
/// asks the caller to parse it with granit.
pub(super) fn parse(file: FileId, text: &str) -> Option<Document<'_>> {
    if !has_plain_characters_only(text) {
        return None;
    }
    FastParser::new(file, text, 0, 0).document()
}

/// The block map whose first key is on the first content line at or after `start` (the start
/// of a line, inside a map at the root: `depth` is 1), read to the end of `text` as the root of
/// a document of its own, spans counted in the whole of `text`. `None` when the rest of `text`
/// is not one block map, or not in the subset.
///
/// Why: a large models.yaml is read in two halves on two threads, the root map and the first
/// entries of the map under it through [`parse`], the other entries through this. The halves
/// stay within the fast path's limits if the whole does not: the entries are nested as deep
/// as in the whole, and each half has at most [`MAX_FAST_NODES`] nodes, so the whole has fewer
/// than granit's [`MAX_NODES`].
pub(super) fn parse_map_entries(file: FileId, text: &str, start: usize) -> Option<Document<'_>> {
    let rest = text.get(start..)?;
    if !has_plain_characters_only(rest) || rest.contains("\n---") || rest.contains("\n...") {
        return None;
    }
    if start > 0 && text.as_bytes()[start - 1] != b'\n' {
        return None;
    }
    let mut parser = FastParser::new(file, text, start, 1);
    let line = parser.next_content_line()?;
    if line.indent == 0 || parser.is_block_entry(line.start) {
        return None;
    }
    parser.pos = line.start;
    let root = parser.block_node(line.indent, 0)?;
    let is_map = matches!(root.kind, NodeKind::Map { .. });
    (is_map && parser.next_content_line().is_none()).then(|| Document::new(root, parser.children))
}

/// Whether `text` has no tab, carriage return or other control character, and only the
/// non-ASCII characters [`is_plain_non_ascii`] allows.
fn has_plain_characters_only(text: &str) -> bool {
    // A fold over chunks, not an `all` stopping at the first bad byte, so that it vectorizes.
    let plain_bytes = text
        .as_bytes()
        .chunks(256)
        .all(|chunk| chunk.iter().fold(true, |plain, &b| plain & (b == b'\n' || b >= b' ' && b != 0x7F)));
    plain_bytes && (text.is_ascii() || text.chars().all(|c| c.is_ascii() || is_plain_non_ascii(c)))
}

/// Non-ASCII characters the subset allows: YAML's printable ones, except the BOM and those some
/// readers take for line breaks (NEL, the line and paragraph separators).
fn is_plain_non_ascii(c: char) -> bool {
    matches!(c, '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}')
}

/// Collections nest at most this deep on the fast path, well below granit's limit.
const MAX_FAST_DEPTH: usize = MAX_DEPTH / 2;
/// Most nodes of a tree built on the fast path, well below the limit. (The limit on bytes of
/// scalar text cannot be reached: without aliases that text is no longer than the file.)
const MAX_FAST_NODES: usize = MAX_NODES / 2;
/// Longest key, in bytes before its `:`, safely below the 1024 characters YAML allows.
const MAX_KEY_BYTES: usize = 1000;

/// The byte [`FastParser::byte`] reads past the end (the subset has no NUL).
const END: u8 = 0;

struct FastParser<'t> {
    file: FileId,
    text: &'t str,
    /// `text` as bytes: everything structural in the subset is ASCII.
    bytes: &'t [u8],
    /// Where parsing is. Between block nodes, at the start of a line.
    pos: usize,
    /// Collections open around `pos`.
    depth: usize,
    /// Nodes built so far.
    nodes: usize,
    /// Children of the open collections, innermost last (keys and values alternating for a
    /// map). Each moves its own to `children` when it ends: cheaper than growing one vector per
    /// collection.
    open: Vec<Node<'t>>,
    /// The last answer of [`FastParser::next_content_line`] and where it was asked: the line
    /// after a value is looked for twice, once to check that nothing continues the value.
    looked_ahead: Option<(usize, Option<Line>)>,
    /// The children of the collections read so far: the [`Document`]'s nodes.
    children: Vec<Node<'t>>,
}

/// A line with content (not blank, not only a comment).
#[derive(Clone, Copy)]
struct Line {
    /// Its number of leading spaces.
    indent: usize,
    /// Where its content starts.
    start: usize,
}

/// A node written on the current line, and whether it is a key (followed by `:`).
enum Inline<'t> {
    Key(Node<'t>),
    Value(Node<'t>),
}

/// A map being read: where its entries start in [`FastParser::open`], and its keys.
struct OpenMap {
    first: usize,
    keys: KeyIndex,
}

/// The bytes that may end a plain scalar in block context, or are spaces (which count only
/// when something follows them): all the cases [`FastParser::plain`] looks at.
static BLOCK_PLAIN_STOPS: [bool; 256] = plain_stops(b"\n :#");
/// The same in a flow collection.
static FLOW_PLAIN_STOPS: [bool; 256] = plain_stops(b"\n :#,[]{}");

const fn plain_stops(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

fn is_line_end(b: u8) -> bool {
    b == b'\n' || b == END
}

fn is_blank_or_end(b: u8) -> bool {
    b == b' ' || is_line_end(b)
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'t> FastParser<'t> {
    /// A parser of `text` from `pos` (the start of a line), inside `depth` open collections.
    fn new(file: FileId, text: &'t str, pos: usize, depth: usize) -> FastParser<'t> {
        FastParser {
            file,
            text,
            bytes: text.as_bytes(),
            pos,
            depth,
            nodes: 0,
            open: Vec::new(),
            looked_ahead: None,
            // About one node per 8 bytes of spec text; reserving spares most regrowth copies.
            children: Vec::with_capacity((text.len() - pos) / 8),
        }
    }

    /// The byte at `at`, [`END`] past the end.
    fn byte(&self, at: usize) -> u8 {
        self.bytes.get(at).copied().unwrap_or(END)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start..end)
    }

    /// Counts a new node.
    fn count_node(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_FAST_NODES).then_some(())
    }

    /// Enters a collection.
    fn open(&mut self) -> Option<()> {
        self.depth += 1;
        self.count_node()?;
        (self.depth <= MAX_FAST_DEPTH).then_some(())
    }

    /// Enters a sequence: the position of its first item in `open`.
    fn open_sequence(&mut self) -> Option<usize> {
        self.open()?;
        Some(self.open.len())
    }

    fn close_sequence(&mut self, first: usize, span: Span) -> Node<'t> {
        self.depth -= 1;
        // Fewer nodes than MAX_FAST_NODES fit in a u32.
        let (start, len) = (self.children.len() as u32, (self.open.len() - first) as u32);
        self.children.extend(self.open.drain(first..));
        Node { kind: NodeKind::Seq { start, len }, span }
    }

    fn open_map(&mut self) -> Option<OpenMap> {
        self.open()?;
        Some(OpenMap { first: self.open.len(), keys: KeyIndex::default() })
    }

    /// Adds an entry to the innermost map; a duplicate key ends the fast path.
    fn push_entry(&mut self, map: &mut OpenMap, key: Node<'t>, value: Node<'t>) -> Option<()> {
        let entries = &self.open[map.first..];
        if map.keys.insert(entries.len() / 2, |i| Some(&entries[2 * i].kind), &key.kind).is_some() {
            return None;
        }
        self.open.push(key);
        self.open.push(value);
        Some(())
    }

    fn close_map(&mut self, map: OpenMap, span: Span) -> Node<'t> {
        self.depth -= 1;
        let (start, len) = (self.children.len() as u32, ((self.open.len() - map.first) / 2) as u32);
        self.children.extend(self.open.drain(map.first..));
        Node { kind: NodeKind::Map { start, len }, span }
    }

    fn skip_spaces(&mut self) {
        while self.byte(self.pos) == b' ' {
            self.pos += 1;
        }
    }

    /// Where the line holding `at` ends (its `\n`, or the end of the text).
    fn line_end(&self, at: usize) -> usize {
        self.bytes[at..].iter().position(|&b| b == b'\n').map_or(self.bytes.len(), |i| at + i)
    }

    /// Whether a comment starts at `pos` (a `#` after a space or at the start of a line).
    fn at_comment(&self) -> bool {
        self.byte(self.pos) == b'#' && (self.pos == 0 || matches!(self.bytes[self.pos - 1], b' ' | b'\n'))
    }

    fn at_line_end_or_comment(&self) -> bool {
        is_line_end(self.byte(self.pos)) || self.at_comment()
    }

    /// Whether a block sequence entry `-` starts at `at`.
    fn is_block_entry(&self, at: usize) -> bool {
        self.byte(at) == b'-' && is_blank_or_end(self.byte(at + 1))
    }

    /// Moves past the end of the current line, which may only hold spaces and a comment.
    fn finish_line(&mut self) -> Option<()> {
        self.skip_spaces();
        if self.at_comment() {
            self.pos = self.line_end(self.pos);
        }
        match self.byte(self.pos) {
            b'\n' => self.pos += 1,
            END => {}
            _ => return None,
        }
        Some(())
    }

    /// The next line with content, from `pos` at the start of a line; `None` at the end.
    fn next_content_line(&mut self) -> Option<Line> {
        match self.looked_ahead {
            Some((at, line)) if at == self.pos => line,
            _ => {
                let line = self.content_line_from(self.pos);
                self.looked_ahead = Some((self.pos, line));
                line
            }
        }
    }

    /// The first line with content from `line_start`, the start of a line; `None` at the end.
    fn content_line_from(&self, line_start: usize) -> Option<Line> {
        let mut line_start = line_start;
        loop {
            let mut at = line_start;
            while self.byte(at) == b' ' {
                at += 1;
            }
            match self.byte(at) {
                END => return None,
                b'\n' => line_start = at + 1,
                b'#' => line_start = self.line_end(at) + 1,
                _ => return Some(Line { indent: at - line_start, start: at }),
            }
        }
    }

    /// The whole text: comments, perhaps a `---` line, then one block node or nothing.
    fn document(mut self) -> Option<Document<'t>> {
        if let Some(line) = self.next_content_line() {
            if line.indent == 0 && self.bytes[line.start..].starts_with(b"---") {
                self.pos = line.start + 3;
                self.finish_line()?;
            }
        }
        // Any other line starting like a document marker, even as a scalar, is left to granit.
        let rest = &self.text[self.pos..];
        let marker_first = rest.starts_with("---") || rest.starts_with("...");
        if marker_first || rest.contains("\n---") || rest.contains("\n...") {
            return None;
        }
        let Some(line) = self.next_content_line() else {
            let root = Node { kind: NodeKind::Null, span: self.span(0, 0) };
            return (self.pos == 0).then(|| Document::new(root, Vec::new()));
        };
        self.pos = line.start;
        let root = self.block_node(line.indent, 0)?;
        self.next_content_line().is_none().then(|| Document::new(root, self.children))
    }

    /// The block node starting at `pos`, in column `column`. Lines indented less than
    /// `min_indent` are not part of it.
    fn block_node(&mut self, column: usize, min_indent: usize) -> Option<Node<'t>> {
        if self.is_block_entry(self.pos) {
            return self.block_sequence(column, false);
        }
        match self.inline_node()? {
            Inline::Key(key) => self.block_map(column, key),
            Inline::Value(node) => {
                self.end_inline_value(min_indent)?;
                Some(node)
            }
        }
    }

    /// After a value written on the current line: moves to the next line, checking that no
    /// line below continues the value (a multi-line scalar, or a syntax error).
    fn end_inline_value(&mut self, min_indent: usize) -> Option<()> {
        self.finish_line()?;
        match self.next_content_line() {
            Some(line) if line.indent >= min_indent => None,
            _ => Some(()),
        }
    }

    /// A block sequence whose first `-` is at `pos`, in column `indent`; `indentless` if it
    /// is indented like the key it is the value of.
    fn block_sequence(&mut self, indent: usize, indentless: bool) -> Option<Node<'t>> {
        let first = self.open_sequence()?;
        // Where granit places it: at its first `-`, or for an indentless one, where its first
        // entry starts (the end of the line if nothing follows the `-`).
        let mut span = self.span(self.pos, self.pos);
        loop {
            let dash = self.pos;
            self.pos += 1;
            self.skip_spaces();
            let empty = self.at_line_end_or_comment();
            let entry = if empty { self.line_end(self.pos) } else { self.pos };
            if indentless && self.open.len() == first {
                span = self.span(entry, entry);
            }
            let item = if empty {
                self.finish_line()?;
                self.value_below(indent, self.span(entry, entry))?
            } else {
                self.block_node(indent + self.pos - dash, indent + 1)?
            };
            self.open.push(item);
            match self.next_content_line() {
                Some(line) if line.indent == indent && self.is_block_entry(line.start) => self.pos = line.start,
                Some(line) if line.indent > indent => return None,
                _ => break,
            }
        }
        Some(self.close_sequence(first, span))
    }

    /// A block map at column `indent` whose first key was read, with its `:`.
    fn block_map(&mut self, indent: usize, first_key: Node<'t>) -> Option<Node<'t>> {
        let mut map = self.open_map()?;
        let span = self.span(first_key.span.start as usize, first_key.span.start as usize);
        let mut key = first_key;
        loop {
            let colon = self.pos - 1;
            self.skip_spaces();
            let value = if self.at_line_end_or_comment() {
                self.finish_line()?;
                match self.next_content_line() {
                    // A sequence may be indented like the key it belongs to.
                    Some(line) if line.indent == indent && self.is_block_entry(line.start) => {
                        self.pos = line.start;
                        self.block_sequence(indent, true)?
                    }
                    _ => self.value_below(indent, self.span(colon, colon))?,
                }
            } else {
                let Inline::Value(value) = self.inline_node()? else { return None };
                self.end_inline_value(indent + 1)?;
                value
            };
            self.push_entry(&mut map, key, value)?;
            let line = match self.next_content_line() {
                Some(line) if line.indent == indent => line,
                Some(line) if line.indent > indent => return None,
                _ => break,
            };
            self.pos = line.start;
            let Inline::Key(next) = self.inline_node()? else { return None };
            key = next;
        }
        Some(self.close_map(map, span))
    }

    /// The value of a key or `-` of a collection at `indent` with nothing after it on its line:
    /// a node on the lines below, indented more, or null (at `empty`).
    fn value_below(&mut self, indent: usize, empty: Span) -> Option<Node<'t>> {
        match self.next_content_line() {
            Some(line) if line.indent > indent => {
                self.pos = line.start;
                self.block_node(line.indent, indent + 1)
            }
            _ => {
                self.count_node()?;
                Some(Node { kind: NodeKind::Null, span: empty })
            }
        }
    }

    /// A scalar or flow collection at `pos`, and whether it is a key of a block map (then
    /// `pos` ends after its `:`).
    fn inline_node(&mut self) -> Option<Inline<'t>> {
        let start = self.pos;
        let node = self.flow_node(false)?;
        let end = self.pos;
        self.skip_spaces();
        if self.byte(self.pos) == b':' && is_blank_or_end(self.byte(self.pos + 1)) {
            let key = self.key(node, start)?;
            self.pos += 1;
            return Some(Inline::Key(key));
        }
        self.pos = end;
        Some(Inline::Value(node))
    }

    /// `key`, written from `start` to its `:` at `pos`, if the fast path takes it: a scalar,
    /// not a merge key `<<`, and not near YAML's length limit for keys.
    fn key(&self, key: Node<'t>, start: usize) -> Option<Node<'t>> {
        let merge_key = self.byte(start) == b'<' && matches!(&key.kind, NodeKind::Str(s) if s == "<<");
        let scalar = !matches!(key.kind, NodeKind::Seq { .. } | NodeKind::Map { .. });
        (scalar && !merge_key && self.pos - start <= MAX_KEY_BYTES).then_some(key)
    }

    /// A scalar or flow collection at `pos`, on one line. `in_flow` is set inside a flow
    /// collection, where plain scalars also end at `,[]{}`. (Only the plain scalar, the most
    /// common, is inlined here: the others would make every call pay for their stack frame.)
    fn flow_node(&mut self, in_flow: bool) -> Option<Node<'t>> {
        match self.byte(self.pos) {
            b'[' => self.flow_sequence(),
            b'{' => self.flow_map(),
            b'\'' => self.single_quoted(),
            b'"' => self.double_quoted(),
            _ => self.plain(in_flow),
        }
    }

    /// A flow sequence `[a, b]` at `pos`.
    #[inline(never)]
    fn flow_sequence(&mut self) -> Option<Node<'t>> {
        let first = self.open_sequence()?;
        let span = self.span(self.pos, self.pos + 1);
        self.pos += 1;
        self.skip_spaces();
        if self.byte(self.pos) != b']' {
            loop {
                let item = self.flow_node(true)?;
                self.open.push(item);
                if !self.flow_separator(b']')? {
                    break;
                }
            }
        }
        self.pos += 1;
        Some(self.close_sequence(first, span))
    }

    /// A flow map `{k: v}` at `pos`, each key with a value.
    #[inline(never)]
    fn flow_map(&mut self) -> Option<Node<'t>> {
        let mut map = self.open_map()?;
        let span = self.span(self.pos, self.pos + 1);
        self.pos += 1;
        self.skip_spaces();
        if self.byte(self.pos) != b'}' {
            loop {
                let start = self.pos;
                let key = self.flow_node(true)?;
                self.skip_spaces();
                if self.byte(self.pos) != b':' || self.byte(self.pos + 1) != b' ' {
                    return None;
                }
                let key = self.key(key, start)?;
                self.pos += 1;
                self.skip_spaces();
                let value = self.flow_node(true)?;
                self.push_entry(&mut map, key, value)?;
                if !self.flow_separator(b'}')? {
                    break;
                }
            }
        }
        self.pos += 1;
        Some(self.close_map(map, span))
    }

    /// After an entry of a flow collection: `Some(true)` past a `,` with another entry after
    /// it, `Some(false)` at the closing bracket.
    fn flow_separator(&mut self, close: u8) -> Option<bool> {
        self.skip_spaces();
        match self.byte(self.pos) {
            b',' => {
                self.pos += 1;
                self.skip_spaces();
                (self.byte(self.pos) != close).then_some(true)
            }
            b if b == close => Some(false),
            _ => None,
        }
    }

    /// A plain scalar at `pos`, ended by the line end, `: `, ` #` (and in a flow collection
    /// by `,[]{}`), its trailing spaces left out.
    fn plain(&mut self, in_flow: bool) -> Option<Node<'t>> {
        let start = self.pos;
        let second = self.byte(start + 1);
        match self.byte(start) {
            // A `-` starts a plain scalar when it is not an entry (`-1`); `?` and `:` are left
            // to granit.
            b'-' if !is_blank_or_end(second) && !is_flow_indicator(second) => {}
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' => {
                return None;
            }
            b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' | END => return None,
            _ => {}
        }
        let stops = if in_flow { &FLOW_PLAIN_STOPS } else { &BLOCK_PLAIN_STOPS };
        let mut end = start;
        let mut at = start;
        loop {
            // Most bytes of a scalar are none of the few that may end it: skip them in one go.
            let run = self.bytes[at..].iter().position(|&b| stops[usize::from(b)]).unwrap_or(self.bytes.len() - at);
            if run > 0 {
                at += run;
                end = at;
            }
            match self.byte(at) {
                b'\n' | END => break,
                b' ' => {
                    at += 1;
                    continue;
                }
                b':' if is_blank_or_end(self.byte(at + 1)) || in_flow && is_flow_indicator(self.byte(at + 1)) => {
                    break;
                }
                b'#' if self.bytes[at - 1] == b' ' => break,
                b if in_flow && is_flow_indicator(b) => break,
                _ => {}
            }
            at += 1;
            end = at;
        }
        self.pos = end;
        let span = self.span(start, end);
        let kind = resolve_plain(Cow::Borrowed(&self.text[start..end]), span).ok()?;
        self.count_node()?;
        Some(Node { kind, span })
    }

    /// A single-quoted scalar on one line at `pos` (`''` is a quote). Borrowed from the text
    /// unless it holds a `''`.
    #[inline(never)]
    fn single_quoted(&mut self) -> Option<Node<'t>> {
        let start = self.pos;
        let mut value = Cow::Borrowed("");
        let mut from = start + 1;
        loop {
            let quote = from + self.bytes[from..].iter().position(|&b| b == b'\'' || b == b'\n')?;
            if self.bytes[quote] == b'\n' {
                return None;
            }
            if self.byte(quote + 1) != b'\'' {
                push_piece(&mut value, &self.text[from..quote]);
                self.pos = quote + 1;
                break;
            }
            value.to_mut().push_str(&self.text[from..=quote]);
            from = quote + 2;
        }
        self.quoted(start, value)
    }

    /// A double-quoted scalar on one line at `pos`, with its escapes. Borrowed from the text
    /// unless it holds an escape.
    #[inline(never)]
    fn double_quoted(&mut self) -> Option<Node<'t>> {
        let start = self.pos;
        let mut value = Cow::Borrowed("");
        let mut from = start + 1;
        loop {
            let stop = from + self.bytes[from..].iter().position(|&b| matches!(b, b'"' | b'\\' | b'\n'))?;
            push_piece(&mut value, &self.text[from..stop]);
            match self.bytes[stop] {
                b'"' => {
                    self.pos = stop + 1;
                    break;
                }
                b'\\' => {
                    let (c, len) = escape(&self.bytes[stop + 1..])?;
                    value.to_mut().push(c);
                    from = stop + 1 + len;
                }
                _ => return None,
            }
        }
        self.quoted(start, value)
    }

    fn quoted(&mut self, start: usize, value: Cow<'t, str>) -> Option<Node<'t>> {
        self.count_node()?;
        Some(Node { kind: NodeKind::Str(value), span: self.span(start, self.pos) })
    }
}

/// Appends `piece` of the text to a quoted scalar's value: the value borrows it while it is the
/// only piece, and becomes owned once there are several.
fn push_piece<'t>(value: &mut Cow<'t, str>, piece: &'t str) {
    if value.is_empty() {
        if let Cow::Borrowed(_) = value {
            *value = Cow::Borrowed(piece);
            return;
        }
    }
    value.to_mut().push_str(piece);
}

/// The character an escape of a double-quoted scalar stands for, given what follows its `\`,
/// and the length of that part; `None` for a line continuation or an invalid escape.
fn escape(after: &[u8]) -> Option<(char, usize)> {
    let c = match *after.first()? {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex_escape(after, 2),
        b'u' => return hex_escape(after, 4),
        b'U' => return hex_escape(after, 8),
        _ => return None,
    };
    Some((c, 1))
}

/// `\x`, `\u` or `\U` with its `digits` hex digits (a Unicode scalar value).
fn hex_escape(after: &[u8], digits: usize) -> Option<(char, usize)> {
    let hex = after.get(1..=digits)?;
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
    Some((char::from_u32(code)?, 1 + digits))
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::Path;

    use proptest::prelude::*;
    use proptest::sample::{select, subsequence, Index};

    use super::*;
    use crate::yaml::tests::{nested, yaml_files, Node, NodeKind};
    use crate::yaml::{parse_with, LIMITS};

    const FILE: FileId = FileId(0);

    /// The fast path's tree of `text`, checked against the granit path: if the fast path builds
    /// a tree, granit builds the same one (compared by `Debug`, so that NaN equals NaN), and a
    /// text granit rejects never takes the fast path.
    fn checked_fast(text: &str) -> Option<Node> {
        let fast = parse(FILE, text).map(|doc| nested(&doc));
        match (&fast, parse_with(FILE, text, LIMITS)) {
            (Some(fast), Ok(granit)) => {
                let granit = nested(&granit);
                assert_eq!(format!("{fast:?}"), format!("{granit:?}"), "the paths disagree on {text:?}")
            }
            (Some(_), Err(d)) => panic!("the fast path took {text:?}, which granit rejects: {}", d.message),
            (None, _) => {}
        }
        fast
    }

    fn fast(text: &str) -> Node {
        checked_fast(text).unwrap_or_else(|| panic!("{text:?} did not take the fast path"))
    }

    fn falls_back(text: &str) {
        assert!(checked_fast(text).is_none(), "{text:?} took the fast path");
    }

    /// The text a span covers.
    fn at(text: &str, span: Span) -> &str {
        &text[span.start as usize..span.end as usize]
    }

    fn manifest_dir() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// The texts of the fixtures' spec files, without a BOM (as `load` passes them).
    fn fixture_texts() -> Vec<String> {
        let files = yaml_files(&manifest_dir().join("tests/fixtures"));
        files.into_iter().map(|(_, text)| text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text)).collect()
    }

    /// The texts of the example's and the fixtures' spec files.
    fn spec_files() -> Vec<String> {
        let example = yaml_files(&manifest_dir().join("../examples"));
        example.into_iter().map(|(_, text)| text).chain(fixture_texts()).collect()
    }

    #[test]
    fn every_spec_file_of_the_repository_agrees() {
        let example = yaml_files(&manifest_dir().join("../examples"));
        assert!(example.len() >= 6);
        for (path, text) in &example {
            assert!(checked_fast(text).is_some(), "{} did not take the fast path", path.display());
        }
        let fixtures = fixture_texts();
        let taken = fixtures.iter().filter(|text| checked_fast(text).is_some()).count();
        // Most fixtures are plain spec files; the others test YAML features or errors.
        assert!(taken * 4 > fixtures.len() * 3, "{taken} of {} fixtures took the fast path", fixtures.len());
    }

    /// The benchmark corpus (`bench/make_corpus.py`, 30 resources). Needs `python3`; skipped
    /// without it unless `SPECGEN_REQUIRE_PYTHON=1`.
    #[test]
    fn the_benchmark_corpus_takes_the_fast_path() {
        let Some(dir) = crate::test_support::benchmark_corpus(30) else { return };
        let files = yaml_files(dir.path());
        assert_eq!(files.len(), 5);
        for (path, text) in &files {
            assert!(checked_fast(text).is_some(), "{} did not take the fast path", path.display());
        }
    }

    #[test]
    fn spans_are_granits() {
        // Block collections: empty, at their first key or `-`.
        let text = "# c\nmodels:\n  - a: 1\n    b: [x, {y: z}]\n  -   - 'q'\n";
        let root = fast(text);
        assert_eq!(root.span, Span::new(FILE, 4..4));
        let NodeKind::Map(entries) = &root.kind else { panic!("{root:?}") };
        let seq = &entries[0].1;
        assert_eq!(seq.span, Span::new(FILE, 14..14));
        let NodeKind::Seq(items) = &seq.kind else { panic!("{seq:?}") };
        assert_eq!(items[0].span.start as usize, text.find("a: 1").unwrap());
        assert_eq!(items[1].span.start as usize, text.rfind('-').unwrap());
        // An indentless sequence: at its first entry, or the end of that line when it is empty.
        let text = "a:\n-   x\nb:\n- # c\n  - y\n";
        let root = fast(text);
        let NodeKind::Map(entries) = &root.kind else { panic!("{root:?}") };
        assert_eq!(entries[0].1.span, Span::new(FILE, 7..7));
        assert_eq!(entries[1].1.span.start as usize, text.find("# c").unwrap() + 3);
        // Null values: at a key's `:`, at the end of an empty entry's line.
        let text = "a:   # c\nb:\n  -\n  -   \n";
        let root = fast(text);
        let NodeKind::Map(entries) = &root.kind else { panic!("{root:?}") };
        assert_eq!(entries[0].1, Node { kind: NodeKind::Null, span: Span::new(FILE, 1..1) });
        let NodeKind::Seq(items) = &entries[1].1.kind else { panic!("{root:?}") };
        assert_eq!(items[0].span, Span::new(FILE, 15..15));
        assert_eq!(items[1].span, Span::new(FILE, 22..22));
        // Scalars: the whole token, quotes included, trailing spaces not.
        let text = "k: 'it''s'   \n\"é\": \"a\\tb\"\nplain: a b  # c\n";
        let root = fast(text);
        let NodeKind::Map(entries) = &root.kind else { panic!("{root:?}") };
        assert_eq!(at(text, entries[0].1.span), "'it''s'");
        assert_eq!(entries[0].1.kind, NodeKind::Str("it's".into()));
        assert_eq!(at(text, entries[1].0.span), "\"é\"");
        assert_eq!(entries[1].1.kind, NodeKind::Str("a\tb".into()));
        assert_eq!(at(text, entries[2].1.span), "a b");
    }

    #[test]
    fn the_subset() {
        for text in [
            "",
            "# only comments\n\n  # more\n",
            "---\na: 1\n",
            "--- # start\na: 1\n",
            "a: b\n",
            "a: b",
            "just a scalar\n",
            "[a, b]\n",
            "a:\n  b:\n    c: d\n  e: f\ng: h\n",
            "a:\n- x\n- y\nb: z\n",
            "- - a\n  - b\n- c: d\n  e:\n  - f\n",
            "-\n  a: 1\n-\n",
            "key:\n  value on the next line\nnext: 1\n",
            "a: http://x.y/z?q=1#frag\nb: a#b\nc: 'x # y'\nd: x:[y\ne: [x:y]\n",
            "a: -1\nb: .inf\nc: 0x1F\nd: ~\ne: True\nf: 1e3\ng: yes\nh: .nan\n",
            "1: int\n'1': str\n~: null\ntrue: bool\n",
            "a: {type: {type: optional, of: string}, values: [x, y], d: {}, e: []}\n",
            "a: [ x , 'y' ,\"z\" ]\n",
            "a: \"\\u00e9\\x41\\U0001F600 \\\" \\\\ \\/ \\0\"\n",
            "a b: c d\n\"k\" : v\n",
            "a: b\n  # an indented comment\nc: d\n",
            "ключ: значение\n",
        ] {
            fast(text);
        }
        // Long lines: YAML's 1024-character limit is on keys only.
        let items = vec!["item"; 500].join(", ");
        fast(&format!("a: [{items}]\nb: {{k: [{items}]}}\nc: {}\nd: '{}'\n", "x".repeat(2000), "y".repeat(2000)));
        fast(&format!("- [{items}]\n- {}: v\n", "k".repeat(MAX_KEY_BYTES)));
    }

    #[test]
    fn what_falls_back() {
        for text in [
            // Characters.
            "a: b\t\n",
            "a: b\r\n",
            "\u{feff}a: b\n",
            "a: \u{85}\n",
            "a: b\u{7}\n",
            // Features outside the subset.
            "a: &x b\nc: *x\n",
            "a: !!str 1\n",
            "a: !t b\n",
            "base: {x: 1}\nm:\n  <<: {y: 2}\n",
            "a: |\n  text\n",
            "a: >-\n  text\n",
            "? a\n: b\n",
            "[a]: b\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n...\n",
            "a: 1\n---\nb: 2\n",
            "---\n",
            "--- text\n",
            // Over several lines.
            "a: b\n  c\n",
            "a: 'b\n  c'\n",
            "a: \"b\n  c\"\n",
            "a: \"b\\\n  c\"\n",
            "a: [b,\n  c]\n",
            "- a\n  b\n",
            "a\nb\n",
            // Flow corner cases.
            "a: [b, ]\n",
            "a: {b}\n",
            "a: {b: }\n",
            "a: [b: c]\n",
            "a: {\"b\":c}\n",
            "a: [b] c\n",
            // Escapes and numbers.
            "a: \"\\q\"\n",
            "a: \"\\ud800\"\n",
            "a: 9223372036854775808\n",
            // Questionable structure, or errors.
            "a: b\nb: c\na: d\n",
            "1: a\n0x1: b\n",
            "a: {x: 1, x: 2}\n",
            "a: b: c\n",
            "a:\n  b: 1\n c: 2\n",
            "a:\n  - b\n  c: d\n",
            "- a\nb: c\n",
            "a: 1\n- b\n",
            "a: - b\n",
            "- a\n - b\n",
            "a: 'b'c\n",
            "a: [b]#c\n",
            ": a\n",
            "a: @b\n",
            "a: `b\n",
        ] {
            falls_back(text);
        }
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        falls_back(&format!("{long_key}: v\n"));
        fast(&format!("{}: v\n", &long_key[1..]));
        let deep = |n: usize| (0..n).map(|i| format!("{}k:\n", " ".repeat(i))).collect::<String>();
        fast(&deep(MAX_FAST_DEPTH - 1));
        falls_back(&deep(MAX_FAST_DEPTH + 1));
        falls_back(&format!("a: {}{}\n", "[".repeat(MAX_FAST_DEPTH), "]".repeat(MAX_FAST_DEPTH)));
    }

    /// A document to write in block style. `Inline` is what follows a key or `-` on its line:
    /// a scalar, a flow collection, or nothing (null).
    #[derive(Debug, Clone)]
    enum Tree {
        Inline(String),
        Seq(Vec<Tree>),
        Map(Vec<(String, Tree)>),
    }

    /// Writes a [`Tree`] with layout choices drawn from `choices`: indentation steps, compact
    /// and indentless sequences, values on the next line, comments and blank lines.
    struct Writer<'c> {
        choices: &'c [u8],
        next: usize,
        out: String,
    }

    impl Writer<'_> {
        fn choose(&mut self, n: u8) -> u8 {
            let choice = self.choices[self.next % self.choices.len()];
            self.next += 1;
            choice % n
        }

        fn end_line(&mut self) {
            if self.choose(6) == 0 {
                self.out.push_str("  # note: a, [b]");
            }
            self.out.push('\n');
            match self.choose(8) {
                0 => self.out.push('\n'),
                1 => {
                    let indent = self.choose(6) as usize;
                    let _ = writeln!(self.out, "{:indent$}# comment", "");
                }
                _ => {}
            }
        }

        /// `tree` at column `indent`; the first line's indentation is already written if
        /// `started`.
        fn block(&mut self, tree: &Tree, indent: usize, started: bool) {
            let mut started = started;
            let mut start_line = |out: &mut String| {
                if !std::mem::take(&mut started) {
                    out.push_str(&" ".repeat(indent));
                }
            };
            match tree {
                Tree::Inline(value) => {
                    start_line(&mut self.out);
                    self.out.push_str(value);
                    self.end_line();
                }
                Tree::Seq(items) => {
                    for item in items {
                        start_line(&mut self.out);
                        self.out.push('-');
                        self.after_indicator(item, indent, false);
                    }
                }
                Tree::Map(entries) => {
                    for (key, value) in entries {
                        start_line(&mut self.out);
                        self.out.push_str(key);
                        if self.choose(10) == 0 {
                            self.out.push(' ');
                        }
                        self.out.push(':');
                        self.after_indicator(value, indent, true);
                    }
                }
            }
        }

        /// The value of a key (`of_key`) or `-` at column `indent`.
        fn after_indicator(&mut self, tree: &Tree, indent: usize, of_key: bool) {
            let step = 1 + self.choose(4) as usize;
            match tree {
                Tree::Inline(value) if value.is_empty() => self.end_line(),
                Tree::Inline(value) if self.choose(8) != 0 => {
                    self.out.push(' ');
                    self.out.push_str(value);
                    self.end_line();
                }
                Tree::Seq(items) if items.is_empty() => {
                    self.out.push_str(" []");
                    self.end_line();
                }
                Tree::Map(entries) if entries.is_empty() => {
                    self.out.push_str(" {}");
                    self.end_line();
                }
                Tree::Seq(_) if of_key && self.choose(2) == 0 => {
                    self.end_line();
                    self.block(tree, indent, false);
                }
                Tree::Seq(_) | Tree::Map(_) if !of_key && self.choose(2) == 0 => {
                    let spaces = 1 + self.choose(3) as usize;
                    self.out.push_str(&" ".repeat(spaces));
                    self.block(tree, indent + 1 + spaces, true);
                }
                _ => {
                    self.end_line();
                    self.block(tree, indent + step, false);
                }
            }
        }
    }

    fn write(tree: &Tree, choices: &[u8]) -> String {
        let mut writer = Writer { choices, next: 0, out: String::new() };
        if writer.choose(4) == 0 {
            writer.out.push_str("# leading comment\n");
        }
        let empty = match tree {
            Tree::Inline(value) => value.is_empty(),
            Tree::Seq(items) => items.is_empty(),
            Tree::Map(entries) => entries.is_empty(),
        };
        if !empty {
            if writer.choose(4) == 0 {
                writer.out.push_str("---\n");
            }
            let indent = writer.choose(2) as usize;
            writer.block(tree, indent, false);
        }
        writer.out
    }

    /// Plain scalars for block context, of every resolution.
    #[rustfmt::skip]
    const PLAIN: &[&str] = &[
        "x", "hello world", "true", "False", "NULL", "~", "12", "-7", "+3", "0x1F", "0o17", "1e3", "-2.5E-2", ".5",
        ".inf", "-.Inf", ".nan", "yes", "1.2.3", "0b101", "12:30", "-x", "a - b", "ü ö", "a#b", "a:b", "x,y",
        "it's", "say \"hi\"", "list[int]", "dict[str, int]", "^[a-z]+$", "http://x.y/z?q=1", "<<", "x:[y", "x:]",
        "x:,y",
    ];
    /// Plain scalars for flow context too.
    const FLOW_PLAIN: &[&str] =
        &["x", "hello world", "true", "~", "12", "-7", "0x1F", "1e3", ".nan", "-x", "ü", "a#b", "a/b", "it's", "^a.*$"];
    const QUOTED: &[&str] = &[
        "''",
        "'it''s'",
        "'a: b # c'",
        "'[x], {y}'",
        "\"\"",
        "\"a\\tb\"",
        "\"\\u00e9\\x41\\U0001F600\"",
        "\"say \\\"hi\\\"\"",
        "\"\\\\ \\/ \\0 \\e \\N \\_ \\L \\P \\ \"",
        "\"#: ,[]{}\"",
        "\"ü\"",
    ];
    /// Keys that resolve to different values.
    const KEYS: &[&str] = &["a", "key", "b c", "\"q\"", "'s'", "1", "true", "~", "-k", "k.x", "ü", "x:y", "\"\""];
    const FLOW_KEYS: &[&str] = &["a", "key", "b c", "\"q\"", "'s'", "1", "true", "~", "-k", "ü"];
    /// Scalars, keys and pieces of text outside the subset, or invalid.
    #[rustfmt::skip]
    const ODD_SCALARS: &[&str] = &[
        "a: b", "a #b", "- x", "-", ":x", "?x", "? x", "&a x", "*a", "!!str x", "!t x", "|", ">-", "<<", "@x", "`x",
        "%x", "a:b", "99999999999999999999", "[a,]", "{a}", "[a: b]", "{\"a\":1}", "[a", "\"\\q\"", "'x",
        "\"x", "'a'b", "{a: 1, a: 2}", "\"\\ud800\"",
    ];
    const ODD_KEYS: &[&str] = &["a", "a", "1", "0x1", "<<", "? a", "[k]", "&a k", "!!str k", "\"a\"", "'a'", "- k", ""];
    #[rustfmt::skip]
    const PIECES: &[&str] = &[
        "[", "]", "{", "}", ":", ": ", ",", "- ", "-", "&a ", "*a", "!!", "! ", "|", ">", "'", "\"", "#", " #", "\t",
        "\n", "\n  ", " ", "  ", "<<: ", "? ", "---\n", "...\n", "%YAML 1.2\n", "\\", "ü", "\u{feff}", "\r", "\u{85}",
        "\u{a0}", "~", "0x", "1e", ".nan",
    ];

    fn strings(pool: &'static [&'static str]) -> BoxedStrategy<String> {
        select(pool).prop_map(str::to_string).boxed()
    }

    /// Flow collections on one line of `scalars`, keys drawn by `keys` for each map.
    fn flow(scalars: BoxedStrategy<String>, keys: BoxedStrategy<Vec<String>>) -> BoxedStrategy<String> {
        scalars
            .prop_recursive(3, 12, 4, move |inner| {
                let separator = select(&[", ", ",", " , "][..]);
                let seq = (prop::collection::vec(inner.clone(), 0..4), separator.clone())
                    .prop_map(|(items, separator)| format!("[{}]", items.join(separator)));
                let map = keys
                    .clone()
                    .prop_flat_map(move |keys| {
                        let len = keys.len();
                        (Just(keys), prop::collection::vec(inner.clone(), len), separator.clone())
                    })
                    .prop_map(|(keys, values, separator)| {
                        let entries: Vec<String> = keys.iter().zip(values).map(|(k, v)| format!("{k}: {v}")).collect();
                        format!("{{{}}}", entries.join(separator))
                    });
                prop_oneof![seq, map]
            })
            .boxed()
    }

    /// Block trees of `inline` values, keys drawn by `keys` for each map.
    fn tree(inline: BoxedStrategy<String>, keys: BoxedStrategy<Vec<String>>) -> impl Strategy<Value = Tree> {
        inline.prop_map(Tree::Inline).prop_recursive(4, 32, 5, move |inner| {
            let seq = prop::collection::vec(inner.clone(), 0..4).prop_map(Tree::Seq);
            let map = keys
                .clone()
                .prop_flat_map(move |keys| {
                    let len = keys.len();
                    (Just(keys), prop::collection::vec(inner.clone(), len))
                })
                .prop_map(|(keys, values)| Tree::Map(keys.into_iter().zip(values).collect()));
            prop_oneof![seq, map]
        })
    }

    /// Distinct keys for one map.
    fn distinct(pool: &'static [&'static str]) -> BoxedStrategy<Vec<String>> {
        subsequence(pool, 0..=4).prop_map(|keys| keys.into_iter().map(str::to_string).collect()).boxed()
    }

    /// Documents inside the subset.
    fn subset_document() -> impl Strategy<Value = String> {
        let flow_scalars = prop_oneof![strings(FLOW_PLAIN), strings(QUOTED)].boxed();
        let inline =
            prop_oneof![strings(PLAIN), strings(QUOTED), flow(flow_scalars, distinct(FLOW_KEYS)), Just(String::new()),];
        (tree(inline.boxed(), distinct(KEYS)), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(tree, choices)| write(&tree, &choices))
    }

    /// Documents in and around the subset: odd scalars and keys, duplicate keys, mangled as
    /// [`mangled`] does; and short strings of YAML's indicators.
    fn odd_document() -> impl Strategy<Value = String> {
        let scalars = prop_oneof![strings(FLOW_PLAIN), strings(QUOTED), strings(ODD_SCALARS)].boxed();
        let keys = prop::collection::vec(prop_oneof![strings(KEYS), strings(ODD_KEYS)], 0..4).boxed();
        let inline = prop_oneof![strings(PLAIN), scalars.clone(), flow(scalars, keys.clone()), Just(String::new())];
        let documents = (tree(inline.boxed(), keys), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(tree, choices)| write(&tree, &choices));
        prop_oneof![4 => mangled(documents), 1 => "[a-c0-9 :#\\-\\[\\]{},'\"\n&*!|>?~.]{0,40}"]
    }

    /// The texts of `texts` with up to two lines indented by one space more or less, then up to
    /// two pieces of YAML syntax inserted or replacing a character anywhere.
    fn mangled(texts: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
        let shifts = prop::collection::vec((any::<Index>(), any::<bool>()), 0..3);
        let edits = prop::collection::vec((any::<Index>(), select(PIECES), any::<bool>()), 0..3);
        (texts, shifts, edits).prop_map(|(mut text, shifts, edits)| {
            for (line, deeper) in shifts {
                shift_line(&mut text, line, deeper);
            }
            for (at, piece, replace) in edits {
                let mut at = at.index(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let end = match text[at..].chars().next() {
                    Some(c) if replace => at + c.len_utf8(),
                    _ => at,
                };
                text.replace_range(at..end, piece);
            }
            text
        })
    }

    /// Indents a line of `text` by one space more, or one fewer.
    fn shift_line(text: &mut String, line: Index, deeper: bool) {
        let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let start = starts[line.index(starts.len())];
        if deeper {
            text.insert(start, ' ');
        } else if text[start..].starts_with(' ') {
            text.remove(start);
        }
    }

    /// Times the granit path and [`crate::yaml::parse`] (fast path first) on the YAML files under
    /// the directory `SPECGEN_YAML_TIMING`, median of 20 passes: `SPECGEN_YAML_TIMING=DIR cargo
    /// test --release -p specgen-lib --lib yaml::fast::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore = "a timing aid, run by hand"]
    fn timing() {
        let dir = std::env::var("SPECGEN_YAML_TIMING").expect("SPECGEN_YAML_TIMING names a directory");
        let files = yaml_files(Path::new(&dir));
        let median_pass = |parse: &dyn Fn(&str) -> bool| {
            let mut passes: Vec<_> = (0..20)
                .map(|_| {
                    let start = std::time::Instant::now();
                    for (_, text) in &files {
                        assert!(std::hint::black_box(parse(text)));
                    }
                    start.elapsed()
                })
                .collect();
            passes.sort();
            passes[passes.len() / 2]
        };
        let granit = median_pass(&|text| parse_with(FILE, text, LIMITS).is_ok());
        let parse = median_pass(&|text| crate::yaml::parse(FILE, text).is_ok());
        let taken = files.iter().filter(|(_, text)| super::parse(FILE, text).is_some()).count();
        let kib = files.iter().map(|(_, text)| text.len()).sum::<usize>() >> 10;
        println!("{} files ({kib} KiB), {taken} on the fast path: granit {granit:.1?}, parse {parse:.1?}", files.len());
    }

    proptest! {
        // At least 1,000 cases, which are cheap (scripts/test.sh sets `PROPTEST_CASES` to 32 for
        // the slow property tests); a larger `PROPTEST_CASES` tries more.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(0).max(1000)
        ))]

        #[test]
        fn documents_in_the_subset_take_the_fast_path(text in subset_document()) {
            prop_assert!(checked_fast(&text).is_some(), "{text:?} did not take the fast path");
        }

        #[test]
        fn documents_around_the_subset_agree(text in odd_document()) {
            checked_fast(&text);
        }

        #[test]
        fn mangled_spec_files_agree(text in mangled(select(spec_files()))) {
            checked_fast(&text);
        }
    }
}
