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

struct Writer {
    /// Whether `Record` is the global utility type (no model shadows it).
    record: bool,
}

impl Writer {
    fn enum_(&self, out: &mut String, e: &Enum) {
        doc_comment(out, "", e.description.as_deref(), None);
        let values: Vec<String> = e.values.iter().map(|v| string_literal(v)).collect();
        writeln!(out, "export type {} = {};", e.name, values.join(" | ")).unwrap();
    }

    fn class(&self, out: &mut String, class: &Class) {
        doc_comment(out, "", class.description.as_deref(), None);
        if class.fields.is_empty() {
            // Pydantic forbids extra keys: the empty object, not `{}` (any non-null value).
            writeln!(out, "export interface {} {{\n  [key: string]: never;\n}}", class.name).unwrap();
            return;
        }
        writeln!(out, "export interface {} {{", class.name).unwrap();
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
        let mut ts = self.ts_type(ty);
        if nullable && !ts.ends_with(" | null") {
            ts.push_str(" | null");
        }
        let readonly = if field.readonly { "readonly " } else { "" };
        let optional = if field.required { "" } else { "?" };
        writeln!(out, "  {readonly}{}{optional}: {ts};", property_name(&field.name)).unwrap();
    }

    /// The TypeScript type of `ty`.
    fn ts_type(&self, ty: &TypeRef) -> String {
        match ty {
            TypeRef::Primitive(p) => primitive(*p).to_string(),
            TypeRef::List(inner) => {
                let inner = self.ts_type(inner);
                if inner.contains(" | ") {
                    format!("({inner})[]")
                } else {
                    format!("{inner}[]")
                }
            }
            TypeRef::Dict(_, value) => {
                let value = self.ts_type(value);
                if self.record {
                    format!("Record<string, {value}>")
                } else {
                    format!("{{ [key: string]: {value} }}")
                }
            }
            TypeRef::Optional(inner) => {
                let inner = self.ts_type(inner);
                if inner.ends_with(" | null") {
                    inner
                } else {
                    format!("{inner} | null")
                }
            }
            TypeRef::Enum(name) | TypeRef::Class(name) => name.clone(),
        }
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

/// A property name: as is when it is a plain identifier, else a string literal.
fn property_name(name: &str) -> String {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        name.to_string()
    } else {
        string_literal(name)
    }
}

/// A double-quoted TypeScript string literal (JSON's escaping, plus the two line separators
/// older engines reject).
fn string_literal(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029")
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;
    use crate::test_support::example;

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
            fields,
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
