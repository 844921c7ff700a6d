//! `specgen.toml`: optional project settings.

use schemars::JsonSchema;
use serde::Deserialize;

/// Project settings (`specgen.toml`, optional).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "specgen.toml")]
pub struct ConfigFile {
    /// Targets to generate (default: every target except `rust`): `pydantic`, `fastapi`,
    /// `client`, `openapi`, `typescript`, `events`, `asyncapi`, `compose`, `schemathesis`,
    /// `graph`, and the opt-in `rust` (serde types for Rust services).
    pub targets: Option<Vec<String>>,
    /// Python settings.
    #[serde(default)]
    pub python: PythonConfig,
    /// Output roots, relative to the output directory.
    #[serde(default)]
    pub paths: PathsConfig,
}

/// Python settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PythonConfig {
    /// Python version the generated code targets, `"3.11"` or later (default `"3.11"`).
    pub version: Option<String>,
}

/// Output roots.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathsConfig {
    /// The shared generated Python package (default `shared/shared/generated`): a relative path
    /// of letters, digits, `.`, `_`, `-` and `/`, whose directories after the first (the project
    /// directory) are Python module names (`shared/shared/generated` is `shared.generated`).
    pub shared_package: Option<String>,
    /// The directory holding one directory per service (default `services`): a relative path of
    /// letters, digits, `.`, `_`, `-` and `/`.
    pub services_dir: Option<String>,
}
