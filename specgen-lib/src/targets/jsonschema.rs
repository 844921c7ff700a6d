//! JSON Schemas of the IR's classes and enums, in the dialect of OpenAPI 3.1 (JSON Schema draft
//! 2020-12), built as `serde_json` values. AsyncAPI 3 schemas are draft-07, where keywords
//! beside a `$ref` are ignored: the `asyncapi` target wraps such `$ref`s in `allOf`.
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

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use crate::ir::{Class, Constraints, Enum, Field, Ir, Number, Primitive, TypeRef};

/// The pattern on the string branch of a decimal: optional sign, digits with an optional point
/// (or a point and digits), optional exponent. Covers `str(Decimal)` of every finite decimal.
pub const DECIMAL_PATTERN: &str = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$";

/// The `propertyNames` pattern of `int` dict keys (what Pydantic writes: `str(int)`).
pub const INT_KEY_PATTERN: &str = r"^-?[0-9]+$";

/// Builds schemas for one IR, with references of the form `<ref_prefix><Name>`.
#[derive(Debug)]
pub struct Schemas<'a> {
    ir: &'a Ir,
    ref_prefix: &'a str,
    classes: HashMap<&'a str, &'a Class>,
    enums: HashMap<&'a str, &'a Enum>,
}

impl<'a> Schemas<'a> {
    /// Schemas of `ir`'s classes and enums; `ref_prefix` is what precedes a name in a `$ref`,
    /// e.g. `#/components/schemas/`.
    pub fn new(ir: &'a Ir, ref_prefix: &'a str) -> Schemas<'a> {
        Schemas {
            ir,
            ref_prefix,
            classes: ir.classes.iter().map(|c| (c.name.as_str(), c)).collect(),
            enums: ir.enums.iter().map(|e| (e.name.as_str(), e)).collect(),
        }
    }

    /// `{"$ref": "<prefix><name>"}`.
    /// The class called `name`.
    pub fn class_named(&self, name: &str) -> Option<&'a Class> {
        self.classes.get(name).copied()
    }

    /// A `$ref` to the class or enum called `name`.
    pub fn reference(&self, name: &str) -> Value {
        json!({ "$ref": format!("{}{name}", self.ref_prefix) })
    }

    /// The schema of a class.
    pub fn class(&self, class: &Class) -> Value {
        let mut out = Map::new();
        out.insert("type".into(), json!("object"));
        out.insert("title".into(), json!(class.name));
        if let Some(description) = described(class.description.as_deref()) {
            out.insert("description".into(), json!(description));
        }
        let properties: Map<String, Value> = class.fields.iter().map(|f| (f.name.clone(), self.field(f))).collect();
        out.insert("properties".into(), Value::Object(properties));
        let required: Vec<&str> = class.fields.iter().filter(|f| is_required(f)).map(|f| f.name.as_str()).collect();
        if !required.is_empty() {
            out.insert("required".into(), json!(required));
        }
        out.insert("additionalProperties".into(), json!(false));
        Value::Object(out)
    }

    /// The schema of an enum: `{type: string, enum: [...], title, description}`.
    pub fn enum_(&self, e: &Enum) -> Value {
        let mut out = Map::new();
        out.insert("type".into(), json!("string"));
        out.insert("enum".into(), json!(e.values));
        out.insert("title".into(), json!(e.name));
        if let Some(description) = described(e.description.as_deref()) {
            out.insert("description".into(), json!(description));
        }
        Value::Object(out)
    }

    /// The schema of a field as a property of its class.
    pub fn field(&self, field: &Field) -> Value {
        let (ty, optional_type) = match &field.ty {
            TypeRef::Optional(inner) => (inner.as_ref(), true),
            ty => (ty, false),
        };
        let nullable_field = optional_type || field.nullable || (!field.required && field.default.is_none());
        let mut schema = self.type_schema(ty, &field.constraints);
        if nullable_field {
            schema = nullable(schema);
        }
        let mut out = into_map(schema);
        if title_is_set(ty) {
            out.insert("title".into(), json!(python_title(&field.name)));
        }
        if let Some(description) = &field.description {
            // As Pydantic: not repeated on a bare reference to an enum that already says it.
            let said = match &field.ty {
                TypeRef::Enum(name) if !nullable_field => {
                    self.enums.get(name.as_str()).is_some_and(|e| e.description == field.description)
                }
                _ => false,
            };
            if !said {
                out.insert("description".into(), json!(description));
            }
        }
        match &field.default {
            Some(value) => {
                out.insert("default".into(), wire_value(&field.ty, value));
            }
            None if !field.required => {
                out.insert("default".into(), Value::Null);
            }
            None => {}
        }
        if field.readonly {
            out.insert("readOnly".into(), json!(true));
        }
        Value::Object(out)
    }

    /// The schema of a type, with `constraints` applied to it (to the value inside any
    /// `{type: optional}`; to the number branch of a decimal).
    pub fn type_schema(&self, ty: &TypeRef, constraints: &Constraints) -> Value {
        match ty {
            TypeRef::Primitive(p) => primitive(*p, constraints),
            TypeRef::List(inner) => {
                let mut out = Map::new();
                out.insert("type".into(), json!("array"));
                out.insert("items".into(), self.type_schema(inner, &Constraints::default()));
                if let Some(n) = constraints.min_length {
                    out.insert("minItems".into(), json!(n));
                }
                if let Some(n) = constraints.max_length {
                    out.insert("maxItems".into(), json!(n));
                }
                Value::Object(out)
            }
            TypeRef::Dict(key, value) => {
                let mut out = Map::new();
                out.insert("type".into(), json!("object"));
                out.insert("additionalProperties".into(), self.type_schema(value, &Constraints::default()));
                if let Some(names) = key_names(*key) {
                    out.insert("propertyNames".into(), names);
                }
                Value::Object(out)
            }
            TypeRef::Optional(inner) => nullable(self.type_schema(inner, constraints)),
            TypeRef::Enum(name) | TypeRef::Class(name) => self.reference(name),
        }
    }

    /// The schemas of the classes and enums reachable from `roots` (class or enum names),
    /// through fields, transitively, sorted by name. Unknown names are skipped (the IR's
    /// invariants say there are none).
    pub fn definitions<'n>(&self, roots: impl IntoIterator<Item = &'n str>) -> Map<String, Value> {
        let mut found: BTreeMap<&'a str, Value> = BTreeMap::new();
        let mut stack: Vec<&str> = roots.into_iter().collect();
        while let Some(name) = stack.pop() {
            if found.contains_key(name) {
                continue;
            }
            if let Some((&key, class)) = self.classes.get_key_value(name) {
                found.insert(key, self.class(class));
                for field in &class.fields {
                    named_types(&field.ty, &mut stack);
                }
            } else if let Some((&key, e)) = self.enums.get_key_value(name) {
                found.insert(key, self.enum_(e));
            }
        }
        found.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// The schemas of every class and enum of the IR, sorted by name.
    pub fn all_definitions(&self) -> Map<String, Value> {
        let names =
            self.ir.classes.iter().map(|c| c.name.as_str()).chain(self.ir.enums.iter().map(|e| e.name.as_str()));
        self.definitions(names)
    }
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

/// `schema` or null: `anyOf: [schema, {type: null}]`, flattened into `schema`'s own `anyOf`
/// when that is all it has; unchanged when it already admits null that way.
pub fn nullable(schema: Value) -> Value {
    let null_type = json!({ "type": "null" });
    match schema {
        Value::Object(mut map) if map.len() == 1 && map.get("anyOf").is_some_and(Value::is_array) => {
            if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
                if !branches.contains(&null_type) {
                    branches.push(null_type);
                }
            }
            Value::Object(map)
        }
        other => json!({ "anyOf": [other, null_type] }),
    }
}

/// `value` (a default or example as written in the spec) in the form the Pydantic class writes it
/// for a `ty`: decimals become strings (`Decimal` serializes as text), the rest is unchanged.
pub fn wire_value(ty: &TypeRef, value: &Value) -> Value {
    match (ty, value) {
        (TypeRef::Primitive(Primitive::Decimal), Value::Number(n)) => json!(decimal_text(&n.to_string())),
        (TypeRef::Primitive(Primitive::Decimal), Value::String(s)) => json!(decimal_text(s)),
        (TypeRef::Optional(inner), value) => wire_value(inner, value),
        (TypeRef::List(inner), Value::Array(items)) => {
            Value::Array(items.iter().map(|item| wire_value(inner, item)).collect())
        }
        (TypeRef::Dict(_, inner), Value::Object(map)) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), wire_value(inner, v))).collect())
        }
        _ => value.clone(),
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

/// The schema of a primitive with its constraints.
fn primitive(p: Primitive, c: &Constraints) -> Value {
    let mut out = Map::new();
    match p {
        Primitive::Int => {
            out.insert("type".into(), json!("integer"));
            bounds(&mut out, c);
        }
        Primitive::Float => {
            out.insert("type".into(), json!("number"));
            bounds(&mut out, c);
        }
        Primitive::String => {
            out.insert("type".into(), json!("string"));
            if let Some(n) = c.min_length {
                out.insert("minLength".into(), json!(n));
            }
            if let Some(n) = c.max_length {
                out.insert("maxLength".into(), json!(n));
            }
            if let Some(pattern) = &c.pattern {
                out.insert("pattern".into(), json!(pattern));
            }
        }
        Primitive::Bool => {
            out.insert("type".into(), json!("boolean"));
        }
        Primitive::Datetime | Primitive::Date | Primitive::Uuid => {
            out.insert("type".into(), json!("string"));
            out.insert("format".into(), json!(string_format(p)));
        }
        Primitive::Decimal => {
            let mut number = Map::new();
            number.insert("type".into(), json!("number"));
            bounds(&mut number, c);
            let string = json!({ "type": "string", "pattern": DECIMAL_PATTERN });
            out.insert("anyOf".into(), json!([number, string]));
        }
    }
    Value::Object(out)
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

fn bounds(out: &mut Map<String, Value>, c: &Constraints) {
    for (key, bound) in [("minimum", c.ge), ("exclusiveMinimum", c.gt), ("maximum", c.le), ("exclusiveMaximum", c.lt)] {
        if let Some(n) = bound {
            out.insert(key.into(), number(n));
        }
    }
}

/// A spec number as JSON: integers stay integers.
pub fn number(n: Number) -> Value {
    match n {
        Number::Int(i) => json!(i),
        Number::Float(f) => serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null),
    }
}

/// `propertyNames` of a dict with keys of type `key`.
fn key_names(key: Primitive) -> Option<Value> {
    match key {
        Primitive::Datetime | Primitive::Date | Primitive::Uuid => Some(json!({ "format": string_format(key) })),
        Primitive::Int => Some(json!({ "pattern": INT_KEY_PATTERN })),
        Primitive::Bool => Some(json!({ "enum": ["true", "false"] })),
        Primitive::String | Primitive::Float | Primitive::Decimal => None,
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
    let mut previous_cased = false;
    for c in name.chars() {
        let cased = c.is_uppercase() || c.is_lowercase();
        if cased && !previous_cased {
            out.extend(c.to_uppercase());
        } else if cased {
            out.extend(c.to_lowercase());
        } else if c == '_' {
            out.push(' ');
        } else {
            out.push(c);
        }
        previous_cased = cased;
    }
    out.trim().to_string()
}

/// Text worth writing as a description (not empty or blank).
fn described(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => {
            let mut map = Map::new();
            map.insert("allOf".into(), json!([other]));
            map
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, ty: TypeRef) -> Field {
        Field::plain(name, ty)
    }

    fn prim(p: Primitive) -> TypeRef {
        TypeRef::Primitive(p)
    }

    fn schemas(ir: &Ir) -> Schemas<'_> {
        Schemas::new(ir, "#/components/schemas/")
    }

    #[test]
    fn titles_follow_python() {
        assert_eq!(python_title("author_id"), "Author Id");
        assert_eq!(python_title("isbn13x"), "Isbn13X");
        assert_eq!(python_title("model_config"), "Model Config");
        assert_eq!(python_title("_private_"), "Private");
        assert_eq!(python_title("HTTPStatus"), "Httpstatus");
        assert_eq!(python_title("ünïcode_x"), "Ünïcode X");
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
    fn nullable_flattens_any_of() {
        let ir = Ir::default();
        let s = schemas(&ir);
        let decimal = s.type_schema(&prim(Primitive::Decimal), &Constraints::default());
        let once = nullable(decimal);
        assert_eq!(once["anyOf"].as_array().unwrap().len(), 3);
        assert_eq!(nullable(once.clone()), once);
        assert_eq!(nullable(json!({"type": "integer"})), json!({"anyOf": [{"type": "integer"}, {"type": "null"}]}));
        let with_sibling = json!({"anyOf": [{"type": "integer"}], "title": "X"});
        assert_eq!(nullable(with_sibling.clone())["anyOf"][0], with_sibling);
    }

    #[test]
    fn fields_of_every_shape() {
        let ir = Ir::default();
        let s = schemas(&ir);
        let mut price = field("price", prim(Primitive::Decimal));
        price.required = false;
        price.nullable = true;
        price.constraints.ge = Some(Number::Int(0));
        price.description = Some("Paid".into());
        assert_eq!(
            s.field(&price),
            json!({
                "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": DECIMAL_PATTERN}, {"type": "null"}],
                "title": "Price", "description": "Paid", "default": null,
            })
        );
        let mut status = field("status", TypeRef::Enum("BookStatus".into()));
        status.required = false;
        status.default = Some(json!("wishlist"));
        assert_eq!(s.field(&status), json!({"$ref": "#/components/schemas/BookStatus", "default": "wishlist"}));
        let mut tags = field("tags", TypeRef::List(Box::new(prim(Primitive::String))));
        tags.constraints.max_length = Some(20);
        tags.readonly = true;
        assert_eq!(
            s.field(&tags),
            json!({"type": "array", "items": {"type": "string"}, "maxItems": 20, "title": "Tags", "readOnly": true})
        );
        let series = field("series", TypeRef::Optional(Box::new(TypeRef::Class("Series".into()))));
        assert_eq!(s.field(&series), json!({"anyOf": [{"$ref": "#/components/schemas/Series"}, {"type": "null"}]}));
        let by_day = field("by_day", TypeRef::Dict(Primitive::Date, Box::new(prim(Primitive::Int))));
        assert_eq!(
            s.field(&by_day),
            json!({"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"format": "date"}, "title": "By Day"})
        );
        let mut amounts = field("amounts", TypeRef::List(Box::new(prim(Primitive::Decimal))));
        amounts.required = false;
        amounts.default = Some(json!([1.5, "0010", 2]));
        assert_eq!(s.field(&amounts)["default"], json!(["1.5", "10", "2"]));
    }

    #[test]
    fn definitions_are_the_reachable_ones_sorted() {
        let class = |name: &str, fields: Vec<Field>| Class {
            name: name.into(),
            model: name.into(),
            variant: None,
            description: None,
            fields,
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
        let s = schemas(&ir);
        let names: Vec<String> = s.definitions(["Root", "Tree"]).keys().cloned().collect();
        assert_eq!(names, ["Kind", "Leaf", "Root", "Tree"]);
        assert_eq!(s.all_definitions().len(), 5);
        assert_eq!(
            s.class(&ir.classes[1]),
            json!({"type": "object", "title": "Alone", "properties": {}, "additionalProperties": false})
        );
    }
}
