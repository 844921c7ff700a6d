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
    /// The service builds from a hand-written `services/<svc>/custom.Dockerfile` instead of the
    /// generated `services/<svc>/Dockerfile` (default false).
    pub custom_dockerfile: Option<bool>,
    /// The port the service listens on and publishes on the host (default: 8000 for
    /// `python-fastapi`, 4321 for `node`, none otherwise).
    pub port: Option<Spanned<u32>>,
    /// What the service may reach besides the services its manifest calls and the events it
    /// uses: `postgres`, `redis`, `internet`, or another service's name. Compose networks follow
    /// it: a service joins only the networks of what it may reach.
    #[serde(default)]
    pub access: Vec<Spanned<String>>,
    /// Events the service publishes directly through `events.py` (not as an operation's
    /// result), e.g. a plain Python service; they make it a publisher in the fleet graph.
    #[serde(default)]
    pub publishes: Vec<Spanned<String>>,
    /// Services or infrastructure (`postgres`, `redis`) this one waits for, with the condition.
    #[serde(default)]
    pub depends_on: IndexMap<Spanned<String>, Spanned<DependsCondition>>,
    /// Compose profiles: the service starts only when one of them is active (`docker compose
    /// --profile <name> up`); without any it always starts. A name is a letter or digit followed
    /// by letters, digits, `_`, `.` or `-` (Compose's rule). A service that waits for this one
    /// (`depends_on`) must have profiles, all of them among these.
    #[serde(default)]
    #[schemars(inner(pattern(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")))]
    pub profiles: Vec<Spanned<String>>,
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
