//! `shared/spec/models.yaml`: data models, their fields and variants.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{string_or_map, Num, Spanned};

/// The data models of the project (`shared/spec/models.yaml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "specgen models.yaml")]
pub struct ModelsFile {
    /// Models by PascalCase name. Each becomes a Pydantic class, plus one class per variant.
    #[serde(default)]
    pub models: IndexMap<Spanned<String>, ModelSpec>,
}

/// One data model.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Documentation; becomes the class docstring and the OpenAPI description.
    pub description: Option<String>,
    /// Fields by snake_case name (the name on the wire), in the order they are generated.
    pub fields: IndexMap<Spanned<String>, FieldDef>,
    /// Variants by name (`Create`, `Read`, `Update`, `Patch`, `Summary`…). Each becomes a class
    /// `<Model><Variant>`. Readonly fields are dropped from `Create`, `Update` and `Patch`.
    #[serde(default)]
    pub variants: IndexMap<Spanned<String>, VariantSpec>,
}

/// A field: a bare type (`string`, `list[int]`, `Author`) or a map with the type and its options.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum FieldDef {
    /// A bare type string: `string`, `list[Tag]`, a model or variant class name.
    Short(Spanned<String>),
    /// The full form.
    Full(Box<FieldSpec>),
}
string_or_map!(FieldDef, "a type string or a field map");

// The constraints, the default and the values are boxed: each field has few of them, and inline
// they made every field 432 bytes where it is now 144 (a 1,000-model project holds ~12,500 fields
// in this form, all kept until the end of a run). Not a doc comment: those are the schema's text.
/// A field in its full form.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The type: a primitive (`int`, `float`, `string`, `bool`, `datetime`, `date`, `uuid`,
    /// `decimal`), `list[T]`, `dict[K, V]`, `enum` (with `values`), a model or variant class name,
    /// or the map form `{type: list, of: T}`, `{type: dict, key: K, value: V}`,
    /// `{type: optional, of: T}`, `{type: enum, values: [...]}`.
    #[serde(rename = "type")]
    pub ty: TypeExpr,
    /// Minimum (inclusive); JSON Schema `minimum`.
    pub ge: Option<Box<Spanned<Num>>>,
    /// Minimum (exclusive); JSON Schema `exclusiveMinimum`.
    pub gt: Option<Box<Spanned<Num>>>,
    /// Maximum (inclusive); JSON Schema `maximum`.
    pub le: Option<Box<Spanned<Num>>>,
    /// Maximum (exclusive); JSON Schema `exclusiveMaximum`.
    pub lt: Option<Box<Spanned<Num>>>,
    /// Minimum length of a string or list.
    pub min_length: Option<Box<Spanned<u64>>>,
    /// Maximum length of a string or list.
    pub max_length: Option<Box<Spanned<u64>>>,
    /// Regular expression a string must match (seen by Python `re` and JSON Schema alike).
    pub pattern: Option<Box<Spanned<String>>>,
    /// Documentation: `Field(description=…)`, OpenAPI `description`.
    pub description: Option<String>,
    /// Server-set: excluded from the `Create`, `Update` and `Patch` variants; `readOnly` in OpenAPI.
    #[serde(default)]
    pub readonly: bool,
    /// May be absent and may be null, in the base model and in every variant.
    #[serde(default)]
    pub optional: bool,
    /// Default value; must satisfy the type and constraints. `null` means "no default".
    pub default: Option<Box<Spanned<serde_json::Value>>>,
    /// Enum values, only with `type: enum`: at least two, unique identifiers not starting with `_`.
    pub values: Option<Box<Spanned<Vec<Spanned<String>>>>>,
}

/// A type: shorthand string or full map form.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum TypeExpr {
    /// Shorthand: `int`, `list[string]`, `dict[string, int]`, `BookRead`, `enum` (with `values`
    /// next to it).
    Short(Spanned<String>),
    /// Full form: `{type: list, of: T}` and friends.
    Full(Box<TypeSpec>),
}
string_or_map!(TypeExpr, "a type string or a type map");

/// The full (map) form of a type.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    /// `list`, `dict`, `optional`, `enum`, a primitive, or a class name.
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    /// Element type of `list` and `optional`.
    pub of: Option<TypeExpr>,
    /// Key type of `dict` (a primitive).
    pub key: Option<TypeExpr>,
    /// Value type of `dict`.
    pub value: Option<TypeExpr>,
    /// Values of `enum`.
    pub values: Option<Spanned<Vec<Spanned<String>>>>,
    /// Default of the enum (the template's form); same rules as a field default.
    pub default: Option<Spanned<serde_json::Value>>,
}

/// A variant of a model: which fields to drop and which to make optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// Fields left out of this variant.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Fields that may be absent in this variant (e.g. every field of a `Patch`).
    #[serde(default)]
    pub optional: Vec<Spanned<String>>,
}
