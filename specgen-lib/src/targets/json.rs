//! A streaming JSON writer whose text is exactly what `serde_json::to_string_pretty` prints for
//! the same value: two-space indentation, `": "` after keys, `{}` and `[]` for empty containers,
//! serde_json's string escaping and number formatting.
//!
//! The JSON documents (`openapi.json`, `asyncapi.json`) are written through it instead of being
//! built as a `serde_json::Value` and printed: for a service with thousands of operations the
//! tree costs millions of small allocations, which took most of the `openapi` target's time.

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
    /// What starts a line at the current depth: a newline and two spaces per open container.
    line_start: String,
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
            open: Vec::new(),
            line_start: "\n".to_string(),
            has_member: false,
            after_key: false,
        }
    }

    /// The text written: one complete value.
    pub fn finish(self) -> String {
        debug_assert!(self.open.is_empty() && !self.after_key, "unfinished JSON: {:?}", self.open);
        self.out
    }

    /// Starts an object.
    pub fn begin_object(&mut self) {
        self.begin_container(Container::Object, '{');
    }

    /// Ends the innermost open container, an object.
    pub fn end_object(&mut self) {
        self.end_container(Container::Object, '}');
    }

    /// Starts an array.
    pub fn begin_array(&mut self) {
        self.begin_container(Container::Array, '[');
    }

    /// Ends the innermost open container, an array.
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

    /// Writes a string.
    pub fn string(&mut self, text: &str) {
        self.string_concat(&[text]);
    }

    /// Writes the concatenation of `parts` as one string, without building it first.
    pub fn string_concat(&mut self, parts: &[&str]) {
        self.scalar(|out| {
            out.push('"');
            for part in parts {
                push_escaped(out, part);
            }
            out.push('"');
        });
    }

    /// Writes `true` or `false`.
    pub fn bool(&mut self, value: bool) {
        self.scalar(|out| out.push_str(if value { "true" } else { "false" }));
    }

    /// Writes `null`.
    pub fn null(&mut self) {
        self.scalar(|out| out.push_str("null"));
    }

    /// Writes a number as serde_json prints it (floats as the shortest text that reads back as
    /// the same float, with a `.0` or an exponent: `1.0`, `1e20`).
    pub fn number(&mut self, number: impl Into<Number>) {
        let number = number.into();
        self.scalar(|out| write!(out, "{number}").expect("writing to a String cannot fail"));
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
    fn begin_container(&mut self, container: Container, open: char) {
        self.begin_value();
        self.out.push(open);
        self.open.push(container);
        self.line_start.push_str(INDENT);
        self.has_member = false;
    }

    /// Ends `container`, the innermost open one, with `close`.
    fn end_container(&mut self, container: Container, close: char) {
        debug_assert!(!self.after_key, "a key without its value");
        let innermost = self.open.pop();
        debug_assert_eq!(innermost, Some(container), "ending a container that is not the innermost open one");
        self.line_start.truncate(self.line_start.len() - INDENT.len());
        // An empty container stays on one line: `{}`, `[]`.
        if self.has_member {
            self.out.push_str(&self.line_start);
        }
        self.out.push(close);
        // The container was itself a member of the enclosing one.
        self.has_member = true;
    }

    /// Places the next value: right after its key, or on a line of its own in an array.
    fn begin_value(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else if let Some(&container) = self.open.last() {
            debug_assert_eq!(container, Container::Array, "a value in an object without a key");
            self.new_member_line();
        }
    }

    /// Ends the previous member (if any) with a comma and starts a new indented line.
    fn new_member_line(&mut self) {
        if self.has_member {
            self.out.push(',');
        }
        self.out.push_str(&self.line_start);
    }
}

/// The indentation of one level.
const INDENT: &str = "  ";

/// Appends `text` escaped for a JSON string as serde_json escapes it: `"` and `\`, the control
/// characters (`\n`, `\t`, `\r`, `\b`, `\f`, the others as `\u00XX` in lower-case hex); all
/// else as it is, non-ASCII characters and `/` included.
fn push_escaped(out: &mut String, text: &str) {
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
        out.key("joined").string_concat(&["#/a/", "b\"c", ""]);
        out.end_object();
        let expected = json!({"list": [7, "x", {}], "flag": true, "nothing": null, "ratio": 2.0, "joined": "#/a/b\"c"});
        assert_eq!(out.finish(), serde_json::to_string_pretty(&expected).unwrap());
    }

    #[test]
    fn escapes_like_serde_json() {
        for text in ["", "plain", "q\"b\\s/", "\n\t\r\u{8}\u{c}\u{0}\u{1f}\u{7f}", "é ü 漢 😀 \u{2028}", "a\u{1}b"]
        {
            assert_eq!(written(&json!({ text: text })), serde_json::to_string_pretty(&json!({ text: text })).unwrap());
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_escapes_like_serde_json(text in "\\PC*|[\\x00-\\x7f]{0,16}|\\PC{0,4}[\\x00-\\x1f\"\\\\]\\PC{0,4}") {
            let value = json!([text]);
            proptest::prop_assert_eq!(written(&value), serde_json::to_string_pretty(&value).unwrap());
        }
    }
}
