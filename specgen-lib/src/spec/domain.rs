//! `services/<svc>/spec/<domain>.yaml`: one domain's operations, REST and/or events.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::models::TypeExpr;
use super::{string_or_map, Num, Spanned};

/// One domain of a service (`services/<svc>/spec/<domain>.yaml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "specgen domain spec")]
pub struct DomainFile {
    /// Informational; must equal the file stem if present.
    pub domain: Option<Spanned<String>>,
    /// Domain-wide settings.
    pub config: Option<DomainConfig>,
    /// Operations by snake_case name (their `operationId` and method name), in generation order.
    #[serde(default)]
    pub operations: IndexMap<Spanned<String>, OperationSpec>,
}

/// Domain-wide settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainConfig {
    /// REST settings shared by the domain's operations.
    pub rest: Option<RestConfig>,
}

/// REST settings of a domain.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestConfig {
    /// Path prefix of every operation, e.g. `/books` (empty or starting with `/`).
    pub prefix: Option<Spanned<String>>,
    /// OpenAPI tags of every operation.
    pub tags: Option<Vec<String>>,
}

/// One operation.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    /// One-line summary (OpenAPI `summary`, docstrings).
    pub summary: Option<String>,
    /// Longer description.
    pub description: Option<String>,
    /// Request body or consumed message: a model or variant class name.
    pub input: Option<Spanned<String>>,
    /// Response body: a model or variant class, or `list[...]` of one. Absent = no body.
    pub output: Option<Spanned<String>>,
    /// Path and query parameters.
    #[serde(default)]
    pub params: Vec<ParamDef>,
    /// REST binding.
    pub rest: Option<Spanned<RestSpec>>,
    /// Event binding.
    pub events: Option<Spanned<OperationEventsSpec>>,
}

/// A parameter: a bare name (a required `string` path parameter) or a map.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum ParamDef {
    /// A bare name: a required string path parameter.
    Short(Spanned<String>),
    /// The full form.
    Full(Box<ParamSpec>),
}
string_or_map!(ParamDef, "a parameter name or a parameter map");

// The default, the constraints and the values are boxed, as in `FieldSpec`: inline they made every
// parameter 496 bytes, now 208.
/// A parameter in its full form.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    /// Name; for path parameters, the `{placeholder}` in the path.
    pub name: Spanned<String>,
    /// Type (default `string`): a primitive, an enum, or for query parameters a list of either.
    #[serde(rename = "type")]
    pub ty: Option<TypeExpr>,
    /// Where the value comes from (default `path`).
    pub source: Option<Spanned<ParamSource>>,
    /// Whether the parameter must be given (default true; path parameters always are).
    pub required: Option<Spanned<bool>>,
    /// Default value (query parameters).
    pub default: Option<Box<Spanned<serde_json::Value>>>,
    /// Documentation.
    pub description: Option<String>,
    /// Minimum (inclusive).
    pub ge: Option<Box<Spanned<Num>>>,
    /// Minimum (exclusive).
    pub gt: Option<Box<Spanned<Num>>>,
    /// Maximum (inclusive).
    pub le: Option<Box<Spanned<Num>>>,
    /// Maximum (exclusive).
    pub lt: Option<Box<Spanned<Num>>>,
    /// Minimum string length.
    pub min_length: Option<Box<Spanned<u64>>>,
    /// Maximum string length.
    pub max_length: Option<Box<Spanned<u64>>>,
    /// Regular expression.
    pub pattern: Option<Box<Spanned<String>>>,
    /// Enum values, only with `type: enum`.
    pub values: Option<Box<Spanned<Vec<Spanned<String>>>>>,
}

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamSource {
    /// A `{placeholder}` in the path.
    Path,
    /// The query string.
    Query,
}

/// The REST binding of an operation.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestSpec {
    /// HTTP method.
    pub method: Spanned<HttpMethod>,
    /// Path after the domain prefix: `""`, `/{book_id}`…
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    /// Success status (default: POST 201, DELETE 204, otherwise 200).
    pub status: Option<Spanned<u16>>,
}

/// HTTP methods (upper case; lower case is accepted for the template's specs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET
    #[serde(alias = "get")]
    Get,
    /// POST
    #[serde(alias = "post")]
    Post,
    /// PUT
    #[serde(alias = "put")]
    Put,
    /// PATCH
    #[serde(alias = "patch")]
    Patch,
    /// DELETE
    #[serde(alias = "delete")]
    Delete,
}

// Written by hand because schemars does not list serde aliases: the schema must accept
// exactly what the reader accepts.
impl JsonSchema for HttpMethod {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HttpMethod".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "HTTP method.",
            "type": "string",
            "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "get", "post", "put", "patch", "delete"]
        })
    }
}

/// The event binding of an operation.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationEventsSpec {
    /// Event (Redis Stream) this operation consumes; needs `input`.
    pub subscribe: Option<Spanned<String>>,
    /// Event the output is published to after success; needs `output`.
    pub publish_on_success: Option<Spanned<String>>,
    /// Event an error report is published to when the operation fails.
    pub publish_on_error: Option<Spanned<String>>,
}
