//! `schemas.py`: Pydantic models, variant classes and enums, plus the package `__init__.py`.
//!
//! Lowers the IR's enums and classes and writes each of them, one flat statement at a time, with
//! [`PyWriter`], which lays the statements out exactly as `ruff format` would (see `python.rs`);
//! large files are written on two threads when it is rendered alone (parallel sections do not
//! nest, see `parallel`). `templates/schemas.py.j2` renders the head of the file
//! (banner, imports) and the body follows it. The file is byte-identical to `ruff format`'s
//! output: debug builds and the tests at the end of this module format it with ruff and compare.
//!
//! **Deviation: the shapes of the classes are in Rust, not in the template.** Templates are files
//! (ARCHITECTURE.md), and this one used to hold every class, rendered through minijinja and then
//! formatted by ruff as a whole. For 1,000 models (a 94,000-line file) that took 300 ms: 50 ms in
//! minijinja, 250 ms in ruff, most of the time `generate` has. The template now holds the layout
//! of the file and shows the shape of every block in a comment; `Lowering::write_enum` and
//! `Lowering::write_class` write those shapes, and should change with that comment.
//!
//! What this module owns, and why:
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
//! - **Lint.** The file is as ruff formats it; a file with lines longer than 88 columns (long
//!   descriptions cannot be wrapped without changing them) carries `# ruff: noqa: E501, RUF100`.
//!
//! Paths depend only on input names: both files exist whenever `models.yaml` is an input, even if
//! it declares no models (the module then holds only its banner), so build systems can declare
//! them up front.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::hash::BuildHasherDefault;

use minijinja::context;

use crate::fileset::{FileKind, FileSet};
use crate::ir::{Class, Constraints, Enum, Field, Ir, Number, Primitive, TypeRef, Value as JsonValue};
use crate::load::InputNames;
use crate::parallel::in_two;

use super::python::{
    assert_same_text, enum_member_names, escape_ident, format_python, is_keyword, is_plain_enum_member,
    is_sanitized_ident, push_py_str, py_decimal, py_float, py_integer, py_regex, py_str, render_template, unique_names,
    Body, Level, PyWriter, BASEMODEL_ATTRIBUTES, KEYWORDS, LINE_LENGTH, NOQA_LONG_LINES, PROTECTED_PREFIXES,
    SHADOWED_BUILTINS,
};
use super::{banner, Options, OutputPath, RenderError};
use crate::name_map::{NameMap, NameSet};

/// The template of `schemas.py`.
const TEMPLATE: &str = "schemas.py.j2";

/// From this many enums and classes on, they are lowered on two threads where work may be split
/// (see `parallel`).
const PARALLEL_DEFINITIONS: usize = 256;

/// A top-level definition of `schemas.py`, in file order: the enums, then the classes.
#[derive(Clone, Copy)]
enum Definition<'a> {
    Enum(&'a Enum),
    Class(&'a Class),
}

impl Definition<'_> {
    /// About as many bytes as its text takes in `schemas.py`, a little more for most: the
    /// writer makes room for a run of definitions at once instead of growing by doubling.
    fn estimated_bytes(&self) -> usize {
        match self {
            Definition::Enum(e) => 48 + e.name.len() + 24 * e.values.len(),
            Definition::Class(class) => {
                96 + class.name.len() + class.description.as_deref().map_or(0, str::len) + 48 * class.fields.len()
            }
        }
    }
}

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
    files.generated(package.join("schemas.py"), render_schemas(ir, &banner, cfg!(debug_assertions))?);
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

/// The text of `schemas.py`. With `verify` (debug builds, tests), also formats the flat file with
/// ruff and panics unless the result is identical (the guard of the fast path, see [`PyWriter`]).
fn render_schemas(ir: &Ir, banner: &str, verify: bool) -> Result<String, RenderError> {
    let names = Names::new(ir)?;
    let mut lowering = Lowering::new(&names);
    let mut writer = PyWriter::new(TEMPLATE, ir.python_version);
    let enum_base = if ir.enums.is_empty() {
        ""
    } else if ir.python_version >= (3, 11) {
        lowering.symbol(Symbol::StrEnum)
    } else {
        &format!("str, {}", lowering.symbol(Symbol::Enum))
    };
    let (base_model, config_dict) = if ir.classes.is_empty() {
        ("", "")
    } else {
        (lowering.symbol(Symbol::BaseModel), lowering.symbol(Symbol::ConfigDict))
    };
    // Lowering is bound by memory access to the IR: two threads, each writing a contiguous run of
    // enums and classes with its own writer, joined in order.
    let definitions: Vec<Definition<'_>> =
        ir.enums.iter().map(Definition::Enum).chain(ir.classes.iter().map(Definition::Class)).collect();
    let halves = in_two(&definitions, PARALLEL_DEFINITIONS, |definitions| {
        let mut half = Lowering::new(&names);
        let mut half_writer = PyWriter::new(TEMPLATE, ir.python_version);
        half_writer.reserve(definitions.iter().map(Definition::estimated_bytes).sum());
        for definition in definitions {
            match definition {
                Definition::Enum(e) => half.write_enum(&mut half_writer, e, enum_base)?,
                Definition::Class(class) => half.write_class(&mut half_writer, class, base_model, config_dict)?,
            }
        }
        Ok::<_, RenderError>((half, half_writer))
    });
    for half in halves {
        let (half, half_writer) = half?;
        lowering.merge(half);
        writer.append(half_writer);
    }
    let (future_annotations, rebuild) = forward_references(&lowering.edges);
    if !rebuild.is_empty() {
        writer.block();
        for i in rebuild {
            writer.statement(Level::Module, format_args!("{}.model_rebuild()", ir.classes[i].name));
        }
    }
    let imports = lowering.import_lines();
    let body = writer.finish()?;
    // Besides the body, only the banner and the import lines can be long.
    let long_lines = body.has_long_lines() || banner.lines().chain(imports.iter().map(String::as_str)).any(is_long);
    let file = |body: &Body<'_>| -> Result<String, RenderError> {
        let ctx = context! {
            banner => banner.trim_end(),
            noqa => long_lines.then_some(NOQA_LONG_LINES),
            body => !body.is_empty(),
            future_annotations => future_annotations,
            imports => &imports,
        };
        let head = render_template(TEMPLATE, ctx)?;
        let mut text = String::with_capacity(head.len() + body.len());
        text.push_str(&head);
        body.write_to(&mut text);
        debug_assert_eq!(text.len(), head.len() + body.len());
        Ok(text)
    };
    let text = file(&body)?;
    if verify {
        let reference = format_python(TEMPLATE, &file(&writer.flat())?, ir.python_version)?;
        assert_same_text(TEMPLATE, &text, &reference);
        assert_eq!(long_lines, text.lines().any(is_long), "long lines were not tracked");
    }
    Ok(text)
}

/// True for a line longer than ruff's limit, which calls for [`NOQA_LONG_LINES`]. Bytes are
/// counted, an upper bound of ruff's display width, so the exemption is never missing.
fn is_long(line: &str) -> bool {
    line.len() > LINE_LENGTH
}

/// Whether `from __future__ import annotations` is needed (a class refers to itself or to a
/// later class), and the classes to rebuild at the end of the module, in IR order: those from
/// which a later class is reachable, because Pydantic could not complete them when they were
/// defined. `edges[i]` lists the classes the fields of class `i` refer to.
fn forward_references(edges: &[Vec<usize>]) -> (bool, Vec<usize>) {
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
    (future, (0..edges.len()).filter(|&i| needs[i]).collect())
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

    /// `module.Name`, for modules imported whole.
    fn qualified_name(self) -> &'static str {
        match self {
            Symbol::Annotated => "typing.Annotated",
            Symbol::AwareDatetime => "pydantic.AwareDatetime",
            Symbol::BaseModel => "pydantic.BaseModel",
            Symbol::ConfigDict => "pydantic.ConfigDict",
            Symbol::Decimal => "decimal.Decimal",
            Symbol::Enum => "enum.Enum",
            Symbol::Field => "pydantic.Field",
            Symbol::StrEnum => "enum.StrEnum",
            Symbol::Uuid => "uuid.UUID",
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

/// What class bodies may refer to, settled before any class is written and shared by the
/// threads that write them: how imported names are spelled, enums and their members, class
/// positions, and the names no field attribute may take.
struct Names<'a> {
    /// Modules imported whole (`import pydantic`) because one of their names is also the name of
    /// a class or enum.
    qualified: BTreeSet<&'static str>,
    /// How each symbol is spelled (`Field` or `pydantic.Field`), by `Symbol as usize`.
    spelling: [&'static str; Symbol::ALL.len()],
    /// Enum name → enum.
    enums: NameMap<&'a str, &'a Enum>,
    /// Member attributes, in value order, of the enums with a value that is not usable as it is.
    escaped_members: NameMap<&'a str, Vec<String>>,
    /// Class name → position in the module.
    class_index: NameMap<&'a str, usize>,
    /// Names no field attribute may take: keywords, `BaseModel` attributes, shadowed builtins,
    /// imported names and modules, class and enum names. One set, looked up once per field.
    reserved: NameSet<&'a str>,
}

impl<'a> Names<'a> {
    fn new(ir: &'a Ir) -> Result<Names<'a>, RenderError> {
        let mut class_index = NameMap::with_capacity_and_hasher(ir.classes.len(), BuildHasherDefault::default());
        let mut enums = NameMap::with_capacity_and_hasher(ir.enums.len(), BuildHasherDefault::default());
        for (i, class) in ir.classes.iter().enumerate() {
            check_top_name(&class.name)?;
            if class_index.insert(class.name.as_str(), i).is_some() {
                return Err(bug(format!("two classes or enums are called `{}`", class.name)));
            }
        }
        for e in &ir.enums {
            check_top_name(&e.name)?;
            if class_index.contains_key(e.name.as_str()) || enums.insert(e.name.as_str(), e).is_some() {
                return Err(bug(format!("two classes or enums are called `{}`", e.name)));
            }
        }
        let top = |name: &str| class_index.contains_key(name) || enums.contains_key(name);
        let qualified: BTreeSet<&'static str> =
            Symbol::ALL.iter().filter(|s| top(s.name())).map(|s| s.module()).collect();
        let mut reserved: NameSet<&'a str> =
            KEYWORDS.iter().chain(BASEMODEL_ATTRIBUTES).chain(SHADOWED_BUILTINS).copied().collect();
        reserved.extend(Symbol::ALL.iter().map(|s| s.name()));
        reserved.extend(qualified.iter().copied());
        reserved.insert(DATETIME);
        reserved.extend(class_index.keys().chain(enums.keys()));
        let escaped_members = ir
            .enums
            .iter()
            .filter(|e| !e.values.iter().all(|v| is_plain_enum_member(v)))
            .map(|e| {
                let attrs = enum_member_names(&e.values);
                (e.name.as_str(), attrs)
            })
            .collect();
        let spelling = Symbol::ALL.map(|s| if qualified.contains(s.module()) { s.qualified_name() } else { s.name() });
        Ok(Names { qualified, spelling, enums, escaped_members, class_index, reserved })
    }

    /// True for a name no field attribute may take.
    fn is_reserved(&self, name: &str) -> bool {
        self.reserved.contains(name)
    }

    /// The member attribute of value `i` of enum `e`.
    fn member<'s>(&'s self, e: &'s Enum, i: usize) -> &'s str {
        match self.escaped_members.get(e.name.as_str()) {
            Some(attrs) => &attrs[i],
            None => &e.values[i],
        }
    }
}

/// Checks that a class or enum name is usable as such. Validation guarantees PascalCase, unique
/// names; this guards anyway, so that a bug there can never produce a module that does not import.
fn check_top_name(name: &str) -> Result<(), RenderError> {
    if !is_sanitized_ident(name) || is_keyword(name) || SHADOWED_BUILTINS.contains(&name) || MODULES.contains(&name) {
        return Err(bug(format!("`{name}` is not usable as a Python class name")));
    }
    Ok(())
}

/// The state of lowering a run of enums and classes (one per thread): which symbols they use, the
/// classes they refer to.
struct Lowering<'n, 'a> {
    names: &'n Names<'a>,
    /// Symbols used so far.
    used: BTreeSet<Symbol>,
    /// Whether the `datetime` module is used.
    uses_datetime: bool,
    /// For each class written so far, the classes its fields refer to (sorted, unique).
    edges: Vec<Vec<usize>>,
    /// The classes the class being written refers to.
    refs: Vec<usize>,
    /// Pattern → whether Rust's `regex` accepts it, and its Python literal (patterns repeat a
    /// lot).
    patterns: NameMap<&'a str, Pattern>,
    /// The statement being written (reused, so a field costs no allocation of its own).
    line: String,
}

impl<'n, 'a> Lowering<'n, 'a> {
    fn new(names: &'n Names<'a>) -> Lowering<'n, 'a> {
        Lowering {
            names,
            used: BTreeSet::new(),
            uses_datetime: false,
            edges: Vec::new(),
            refs: Vec::new(),
            patterns: NameMap::default(),
            line: String::new(),
        }
    }

    /// Takes in what `other`, which lowered the definitions after this one's, used.
    fn merge(&mut self, other: Lowering<'n, 'a>) {
        self.used.extend(other.used);
        self.uses_datetime |= other.uses_datetime;
        self.edges.extend(other.edges);
    }

    /// The text that refers to `symbol`, marking it used.
    fn symbol(&mut self, symbol: Symbol) -> &'static str {
        self.used.insert(symbol);
        self.names.spelling[symbol as usize]
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
            if self.names.qualified.contains(module) {
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

    /// Writes an enum as one block: header, docstring, members.
    fn write_enum(&mut self, writer: &mut PyWriter, e: &'a Enum, base: &str) -> Result<(), RenderError> {
        if e.values.is_empty() {
            return Err(bug(format!("enum `{}` has no values", e.name)));
        }
        writer.block();
        writer.header(format_args!("class {}({base}):", e.name));
        if let Some(doc) = docstring(e.description.as_deref()) {
            writer.docstring(doc);
            writer.blank_line();
        }
        let mut line = std::mem::take(&mut self.line);
        for (i, value) in e.values.iter().enumerate() {
            line.clear();
            line.push_str(self.names.member(e, i));
            line.push_str(" = ");
            push_py_str(&mut line, value);
            writer.statement_str(Level::Body, &line);
        }
        self.line = line;
        Ok(())
    }

    /// Writes a model class as one block: header, docstring, config, fields.
    fn write_class(
        &mut self,
        writer: &mut PyWriter,
        class: &'a Class,
        base: &str,
        config_dict: &str,
    ) -> Result<(), RenderError> {
        let attrs = self.field_attrs(class);
        let mut config = vec!["extra=\"forbid\""];
        if class.fields.iter().zip(&attrs).any(|(f, a)| f.name != *a) {
            config.push("validate_by_name=True");
            config.push("serialize_by_alias=True");
        }
        if attrs.iter().any(|a| PROTECTED_PREFIXES.iter().any(|p| a.starts_with(p))) {
            config.push("protected_namespaces=()");
        }
        if class.fields.iter().any(|f| f.constraints.pattern.as_deref().is_some_and(|p| !self.rust_regex_accepts(p))) {
            // Pydantic's default engine is Rust's `regex` crate; patterns it cannot compile
            // (look-around, back-references) need Python's `re`, which SPEC.md promises.
            config.push("regex_engine=\"python-re\"");
        }
        writer.block();
        writer.header(format_args!("class {}({base}):", class.name));
        if let Some(doc) = docstring(class.description.as_deref()) {
            writer.docstring(doc);
            writer.blank_line();
        }
        writer.statement(Level::Body, format_args!("model_config = {config_dict}({})", Joined(&config)));
        if !class.fields.is_empty() {
            writer.blank_line();
        }
        let mut line = std::mem::take(&mut self.line);
        for (field, attr) in class.fields.iter().zip(&attrs) {
            line.clear();
            self.write_field(&mut line, class, field, attr)?;
            writer.statement_str(Level::Body, &line);
        }
        self.line = line;
        self.refs.sort_unstable();
        self.refs.dedup();
        self.edges.push(std::mem::take(&mut self.refs));
        Ok(())
    }

    /// The attribute of each field of `class`: its spec name when that is safe (the common
    /// case, without allocating), otherwise escaped and made unique.
    fn field_attrs(&self, class: &'a Class) -> Vec<Cow<'a, str>> {
        let taken = |n: &str| self.names.is_reserved(n);
        if class.fields.iter().all(|f| is_sanitized_ident(&f.name) && !taken(&f.name)) {
            return class.fields.iter().map(|f| Cow::Borrowed(f.name.as_str())).collect();
        }
        let names = class.fields.iter().map(|f| (f.name.as_str(), escape_ident(&f.name, taken)));
        unique_names(names, taken).into_iter().map(Cow::Owned).collect()
    }

    /// What is known of `pattern`, worked out the first time it is met.
    fn pattern(&mut self, pattern: &'a str) -> &Pattern {
        self.patterns.entry(pattern).or_insert_with(|| Pattern {
            rust_regex: regex_syntax::Parser::new().parse(pattern).is_ok(),
            literal: py_regex(pattern),
        })
    }

    /// True when Rust's `regex` (Pydantic's default pattern engine) accepts `pattern`.
    fn rust_regex_accepts(&mut self, pattern: &'a str) -> bool {
        self.pattern(pattern).rust_regex
    }

    /// Writes the statement of a field, flat: `attr: annotation` or `attr: annotation = value`.
    fn write_field(
        &mut self,
        out: &mut String,
        class: &Class,
        field: &'a Field,
        attr: &str,
    ) -> Result<(), RenderError> {
        let (value_ty, optional_type) = match &field.ty {
            TypeRef::Optional(inner) => (inner.as_ref(), true),
            ty => (ty, false),
        };
        out.push_str(attr);
        out.push_str(": ");
        if field.constraints.is_empty() {
            self.write_type(out, value_ty);
        } else {
            out.push_str(self.symbol(Symbol::Annotated));
            out.push('[');
            self.write_type(out, value_ty);
            out.push_str(", ");
            out.push_str(self.symbol(Symbol::Field));
            out.push('(');
            self.write_constraint_args(out, &field.constraints);
            out.push_str(")]");
        }
        let nullable = optional_type || field.nullable || (!field.required && field.default.is_none());
        if nullable {
            out.push_str(" | None");
        }

        let default = match field.default.as_deref() {
            Some(JsonValue::Null) if nullable => Some((Cow::Borrowed("None"), false)),
            Some(value) => {
                let (expr, lazy) = self
                    .value_expr(value_ty, value)
                    .map_err(|e| bug(format!("field `{}` of `{}`: {e}", field.name, class.name)))?;
                Some((Cow::Owned(expr), lazy))
            }
            None if !field.required => Some((Cow::Borrowed("None"), false)),
            None => None,
        };
        let alias = attr != field.name;
        match default {
            None if !alias && field.description.is_none() => {}
            Some((expr, false)) if !alias && field.description.is_none() => {
                out.push_str(" = ");
                out.push_str(&expr);
            }
            default => {
                out.push_str(" = ");
                out.push_str(self.symbol(Symbol::Field));
                out.push('(');
                let mut args = Args::new(out);
                match default {
                    Some((expr, true)) => {
                        args.arg("default_factory").push_str("lambda: ");
                        args.out.push_str(&expr);
                    }
                    Some((expr, false)) => args.arg("default").push_str(&expr),
                    None => {}
                }
                if alias {
                    push_py_str(args.arg("alias"), &field.name);
                }
                if let Some(description) = &field.description {
                    push_py_str(args.arg("description"), description);
                }
                out.push(')');
            }
        }
        Ok(())
    }

    /// Writes the annotation of a type, without field-level constraints.
    fn write_type(&mut self, out: &mut String, ty: &TypeRef) {
        match ty {
            TypeRef::Primitive(p) => out.push_str(self.primitive(*p)),
            TypeRef::List(inner) => {
                out.push_str("list[");
                self.write_type(out, inner);
                out.push(']');
            }
            TypeRef::Dict(key, value) => {
                out.push_str("dict[");
                out.push_str(self.primitive(*key));
                out.push_str(", ");
                self.write_type(out, value);
                out.push(']');
            }
            TypeRef::Optional(inner) => {
                self.write_type(out, inner);
                out.push_str(" | None");
            }
            TypeRef::Enum(name) => out.push_str(name),
            TypeRef::Class(name) => {
                self.refs.extend(self.names.class_index.get(name.as_str()));
                out.push_str(name);
            }
        }
    }

    fn primitive(&mut self, p: Primitive) -> &'static str {
        match p {
            Primitive::Int => "int",
            Primitive::Float => "float",
            Primitive::String => "str",
            Primitive::Bool => "bool",
            Primitive::Datetime => self.symbol(Symbol::AwareDatetime),
            Primitive::Date => {
                self.datetime();
                "datetime.date"
            }
            Primitive::Uuid => self.symbol(Symbol::Uuid),
            Primitive::Decimal => self.symbol(Symbol::Decimal),
        }
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
                let e = self.names.enums.get(name.as_str()).ok_or_else(mismatch)?;
                let i = e.values.iter().position(|v| v == s).ok_or_else(mismatch)?;
                Ok((format!("{name}.{}", self.names.member(e, i)), false))
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
            (Primitive::Int, JsonValue::Number(n)) => py_integer(n)?,
            (Primitive::Float, JsonValue::Number(n)) => py_float(n.as_f64()?),
            (Primitive::Bool, JsonValue::Bool(b)) => py_bool(*b).to_string(),
            (Primitive::String, JsonValue::String(s)) => py_str(s),
            (Primitive::Decimal, JsonValue::Number(n)) => {
                let text = py_integer(n).unwrap_or_else(|| n.as_f64().map(|f| f.to_string()).unwrap_or_default());
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

impl Lowering<'_, '_> {
    /// `Decimal(...)` of a decimal written as text: whole numbers as int literals (`Decimal(5)`,
    /// what ruff's FURB157 asks for), except negative zero, whose sign only the string keeps;
    /// everything else as a string, which is exact (`Decimal("0.10")`).
    fn decimal(&mut self, text: &str) -> String {
        let decimal = self.symbol(Symbol::Decimal);
        py_decimal(decimal, text)
    }
}

impl<'a> Lowering<'_, 'a> {
    /// Writes the `Field(...)` arguments of the constraints, in a fixed order.
    fn write_constraint_args(&mut self, out: &mut String, c: &'a Constraints) {
        let mut args = Args::new(out);
        for (key, bound) in [("ge", c.ge), ("gt", c.gt), ("le", c.le), ("lt", c.lt)] {
            match bound {
                Some(Number::Int(i)) => write!(args.arg(key), "{i}").expect("writing to a String cannot fail"),
                Some(Number::Float(f)) => args.arg(key).push_str(&py_float(f)),
                None => {}
            }
        }
        for (key, len) in [("min_length", c.min_length), ("max_length", c.max_length)] {
            if let Some(n) = len {
                write!(args.arg(key), "{n}").expect("writing to a String cannot fail");
            }
        }
        if let Some(pattern) = &c.pattern {
            let literal = &self.pattern(pattern).literal;
            args.arg("pattern").push_str(literal);
        }
    }
}

/// What `schemas.py` needs to know of a `pattern` constraint.
struct Pattern {
    /// Whether Rust's `regex` accepts it.
    rust_regex: bool,
    /// Its Python string literal.
    literal: String,
}

/// Writes comma-separated keyword arguments.
struct Args<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> Args<'o> {
    fn new(out: &'o mut String) -> Args<'o> {
        Args { out, first: true }
    }

    /// Starts the argument `key=`: its value is written next, to the text returned.
    fn arg(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        self.out.push_str(key);
        self.out.push('=');
        self.out
    }
}

/// Displays strings separated by `, `.
struct Joined<'s>(&'s [&'s str]);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(item)?;
        }
        Ok(())
    }
}

/// A description as docstring text, or `None` when there is nothing to say.
fn docstring(description: Option<&str>) -> Option<&str> {
    description.filter(|d| !d.trim().is_empty())
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

/// A JSON value as the equivalent Python literal (for `model_validate`).
fn json_literal(value: &JsonValue) -> String {
    match value {
        JsonValue::Null => "None".to_string(),
        JsonValue::Bool(b) => py_bool(*b).to_string(),
        JsonValue::Number(n) => py_integer(n).unwrap_or_else(|| py_float(n.as_f64().unwrap_or(0.0))),
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
    use crate::ir::{Model, Number};
    use crate::targets::python::tests::Rng;
    use std::sync::Arc;

    fn field(name: &str, ty: TypeRef) -> Field {
        Field::plain(name, ty)
    }

    /// `optional: true`: may be absent, may be null.
    fn optional(mut f: Field) -> Field {
        f.required = false;
        f.nullable = true;
        f
    }

    fn with_default(mut f: Field, value: JsonValue) -> Field {
        f.required = false;
        f.default = Some(Box::new(value));
        f
    }

    fn described(mut f: Field, text: &str) -> Field {
        f.description = Some(text.to_string());
        f
    }

    fn constrained(mut f: Field, c: Constraints) -> Field {
        f.constraints = c.into();
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
            fields: fields.into_iter().map(Arc::new).collect(),
        }
    }

    /// A variant of `base` with `fields`: those it keeps as they are shared with `base`, as
    /// validation builds them.
    fn variant(base: &Class, variant: &str, fields: Vec<Arc<Field>>) -> Class {
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
            book.fields
                .iter()
                .filter(|f| input(f))
                .map(|f| Arc::new(Field { required: false, ..Field::clone(f) }))
                .collect(),
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
    // ---------------------------------------------------------------------------------------
    // The guard of the fast path: the laid-out file equals ruff's formatting of the flat file.

    /// Renders `schemas.py` with the guard on, whatever the build: `render_schemas` panics,
    /// naming the first differing line, unless the laid-out file is what ruff makes of the flat
    /// file (the file the template used to render).
    fn verified(ir: &Ir) -> String {
        render_schemas(ir, &banner("#", &["shared/spec/models.yaml"]), true).unwrap()
    }

    #[test]
    fn laid_out_schemas_are_ruff_format_on_every_fixture() {
        let manifest = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = Vec::new();
        for parent in [manifest.join("tests/fixtures/good"), manifest.join("../examples")] {
            for entry in std::fs::read_dir(&parent).unwrap() {
                let path = Utf8PathBuf::try_from(entry.unwrap().path()).unwrap();
                if path.is_dir() {
                    dirs.push(path);
                }
            }
        }
        dirs.sort();
        let mut rendered = 0;
        for dir in dirs {
            let project =
                crate::Project::load(&crate::Input::Root(dir.clone())).unwrap_or_else(|d| panic!("{dir}:\n{d}"));
            if project.ir.models_file.is_some() {
                verified(&project.ir);
                rendered += 1;
            }
        }
        assert!(rendered >= 8, "only {rendered} projects with models");
    }

    /// The synthetic corpus of the benchmark (`bench/make_corpus.py`, 200 resources: 1,000
    /// classes). Needs `python3`; skipped without it unless `SPECGEN_REQUIRE_PYTHON=1`.
    #[test]
    fn laid_out_schemas_are_ruff_format_on_the_benchmark_corpus() {
        let Some(corpus) = crate::test_support::benchmark_corpus(200) else { return };
        let dir = Utf8PathBuf::try_from(corpus.path().to_path_buf()).unwrap();
        let project = crate::Project::load(&crate::Input::Root(dir)).unwrap_or_else(|d| panic!("{d}"));
        let text = verified(&project.ir);
        assert!(text.lines().count() > 15_000);
    }

    #[test]
    fn laid_out_schemas_are_ruff_format_on_random_classes() {
        let mut rng = Rng(0xc1a55e5);
        for _ in 0..40 {
            verified(&random_ir(&mut rng));
        }
    }

    /// Spec text as it comes: empty, plain, long, multi-line, quoted, escaped, non-ASCII.
    fn random_text(rng: &mut Rng) -> String {
        match rng.below(6) {
            0 => rng
                .pick(&[
                    "",
                    " ",
                    "A book.",
                    "it's \"quoted\"",
                    "back\\slash",
                    "new\nline  \n  indented",
                    "ünïcödé ✓ 漢字",
                    "triple \"\"\" quotes\"",
                    "  padded  ",
                    "tab\there",
                ])
                .to_string(),
            1 => "A long description that goes on and on, well past the eighty-eight columns ruff allows."
                .repeat(1 + rng.below(2)),
            _ => rng.text(100),
        }
    }

    fn random_type(rng: &mut Rng, classes: usize, enums: &[Enum], depth: usize) -> TypeRef {
        let primitives = [
            Primitive::Int,
            Primitive::Float,
            Primitive::String,
            Primitive::Bool,
            Primitive::Datetime,
            Primitive::Date,
            Primitive::Uuid,
            Primitive::Decimal,
        ];
        match rng.below(if depth > 1 { 3 } else { 6 }) {
            0 | 1 => prim(primitives[rng.below(primitives.len())]),
            2 if !enums.is_empty() => TypeRef::Enum(enums[rng.below(enums.len())].name.clone()),
            2 => class_ref(&format!("M{}", rng.below(classes))),
            3 => list(random_type(rng, classes, enums, depth + 1)),
            4 => TypeRef::Dict(
                [Primitive::String, Primitive::Int][rng.below(2)],
                Box::new(random_type(rng, classes, enums, depth + 1)),
            ),
            _ => TypeRef::Optional(Box::new(random_type(rng, classes, enums, depth + 1))),
        }
    }

    /// A default that fits `ty`, if one is easy to make.
    fn random_default(rng: &mut Rng, ty: &TypeRef, enums: &[Enum]) -> Option<JsonValue> {
        Some(match ty {
            TypeRef::Primitive(Primitive::Int) => json!(rng.below(2000) as i64 - 1000),
            TypeRef::Primitive(Primitive::Float) => json!(1.5e-7),
            TypeRef::Primitive(Primitive::String) => json!(random_text(rng)),
            TypeRef::Primitive(Primitive::Bool) => json!(true),
            TypeRef::Primitive(Primitive::Decimal) => json!("9.90"),
            TypeRef::Primitive(Primitive::Date) => json!("2024-01-31"),
            TypeRef::Primitive(Primitive::Datetime) => json!("2024-01-31T12:00:00Z"),
            TypeRef::Primitive(Primitive::Uuid) => json!("123e4567-e89b-12d3-a456-426614174000"),
            TypeRef::Enum(name) => json!(enums.iter().find(|e| &e.name == name)?.values[0]),
            TypeRef::List(_) => json!([]),
            TypeRef::Dict(..) => json!({}),
            TypeRef::Optional(_) => JsonValue::Null,
            TypeRef::Class(_) => json!({"name": random_text(rng)}),
        })
    }

    fn random_field(rng: &mut Rng, name: String, classes: usize, enums: &[Enum]) -> Field {
        let mut f = field(&name, random_type(rng, classes, enums, 0));
        if rng.chance(40) {
            f.required = false;
            f.nullable = rng.chance(50);
        }
        if rng.chance(30) {
            f.required = false;
            f.default = random_default(rng, &f.ty, enums).map(Box::new);
        }
        if rng.chance(40) {
            f.description = Some(random_text(rng));
        }
        if matches!(f.ty, TypeRef::Primitive(Primitive::String | Primitive::Int | Primitive::Float)) && rng.chance(60) {
            let bound = |rng: &mut Rng| rng.chance(40).then(|| Number::Int(rng.below(100_000) as i64 - 10));
            f.constraints = Constraints {
                ge: bound(rng),
                le: bound(rng),
                gt: rng.chance(20).then_some(Number::Float(0.5)),
                lt: None,
                min_length: rng.chance(40).then(|| rng.below(10) as u64),
                max_length: rng.chance(40).then(|| 10 + rng.below(200) as u64),
                pattern: rng.chance(50).then(|| {
                    rng.pick(&["^[a-z][a-z0-9-]*$", "^(?=.*\\d)\\w+$", "^\"q\"$", "[A-Z]{2}-[0-9]+"]).to_string()
                }),
            }
            .into();
        }
        f
    }

    fn random_ir(rng: &mut Rng) -> Ir {
        const NAMES: &[&str] = &[
            "title",
            "class",
            "from",
            "json",
            "model_config",
            "model_dump",
            "type",
            "id",
            "list",
            "str",
            "datetime",
            "date",
            "Decimal",
            "UUID",
            "Field",
            "BaseModel",
            "M0",
            "None",
            "content-type",
            "_private",
            "1st",
            "größe",
            "a",
        ];
        let enums: Vec<Enum> = (0..rng.below(4))
            .map(|i| {
                let mut values: Vec<String> = (0..1 + rng.below(4))
                    .map(|_| {
                        let value = rng.pick(&["a", "class", "title", "title_", "mro", "None", "upper", "value"]);
                        if rng.chance(50) {
                            value.to_string()
                        } else {
                            rng.name(1, 60)
                        }
                    })
                    .collect();
                values.sort();
                values.dedup();
                let description = rng.chance(50).then(|| random_text(rng));
                Enum { name: format!("E{i}"), values, description }
            })
            .collect();
        let count = 1 + rng.below(6);
        let classes = (0..count)
            .map(|i| {
                let mut names: Vec<String> = (0..rng.below(10))
                    .map(|_| if rng.chance(50) { rng.pick(NAMES).to_string() } else { rng.name(1, 40) })
                    .collect();
                names.sort();
                names.dedup();
                let fields = names.into_iter().map(|name| Arc::new(random_field(rng, name, count, &enums))).collect();
                let name = if i == 1 && rng.chance(30) { "Field".to_string() } else { format!("M{i}") };
                let description = rng.chance(60).then(|| random_text(rng));
                Class { name, model: format!("M{i}"), variant: None, description, fields }
            })
            .collect::<Vec<_>>();
        // A reference to `M1` renamed to `Field` is left dangling on purpose: rendering does not
        // resolve class references (validation does).
        let mut ir = ir(classes, enums);
        ir.python_version = [(3, 10), (3, 11), (3, 12)][rng.below(3)];
        ir
    }
}
