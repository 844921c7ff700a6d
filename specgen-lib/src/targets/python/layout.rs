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
    if !statement.is_ascii() || statement.contains('\n') {
        return None;
    }
    let mut lines = Lines { out };
    let col = indent.len();
    if let Some(rest) = statement.strip_prefix("from ") {
        let (_, names) = rest.split_once(" import ").filter(|(_, names)| !names.starts_with('('))?;
        let head = &statement[..statement.len() - names.len()];
        let group = Group { head, open: b'(', inner: names, tail: "", split: Split::Import };
        return lines.group(&group, col, "", "");
    }
    if ["def ", "async def ", "class "].iter().any(|keyword| statement.starts_with(keyword)) {
        let group = header(statement)?;
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
    let (before, expression, after) = match (statement_parts(statement), split_statement(statement)) {
        (Some(parts), _) => parts,
        (None, Some((target, annotation, value))) => {
            let value_shape = match value {
                Some(value) => Some(Shape::parse(value)?),
                None => None,
            };
            match (annotation, value_shape) {
                (Some(annotation), None | Some(Shape { kind: ShapeKind::Atom, .. })) => {
                    return lines.annotation(col, target, annotation, value);
                }
                (_, Some(_)) => {
                    let value = value.unwrap_or_default();
                    (&statement[..statement.len() - value.len()], value, "")
                }
                (None, None) => return None,
            }
        }
        // An expression statement.
        (None, None) => ("", statement, ""),
    };
    let (before, expression) = match expression.strip_prefix("await ") {
        Some(awaited) => (&statement[..before.len() + "await ".len()], awaited),
        None => (before, expression),
    };
    let Shape { kind: ShapeKind::Bracketed(group), .. } = Shape::parse(expression)? else { return None };
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

/// The parameters of a `def` header or the bases of a `class` header, as a group to split.
fn header(statement: &str) -> Option<Group<'_>> {
    let (open, close) = first_group(statement)?;
    let head = &statement[..open];
    let name = head.rsplit(' ').next().unwrap_or_default();
    if statement.as_bytes()[open] != b'(' || !is_name(name) || open + 1 == close {
        return None;
    }
    let split = if statement.starts_with("class ") { Split::Hug } else { Split::Parameters };
    Some(Group { head, open: b'(', inner: &statement[open + 1..close], tail: &statement[close + 1..], split })
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

/// The offsets at which `pattern` occurs outside brackets and string literals in `source`, not
/// overlapping; `None` when brackets do not balance or a string does not end.
fn find_top(source: &str, pattern: &str) -> Option<Vec<usize>> {
    let (bytes, first) = (source.as_bytes(), pattern.as_bytes()[0]);
    let mut found = Vec::new();
    let mut next = 0;
    for_each_top_level(source, |i| {
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

/// Calls `f` with the byte offset of every character of `source` that is outside string
/// literals and brackets, the brackets of the outermost pairs included. `None` when brackets do
/// not balance, a string does not end, or a `#` appears outside strings (a comment).
fn for_each_top_level(source: &str, mut f: impl FnMut(usize)) -> Option<()> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if depth > 0 && !matches!(bytes[i], b'"' | b'\'' | b'#' | b'(' | b'[' | b'{' | b')' | b']' | b'}') {
            i += 1;
            continue;
        }
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i += 1;
                while *bytes.get(i)? != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => return None,
            b'(' | b'[' | b'{' => {
                if depth == 0 {
                    f(i);
                }
                depth += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    f(i);
                }
            }
            _ if depth == 0 => f(i),
            _ => {}
        }
        i += 1;
    }
    (depth == 0).then_some(())
}

/// The first outermost bracket pair of `source`: (offset of the opening bracket, of the closing
/// one).
fn first_group(source: &str) -> Option<(usize, usize)> {
    let bytes = source.as_bytes();
    let (mut open, mut close) = (None, None);
    for_each_top_level(source, |i| match bytes[i] {
        b'(' | b'[' | b'{' if open.is_none() => open = Some(i),
        b')' | b']' | b'}' if close.is_none() => close = Some(i),
        _ => {}
    })?;
    Some((open?, close?))
}

/// Whether `text` has a space outside brackets and strings.
fn has_top_level_space(text: &str) -> bool {
    let mut spaced = false;
    for_each_top_level(text, |i| spaced |= text.as_bytes()[i] == b' ');
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
    let ok = for_each_top_level(text, |i| match bytes[i] {
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
    /// The shape of `text`, found in one pass over it (the items of its brackets are looked at
    /// only when they are split). `None` when brackets do not balance.
    fn parse(text: &'s str) -> Option<Shape<'s>> {
        let bytes = text.as_bytes();
        let (mut spaced, mut union) = (false, false);
        let (mut open, mut last_group) = (0, None);
        for_each_top_level(text, |i| match bytes[i] {
            b' ' => {
                spaced = true;
                union |= bytes[i..].starts_with(b" | ");
            }
            b'(' | b'[' | b'{' => open = i,
            b')' | b']' | b'}' => last_group = Some((open, i)),
            _ => {}
        })?;
        let kind = match last_group {
            _ if union => ShapeKind::Union(split_top(text, " | ")?),
            // An item's prefix (`name: `, `"key": `) does not make it splittable.
            None if spaced && has_top_level_space(strip_item_prefix(text)) => ShapeKind::Other,
            None => ShapeKind::Atom,
            Some((open, close)) => Group::parse(text, open, close).map_or(ShapeKind::Other, ShapeKind::Bracketed),
        };
        Some(Shape { text, kind })
    }
}

impl<'s> Group<'s> {
    /// The group of `text` whose brackets are at `open` and `close`; `None` when ruff would not
    /// split `text` there: something before or after the brackets would break first, the
    /// brackets are empty or parenthesize an expression.
    fn parse(text: &'s str, open: usize, close: usize) -> Option<Group<'s>> {
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
        Some(Group { head, open: text.as_bytes()[open], inner, tail, split })
    }

    /// The comma-separated items between the brackets (a lambda's parameters are part of its
    /// item). `None` when the list ends with a magic trailing comma.
    fn items(&self) -> Option<Vec<&'s str>> {
        let inner = self.inner;
        if inner.ends_with(',') {
            return None;
        }
        let lambdas = inner.contains("lambda");
        let mut items = Vec::new();
        let mut start = 0;
        for end in find_top(inner, ", ")?.into_iter().chain([inner.len()]) {
            if !(lambdas && is_open_lambda(&inner[start..end])) {
                items.push(&inner[start..end]);
                start = end + ", ".len();
            }
        }
        (start > inner.len()).then_some(items)
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

/// Appends the lines of statements being laid out.
struct Lines<'o> {
    out: &'o mut String,
}

impl Lines<'_> {
    /// A line at column `col` made of `parts`.
    fn line(&mut self, col: usize, parts: &[&str]) {
        self.out.extend(std::iter::repeat_n(" ", col));
        for part in parts {
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
        let items = group.items()?;
        let sole = items.len() == 1;
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
        for item in items {
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
