//! `services.yml`: the fleet.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::Spanned;

/// The services of the fleet (`services.yml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "specgen services.yml")]
pub struct ServicesFile {
    /// Format version; 2 is current.
    pub version: Option<Spanned<u32>>,
    /// The services.
    #[serde(default)]
    pub services: Vec<Spanned<ServiceSpec>>,
}

/// One service.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// snake_case name; also the directory under `services/`.
    pub name: Spanned<String>,
    /// What kind of service it is (default `default`).
    #[serde(rename = "type")]
    pub ty: Option<Spanned<ServiceType>>,
    /// Documentation.
    pub description: Option<String>,
    /// Part of the dev compose file (default true).
    pub dev_template: Option<bool>,
    /// Has a directory under `services/` (default true).
    pub scaffold: Option<bool>,
    /// The service wires its app itself (default false): its `main.py` scaffold includes the
    /// generated router (`generated.registry.create_api_router`) into an app of its own instead
    /// of calling the generated `create_app`.
    pub custom_wiring: Option<bool>,
    /// Services or infrastructure (`postgres`, `redis`) this one waits for, with the condition.
    #[serde(default)]
    pub depends_on: IndexMap<Spanned<String>, Spanned<DependsCondition>>,
    /// Compose profiles.
    #[serde(default)]
    pub profiles: Vec<String>,
}

/// Kinds of services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceType {
    /// A FastAPI app served by uvicorn.
    PythonFastapi,
    /// A FastStream worker.
    PythonFaststream,
    /// A plain Python process.
    Python,
    /// A Node.js service.
    Node,
    /// Unspecified.
    Default,
}

/// Compose `depends_on` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DependsCondition {
    /// Wait until the container started.
    ServiceStarted,
    /// Wait until its healthcheck passes.
    ServiceHealthy,
}
