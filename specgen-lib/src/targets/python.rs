//! Shared machinery of the Python targets: the template environment, the escaping filters and
//! in-process formatting with ruff's own formatter.
//!
//! Templates only need to be *correct* Python: [`format_python`] gives every file the exact
//! layout `ruff format` would, so blank lines and line breaks in templates do not matter.
//! Everything that turns spec text into Python source goes through the escaping functions here
//! ([`py_str`], [`py_doc`], [`py_ident`]); a template never pastes user text raw.
//!
//! Invariant: nothing here touches the file system, the clock or the environment; templates are
//! embedded with `include_str!`.

use std::sync::OnceLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use ruff_python_formatter::{format_module_source, PyFormatOptions};

use super::RenderError;

/// Every template of the Python targets: (name, source).
const TEMPLATES: &[(&str, &str)] = &[("schemas.py.j2", include_str!("templates/schemas.py.j2"))];

/// Python's hard keywords (3.11 to 3.14). A name equal to one of them cannot be an identifier.
pub const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// Builtins that generated code uses as type names (`int`, `list[...]`…). A class attribute or
/// parameter with one of these names would shadow the builtin for the annotations after it
/// (Pydantic evaluates annotations in the class namespace), so it is escaped. Other builtins
/// (`id`, `type`, `input`, `format`…) are left alone: shadowing them is only a lint matter
/// (flake8-builtins `A00x`, not in ruff's default rules), and escaping `id` or `type` would make
/// the most common field names awkward to use.
pub const SHADOWED_BUILTINS: &[&str] =
    &["bool", "bytes", "dict", "float", "int", "list", "object", "set", "str", "tuple"];

/// Public attributes of `pydantic.BaseModel` (2.11 to 2.14, v1-compatibility methods included):
/// a field with one of these names would shadow the method (Pydantic warns or fails, mypy rejects
/// the override).
pub const BASEMODEL_ATTRIBUTES: &[&str] = &[
    "construct",
    "copy",
    "dict",
    "from_orm",
    "json",
    "model_computed_fields",
    "model_config",
    "model_construct",
    "model_copy",
    "model_dump",
    "model_dump_json",
    "model_extra",
    "model_fields",
    "model_fields_set",
    "model_json_schema",
    "model_parametrized_name",
    "model_post_init",
    "model_rebuild",
    "model_validate",
    "model_validate_json",
    "model_validate_strings",
    "parse_file",
    "parse_obj",
    "parse_raw",
    "schema",
    "schema_json",
    "update_forward_refs",
    "validate",
];

/// Pydantic's default `protected_namespaces` (2.10+): a field whose name starts with one of these
/// triggers a warning at import unless the model's config clears `protected_namespaces`.
pub const PROTECTED_PREFIXES: &[&str] = &["model_validate", "model_dump"];

/// Names `enum.Enum` refuses as member names (`ValueError: invalid enum member name(s)`);
/// `_sunder_` and `__dunder__` names never get here (see [`sanitize_ident`]).
const ENUM_RESERVED: &[&str] = &["mro"];

/// The public methods of `str` (Python 3.11 to 3.14): an enum member named like one of them
/// would shadow the method on a `str`-based enum (mypy rejects it as an incompatible override).
const STR_METHODS: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "count",
    "encode",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "maketrans",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "translate",
    "upper",
    "zfill",
];

/// The template environment of the Python targets, built once.
///
/// Settings: undefined variables are errors (a typo in a template fails loudly instead of
/// rendering nothing), no auto-escaping (the output is Python, not HTML: escaping is explicit
/// through the filters), `trim_blocks` and `lstrip_blocks` so block tags on their own lines
/// leave no blank lines behind.
pub fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        let mut syntax = minijinja::syntax::SyntaxConfig::builder();
        syntax.trim_blocks(true).lstrip_blocks(true).keep_trailing_newline(true);
        env.set_syntax(syntax.build().expect("the default delimiters are valid"));
        env.add_filter("py_ident", |s: &str| py_ident(s));
        env.add_filter("py_str", |s: &str| py_str(s));
        env.add_filter("py_doc", |s: &str| py_doc(s));
        env.add_filter("pascal", |s: &str| pascal(s));
        env.add_filter("snake", |s: &str| snake(s));
        for (name, source) in TEMPLATES {
            // A template that does not compile is caught by the unit tests, which build the
            // environment: it can never reach a user.
            env.add_template(name, source).unwrap_or_else(|e| panic!("template {name} does not compile: {e:#}"));
        }
        env
    })
}

/// Renders template `name` with `ctx`. A failure is a bug in the template (or in the context
/// the target built), reported as a [`RenderError`] naming the template.
pub fn render_template(name: &str, ctx: Value) -> Result<String, RenderError> {
    let env = environment();
    let template = env.get_template(name).map_err(|e| render_error(name, format!("{e:#}")))?;
    template.render(ctx).map_err(|e| render_error(name, format!("{e:#}")))
}

/// Formats Python source exactly as `ruff format` (default settings: line length 88, 4 spaces,
/// double quotes, LF) would, targeting `python_version`. `origin` names the template the source
/// came from: source the formatter cannot parse is a bug in that template, never written.
pub fn format_python(origin: &str, source: &str, python_version: (u8, u8)) -> Result<String, RenderError> {
    let options = PyFormatOptions::default().with_target_version(python_version.into());
    match format_module_source(source, options) {
        Ok(printed) => Ok(printed.into_code()),
        Err(err) => {
            let location = match err.range() {
                Some(range) => {
                    let offset = usize::from(range.start()).min(source.len());
                    let line_no = source[..offset].matches('\n').count() + 1;
                    let line = source.lines().nth(line_no - 1).unwrap_or("");
                    format!(" at generated line {line_no}: {line:?}")
                }
                None => String::new(),
            };
            Err(render_error(origin, format!("generated Python does not format: {err}{location}")))
        }
    }
}

fn render_error(origin: &str, message: String) -> RenderError {
    RenderError { origin: origin.to_string(), message }
}

/// True for a hard keyword of Python.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// Turns any string into a valid, non-private Python identifier: every character outside
/// `[A-Za-z0-9_]` becomes `_` (ASCII only, so NFKC normalisation of identifiers can never merge
/// two names), leading underscores are dropped (Pydantic treats `_x` as a private attribute and
/// `StrEnum` as a non-member), an empty result becomes `field` and a leading digit gets an `f_`
/// prefix. Keywords are *not* handled here.
pub fn sanitize_ident(name: &str) -> String {
    let replaced: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    let trimmed = replaced.trim_start_matches('_');
    if trimmed.is_empty() {
        "field".to_string()
    } else if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{trimmed}")
    } else {
        trimmed.to_string()
    }
}

/// [`sanitize_ident`], then `_` appended while the name is reserved by `reserved` (always
/// including Python's hard keywords).
pub fn escape_ident(name: &str, reserved: impl Fn(&str) -> bool) -> String {
    let mut ident = sanitize_ident(name);
    while is_keyword(&ident) || reserved(&ident) {
        ident.push('_');
    }
    ident
}

/// The Python attribute / parameter name for a spec name (the `py_ident` filter): a valid
/// identifier that is no keyword, not private, and safe as a Pydantic field or a function
/// parameter. Escapes by appending `_` (PEP 8's convention): hard keywords (`class` → `class_`),
/// `BaseModel` attributes ([`BASEMODEL_ATTRIBUTES`]: `json`, `schema`, `model_dump`…) and the
/// builtins generated code uses as types ([`SHADOWED_BUILTINS`]). Soft keywords (`match`,
/// `case`, `type`) are valid identifiers everywhere and are kept, and so are other `model_…`
/// names (`model_id`): Pydantic 2.10+ reserves only the exact method names and warns on the
/// [`PROTECTED_PREFIXES`], which the Pydantic target handles in the model's config.
///
/// When the result differs from the spec name, the caller must carry the spec name as the wire
/// name (`Field(alias=...)`, `Query(alias=...)`).
pub fn py_ident(name: &str) -> String {
    escape_ident(name, is_reserved_attribute)
}

/// True for names a Pydantic field attribute must not take (besides keywords).
pub fn is_reserved_attribute(name: &str) -> bool {
    BASEMODEL_ATTRIBUTES.contains(&name) || SHADOWED_BUILTINS.contains(&name)
}

/// The member name of a `StrEnum` for an enum value: [`sanitize_ident`], then keywords, `mro`
/// (which `Enum` refuses) and names of `str` methods (a member `title` would shadow `str.title`,
/// which mypy rejects) escaped by appending `_`. `name` and `value` are fine: Enum resolves them
/// per member.
pub fn py_enum_member(value: &str) -> String {
    escape_ident(value, |n| ENUM_RESERVED.contains(&n) || STR_METHODS.contains(&n))
}

/// A Python string literal (double-quoted) whose value is exactly `s`, for any input: quotes,
/// backslashes, line breaks, control characters and invisible/bidirectional format characters
/// are escaped; other Unicode is kept as is (the files are UTF-8).
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => push_escaped(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// A regular expression as a Python string literal: a raw string when that is exact and
/// readable (no quotes, no characters that need escaping, no trailing backslash), else
/// [`py_str`].
pub fn py_regex(pattern: &str) -> String {
    let raw_ok = !pattern.ends_with('\\') && pattern.chars().all(|c| c != '"' && !needs_escape(c));
    if raw_ok {
        format!("r\"{pattern}\"")
    } else {
        py_str(pattern)
    }
}

/// A docstring literal (`"""..."""`) whose text is `s`. Line breaks stay real line breaks (ruff
/// re-indents them); backslashes, control characters and quotes that would close the literal
/// (a `"` followed by another `"`, or at either end) are escaped.
///
/// Ruff's docstring normalisation (indentation, trailing whitespace of each line) then applies,
/// exactly as it would to a hand-written docstring.
pub fn py_doc(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 6);
    out.push_str("\"\"\"");
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '"' if i == 0 || chars.get(i + 1).is_none_or(|&next| next == '"') => out.push_str("\\\""),
            '\n' => out.push('\n'),
            c => push_escaped(&mut out, c),
        }
    }
    out.push_str("\"\"\"");
    out
}

/// Pushes `c` onto a Python string literal body, escaped if it has to be. `"` and `\n` are the
/// caller's business.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) => {
            let code = c as u32;
            if code <= 0xff {
                out.push_str(&format!("\\x{code:02x}"));
            } else if code <= 0xffff {
                out.push_str(&format!("\\u{code:04x}"));
            } else {
                out.push_str(&format!("\\U{code:08x}"));
            }
        }
        c => out.push(c),
    }
}

/// Characters that must not appear raw in a string literal: C0/C1 controls (including line
/// breaks other than `\n`, which Python or editors treat as line ends), Unicode line/paragraph
/// separators, zero-width and bidirectional formatting characters ("trojan source"), and BOMs.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// `book_status`, `book-status`, `bookStatus` → `BookStatus`.
pub fn pascal(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars.flat_map(|c| c.to_lowercase())).collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// `BookStatus`, `bookStatus`, `HTTPServer`, `book-status` → `book_status`, `http_server`.
pub fn snake(s: &str) -> String {
    words(s).iter().map(|w| w.to_lowercase()).collect::<Vec<_>>().join("_")
}

/// Splits a name into words at separators (anything not alphanumeric, `_` included) and at case
/// changes (`bookStatus` → `book`, `Status`; `HTTPServer` → `HTTP`, `Server`).
fn words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_ident_escapes_keywords_and_pydantic_names() {
        assert_eq!(py_ident("class"), "class_");
        assert_eq!(py_ident("from"), "from_");
        assert_eq!(py_ident("None"), "None_");
        assert_eq!(py_ident("json"), "json_");
        assert_eq!(py_ident("model_config"), "model_config_");
        assert_eq!(py_ident("model_dump"), "model_dump_");
        assert_eq!(py_ident("schema"), "schema_");
        assert_eq!(py_ident("copy"), "copy_");
        assert_eq!(py_ident("dict"), "dict_");
        assert_eq!(py_ident("validate"), "validate_");
        assert_eq!(py_ident("str"), "str_");
        // Kept: soft keywords and builtins that are only a lint matter.
        for kept in ["type", "match", "case", "id", "fields", "format", "input", "title", "name", "model_id"] {
            assert_eq!(py_ident(kept), kept);
        }
        // Made valid.
        assert_eq!(py_ident("_private"), "private");
        assert_eq!(py_ident("content-type"), "content_type");
        assert_eq!(py_ident("1st"), "f_1st");
        assert_eq!(py_ident("__"), "field");
        assert_eq!(py_ident("größe"), "gr__e");
        assert_eq!(py_ident("__class__"), "class__");
    }

    #[test]
    fn enum_members_escape_str_methods() {
        assert_eq!(py_enum_member("reading"), "reading");
        assert_eq!(py_enum_member("title"), "title_");
        assert_eq!(py_enum_member("value"), "value");
        assert_eq!(py_enum_member("count"), "count_");
        assert_eq!(py_enum_member("mro"), "mro_");
        assert_eq!(py_enum_member("class"), "class_");
        assert_eq!(py_enum_member("json"), "json");
        assert_eq!(py_enum_member("True"), "True_");
    }

    #[test]
    fn py_str_escapes_everything_dangerous() {
        assert_eq!(py_str("plain"), r#""plain""#);
        assert_eq!(py_str(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(py_str("l1\nl2\r\tx"), r#""l1\nl2\r\tx""#);
        assert_eq!(py_str("nul\0 bell\x07 del\x7f"), r#""nul\x00 bell\x07 del\x7f""#);
        assert_eq!(py_str("sep\u{2028}bidi\u{202e}bom\u{feff}"), r#""sep\u2028bidi\u202ebom\ufeff""#);
        assert_eq!(py_str("déjà vu ✓ 🦀"), "\"déjà vu ✓ 🦀\"");
        assert_eq!(py_str(r#"""""#), r#""\"\"\"""#);
    }

    #[test]
    fn py_regex_prefers_raw_strings() {
        assert_eq!(py_regex(r"^[0-9-]{10,17}$"), r#"r"^[0-9-]{10,17}$""#);
        assert_eq!(py_regex(r"^\d+\.\d+$"), r#"r"^\d+\.\d+$""#);
        assert_eq!(py_regex(r#"^"q"$"#), r#""^\"q\"$""#);
        assert_eq!(py_regex(r"ends\"), r#""ends\\""#);
        assert_eq!(py_regex("a\nb"), r#""a\nb""#);
    }

    #[test]
    fn py_doc_never_closes_early() {
        assert_eq!(py_doc("A book."), r#""""A book.""""#);
        assert_eq!(py_doc(r#"Ends with "quote""#), r#""""Ends with "quote\"""""#);
        assert_eq!(py_doc(r#"has """ inside"#), r#""""has \"\"" inside""""#);
        assert_eq!(py_doc(r#""starts"#), r#""""\"starts""""#);
        assert_eq!(py_doc("back\\slash\nline two"), "\"\"\"back\\\\slash\nline two\"\"\"");
    }

    #[test]
    fn case_conversions() {
        assert_eq!(pascal("book_status"), "BookStatus");
        assert_eq!(pascal("book-status"), "BookStatus");
        assert_eq!(pascal("bookStatus"), "BookStatus");
        assert_eq!(snake("BookStatus"), "book_status");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("bookStatus2Go"), "book_status2_go");
        assert_eq!(snake("already_snake"), "already_snake");
    }

    #[test]
    fn format_python_is_ruff_format() {
        let out = format_python("t", "x = {  'a':1 }\nclass A :\n  y : int=1\n", (3, 11)).unwrap();
        assert_eq!(out, "x = {\"a\": 1}\n\n\nclass A:\n    y: int = 1\n");
    }

    #[test]
    fn format_python_reports_the_origin_of_bad_source() {
        let err = format_python("broken.py.j2", "x = 1\ndef (:\n", (3, 11)).unwrap_err();
        assert_eq!(err.origin, "broken.py.j2");
        assert!(err.message.contains("line 2"), "{}", err.message);
    }

    #[test]
    fn every_template_compiles() {
        let env = environment();
        for (name, _) in TEMPLATES {
            env.get_template(name).unwrap();
        }
    }
}
