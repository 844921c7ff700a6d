//! `services/<svc>/spec/manifest.yaml`: what a service consumes from others.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Spanned;

/// What this service calls on other services (`services/<svc>/spec/manifest.yaml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "specgen manifest.yaml")]
pub struct ManifestFile {
    /// REST operations of other services this service calls; drives its typed clients.
    #[serde(default)]
    pub consumes: Vec<Spanned<ConsumeSpec>>,
}

/// One consumed domain.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsumeSpec {
    /// The called service.
    pub service: Spanned<String>,
    /// Its domain (file stem).
    pub domain: Spanned<String>,
    /// Operations called; empty or absent = all of the domain's REST operations.
    pub operations: Option<Vec<Spanned<String>>>,
}
