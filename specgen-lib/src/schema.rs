//! The published JSON Schemas (draft-07) of the spec files, generated from the structs in
//! [`crate::spec`], so there is no second description of the format to drift.

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;

use crate::fileset::FileSet;
use crate::spec;

/// Every schema as `json-schema/<name>.schema.json` → pretty JSON with a final newline.
pub fn render() -> FileSet {
    let mut files = FileSet::new();
    add::<spec::models::ModelsFile>(&mut files, "models");
    add::<spec::domain::DomainFile>(&mut files, "domain");
    add::<spec::events::EventsFile>(&mut files, "events");
    add::<spec::manifest::ManifestFile>(&mut files, "manifest");
    add::<spec::services::ServicesFile>(&mut files, "services");
    add::<spec::config::ConfigFile>(&mut files, "specgen-toml");
    files
}

fn add<T: JsonSchema>(files: &mut FileSet, name: &str) {
    let generator = SchemaSettings::draft07().for_deserialize().into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialize");
    text.push('\n');
    files.generated(format!("{name}.schema.json"), text);
}
