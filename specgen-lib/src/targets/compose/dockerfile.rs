//! `<services_dir>/<svc>/Dockerfile`: the image of one service, by its type.
//!
//! The build context is the project root (compose builds with context `..` from `infra/`), so
//! paths are project-relative and the image mirrors the project under `/app`:
//! `/app/<services_dir>/<svc>/src` and `/app/<shared project>/<shared package>`.
//!
//! Python services (`python-fastapi`, `python-faststream`, `python`, and `default`, which
//! builds like `python`) have three stages:
//!
//! - `base`: `python:<major>.<minor>-slim` (`[python] version`), the service's
//!   `requirements*.txt` copied and `requirements.txt` installed (the user's file: specgen
//!   does not write it; it lists every package the service imports, those of the shared
//!   package's generated code included), then only the shared package and the service's
//!   `src/` (so `.env`, tests and local caches stay out of the image), `PYTHONPATH` set to both
//!   import roots (docs/generated-python.md), working directory `src/`;
//! - `tests`: `base` plus `requirements-dev.txt` when the service has one (pytest…), run as
//!   `python -m pytest tests` from the service directory (infra/compose.tests.unit.yml builds
//!   this stage and mounts the service directory);
//! - `runtime`, the last and so the default stage: the command of the service's type —
//!   `uvicorn main:app --host 0.0.0.0 --port <port>` for FastAPI, `python main.py` otherwise.
//!
//! Node services: `node:22-slim`, `npm ci` from `package*.json` (commit a lock file), the
//! service directory and the shared package copied, `npm run build --if-present`, `npm start`
//! with `HOST=0.0.0.0` and `PORT=<port>`. The whole service directory is copied: keep
//! `node_modules` and `.env` out of the build context with a `.dockerignore` at the project
//! root.
//!
//! Every image runs as uid/gid 1000 (`USER 1000:1000`; compose runs it as
//! `HOST_UID:HOST_GID`, default the same). Health checks are compose's business, not the
//! image's.

use crate::ir::{Service, ServiceKind};

use super::Layout;

/// The base image of Node.js services.
pub const NODE_IMAGE: &str = "node:22-slim";

/// The user every generated image runs as (compose's default `HOST_UID:HOST_GID` too).
const USER: &str = "1000:1000";

/// The Dockerfile of `service`, starting with `banner`.
pub fn render(service: &Service, python_version: (u8, u8), layout: &Layout, banner: &str) -> String {
    let mut out = String::from(banner);
    match service.kind {
        ServiceKind::Node => node(&mut out, service, layout),
        _ => python(&mut out, service, python_version, layout),
    }
    out
}

fn header(out: &mut String, service: &Service, layout: &Layout, notes: &str) {
    let dir = layout.service_dir(&service.name);
    let like = if service.kind == ServiceKind::Default { ", built like `python`" } else { "" };
    let intro = format!(
        "The image of `{}` ({}{like}). Build it from the project root, as infra/compose.base.yml does (context \
         `..`):",
        service.name,
        service.kind.spec_name()
    );
    let mut text = String::new();
    if service.custom_dockerfile {
        text.push_str(&format!(
            "Not used by the compose files: `custom_dockerfile: true` builds {dir}/custom.Dockerfile (yours); this \
             file is a reference to start it from. "
        ));
    }
    text.push_str(notes);
    let mut lines = vec![String::new()];
    lines.extend(super::wrap(&intro, super::COMMENT_WIDTH));
    lines.extend([String::new(), format!("  docker build -f {dir}/Dockerfile ."), String::new()]);
    lines.extend(super::wrap(&text, super::COMMENT_WIDTH));
    for line in lines {
        out.push_str(if line.is_empty() { "#" } else { "# " });
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
}

fn python(out: &mut String, service: &Service, (major, minor): (u8, u8), layout: &Layout) {
    let dir = layout.service_dir(&service.name);
    let app_dir = format!("/app/{dir}");
    let shared = &layout.shared_copy;
    header(
        out,
        service,
        layout,
        &format!(
            "{dir}/requirements.txt is yours (specgen does not write it): every package the service imports, those \
             of the shared package's generated code included (pydantic, httpx, faststream[redis]; fastapi and \
             uvicorn for a FastAPI service). The `tests` stage adds {dir}/requirements-dev.txt when it exists \
             (pytest…). The image holds only src/ and the shared package: the service's .env and tests stay out."
        ),
    );
    out.push_str(&format!("FROM python:{major}.{minor}-slim AS base\n"));
    out.push_str("ENV PYTHONDONTWRITEBYTECODE=1 \\\n    PYTHONUNBUFFERED=1 \\\n    PIP_NO_CACHE_DIR=1 \\\n");
    out.push_str("    PIP_DISABLE_PIP_VERSION_CHECK=1 \\\n");
    out.push_str(&format!("    PYTHONPATH={app_dir}/src:{}\n", layout.shared_import_root));
    out.push_str(&format!("WORKDIR {app_dir}\n"));
    out.push_str(&format!("COPY {dir}/requirements*.txt ./\n"));
    out.push_str("RUN pip install -r requirements.txt\n");
    out.push_str(&format!("COPY {shared}/ /app/{shared}/\n"));
    out.push_str(&format!("COPY {dir}/src/ ./src/\n"));
    out.push_str(&format!("WORKDIR {app_dir}/src\n\n"));

    out.push_str("FROM base AS tests\n");
    out.push_str("RUN if [ -f ../requirements-dev.txt ]; then pip install -r ../requirements-dev.txt; fi\n");
    out.push_str(&format!("WORKDIR {app_dir}\n"));
    out.push_str(&format!("USER {USER}\n"));
    out.push_str(&exec("CMD", &test_command()));
    out.push('\n');

    out.push_str("FROM base AS runtime\n");
    out.push_str(&format!("USER {USER}\n"));
    if let Some(port) = service.port().filter(|_| service.kind == ServiceKind::PythonFastapi) {
        out.push_str(&format!("EXPOSE {port}\n"));
    }
    out.push_str(&exec("CMD", &run_command(service)));
}

fn node(out: &mut String, service: &Service, layout: &Layout) {
    let dir = layout.service_dir(&service.name);
    let shared = &layout.shared_copy;
    let port = service.port().unwrap_or(4321);
    header(
        out,
        service,
        layout,
        "npm ci needs a package-lock.json. The whole service directory is copied: keep node_modules and .env out \
         of the build context (a .dockerignore at the project root). `npm start` serves on $HOST:$PORT.",
    );
    out.push_str(&format!("FROM {NODE_IMAGE} AS runtime\n"));
    out.push_str(&format!("ENV HOST=0.0.0.0 \\\n    PORT={port}\n"));
    out.push_str(&format!("WORKDIR /app/{dir}\n"));
    out.push_str(&format!("COPY {dir}/package*.json ./\n"));
    out.push_str("RUN npm ci\n");
    out.push_str(&format!("COPY {shared}/ /app/{shared}/\n"));
    out.push_str(&format!("COPY {dir}/ ./\n"));
    out.push_str("RUN npm run build --if-present\n");
    out.push_str(&format!("USER {USER}\n"));
    out.push_str(&format!("EXPOSE {port}\n"));
    out.push_str(&exec("CMD", &run_command(service)));
}

/// The command the runtime image runs.
pub fn run_command(service: &Service) -> Vec<String> {
    let words: Vec<String> = match (service.kind, service.port()) {
        (ServiceKind::PythonFastapi, Some(port)) => {
            vec![
                "uvicorn".into(),
                "main:app".into(),
                "--host".into(),
                "0.0.0.0".into(),
                "--port".into(),
                port.to_string(),
            ]
        }
        (ServiceKind::Node, _) => vec!["npm".into(), "start".into()],
        _ => vec!["python".into(), "main.py".into()],
    };
    words
}

/// The command of the `tests` stage (and of the unit-test compose services).
pub fn test_command() -> Vec<String> {
    ["python", "-m", "pytest", "tests"].map(String::from).to_vec()
}

/// An instruction in exec form: `CMD ["a", "b"]` (JSON strings).
fn exec(instruction: &str, words: &[String]) -> String {
    let items: Vec<String> = words.iter().map(|w| serde_json::Value::String(w.clone()).to_string()).collect();
    format!("{instruction} [{}]\n", items.join(", "))
}

/// A light structural check of a Dockerfile (there is no Dockerfile linter offline): comments
/// and continuation lines joined, the first instruction is `FROM`, every instruction is one
/// Docker knows, `FROM` names an image or an earlier stage, exec forms are JSON arrays of
/// strings, `COPY` sources stay inside the build context.
#[cfg(test)]
pub fn check(text: &str) -> Result<Vec<String>, String> {
    const KNOWN: &[&str] = &[
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ];
    let mut instructions: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if pending.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        instructions.push(std::mem::take(&mut pending));
    }
    if !pending.is_empty() {
        return Err("the last instruction ends with a line continuation".into());
    }
    let mut stages: Vec<String> = Vec::new();
    let mut keywords = Vec::new();
    for (i, instruction) in instructions.iter().enumerate() {
        let (keyword, args) = instruction.trim().split_once(char::is_whitespace).unwrap_or((instruction.trim(), ""));
        let keyword = keyword.to_ascii_uppercase();
        if !KNOWN.contains(&keyword.as_str()) {
            return Err(format!("unknown instruction `{keyword}`"));
        }
        if i == 0 && keyword != "FROM" {
            return Err(format!("the first instruction is `{keyword}`, not FROM"));
        }
        let args = args.trim();
        if args.is_empty() {
            return Err(format!("`{keyword}` without arguments"));
        }
        match keyword.as_str() {
            "FROM" => {
                let words: Vec<&str> = args.split_whitespace().collect();
                match words.as_slice() {
                    [image] | [image, _, _] if !image.is_empty() => {
                        if let [_, as_, name] = words.as_slice() {
                            if !as_.eq_ignore_ascii_case("as") || stages.iter().any(|s| s == name) {
                                return Err(format!("bad stage name in `FROM {args}`"));
                            }
                            stages.push(name.to_string());
                        }
                        if !image.contains(':') && !stages.iter().any(|s| s == image) {
                            return Err(format!("`FROM {image}`: no tag and no earlier stage of that name"));
                        }
                    }
                    _ => return Err(format!("bad `FROM {args}`")),
                }
            }
            "CMD" | "ENTRYPOINT" => {
                let parsed: Vec<String> =
                    serde_json::from_str(args).map_err(|e| format!("`{keyword} {args}` is not an exec form: {e}"))?;
                if parsed.is_empty() {
                    return Err(format!("empty `{keyword}`"));
                }
            }
            "COPY" => {
                let words: Vec<&str> = args.split_whitespace().collect();
                if words.len() < 2 {
                    return Err(format!("`COPY {args}` needs a source and a destination"));
                }
                for source in &words[..words.len() - 1] {
                    if source.starts_with('/') || source.split('/').any(|c| c == "..") {
                        return Err(format!("`COPY` source `{source}` leaves the build context"));
                    }
                }
            }
            _ => {}
        }
        keywords.push(keyword);
    }
    if instructions.is_empty() {
        return Err("no instruction".into());
    }
    Ok(keywords)
}
