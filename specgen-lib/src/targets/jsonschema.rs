//! JSON Schemas of the IR's classes and enums, written through a [`JsonWriter`] in one of two
//! [`Dialect`]s: OpenAPI 3.1's (JSON Schema draft 2020-12) or AsyncAPI 3's (draft-07, where
//! keywords beside a `$ref` are ignored, so such a `$ref` is wrapped in `allOf`).
//!
//! Not a target of its own: the `openapi` and `asyncapi` targets embed these schemas. They
//! describe exactly what the Pydantic classes of `schemas.py` ([`super::pydantic`]) accept and
//! emit, in the form `Model.model_json_schema()` gives (a test compares the two):
//!
//! - a class is `{type: object, title, description, properties, required, additionalProperties:
//!   false}` (the models are `extra="forbid"`), properties in field order, keyed by wire name;
//! - `required` lists the fields without a default, which is what Pydantic requires; a field that
//!   may be absent and has no default is nullable with `default: null` (`T | None = None`);
//! - nullable (`optional: true`, `{type: optional}`, or absent-without-default) is
//!   `anyOf: [<T>, {type: null}]`, flattened into an existing `anyOf` (decimals);
//! - `decimal` is `anyOf: [{type: number, <bounds>}, {type: string, pattern}]`: Pydantic accepts
//!   both and writes a string. Pydantic 2.14 puts no pattern on the string branch; ours
//!   ([`DECIMAL_PATTERN`]) matches every string Pydantic writes for a finite decimal and a subset
//!   of those it reads, so fuzzers generate decimals the service accepts. Bounds stay on the
//!   number branch, as in Pydantic: a string cannot carry them;
//! - enums and classes are `$ref`s to their own schema, with siblings (`description`, `default`)
//!   where the field has them; an enum schema is `{type: string, enum: [...]}`;
//! - `description` of a field as written (even blank, as Pydantic), except on a bare reference
//!   to an enum whose own description is the same text (Pydantic drops the repetition);
//! - `title` as Pydantic derives it (`str.title()` of the wire name, `_` as spaces), except on
//!   references, which bring their own; `readOnly: true` on readonly fields (Pydantic emits none);
//! - dict keys: `propertyNames` with the format of `date`, `datetime` and `uuid` keys (as
//!   Pydantic), a pattern for `int` keys and the two spellings of `bool` keys (stricter than
//!   Pydantic, which documents none: only what Pydantic writes); `float` and `decimal` keys are
//!   left undescribed;
//! - defaults as Pydantic writes them (`default` in the serialized form: decimals as strings);
//!   defaults that hold model instances are kept (Pydantic drops them, as `default_factory`).
//!
//! Keys are in a fixed order: type keywords first (`type`, `format`, bounds, lengths, `pattern`,
//! `items`, `additionalProperties`…), then `title`, `description`, `default`, `readOnly`.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use serde_json::Value;

use crate::ir::{Class, Constraints, Enum, Field, Ir, Number, Primitive, TypeRef};

use super::json::JsonWriter;
use crate::name_map::NameMap;

/// The pattern on the string branch of a decimal: optional sign, digits with an optional point
/// (or a point and digits), optional exponent. Covers `str(Decimal)` of every finite decimal.
pub const DECIMAL_PATTERN: &str = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$";

/// The `propertyNames` pattern of `int` dict keys (what Pydantic writes: `str(int)`).
pub const INT_KEY_PATTERN: &str = r"^-?[0-9]+$";

/// The JSON Schema dialect schemas are written in. The schemas use the keywords both dialects
/// share; they differ only in what keywords beside a `$ref` mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Draft 2020-12, OpenAPI 3.1's: keywords beside a `$ref` apply with it.
    Draft2020_12,
    /// Draft-07, the base of AsyncAPI 3's Schema Object: keywords beside a `$ref` are ignored,
    /// so a reference that has some is written `allOf: [{$ref}]`, with them beside the `allOf`.
    Draft07,
}

/// What a schema of the components describes: a class or an enum.
#[derive(Debug, Clone, Copy)]
pub enum Definition<'a> {
    /// A class: an object schema.
    Class(&'a Class),
    /// An enum: a string schema with its values.
    Enum(&'a Enum),
}

/// Definitions with their class or enum name, sorted by name (each name once).
pub type Definitions<'a> = Vec<(&'a str, Definition<'a>)>;

/// Writes schemas for one IR, with references of the form `<ref_prefix><Name>`.
#[derive(Debug)]
pub struct Schemas<'a> {
    ir: &'a Ir,
    ref_prefix: &'a str,
    dialect: Dialect,
    /// The properties written so far, repeated as text for a field with the same schema: the
    /// variants of a model (`BookCreate`, `BookRead`…) share most fields, and in a large project
    /// nine in ten properties repeat one written before.
    properties: RefCell<PropertyTexts<'a>>,
}

/// The text of the properties [`Schemas`] wrote, by field and depth.
#[derive(Debug, Default)]
struct PropertyTexts<'a> {
    /// A field and the writer's depth it was written at (its indentation) → where the text of
    /// the property is in `text`.
    by_field: NameMap<PropertyKey<'a>, Range<usize>>,
    /// The texts, one after the other.
    text: String,
}

/// A field as a property written at a depth: what the property's text is looked up by. Equal
/// when the fields are; the hash takes the members that tell apart the fields of one name and
/// type in a large project (constraints, flags), so that a lookup compares about one field, not
/// every one of that name and type. Text members other than the name are left out of it: they
/// cost more to hash than the comparisons they would spare.
#[derive(Debug, Clone, Copy)]
struct PropertyKey<'a> {
    field: &'a Field,
    depth: usize,
}

impl PartialEq for PropertyKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        // A variant's field is most often its model's own (`Class::fields`): the same one, not
        // compared member by member.
        self.depth == other.depth && (std::ptr::eq(self.field, other.field) || self.field == other.field)
    }
}

impl Eq for PropertyKey<'_> {}

impl Hash for PropertyKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let Field { name, ty, required, nullable, readonly, constraints, .. } = self.field;
        name.hash(state);
        ty.hash(state);
        let flags = usize::from(*required) | usize::from(*nullable) << 1 | usize::from(*readonly) << 2;
        state.write_usize(flags | self.depth << 3);
        let Constraints { ge, gt, le, lt, min_length, max_length, .. } = &**constraints;
        for bound in [ge, gt, le, lt] {
            // Equal numbers have equal bits but for 0.0 and -0.0, whose properties are then
            // written twice.
            // (Truncated on a 32-bit target: a hash needs no more.)
            state.write_usize(match bound {
                None => 0,
                Some(Number::Int(n)) => *n as usize ^ 1,
                Some(Number::Float(f)) => f.to_bits() as usize,
            });
        }
        for length in [min_length, max_length] {
            state.write_usize(length.map_or(usize::MAX, |n| n as usize));
        }
    }
}

impl<'a> Schemas<'a> {
    /// Schemas of `ir`'s classes and enums in `dialect`; `ref_prefix` is what precedes a name in
    /// a `$ref`, e.g. `#/components/schemas/`.
    pub fn new(ir: &'a Ir, ref_prefix: &'a str, dialect: Dialect) -> Schemas<'a> {
        Schemas { ir, ref_prefix, dialect, properties: RefCell::default() }
    }

    /// The class called `name`.
    pub fn class_named(&self, name: &str) -> Option<&'a Class> {
        self.ir.class(name)
    }

    /// Writes a `$ref` to the class or enum called `name`: `{"$ref": "<prefix><name>"}`.
    pub fn write_reference(&self, out: &mut JsonWriter, name: &str) {
        out.begin_object();
        self.write_reference_keyword(out, name);
        out.end_object();
    }

    /// Writes the schema of a value of `ty` with `constraints` applied to it (to the value
    /// inside any `{type: optional}`; to the number branch of a decimal), and `default`, a value
    /// as written in the spec, beside them in the form the Pydantic class writes it.
    pub fn write_type_schema(
        &self,
        out: &mut JsonWriter,
        ty: &TypeRef,
        constraints: &Constraints,
        default: Option<&Value>,
    ) {
        let annotations = Annotations { default, ..Annotations::default() };
        self.write_annotated(out, ty, constraints, false, &annotations);
    }

    /// The classes and enums reachable from `roots` (class or enum names), through fields,
    /// transitively. Unknown names are skipped (the IR's invariants say there are none).
    pub fn definitions<'n>(&self, roots: impl IntoIterator<Item = &'n str>) -> Definitions<'a> {
        // Hashed while searching, sorted once: the search meets a name at every reference to it.
        let mut found: NameMap<&'a str, Definition<'a>> = NameMap::default();
        let mut stack: Vec<&str> = roots.into_iter().collect();
        while let Some(name) = stack.pop() {
            if found.contains_key(name) {
                continue;
            }
            if let Some(class) = self.ir.class(name) {
                found.insert(&class.name, Definition::Class(class));
                for field in &class.fields {
                    named_types(&field.ty, &mut stack);
                }
            } else if let Some(e) = self.ir.enum_(name) {
                found.insert(&e.name, Definition::Enum(e));
            }
        }
        // Taken out in the IR's order, which is often sorted or nearly (models and their
        // variants in spec order, classes apart from enums): a sort that merges sorted runs then
        // has little left to do.
        let ir_names =
            self.ir.classes.iter().map(|c| c.name.as_str()).chain(self.ir.enums.iter().map(|e| e.name.as_str()));
        let mut sorted: Definitions<'a> = Vec::with_capacity(found.len());
        for name in ir_names {
            if found.is_empty() {
                break;
            }
            sorted.extend(found.remove_entry(name));
        }
        sorted.extend(found);
        // Names are unique: a stable sort gives the order any sort gives.
        sorted.sort_by_key(|&(name, _)| name);
        sorted
    }

    /// Every class and enum of the IR.
    pub fn all_definitions(&self) -> Definitions<'a> {
        let names =
            self.ir.classes.iter().map(|c| c.name.as_str()).chain(self.ir.enums.iter().map(|e| e.name.as_str()));
        self.definitions(names)
    }

    /// Writes the schema of a class or enum.
    pub fn write_definition(&self, out: &mut JsonWriter, definition: Definition<'a>) {
        match definition {
            Definition::Class(class) => self.write_class(out, class),
            Definition::Enum(e) => write_enum(out, e),
        }
    }

    /// Writes an object of schemas keyed by name, as `components.schemas` holds them.
    pub fn write_definitions(&self, out: &mut JsonWriter, definitions: &Definitions<'a>) {
        out.begin_object();
        for &(name, definition) in definitions {
            out.key(name);
            self.write_definition(out, definition);
        }
        out.end_object();
    }

    /// The schema of a class.
    fn write_class(&self, out: &mut JsonWriter, class: &'a Class) {
        out.begin_object();
        out.static_key("type").static_string("object");
        out.static_key("title").string(&class.name);
        if let Some(description) = described(class.description.as_deref()) {
            out.static_key("description").string(description);
        }
        out.static_key("properties").begin_object();
        for field in &class.fields {
            self.write_property(out, field);
        }
        out.end_object();
        let mut required = class.fields.iter().filter(|f| is_required(f)).peekable();
        if required.peek().is_some() {
            out.static_key("required").begin_array();
            for field in required {
                out.string(&field.name);
            }
            out.end_array();
        }
        out.static_key("additionalProperties").bool(false);
        out.end_object();
    }

    /// Writes `field` as a property (its name and schema), or repeats the text of a property
    /// written before at the same depth with the same schema.
    fn write_property(&self, out: &mut JsonWriter, field: &'a Field) {
        let key = PropertyKey { field, depth: out.depth() };
        let mut properties = self.properties.borrow_mut();
        let PropertyTexts { by_field, text } = &mut *properties;
        match by_field.entry(key) {
            Entry::Occupied(written) => out.repeat(&text[written.get().clone()]),
            Entry::Vacant(unwritten) => {
                let start = out.position();
                out.key(&field.name);
                self.write_field(out, field);
                let from = text.len();
                text.push_str(out.written_since(start));
                unwritten.insert(from..text.len());
            }
        }
    }

    /// The schema of a field as a property of its class.
    fn write_field(&self, out: &mut JsonWriter, field: &Field) {
        let (ty, optional_type) = match &field.ty {
            TypeRef::Optional(inner) => (inner.as_ref(), true),
            ty => (ty, false),
        };
        let nullable = optional_type || field.nullable || (!field.required && field.default.is_none());
        // As Pydantic: a description is not repeated on a bare reference to an enum that already
        // says it.
        let said_by_enum = match ty {
            TypeRef::Enum(name) if !nullable => self.ir.enum_(name).is_some_and(|e| e.description == field.description),
            _ => false,
        };
        let annotations = Annotations {
            title: title_is_set(ty).then_some(field.name.as_str()),
            description: field.description.as_deref().filter(|_| !said_by_enum),
            // A field that may be absent without a default is `T | None = None`.
            default: field.default.as_deref().or((!field.required).then_some(&NULL)),
            read_only: field.readonly,
        };
        self.write_annotated(out, ty, &field.constraints, nullable, &annotations);
    }

    /// Writes the schema of `ty` (admitting null too when `nullable`) with `annotations` beside
    /// its keywords.
    fn write_annotated(
        &self,
        out: &mut JsonWriter,
        ty: &TypeRef,
        constraints: &Constraints,
        nullable: bool,
        annotations: &Annotations<'_>,
    ) {
        out.begin_object();
        match ty {
            // Draft-07 would ignore the annotations beside the `$ref`.
            TypeRef::Enum(name) | TypeRef::Class(name)
                if !nullable && self.dialect == Dialect::Draft07 && !annotations.is_empty() =>
            {
                out.static_key("allOf").begin_array();
                self.write_reference(out, name);
                out.end_array();
            }
            _ => self.write_type_keywords(out, ty, constraints, nullable),
        }
        annotations.write(out, ty);
        out.end_object();
    }

    /// Writes the schema of `ty` with `constraints`, without annotations.
    fn write_type(&self, out: &mut JsonWriter, ty: &TypeRef, constraints: &Constraints) {
        out.begin_object();
        self.write_type_keywords(out, ty, constraints, false);
        out.end_object();
    }

    /// Writes the keywords of the schema of `ty` with `constraints`, into an open object; when
    /// `nullable`, of the schema that admits null too: `anyOf: [<schema>, {type: null}]`.
    fn write_type_keywords(&self, out: &mut JsonWriter, ty: &TypeRef, constraints: &Constraints, nullable: bool) {
        match ty {
            TypeRef::Optional(inner) => self.write_type_keywords(out, inner, constraints, true),
            // Pydantic reads a number or a string and writes a string. The schema is an `anyOf`
            // of its own: null joins it as one more branch.
            TypeRef::Primitive(Primitive::Decimal) => {
                out.static_key("anyOf").begin_array();
                out.begin_object();
                out.static_key("type").static_string("number");
                write_bounds(out, constraints);
                out.end_object();
                out.begin_object();
                out.static_key("type").static_string("string");
                out.static_key("pattern").string(DECIMAL_PATTERN);
                out.end_object();
                if nullable {
                    write_null_type(out);
                }
                out.end_array();
            }
            _ if nullable => {
                out.static_key("anyOf").begin_array();
                self.write_type(out, ty, constraints);
                write_null_type(out);
                out.end_array();
            }
            TypeRef::Primitive(Primitive::Int) => {
                out.static_key("type").static_string("integer");
                write_bounds(out, constraints);
            }
            TypeRef::Primitive(Primitive::Float) => {
                out.static_key("type").static_string("number");
                write_bounds(out, constraints);
            }
            TypeRef::Primitive(Primitive::String) => {
                out.static_key("type").static_string("string");
                if let Some(n) = constraints.min_length {
                    out.static_key("minLength").number(n);
                }
                if let Some(n) = constraints.max_length {
                    out.static_key("maxLength").number(n);
                }
                if let Some(pattern) = &constraints.pattern {
                    out.static_key("pattern").string(pattern);
                }
            }
            TypeRef::Primitive(Primitive::Bool) => out.static_key("type").static_string("boolean"),
            TypeRef::Primitive(p @ (Primitive::Datetime | Primitive::Date | Primitive::Uuid)) => {
                out.static_key("type").static_string("string");
                out.static_key("format").static_string(string_format(*p));
            }
            TypeRef::List(inner) => {
                out.static_key("type").static_string("array");
                out.static_key("items");
                self.write_type(out, inner, &Constraints::default());
                if let Some(n) = constraints.min_length {
                    out.static_key("minItems").number(n);
                }
                if let Some(n) = constraints.max_length {
                    out.static_key("maxItems").number(n);
                }
            }
            TypeRef::Dict(key, value) => {
                out.static_key("type").static_string("object");
                out.static_key("additionalProperties");
                self.write_type(out, value, &Constraints::default());
                write_property_names(out, *key);
            }
            TypeRef::Enum(name) | TypeRef::Class(name) => self.write_reference_keyword(out, name),
        }
    }

    /// Writes the `$ref` keyword of a reference to `name`, into an open object.
    fn write_reference_keyword(&self, out: &mut JsonWriter, name: &str) {
        out.static_key("$ref").string_concat(&[self.ref_prefix, name]);
    }
}

/// `null`, the default of a field that may be absent and has none of its own.
static NULL: Value = Value::Null;

/// The keywords written after a schema's own: what Pydantic adds to the schema of a field.
#[derive(Debug, Default)]
struct Annotations<'v> {
    /// The name whose Python title is the title.
    title: Option<&'v str>,
    description: Option<&'v str>,
    /// As written in the spec.
    default: Option<&'v Value>,
    read_only: bool,
}

impl Annotations<'_> {
    fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.default.is_none() && !self.read_only
    }

    /// Writes the annotations of a schema of `ty`.
    fn write(&self, out: &mut JsonWriter, ty: &TypeRef) {
        if let Some(name) = self.title {
            out.static_key("title");
            if is_plain_ascii_name(name) {
                out.string_with(|text| push_plain_ascii_title(text, name));
            } else {
                out.string(&python_title(name));
            }
        }
        if let Some(description) = self.description {
            out.static_key("description").string(description);
        }
        if let Some(default) = self.default {
            out.static_key("default");
            write_wire_value(out, ty, default);
        }
        if self.read_only {
            out.static_key("readOnly").bool(true);
        }
    }
}

/// The schema of an enum: `{type: string, enum: [...], title, description}`.
fn write_enum(out: &mut JsonWriter, e: &Enum) {
    out.begin_object();
    out.static_key("type").static_string("string");
    out.static_key("enum").begin_array();
    for value in &e.values {
        out.string(value);
    }
    out.end_array();
    out.static_key("title").string(&e.name);
    if let Some(description) = described(e.description.as_deref()) {
        out.static_key("description").string(description);
    }
    out.end_object();
}

/// Pushes the class and enum names `ty` refers to.
pub fn named_types<'t>(ty: &'t TypeRef, out: &mut Vec<&'t str>) {
    match ty {
        TypeRef::Class(name) | TypeRef::Enum(name) => out.push(name),
        TypeRef::List(inner) | TypeRef::Optional(inner) | TypeRef::Dict(_, inner) => named_types(inner, out),
        TypeRef::Primitive(_) => {}
    }
}

/// Whether Pydantic lists the field in `required`: it has no default. (A field that is not
/// required in the IR either has a default or is `T | None = None`.)
pub fn is_required(field: &Field) -> bool {
    field.required && field.default.is_none()
}

/// `{type: null}`, the branch of an `anyOf` that admits null.
fn write_null_type(out: &mut JsonWriter) {
    out.begin_object();
    out.static_key("type").static_string("null");
    out.end_object();
}

/// Writes `value` (a default or example as written in the spec) in the form the Pydantic class
/// writes it for a `ty`: decimals become strings (`Decimal` serializes as text), the rest is
/// unchanged.
fn write_wire_value(out: &mut JsonWriter, ty: &TypeRef, value: &Value) {
    match (ty, value) {
        (TypeRef::Primitive(Primitive::Decimal), Value::Number(n)) => out.string(&decimal_text(&n.to_string())),
        (TypeRef::Primitive(Primitive::Decimal), Value::String(s)) => out.string(&decimal_text(s)),
        (TypeRef::Optional(inner), value) => write_wire_value(out, inner, value),
        (TypeRef::List(inner), Value::Array(items)) => {
            out.begin_array();
            for item in items {
                write_wire_value(out, inner, item);
            }
            out.end_array();
        }
        (TypeRef::Dict(_, inner), Value::Object(map)) => {
            out.begin_object();
            for (key, item) in map {
                out.key(key);
                write_wire_value(out, inner, item);
            }
            out.end_object();
        }
        _ => out.value(value),
    }
}

/// The text `str(Decimal(text))` gives for the plain forms (sign, digits, point): leading zeros
/// of the integer part dropped. Other forms (exponents) are kept as written.
fn decimal_text(text: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let plain = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !plain(int) || !frac.is_none_or(plain) || (int.is_empty() && frac.is_none_or(str::is_empty)) {
        return text.to_string();
    }
    let int = match int.trim_start_matches('0') {
        "" => "0",
        s => s,
    };
    match frac {
        Some(f) if !f.is_empty() => format!("{sign}{int}.{f}"),
        _ => format!("{sign}{int}"),
    }
}

/// The JSON Schema `format` of the primitives written as formatted strings.
pub fn string_format(p: Primitive) -> &'static str {
    match p {
        Primitive::Datetime => "date-time",
        Primitive::Date => "date",
        Primitive::Uuid => "uuid",
        _ => "",
    }
}

fn write_bounds(out: &mut JsonWriter, c: &Constraints) {
    for (key, bound) in [("minimum", c.ge), ("exclusiveMinimum", c.gt), ("maximum", c.le), ("exclusiveMaximum", c.lt)] {
        if let Some(n) = bound {
            out.static_key(key);
            write_number(out, n);
        }
    }
}

/// Writes a spec number: integers stay integers.
fn write_number(out: &mut JsonWriter, n: Number) {
    match n {
        Number::Int(i) => out.number(i),
        Number::Float(f) => match serde_json::Number::from_f64(f) {
            Some(n) => out.number(n),
            // JSON has no infinities or NaN.
            None => out.null(),
        },
    }
}

/// Writes `propertyNames` of a dict with keys of type `key`, if it has one.
fn write_property_names(out: &mut JsonWriter, key: Primitive) {
    match key {
        Primitive::Datetime | Primitive::Date | Primitive::Uuid => {
            out.static_key("propertyNames").begin_object();
            out.static_key("format").static_string(string_format(key));
            out.end_object();
        }
        Primitive::Int => {
            out.static_key("propertyNames").begin_object();
            out.static_key("pattern").static_string(INT_KEY_PATTERN);
            out.end_object();
        }
        Primitive::Bool => {
            out.static_key("propertyNames").begin_object();
            out.static_key("enum").begin_array();
            out.static_string("true");
            out.static_string("false");
            out.end_array();
            out.end_object();
        }
        Primitive::String | Primitive::Float | Primitive::Decimal => {}
    }
}
/// Pydantic's rule: fields whose type is a model or an enum (possibly nullable) get no title,
/// their schema has one.
fn title_is_set(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Class(_) | TypeRef::Enum(_) => false,
        TypeRef::Optional(inner) => title_is_set(inner),
        _ => true,
    }
}

/// Pydantic's title of a field: `name.title().replace("_", " ").strip()`, with Python's
/// `str.title()` (a cased character is upper-cased after an uncased one, lower-cased otherwise).
pub fn python_title(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    if is_plain_ascii_name(name) {
        push_plain_ascii_title(&mut out, name);
        return out;
    }
    let mut previous_cased = false;
    for c in name.chars() {
        let cased = c.is_uppercase() || c.is_lowercase();
        let upper = cased && !previous_cased;
        if c == '_' {
            out.push(' ');
        } else if !cased {
            out.push(c);
        } else if c.is_ascii() {
            // Not through the case-mapping iterators, which cost more than all the rest: every
            // field of a large project's schemas has a title.
            out.push(if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() });
        } else if upper {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        previous_cased = cased;
    }
    out.truncate(out.trim_end().len());
    let leading = out.len() - out.trim_start().len();
    out.drain(..leading);
    out
}

/// Whether `name` is made of ASCII letters, digits and `_` only, the names
/// [`push_plain_ascii_title`] knows the title of: nearly every field name.
fn is_plain_ascii_name(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Appends [`python_title`] of a [plain ASCII name](is_plain_ascii_name) without building it
/// first: every field of a large project's schemas has a title. Only letters are cased, and the
/// `_` that `strip` would remove as spaces are those at either end.
fn push_plain_ascii_title(out: &mut String, name: &str) {
    let mut previous_cased = false;
    for b in name.trim_matches('_').bytes() {
        let cased = b.is_ascii_alphabetic();
        out.push(char::from(match b {
            b'_' => b' ',
            b if cased && !previous_cased => b.to_ascii_uppercase(),
            b => b.to_ascii_lowercase(),
        }));
        previous_cased = cased;
    }
}

/// Text worth writing as a description (not empty or blank).
fn described(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use std::sync::Arc;

    fn field(name: &str, ty: TypeRef) -> Field {
        Field::plain(name, ty)
    }

    fn prim(p: Primitive) -> TypeRef {
        TypeRef::Primitive(p)
    }

    fn schemas(ir: &Ir, dialect: Dialect) -> Schemas<'_> {
        Schemas::new(ir, "#/components/schemas/", dialect)
    }

    /// The value `write` writes, read back.
    fn written(write: impl FnOnce(&mut JsonWriter)) -> Value {
        let mut out = JsonWriter::default();
        write(&mut out);
        serde_json::from_str(&out.finish()).unwrap()
    }

    fn field_schema(s: &Schemas<'_>, field: &Field) -> Value {
        written(|out| s.write_field(out, field))
    }

    fn type_schema(s: &Schemas<'_>, ty: &TypeRef) -> Value {
        written(|out| s.write_type(out, ty, &Constraints::default()))
    }

    #[test]
    fn titles_follow_python() {
        assert_eq!(python_title("author_id"), "Author Id");
        assert_eq!(python_title("isbn13x"), "Isbn13X");
        assert_eq!(python_title("model_config"), "Model Config");
        assert_eq!(python_title("_private_"), "Private");
        assert_eq!(python_title("HTTPStatus"), "Httpstatus");
        assert_eq!(python_title("ünïcode_x"), "Ünïcode X");
        assert_eq!(python_title("__a__b__"), "A  B");
        assert_eq!(python_title("x9y_2z"), "X9Y 2Z");
        assert_eq!(python_title("___"), "");
    }

    #[test]
    fn decimal_text_is_what_python_prints() {
        for (written, printed) in
            [("0", "0"), ("-012", "-12"), ("0.10", "0.10"), ("+5", "5"), ("-0", "-0"), ("1e3", "1e3"), ("9.99", "9.99")]
        {
            assert_eq!(decimal_text(written), printed, "{written}");
        }
        let pattern = fancy_regex::Regex::new(DECIMAL_PATTERN).unwrap();
        for ok in ["0", "-12", "0.10", "1.", ".5", "1E+3", "-0E-7", "+1"] {
            assert!(pattern.is_match(ok).unwrap(), "{ok}");
        }
        for bad in ["", ".", "-", "1.5.", "NaN", "Infinity", "1e", "abc", " 1"] {
            assert!(!pattern.is_match(bad).unwrap(), "{bad}");
        }
    }

    #[test]
    fn nullable_types_flatten_any_of() {
        let ir = Ir::default();
        let s = schemas(&ir, Dialect::Draft2020_12);
        let optional = |ty: TypeRef| TypeRef::Optional(Box::new(ty));
        let decimal = type_schema(&s, &optional(prim(Primitive::Decimal)));
        assert_eq!(decimal["anyOf"].as_array().unwrap().len(), 3);
        assert_eq!(decimal["anyOf"][2], json!({"type": "null"}));
        assert_eq!(type_schema(&s, &optional(optional(prim(Primitive::Decimal)))), decimal);
        let int = json!({"anyOf": [{"type": "integer"}, {"type": "null"}]});
        assert_eq!(type_schema(&s, &optional(prim(Primitive::Int))), int);
        assert_eq!(type_schema(&s, &optional(optional(prim(Primitive::Int)))), int);
        assert_eq!(
            type_schema(&s, &TypeRef::List(Box::new(optional(prim(Primitive::Bool))))),
            json!({"type": "array", "items": {"anyOf": [{"type": "boolean"}, {"type": "null"}]}})
        );
    }

    #[test]
    fn fields_of_every_shape() {
        let ir = Ir::default();
        let s = schemas(&ir, Dialect::Draft2020_12);
        let mut price = field("price", prim(Primitive::Decimal));
        price.required = false;
        price.nullable = true;
        price.constraints.ge = Some(Number::Int(0));
        price.description = Some("Paid".into());
        assert_eq!(
            field_schema(&s, &price),
            json!({
                "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": DECIMAL_PATTERN}, {"type": "null"}],
                "title": "Price", "description": "Paid", "default": null,
            })
        );
        let mut status = field("status", TypeRef::Enum("BookStatus".into()));
        status.required = false;
        status.default = Some(Box::new(json!("wishlist")));
        assert_eq!(
            field_schema(&s, &status),
            json!({"$ref": "#/components/schemas/BookStatus", "default": "wishlist"})
        );
        let mut tags = field("tags", TypeRef::List(Box::new(prim(Primitive::String))));
        tags.constraints.max_length = Some(20);
        tags.readonly = true;
        assert_eq!(
            field_schema(&s, &tags),
            json!({"type": "array", "items": {"type": "string"}, "maxItems": 20, "title": "Tags", "readOnly": true})
        );
        let series = field("series", TypeRef::Optional(Box::new(TypeRef::Class("Series".into()))));
        assert_eq!(
            field_schema(&s, &series),
            json!({"anyOf": [{"$ref": "#/components/schemas/Series"}, {"type": "null"}]})
        );
        let by_day = field("by_day", TypeRef::Dict(Primitive::Date, Box::new(prim(Primitive::Int))));
        assert_eq!(
            field_schema(&s, &by_day),
            json!({"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"format": "date"}, "title": "By Day"})
        );
        let mut amounts = field("amounts", TypeRef::List(Box::new(prim(Primitive::Decimal))));
        amounts.required = false;
        amounts.default = Some(Box::new(json!([1.5, "0010", 2])));
        assert_eq!(field_schema(&s, &amounts)["default"], json!(["1.5", "10", "2"]));
        let mut bound = field("bound", prim(Primitive::Float));
        bound.constraints.gt = Some(Number::Float(0.5));
        bound.constraints.le = Some(Number::Float(1e20));
        assert_eq!(
            field_schema(&s, &bound),
            json!({"type": "number", "exclusiveMinimum": 0.5, "maximum": 1e20, "title": "Bound"})
        );
    }

    #[test]
    fn draft07_wraps_references_with_siblings_in_all_of() {
        let ir = Ir::default();
        let s = schemas(&ir, Dialect::Draft07);
        let reference = json!({"$ref": "#/components/schemas/Kind"});
        let kind = field("kind", TypeRef::Enum("Kind".into()));
        assert_eq!(field_schema(&s, &kind), reference, "a bare reference stays one");
        let mut described = kind.clone();
        described.description = Some("The kind".into());
        described.readonly = true;
        assert_eq!(
            field_schema(&s, &described),
            json!({"allOf": [reference], "description": "The kind", "readOnly": true})
        );
        let mut with_default = field("child", TypeRef::Class("Child".into()));
        with_default.required = false;
        with_default.default = Some(Box::new(json!({"$ref": "data"})));
        assert_eq!(
            field_schema(&s, &with_default),
            json!({"allOf": [{"$ref": "#/components/schemas/Child"}], "default": {"$ref": "data"}})
        );
        let mut nullable = described.clone();
        nullable.nullable = true;
        assert_eq!(
            field_schema(&s, &nullable),
            json!({"anyOf": [reference, {"type": "null"}], "description": "The kind", "readOnly": true})
        );
        let mut listed = field("kinds", TypeRef::List(Box::new(TypeRef::Enum("Kind".into()))));
        listed.description = Some("Kinds".into());
        assert_eq!(
            field_schema(&s, &listed),
            json!({"type": "array", "items": reference, "title": "Kinds", "description": "Kinds"})
        );
        let draft2020 = schemas(&ir, Dialect::Draft2020_12);
        assert_eq!(
            field_schema(&draft2020, &described),
            json!({"$ref": "#/components/schemas/Kind", "description": "The kind", "readOnly": true})
        );
    }

    #[test]
    fn definitions_are_the_reachable_ones_sorted() {
        let class = |name: &str, fields: Vec<Field>| Class {
            name: name.into(),
            model: name.into(),
            variant: None,
            description: None,
            fields: fields.into_iter().map(Arc::new).collect(),
        };
        let ir = Ir {
            classes: vec![
                class("Tree", vec![field("kids", TypeRef::List(Box::new(TypeRef::Class("Tree".into()))))]),
                class("Alone", vec![]),
                class("Leaf", vec![field("kind", TypeRef::Enum("Kind".into()))]),
                class("Root", vec![field("leaf", TypeRef::Class("Leaf".into()))]),
            ],
            enums: vec![Enum { name: "Kind".into(), values: vec!["a".into(), "b".into()], description: None }],
            ..Ir::default()
        };
        let s = schemas(&ir, Dialect::Draft2020_12);
        let names: Vec<&str> = s.definitions(["Root", "Tree"]).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["Kind", "Leaf", "Root", "Tree"]);
        let all = written(|out| s.write_definitions(out, &s.all_definitions()));
        let names: Vec<&str> = all.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(names, ["Alone", "Kind", "Leaf", "Root", "Tree"]);
        assert_eq!(
            all["Alone"],
            json!({"type": "object", "title": "Alone", "properties": {}, "additionalProperties": false})
        );
        assert_eq!(all["Kind"], json!({"type": "string", "enum": ["a", "b"], "title": "Kind"}));
        assert_eq!(
            all["Leaf"],
            json!({
                "type": "object", "title": "Leaf",
                "properties": {"kind": {"$ref": "#/components/schemas/Kind"}},
                "required": ["kind"], "additionalProperties": false,
            })
        );
    }
}
