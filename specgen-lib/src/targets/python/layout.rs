//! Ruff's line breaking, for the shapes of statements that generated code is made of.
//!
//! A statement written *flat* (on one line, tokens spaced as ruff spaces them, no redundant
//! parentheses, no magic trailing comma) that does not fit in [`LINE_LENGTH`] columns is laid out
//! here exactly as ruff's formatter lays it out, or left to the formatter (`None`) when its shape
//! is not one of those known here, or when unsure. The callers hand over ASCII text only, where
//! bytes are columns.
//!
//! Ruff's printer keeps a bracket pair flat as long as the line fits up to the next place where
//! it could break, so the *last* bracket pair of a statement is split first, provided the line
//! fits up to its opening bracket (the pairs before it stay flat). Inside, call arguments,
//! subscripts, class bases and parameters go on one indented line when they fit there, else one
//! per line with a magic trailing comma (none after a sole item, except a sole parameter); list,
//! dict and set displays go one per line; imported names too, always with a trailing comma. An
//! item that still does not fit is split the same way at its own last brackets, a union before
//! each `|`; an atom (a name, a number, a string) cannot be split and stays as it is, too long.
//!
//! The differential tests compare these layouts with ruff's on thousands of random statements.

use std::borrow::Cow;

use super::LINE_LENGTH;

/// Appends to `out` the layout of `statement` (flat, ASCII, indented by `indent`), which does
/// not fit on one line; `None` (with part of a layout appended, to be discarded) when its shape
/// is not one of these, with `E` an expression split at its last brackets (see [`Group`]), `A`
/// an annotation and `v` an atom:
///
/// - `from m import a, b`: the names one per line.
/// - `def f(...) -> R:`, `async def f(...) -> R:`, `class C(...):`: the parameters (or bases)
///   split; what follows the closing bracket must then fit.
/// - `return E`, `raise E`, `@E`, `for t in E:`, `t = E`, `t: A = E`, `E`, each also with
///   `await E`: `E` split, when the line fits up to its opening bracket.
/// - `t: A` and `t: A = v` when `t: A = (` does not fit (otherwise ruff would try
///   parenthesizing `v`): `A` is split, and `= v` follows its closing bracket. `A` is either a
///   subscript, split at its brackets, or a union `a | b`, which is parenthesized and then kept
///   on one line if that fits, else broken before each `|`.
pub(in crate::targets) fn layout_long_statement(out: &mut String, indent: &str, statement: &str) -> Option<()> {
    if statement.contains('\n') {
        return None;
    }
    layout_long_line(out, indent, statement, None)
}

/// [`layout_long_statement`] for a statement known to be on one line (without `\n`), with the
/// outline of that line when it was recorded while scanning it (`recorded`, seen from the start
/// of `statement`).
pub(in crate::targets) fn layout_long_line<'s>(
    out: &mut String,
    indent: &str,
    statement: &'s str,
    recorded: Option<Recorded<'s>>,
) -> Option<()> {
    if !statement.is_ascii() {
        return None;
    }
    let mut lines = Lines { out };
    let col = indent.len();
    if let Some(rest) = statement.strip_prefix("from ") {
        let (_, names) = rest.split_once(" import ").filter(|(_, names)| !names.starts_with('('))?;
        let head = &statement[..statement.len() - names.len()];
        let group = Group { head, open: b'(', inner: names, tail: "", split: Split::Import, commas: None };
        return lines.group(&group, col, "", "");
    }
    if ["def ", "async def ", "class "].iter().any(|keyword| statement.starts_with(keyword)) {
        let group = header(statement, recorded)?;
        // The closing line must fit, unless what overflows is a return annotation that cannot be
        // split either: otherwise ruff splits the return annotation too.
        let tail = group.tail;
        let returns = tail.strip_prefix(" -> ").and_then(|rest| rest.strip_suffix(": ...").or(rest.strip_suffix(':')));
        let atom = returns.and_then(Shape::parse).is_some_and(|shape| matches!(shape.kind, ShapeKind::Atom));
        if col + 1 + tail.len() > LINE_LENGTH && !atom {
            return None;
        }
        return lines.group(&group, col, "", "");
    }
    // The expression to split, and its shape when it is known already.
    let (before, expression, after, shape) = match statement_parts(statement) {
        Some((before, expression, after)) => (before, expression, after, None),
        None => match split_statement(statement) {
            Some((target, annotation, value)) => {
                let value_shape = match value {
                    Some(value) => {
                        let offset = statement.len() - value.len();
                        Some(Shape::parse_recorded(value, recorded.map(|recorded| recorded.at(offset)))?)
                    }
                    None => None,
                };
                match (annotation, value_shape) {
                    (Some(annotation), None | Some(Shape { kind: ShapeKind::Atom, .. })) => {
                        return lines.annotation(col, target, annotation, value);
                    }
                    (_, Some(value_shape)) => {
                        let value = value_shape.text;
                        (&statement[..statement.len() - value.len()], value, "", Some(value_shape))
                    }
                    (None, None) => return None,
                }
            }
            // An expression statement.
            None => ("", statement, "", None),
        },
    };
    let (before, expression, shape) = match expression.strip_prefix("await ") {
        Some(awaited) => (&statement[..before.len() + "await ".len()], awaited, None),
        None => (before, expression, shape),
    };
    let shape = match shape {
        Some(shape) => shape,
        // `before` is all of the statement before the expression.
        None => Shape::parse_recorded(expression, recorded.map(|recorded| recorded.at(before.len())))?,
    };
    let Shape { kind: ShapeKind::Bracketed(group), .. } = shape else { return None };
    if !group.tail.is_empty() || !is_chain(group.head) {
        return None;
    }
    lines.group(&group, col, before, after)
}

/// Appends to `out` the layout of `item`, an item of a bracketed list that is written one item
/// per line, indented by `indent` and followed by `after` (its comma, or nothing), when it does
/// not fit on its line: split as the item of a statement laid out here would be, or kept as it is
/// when it is an atom. `None` when unsure.
pub(in crate::targets) fn layout_long_item(out: &mut String, indent: &str, item: &str, after: &str) -> Option<()> {
    let shape = Shape::parse(item)?;
    if !item.is_ascii() && !matches!(shape.kind, ShapeKind::Atom) {
        return None;
    }
    Lines { out }.shape(&shape, indent.len(), after)
}

/// The parameters of a `def` header or the bases of a `class` header, as a group to split
/// (`recorded`: the outline of the statement, when known).
fn header<'s>(statement: &'s str, recorded: Option<Recorded<'s>>) -> Option<Group<'s>> {
    let Pair { open, close, commas } = Skeleton::of(statement, recorded)?.first?;
    let head = &statement[..open];
    let name = head.rsplit(' ').next().unwrap_or_default();
    if statement.as_bytes()[open] != b'(' || !is_name(name) || open + 1 == close {
        return None;
    }
    let split = if statement.starts_with("class ") { Split::Hug } else { Split::Parameters };
    let (inner, tail) = (&statement[open + 1..close], &statement[close + 1..]);
    Some(Group { head, open: b'(', inner, tail, split, commas: Some(commas) })
}

/// A simple statement that starts with a keyword, as the text before its expression, the
/// expression and the text after it: `return E`, `raise E`, `@E`, `for t in E:`. `None` for any
/// other statement.
fn statement_parts(statement: &str) -> Option<(&str, &str, &str)> {
    if let Some(body) = statement.strip_prefix("for ").and_then(|rest| rest.strip_suffix(':')) {
        let [_, iterable] = split_top(body, " in ")?[..] else { return None };
        let before = &statement[..statement.len() - 1 - iterable.len()];
        return Some((before, iterable, ":"));
    }
    let keyword = ["return ", "raise ", "@"].into_iter().find(|k| statement.starts_with(k))?;
    Some((&statement[..keyword.len()], &statement[keyword.len()..], ""))
}

/// Splits a flat statement into target, annotation and value: `t: A = v`, `t: A` or `t = v`,
/// with `t` an identifier. `None` for anything else.
fn split_statement(source: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let target_len = source.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
    let (target, rest) = source.split_at(target_len);
    if !is_name(target) {
        return None;
    }
    if let Some(value) = rest.strip_prefix(" = ") {
        return Some((target, None, Some(value)));
    }
    let rest = rest.strip_prefix(": ")?;
    match split_top(rest, " = ")?[..] {
        [annotation] => Some((target, Some(annotation), None)),
        [annotation, value] => Some((target, Some(annotation), Some(value))),
        _ => None,
    }
}

/// True for an identifier.
fn is_name(text: &str) -> bool {
    text.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A set of bytes (what a scan stops at), as the tables [`skip_to`] reads: `positions[k][b]` is
/// `1 << k` when `b` is in the set, else 0, so that the bytes of the set in eight bytes in a row
/// are eight lookups and their positions one bit mask.
#[derive(Clone, Copy)]
pub(super) struct ByteSet {
    positions: [[u8; 256]; 8],
}

impl ByteSet {
    /// The empty set.
    pub(super) const EMPTY: ByteSet = ByteSet { positions: [[0; 256]; 8] };

    /// This set and the bytes of `bytes`.
    pub(super) const fn with(mut self, bytes: &[u8]) -> ByteSet {
        let mut i = 0;
        while i < bytes.len() {
            self = self.with_byte(bytes[i]);
            i += 1;
        }
        self
    }

    /// This set and `byte`.
    const fn with_byte(mut self, byte: u8) -> ByteSet {
        let mut k = 0;
        while k < 8 {
            self.positions[k][byte as usize] = 1 << k;
            k += 1;
        }
        self
    }

    /// Whether `byte` is in the set.
    pub(super) const fn contains(&self, byte: u8) -> bool {
        self.positions[0][byte as usize] != 0
    }
}

/// The offset of the first byte of `bytes` in `set` at or after `from` (`from` itself when it
/// is past the end, `bytes.len()` when there is none). Eight bytes at a time: the text between
/// the bytes a scan looks at (names, numbers, the text of strings) is most of it.
#[inline]
pub(super) fn skip_to(bytes: &[u8], mut from: usize, set: &ByteSet) -> usize {
    let [p0, p1, p2, p3, p4, p5, p6, p7] = &set.positions;
    while let Some(chunk) = bytes.get(from..from + 8) {
        let at = |k: usize| usize::from(chunk[k]);
        let found = p0[at(0)] | p1[at(1)] | p2[at(2)] | p3[at(3)] | p4[at(4)] | p5[at(5)] | p6[at(6)] | p7[at(7)];
        if found != 0 {
            return from + found.trailing_zeros() as usize;
        }
        from += 8;
    }
    while from < bytes.len() && !set.contains(bytes[from]) {
        from += 1;
    }
    from
}

/// The bytes that open or close a string literal or a bracket pair, or start a comment: what a
/// scan for the top level of an expression must always look at.
const STRUCTURE: ByteSet = ByteSet::EMPTY.with(b"\"'#()[]{}");
/// [`STRUCTURE`] and a space.
const STRUCTURE_SPACE: ByteSet = STRUCTURE.with(b" ");
/// [`STRUCTURE`] and a comma.
const STRUCTURE_COMMA: ByteSet = STRUCTURE.with(b",");
/// [`STRUCTURE`] and a colon.
const STRUCTURE_COLON: ByteSet = STRUCTURE.with(b":");
/// Every byte.
const ALL_BYTES: ByteSet = {
    let mut set = ByteSet::EMPTY;
    let mut b = 0;
    while b < 256 {
        set = set.with_byte(b as u8);
        b += 1;
    }
    set
};
/// Every byte that cannot be part of a name (which includes [`STRUCTURE`]).
const NOT_NAME: ByteSet = {
    let mut set = ByteSet::EMPTY;
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if !(byte.is_ascii_alphanumeric() || byte == b'_') {
            set = set.with_byte(byte);
        }
        b += 1;
    }
    set
};
/// What ends the text of a string literal in double quotes, or escapes a character in it.
const IN_DOUBLE_QUOTES: ByteSet = ByteSet::EMPTY.with(b"\"\\");
/// What ends the text of a string literal in single quotes, or escapes a character in it.
const IN_SINGLE_QUOTES: ByteSet = ByteSet::EMPTY.with(b"'\\");

/// The offset after the closing quote of the string literal whose opening quote is at `start`
/// (a quote ends it, whatever came before: `"""` is three literals); `None` when it does not end.
fn string_literal_end(bytes: &[u8], start: usize) -> Option<usize> {
    let text = if bytes[start] == b'"' { &IN_DOUBLE_QUOTES } else { &IN_SINGLE_QUOTES };
    let mut i = start + 1;
    loop {
        i = skip_to(bytes, i, text);
        match *bytes.get(i)? {
            b'\\' => i += 2,
            _ => return Some(i + 1),
        }
    }
}

/// The set of bytes to look at to find `pattern` outside brackets and strings: [`STRUCTURE`]
/// and its first byte.
fn pattern_set(pattern: &str) -> &'static ByteSet {
    match pattern.as_bytes()[0] {
        b',' => &STRUCTURE_COMMA,
        b' ' => &STRUCTURE_SPACE,
        b':' => &STRUCTURE_COLON,
        _ => &ALL_BYTES,
    }
}

/// The offsets at which `pattern` occurs outside brackets and string literals in `source`, not
/// overlapping; `None` when brackets do not balance or a string does not end.
fn find_top(source: &str, pattern: &str) -> Option<Vec<usize>> {
    let (bytes, first) = (source.as_bytes(), pattern.as_bytes()[0]);
    let mut found = Vec::new();
    let mut next = 0;
    for_each_top_level(source, pattern_set(pattern), |i| {
        if bytes[i] == first && i >= next && source[i..].starts_with(pattern) {
            found.push(i);
            next = i + pattern.len();
        }
    })?;
    Some(found)
}

/// `source` split at `separator` where it occurs outside brackets and string literals; `None`
/// when brackets do not balance or a string does not end.
fn split_top<'s>(source: &'s str, separator: &str) -> Option<Vec<&'s str>> {
    let mut start = 0;
    let mut parts: Vec<&str> = find_top(source, separator)?
        .into_iter()
        .map(|at| {
            let part = &source[start..at];
            start = at + separator.len();
            part
        })
        .collect();
    parts.push(&source[start..]);
    Some(parts)
}

/// Calls `f` with the byte offset of every byte of `source` in `wanted` (a superset of
/// [`STRUCTURE`]) that is outside string literals and brackets, the brackets of the outermost
/// pairs included. `None` when brackets do not balance, a string does not end, or a `#` appears
/// outside strings (a comment).
fn for_each_top_level(source: &str, wanted: &ByteSet, mut f: impl FnMut(usize)) -> Option<()> {
    let bytes = source.as_bytes();
    scan_top_level(bytes, wanted, |i| {
        f(i);
        match bytes[i] {
            b'(' | b'[' | b'{' => {
                let close = pair_end(bytes, i)?;
                f(close);
                Some(close)
            }
            _ => Some(i),
        }
    })
}

/// The scan under [`for_each_top_level`]: calls `visit` with the offset of every byte of `bytes`
/// in `wanted` (a superset of [`STRUCTURE`]) outside string literals and brackets, opening
/// brackets of the outermost pairs included; `visit` returns the offset of the last byte it
/// took (the closing bracket of a pair), and the scan goes on after it. `None` when a string
/// does not end, a `#` (a comment) or a closing bracket without its opening one appears, or
/// `visit` returns `None`.
fn scan_top_level(bytes: &[u8], wanted: &ByteSet, mut visit: impl FnMut(usize) -> Option<usize>) -> Option<()> {
    let mut i = 0;
    loop {
        i = skip_to(bytes, i, wanted);
        let Some(&byte) = bytes.get(i) else { return Some(()) };
        match byte {
            b'"' | b'\'' => {
                i = string_literal_end(bytes, i)?;
                continue;
            }
            b'#' | b')' | b']' | b'}' => return None,
            _ => i = visit(i)?,
        }
        i += 1;
    }
}

/// The offset of the bracket that closes the one at `open`. `None` when there is none, a
/// string does not end, or a `#` appears outside strings.
fn pair_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open + 1;
    loop {
        i = skip_to(bytes, i, &STRUCTURE);
        match *bytes.get(i)? {
            b'"' | b'\'' => {
                i = string_literal_end(bytes, i)?;
                continue;
            }
            b'#' => return None,
            b'(' | b'[' | b'{' => depth += 1,
            _ => match depth.checked_sub(1) {
                Some(outer) => depth = outer,
                None => return Some(i),
            },
        }
        i += 1;
    }
}

/// The bracket pair that starts at `open` in `bytes`: the offset of its closing bracket, and
/// the offsets in the text between its brackets of each `, ` in it, outside brackets and strings
/// (as `find_top(inner, ", ")` finds them). `None` when it does not close, a string does not
/// end, or a `#` appears outside strings.
fn pair_inside(bytes: &[u8], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut commas = Vec::new();
    let mut i = open + 1;
    loop {
        i = skip_to(bytes, i, &STRUCTURE_COMMA);
        match *bytes.get(i)? {
            b'"' | b'\'' => {
                i = string_literal_end(bytes, i)?;
                continue;
            }
            b'#' => return None,
            b'(' | b'[' | b'{' => i = pair_end(bytes, i)?,
            b')' | b']' | b'}' => return Some((i, commas)),
            // A comma.
            _ => {
                if bytes.get(i + 1) == Some(&b' ') {
                    commas.push(i - open - 1);
                }
            }
        }
        i += 1;
    }
}

/// The bracket pairs at the top level of a text (outside strings and other brackets), and the
/// `, ` directly inside its first and its last pair, recorded by a scan of the text that stops at
/// every bracket and quote, and at every comma: `module::scan` records the outline of each line
/// of a module, so that a long line is not scanned again to be laid out.
#[derive(Debug, Default)]
pub(super) struct Outline {
    /// The offsets of the opening and the closing bracket of each pair, in order.
    pairs: Vec<(usize, usize)>,
    /// The offsets in the text between the brackets of the first pair of each `, ` in it (as
    /// `find_top(inner, ", ")` finds them).
    first_commas: Vec<usize>,
    /// The same for the last pair, when it is not the first.
    last_commas: Vec<usize>,
    /// Whether the scan read the text's string literals as [`for_each_top_level`] does (a scan
    /// of a module reads a triple-quoted string as one literal, and requotes strings).
    exact: bool,
}

impl Outline {
    /// Forgets what was recorded, for the scan of a new text.
    pub(super) fn start(&mut self) {
        self.pairs.clear();
        self.first_commas.clear();
        self.last_commas.clear();
        self.exact = true;
    }

    /// Records that the scan read a string literal otherwise than [`for_each_top_level`] does.
    pub(super) fn spoil(&mut self) {
        self.exact = false;
    }

    /// Records a bracket at `at` that opens a pair at the top level.
    pub(super) fn open(&mut self, at: usize) {
        if !self.pairs.is_empty() {
            self.last_commas.clear();
        }
        self.pairs.push((at, at));
    }

    /// Records the bracket at `at` that closes the pair opened last.
    pub(super) fn close(&mut self, at: usize) {
        if let Some(pair) = self.pairs.last_mut() {
            pair.1 = at;
        }
    }

    /// Records the comma at `at` of `bytes`, directly inside the pair opened last, when a space
    /// follows it.
    pub(super) fn comma(&mut self, bytes: &[u8], at: usize) {
        let Some(&(open, _)) = self.pairs.last() else { return };
        if bytes.get(at + 1) == Some(&b' ') {
            let commas = if self.pairs.len() == 1 { &mut self.first_commas } else { &mut self.last_commas };
            commas.push(at - open - 1);
        }
    }
}

/// An [`Outline`] recorded by the scan of a longer text, seen from the offset `start` of that
/// text on (offsets being those of the scan).
#[derive(Debug, Clone, Copy)]
pub(super) struct Recorded<'o> {
    pub(super) outline: &'o Outline,
    pub(super) start: usize,
}

impl<'o> Recorded<'o> {
    /// The same outline, seen from `offset` bytes further.
    fn at(self, offset: usize) -> Self {
        Recorded { start: self.start + offset, ..self }
    }

    /// Whether this is the outline of `text`, exactly: `text` starts at `start` and has all of
    /// the pairs.
    fn covers(&self, text: &str) -> bool {
        let Recorded { outline, start } = *self;
        let within = |&(open, close): &(usize, usize)| open >= start && close < start + text.len();
        outline.exact && outline.pairs.first().is_none_or(within) && outline.pairs.last().is_none_or(within)
    }

    /// The recorded pair `at`, with `commas`, in the offsets of the text that starts at `start`.
    fn pair(&self, (open, close): (usize, usize), commas: &'o [usize]) -> Pair<'o> {
        Pair { open: open - self.start, close: close - self.start, commas: Cow::Borrowed(commas) }
    }
}

/// A bracket pair at the top level of an expression.
#[derive(Debug)]
struct Pair<'o> {
    /// The offsets of the opening and the closing bracket.
    open: usize,
    close: usize,
    /// The offsets in the text between the brackets of each `, ` in it (outside brackets and
    /// strings), as `find_top(inner, ", ")` finds them.
    commas: Cow<'o, [usize]>,
}

/// What line breaking looks at in an expression: its first and last bracket pairs at the top
/// level, and whether it has spaces (and `|` between spaces) at the top level.
#[derive(Debug)]
struct Skeleton<'o> {
    first: Option<Pair<'o>>,
    /// The last pair, when it is not the first.
    last: Option<Pair<'o>>,
    /// Whether there is a space outside brackets and strings, and a ` | `: found with the pairs,
    /// or (`None`) from the outline when needed (see [`Skeleton::spaces`]).
    spaces: Option<(bool, bool)>,
    recorded: Option<Recorded<'o>>,
}

impl<'o> Skeleton<'o> {
    /// The skeleton of `text`: from `recorded` when it covers `text`, else from a scan of it.
    /// `None` when brackets do not balance, a string does not end, or a `#` appears outside
    /// strings.
    fn of(text: &str, recorded: Option<Recorded<'o>>) -> Option<Skeleton<'o>> {
        if let Some(recorded) = recorded.filter(|recorded| recorded.covers(text)) {
            let pairs = &recorded.outline.pairs;
            return Some(Skeleton {
                first: pairs.first().map(|&at| recorded.pair(at, &recorded.outline.first_commas)),
                last: match pairs[..] {
                    [_, .., last] => Some(recorded.pair(last, &recorded.outline.last_commas)),
                    _ => None,
                },
                spaces: None,
                recorded: Some(recorded),
            });
        }
        let bytes = text.as_bytes();
        let mut skeleton = Skeleton { first: None, last: None, spaces: Some((false, false)), recorded: None };
        let (mut spaced, mut union) = (false, false);
        scan_top_level(bytes, &STRUCTURE_SPACE, |i| match bytes[i] {
            b'(' | b'[' | b'{' => {
                let (close, commas) = pair_inside(bytes, i)?;
                let pair = Pair { open: i, close, commas: Cow::Owned(commas) };
                match skeleton.first {
                    None => skeleton.first = Some(pair),
                    Some(_) => skeleton.last = Some(pair),
                }
                Some(close)
            }
            // A space.
            _ => {
                spaced = true;
                union |= bytes[i..].starts_with(b" | ");
                Some(i)
            }
        })?;
        skeleton.spaces = Some((spaced, union));
        Some(skeleton)
    }

    /// Whether `text`, whose skeleton this is, has a space outside brackets and strings, and a
    /// ` | ` there. `None` when a string does not end or a `#` appears outside strings.
    fn spaces(&self, text: &str) -> Option<(bool, bool)> {
        if let Some(spaces) = self.spaces {
            return Some(spaces);
        }
        let Recorded { outline, start } = self.recorded?;
        // Outside the pairs: between them, and before and after them.
        let (mut spaced, mut union) = (false, false);
        let mut from = 0;
        let ends = outline.pairs.iter().map(|&(open, close)| (open - start, close - start + 1));
        for (end, next) in ends.chain([(text.len(), text.len())]) {
            let segment = &text[from..end];
            let bytes = segment.as_bytes();
            for_each_top_level(segment, &STRUCTURE_SPACE, |i| {
                if bytes[i] == b' ' {
                    spaced = true;
                    union |= bytes[i..].starts_with(b" | ");
                }
            })?;
            from = next;
        }
        Some((spaced, union))
    }

    /// The last bracket pair.
    fn last(self) -> Option<Pair<'o>> {
        self.last.or(self.first)
    }
}

/// Whether `text` has a space outside brackets and strings.
fn has_top_level_space(text: &str) -> bool {
    let mut spaced = false;
    for_each_top_level(text, &STRUCTURE_SPACE, |i| spaced |= text.as_bytes()[i] == b' ');
    spaced
}

/// Whether ruff leaves `text`, written before a bracket pair, on the line of that pair's opening
/// bracket: a chain of names, strings, attributes, calls and subscripts (`a.b(c)[d].e`, `*args`),
/// with no space outside brackets, and at most one attribute after brackets (more make a fluent
/// chain, which ruff splits before each dot).
fn is_chain(text: &str) -> bool {
    let text = text.trim_start_matches('*');
    let bytes = text.as_bytes();
    let mut chain = true;
    let mut attributes_after_brackets = 0;
    let ok = for_each_top_level(text, &NOT_NAME, |i| match bytes[i] {
        b'(' | b'[' | b'{' | b')' | b']' | b'}' => {}
        b'.' => attributes_after_brackets += usize::from(i > 0 && matches!(bytes[i - 1], b')' | b']')),
        b => chain &= b.is_ascii_alphanumeric() || b == b'_',
    });
    ok.is_some() && chain && attributes_after_brackets <= 1
}

/// Whether ruff leaves `head`, written before the last bracket pair of an item, on the line of
/// its opening bracket: a chain (see [`is_chain`]) after the item's own prefix, a keyword
/// (`key=`), a dict key (`"key": `) or a parameter name (`name: `), and a lambda's parameters
/// (`lambda a, b: `), which never break.
fn is_item_head(head: &str) -> bool {
    let rest = strip_item_prefix(head);
    let rest = match rest.strip_prefix("lambda") {
        Some(parameters) if parameters.starts_with([' ', ':']) => match parameters.split_once(": ") {
            Some((_, body)) => body,
            None => return false,
        },
        _ => rest,
    };
    is_chain(rest)
}

/// `head` without the prefix that makes it an item: a keyword argument's `key=`, a dict entry's
/// `"key": `, a parameter's `name: ` (or `*args: `) and its annotation up to ` = ` when it has a
/// default (the annotation stays on the line when the line fits); `head` itself when it has none.
fn strip_item_prefix(head: &str) -> &str {
    let name_start = head.len() - head.trim_start_matches('*').len();
    let name_len = head[name_start..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
    let after_name = &head[name_start + name_len..];
    if name_len > 0 {
        if let Some(annotation) = after_name.strip_prefix(": ") {
            return match find_top(annotation, " = ").as_deref() {
                Some([at, ..]) => &annotation[at + " = ".len()..],
                _ => annotation,
            };
        }
        let keyword = after_name.strip_prefix('=').filter(|rest| name_start == 0 && !rest.starts_with('='));
        return keyword.unwrap_or(head);
    }
    // A dict key: a string, then `: `.
    match find_top(head, ": ").as_deref() {
        Some([end, ..]) if head.starts_with(['"', '\'']) && head[..*end].ends_with(['"', '\'']) => &head[end + 2..],
        _ => head,
    }
}

/// Whether `item` is cut in the middle of a lambda's parameters (by a comma between them).
fn is_open_lambda(item: &str) -> bool {
    let rest = strip_item_prefix(item);
    let is_lambda = rest.strip_prefix("lambda").is_some_and(|parameters| parameters.starts_with([' ', ':']));
    is_lambda && find_top(rest, ": ").is_some_and(|colons| colons.is_empty())
}

/// Whether ruff leaves `tail`, written after the last bracket pair of an item, on the line of
/// its closing bracket: nothing, or a parameter's default ` = v` with `v` an atom.
fn is_item_tail(tail: &str) -> bool {
    tail.is_empty() || tail.strip_prefix(" = ").is_some_and(|value| !value.is_empty() && !has_top_level_space(value))
}

/// An expression as far as line breaking is concerned.
#[derive(Debug)]
struct Shape<'s> {
    text: &'s str,
    kind: ShapeKind<'s>,
}

#[derive(Debug)]
enum ShapeKind<'s> {
    /// Nothing ruff can split: no brackets, no spaces outside strings but after an item's
    /// prefix: a name, a number, a string, `key=value`, `name: T`, `"key": "value"`.
    Atom,
    /// An expression that ruff splits at its last bracket pair.
    Bracketed(Group<'s>),
    /// Operands joined by ` | `.
    Union(Vec<&'s str>),
    /// Anything else.
    Other,
}

/// The last bracket pair of an expression, and what surrounds it.
#[derive(Debug)]
struct Group<'s> {
    /// The text before the opening bracket (see [`is_item_head`]).
    head: &'s str,
    /// The opening bracket.
    open: u8,
    /// The text between the brackets.
    inner: &'s str,
    /// The text after the closing bracket (see [`is_item_tail`]).
    tail: &'s str,
    /// How the items go when the pair is split.
    split: Split,
    /// The offsets in `inner` of each `, ` outside brackets and strings, when found with the
    /// brackets (see [`Pair`]); `None` to find them when needed.
    commas: Option<Cow<'s, [usize]>>,
}

/// The items of `inner`, a list that [`Group::item_ends`] cut at `ends`.
fn items<'s>(inner: &'s str, ends: &'s [usize]) -> impl Iterator<Item = &'s str> + 's {
    let starts = std::iter::once(0).chain(ends.iter().map(|end| end + ", ".len()));
    let ends = ends.iter().copied().chain([inner.len()]);
    starts.zip(ends).map(move |(start, end)| &inner[start..end])
}

/// How ruff lays out the items of a bracket pair it splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// Call arguments, subscripts, class bases: on one indented line when they fit there, else
    /// one per line.
    Hug,
    /// A function's parameters: like [`Split::Hug`], except that a sole parameter always goes
    /// on a line of its own, with a trailing comma.
    Parameters,
    /// List, dict and set displays: one item per line.
    OnePerLine,
    /// Imported names: one per line, with a trailing comma even after a sole name.
    Import,
}

impl<'s> Shape<'s> {
    /// The shape of `text`, found in one pass over it (which also finds the items of its last
    /// brackets). `None` when brackets do not balance.
    fn parse(text: &'s str) -> Option<Shape<'s>> {
        Shape::parse_recorded(text, None)
    }

    /// The shape of `text`, from `recorded` when it is its outline (see [`Skeleton::of`]).
    fn parse_recorded(text: &'s str, recorded: Option<Recorded<'s>>) -> Option<Shape<'s>> {
        let skeleton = Skeleton::of(text, recorded)?;
        let (spaced, union) = skeleton.spaces(text)?;
        let kind = match skeleton.last() {
            _ if union => ShapeKind::Union(split_top(text, " | ")?),
            // An item's prefix (`name: `, `"key": `) does not make it splittable.
            None if spaced && has_top_level_space(strip_item_prefix(text)) => ShapeKind::Other,
            None => ShapeKind::Atom,
            Some(pair) => Group::parse(text, pair).map_or(ShapeKind::Other, ShapeKind::Bracketed),
        };
        Some(Shape { text, kind })
    }
}

impl<'s> Group<'s> {
    /// The group of `text` at its bracket pair `pair`; `None` when ruff would not split `text`
    /// there: something before or after the brackets would break first, the brackets are empty
    /// or parenthesize an expression.
    fn parse(text: &'s str, pair: Pair<'s>) -> Option<Group<'s>> {
        let Pair { open, close, commas } = pair;
        let (head, inner, tail) = (&text[..open], &text[open + 1..close], &text[close + 1..]);
        if inner.is_empty() || !is_item_head(head) || !is_item_tail(tail) {
            return None;
        }
        let after_primary = head.ends_with(|c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | ')' | ']' | '"'));
        let split = match text.as_bytes()[open] {
            b'(' | b'[' if after_primary => Split::Hug,
            b'(' => return None,
            _ => Split::OnePerLine,
        };
        Some(Group { head, open: text.as_bytes()[open], inner, tail, split, commas: Some(commas) })
    }

    /// The offsets in `inner` of the `, ` that end its comma-separated items but the last (a
    /// lambda's parameters are part of its item): see [`items`]. `None` when the list ends with
    /// a magic trailing comma.
    fn item_ends(&self) -> Option<Cow<'_, [usize]>> {
        let inner = self.inner;
        if inner.ends_with(',') {
            return None;
        }
        let commas = match &self.commas {
            Some(commas) => Cow::Borrowed(&commas[..]),
            None => Cow::Owned(find_top(inner, ", ")?),
        };
        if !inner.contains("lambda") {
            return Some(commas);
        }
        let mut ends = Vec::new();
        let mut start = 0;
        for end in commas.iter().copied().chain([inner.len()]) {
            if !is_open_lambda(&inner[start..end]) {
                ends.push(end);
                start = end + ", ".len();
            }
        }
        // The last item ends with the list, unless it is cut in a lambda's parameters.
        (ends.pop() == Some(inner.len())).then_some(Cow::Owned(ends))
    }

    /// Whether the group is the subscript of a chain, and all of its expression: `a.b[...]`.
    fn is_subscript(&self) -> bool {
        self.open == b'[' && self.split == Split::Hug && self.tail.is_empty() && is_chain(self.head)
    }

    /// The opening and the closing bracket.
    fn brackets(&self) -> (&'static str, &'static str) {
        match self.open {
            b'(' => ("(", ")"),
            b'[' => ("[", "]"),
            _ => ("{", "}"),
        }
    }
}

/// Appends `count` spaces to `out`.
pub(super) fn push_spaces(out: &mut String, count: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = count;
    while left > SPACES.len() {
        out.push_str(SPACES);
        left -= SPACES.len();
    }
    out.push_str(&SPACES[..left]);
}

/// Appends the lines of statements being laid out.
struct Lines<'o> {
    out: &'o mut String,
}

impl Lines<'_> {
    /// A line at column `col` made of `parts`.
    fn line(&mut self, col: usize, parts: &[&str]) {
        push_spaces(self.out, col);
        for part in parts.iter().filter(|part| !part.is_empty()) {
            self.out.push_str(part);
        }
        self.out.push('\n');
    }

    /// `group` split at column `col`: `before`, the head and the opening bracket; the items,
    /// indented; the closing bracket, the tail and `after`. `None` when the first line does not
    /// fit.
    fn group(&mut self, group: &Group<'_>, col: usize, before: &str, after: &str) -> Option<()> {
        if col + before.len() + group.head.len() + 1 > LINE_LENGTH {
            return None;
        }
        let (open, close) = group.brackets();
        self.line(col, &[before, group.head, open]);
        self.items(group, col + 4)?;
        self.line(col, &[close, group.tail, after]);
        Some(())
    }

    /// The items of a split group, at column `col`: on one line when the group hugs them and
    /// they fit, else one per line.
    fn items(&mut self, group: &Group<'_>, col: usize) -> Option<()> {
        let ends = group.item_ends()?;
        let sole = ends.is_empty();
        let hug = match group.split {
            Split::Hug => true,
            Split::Parameters => !sole,
            Split::OnePerLine | Split::Import => false,
        };
        if hug && col + group.inner.len() <= LINE_LENGTH {
            self.line(col, &[group.inner]);
            return Some(());
        }
        let comma = match group.split {
            Split::Hug | Split::OnePerLine if sole => "",
            _ => ",",
        };
        for item in items(group.inner, &ends) {
            if group.split == Split::Import {
                // An imported name cannot be split, even when it does not fit.
                self.line(col, &[item, comma]);
            } else {
                self.split(item, col, comma)?;
            }
        }
        Some(())
    }

    /// `before`, `text` and `after` at column `col`, when that fits or `text` is an atom.
    fn unsplittable(&mut self, text: &str, col: usize, before: &str, after: &str) -> Option<()> {
        let fits = col + before.len() + text.len() + after.len() <= LINE_LENGTH;
        (fits || matches!(Shape::parse(text)?.kind, ShapeKind::Atom)).then(|| self.line(col, &[before, text, after]))
    }

    /// `text` at column `col`, followed by `after`: flat if that fits, else as [`Lines::shape`].
    fn split(&mut self, text: &str, col: usize, after: &str) -> Option<()> {
        if col + text.len() + after.len() <= LINE_LENGTH {
            self.line(col, &[text, after]);
            return Some(());
        }
        self.shape(&Shape::parse(text)?, col, after)
    }

    /// `shape` at column `col`, followed by `after`, when it does not fit: an atom as it is,
    /// else split at its last brackets, or before each `|` of a union.
    fn shape(&mut self, shape: &Shape<'_>, col: usize, after: &str) -> Option<()> {
        match &shape.kind {
            ShapeKind::Atom => {
                self.line(col, &[shape.text, after]);
                Some(())
            }
            ShapeKind::Bracketed(group) => self.group(group, col, "", after),
            ShapeKind::Union(operands) => {
                let (last, rest) = operands.split_last()?;
                self.split(rest.first()?, col, "")?;
                for operand in &rest[1..] {
                    self.unsplittable(operand, col, "| ", "")?;
                }
                self.unsplittable(last, col, "| ", after)
            }
            ShapeKind::Other => None,
        }
    }

    /// The annotated statement `target: annotation`, followed by ` = value` when there is a
    /// value (an atom), with the annotation split: a subscript at its brackets, a union in
    /// parentheses.
    fn annotation(&mut self, col: usize, target: &str, annotation: &str, value: Option<&str>) -> Option<()> {
        let suffix = value.map(|value| format!(" = {value}")).unwrap_or_default();
        if value.is_some() && col + target.len() + ": ".len() + annotation.len() + " = (".len() <= LINE_LENGTH {
            return None;
        }
        let prefix = format!("{target}: ");
        let shape = Shape::parse(annotation)?;
        match &shape.kind {
            ShapeKind::Bracketed(group) if group.is_subscript() => self.group(group, col, &prefix, &suffix),
            ShapeKind::Union(_) => {
                self.line(col, &[&prefix, "("]);
                self.split(annotation, col + 4, "")?;
                self.line(col, &[")", &suffix]);
                Some(())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::python::tests::Rng;

    /// [`skip_to`] reads eight bytes at a time: it finds what a search byte by byte finds, from
    /// any offset (past the end too), near the end and in the middle of a chunk.
    #[test]
    fn skip_to_finds_the_first_byte_of_the_set() {
        let mut rng = Rng(0x5c1b);
        for _ in 0..3000 {
            let text: Vec<u8> = (0..rng.below(40)).map(|_| b"ab (\"x,'#]"[rng.below(10)]).collect();
            let from = rng.below(text.len() + 3);
            for set in [&STRUCTURE, &STRUCTURE_COMMA, &IN_DOUBLE_QUOTES, &NOT_NAME, &ALL_BYTES, &ByteSet::EMPTY] {
                let expected = match text.get(from..) {
                    Some(rest) => rest.iter().position(|&b| set.contains(b)).map_or(text.len(), |at| from + at),
                    None => from,
                };
                assert_eq!(skip_to(&text, from, set), expected, "{:?} from {from}", String::from_utf8_lossy(&text));
            }
        }
    }
}
