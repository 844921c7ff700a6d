//! `<shared project>/rust/src/models.rs`: Rust serde types of every model, variant class and
//! enum, so Rust code in the fleet shares the contract with the Python services.
//!
//! An opt-in target (not in [`super::Target::DEFAULT`]); `specgen-build` renders the same text
//! with [`models_rs`] into a build script's `OUT_DIR`. The types describe the JSON of the
//! Pydantic classes ([`super::pydantic`]), keyed by wire name:
//!
//! - a class is a `pub struct` deriving `Debug, Clone, PartialEq, serde::Serialize,
//!   serde::Deserialize`, with `#[serde(deny_unknown_fields)]` (Pydantic forbids extra keys);
//! - an enum is a `pub enum` (also `Copy, Eq, Hash`) with `#[serde(rename = "…")]` on every
//!   variant; variants are the values in PascalCase (`in_stock` → `InStock`);
//! - `int` is `i64`, `float` `f64`, `bool` `bool`; `string`, `datetime`, `date`, `uuid` and
//!   `decimal` are `String` (what Pydantic sends; no extra crate needed), with a `Format:` line
//!   in the doc comment naming the format; lists are `Vec<T>`, dicts
//!   `std::collections::BTreeMap<K, V>` (`i64` keys for `dict[int, V]`, else `String`);
//! - a field that is not required (optional, defaulted, or in the variant's `optional` list) is
//!   `Option<T>` with `#[serde(default, skip_serializing_if = "Option::is_none")]`: absent
//!   means "the server's default" (or "leave unchanged" in an update); a required nullable
//!   field is `Option<T>` that must be present (`deserialize_with` keeps serde from reading a
//!   missing key as `None`);
//! - a field that is both not required and nullable (`optional: true`, or an `optional` type)
//!   is `Option<Option<T>>`: `None` is absent, `Some(None)` null, `Some(Some(v))` a value.
//!   Pydantic tells them apart (`model_fields_set`, `exclude_unset`, a non-null default), so
//!   one `Option` would turn a null into "absent": the default instead of null, or "leave
//!   unchanged" instead of "clear" in a PATCH. A private `specgen_present` function, written
//!   after the classes when a field needs it, reads a present null as `Some(None)`. (A null
//!   for a field that is only absent-able, which Pydantic accepts as `X | None = None`, still
//!   reads as absent: the spec does not allow null there.)
//! - a class reference that closes a cycle of direct references (not through a list or dict)
//!   is boxed: `Option<Box<Employee>>`;
//! - field names become snake_case identifiers (`r#type` for keywords, `self_` for the four
//!   that cannot be raw), with `#[serde(rename = "…")]` whenever the identifier differs from
//!   the wire name; prelude names a generated type shadows (`Option`, `Vec`, `String`, `Box`)
//!   are written with their full path;
//! - doc comments from the descriptions, line breaks of any kind normalised, code fences
//!   turned into `text` fences and leading indentation dropped, so rustdoc never runs a
//!   description as a doctest.
//!
//! Enums come first, then classes, each in IR order, then `specgen_present` if used. The file
//! has no inner attributes or `use` items, so it can be `include!`d anywhere (once per module).
//! It exists whenever `models.yaml` is an input (only the banner when it declares nothing).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Class, Enum, Field, Ir, Primitive, TypeRef};
use crate::load::InputNames;

use super::{banner, format_note, Options, OutputPath, RenderError};

/// The file name.
pub const FILE: &str = "models.rs";

/// Renders `models.rs` when the project has a `models.yaml`.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    if ir.models_file.is_some() {
        files.generated(path(opts), models_rs(ir));
    }
    Ok(files)
}

/// The paths [`render`] writes: `models.rs` whenever `models.yaml` is an input.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    match names.models {
        Some(_) => vec![OutputPath { path: path(opts), kind: FileKind::Generated }],
        None => Vec::new(),
    }
}

/// `<first component of the shared package>/rust/src/models.rs` (`rust/src/models.rs` if the
/// shared package has no normal component): the `src/` of a Rust crate next to the shared
/// Python project.
pub fn path(opts: &Options) -> Utf8PathBuf {
    let base = match opts.roots.shared_project() {
        Some(dir) => Utf8Path::new(dir).join("rust"),
        None => Utf8PathBuf::from("rust"),
    };
    base.join("src").join(FILE)
}

/// The text of `models.rs`: the banner (naming models.yaml when the IR has one), then every
/// enum and class. Used by `specgen-build` too.
pub fn models_rs(ir: &Ir) -> String {
    let sources: Vec<&str> = ir.models_file.iter().map(|p| p.as_str()).collect();
    let mut out = banner("//", &sources);
    let writer = Writer::new(ir);
    for e in &ir.enums {
        out.push('\n');
        writer.enum_(&mut out, e);
    }
    for class in &ir.classes {
        out.push('\n');
        writer.class(&mut out, class);
    }
    if out.contains(&format!("deserialize_with = \"{PRESENT}\"")) {
        out.push('\n');
        out.push_str(PRESENT_FN);
    }
    out
}

/// The function that reads a present value, `null` included, as `Some`: with
/// `#[serde(default)]` for the absent case, an `Option<Option<T>>` field tells absent (`None`)
/// from null (`Some(None)`). Private, written once after the classes, only when a field uses it.
const PRESENT: &str = "specgen_present";

/// [`PRESENT`]'s definition: full paths, so a generated type named `Option` or `Result` cannot
/// shadow what it means; laid out as rustfmt does.
const PRESENT_FN: &str = "\
/// Reads a field that may be absent or null: any present value, `null` included, is `Some`, so
/// absent (`None`, from `#[serde(default)]`) and null (`Some(None)`) stay apart.
fn specgen_present<'de, D, T>(d: D) -> std::result::Result<std::option::Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(std::option::Option::Some)
}
";

/// The prelude names the file uses, which a generated type of the same name would shadow.
const PRELUDE: [(&str, &str); 4] = [
    ("Option", "std::option::Option"),
    ("Vec", "std::vec::Vec"),
    ("String", "std::string::String"),
    ("Box", "std::boxed::Box"),
];

struct Writer {
    /// Prelude name → how to write it (its full path when a generated type shadows it).
    prelude: BTreeMap<&'static str, &'static str>,
    /// (class, field) pairs whose direct class reference closes a cycle: boxed.
    boxed: BTreeSet<(String, String)>,
}

impl Writer {
    fn new(ir: &Ir) -> Writer {
        let names: BTreeSet<&str> =
            ir.classes.iter().map(|c| c.name.as_str()).chain(ir.enums.iter().map(|e| e.name.as_str())).collect();
        let prelude =
            PRELUDE.iter().map(|&(short, full)| (short, if names.contains(short) { full } else { short })).collect();
        Writer { prelude, boxed: boxed_fields(ir) }
    }

    fn p(&self, name: &str) -> &'static str {
        self.prelude[name]
    }

    fn enum_(&self, out: &mut String, e: &Enum) {
        doc_comment(out, "", e.description.as_deref(), None);
        let ident = type_ident(&e.name);
        if ident != e.name {
            out.push_str("#[allow(non_camel_case_types)]\n");
        }
        out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]\n");
        writeln!(out, "pub enum {ident} {{").unwrap();
        for (value, variant) in e.values.iter().zip(variant_idents(&e.values)) {
            writeln!(out, "    #[serde(rename = {})]", string_literal(value)).unwrap();
            writeln!(out, "    {variant},").unwrap();
        }
        out.push_str("}\n");
    }

    fn class(&self, out: &mut String, class: &Class) {
        doc_comment(out, "", class.description.as_deref(), None);
        let ident = type_ident(&class.name);
        if ident != class.name {
            out.push_str("#[allow(non_camel_case_types)]\n");
        }
        out.push_str("#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]\n");
        out.push_str("#[serde(deny_unknown_fields)]\n");
        if class.fields.is_empty() {
            writeln!(out, "pub struct {ident} {{}}").unwrap();
            return;
        }
        writeln!(out, "pub struct {ident} {{").unwrap();
        let idents = field_idents(class.fields.iter().map(|f| f.name.as_str()));
        for (field, ident) in class.fields.iter().zip(idents) {
            self.field(out, class, field, &ident);
        }
        out.push_str("}\n");
    }

    fn field(&self, out: &mut String, class: &Class, field: &Field, ident: &str) {
        doc_comment(out, "    ", field.description.as_deref(), format_note(&field.ty).as_deref());
        let (ty, optional_type) = match &field.ty {
            TypeRef::Optional(inner) => (strip_optional(inner), true),
            ty => (ty, false),
        };
        let nullable = optional_type || field.nullable || (!field.required && field.default.is_none());
        // Absent and null are both valid and mean different things (the default, or "leave
        // unchanged" in an update, versus null): three states.
        let absent_or_null = !field.required && (optional_type || field.nullable);
        let boxed = self.boxed.contains(&(class.name.clone(), field.name.clone()));
        let mut rust = self.rust_type(ty, boxed);
        if nullable || !field.required {
            rust = RustType::Generic(self.p("Option").to_string(), vec![rust]);
        }
        if absent_or_null {
            rust = RustType::Generic(self.p("Option").to_string(), vec![rust]);
        }
        if ident != field.name {
            writeln!(out, "    #[serde(rename = {})]", string_literal(&field.name)).unwrap();
        }
        if absent_or_null {
            writeln!(out, "    #[serde(default, skip_serializing_if = \"{}::is_none\")]", self.p("Option")).unwrap();
            writeln!(out, "    #[serde(deserialize_with = \"{PRESENT}\")]").unwrap();
        } else if !field.required {
            writeln!(out, "    #[serde(default, skip_serializing_if = \"{}::is_none\")]", self.p("Option")).unwrap();
        } else if nullable {
            // Present but possibly null: without `deserialize_with`, serde reads a missing key
            // of an `Option` field as `None`.
            out.push_str("    #[serde(deserialize_with = \"serde::Deserialize::deserialize\")]\n");
        }
        out.push_str(&field_line(ident, &rust));
    }

    /// The Rust type of `ty`; `boxed` boxes a class reference at the top (through `Optional`).
    fn rust_type(&self, ty: &TypeRef, boxed: bool) -> RustType {
        let generic = |name: &str, args: Vec<RustType>| RustType::Generic(name.to_string(), args);
        match ty {
            TypeRef::Primitive(p) => RustType::Leaf(primitive(*p, self.p("String")).to_string()),
            TypeRef::List(inner) => generic(self.p("Vec"), vec![self.rust_type(inner, false)]),
            TypeRef::Dict(key, value) => {
                let key = if *key == Primitive::Int { "i64" } else { self.p("String") };
                generic(
                    "std::collections::BTreeMap",
                    vec![RustType::Leaf(key.to_string()), self.rust_type(value, false)],
                )
            }
            TypeRef::Optional(inner) => generic(self.p("Option"), vec![self.rust_type(strip_optional(inner), boxed)]),
            TypeRef::Enum(name) => RustType::Leaf(type_ident(name)),
            TypeRef::Class(name) if boxed => generic(self.p("Box"), vec![RustType::Leaf(type_ident(name))]),
            TypeRef::Class(name) => RustType::Leaf(type_ident(name)),
        }
    }
}

/// rustfmt's default line width: the file is formatted as `rustfmt` would with no
/// configuration, so a consumer's `cargo fmt --check` never trips over it.
const MAX_WIDTH: usize = 100;

/// A Rust type as a tree, so a long one can be broken over lines the way rustfmt does.
#[derive(Debug, Clone, PartialEq)]
enum RustType {
    /// A name without generic arguments.
    Leaf(String),
    /// `Name<args>`.
    Generic(String, Vec<RustType>),
}

impl RustType {
    /// The type on one line.
    fn one_line(&self) -> String {
        match self {
            RustType::Leaf(name) => name.clone(),
            RustType::Generic(name, args) => {
                let args: Vec<String> = args.iter().map(RustType::one_line).collect();
                format!("{name}<{}>", args.join(", "))
            }
        }
    }

    /// The type starting at column `start`, with `suffix` characters after it on its last
    /// line, continuation lines indented by `indent`: on one line when it fits in
    /// [`MAX_WIDTH`], else `Name<` with one argument per line (each formatted the same way,
    /// followed by a comma) and `>` back at `indent`, like rustfmt's vertical lists.
    fn format(&self, start: usize, indent: usize, suffix: usize) -> String {
        let line = self.one_line();
        let RustType::Generic(name, args) = self else { return line };
        if start + line.chars().count() + suffix <= MAX_WIDTH {
            return line;
        }
        let inner = indent + 4;
        let mut out = format!("{name}<\n");
        for arg in args {
            writeln!(out, "{:inner$}{},", "", arg.format(inner, inner, 1)).unwrap();
        }
        write!(out, "{:indent$}>", "").unwrap();
        out
    }
}

/// `    pub ident: Type,` as rustfmt lays it out: on one line if it fits; else the type alone on
/// the next line, indented, if it fits there; else broken after `<` where the line is too
/// long (or on the next line when that saves more than one line: rustfmt's rule for the right
/// side of a `:`).
fn field_line(ident: &str, ty: &RustType) -> String {
    let head = format!("    pub {ident}:");
    let same = ty.format(head.chars().count() + 1, 4, 1);
    // `head`, a space, the type, the comma.
    let width = head.chars().count() + same.chars().count() + 2;
    if !same.contains('\n') && width <= MAX_WIDTH {
        return format!("{head} {same},\n");
    }
    let next = ty.format(8, 8, 1);
    let lines = |s: &str| s.matches('\n').count();
    if !next.contains('\n') || lines(&same) > lines(&next) + 1 {
        format!("{head}\n        {next},\n")
    } else {
        format!("{head} {same},\n")
    }
}

/// `Optional(Optional(T))` is just `Option<T>`.
fn strip_optional(mut ty: &TypeRef) -> &TypeRef {
    while let TypeRef::Optional(inner) = ty {
        ty = inner;
    }
    ty
}

fn primitive(p: Primitive, string: &'static str) -> &'static str {
    match p {
        Primitive::Int => "i64",
        Primitive::Float => "f64",
        Primitive::Bool => "bool",
        Primitive::String | Primitive::Datetime | Primitive::Date | Primitive::Uuid | Primitive::Decimal => string,
    }
}

/// The class a field refers to directly (itself, or through `Optional`): such a reference is
/// stored inline, unlike one inside a `Vec` or a map.
fn direct_class(ty: &TypeRef) -> Option<&str> {
    match strip_optional(ty) {
        TypeRef::Class(name) => Some(name),
        _ => None,
    }
}

/// The (class, field) pairs to box: a direct reference from class A to class B where B reaches
/// A again through direct references (a struct containing itself has no size). Boxing every
/// such edge is more than the minimum, but a function of the IR alone, and cheap.
fn boxed_fields(ir: &Ir) -> BTreeSet<(String, String)> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for class in &ir.classes {
        let targets = edges.entry(class.name.as_str()).or_default();
        targets.extend(class.fields.iter().filter_map(|f| direct_class(&f.ty)));
    }
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            if node == to {
                return true;
            }
            if seen.insert(node) {
                stack.extend(edges.get(node).into_iter().flatten().copied());
            }
        }
        false
    };
    let mut boxed = BTreeSet::new();
    for class in &ir.classes {
        for field in &class.fields {
            if let Some(target) = direct_class(&field.ty) {
                if reaches(target, &class.name) {
                    boxed.insert((class.name.clone(), field.name.clone()));
                }
            }
        }
    }
    boxed
}

/// Rust's strict and reserved keywords (2021 edition, plus `gen` reserved in 2024).
const KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super",
    "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["Self", "crate", "self", "super"];

/// A type name as a Rust identifier: class and enum names are PascalCase already; only `Self`
/// is not a valid type name.
fn type_ident(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

/// An identifier for `name` that is not a keyword: `r#kw`, or `kw_` when it cannot be raw.
fn unkeyword(name: String) -> String {
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// snake_case field identifiers, unique within the struct (`_2`, `_3`… on a clash).
fn field_idents<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    unique(names.map(|n| unkeyword(snake_case(n))).collect())
}

/// PascalCase variant identifiers, unique within the enum.
fn variant_idents(values: &[String]) -> Vec<String> {
    unique(values.iter().map(|v| type_ident(&pascal_case(v))).collect())
}

/// Makes each identifier unique by appending `_2`, `_3`, … (`2`, `3`, … to a PascalCase one)
/// to the later of two equal ones, never taking an identifier another name gets as is.
fn unique(idents: Vec<String>) -> Vec<String> {
    let originals: BTreeSet<String> = idents.iter().cloned().collect();
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    for ident in idents {
        let sep = if ident.starts_with(|c: char| c.is_ascii_uppercase()) || ident.ends_with('_') { "" } else { "_" };
        let mut candidate = ident.clone();
        let mut n = 2;
        while used.contains(&candidate) || (candidate != ident && originals.contains(&candidate)) {
            candidate = format!("{ident}{sep}{n}");
            n += 1;
        }
        used.insert(candidate.clone());
        out.push(candidate);
    }
    out
}

/// `fooBar` → `foo_bar`, `HTTPCode` → `http_code`; names that are snake_case stay as they are.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(|p| p.is_ascii_uppercase()) && next.is_some_and(|n| n.is_ascii_lowercase()));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `in_stock` → `InStock`, `HTTP_OK` → `HttpOk`, `mid` → `Mid`, `v2` → `V2`.
fn pascal_case(value: &str) -> String {
    let mut out = String::new();
    for word in snake_case(value).split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// Writes `///` lines of `text` (and a `note` paragraph), indented by `indent`; nothing when
/// both are empty. Line breaks of any kind become lines (a bare CR is an error in a Rust doc
/// comment); other control characters are escaped; Markdown code fences become `text` fences
/// and leading indentation is dropped outside them, so no description becomes a doctest.
fn doc_comment(out: &mut String, indent: &str, text: Option<&str>, note: Option<&str>) {
    let text = text.filter(|t| !t.trim().is_empty());
    let mut lines: Vec<String> = Vec::new();
    if let Some(text) = text {
        let text = text.replace("\r\n", "\n").replace(['\r', '\u{2028}', '\u{2029}', '\u{85}'], "\n");
        let mut fence: Option<&str> = None;
        for line in text.trim_matches('\n').split('\n') {
            let line = escape_controls(line.trim_end());
            let trimmed = line.trim_start();
            let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
            match (fence, marker) {
                (None, Some(m)) => {
                    fence = Some(m);
                    lines.push(format!("{m}text"));
                }
                (Some(open), Some(m)) if open == m && trimmed.trim_start_matches(m).is_empty() => {
                    fence = None;
                    lines.push(m.to_string());
                }
                (Some(_), _) => lines.push(line.clone()),
                (None, None) => lines.push(trimmed.to_string()),
            }
        }
        if let Some(open) = fence {
            lines.push(open.to_string());
        }
    }
    if let Some(note) = note {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(note.to_string());
    }
    for line in &lines {
        if line.is_empty() {
            writeln!(out, "{indent}///").unwrap();
        } else {
            writeln!(out, "{indent}/// {line}").unwrap();
        }
    }
}

/// Control characters other than tab as `\u{…}` text: the comment stays readable and the
/// file plain text.
fn escape_controls(line: &str) -> String {
    let mut out = String::new();
    for c in line.chars() {
        if c.is_control() && c != '\t' {
            write!(out, "\\u{{{:x}}}", c as u32).unwrap();
        } else {
            out.push(c);
        }
    }
    out
}

/// A Rust string literal: `"…"` with `\\`, `\"` and control characters escaped.
fn string_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => write!(out, "\\u{{{:x}}}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::load::Input;
    use crate::targets::Target;
    use crate::test_support::load;
    use crate::Project;
    use std::sync::Arc;

    fn rust_only() -> Options {
        Options { targets: [Target::Rust].into_iter().collect(), ..Options::default() }
    }

    #[test]
    fn bookshelf_snapshot() {
        let project = load("../examples/bookshelf");
        let text = models_rs(&project.ir);
        assert!(text.starts_with("// Code generated by specgen from shared/spec/models.yaml. DO NOT EDIT.\n\n"));
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
        assert!(text.contains("    /// Format: uuid\n    pub id: String,\n"), "{text}");
        assert!(text.contains(
            "    #[serde(default, skip_serializing_if = \"Option::is_none\")]\n    #[serde(deserialize_with = \"specgen_present\")]\n    pub subtitle: Option<Option<String>>,\n"
        ), "{text}");
        assert!(text.ends_with(PRESENT_FN));
        assert!(text.contains(
            "    #[serde(deserialize_with = \"serde::Deserialize::deserialize\")]\n    pub series: Option<SeriesPosition>,\n"
        ));
        assert!(text.contains("    #[serde(rename = \"wishlist\")]\n    Wishlist,\n"));
        insta::assert_snapshot!("bookshelf_models_rs", text);
    }

    #[test]
    fn fixture_snapshots() {
        for name in ["recursive", "keywords", "all-types", "hostile-strings"] {
            let project = load(&format!("tests/fixtures/good/{name}"));
            insta::assert_snapshot!(format!("{name}_models_rs"), models_rs(&project.ir));
        }
    }

    #[test]
    fn recursive_references_are_boxed_only_in_cycles() {
        let text = models_rs(&load("tests/fixtures/good/recursive").ir);
        assert!(text.contains("pub head: Option<Option<Box<Employee>>>,"), "{text}");
        assert!(text.contains("pub department: Option<Option<Box<Department>>>,"));
        // `default: null` on an optional type: required and nullable, as in schemas.py.
        assert!(text.contains("    #[serde(deserialize_with = \"serde::Deserialize::deserialize\")]\n    pub mentor: Option<Box<Employee>>,"));
        assert!(text.contains("pub staff: Option<Vec<Employee>>,"));
        assert!(text.contains("pub children: Option<Vec<Category>>,"));
        // Category -> CategorySummary is direct, but CategorySummary has no way back.
        assert!(text.contains("pub parent: Option<CategorySummary>,"));
    }

    #[test]
    fn keywords_are_escaped_and_renamed() {
        let text = models_rs(&load("tests/fixtures/good/keywords").ir);
        assert!(text.contains("    #[serde(rename = \"type\")]\n    pub r#type: ImportType,\n"), "{text}");
        assert!(text.contains("    #[serde(rename = \"self\")]\n"));
        assert!(text.contains("    pub self_: Option<Option<String>>,\n"));
        assert!(text.contains("    #[serde(rename = \"None\")]\n    None,\n"));
        assert!(text.contains("    #[serde(rename = \"import\")]\n    Import,\n"));
    }

    #[test]
    fn identifiers() {
        assert_eq!(snake_case("fooBar"), "foo_bar");
        assert_eq!(snake_case("HTTPCode"), "http_code");
        assert_eq!(snake_case("already_snake_2"), "already_snake_2");
        assert_eq!(pascal_case("in_stock"), "InStock");
        assert_eq!(pascal_case("HTTP_OK"), "HttpOk");
        assert_eq!(pascal_case("self"), "Self");
        assert_eq!(type_ident(&pascal_case("self")), "Self_");
        assert_eq!(variant_idents(&["a_b".into(), "aB".into(), "a_b2".into()]), ["AB", "AB3", "AB2"]);
        assert_eq!(
            field_idents(["fooBar", "foo_bar", "type", "crate"].into_iter()),
            ["foo_bar", "foo_bar_2", "r#type", "crate_"]
        );
    }

    #[test]
    fn shadowed_prelude_names_and_hostile_docs() {
        let class = |name: &str, fields: Vec<Field>| Class {
            name: name.into(),
            model: name.into(),
            variant: None,
            description: Some("Line\r\nnext\u{2028}LS\u{1b}[0m\n    indented\n```\nfn main() {}\n```".into()),
            fields: fields.into_iter().map(Arc::new).collect(),
        };
        let mut opt = Field::plain("v", TypeRef::List(Box::new(TypeRef::Primitive(Primitive::String))));
        opt.required = false;
        let mut null = Field::plain("n", TypeRef::Primitive(Primitive::Int));
        (null.required, null.nullable) = (false, true);
        let ir = Ir {
            classes: vec![
                class("Option", vec![opt, null]),
                class("Self", vec![]),
                class("String", vec![]),
                class("Result", vec![]),
            ],
            models_file: Some(Utf8PathBuf::from("shared/spec/models.yaml")),
            ..Ir::default()
        };
        let text = models_rs(&ir);
        assert!(text.contains("#[serde(default, skip_serializing_if = \"std::option::Option::is_none\")]\n"), "{text}");
        assert!(text.contains("pub v: std::option::Option<Vec<std::string::String>>,"));
        assert!(text.contains("pub n: std::option::Option<std::option::Option<i64>>,"));
        assert!(text.ends_with(PRESENT_FN), "{text}");
        assert!(text
            .contains("/// Line\n/// next\n/// LS\\u{1b}[0m\n/// indented\n/// ```text\n/// fn main() {}\n/// ```\n"));
        assert!(text.contains("#[allow(non_camel_case_types)]\n#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]\n#[serde(deny_unknown_fields)]\npub struct Self_ {}\n"));
    }

    #[test]
    fn outputs_are_the_rendered_paths_on_every_good_fixture() {
        let good = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
        let mut dirs: Vec<Utf8PathBuf> =
            good.read_dir_utf8().unwrap().map(|e| e.unwrap().path().to_path_buf()).collect();
        dirs.push(Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bookshelf"));
        for dir in dirs {
            let project = Project::load(&Input::Root(dir.clone())).unwrap();
            let mut opts = project.options.clone();
            opts.targets = [Target::Rust].into_iter().collect();
            let rendered: Vec<OutputPath> = render(&project.ir, &opts)
                .unwrap()
                .iter()
                .map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind })
                .collect();
            assert_eq!(outputs(&project.names, &opts), rendered, "{dir}");
            assert_eq!(crate::targets::outputs(&project.names, &opts), rendered, "{dir}");
        }
    }

    /// A class whose field types only fit when broken over lines, in every way rustfmt does it.
    fn long_types() -> Ir {
        let string = || TypeRef::Primitive(Primitive::String);
        let dict = |v: TypeRef| TypeRef::Dict(Primitive::String, Box::new(v));
        let list = |v: TypeRef| TypeRef::List(Box::new(v));
        let mut fields = Vec::new();
        let mut ty = string();
        for depth in 0..7 {
            ty = if depth % 2 == 0 { dict(ty) } else { list(ty) };
            for name in ["x", "a_rather_long_field_name_to_push_the_type_over_the_edge", &"n".repeat(60)] {
                let mut field = Field::plain(format!("{name}_{depth}"), ty.clone());
                field.required = depth % 3 != 0;
                fields.push(field);
            }
        }
        let class = |name: &str| Class {
            name: name.into(),
            model: name.into(),
            variant: None,
            description: None,
            fields: fields.iter().cloned().map(Arc::new).collect(),
        };
        Ir {
            classes: vec![class("Long"), class("String")],
            models_file: Some(Utf8PathBuf::from("shared/spec/models.yaml")),
            ..Ir::default()
        }
    }

    /// Every fixture's file, and [`long_types`], is exactly what `rustfmt` (default settings)
    /// makes of it. Skipped with a note when rustfmt is not installed.
    #[test]
    fn output_is_rustfmt_clean() {
        let good = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
        let mut texts: Vec<(String, String)> = vec![
            ("long_types".into(), models_rs(&long_types())),
            ("bookshelf".into(), models_rs(&load("../examples/bookshelf").ir)),
        ];
        for entry in good.read_dir_utf8().unwrap() {
            let dir = entry.unwrap().path().to_path_buf();
            let project = Project::load(&Input::Root(dir.clone())).unwrap();
            texts.push((dir.file_name().unwrap().replace('-', "_"), models_rs(&project.ir)));
        }
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("rustfmt.toml"), "").unwrap();
        let mut files = Vec::new();
        for (name, text) in &texts {
            let file = tmp.path().join(format!("{name}.rs"));
            std::fs::write(&file, text).unwrap();
            files.push(file);
        }
        let run = std::process::Command::new("rustfmt")
            .args(["--check", "--edition", "2021", "--config-path"])
            .arg(tmp.path().join("rustfmt.toml"))
            .args(&files)
            .output();
        match run {
            Err(e) => eprintln!("skipping the rustfmt check: cannot run rustfmt: {e}"),
            Ok(out) => assert!(
                out.status.success(),
                "generated Rust is not rustfmt-clean:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    #[test]
    fn path_follows_the_shared_project() {
        let mut opts = rust_only();
        assert_eq!(path(&opts), "shared/rust/src/models.rs");
        opts.roots.shared_package = Utf8PathBuf::from("lib/contracts/generated");
        assert_eq!(path(&opts), "lib/rust/src/models.rs");
        assert!(outputs(&InputNames::default(), &opts).is_empty());
        assert!(render(&Ir::default(), &opts).unwrap().is_empty());
    }

    #[test]
    fn empty_models_file_gets_the_banner_only() {
        let ir = Ir { models_file: Some(Utf8PathBuf::from("shared/spec/models.yaml")), ..Ir::default() };
        assert_eq!(models_rs(&ir), "// Code generated by specgen from shared/spec/models.yaml. DO NOT EDIT.\n");
        assert_eq!(models_rs(&Ir::default()), "// Code generated by specgen. DO NOT EDIT.\n");
    }
}
