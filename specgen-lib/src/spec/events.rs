//! `shared/spec/events.yaml`: async events, each a Redis Stream of the same name.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::Spanned;

/// The async events of the project (`shared/spec/events.yaml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "specgen events.yaml")]
pub struct EventsFile {
    /// Events by snake_case name; the name is the Redis Stream.
    #[serde(default)]
    pub events: IndexMap<Spanned<String>, EventSpec>,
}

/// One event.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Message class: a model or variant class name.
    pub message: Spanned<String>,
    /// Services may publish it.
    #[serde(default)]
    pub publish: bool,
    /// Services may subscribe to it.
    #[serde(default)]
    pub subscribe: bool,
    /// Documentation.
    pub description: Option<String>,
}
