//! specgen.toml: targets, Python version, output roots.

use camino::{Utf8Path, Utf8PathBuf};

use crate::diagnostics::{did_you_mean, Diagnostic, FileId, Span};
use crate::fileset::is_safe_relative;
use crate::spec::config::ConfigFile;
use crate::targets::{Options, Target};

use super::Ctx;

/// Parses specgen.toml; errors carry the span the TOML parser reports.
pub(crate) fn parse(file: FileId, text: &str) -> Result<ConfigFile, Diagnostic> {
    toml::from_str(text).map_err(|e| {
        let range = e.span().unwrap_or(0..0);
        let message = e.message().to_string();
        Diagnostic::error(
            "E0010",
            format!("invalid specgen.toml: {}", message.lines().next().unwrap_or("")),
            Span::new(file, range),
            "here",
        )
        .with_help("known keys: `targets`, `[python] version`, `[paths] shared_package`, `[paths] services_dir`")
    })
}

/// The Python version the output targets, as (major, minor).
pub(crate) fn python_version(config: Option<&(FileId, ConfigFile)>) -> (u8, u8) {
    config.and_then(|(_, c)| c.python.version.as_deref()).and_then(parse_version).unwrap_or((3, 11))
}

fn parse_version(v: &str) -> Option<(u8, u8)> {
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Lowers specgen.toml to [`Options`], reporting unknown targets, bad versions and unsafe roots.
pub(crate) fn lower(ctx: &mut Ctx, config: Option<&(FileId, ConfigFile)>) -> Options {
    let mut options = Options::default();
    let Some((file, config)) = config else { return options };
    let text = &ctx.sources.get(*file).text;
    // Why search the text: the TOML structs are shared with the JSON Schema and carry no spans;
    // the quoted value is found by its first occurrence, which is where users look.
    let locate = |needle: &str| match text.find(needle) {
        Some(i) => Span::new(*file, i..i + needle.len()),
        None => Span::file_start(*file),
    };
    if let Some(targets) = &config.targets {
        options.targets.clear();
        for name in targets {
            match Target::from_name(name) {
                Some(t) => {
                    options.targets.insert(t);
                }
                None => ctx.push(
                    Diagnostic::error(
                        "E0011",
                        format!("unknown target `{name}` in specgen.toml"),
                        locate(&format!("\"{name}\"")),
                        "unknown target",
                    )
                    .with_help(
                        did_you_mean(name, Target::ALL.iter().map(|t| t.name())).unwrap_or_else(|| {
                            format!(
                                "known targets: {}",
                                Target::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
                            )
                        }),
                    ),
                ),
            }
        }
    }
    if let Some(v) = &config.python.version {
        if !parse_version(v).is_some_and(|(major, minor)| major == 3 && minor >= 11) {
            ctx.push(
                Diagnostic::error(
                    "E0012",
                    format!("unsupported Python version `{v}`"),
                    locate(&format!("\"{v}\"")),
                    "in `[python] version`",
                )
                .with_help("generated code needs Python 3.11 or later (StrEnum); write e.g. `version = \"3.12\"`"),
            );
        }
    }
    for (key, value, slot) in [
        ("shared_package", &config.paths.shared_package, &mut options.roots.shared_package),
        ("services_dir", &config.paths.services_dir, &mut options.roots.services_dir),
    ] {
        if let Some(v) = value {
            let trimmed = v.trim_end_matches('/');
            if is_safe_relative(Utf8Path::new(trimmed)) {
                *slot = Utf8PathBuf::from(trimmed);
            } else {
                ctx.push(
                    Diagnostic::error(
                        "E0013",
                        format!("`[paths] {key} = \"{v}\"` would leave the output root"),
                        locate(&format!("\"{v}\"")),
                        "unsafe path",
                    )
                    .with_help("use a relative path without `..`, e.g. `shared/shared/generated`"),
                );
            }
        }
    }
    options
}
