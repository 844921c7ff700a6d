//! `schemas.py`: Pydantic models, variant classes and enums, plus the package `__init__.py`.
//!
//! Lowers the IR's classes and enums to ready-made Python fragments (annotations, defaults,
//! config, import lines), renders `templates/schemas.py.j2` and formats the result with ruff's
//! formatter. What this module owns, and why:
//!
//! - **Names.** A field keeps its spec name as the attribute when that is safe; otherwise the
//!   attribute is escaped ([`python::py_ident`], plus every name the class body refers to:
//!   class and enum names, imported names, the `datetime` module) and `Field(alias=...)` keeps
//!   the wire name. Such classes get `validate_by_name=True, serialize_by_alias=True`, so
//!   `Model(class_=...)` works and every dump uses the wire names (Pydantic >= 2.11).
//! - **Imports.** Only what is used. An imported name that a class or enum shares
//!   (a model called `Field`) switches that module to a qualified import (`pydantic.Field`).
//! - **Optionality.** `nullable` and `{type: optional}` are `T | None`; a field that is not
//!   required and has no default is `T | None = None` (a variant's `optional` list: "may be
//!   absent"; Pydantic has no stable "absent but not null" type).
//! - **Defaults.** Python literals typed by the field (`Decimal("1.5")`, `UUID("...")`, enum
//!   members, `datetime.date.fromisoformat("...")`); list and dict literals are safe because
//!   Pydantic copies mutable defaults per instance; defaults containing model instances are built
//!   lazily with `default_factory=lambda: Model.model_validate({...})`.
//! - **Forward references.** `from __future__ import annotations` only when a class refers to
//!   itself or a later class, and `Model.model_rebuild()` at the end for each class that can reach
//!   a later class (so every model is complete once the module is imported).
//! - **Lint.** The file is ruff-formatted; a file with lines longer than 88 columns (long
//!   descriptions cannot be wrapped without changing them) carries `# ruff: noqa: E501, RUF100`.
//!
//! Paths depend only on input names: both files exist whenever `models.yaml` is an input, even if
//! it declares no models (the module then holds only its banner), so build systems can declare
//! them up front.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{context, Value};

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Class, Constraints, Field, Ir, Number, Primitive, TypeRef, Value as JsonValue};
use crate::load::InputNames;

use super::python::{
    escape_ident, format_python, is_keyword, is_reserved_attribute, py_enum_member, py_regex, py_str, render_template,
    sanitize_ident, PROTECTED_PREFIXES, SHADOWED_BUILTINS,
};
use super::{banner, Options, OutputPath, RenderError};

/// The template of `schemas.py`.
const TEMPLATE: &str = "schemas.py.j2";

/// ruff's default line length: longer lines get the file-level E501 exemption.
const LINE_LENGTH: usize = 88;

/// The file-level exemption for long lines: E501 is not in ruff's default rules, but projects
/// that select `E` enable it, and spec text can be arbitrarily long. `RUF100` is exempted with it
/// because ruff's defaults report the E501 exemption as unused where E501 is not selected.
const NOQA_LONG_LINES: &str = "# ruff: noqa: E501, RUF100";

/// Renders `<shared_package>/schemas.py` and `<shared_package>/__init__.py` when the project has a
/// `models.yaml`; nothing otherwise.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let mut files = FileSet::new();
    let Some(models_file) = &ir.models_file else {
        return Ok(files);
    };
    let banner = banner("#", &[models_file.as_str()]);
    let package = &opts.roots.shared_package;
    files.generated(package.join("__init__.py"), banner.clone());
    files.generated(package.join("schemas.py"), render_schemas(ir, &banner)?);
    Ok(files)
}

/// The paths [`render`] writes: both files whenever `models.yaml` is an input.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    if names.models.is_none() {
        return Vec::new();
    }
    let package = &opts.roots.shared_package;
    ["__init__.py", "schemas.py"]
        .into_iter()
        .map(|file| OutputPath { path: package.join(file), kind: FileKind::Generated })
        .collect()
}

/// The text of `schemas.py`.
fn render_schemas(ir: &Ir, banner: &str) -> Result<String, RenderError> {
    let mut lowering = Lowering::new(ir)?;
    let enums: Vec<Value> = ir.enums.iter().map(|e| lowering.enum_view(e)).collect();
    let mut classes = Vec::with_capacity(ir.classes.len());
    for class in &ir.classes {
        classes.push(lowering.class_view(class)?);
    }
    let (future_annotations, rebuild) = forward_references(ir, &lowering.class_index);
    let enum_base = if ir.enums.is_empty() {
        String::new()
    } else if ir.python_version >= (3, 11) {
        lowering.symbol(Symbol::StrEnum)
    } else {
        format!("str, {}", lowering.symbol(Symbol::Enum))
    };
    let (base_model, config_dict) = if ir.classes.is_empty() {
        (String::new(), String::new())
    } else {
        (lowering.symbol(Symbol::BaseModel), lowering.symbol(Symbol::ConfigDict))
    };
    let ctx = context! {
        banner => banner.trim_end(),
        future_annotations => future_annotations,
        imports => lowering.import_lines(),
        enum_base => enum_base,
        base_model => base_model,
        config_dict => config_dict,
        enums => enums,
        classes => classes,
        rebuild => rebuild,
    };
    let source = render_template(TEMPLATE, ctx)?;
    let formatted = format_python(TEMPLATE, &source, ir.python_version)?;
    Ok(exempt_long_lines(formatted))
}

/// Adds [`NOQA_LONG_LINES`] under the banner when a line is longer than ruff's limit. Bytes are
/// counted, an upper bound of ruff's display width, so the exemption is never missing.
fn exempt_long_lines(formatted: String) -> String {
    if !formatted.lines().any(|line| line.len() > LINE_LENGTH) {
        return formatted;
    }
    match formatted.split_once('\n') {
        Some((first, rest)) => format!("{first}\n{NOQA_LONG_LINES}\n{rest}"),
        None => format!("{formatted}\n{NOQA_LONG_LINES}\n"),
    }
}

/// Whether `from __future__ import annotations` is needed (a class refers to itself or to a
/// later class), and the classes to rebuild at the end of the module, in IR order: those from
/// which a later class is reachable, because Pydantic could not complete them when they were
/// defined.
fn forward_references(ir: &Ir, index: &BTreeMap<&str, usize>) -> (bool, Vec<String>) {
    let edges: Vec<Vec<usize>> = ir
        .classes
        .iter()
        .map(|class| {
            let mut refs = BTreeSet::new();
            for field in &class.fields {
                collect_class_refs(&field.ty, index, &mut refs);
            }
            refs.into_iter().collect()
        })
        .collect();
    let future = edges.iter().enumerate().any(|(i, refs)| refs.iter().any(|&j| j >= i));
    // i needs a rebuild iff some j > i is reachable from i. Walk the reversed graph from each j,
    // largest first; a node reached from j with a smaller index needs a rebuild. A node already
    // visited from a larger j' was settled against j' > j, so each node is visited once.
    let mut reverse = vec![Vec::new(); edges.len()];
    for (i, refs) in edges.iter().enumerate() {
        for &j in refs {
            reverse[j].push(i);
        }
    }
    let mut visited = vec![false; edges.len()];
    let mut needs = vec![false; edges.len()];
    for start in (0..edges.len()).rev() {
        if visited[start] {
            continue;
        }
        visited[start] = true;
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for &pred in &reverse[node] {
                if !visited[pred] {
                    visited[pred] = true;
                    needs[pred] = pred < start;
                    stack.push(pred);
                }
            }
        }
    }
    let rebuild = ir.classes.iter().zip(needs).filter(|(_, n)| *n).map(|(c, _)| c.name.clone()).collect();
    (future, rebuild)
}

fn collect_class_refs(ty: &TypeRef, index: &BTreeMap<&str, usize>, out: &mut BTreeSet<usize>) {
    match ty {
        TypeRef::Class(name) => {
            if let Some(&i) = index.get(name.as_str()) {
                out.insert(i);
            }
        }
        TypeRef::List(inner) | TypeRef::Optional(inner) | TypeRef::Dict(_, inner) => {
            collect_class_refs(inner, index, out)
        }
        TypeRef::Primitive(_) | TypeRef::Enum(_) => {}
    }
}

/// A name `schemas.py` may import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Symbol {
    Annotated,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Decimal,
    Enum,
    Field,
    StrEnum,
    Uuid,
}

impl Symbol {
    const ALL: [Symbol; 9] = [
        Symbol::Annotated,
        Symbol::AwareDatetime,
        Symbol::BaseModel,
        Symbol::ConfigDict,
        Symbol::Decimal,
        Symbol::Enum,
        Symbol::Field,
        Symbol::StrEnum,
        Symbol::Uuid,
    ];

    fn name(self) -> &'static str {
        match self {
            Symbol::Annotated => "Annotated",
            Symbol::AwareDatetime => "AwareDatetime",
            Symbol::BaseModel => "BaseModel",
            Symbol::ConfigDict => "ConfigDict",
            Symbol::Decimal => "Decimal",
            Symbol::Enum => "Enum",
            Symbol::Field => "Field",
            Symbol::StrEnum => "StrEnum",
            Symbol::Uuid => "UUID",
        }
    }

    fn module(self) -> &'static str {
        match self {
            Symbol::Annotated => "typing",
            Symbol::AwareDatetime | Symbol::BaseModel | Symbol::ConfigDict | Symbol::Field => "pydantic",
            Symbol::Decimal => "decimal",
            Symbol::Enum | Symbol::StrEnum => "enum",
            Symbol::Uuid => "uuid",
        }
    }
}

/// The module imported whole for `datetime.date` and the ISO-format constructors. Always
/// qualified: `from datetime import date` would make a field called `date` unusable.
const DATETIME: &str = "datetime";

/// Every module `schemas.py` may import (a class with one of these names would shadow it).
const MODULES: &[&str] = &["datetime", "decimal", "enum", "pydantic", "typing", "uuid"];

/// Third-party modules (the rest are the standard library); decides the isort section.
const THIRD_PARTY: &[&str] = &["pydantic"];

/// The state of one lowering: which names are imported and how, enum members, class positions.
struct Lowering<'a> {
    /// Modules imported whole (`import pydantic`) because one of their names is also the name of
    /// a class or enum.
    qualified: BTreeSet<&'static str>,
    /// Symbols used so far.
    used: BTreeSet<Symbol>,
    /// Whether the `datetime` module is used.
    uses_datetime: bool,
    /// Enum name → value → member attribute.
    members: BTreeMap<&'a str, BTreeMap<&'a str, String>>,
    /// Class name → position in the module.
    class_index: BTreeMap<&'a str, usize>,
    /// Names a class body refers to, which no field attribute may take.
    reserved: BTreeSet<String>,
}

impl<'a> Lowering<'a> {
    fn new(ir: &'a Ir) -> Result<Lowering<'a>, RenderError> {
        let mut top = BTreeSet::new();
        let top_names = ir.classes.iter().map(|c| c.name.as_str()).chain(ir.enums.iter().map(|e| e.name.as_str()));
        for name in top_names {
            // Validation guarantees PascalCase, unique names; guard anyway so a bug there can
            // never produce a module that does not import.
            if sanitize_ident(name) != name
                || is_keyword(name)
                || SHADOWED_BUILTINS.contains(&name)
                || MODULES.contains(&name)
            {
                return Err(bug(format!("`{name}` is not usable as a Python class name")));
            }
            if !top.insert(name) {
                return Err(bug(format!("two classes or enums are called `{name}`")));
            }
        }
        let qualified: BTreeSet<&'static str> =
            Symbol::ALL.iter().filter(|s| top.contains(s.name())).map(|s| s.module()).collect();
        let mut reserved: BTreeSet<String> = top.iter().map(|n| n.to_string()).collect();
        reserved.extend(Symbol::ALL.iter().map(|s| s.name().to_string()));
        reserved.extend(qualified.iter().map(|m| m.to_string()));
        reserved.insert(DATETIME.to_string());
        let members = ir
            .enums
            .iter()
            .map(|e| {
                let attrs = unique_names(e.values.iter().map(|v| (v.as_str(), py_enum_member(v))), |n| {
                    is_keyword(n) || py_enum_member(n) != n
                });
                (e.name.as_str(), e.values.iter().map(|v| v.as_str()).zip(attrs).collect())
            })
            .collect();
        let class_index = ir.classes.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
        Ok(Lowering { qualified, used: BTreeSet::new(), uses_datetime: false, members, class_index, reserved })
    }

    /// The text that refers to `symbol`, marking it used.
    fn symbol(&mut self, symbol: Symbol) -> String {
        self.used.insert(symbol);
        if self.qualified.contains(symbol.module()) {
            format!("{}.{}", symbol.module(), symbol.name())
        } else {
            symbol.name().to_string()
        }
    }

    /// The `datetime` module, marking it used.
    fn datetime(&mut self) -> &'static str {
        self.uses_datetime = true;
        DATETIME
    }

    /// Import lines in isort order (ruff's `I001` with default settings): a standard-library
    /// section (`import x` lines first, then `from x import ...`, each sorted by module), a blank
    /// line, then the third-party section. `__future__` is in the template.
    fn import_lines(&self) -> Vec<String> {
        let mut modules: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
        for symbol in &self.used {
            modules.entry(symbol.module()).or_default().push(symbol.name());
        }
        let mut sections: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        let mut from_lines: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        if self.uses_datetime {
            sections[0].push(format!("import {DATETIME}"));
        }
        for (module, mut names) in modules {
            let section = usize::from(THIRD_PARTY.contains(&module));
            if self.qualified.contains(module) {
                sections[section].push(format!("import {module}"));
            } else {
                names.sort_unstable();
                from_lines[section].push(format!("from {module} import {}", names.join(", ")));
            }
        }
        let mut lines = Vec::new();
        for (mut straight, from) in sections.into_iter().zip(from_lines) {
            straight.sort();
            straight.extend(from);
            if straight.is_empty() {
                continue;
            }
            if !lines.is_empty() {
                lines.push(String::new());
            }
            lines.extend(straight);
        }
        lines
    }

    fn enum_view(&self, e: &crate::ir::Enum) -> Value {
        let members: Vec<Value> = e
            .values
            .iter()
            .map(|value| context! { attr => self.members[e.name.as_str()][value.as_str()].clone(), value => value })
            .collect();
        context! { name => &e.name, doc => docstring(e.description.as_deref()), members => members }
    }

    fn class_view(&mut self, class: &'a Class) -> Result<Value, RenderError> {
        let reserved = &self.reserved;
        let attrs = unique_names(
            class.fields.iter().map(|f| (f.name.as_str(), escape_ident(&f.name, |n| is_field_reserved(n, reserved)))),
            |n| is_keyword(n) || is_field_reserved(n, reserved),
        );
        let mut config = vec!["extra=\"forbid\"".to_string()];
        if class.fields.iter().zip(&attrs).any(|(f, a)| f.name != *a) {
            config.push("validate_by_name=True".to_string());
            config.push("serialize_by_alias=True".to_string());
        }
        if attrs.iter().any(|a| PROTECTED_PREFIXES.iter().any(|p| a.starts_with(p))) {
            config.push("protected_namespaces=()".to_string());
        }
        if class.fields.iter().any(|f| f.constraints.pattern.as_deref().is_some_and(|p| !rust_regex_accepts(p))) {
            // Pydantic's default engine is Rust's `regex` crate; patterns it cannot compile
            // (look-around, back-references) need Python's `re`, which SPEC.md promises.
            config.push("regex_engine=\"python-re\"".to_string());
        }
        let mut fields = Vec::with_capacity(class.fields.len());
        for (field, attr) in class.fields.iter().zip(attrs) {
            fields.push(self.field_view(class, field, attr)?);
        }
        Ok(context! {
            name => &class.name,
            doc => docstring(class.description.as_deref()),
            config => config,
            fields => fields,
        })
    }

    fn field_view(&mut self, class: &Class, field: &Field, attr: String) -> Result<Value, RenderError> {
        let (value_ty, optional_type) = match &field.ty {
            TypeRef::Optional(inner) => (inner.as_ref(), true),
            ty => (ty, false),
        };
        let mut annotation = self.type_expr(value_ty);
        if !field.constraints.is_empty() {
            let args = self.constraint_args(&field.constraints);
            annotation = format!(
                "{}[{annotation}, {}({})]",
                self.symbol(Symbol::Annotated),
                self.symbol(Symbol::Field),
                args.join(", ")
            );
        }
        let nullable = optional_type || field.nullable || (!field.required && field.default.is_none());
        if nullable {
            annotation.push_str(" | None");
        }

        let at = || format!("field `{}` of `{}`", field.name, class.name);
        let default = match &field.default {
            Some(JsonValue::Null) if nullable => Some(("None".to_string(), false)),
            Some(value) => Some(self.value_expr(value_ty, value).map_err(|e| bug(format!("{}: {e}", at())))?),
            None if !field.required => Some(("None".to_string(), false)),
            None => None,
        };
        let mut kwargs = Vec::new();
        if let Some((expr, lazy)) = &default {
            if *lazy {
                kwargs.push(format!("default_factory=lambda: {expr}"));
            } else {
                kwargs.push(format!("default={expr}"));
            }
        }
        if attr != field.name {
            kwargs.push(format!("alias={}", py_str(&field.name)));
        }
        if let Some(description) = &field.description {
            kwargs.push(format!("description={}", py_str(description)));
        }
        let rhs = match default {
            Some((expr, false)) if kwargs.len() == 1 => Some(expr),
            _ if kwargs.is_empty() => None,
            _ => Some(format!("{}({})", self.symbol(Symbol::Field), kwargs.join(", "))),
        };
        Ok(context! { attr => attr, annotation => annotation, rhs => rhs })
    }

    /// The annotation of a type, without field-level constraints.
    fn type_expr(&mut self, ty: &TypeRef) -> String {
        match ty {
            TypeRef::Primitive(p) => self.primitive(*p),
            TypeRef::List(inner) => format!("list[{}]", self.type_expr(inner)),
            TypeRef::Dict(key, value) => format!("dict[{}, {}]", self.primitive(*key), self.type_expr(value)),
            TypeRef::Optional(inner) => format!("{} | None", self.type_expr(inner)),
            TypeRef::Enum(name) | TypeRef::Class(name) => name.clone(),
        }
    }

    fn primitive(&mut self, p: Primitive) -> String {
        match p {
            Primitive::Int => "int".to_string(),
            Primitive::Float => "float".to_string(),
            Primitive::String => "str".to_string(),
            Primitive::Bool => "bool".to_string(),
            Primitive::Datetime => self.symbol(Symbol::AwareDatetime),
            Primitive::Date => format!("{}.date", self.datetime()),
            Primitive::Uuid => self.symbol(Symbol::Uuid),
            Primitive::Decimal => self.symbol(Symbol::Decimal),
        }
    }

    /// `Field(...)` arguments of the constraints, in a fixed order.
    fn constraint_args(&self, c: &Constraints) -> Vec<String> {
        let mut args = Vec::new();
        for (key, bound) in [("ge", c.ge), ("gt", c.gt), ("le", c.le), ("lt", c.lt)] {
            if let Some(n) = bound {
                args.push(format!("{key}={}", py_number(n)));
            }
        }
        for (key, len) in [("min_length", c.min_length), ("max_length", c.max_length)] {
            if let Some(n) = len {
                args.push(format!("{key}={n}"));
            }
        }
        if let Some(pattern) = &c.pattern {
            args.push(format!("pattern={}", py_regex(pattern)));
        }
        args
    }

    /// A Python expression for `value` as a `ty`, and whether it must be built lazily (it
    /// constructs model instances, which may not be complete yet when the class body runs).
    fn value_expr(&mut self, ty: &TypeRef, value: &JsonValue) -> Result<(String, bool), String> {
        let mismatch = || format!("default {value} does not fit type {ty:?}");
        match (ty, value) {
            (TypeRef::Optional(_), JsonValue::Null) => Ok(("None".to_string(), false)),
            (TypeRef::Optional(inner), value) => self.value_expr(inner, value),
            (TypeRef::Primitive(p), value) => Ok((self.primitive_value(*p, value).ok_or_else(mismatch)?, false)),
            (TypeRef::Enum(name), JsonValue::String(s)) => {
                let member = self.members.get(name.as_str()).and_then(|m| m.get(s.as_str())).ok_or_else(mismatch)?;
                Ok((format!("{name}.{member}"), false))
            }
            (TypeRef::List(inner), JsonValue::Array(items)) => {
                let mut lazy = false;
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    let (expr, l) = self.value_expr(inner, item)?;
                    lazy |= l;
                    parts.push(expr);
                }
                Ok((format!("[{}]", parts.join(", ")), lazy))
            }
            (TypeRef::Dict(key, inner), JsonValue::Object(map)) => {
                let mut lazy = false;
                let mut parts = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let key_expr = self.key_expr(*key, k).ok_or_else(mismatch)?;
                    let (expr, l) = self.value_expr(inner, v)?;
                    lazy |= l;
                    parts.push(format!("{key_expr}: {expr}"));
                }
                Ok((format!("{{{}}}", parts.join(", ")), lazy))
            }
            (TypeRef::Class(name), JsonValue::Object(_)) => {
                Ok((format!("{name}.model_validate({})", json_literal(value)), true))
            }
            _ => Err(mismatch()),
        }
    }

    fn primitive_value(&mut self, p: Primitive, value: &JsonValue) -> Option<String> {
        Some(match (p, value) {
            (Primitive::Int, JsonValue::Number(n)) => integer(n)?,
            (Primitive::Float, JsonValue::Number(n)) => py_float(n.as_f64()?),
            (Primitive::Bool, JsonValue::Bool(b)) => py_bool(*b).to_string(),
            (Primitive::String, JsonValue::String(s)) => py_str(s),
            (Primitive::Decimal, JsonValue::Number(n)) => {
                let text = integer(n).unwrap_or_else(|| n.as_f64().map(|f| f.to_string()).unwrap_or_default());
                self.decimal(&text)
            }
            (Primitive::Decimal | Primitive::Uuid | Primitive::Date | Primitive::Datetime, JsonValue::String(s)) => {
                self.key_expr(p, s)?
            }
            _ => return None,
        })
    }

    /// A Python expression for a value given as text (a JSON object key, or the string form of
    /// a date, UUID, decimal).
    fn key_expr(&mut self, p: Primitive, s: &str) -> Option<String> {
        Some(match p {
            Primitive::String => py_str(s),
            Primitive::Int => s.trim().parse::<i128>().ok()?.to_string(),
            Primitive::Float => py_float(s.trim().parse::<f64>().ok()?),
            Primitive::Bool => py_bool(s.parse::<bool>().ok()?).to_string(),
            Primitive::Decimal => self.decimal(s),
            Primitive::Uuid => format!("{}({})", self.symbol(Symbol::Uuid), py_str(s)),
            Primitive::Date => format!("{}.date.fromisoformat({})", self.datetime(), py_str(s)),
            Primitive::Datetime => format!("{}.datetime.fromisoformat({})", self.datetime(), py_str(s)),
        })
    }
}

impl Lowering<'_> {
    /// `Decimal(...)` of a decimal written as text: whole numbers as int literals (`Decimal(5)`,
    /// what ruff's FURB157 asks for), except negative zero, whose sign only the string keeps;
    /// everything else as a string, which is exact (`Decimal("0.10")`).
    fn decimal(&mut self, text: &str) -> String {
        let decimal = self.symbol(Symbol::Decimal);
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let significant = match digits.trim_start_matches('0') {
                "" => "0",
                s => s,
            };
            if !(negative && significant == "0") {
                return format!("{decimal}({}{significant})", if negative { "-" } else { "" });
            }
        }
        format!("{decimal}({})", py_str(text))
    }
}

/// True for names a field attribute must not take in a class body that refers to `reserved`.
fn is_field_reserved(name: &str, reserved: &BTreeSet<String>) -> bool {
    is_reserved_attribute(name) || reserved.contains(name)
}

/// Resolves clashes among escaped names, deterministically: names that needed no escaping keep
/// them; the others, in order, get `_` appended until unique and not `taken_elsewhere`.
fn unique_names<'n>(
    names: impl Iterator<Item = (&'n str, String)>,
    taken_elsewhere: impl Fn(&str) -> bool,
) -> Vec<String> {
    let names: Vec<(&str, String)> = names.collect();
    let mut taken: BTreeSet<String> =
        names.iter().filter(|(orig, esc)| orig == esc).map(|(_, esc)| esc.clone()).collect();
    names
        .into_iter()
        .map(|(orig, mut esc)| {
            if orig != esc {
                while taken.contains(&esc) || taken_elsewhere(&esc) {
                    esc.push('_');
                }
                taken.insert(esc.clone());
            }
            esc
        })
        .collect()
}

/// A description as docstring text, or `None` when there is nothing to say.
fn docstring(description: Option<&str>) -> Option<String> {
    description.filter(|d| !d.trim().is_empty()).map(str::to_string)
}

/// True when Rust's `regex` (Pydantic's default pattern engine) accepts `pattern`.
fn rust_regex_accepts(pattern: &str) -> bool {
    regex_syntax::Parser::new().parse(pattern).is_ok()
}

fn bug(message: String) -> RenderError {
    RenderError { origin: TEMPLATE.to_string(), message }
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// An integer literal for a JSON number that is a whole number.
fn integer(n: &serde_json::Number) -> Option<String> {
    if let Some(i) = n.as_i64() {
        return Some(i.to_string());
    }
    if let Some(u) = n.as_u64() {
        return Some(u.to_string());
    }
    let f = n.as_f64()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then(|| format!("{}", f as i64))
}

/// A float literal that reads back as exactly `f` (Rust's shortest round-trip form, which is
/// also valid Python), with non-finite values spelled so that Python accepts them.
fn py_float(f: f64) -> String {
    if f.is_nan() {
        "float(\"nan\")".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "float(\"inf\")" } else { "float(\"-inf\")" }.to_string()
    } else {
        format!("{f:?}")
    }
}

/// A constraint bound: integers stay integers.
fn py_number(n: Number) -> String {
    match n {
        Number::Int(i) => i.to_string(),
        Number::Float(f) => py_float(f),
    }
}

/// A JSON value as the equivalent Python literal (for `model_validate`).
fn json_literal(value: &JsonValue) -> String {
    match value {
        JsonValue::Null => "None".to_string(),
        JsonValue::Bool(b) => py_bool(*b).to_string(),
        JsonValue::Number(n) => integer(n).unwrap_or_else(|| py_float(n.as_f64().unwrap_or(0.0))),
        JsonValue::String(s) => py_str(s),
        JsonValue::Array(items) => format!("[{}]", items.iter().map(json_literal).collect::<Vec<_>>().join(", ")),
        JsonValue::Object(map) => format!(
            "{{{}}}",
            map.iter().map(|(k, v)| format!("{}: {}", py_str(k), json_literal(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;
    use serde_json::json;

    use super::*;
    use crate::ir::{Enum, Model};

    fn field(name: &str, ty: TypeRef) -> Field {
        Field {
            name: name.to_string(),
            ty,
            required: true,
            nullable: false,
            default: None,
            readonly: false,
            description: None,
            constraints: Constraints::default(),
        }
    }

    /// `optional: true`: may be absent, may be null.
    fn optional(mut f: Field) -> Field {
        f.required = false;
        f.nullable = true;
        f
    }

    fn with_default(mut f: Field, value: JsonValue) -> Field {
        f.required = false;
        f.default = Some(value);
        f
    }

    fn described(mut f: Field, text: &str) -> Field {
        f.description = Some(text.to_string());
        f
    }

    fn constrained(mut f: Field, c: Constraints) -> Field {
        f.constraints = c;
        f
    }

    fn prim(p: Primitive) -> TypeRef {
        TypeRef::Primitive(p)
    }

    fn list(t: TypeRef) -> TypeRef {
        TypeRef::List(Box::new(t))
    }

    fn class_ref(name: &str) -> TypeRef {
        TypeRef::Class(name.to_string())
    }

    fn class(name: &str, description: Option<&str>, fields: Vec<Field>) -> Class {
        Class {
            name: name.to_string(),
            model: name.to_string(),
            variant: None,
            description: description.map(str::to_string),
            fields,
        }
    }

    fn variant(base: &Class, variant: &str, fields: Vec<Field>) -> Class {
        Class {
            name: format!("{}{variant}", base.name),
            model: base.name.clone(),
            variant: Some(variant.to_string()),
            description: base.description.clone(),
            fields,
        }
    }

    fn enum_(name: &str, values: &[&str], description: Option<&str>) -> Enum {
        Enum {
            name: name.to_string(),
            values: values.iter().map(|v| v.to_string()).collect(),
            description: description.map(str::to_string),
        }
    }

    fn ir(classes: Vec<Class>, enums: Vec<Enum>) -> Ir {
        let models = classes
            .iter()
            .filter(|c| c.variant.is_none())
            .map(|c| Model {
                name: c.name.clone(),
                description: c.description.clone(),
                variants: classes
                    .iter()
                    .filter(|v| v.variant.is_some() && v.model == c.name)
                    .map(|v| v.name.clone())
                    .collect(),
            })
            .collect();
        Ir {
            models,
            classes,
            enums,
            models_file: Some(Utf8PathBuf::from("shared/spec/models.yaml")),
            python_version: (3, 11),
            ..Ir::default()
        }
    }

    /// Renders `schemas.py`; with `SPECGEN_PYDANTIC_DUMP=<dir>` also writes it to
    /// `<dir>/<name>/schemas.py` so the Python toolchain (ruff, mypy, import, round-trip) can be
    /// run over every fixture.
    fn schemas(name: &str, ir: &Ir) -> String {
        let files = render(ir, &Options::default()).unwrap();
        let file = files.get("shared/shared/generated/schemas.py").expect("schemas.py is rendered");
        let text = String::from_utf8(file.bytes.clone()).unwrap();
        if let Some(dir) = std::env::var_os("SPECGEN_PYDANTIC_DUMP") {
            let dir = std::path::Path::new(&dir).join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("schemas.py"), &text).unwrap();
            std::fs::write(dir.join("__init__.py"), "").unwrap();
        }
        // Byte-exact `ruff format` output, also after the E501 exemption was added.
        assert_eq!(format_python("test", &text, ir.python_version).unwrap(), text);
        // A pure function of the IR.
        assert_eq!(render(ir, &Options::default()).unwrap(), files);
        text
    }

    fn assert_has(text: &str, line: &str) {
        assert!(text.lines().any(|l| l.trim() == line), "missing line `{line}` in:\n{text}");
    }

    /// The Book model of SPEC.md with its variants: every primitive, constraints, enums in the
    /// base model and in the variants, defaults of every kind, nullable and `optional` types.
    fn bookshelf() -> Ir {
        let book = class(
            "Book",
            Some("A book on a reader's shelf."),
            vec![
                Field { readonly: true, ..field("id", prim(Primitive::Uuid)) },
                described(
                    constrained(
                        field("title", prim(Primitive::String)),
                        Constraints { min_length: Some(1), max_length: Some(200), ..Default::default() },
                    ),
                    "Display title",
                ),
                optional(constrained(
                    field("isbn", prim(Primitive::String)),
                    Constraints { pattern: Some(r"^[0-9-]{10,17}$".into()), ..Default::default() },
                )),
                optional(constrained(
                    field("rating", prim(Primitive::Int)),
                    Constraints { ge: Some(Number::Int(1)), le: Some(Number::Int(5)), ..Default::default() },
                )),
                with_default(
                    described(field("status", TypeRef::Enum("BookStatus".into())), "Where the book is."),
                    json!("wishlist"),
                ),
                field("format", TypeRef::Enum("BookFormat".into())),
                with_default(field("tags", list(prim(Primitive::String))), json!([])),
                field("author", class_ref("Author")),
                Field { readonly: true, ..field("created_at", prim(Primitive::Datetime)) },
                with_default(
                    constrained(
                        field("price", prim(Primitive::Decimal)),
                        Constraints { ge: Some(Number::Int(0)), lt: Some(Number::Float(1e6)), ..Default::default() },
                    ),
                    json!("9.90"),
                ),
                with_default(
                    constrained(
                        field("weight", prim(Primitive::Float)),
                        Constraints { gt: Some(Number::Float(0.5)), ..Default::default() },
                    ),
                    json!(1),
                ),
                with_default(field("published", prim(Primitive::Date)), json!("2024-01-31")),
                with_default(field("active", prim(Primitive::Bool)), json!(true)),
                with_default(field("copies", prim(Primitive::Int)), json!(1)),
                with_default(
                    field("shelf_counts", TypeRef::Dict(Primitive::String, Box::new(prim(Primitive::Int)))),
                    json!({"fiction": 2, "say \"hi\"": 1}),
                ),
                field("co_author", TypeRef::Optional(Box::new(class_ref("Author")))),
                optional(field("subtitle", TypeRef::Optional(Box::new(prim(Primitive::String))))),
                with_default(optional(field("edition", prim(Primitive::Int))), json!(2)),
            ],
        );
        let input = |f: &Field| !f.readonly;
        let create = variant(&book, "Create", book.fields.iter().filter(|f| input(f)).cloned().collect());
        let patch = variant(
            &book,
            "Patch",
            book.fields.iter().filter(|f| input(f)).cloned().map(|f| Field { required: false, ..f }).collect(),
        );
        let read = variant(&book, "Read", book.fields.clone());
        let author = class(
            "Author",
            None,
            vec![field("name", prim(Primitive::String)), optional(field("born", prim(Primitive::Int)))],
        );
        let author_read = variant(&author, "Read", author.fields.clone());
        ir(
            vec![book, create, patch, read, author, author_read],
            vec![
                enum_("BookStatus", &["wishlist", "reading", "finished"], Some("Where the book is.")),
                enum_("BookFormat", &["paper", "ebook"], None),
            ],
        )
    }

    #[test]
    fn bookshelf_models() {
        let text = schemas("bookshelf", &bookshelf());
        assert!(text.starts_with("# Code generated by specgen from shared/spec/models.yaml. DO NOT EDIT.\n"));
        // Author is referenced before it is defined.
        assert_has(&text, "from __future__ import annotations");
        assert_has(&text, "class BookStatus(StrEnum):");
        assert_has(&text, "wishlist = \"wishlist\"");
        assert_has(&text, "class Book(BaseModel):");
        assert_has(&text, "\"\"\"A book on a reader's shelf.\"\"\"");
        assert_has(&text, "model_config = ConfigDict(extra=\"forbid\")");
        assert_has(&text, "id: UUID");
        assert_has(&text, "title: Annotated[str, Field(min_length=1, max_length=200)] = Field(");
        assert_has(&text, "isbn: Annotated[str, Field(pattern=r\"^[0-9-]{10,17}$\")] | None = None");
        assert_has(&text, "rating: Annotated[int, Field(ge=1, le=5)] | None = None");
        assert_has(&text, "default=BookStatus.wishlist, description=\"Where the book is.\"");
        assert_has(&text, "format: BookFormat");
        assert_has(&text, "tags: list[str] = []");
        assert_has(&text, "author: Author");
        assert_has(&text, "created_at: AwareDatetime");
        assert_has(&text, "price: Annotated[Decimal, Field(ge=0, lt=1000000.0)] = Decimal(\"9.90\")");
        assert_has(&text, "weight: Annotated[float, Field(gt=0.5)] = 1.0");
        assert_has(&text, "published: datetime.date = datetime.date.fromisoformat(\"2024-01-31\")");
        assert_has(&text, "active: bool = True");
        assert_has(&text, "shelf_counts: dict[str, int] = {\"fiction\": 2, 'say \"hi\"': 1}");
        assert_has(&text, "co_author: Author | None");
        assert_has(&text, "subtitle: str | None = None");
        assert_has(&text, "edition: int | None = 2");
        // Patch: every field may be absent.
        let patch = text.split("class BookPatch(BaseModel):").nth(1).unwrap().split("\nclass ").next().unwrap();
        assert_has(patch, "format: BookFormat | None = None");
        assert_has(patch, "author: Author | None = None");
        assert_has(patch, "tags: list[str] = []");
        assert!(!patch.contains("created_at"));
        // Book, BookCreate, BookPatch and BookRead reach Author, defined later.
        assert!(text.ends_with(
            "Book.model_rebuild()\nBookCreate.model_rebuild()\nBookPatch.model_rebuild()\nBookRead.model_rebuild()\n"
        ));
        insta::assert_snapshot!(text);
    }

    /// Field names that are keywords, shadow Pydantic's methods or the names the module uses,
    /// or are not identifiers at all; text that tries to break out of every literal.
    fn hostile() -> Ir {
        let evil = "Say \"hi\" \\ or 'bye'\nsecond line \"\"\" closing\r\ttab \u{0} nul \u{202e} bidi and \"";
        let names = [
            "class",
            "from",
            "json",
            "model_config",
            "model_dump",
            "model_validated_at",
            "model_id",
            "schema",
            "copy",
            "dict",
            "fields",
            "validate",
            "type",
            "id",
            "str",
            "datetime",
            "date",
            "class_",
            "None",
            "Author",
        ];
        let mut fields: Vec<Field> = names.iter().map(|n| field(n, prim(Primitive::String))).collect();
        fields.push(field("born", prim(Primitive::Date)));
        fields.push(described(field("quoted", prim(Primitive::String)), evil));
        fields.push(with_default(field("greeting", prim(Primitive::String)), json!(evil)));
        fields.push(constrained(
            field("code", prim(Primitive::String)),
            Constraints { pattern: Some("^\"[\\w']+\"\\\\$".into()), ..Default::default() },
        ));
        fields.push(constrained(
            field("lookahead", prim(Primitive::String)),
            Constraints { pattern: Some(r"^(?=.*\d)\w+$".into()), ..Default::default() },
        ));
        fields.push(with_default(field("kind", TypeRef::Enum("HostileKind".into())), json!("class")));
        let long = "A very long description that goes on and on, well past the eighty-eight columns ruff allows.";
        let hostile = class(
            "Hostile",
            Some(evil),
            vec![described(field("long", prim(Primitive::Int)), long)].into_iter().chain(fields).collect(),
        );
        ir(
            vec![hostile, class("Author", Some("\"\"\""), vec![])],
            vec![enum_("HostileKind", &["class", "title", "title_", "value", "None", "upper", "mro"], Some(evil))],
        )
    }

    #[test]
    fn hostile_names_and_text() {
        let text = schemas("hostile", &hostile());
        assert!(text.starts_with(
            "# Code generated by specgen from shared/spec/models.yaml. DO NOT EDIT.\n# ruff: noqa: E501, RUF100\n"
        ));
        let config = text.split("model_config = ConfigDict(").nth(1).unwrap().split(')').next().unwrap();
        assert_eq!(
            config.split_whitespace().collect::<String>(),
            "extra=\"forbid\",validate_by_name=True,serialize_by_alias=True,protected_namespaces=(",
        );
        assert!(text.contains("regex_engine=\"python-re\""));
        assert_has(&text, "class__: str = Field(alias=\"class\")");
        assert_has(&text, "from_: str = Field(alias=\"from\")");
        assert_has(&text, "json_: str = Field(alias=\"json\")");
        assert_has(&text, "model_config_: str = Field(alias=\"model_config\")");
        assert_has(&text, "model_dump_: str = Field(alias=\"model_dump\")");
        assert_has(&text, "model_validated_at: str");
        assert_has(&text, "model_id: str");
        assert_has(&text, "fields: str");
        assert_has(&text, "type: str");
        assert_has(&text, "id: str");
        assert_has(&text, "str_: str = Field(alias=\"str\")");
        assert_has(&text, "datetime_: str = Field(alias=\"datetime\")");
        assert_has(&text, "date: str");
        assert_has(&text, "class_: str");
        assert_has(&text, "None_: str = Field(alias=\"None\")");
        assert_has(&text, "Author_: str = Field(alias=\"Author\")");
        assert_has(&text, "born: datetime.date");
        assert_has(&text, "kind: HostileKind = HostileKind.class_");
        assert_has(&text, "class_ = \"class\"");
        assert_has(&text, "title__ = \"title\"");
        assert_has(&text, "title_ = \"title_\"");
        assert_has(&text, "value = \"value\"");
        assert_has(&text, "upper_ = \"upper\"");
        assert_has(&text, "mro_ = \"mro\"");
        assert_has(&text, r#"code: Annotated[str, Field(pattern='^"[\\w\']+"\\\\$')]"#);
        insta::assert_snapshot!(text);
    }

    /// A tree, A <-> B mutual recursion with a class in between that reaches both, and a class
    /// that only looks backwards.
    fn recursive() -> Ir {
        let tree = class(
            "Tree",
            None,
            vec![
                field("label", prim(Primitive::String)),
                with_default(field("children", list(class_ref("Tree"))), json!([])),
                optional(field("parent", class_ref("Tree"))),
            ],
        );
        let a = class("A", None, vec![optional(field("b", class_ref("B")))]);
        let c = class("C", None, vec![field("a", class_ref("A")), field("tree", class_ref("Tree"))]);
        let b = class("B", None, vec![with_default(field("a_list", list(class_ref("A"))), json!([]))]);
        let d = class("D", None, vec![field("c", class_ref("C")), field("b", class_ref("B"))]);
        ir(vec![tree, a, c, b, d], vec![])
    }

    #[test]
    fn recursive_models() {
        let text = schemas("recursive", &recursive());
        assert_has(&text, "from __future__ import annotations");
        assert_has(&text, "children: list[Tree] = []");
        assert_has(&text, "parent: Tree | None = None");
        assert_has(&text, "b: B | None = None");
        // A and C reach B (defined after them); Tree, B and D are complete when defined.
        assert!(text.ends_with("\n\n\nA.model_rebuild()\nC.model_rebuild()\n"), "{text}");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn no_future_import_without_forward_references() {
        let ir = ir(
            vec![
                class("Author", None, vec![field("name", prim(Primitive::String))]),
                class("Book", None, vec![field("author", class_ref("Author"))]),
            ],
            vec![],
        );
        let text = schemas("backward", &ir);
        assert!(!text.contains("__future__"));
        assert!(!text.contains("model_rebuild"));
        assert_has(&text, "from pydantic import BaseModel, ConfigDict");
    }

    /// Model names equal to imported names switch those modules to qualified imports.
    #[test]
    fn class_names_that_clash_with_imports() {
        let ir = ir(
            vec![
                class(
                    "Field",
                    None,
                    vec![
                        described(field("uuid", prim(Primitive::Uuid)), "An id."),
                        field("pydantic", prim(Primitive::Decimal)),
                        field("when", prim(Primitive::Datetime)),
                    ],
                ),
                class("UUID", None, vec![field("decimal", prim(Primitive::Decimal))]),
            ],
            vec![],
        );
        let text = schemas("clashes", &ir);
        assert_has(&text, "import uuid");
        assert_has(&text, "import pydantic");
        assert_has(&text, "from decimal import Decimal");
        assert_has(&text, "class Field(pydantic.BaseModel):");
        assert_has(&text, "uuid_: uuid.UUID = pydantic.Field(alias=\"uuid\", description=\"An id.\")");
        assert_has(&text, "pydantic_: Decimal = pydantic.Field(alias=\"pydantic\")");
        assert_has(&text, "when: pydantic.AwareDatetime");
        assert_has(&text, "decimal: Decimal");
        insta::assert_snapshot!(text);
    }

    /// Defaults of the rarer kinds: model instances (lazily), dict keys of non-string types,
    /// UUIDs, datetimes, nested optionals, explicit null.
    #[test]
    fn defaults_of_every_kind() {
        let dict = |k, v| TypeRef::Dict(k, Box::new(v));
        let ir = ir(
            vec![
                class(
                    "Defaults",
                    None,
                    vec![
                        with_default(
                            field("uid", prim(Primitive::Uuid)),
                            json!("123e4567-e89b-12d3-a456-426614174000"),
                        ),
                        with_default(field("at", prim(Primitive::Datetime)), json!("2024-01-31T12:00:00Z")),
                        with_default(field("amount", prim(Primitive::Decimal)), json!(0.1)),
                        with_default(field("whole", prim(Primitive::Decimal)), json!("-012")),
                        with_default(field("zero", prim(Primitive::Decimal)), json!(0)),
                        with_default(field("negative_zero", prim(Primitive::Decimal)), json!("-0")),
                        with_default(field("ratio", prim(Primitive::Float)), json!(1e-7)),
                        with_default(field("big", prim(Primitive::Int)), json!(-9007199254740993i64)),
                        with_default(
                            field("by_id", dict(Primitive::Int, prim(Primitive::String))),
                            json!({"1": "one"}),
                        ),
                        with_default(
                            field("by_day", dict(Primitive::Date, list(prim(Primitive::Bool)))),
                            json!({"2024-01-31": [true, false]}),
                        ),
                        with_default(
                            field("maybe", list(TypeRef::Optional(Box::new(prim(Primitive::Int))))),
                            json!([1, null]),
                        ),
                        with_default(optional(field("nothing", prim(Primitive::String))), JsonValue::Null),
                        with_default(field("owner", class_ref("Owner")), json!({"name": "Ann", "tags": ["a"]})),
                        with_default(field("owners", list(class_ref("Owner"))), json!([{"name": "Bo"}])),
                        with_default(field("level", TypeRef::Enum("DefaultsLevel".into())), json!("high")),
                    ],
                ),
                class(
                    "Owner",
                    None,
                    vec![
                        field("name", prim(Primitive::String)),
                        with_default(field("tags", list(prim(Primitive::String))), json!([])),
                    ],
                ),
            ],
            vec![enum_("DefaultsLevel", &["low", "high"], None)],
        );
        let text = schemas("defaults", &ir);
        assert_has(&text, "uid: UUID = UUID(\"123e4567-e89b-12d3-a456-426614174000\")");
        assert_has(&text, "at: AwareDatetime = datetime.datetime.fromisoformat(\"2024-01-31T12:00:00Z\")");
        assert_has(&text, "amount: Decimal = Decimal(\"0.1\")");
        assert_has(&text, "whole: Decimal = Decimal(-12)");
        assert_has(&text, "zero: Decimal = Decimal(0)");
        assert_has(&text, "negative_zero: Decimal = Decimal(\"-0\")");
        assert_has(&text, "ratio: float = 1e-7");
        assert_has(&text, "big: int = -9007199254740993");
        assert_has(&text, "by_id: dict[int, str] = {1: \"one\"}");
        assert_has(&text, "maybe: list[int | None] = [1, None]");
        assert_has(&text, "nothing: str | None = None");
        assert_has(&text, "level: DefaultsLevel = DefaultsLevel.high");
        assert!(
            text.contains("default_factory=lambda: Owner.model_validate({\"name\": \"Ann\", \"tags\": [\"a\"]})"),
            "{text}"
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn python_3_10_uses_str_enum_mixin() {
        let mut ir = ir(
            vec![class("Book", None, vec![field("kind", TypeRef::Enum("BookKind".into()))])],
            vec![enum_("BookKind", &["a", "b"], None)],
        );
        ir.python_version = (3, 10);
        let text = schemas("py310", &ir);
        assert_has(&text, "from enum import Enum");
        assert_has(&text, "class BookKind(str, Enum):");
    }

    #[test]
    fn empty_models_file_still_gets_both_files() {
        let ir = ir(vec![], vec![]);
        let files = render(&ir, &Options::default()).unwrap();
        let banner = "# Code generated by specgen from shared/spec/models.yaml. DO NOT EDIT.\n";
        assert_eq!(files.get("shared/shared/generated/schemas.py").unwrap().bytes, banner.as_bytes());
        assert_eq!(files.get("shared/shared/generated/__init__.py").unwrap().bytes, banner.as_bytes());
        assert_eq!(schemas("empty", &ir), banner);
    }

    #[test]
    fn no_models_file_no_files() {
        let ir = Ir { python_version: (3, 11), ..Ir::default() };
        assert!(render(&ir, &Options::default()).unwrap().is_empty());
        assert!(outputs(&InputNames::default(), &Options::default()).is_empty());
    }

    #[test]
    fn outputs_are_the_rendered_paths() {
        let mut opts = Options::default();
        opts.roots.shared_package = Utf8PathBuf::from("lib/gen");
        let names = InputNames { models: Some(Utf8PathBuf::from("shared/spec/models.yaml")), ..InputNames::default() };
        let rendered: Vec<OutputPath> = render(&bookshelf(), &opts)
            .unwrap()
            .iter()
            .map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind })
            .collect();
        assert_eq!(outputs(&names, &opts), rendered);
        assert_eq!(rendered[0].path, "lib/gen/__init__.py");
        assert_eq!(rendered[1].path, "lib/gen/schemas.py");
    }

    #[test]
    fn an_ir_that_breaks_its_invariants_is_an_internal_error() {
        let bad = ir(vec![class("Book", None, vec![]), class("Book", None, vec![])], vec![]);
        assert!(render(&bad, &Options::default()).unwrap_err().message.contains("two classes"));
        let bad =
            ir(vec![class("Book", None, vec![with_default(field("n", prim(Primitive::Int)), json!("x"))])], vec![]);
        let err = render(&bad, &Options::default()).unwrap_err();
        assert_eq!(err.origin, "schemas.py.j2");
        assert!(err.message.contains("field `n` of `Book`"), "{}", err.message);
    }
}
