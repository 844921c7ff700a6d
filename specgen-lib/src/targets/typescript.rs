//! `<shared_package>/types.ts`: TypeScript types of every model, variant class and enum, for a
//! frontend talking to the services.
//!
//! The types describe the JSON of the Pydantic classes ([`super::pydantic`]), keyed by wire
//! name:
//!
//! - an enum is a union of string literals: `export type BookStatus = "wishlist" | "reading";`;
//! - a class is an `export interface`, fields in order; a readonly field is `readonly x: T`; a
//!   field that is not required (optional, defaulted, or in the variant's `optional` list) is
//!   `x?: T`; a nullable one (`optional: true`, `{type: optional}`, or not required without a
//!   default, which Pydantic types as `T | None = None`) is `T | null`;
//! - `int` and `float` are `number`; `string`, `datetime`, `date`, `uuid` and `decimal` are
//!   `string` (Pydantic writes decimals as strings), with a `Format:` line in the doc comment
//!   naming the format; lists are `T[]`, dicts `Record<string, V>` (JSON keys are strings; an
//!   index signature instead if a model is called `Record`); classes and enums by name;
//! - doc comments from the descriptions (`*/` escaped); property names that are not plain
//!   identifiers are quoted.
//!
//! Enums come first, then classes, each in IR order. The file starts with the banner and exists
//! whenever `models.yaml` is an input (only the banner when it declares nothing).

use std::fmt::Write as _;

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Class, Enum, Field, Ir, Primitive, TypeRef};
use crate::load::InputNames;

use super::{banner, format_note, Options, OutputPath, RenderError};

/// The file name in the shared package.
const FILE: &str = "types.ts";

/// Renders `types.ts` when the project has a `models.yaml`.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    if let Some(models_file) = &ir.models_file {
        files.generated(opts.roots.shared_package.join(FILE), types_ts(ir, models_file.as_str()));
    }
    Ok(files)
}

/// The paths [`render`] writes: `types.ts` whenever `models.yaml` is an input.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    match names.models {
        Some(_) => vec![OutputPath { path: opts.roots.shared_package.join(FILE), kind: FileKind::Generated }],
        None => Vec::new(),
    }
}

/// The text of `types.ts`.
fn types_ts(ir: &Ir, models_file: &str) -> String {
    let mut out = banner("//", &[models_file]);
    // Room for the whole file, which is written piece by piece into it.
    let fields: usize = ir.classes.iter().map(|c| c.fields.len()).sum();
    out.reserve(ir.enums.len() * ENUM_BYTES + ir.classes.len() * CLASS_BYTES + fields * FIELD_BYTES);
    let writer = Writer { record: !ir.classes.iter().any(|c| c.name == "Record") };
    for e in &ir.enums {
        out.push('\n');
        writer.enum_(&mut out, e);
    }
    for class in &ir.classes {
        out.push('\n');
        writer.class(&mut out, class);
    }
    out
}

/// What an enum, a class (besides its fields) and a field take in a typical file, rounded up.
const ENUM_BYTES: usize = 128;
const CLASS_BYTES: usize = 96;
const FIELD_BYTES: usize = 48;

struct Writer {
    /// Whether `Record` is the global utility type (no model shadows it).
    record: bool,
}

impl Writer {
    fn enum_(&self, out: &mut String, e: &Enum) {
        doc_comment(out, "", e.description.as_deref(), None);
        out.push_str("export type ");
        out.push_str(&e.name);
        out.push_str(" = ");
        for (i, value) in e.values.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            push_string_literal(out, value);
        }
        out.push_str(";\n");
    }

    fn class(&self, out: &mut String, class: &Class) {
        doc_comment(out, "", class.description.as_deref(), None);
        out.push_str("export interface ");
        out.push_str(&class.name);
        if class.fields.is_empty() {
            // Pydantic forbids extra keys: the empty object, not `{}` (any non-null value).
            out.push_str(" {\n  [key: string]: never;\n}\n");
            return;
        }
        out.push_str(" {\n");
        for field in &class.fields {
            self.field(out, field);
        }
        out.push_str("}\n");
    }

    fn field(&self, out: &mut String, field: &Field) {
        doc_comment(out, "  ", field.description.as_deref(), format_note(&field.ty).as_deref());
        let (ty, optional_type) = match &field.ty {
            TypeRef::Optional(inner) => (inner.as_ref(), true),
            ty => (ty, false),
        };
        let nullable = optional_type || field.nullable || (!field.required && field.default.is_none());
        out.push_str("  ");
        if field.readonly {
            out.push_str("readonly ");
        }
        push_property_name(out, &field.name);
        if !field.required {
            out.push('?');
        }
        out.push_str(": ");
        let start = out.len();
        self.write_type(out, ty);
        if nullable {
            push_null_branch(out, start);
        }
        out.push_str(";\n");
    }

    /// Writes the TypeScript type of `ty`.
    fn write_type(&self, out: &mut String, ty: &TypeRef) {
        match ty {
            TypeRef::Primitive(p) => out.push_str(primitive(*p)),
            TypeRef::List(inner) => {
                let start = out.len();
                self.write_type(out, inner);
                if out[start..].contains(" | ") {
                    out.insert(start, '(');
                    out.push(')');
                }
                out.push_str("[]");
            }
            TypeRef::Dict(_, value) => {
                out.push_str(if self.record { "Record<string, " } else { "{ [key: string]: " });
                self.write_type(out, value);
                out.push_str(if self.record { ">" } else { " }" });
            }
            TypeRef::Optional(inner) => {
                let start = out.len();
                self.write_type(out, inner);
                push_null_branch(out, start);
            }
            TypeRef::Enum(name) | TypeRef::Class(name) => out.push_str(name),
        }
    }
}

/// Appends ` | null` to the type written from `start` on, unless it ends with it already.
fn push_null_branch(out: &mut String, start: usize) {
    if !out[start..].ends_with(" | null") {
        out.push_str(" | null");
    }
}

fn primitive(p: Primitive) -> &'static str {
    match p {
        Primitive::Int | Primitive::Float => "number",
        Primitive::Bool => "boolean",
        Primitive::String | Primitive::Datetime | Primitive::Date | Primitive::Uuid | Primitive::Decimal => "string",
    }
}

/// Writes a `/** … */` comment of `text` (and a `note` paragraph), indented by `indent`;
/// nothing when both are empty. Line breaks of any kind become lines; `*/` cannot end it early.
fn doc_comment(out: &mut String, indent: &str, text: Option<&str>, note: Option<&str>) {
    let text = text.filter(|t| !t.trim().is_empty());
    // Most comments are one line of ASCII text (and maybe a note): written as they are. Text
    // with line breaks, non-ASCII characters (some are line breaks) or `*/` takes the long way.
    let plain = |t: &str| !t.bytes().any(|b| b == b'\n' || b == b'\r' || !b.is_ascii()) && !t.contains("*/");
    match (text.map(str::trim_end), note) {
        (None, None) => {}
        (Some(one), None) | (None, Some(one)) if plain(one) && !one.is_empty() => {
            out.push_str(indent);
            out.push_str("/** ");
            out.push_str(one);
            out.push_str(" */\n");
        }
        (Some(text), Some(note)) if plain(text) && plain(note) && !note.is_empty() => {
            let lines = [indent, "/**\n", indent, " * ", text, "\n", indent, " *\n", indent, " * ", note, "\n"];
            for part in lines.into_iter().chain([indent, " */\n"]) {
                out.push_str(part);
            }
        }
        _ => doc_comment_lines(out, indent, text, note),
    }
}

/// [`doc_comment`] of any text, line by line.
fn doc_comment_lines(out: &mut String, indent: &str, text: Option<&str>, note: Option<&str>) {
    let mut lines: Vec<String> = Vec::new();
    if let Some(text) = text {
        let text = text.replace("\r\n", "\n").replace(['\r', '\u{2028}', '\u{2029}', '\u{85}'], "\n");
        lines.extend(text.trim_end().split('\n').map(|l| l.trim_end().replace("*/", "*\\/")));
    }
    if let Some(note) = note {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(note.to_string());
    }
    match lines.as_slice() {
        [] => {}
        [one] if !one.is_empty() => {
            writeln!(out, "{indent}/** {one} */").unwrap();
        }
        _ => {
            writeln!(out, "{indent}/**").unwrap();
            for line in &lines {
                if line.is_empty() {
                    writeln!(out, "{indent} *").unwrap();
                } else {
                    writeln!(out, "{indent} * {line}").unwrap();
                }
            }
            writeln!(out, "{indent} */").unwrap();
        }
    }
}

/// Writes a property name: as is when it is a plain identifier, else a string literal.
fn push_property_name(out: &mut String, name: &str) {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        out.push_str(name);
    } else {
        push_string_literal(out, name);
    }
}

/// Writes a double-quoted TypeScript string literal (JSON's escaping, plus the two line
/// separators older engines reject).
fn push_string_literal(out: &mut String, s: &str) {
    // Printable ASCII without `"` and `\\` stands as it is.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    let literal = serde_json::to_string(s).expect("strings serialize");
    out.push_str(&literal.replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029"));
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::test_support::example;
    use std::sync::Arc;

    fn field(name: &str, ty: TypeRef) -> Field {
        Field::plain(name, ty)
    }

    fn rendered(ir: &Ir) -> String {
        let files = render(ir, &Options::default()).unwrap();
        String::from_utf8(files.get("shared/shared/generated/types.ts").unwrap().bytes.clone()).unwrap()
    }

    #[test]
    fn bookshelf_types() {
        let project = example();
        let text = rendered(&project.ir);
        assert!(text.starts_with("// Code generated by specgen from shared/spec/models.yaml. DO NOT EDIT.\n\n"));
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
        assert!(text.contains(
            "/** Where the book is in the reader's journey */\nexport type BookStatus = \"wishlist\" | \"reading\" | \"finished\" | \"abandoned\";\n"
        ));
        assert!(text.contains("  /** Format: uuid */\n  readonly id: string;\n"));
        assert!(text.contains("  series: SeriesPosition | null;\n"));
        assert!(text.contains("  subtitle?: string | null;\n"));
        assert!(text.contains("  status?: BookStatus;\n"));
        assert!(text.contains("  tags?: string[];\n"));
        assert!(text.contains("  currently_reading?: Record<string, ReadingProgressRead>;\n"));
        insta::assert_snapshot!("bookshelf_types_ts", text);
    }

    #[test]
    fn awkward_names_types_and_text() {
        let class = |name: &str, fields: Vec<Field>| Class {
            name: name.into(),
            model: name.into(),
            variant: None,
            description: Some("Ends */ early?\r\nSecond\u{2028}line".into()),
            fields: fields.into_iter().map(Arc::new).collect(),
        };
        let mut maybe = field(
            "maybe",
            TypeRef::Optional(Box::new(TypeRef::Optional(Box::new(TypeRef::Primitive(Primitive::Int))))),
        );
        maybe.nullable = true;
        let ir = Ir {
            classes: vec![
                class(
                    "Record",
                    vec![
                        field("with-dash", TypeRef::Primitive(Primitive::String)),
                        field("$ok_1", TypeRef::Primitive(Primitive::Bool)),
                        field("ünï", TypeRef::Primitive(Primitive::Float)),
                        field(
                            "by_day",
                            TypeRef::Dict(
                                Primitive::Date,
                                Box::new(TypeRef::List(Box::new(TypeRef::Optional(Box::new(TypeRef::Primitive(
                                    Primitive::Decimal,
                                )))))),
                            ),
                        ),
                        maybe,
                    ],
                ),
                class("Empty", vec![]),
            ],
            models_file: Some(Utf8PathBuf::from("shared/spec/models.yaml")),
            ..Ir::default()
        };
        let text = rendered(&ir);
        assert!(
            text.contains("/**\n * Ends *\\/ early?\n * Second\n * line\n */\nexport interface Record {\n"),
            "{text}"
        );
        assert!(text.contains("  \"with-dash\": string;\n"));
        assert!(text.contains("  $ok_1: boolean;\n"));
        assert!(text.contains("  \"ünï\": number;\n"));
        assert!(text
            .contains("  /** Format: dict[date, list[decimal]] */\n  by_day: { [key: string]: (string | null)[] };\n"));
        assert!(text.contains("  maybe: number | null;\n"));
        assert!(text.contains("export interface Empty {\n  [key: string]: never;\n}\n"));
    }

    #[test]
    fn outputs_are_the_rendered_paths() {
        let project = example();
        let mut opts = Options::default();
        opts.roots.shared_package = Utf8PathBuf::from("web/src/generated");
        let rendered: Vec<OutputPath> = render(&project.ir, &opts)
            .unwrap()
            .iter()
            .map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind })
            .collect();
        assert_eq!(outputs(&project.names, &opts), rendered);
        assert_eq!(rendered[0].path, "web/src/generated/types.ts");
        assert!(outputs(&InputNames::default(), &opts).is_empty());
        assert!(render(&Ir::default(), &opts).unwrap().is_empty());
    }

    #[test]
    fn empty_models_file_gets_the_banner_only() {
        let ir = Ir { models_file: Some(Utf8PathBuf::from("shared/spec/models.yaml")), ..Ir::default() };
        assert_eq!(rendered(&ir), "// Code generated by specgen from shared/spec/models.yaml. DO NOT EDIT.\n");
    }
}
