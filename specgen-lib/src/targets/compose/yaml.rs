//! A small YAML emitter for the compose files: a [`Node`] tree in, block-style YAML out.
//!
//! The compose target builds typed structs, turns them into [`Node`]s (maps keep the order the
//! target gives them) and prints them here; nothing is templated. Output rules:
//!
//! - Maps and sequences are block style, two spaces per level, sequences under a key indented
//!   (`key:\n  - item`). A collection of scalars whose one-line flow form (`[a, b]`,
//!   `{k: v}`) fits in [`WIDTH`] columns is written in flow form instead.
//!   Empty collections are always `[]` and `{}`.
//! - A string is written plain only when every YAML reader takes it back as that same string:
//!   ASCII letters, digits and `_ . / -`, starting with a letter, `_`, `/`, `./` or `../`
//!   (or exactly `..`), and not one of the words YAML 1.1 reads as a boolean or null (`yes`,
//!   `no`, `on`, `off`, `y`, `n`, `true`, `false`, `null` in any case). That rules out numbers,
//!   timestamps, `~`, `.inf`, `<<`, `=`, indicators (`- ? : , [ ] { } # & * ! | > ' " % @` and
//!   the backquote), `: ` and ` #` inside, and leading or trailing spaces. Every other string
//!   is double-quoted, with `\\`, `\"`, `\n`, `\t` and `\xNN` / `\uNNNN` / `\UNNNNNNNN` escapes
//!   for whatever PyYAML (a YAML 1.1 reader, as docker-compose 1.x is) does not accept raw or
//!   reads as a line break: control characters, DEL, C1 controls, U+2028, U+2029, U+FEFF,
//!   U+FFFE, U+FFFF. Other Unicode is written as is (UTF-8). So a string never spans lines.
//! - Keys follow the same rule. Integers and booleans are written as such (`true`/`false`).
//! - Comment lines may precede the document; the text ends with exactly one newline.
//!
//! Interpolation (`${VAR}` in compose) is not this module's business: the caller writes `$$`
//! where it means a literal `$`.

use std::fmt::Write as _;

/// Flow collections are used only when the whole line fits in this many columns.
pub const WIDTH: usize = 100;

/// A YAML value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A sequence.
    Seq(Vec<Node>),
    /// A map, in the order given.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string node.
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    /// A sequence of strings.
    pub fn strs<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Node {
        Node::Seq(items.into_iter().map(|s| Node::str(s.as_ref())).collect())
    }

    fn is_scalar(&self) -> bool {
        matches!(self, Node::Str(_) | Node::Int(_) | Node::Bool(_))
    }
}

/// Builds a map node entry by entry, skipping what is absent.
#[derive(Debug, Default)]
pub struct MapBuilder(Vec<(String, Node)>);

impl MapBuilder {
    /// An empty map.
    pub fn new() -> MapBuilder {
        MapBuilder::default()
    }

    /// Adds `key: value`.
    pub fn entry(mut self, key: impl Into<String>, value: Node) -> MapBuilder {
        self.0.push((key.into(), value));
        self
    }

    /// Adds `key: value` when there is a value.
    pub fn opt(self, key: impl Into<String>, value: Option<Node>) -> MapBuilder {
        match value {
            Some(value) => self.entry(key, value),
            None => self,
        }
    }

    /// Adds `key: [items]` when there is at least one item.
    pub fn nonempty(self, key: impl Into<String>, items: Vec<Node>) -> MapBuilder {
        if items.is_empty() {
            self
        } else {
            self.entry(key, Node::Seq(items))
        }
    }

    /// The map.
    pub fn build(self) -> Node {
        Node::Map(self.0)
    }
}

/// The YAML text of `root` (a map), after `comments` (each written as `# <line>`, or `#` when
/// empty). Ends with exactly one newline.
pub fn document(comments: &[String], root: &Node) -> String {
    let mut out = String::new();
    for line in comments {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    match root {
        Node::Map(entries) if !entries.is_empty() => map(&mut out, entries, 0),
        Node::Seq(items) if !items.is_empty() => seq(&mut out, items, 0),
        other => {
            out.push_str(&flow(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn map(out: &mut String, entries: &[(String, Node)], level: usize) {
    for (key, value) in entries {
        indent(out, level);
        let key = scalar(key);
        out.push_str(&key);
        out.push(':');
        after_key(out, value, level, level + key.chars().count() + 2);
    }
}

/// Writes what follows `key:`; `column` is where an inline value would start.
fn after_key(out: &mut String, value: &Node, level: usize, column: usize) {
    if let Some(text) = inline(value, column) {
        out.push(' ');
        out.push_str(&text);
        out.push('\n');
        return;
    }
    out.push('\n');
    match value {
        Node::Map(entries) => map(out, entries, level + 2),
        Node::Seq(items) => seq(out, items, level + 2),
        _ => unreachable!("scalars are always inline"),
    }
}

fn seq(out: &mut String, items: &[Node], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        if let Some(text) = inline(item, level + 2) {
            out.push(' ');
            out.push_str(&text);
            out.push('\n');
            continue;
        }
        match item {
            Node::Map(entries) => {
                // The first entry on the dash's line, the others aligned with it.
                let mut block = String::new();
                map(&mut block, entries, level + 2);
                out.push(' ');
                out.push_str(&block[level + 2..]);
            }
            Node::Seq(inner) => {
                out.push('\n');
                seq(out, inner, level + 2);
            }
            _ => unreachable!("scalars are always inline"),
        }
    }
}

/// The one-line form of `value` if it is a scalar, an empty collection, or a flow collection
/// that fits when it starts at `column`.
fn inline(value: &Node, column: usize) -> Option<String> {
    match value {
        Node::Seq(items) if items.is_empty() => Some("[]".into()),
        Node::Map(entries) if entries.is_empty() => Some("{}".into()),
        v if v.is_scalar() => Some(flow(v)),
        v if flowable(v) => Some(flow(v)).filter(|text| column + text.chars().count() <= WIDTH),
        _ => None,
    }
}

/// Only collections of scalars may be flow: nested ones read better as blocks.
fn flowable(value: &Node) -> bool {
    fn depth(value: &Node) -> usize {
        match value {
            Node::Seq(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            Node::Map(entries) => 1 + entries.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
            _ => 0,
        }
    }
    depth(value) <= 1
}

fn flow(value: &Node) -> String {
    match value {
        Node::Str(s) => scalar(s),
        Node::Int(i) => i.to_string(),
        Node::Bool(b) => b.to_string(),
        Node::Seq(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Node::Map(entries) => format!(
            "{{{}}}",
            entries.iter().map(|(k, v)| format!("{}: {}", scalar(k), flow(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Words YAML 1.1 resolves to booleans or null (compared case-insensitively, which also covers
/// the YAML 1.2 core schema's spellings).
const RESERVED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// True when `s` may be written without quotes (see the module documentation).
pub fn is_plain(s: &str) -> bool {
    let Some(first) = s.bytes().next() else { return false };
    let start_ok = first.is_ascii_alphabetic()
        || first == b'_'
        || first == b'/'
        || s == ".."
        || s.starts_with("./")
        || s.starts_with("../");
    start_ok
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
        && !RESERVED.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// `s` as a YAML scalar: plain when [`is_plain`], else double-quoted.
pub fn scalar(s: &str) -> String {
    if is_plain(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xFF => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Characters written raw inside double quotes: what PyYAML's reader accepts, less the line
/// breaks of YAML 1.1 (U+0085, U+2028, U+2029) and U+FEFF (a byte order mark).
fn printable(c: char) -> bool {
    matches!(
        c as u32,
        0x20..=0x7E | 0xA0..=0x2027 | 0x202A..=0xD7FF | 0xE000..=0xFEFE | 0xFF00..=0xFFFD | 0x10000..=0x10FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Each must come back as itself from any reader.
    const HOSTILE: &[&str] = &include!("../../../tests/data/hostile_yaml_strings.rs");

    fn roundtrip(node: &Node) -> Value {
        let text = document(&[], node);
        serde_saphyr::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{text}\n{e}"))
    }

    fn to_json(node: &Node) -> Value {
        match node {
            Node::Str(s) => json!(s),
            Node::Int(i) => json!(i),
            Node::Bool(b) => json!(b),
            Node::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
            Node::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        }
    }

    #[test]
    fn plain_only_when_safe() {
        for s in ["backend", "tg_bot-edge", "..", "../services/a/.env", "/app/shared", "python", "redis-cli", "main.py"]
        {
            assert_eq!(scalar(s), s, "{s} should be plain");
        }
        for s in HOSTILE {
            if !["..", "./x", "../services/a", "/app/x"].contains(s) {
                assert!(scalar(s).starts_with('"'), "{s:?} must be quoted, got {}", scalar(s));
            }
        }
        assert_eq!(scalar("a\"b\\c\nd\te"), r#""a\"b\\c\nd\te""#);
        assert_eq!(scalar("\u{7}\u{85}\u{2028}\u{2029}\u{FEFF}\u{FFFF}"), r#""\x07\x85\u2028\u2029\uFEFF\uFFFF""#);
        assert_eq!(scalar("日本"), "\"日本\"");
    }

    #[test]
    fn hostile_strings_round_trip_as_values_keys_and_flow_items() {
        for s in HOSTILE {
            let node = MapBuilder::new()
                .entry("value", Node::str(*s))
                .entry(*s, Node::Int(1))
                .entry("flow", Node::strs([*s, "x"]))
                .entry("block", Node::strs([*s, &"long ".repeat(30)]))
                .build();
            assert_eq!(roundtrip(&node), to_json(&node), "{s:?}");
        }
    }

    #[test]
    fn layout() {
        let node = MapBuilder::new()
            .entry(
                "services",
                MapBuilder::new()
                    .entry(
                        "a",
                        MapBuilder::new()
                            .entry("build", MapBuilder::new().entry("context", Node::str("..")).build())
                            .entry("ports", Node::strs(["8000:8000"]))
                            .entry("empty", Node::Seq(Vec::new()))
                            .entry("none", Node::Map(Vec::new()))
                            .entry("long", Node::strs(["x".repeat(60), "y".repeat(60)]))
                            .entry(
                                "maps",
                                Node::Seq(vec![MapBuilder::new()
                                    .entry("k", Node::str("v"))
                                    .entry("deep", Node::Map(vec![("x".into(), Node::strs(["z".repeat(90)]))]))
                                    .build()]),
                            )
                            .entry("retries", Node::Int(5))
                            .entry("internal", Node::Bool(true))
                            .build(),
                    )
                    .build(),
            )
            .build();
        let text = document(&["banner".into(), String::new(), "more".into()], &node);
        assert_eq!(
            text,
            r#"# banner
#
# more
services:
  a:
    build: {context: ..}
    ports: ["8000:8000"]
    empty: []
    none: {}
    long:
      - xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
      - yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
    maps:
      - k: v
        deep:
          x:
            - zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz
    retries: 5
    internal: true
"#
        );
        assert_eq!(roundtrip(&node), to_json(&node));
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips(s in "\\PC*|[ -~\\t\\n]{0,12}|(y|n|on|off|yes|no|~|-|:|#|\\.|0|1|e|x|o|_| ){1,6}") {
            proptest::prop_assume!(s != "k");
            let node = MapBuilder::new().entry("k", Node::str(&s)).entry(&s, Node::strs([&s])).build();
            proptest::prop_assert_eq!(roundtrip(&node), to_json(&node));
        }
    }
}
