//! A streaming JSON writer whose text is exactly what `serde_json::to_string_pretty` prints for
//! the same value: two-space indentation, `": "` after keys, `{}` and `[]` for empty containers,
//! serde_json's string escaping and number formatting.
//!
//! The JSON documents (`openapi.json`, `asyncapi.json`) are written through it instead of being
//! built as a `serde_json::Value` and printed: for a service with thousands of operations the
//! tree costs millions of small allocations, which took most of the `openapi` target's time.
//! What is left is copying text, so the writer copies in as few pieces as it can: a line's
//! comma, newline and indentation are one slice of [`LINE_STARTS`], and text that needs no
//! escaping (nearly all of it) is found so eight bytes at a time and copied whole.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// Writes one JSON value, pretty-printed, into a `String`.
///
/// Values are written in document order: inside an object, each value after its
/// [`key`](JsonWriter::key); inside an array, one after the other. Writing a value in an object
/// without its key, or ending a container that is not the innermost open one, is a bug of the
/// caller, caught by debug assertions.
#[derive(Debug)]
pub struct JsonWriter {
    out: String,
    /// The containers open at the current position, innermost last.
    open: Vec<Container>,
    /// How many of `open` are containers of another writer's text, that the value this one
    /// writes goes into (see [`detached`](JsonWriter::detached)): none for a whole document.
    outer: usize,
    /// Whether the innermost open container already has a member: the next one needs a comma.
    has_member: bool,
    /// Whether a key was just written: its value follows on the same line.
    after_key: bool,
}

/// A container the writer is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Object,
    Array,
}

impl Default for JsonWriter {
    fn default() -> JsonWriter {
        JsonWriter::with_capacity(0)
    }
}

impl JsonWriter {
    /// A writer with room for `bytes` of text before it has to grow.
    pub fn with_capacity(bytes: usize) -> JsonWriter {
        JsonWriter {
            out: String::with_capacity(bytes),
            open: Vec::with_capacity(16),
            outer: 0,
            has_member: false,
            after_key: false,
        }
    }

    /// A writer, with room for `bytes` of text, for the value of a member of an object that is
    /// `depth` containers deep (itself counted) in another writer's document: the text is
    /// indented for that place, where [`attach`](JsonWriter::attach) puts it after the member's
    /// key. Parts of one document can so be written on different threads.
    pub fn detached(depth: usize, bytes: usize) -> JsonWriter {
        let mut open = Vec::with_capacity(depth + 16);
        open.resize(depth, Container::Object);
        JsonWriter { out: String::with_capacity(bytes), open, outer: depth, has_member: false, after_key: true }
    }

    /// The text written: one complete value.
    pub fn finish(self) -> String {
        debug_assert!(self.open.len() == self.outer && !self.after_key, "unfinished JSON: {:?}", self.open);
        self.out
    }

    /// Writes a value that a [`detached`](JsonWriter::detached) writer wrote for this place:
    /// `text` is what its [`finish`](JsonWriter::finish) returned, and it was made with the
    /// [`depth`](JsonWriter::depth) this writer has now.
    pub fn attach(&mut self, text: &str) {
        self.scalar(|out| out.push_str(text));
    }

    /// Starts an object.
    #[inline]
    pub fn begin_object(&mut self) {
        self.begin_container(Container::Object, '{');
    }

    /// Ends the innermost open container, an object.
    #[inline]
    pub fn end_object(&mut self) {
        self.end_container(Container::Object, '}');
    }

    /// Starts an array.
    #[inline]
    pub fn begin_array(&mut self) {
        self.begin_container(Container::Array, '[');
    }

    /// Ends the innermost open container, an array.
    #[inline]
    pub fn end_array(&mut self) {
        self.end_container(Container::Array, ']');
    }

    /// Writes the key of the next member of the innermost open object; its value comes next.
    pub fn key(&mut self, key: &str) -> &mut JsonWriter {
        debug_assert!(self.open.last() == Some(&Container::Object) && !self.after_key, "a key outside an object");
        self.new_member_line();
        self.out.push('"');
        push_escaped(&mut self.out, key);
        self.out.push_str("\": ");
        self.after_key = true;
        self
    }

    /// Writes the key of the next member like [`key`](JsonWriter::key), for a key of the
    /// program's own that needs no escaping (a keyword of the format, `type`, `properties`):
    /// copied without looking at it. Debug builds check.
    #[inline]
    pub fn static_key(&mut self, key: &'static str) -> &mut JsonWriter {
        debug_assert!(self.open.last() == Some(&Container::Object) && !self.after_key, "a key outside an object");
        debug_assert!(!needs_escape(key.as_bytes()), "a static key that needs escaping: {key:?}");
        self.new_member_line();
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\": ");
        self.after_key = true;
        self
    }

    /// Writes a string of the program's own that needs no escaping (`object`, `string`), like
    /// [`string`](JsonWriter::string) but without looking at it. Debug builds check.
    #[inline]
    pub fn static_string(&mut self, text: &'static str) {
        debug_assert!(!needs_escape(text.as_bytes()), "a static string that needs escaping: {text:?}");
        self.begin_value();
        self.out.push('"');
        self.out.push_str(text);
        self.out.push('"');
        self.has_member = true;
    }

    /// Writes a string.
    pub fn string(&mut self, text: &str) {
        self.begin_value();
        self.out.push('"');
        push_escaped(&mut self.out, text);
        self.out.push('"');
        self.has_member = true;
    }

    /// Writes the concatenation of `parts` as one string, without building it first.
    pub fn string_concat(&mut self, parts: &[&str]) {
        self.begin_value();
        self.out.push('"');
        for part in parts {
            push_escaped(&mut self.out, part);
        }
        self.out.push('"');
        self.has_member = true;
    }

    /// Writes a string whose text `write` appends, unescaped: the caller promises that it holds
    /// nothing JSON escapes (`"`, `\`, control characters), which debug builds check.
    pub fn string_with(&mut self, write: impl FnOnce(&mut String)) {
        self.begin_value();
        self.out.push('"');
        let start = self.out.len();
        write(&mut self.out);
        debug_assert!(!needs_escape(&self.out.as_bytes()[start..]), "unescaped text that needs escaping");
        self.out.push('"');
        self.has_member = true;
    }

    /// How many containers are open: text written at one depth reads the same when repeated at
    /// the same depth (see [`repeat`](JsonWriter::repeat)).
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// Where the next text will go: the length of the text written so far.
    pub fn position(&self) -> usize {
        self.out.len()
    }

    /// The members or items written since [`position`](JsonWriter::position) returned `start`,
    /// as [`repeat`](JsonWriter::repeat) takes them: without the comma, newline and indentation
    /// before the first.
    pub fn written_since(&self, start: usize) -> &str {
        self.out[start..].trim_start_matches([',', '\n', ' '])
    }

    /// Writes again members of an object (or items of an array) written before at the same
    /// [`depth`](JsonWriter::depth) into the same kind of container, taken with
    /// [`written_since`](JsonWriter::written_since): copying the text costs far less than writing
    /// it piece by piece a second time.
    pub fn repeat(&mut self, text: &str) {
        debug_assert!(!self.open.is_empty() && !self.after_key, "a repeat outside a container or after a key");
        debug_assert!(!text.starts_with([',', '\n', ' ']), "a line start in repeated text: {text:?}");
        self.new_member_line();
        self.out.push_str(text);
        self.has_member = true;
    }

    /// Writes `true` or `false`.
    pub fn bool(&mut self, value: bool) {
        self.scalar(|out| out.push_str(if value { "true" } else { "false" }));
    }

    /// Writes `null`.
    pub fn null(&mut self) {
        self.scalar(|out| out.push_str("null"));
    }

    /// Writes a non-negative integer.
    pub fn unsigned(&mut self, number: u64) {
        self.scalar(|out| push_unsigned(out, number));
    }

    /// Writes a number as serde_json prints it (floats as the shortest text that reads back as
    /// the same float, with a `.0` or an exponent: `1.0`, `1e20`).
    pub fn number(&mut self, number: impl Into<Number>) {
        let number = number.into();
        self.scalar(|out| {
            // Integers, nearly all numbers written, without the formatting machinery.
            if let Some(n) = number.as_u64() {
                push_unsigned(out, n);
            } else if let Some(n) = number.as_i64() {
                out.push('-');
                push_unsigned(out, n.unsigned_abs());
            } else {
                write!(out, "{number}").expect("writing to a String cannot fail");
            }
        });
    }

    /// Writes a `serde_json` value, members in its order.
    pub fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            Value::Number(n) => self.number(n.clone()),
            Value::String(s) => self.string(s),
            Value::Array(items) => {
                self.begin_array();
                for item in items {
                    self.value(item);
                }
                self.end_array();
            }
            Value::Object(map) => {
                self.begin_object();
                for (key, item) in map {
                    self.key(key).value(item);
                }
                self.end_object();
            }
        }
    }

    /// Writes a value that is not a container: `write` appends its text.
    fn scalar(&mut self, write: impl FnOnce(&mut String)) {
        self.begin_value();
        write(&mut self.out);
        self.has_member = true;
    }

    /// Starts `container`, opened with `open`.
    #[inline]
    fn begin_container(&mut self, container: Container, open: char) {
        self.begin_value();
        self.out.push(open);
        self.open.push(container);
        self.has_member = false;
    }

    /// Ends `container`, the innermost open one, with `close`.
    #[inline]
    fn end_container(&mut self, container: Container, close: char) {
        debug_assert!(!self.after_key, "a key without its value");
        let innermost = self.open.pop();
        debug_assert_eq!(innermost, Some(container), "ending a container that is not the innermost open one");
        // An empty container stays on one line: `{}`, `[]`.
        if self.has_member {
            self.push_line_start(false);
        }
        self.out.push(close);
        // The container was itself a member of the enclosing one.
        self.has_member = true;
    }

    /// Places the next value: right after its key, or on a line of its own in an array.
    #[inline]
    fn begin_value(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else if let Some(&container) = self.open.last() {
            debug_assert_eq!(container, Container::Array, "a value in an object without a key");
            self.new_member_line();
        }
    }

    /// Ends the previous member (if any) with a comma and starts a new indented line.
    #[inline]
    fn new_member_line(&mut self) {
        self.push_line_start(self.has_member);
    }

    /// Starts a new line at the current depth, after a comma when `comma`.
    #[inline]
    fn push_line_start(&mut self, comma: bool) {
        let end = 2 + INDENT.len() * self.open.len();
        let start = usize::from(!comma);
        match LINE_STARTS.get(start..end) {
            Some(line_start) => self.out.push_str(line_start),
            None => {
                self.out.push_str(&LINE_STARTS[start..]);
                for _ in LINE_STARTS.len()..end {
                    self.out.push(' ');
                }
            }
        }
    }
}

/// The indentation of one level.
const INDENT: &str = "  ";

/// A comma, a newline and the indentation of the deepest level most documents reach: every line
/// start is a slice of it (without the comma when the line starts the first member). Deeper
/// lines add spaces one by one.
const LINE_STARTS: &str = concat!(
    ",\n",
    "                                                                ",
    "                                                                ",
);

/// Appends the decimal digits of `n`.
fn push_unsigned(out: &mut String, n: u64) {
    out.push_str(super::decimal(n, &mut super::Digits::default()));
}

/// Appends `text` escaped for a JSON string as serde_json escapes it: `"` and `\`, the control
/// characters (`\n`, `\t`, `\r`, `\b`, `\f`, the others as `\u00XX` in lower-case hex); all
/// else as it is, non-ASCII characters and `/` included.
#[inline]
fn push_escaped(out: &mut String, text: &str) {
    if needs_escape(text.as_bytes()) {
        push_escaping(out, text);
    } else {
        out.push_str(text);
    }
}

/// [`push_escaped`] of text that needs escaping.
fn push_escaping(out: &mut String, text: &str) {
    let mut rest = text;
    // Escaped characters are ASCII: the text around one splits at character boundaries.
    while let Some(at) = rest.bytes().position(|b| ESCAPED[usize::from(b)]) {
        out.push_str(&rest[..at]);
        match rest.as_bytes()[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            control => write!(out, "\\u{control:04x}").expect("writing to a String cannot fail"),
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Whether `bytes` holds a byte [`push_escaped`] escapes. Eight bytes at a time: most of a
/// document's text goes through here, and nearly none of it needs escaping.
fn needs_escape(bytes: &[u8]) -> bool {
    if bytes.len() < 8 {
        return bytes.iter().any(|&b| ESCAPED[usize::from(b)]);
    }
    let mut words = bytes.chunks_exact(8);
    if words.any(|word| word_needs_escape(u64::from_le_bytes(word.try_into().expect("eight bytes")))) {
        return true;
    }
    // The last eight bytes cover the tail the words left (and some bytes checked already).
    let last = &bytes[bytes.len() - 8..];
    word_needs_escape(u64::from_le_bytes(last.try_into().expect("eight bytes")))
}

/// Whether one of the eight bytes of `word` is below 0x20, `"` or `\`. The classic test for a
/// zero byte, `(x - 0x01…) & !x & 0x80…`, is exact about whether there is one; `x - 0x20…`
/// in its place tests for a byte below 0x20.
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH_BITS: u64 = ONES * 0x80;
    let below = |x: u64, limit: u64| x.wrapping_sub(ONES * limit) & !x;
    let below_space = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    (below_space | quote | backslash) & HIGH_BITS != 0
}

/// The bytes [`push_escaped`] escapes, by value: a table is the fastest test, and most of a
/// document's text goes through it.
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn written(value: &Value) -> String {
        let mut out = JsonWriter::default();
        out.value(value);
        out.finish()
    }

    #[test]
    fn layout_is_serde_jsons_pretty_one() {
        for value in [
            json!({}),
            json!([]),
            json!(null),
            json!("top"),
            json!({"a": {}, "b": [], "c": [{}, [], [[]], {"d": null}], "e": {"f": {"g": [true, false]}}}),
            json!([1, "two", {"three": [3]}, [], {}]),
            json!({"numbers": [0, -1, u64::MAX, i64::MIN, 1.0, -0.0, 0.1, 1e20, 1.5e-7, 123456789.125, f64::MAX]}),
        ] {
            assert_eq!(written(&value), serde_json::to_string_pretty(&value).unwrap(), "{value}");
        }
    }

    #[test]
    fn members_written_one_by_one() {
        let mut out = JsonWriter::with_capacity(64);
        out.begin_object();
        out.key("list").begin_array();
        out.number(7u64);
        out.string("x");
        out.begin_object();
        out.end_object();
        out.end_array();
        out.key("flag").bool(true);
        out.key("nothing").null();
        out.key("ratio").number(Number::from_f64(2.0).unwrap());
        out.key("count").unsigned(1234567890);
        out.key("title").string_with(|text| text.push_str("Built"));
        out.key("joined").string_concat(&["#/a/", "b\"c", ""]);
        out.end_object();
        let expected = json!({"list": [7, "x", {}], "flag": true, "nothing": null, "ratio": 2.0, "count": 1234567890u64, "title": "Built", "joined": "#/a/b\"c"});
        assert_eq!(out.finish(), serde_json::to_string_pretty(&expected).unwrap());
    }

    #[test]
    fn detached_values_read_as_if_written_in_place() {
        let inner = json!({"a": [1, {"b": "c"}], "d": {}});
        let whole = json!({"x": {"y": inner.clone(), "z": true}});
        let mut detached = JsonWriter::detached(2, 0);
        detached.value(&inner);
        let text = detached.finish();
        let mut out = JsonWriter::default();
        out.begin_object();
        out.key("x").begin_object();
        out.key("y").attach(&text);
        out.key("z").bool(true);
        out.end_object();
        out.end_object();
        assert_eq!(out.finish(), serde_json::to_string_pretty(&whole).unwrap());
    }

    #[test]
    fn escapes_like_serde_json() {
        for text in ["", "plain", "q\"b\\s/", "\n\t\r\u{8}\u{c}\u{0}\u{1f}\u{7f}", "é ü 漢 😀 \u{2028}", "a\u{1}b"]
        {
            assert_eq!(written(&json!({ text: text })), serde_json::to_string_pretty(&json!({ text: text })).unwrap());
        }
    }

    #[test]
    fn the_word_test_finds_what_the_table_finds() {
        for len in [1, 7, 8, 9, 15, 16, 17, 24] {
            for at in 0..len {
                for byte in 0..=u8::MAX {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = byte;
                    assert_eq!(needs_escape(&bytes), ESCAPED[usize::from(byte)], "{byte:#x} at {at} of {len}");
                }
            }
        }
        assert!(!needs_escape("é ü 漢 😀 \u{2028}\u{7f}".as_bytes()));
    }

    #[test]
    fn deep_documents_indent_past_the_line_starts() {
        let mut value = json!(["leaf", 1]);
        for depth in 0..80 {
            value = if depth % 2 == 0 { json!({ "k": value }) } else { json!([value, {}]) };
        }
        assert_eq!(written(&value), serde_json::to_string_pretty(&value).unwrap());
    }

    proptest::proptest! {
        #[test]
        fn any_string_escapes_like_serde_json(text in "\\PC*|[\\x00-\\x7f]{0,16}|\\PC{0,4}[\\x00-\\x1f\"\\\\]\\PC{0,4}") {
            let value = json!([text]);
            proptest::prop_assert_eq!(written(&value), serde_json::to_string_pretty(&value).unwrap());
        }
    }
}
