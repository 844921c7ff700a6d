//! Target `compose`: the fleet of services.yml as compose files, and a Dockerfile per service.
//!
//! Files (paths from input names only):
//!
//! | path | kind | when |
//! |---|---|---|
//! | `infra/compose.base.yml` | generated | services.yml is an input |
//! | `infra/compose.dev.yml` | generated | services.yml is an input |
//! | `infra/compose.tests.unit.yml` | generated | services.yml is an input |
//! | `<services_dir>/<svc>/Dockerfile` | generated | `<svc>` has spec files |
//! | `<services_dir>/<svc>/.env` | scaffold | services.yml is an input and `<svc>` has spec files |
//!
//! A service of services.yml without spec files (a Node front end, say) gets no Dockerfile and
//! no `.env` (output paths depend on input names only): the compose files still build it from
//! `<services_dir>/<svc>/Dockerfile` and read its `.env`, which the user writes. Dockerfiles are
//! written without services.yml too (the services are then of type `default`, built like
//! `python`); `compose/dockerfile.rs` describes their content.
//!
//! The YAML is built as typed structs ([`Compose`], [`ComposeService`]…), turned into
//! [`yaml::Node`]s and printed by [`yaml`], which quotes every string a YAML 1.1 reader
//! (docker-compose 1.x is PyYAML) could read as something else. Each file starts with the
//! banner and a header comment saying how to run it and what is left out.
//!
//! **Every built service**: `build` with context `..` (the project root: the compose files live
//! in `infra/`) and dockerfile `<services_dir>/<svc>/Dockerfile`, or `custom.Dockerfile` with
//! `custom_dockerfile: true` (the user's; the generated one is still written, as a reference);
//! `user: "${HOST_UID:-1000}:${HOST_GID:-1000}"`; `env_file: ../<services_dir>/<svc>/.env`;
//! `environment:` with the addresses compose decides (`DATABASE_URL` when it reaches
//! postgres, `postgresql+asyncpg://…@postgres:5432/…` from the same `POSTGRES_*` variables as
//! the postgres service; `REDIS_URL=redis://redis:6379` when it reaches Redis;
//! `<SVC>_API_URL=http://<svc>:<port>` for each reached service with a port, the variable the
//! generated clients read); these win over `.env`. `ports: "<port>:<port>"` for services with
//! a port ([`Service::port`]: 8000 for FastAPI, 4321 for Node, or `port:`), published directly
//! (no reverse proxy). `depends_on` with the spec's conditions, `profiles` as written.
//! Healthchecks: FastAPI services `GET http://127.0.0.1:<port>/health` through `python -c` and
//! urllib (slim images have no curl), Node services a TCP connect to their port, postgres
//! `pg_isready`, redis `redis-cli ping`; other services have none (compose refuses
//! `service_healthy` on them: the header says so when services.yml asks for it).
//!
//! **Infrastructure**: `postgres` (`postgres:16-alpine`, volume `postgres-data`, user,
//! password and database from `POSTGRES_USER` / `POSTGRES_PASSWORD` / `POSTGRES_DB`, default
//! `postgres`) and `redis` (`redis:7-alpine`, volume `redis-data`) are in a file only when a
//! service of that file may reach them ([`Ir::reach`]: `access`, `depends_on`, and events for
//! Redis). They publish no port and run as their images' users.
//!
//! **Networks** follow the connectivity graph ([`Ir::reach`]). Every service and piece of
//! infrastructure has a network of its own name, `internal: true`; a service joins its own and
//! the network of everything it may reach (so `backend` and a service that calls it share the
//! network `backend`, and two services that reach `backend` but not each other share it too:
//! a network is a room, not a one-way edge). Internal networks have no way out of Docker: no
//! internet, and — Docker's caveat — no published ports either: a container attached only to
//! internal networks cannot be reached from the host on its published ports. So a service that
//! publishes a port or has `internet` in `access` also joins `<svc>-edge`, a non-internal
//! bridge network of which it is the only member (no service gains a path to another through
//! it). The edge network of a service without `internet` has IP masquerading off
//! (`com.docker.network.bridge.enable_ip_masquerade: "false"`): the host reaches its published
//! port, but its own connections out have no NAT, so they do not get past the host. With
//! `internet`, the edge network is a plain bridge with NAT. Network names cannot clash:
//! services are snake_case, `-edge` has a dash. Services with `scaffold: false` have no network
//! of their own here; one that others reach still gets its network (members: those that reach
//! it), ready for the user's own compose file to attach the container to.
//!
//! **`scaffold: false`**: such a service has no directory, so nothing to build: it is left out
//! of every compose file, and so are `depends_on` entries naming it (compose would reject
//! them); the header lists both. The user runs it from a compose file of their own.
//!
//! **Env files**: docker-compose 1.x fails when an `env_file` is missing (`Couldn't find env
//! file`), and compose 2's optional form (`required: false`) is unknown to it. So the target
//! scaffolds `<services_dir>/<svc>/.env` (written once, when absent, then the user's; a
//! comment-only file) for every service with spec files: the fleet starts right after
//! `specgen generate`, also in a fresh checkout where `.env` is git-ignored. Services without
//! spec files need theirs written by hand, like their Dockerfile (the header names them).
//!
//! **compose.base.yml** is the whole fleet. **compose.dev.yml** is complete, not an override
//! (`docker compose -f infra/compose.dev.yml up`): the services with `dev_template: true`, with
//! `src/` and the shared package mounted over the image's copies, uvicorn `--reload` for
//! FastAPI services and `npm run dev` for Node ones; the services they `depends_on` that are
//! not dev services, as in the base file (compose needs them); the infrastructure they reach.
//! Services with `custom_dockerfile: true` are there as in the base file (no mounts: their
//! Dockerfile decides the image's layout). Layered (`-f compose.base.yml -f compose.dev.yml`)
//! it also works, with every base service. **compose.tests.unit.yml** has `<svc>-tests` for
//! every Python service (`python-fastapi`, `python-faststream`, `python`, `default`) with a
//! directory: the `tests` stage of the generated Dockerfile (the default stage of a custom or
//! hand-written one), context `..`, the service directory and the shared package mounted,
//! `python -m pytest tests` in the service directory, `network_mode: none`.
//!
//! A file with no service at all carries `version: "3.8"`, because docker-compose 1.x reads a
//! version-less file with nothing in it as the legacy format and rejects it.

use std::collections::{BTreeMap, BTreeSet};

use camino::{Utf8Component, Utf8PathBuf};

use crate::fileset::{FileKind, FileSet};
use crate::ir::{DependsCondition, Ir, Reach, Service, ServiceKind};
use crate::load::InputNames;

use super::{Options, OutputPath, RenderError, SCAFFOLD_HEADER};

mod dockerfile;
pub mod yaml;

use yaml::{MapBuilder, Node};

/// The whole fleet.
pub const BASE_FILE: &str = "infra/compose.base.yml";
/// The services with `dev_template`, run from the source tree.
pub const DEV_FILE: &str = "infra/compose.dev.yml";
/// One unit-test service per Python service.
pub const TESTS_FILE: &str = "infra/compose.tests.unit.yml";
/// The build context of every service, relative to `infra/`: the project root.
pub const CONTEXT: &str = "..";
/// The user every built service runs as.
pub const HOST_USER: &str = "${HOST_UID:-1000}:${HOST_GID:-1000}";
/// The PostgreSQL image.
pub const POSTGRES_IMAGE: &str = "postgres:16-alpine";
/// The Redis image.
pub const REDIS_IMAGE: &str = "redis:7-alpine";
/// The generated Dockerfile's name in a service directory.
pub const DOCKERFILE: &str = "Dockerfile";
/// The hand-written Dockerfile of a service with `custom_dockerfile: true`.
pub const CUSTOM_DOCKERFILE: &str = "custom.Dockerfile";
/// The env file of a service, in its directory.
pub const ENV_FILE: &str = ".env";

/// The names of the built-in infrastructure.
const POSTGRES: &str = "postgres";
const REDIS: &str = "redis";

/// Width of the header comments.
const COMMENT_WIDTH: usize = 96;

/// Renders the compose files (with services.yml), the Dockerfiles and the `.env` scaffolds.
pub fn render(ir: &Ir, opts: &Options) -> Result<FileSet, RenderError> {
    let layout = Layout::new(opts)?;
    let mut files = FileSet::new();
    let sources: Vec<&str> = ir.services_file.iter().map(|p| p.as_str()).collect();
    let banner = super::banner("#", &sources);
    for service in ir.services.iter().filter(|s| has_spec_files(s)) {
        let path = layout.service_path(&service.name).join(DOCKERFILE);
        files.generated(path, dockerfile::render(service, ir.python_version, &layout, &banner));
    }
    if ir.services_file.is_some() {
        let fleet = Fleet { ir, layout: &layout };
        let banner_line = banner.trim_end().trim_start_matches("# ").to_string();
        for (path, compose) in [(BASE_FILE, fleet.base()), (DEV_FILE, fleet.dev()), (TESTS_FILE, fleet.tests())] {
            files.generated(path, compose.to_yaml(&banner_line));
        }
        for service in ir.services.iter().filter(|s| has_spec_files(s)) {
            files.scaffold(layout.service_path(&service.name).join(ENV_FILE), fleet.env_scaffold(service));
        }
    }
    Ok(files)
}

/// The paths [`render`] writes, from input names only.
pub fn outputs(names: &InputNames, opts: &Options) -> Vec<OutputPath> {
    let mut paths = Vec::new();
    for service in names.services.keys() {
        let dir = opts.roots.services_dir.join(service);
        paths.push(OutputPath { path: dir.join(DOCKERFILE), kind: FileKind::Generated });
        if names.services_file.is_some() {
            paths.push(OutputPath { path: dir.join(ENV_FILE), kind: FileKind::Scaffold });
        }
    }
    if names.services_file.is_some() {
        for file in [BASE_FILE, DEV_FILE, TESTS_FILE] {
            paths.push(OutputPath { path: Utf8PathBuf::from(file), kind: FileKind::Generated });
        }
    }
    paths.sort();
    paths
}

/// Whether the service has spec files (domain files or a manifest): exactly the services of
/// [`InputNames::services`].
fn has_spec_files(service: &Service) -> bool {
    !service.domains.is_empty() || service.manifest_file.is_some()
}

/// Whether the service is a Python process (the unit-test file has one service per such).
fn is_python(service: &Service) -> bool {
    !matches!(service.kind, ServiceKind::Node)
}

/// A literal string in a compose value: `$` doubled, so compose does not interpolate it.
fn literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// Where things are, in the project and in the images.
#[derive(Debug, Clone)]
struct Layout {
    /// `services` (`[paths] services_dir`).
    services_dir: Utf8PathBuf,
    /// The directory holding the shared package, project-relative: `shared/shared` for the
    /// package `shared/shared/generated` (the import root `shared/` and the package `shared`).
    shared_copy: String,
    /// The shared package's import root in the images: `/app/shared` (`/app` when the shared
    /// package is a top-level directory).
    shared_import_root: String,
}

impl Layout {
    fn new(opts: &Options) -> Result<Layout, RenderError> {
        let parts: Vec<&str> = opts
            .roots
            .shared_package
            .components()
            .filter_map(|c| match c {
                Utf8Component::Normal(s) => Some(s),
                _ => None,
            })
            .collect();
        let (shared_copy, shared_import_root) = match parts.as_slice() {
            [] => {
                return Err(RenderError {
                    origin: "compose".into(),
                    message: format!("`[paths] shared_package = \"{}\"` has no directory", opts.roots.shared_package),
                })
            }
            [only] => (only.to_string(), "/app".to_string()),
            [root, package, ..] => (format!("{root}/{package}"), format!("/app/{root}")),
        };
        Ok(Layout { services_dir: opts.roots.services_dir.clone(), shared_copy, shared_import_root })
    }

    /// `<services_dir>/<svc>`, project-relative.
    fn service_path(&self, name: &str) -> Utf8PathBuf {
        self.services_dir.join(name)
    }

    /// `<services_dir>/<svc>` as a `/`-separated string.
    fn service_dir(&self, name: &str) -> String {
        self.service_path(name).as_str().replace('\\', "/")
    }
}

// ---------------------------------------------------------------------------------------------
// The compose model.

/// A compose file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compose {
    /// Header comment paragraphs (wrapped when printed), after the banner.
    pub header: Vec<String>,
    /// Services, in order.
    pub services: Vec<(String, ComposeService)>,
    /// Networks by name.
    pub networks: BTreeMap<String, Network>,
    /// Named volumes.
    pub volumes: Vec<String>,
}

/// One service of a compose file. Printed keys in this field order; absent and empty fields
/// are left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComposeService {
    /// `image`.
    pub image: Option<String>,
    /// `build`.
    pub build: Option<Build>,
    /// `user`.
    pub user: Option<String>,
    /// `working_dir`.
    pub working_dir: Option<String>,
    /// `command` (exec form).
    pub command: Vec<String>,
    /// `env_file`.
    pub env_file: Vec<String>,
    /// `environment`, sorted by name.
    pub environment: BTreeMap<String, String>,
    /// `ports`.
    pub ports: Vec<String>,
    /// `volumes`.
    pub volumes: Vec<String>,
    /// `healthcheck`.
    pub healthcheck: Option<Healthcheck>,
    /// `depends_on` with conditions, in the order written.
    pub depends_on: Vec<(String, DependsCondition)>,
    /// `profiles`.
    pub profiles: Vec<String>,
    /// `networks`, sorted.
    pub networks: BTreeSet<String>,
    /// `network_mode`.
    pub network_mode: Option<String>,
}

/// `build`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// Relative to the compose file.
    pub context: String,
    /// Relative to the context.
    pub dockerfile: String,
    /// The stage to build, if not the last.
    pub target: Option<String>,
}

/// `healthcheck`: the test, with fixed timings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    /// `test`: `CMD` or `CMD-SHELL` and its words.
    pub test: Vec<String>,
}

/// A network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// `internal: true`: the network of a service or of infrastructure.
    Internal,
    /// A service's own way out: a non-internal bridge; NAT only with `internet`.
    Edge {
        /// The service may reach the internet.
        internet: bool,
    },
}

impl Compose {
    /// The file's text: banner, header, then the YAML.
    pub fn to_yaml(&self, banner: &str) -> String {
        let mut comments = vec![banner.to_string()];
        for paragraph in &self.header {
            comments.push(String::new());
            comments.extend(wrap(paragraph, COMMENT_WIDTH));
        }
        yaml::document(&comments, &self.to_node())
    }

    /// The YAML value.
    pub fn to_node(&self) -> Node {
        let services = Node::Map(self.services.iter().map(|(name, s)| (name.clone(), s.to_node())).collect());
        let networks = Node::Map(self.networks.iter().map(|(name, n)| (name.clone(), n.to_node())).collect());
        let volumes = Node::Map(self.volumes.iter().map(|v| (v.clone(), Node::Map(Vec::new()))).collect());
        MapBuilder::new()
            .opt("version", self.services.is_empty().then(|| Node::str("3.8")))
            .entry("services", services)
            .opt("networks", (!self.networks.is_empty()).then_some(networks))
            .opt("volumes", (!self.volumes.is_empty()).then_some(volumes))
            .build()
    }
}

impl ComposeService {
    fn to_node(&self) -> Node {
        let build = self.build.as_ref().map(|b| {
            MapBuilder::new()
                .entry("context", Node::str(&b.context))
                .entry("dockerfile", Node::str(&b.dockerfile))
                .opt("target", b.target.as_deref().map(Node::str))
                .build()
        });
        let environment = (!self.environment.is_empty())
            .then(|| Node::Map(self.environment.iter().map(|(k, v)| (k.clone(), Node::str(v))).collect()));
        let healthcheck = self.healthcheck.as_ref().map(|h| {
            MapBuilder::new()
                .entry("test", Node::strs(&h.test))
                .entry("interval", Node::str("5s"))
                .entry("timeout", Node::str("5s"))
                .entry("retries", Node::Int(10))
                .entry("start_period", Node::str("10s"))
                .build()
        });
        let depends_on = (!self.depends_on.is_empty()).then(|| {
            Node::Map(
                self.depends_on
                    .iter()
                    .map(|(name, condition)| {
                        let condition = match condition {
                            DependsCondition::Started => "service_started",
                            DependsCondition::Healthy => "service_healthy",
                        };
                        (name.clone(), MapBuilder::new().entry("condition", Node::str(condition)).build())
                    })
                    .collect(),
            )
        });
        MapBuilder::new()
            .opt("image", self.image.as_deref().map(Node::str))
            .opt("build", build)
            .opt("user", self.user.as_deref().map(Node::str))
            .opt("working_dir", self.working_dir.as_deref().map(Node::str))
            .nonempty("command", self.command.iter().map(Node::str).collect())
            .nonempty("env_file", self.env_file.iter().map(Node::str).collect())
            .opt("environment", environment)
            .nonempty("ports", self.ports.iter().map(Node::str).collect())
            .nonempty("volumes", self.volumes.iter().map(Node::str).collect())
            .opt("healthcheck", healthcheck)
            .opt("depends_on", depends_on)
            .nonempty("profiles", self.profiles.iter().map(Node::str).collect())
            .nonempty("networks", self.networks.iter().map(Node::str).collect())
            .opt("network_mode", self.network_mode.as_deref().map(Node::str))
            .build()
    }
}

impl Network {
    fn to_node(self) -> Node {
        match self {
            Network::Internal => MapBuilder::new().entry("internal", Node::Bool(true)).build(),
            Network::Edge { internet: true } => MapBuilder::new().entry("driver", Node::str("bridge")).build(),
            Network::Edge { internet: false } => MapBuilder::new()
                .entry("driver", Node::str("bridge"))
                .entry(
                    "driver_opts",
                    MapBuilder::new()
                        .entry("com.docker.network.bridge.enable_ip_masquerade", Node::str("false"))
                        .build(),
                )
                .build(),
        }
    }
}

/// Greedy word wrap; a span in backquotes is never broken, and a unit longer than the width
/// gets a line of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut open = false;
    for word in text.split_whitespace() {
        match units.last_mut() {
            Some(unit) if open => {
                unit.push(' ');
                unit.push_str(word);
            }
            _ => units.push(word.to_string()),
        }
        if word.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for unit in units {
        if !line.is_empty() && line.chars().count() + 1 + unit.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&unit);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `a`, `a and b`, `a, b and c`, each in backquotes.
fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------
// The fleet.

/// The IR seen as compose services.
struct Fleet<'a> {
    ir: &'a Ir,
    layout: &'a Layout,
}

impl<'a> Fleet<'a> {
    /// The services with a directory, which compose can build.
    fn members(&self) -> impl Iterator<Item = &'a Service> + 'a {
        self.ir.services.iter().filter(|s| s.scaffold)
    }

    fn member(&self, name: &str) -> Option<&'a Service> {
        self.ir.services.iter().find(|s| s.scaffold && s.name == name)
    }

    fn is_left_out(&self, name: &str) -> bool {
        self.ir.services.iter().any(|s| !s.scaffold && s.name == name)
    }

    /// `infra/compose.base.yml`.
    fn base(&self) -> Compose {
        let services: Vec<&Service> = self.members().collect();
        let mut compose = self.assemble(&services, |s| self.built(s, false));
        let dir = self.layout.service_dir("<svc>");
        compose.header = vec![
            format!(
                "The whole fleet: `docker compose -f {BASE_FILE} up` from the project root (docker-compose 1.x: \
                 `docker-compose -f …`); the project is named `infra` unless `-p NAME` says otherwise."
            ),
            format!(
                "Every service builds from the project root (context `..`) and runs as HOST_UID:HOST_GID (default \
                 1000:1000). It reads {dir}/.env (scaffolded by `specgen generate`, then yours); `environment:` holds \
                 the addresses compose decides (DATABASE_URL, REDIS_URL, <SVC>_API_URL) and wins over it. \
                 POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB come from the environment or infra/.env (default \
                 `postgres`)."
            ),
            "Networks follow services.yml (access, depends_on, manifests, events): each service has an internal \
             network that everything which may reach it joins; only a service's own `<svc>-edge` network leaves \
             Docker: for its published port, and for the internet when its `access` has `internet`."
                .into(),
        ];
        compose.header.extend(self.notes(&services));
        compose
    }

    /// `infra/compose.dev.yml`.
    fn dev(&self) -> Compose {
        let dev: Vec<&Service> = self.members().filter(|s| s.dev_template).collect();
        // Compose starts what a service depends on: those come along, as in the base file.
        let mut included: BTreeSet<&str> = dev.iter().map(|s| s.name.as_str()).collect();
        let mut stack: Vec<&Service> = dev.clone();
        while let Some(service) = stack.pop() {
            for (name, _) in &service.depends_on {
                if let Some(dep) = self.member(name) {
                    if included.insert(dep.name.as_str()) {
                        stack.push(dep);
                    }
                }
            }
        }
        let services: Vec<&Service> = self.members().filter(|s| included.contains(s.name.as_str())).collect();
        let mut compose = self.assemble(&services, |s| self.built(s, s.dev_template));
        let dir = self.layout.service_dir("<svc>");
        let names = |pred: &dyn Fn(&Service) -> bool| -> Vec<&str> {
            services.iter().filter(|s| pred(s)).map(|s| s.name.as_str()).collect()
        };
        let mounted = names(&|s| s.dev_template && !s.custom_dockerfile);
        compose.header = vec![
            format!(
                "Development: complete, not an override: `docker compose -f {DEV_FILE} up` from the project root. \
                 Settings as in {BASE_FILE}."
            ),
            if mounted.is_empty() {
                "No service runs from the source tree here (none has `dev_template: true` and a generated \
                 Dockerfile)."
                    .into()
            } else {
                format!(
                    "From the source tree: {}. {dir}/src and the shared package ({}) are mounted over the image's \
                     copies (files written there belong to HOST_UID:HOST_GID); FastAPI services run uvicorn \
                     --reload, Node services `npm run dev`, the others pick up changes when restarted.",
                    list(&mounted),
                    self.layout.shared_copy
                )
            },
        ];
        let custom = names(&|s| s.dev_template && s.custom_dockerfile);
        if !custom.is_empty() {
            compose.header.push(format!(
                "As in {BASE_FILE}, without mounts (custom_dockerfile: their Dockerfile decides the layout): {}.",
                list(&custom)
            ));
        }
        let deps = names(&|s| !s.dev_template);
        if !deps.is_empty() {
            compose.header.push(format!(
                "Also here, as in {BASE_FILE}, because a service here depends on them: {}.",
                list(&deps)
            ));
        }
        let absent: Vec<&str> =
            self.members().filter(|s| !included.contains(s.name.as_str())).map(|s| s.name.as_str()).collect();
        if !absent.is_empty() {
            compose.header.push(format!("Not here (dev_template: false): {}.", list(&absent)));
        }
        compose.header.extend(self.notes(&services));
        compose
    }

    /// `infra/compose.tests.unit.yml`.
    fn tests(&self) -> Compose {
        let mut compose = Compose::default();
        let mut custom = Vec::new();
        for service in self.members().filter(|s| is_python(s)) {
            let dir = self.layout.service_dir(&service.name);
            let generated = has_spec_files(service) && !service.custom_dockerfile;
            if !generated {
                custom.push(service.name.as_str());
            }
            let entry = ComposeService {
                build: Some(Build {
                    context: CONTEXT.into(),
                    dockerfile: literal(&format!("{dir}/{}", self.dockerfile_name(service))),
                    target: generated.then(|| "tests".into()),
                }),
                user: Some(HOST_USER.into()),
                working_dir: Some(literal(&format!("/app/{dir}"))),
                command: dockerfile::test_command(),
                env_file: vec![literal(&format!("../{dir}/{ENV_FILE}"))],
                volumes: vec![
                    literal(&format!("../{dir}:/app/{dir}")),
                    literal(&format!("../{0}:/app/{0}", self.layout.shared_copy)),
                ],
                network_mode: Some("none".into()),
                ..ComposeService::default()
            };
            compose.services.push((format!("{}-tests", service.name), entry));
        }
        let dir = self.layout.service_dir("<svc>");
        compose.header = vec![
            format!(
                "Unit tests, one service per Python service, without network: `docker compose -f {TESTS_FILE} run \
                 --rm <svc>-tests` from the project root (or `up --abort-on-container-exit`)."
            ),
            format!(
                "Each builds the `tests` stage of the service's Dockerfile (requirements-dev.txt added) from the \
                 project root (context `..`), mounts {dir} and the shared package, and runs `python -m pytest tests` \
                 in {dir} as HOST_UID:HOST_GID."
            ),
        ];
        if !custom.is_empty() {
            compose.header.push(format!(
                "Built from the default stage of a Dockerfile that specgen does not write (it needs pytest): {}.",
                list(&custom)
            ));
        }
        if compose.services.is_empty() {
            compose.header.push("No Python service: nothing to test here.".into());
        }
        compose
    }

    /// A compose file of `services` (built by `entry`) with the infrastructure they reach and
    /// the networks they join.
    fn assemble(&self, services: &[&Service], entry: impl Fn(&Service) -> ComposeService) -> Compose {
        let mut compose = Compose::default();
        let (mut postgres, mut redis) = (false, false);
        for service in services {
            let reach = self.ir.reach(service);
            postgres |= reach.postgres;
            redis |= reach.redis;
            for network in self.networks(service, &reach) {
                let kind = if network.ends_with("-edge") {
                    Network::Edge { internet: reach.internet }
                } else {
                    Network::Internal
                };
                compose.networks.insert(network, kind);
            }
            compose.services.push((service.name.clone(), entry(service)));
        }
        if postgres {
            compose.services.push((POSTGRES.into(), postgres_service()));
            compose.networks.insert(POSTGRES.into(), Network::Internal);
            compose.volumes.push("postgres-data".into());
        }
        if redis {
            compose.services.push((REDIS.into(), redis_service()));
            compose.networks.insert(REDIS.into(), Network::Internal);
            compose.volumes.push("redis-data".into());
        }
        compose
    }

    /// The networks `service` joins: its own, those of what it may reach, its edge.
    fn networks(&self, service: &Service, reach: &Reach) -> BTreeSet<String> {
        let mut networks: BTreeSet<String> = reach.services.iter().cloned().collect();
        networks.insert(service.name.clone());
        if reach.postgres {
            networks.insert(POSTGRES.into());
        }
        if reach.redis {
            networks.insert(REDIS.into());
        }
        if service.port().is_some() || reach.internet {
            networks.insert(format!("{}-edge", service.name));
        }
        networks
    }

    fn dockerfile_name(&self, service: &Service) -> &'static str {
        if service.custom_dockerfile {
            CUSTOM_DOCKERFILE
        } else {
            DOCKERFILE
        }
    }

    /// The entry of a built service; `dev`: run from the source tree.
    fn built(&self, service: &Service, dev: bool) -> ComposeService {
        let dir = self.layout.service_dir(&service.name);
        let reach = self.ir.reach(service);
        let mut entry = ComposeService {
            build: Some(Build {
                context: CONTEXT.into(),
                dockerfile: literal(&format!("{dir}/{}", self.dockerfile_name(service))),
                target: None,
            }),
            user: Some(HOST_USER.into()),
            env_file: vec![literal(&format!("../{dir}/{ENV_FILE}"))],
            environment: self.environment(&reach),
            ports: service.port().map(|p| format!("{p}:{p}")).into_iter().collect(),
            healthcheck: healthcheck(service),
            depends_on: service.depends_on.iter().filter(|(name, _)| !self.is_left_out(name)).cloned().collect(),
            profiles: service.profiles.iter().map(|p| literal(p)).collect(),
            networks: self.networks(service, &reach),
            ..ComposeService::default()
        };
        if dev && !service.custom_dockerfile {
            let shared = &self.layout.shared_copy;
            entry.volumes =
                vec![literal(&format!("../{dir}/src:/app/{dir}/src")), literal(&format!("../{shared}:/app/{shared}"))];
            match service.kind {
                ServiceKind::PythonFastapi => {
                    entry.command = dockerfile::run_command(service);
                    entry.command.extend([
                        "--reload".into(),
                        "--reload-dir".into(),
                        literal(&format!("/app/{dir}/src")),
                    ]);
                    entry.command.extend(["--reload-dir".into(), literal(&format!("/app/{shared}"))]);
                }
                ServiceKind::Node => entry.command = vec!["npm".into(), "run".into(), "dev".into()],
                _ => {}
            }
        }
        entry
    }

    /// What compose decides for a service: where its infrastructure and services are.
    fn environment(&self, reach: &Reach) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        if reach.postgres {
            env.insert(
                "DATABASE_URL".into(),
                "postgresql+asyncpg://${POSTGRES_USER:-postgres}:${POSTGRES_PASSWORD:-postgres}@postgres:5432/${POSTGRES_DB:-postgres}".into(),
            );
        }
        if reach.redis {
            env.insert("REDIS_URL".into(), "redis://redis:6379".into());
        }
        for name in &reach.services {
            if let Some(port) = self.member(name).and_then(Service::port) {
                env.insert(format!("{}_API_URL", name.to_uppercase()), format!("http://{name}:{port}"));
            }
        }
        env
    }

    /// Header notes about `services` (those of one file): who is left out, whose Dockerfile the
    /// user writes, and waits compose cannot honour.
    fn notes(&self, services: &[&Service]) -> Vec<String> {
        let mut notes = Vec::new();
        let left_out: Vec<&str> = self.ir.services.iter().filter(|s| !s.scaffold).map(|s| s.name.as_str()).collect();
        if !left_out.is_empty() {
            notes.push(format!(
                "Not in the compose files (scaffold: false, no directory to build): {}; run {} from a compose file \
                 of your own.",
                list(&left_out),
                if left_out.len() == 1 { "it" } else { "them" }
            ));
        }
        for service in services {
            let dropped: Vec<&str> =
                service.depends_on.iter().filter(|(n, _)| self.is_left_out(n)).map(|(n, _)| n.as_str()).collect();
            if !dropped.is_empty() {
                notes.push(format!(
                    "`{}` depends on {}, which is not here: that wait is left out.",
                    service.name,
                    list(&dropped)
                ));
            }
        }
        let hand: Vec<&str> =
            services.iter().filter(|s| !has_spec_files(s) && !s.custom_dockerfile).map(|s| s.name.as_str()).collect();
        if !hand.is_empty() {
            notes.push(format!(
                "Built from a Dockerfile you write, next to its .env (no spec files, so specgen writes neither): {}.",
                list(&hand)
            ));
        }
        let custom: Vec<&str> = services.iter().filter(|s| s.custom_dockerfile).map(|s| s.name.as_str()).collect();
        if !custom.is_empty() {
            notes.push(format!("Built from their {CUSTOM_DOCKERFILE} (custom_dockerfile: true): {}.", list(&custom)));
        }
        let mut ports: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
        for service in services {
            if let Some(port) = service.port() {
                ports.entry(port).or_default().push(&service.name);
            }
        }
        for (port, names) in ports.iter().filter(|(_, names)| names.len() > 1) {
            notes.push(format!(
                "{} publish the same host port {port}: only one of them can run at a time; give the others a \
                 `port:` of their own in services.yml.",
                list(names)
            ));
        }
        for service in services {
            for (name, condition) in &service.depends_on {
                let Some(target) = self.member(name) else { continue };
                if *condition == DependsCondition::Healthy && healthcheck(target).is_none() {
                    notes.push(format!(
                        "`{}` waits for `{name}` to be healthy, but `{name}` ({}) has no healthcheck, so compose will \
                         not start `{}`: give `{name}` one in an override file, or wait for service_started.",
                        service.name,
                        target.kind.spec_name(),
                        service.name
                    ));
                }
            }
        }
        notes
    }

    /// `<services_dir>/<svc>/.env`, scaffolded.
    fn env_scaffold(&self, service: &Service) -> String {
        let mut text = format!("{SCAFFOLD_HEADER}\n#\n");
        let dir = self.layout.service_dir(&service.name);
        let mut comment = if service.scaffold {
            format!(
                "The environment of the `{}` container: KEY=value lines, read by the compose files in infra/ \
                 (env_file: ../{dir}/{ENV_FILE}). Put its settings and secrets here, and keep this file out of git.",
                service.name
            )
        } else {
            format!("`{}` is not in the compose files (scaffold: false); nothing reads this file.", service.name)
        };
        let decided: Vec<String> = self.environment(&self.ir.reach(service)).into_keys().collect();
        if service.scaffold && !decided.is_empty() {
            comment
                .push_str(&format!(" Compose sets these itself, and they win over this file: {}.", decided.join(", ")));
        }
        for line in wrap(&comment, COMMENT_WIDTH) {
            text.push_str(&format!("# {line}\n"));
        }
        text
    }
}

/// The healthcheck of a built service, if its type has one.
fn healthcheck(service: &Service) -> Option<Healthcheck> {
    let port = service.port().filter(|_| service.has_healthcheck())?;
    let test = match service.kind {
        ServiceKind::PythonFastapi => vec![
            "CMD".into(),
            "python".into(),
            "-c".into(),
            format!("import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=3)"),
        ],
        ServiceKind::Node => vec![
            "CMD".into(),
            "node".into(),
            "-e".into(),
            format!(
                "require('net').connect({port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"
            ),
        ],
        _ => return None,
    };
    Some(Healthcheck { test })
}

fn postgres_service() -> ComposeService {
    ComposeService {
        image: Some(POSTGRES_IMAGE.into()),
        environment: [
            ("POSTGRES_DB", "${POSTGRES_DB:-postgres}"),
            ("POSTGRES_PASSWORD", "${POSTGRES_PASSWORD:-postgres}"),
            ("POSTGRES_USER", "${POSTGRES_USER:-postgres}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        volumes: vec!["postgres-data:/var/lib/postgresql/data".into()],
        healthcheck: Some(Healthcheck {
            test: vec!["CMD-SHELL".into(), "pg_isready -U \"$$POSTGRES_USER\" -d \"$$POSTGRES_DB\"".into()],
        }),
        networks: [POSTGRES.to_string()].into(),
        ..ComposeService::default()
    }
}

fn redis_service() -> ComposeService {
    ComposeService {
        image: Some(REDIS_IMAGE.into()),
        volumes: vec!["redis-data:/data".into()],
        healthcheck: Some(Healthcheck { test: vec!["CMD".into(), "redis-cli".into(), "ping".into()] }),
        networks: [REDIS.to_string()].into(),
        ..ComposeService::default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::ir::{Access, Domain};
    use crate::test_support::{example, fixture, text};

    fn good_fixtures() -> Vec<String> {
        let dir = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    fn only_compose(opts: &Options) -> Options {
        let mut opts = opts.clone();
        opts.targets = [super::super::Target::Compose].into_iter().collect();
        opts
    }

    fn rendered(ir: &Ir, opts: &Options) -> FileSet {
        render(ir, &only_compose(opts)).unwrap()
    }

    fn parse(text: &str) -> Value {
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn keys(value: &Value) -> Vec<&str> {
        value.as_object().unwrap().keys().map(String::as_str).collect()
    }

    const USER: &str = "${HOST_UID:-1000}:${HOST_GID:-1000}";

    fn fastapi_check(port: u16) -> Value {
        json!({
            "test": ["CMD", "python", "-c", format!("import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=3)")],
            "interval": "5s", "timeout": "5s", "retries": 10, "start_period": "10s",
        })
    }

    fn paths(files: &FileSet) -> Vec<OutputPath> {
        files.iter().map(|(path, file)| OutputPath { path: path.to_owned(), kind: file.kind }).collect()
    }

    #[test]
    fn outputs_are_the_rendered_paths() {
        let mut projects = vec![example()];
        projects.extend(good_fixtures().iter().map(|n| fixture(n)));
        for project in &projects {
            for services_dir in ["services", "apps/x"] {
                let mut opts = only_compose(&project.options);
                opts.roots.services_dir = Utf8PathBuf::from(services_dir);
                assert_eq!(outputs(&project.names, &opts), paths(&render(&project.ir, &opts).unwrap()));
            }
        }
        // And on the hand-made fleet, whose names are what its IR says.
        let (ir, names) = hand_made();
        assert_eq!(outputs(&names, &Options::default()), paths(&rendered(&ir, &Options::default())));
    }

    #[test]
    fn bookshelf_base() {
        let project = example();
        let files = rendered(&project.ir, &project.options);
        let base = parse(&text(&files, BASE_FILE));
        let services = &base["services"];
        assert_eq!(keys(services), ["backend", "notifications", "tg_bot", "postgres", "redis"]);
        assert_eq!(
            services["backend"],
            json!({
                "build": {"context": "..", "dockerfile": "services/backend/Dockerfile"},
                "user": USER,
                "env_file": ["../services/backend/.env"],
                "environment": {
                    "DATABASE_URL": "postgresql+asyncpg://${POSTGRES_USER:-postgres}:${POSTGRES_PASSWORD:-postgres}@postgres:5432/${POSTGRES_DB:-postgres}",
                    "REDIS_URL": "redis://redis:6379",
                },
                "ports": ["8000:8000"],
                "healthcheck": fastapi_check(8000),
                "depends_on": {"postgres": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}},
                "networks": ["backend", "backend-edge", "postgres", "redis"],
            })
        );
        let notifications = &services["notifications"];
        assert_eq!(notifications["build"], json!({"context": "..", "dockerfile": "services/notifications/Dockerfile"}));
        assert_eq!(notifications["user"], USER);
        assert_eq!(
            notifications["depends_on"],
            json!({"redis": {"condition": "service_healthy"}, "backend": {"condition": "service_started"}})
        );
        assert_eq!(keys(&notifications["depends_on"]), ["redis", "backend"], "the order of services.yml");
        assert_eq!(notifications["profiles"], json!(["workers"]));
        assert_eq!(notifications["networks"], json!(["backend", "notifications", "redis"]), "no port, no internet");
        assert!(notifications.get("healthcheck").is_none() && notifications.get("ports").is_none());
        assert_eq!(
            notifications["environment"],
            json!({"BACKEND_API_URL": "http://backend:8000", "REDIS_URL": "redis://redis:6379"})
        );
        let tg_bot = &services["tg_bot"];
        assert_eq!(tg_bot["networks"], json!(["backend", "redis", "tg_bot", "tg_bot-edge"]), "internet: an edge");
        assert!(tg_bot.get("ports").is_none());
        assert_eq!(
            services["postgres"]["healthcheck"]["test"],
            json!(["CMD-SHELL", "pg_isready -U \"$$POSTGRES_USER\" -d \"$$POSTGRES_DB\""])
        );
        assert_eq!(services["postgres"]["image"], POSTGRES_IMAGE);
        assert_eq!(services["postgres"]["networks"], json!(["postgres"]));
        assert_eq!(services["redis"]["healthcheck"]["test"], json!(["CMD", "redis-cli", "ping"]));
        assert_eq!(services["redis"]["networks"], json!(["redis"]));
        assert!(services["postgres"].get("user").is_none(), "infrastructure runs as its image's user");
        let masquerade_off = json!({
            "driver": "bridge",
            "driver_opts": {"com.docker.network.bridge.enable_ip_masquerade": "false"},
        });
        assert_eq!(
            base["networks"],
            json!({
                "backend": {"internal": true},
                "backend-edge": masquerade_off,
                "notifications": {"internal": true},
                "postgres": {"internal": true},
                "redis": {"internal": true},
                "tg_bot": {"internal": true},
                "tg_bot-edge": {"driver": "bridge"},
            })
        );
        assert_eq!(base["volumes"], json!({"postgres-data": {}, "redis-data": {}}));
        assert!(base.get("version").is_none());
    }

    #[test]
    fn bookshelf_dev() {
        let project = example();
        let files = rendered(&project.ir, &project.options);
        let dev = parse(&text(&files, DEV_FILE));
        let services = &dev["services"];
        // tg_bot has dev_template: false and nothing here depends on it.
        assert_eq!(keys(services), ["backend", "notifications", "postgres", "redis"]);
        let backend = &services["backend"];
        assert_eq!(backend["build"], json!({"context": "..", "dockerfile": "services/backend/Dockerfile"}));
        assert_eq!(backend["user"], USER);
        assert_eq!(
            backend["volumes"],
            json!(["../services/backend/src:/app/services/backend/src", "../shared/shared:/app/shared/shared"])
        );
        assert_eq!(
            backend["command"],
            json!([
                "uvicorn",
                "main:app",
                "--host",
                "0.0.0.0",
                "--port",
                "8000",
                "--reload",
                "--reload-dir",
                "/app/services/backend/src",
                "--reload-dir",
                "/app/shared/shared"
            ])
        );
        assert_eq!(backend["healthcheck"], fastapi_check(8000));
        assert!(services["notifications"].get("command").is_none(), "a worker keeps its image's command");
        assert_eq!(services["notifications"]["volumes"].as_array().unwrap().len(), 2);
        assert_eq!(services["notifications"]["profiles"], json!(["workers"]));
        assert_eq!(keys(&dev["networks"]), ["backend", "backend-edge", "notifications", "postgres", "redis"]);
        let header = text(&files, DEV_FILE);
        assert!(header.contains("# Not here (dev_template: false): `tg_bot`."), "{header}");
    }

    /// The backlog's broken case: test services built with context `.` (infra/) instead of the
    /// project root.
    #[test]
    fn unit_test_services_build_from_the_project_root() {
        let project = example();
        let files = rendered(&project.ir, &project.options);
        let tests = parse(&text(&files, TESTS_FILE));
        assert_eq!(keys(&tests["services"]), ["backend-tests", "notifications-tests", "tg_bot-tests"]);
        for (name, entry) in tests["services"].as_object().unwrap() {
            let svc = name.strip_suffix("-tests").unwrap();
            assert_eq!(
                entry,
                &json!({
                    "build": {"context": "..", "dockerfile": format!("services/{svc}/Dockerfile"), "target": "tests"},
                    "user": USER,
                    "working_dir": format!("/app/services/{svc}"),
                    "command": ["python", "-m", "pytest", "tests"],
                    "env_file": [format!("../services/{svc}/.env")],
                    "volumes": [format!("../services/{svc}:/app/services/{svc}"), "../shared/shared:/app/shared/shared"],
                    "network_mode": "none",
                }),
                "{name}"
            );
        }
        // Every build of every file: context `..`.
        for file in [BASE_FILE, DEV_FILE, TESTS_FILE] {
            let doc = parse(&text(&files, file));
            for (name, entry) in doc["services"].as_object().unwrap() {
                if let Some(build) = entry.get("build") {
                    assert_eq!(build["context"], "..", "{file}: {name}");
                }
            }
        }
    }

    #[test]
    fn bookshelf_snapshots() {
        let project = example();
        let files = rendered(&project.ir, &project.options);
        insta::assert_snapshot!("bookshelf_compose_base", text(&files, BASE_FILE));
        insta::assert_snapshot!("bookshelf_compose_dev", text(&files, DEV_FILE));
        insta::assert_snapshot!("bookshelf_compose_tests_unit", text(&files, TESTS_FILE));
        insta::assert_snapshot!("bookshelf_backend_dockerfile", text(&files, "services/backend/Dockerfile"));
        insta::assert_snapshot!(
            "bookshelf_notifications_dockerfile",
            text(&files, "services/notifications/Dockerfile")
        );
        insta::assert_snapshot!("bookshelf_tg_bot_env", text(&files, "services/tg_bot/.env"));
    }

    fn service(name: &str, kind: ServiceKind) -> Service {
        Service::new(name, kind)
    }

    fn with_manifest(mut s: Service) -> Service {
        s.manifest_file = Some(format!("services/{}/spec/manifest.yaml", s.name).into());
        s
    }

    /// A fleet with every case: a FastAPI service on its own port, with a custom Dockerfile and
    /// the internet; a Node front end without spec files and one with; a worker reached for its
    /// database, not a dev service, that a dev service depends on; a `scaffold: false` entry
    /// that others depend on and reach; a wait for health that compose cannot honour; profiles
    /// that YAML and compose would misread.
    fn hand_made() -> (Ir, InputNames) {
        let mut api = with_manifest(service("api", ServiceKind::PythonFastapi));
        api.port = Some(9000);
        api.custom_dockerfile = true;
        api.access = vec![Access::Internet, Access::Service("cache".into())];
        api.depends_on =
            vec![("cache".into(), DependsCondition::Started), ("worker".into(), DependsCondition::Healthy)];
        let mut web = service("web", ServiceKind::Node);
        web.depends_on = vec![("api".into(), DependsCondition::Healthy)];
        web.profiles = vec!["yes".into(), "$HOME".into(), "front end".into()];
        let mut site = with_manifest(service("site", ServiceKind::Node));
        site.dev_template = false;
        let mut worker = service("worker", ServiceKind::PythonFaststream);
        worker.dev_template = false;
        worker.access = vec![Access::Postgres];
        worker.domains = vec![Domain {
            name: "jobs".into(),
            file: "services/worker/spec/jobs.yaml".into(),
            prefix: String::new(),
            tags: Vec::new(),
            operations: Vec::new(),
        }];
        let mut job = with_manifest(service("job", ServiceKind::Python));
        job.depends_on = vec![("worker".into(), DependsCondition::Started)];
        let mut cache = service("cache", ServiceKind::Default);
        cache.scaffold = false;
        let ir = Ir {
            services: vec![api, cache, job, site, web, worker],
            services_file: Some("services.yml".into()),
            python_version: (3, 12),
            ..Ir::default()
        };
        let mut names = InputNames { services_file: ir.services_file.clone(), ..InputNames::default() };
        for s in &ir.services {
            let files = crate::load::ServiceFiles {
                domains: s.domains.iter().map(|d| (d.name.clone(), d.file.clone())).collect(),
                manifest: s.manifest_file.clone(),
            };
            if files != crate::load::ServiceFiles::default() {
                names.services.insert(s.name.clone(), files);
            }
        }
        (ir, names)
    }

    #[test]
    fn hand_made_fleet() {
        let (ir, _) = hand_made();
        let files = rendered(&ir, &Options::default());
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "infra/compose.base.yml",
                "infra/compose.dev.yml",
                "infra/compose.tests.unit.yml",
                "services/api/.env",
                "services/api/Dockerfile",
                "services/job/.env",
                "services/job/Dockerfile",
                "services/site/.env",
                "services/site/Dockerfile",
                "services/worker/.env",
                "services/worker/Dockerfile",
            ],
            "no Dockerfile or .env for `web` (no spec files) or `cache` (neither)"
        );
        let base_text = text(&files, BASE_FILE);
        let base = parse(&base_text);
        let services = &base["services"];
        assert_eq!(keys(services), ["api", "job", "site", "web", "worker", "postgres"], "no `cache`, no redis");
        let api = &services["api"];
        assert_eq!(api["build"], json!({"context": "..", "dockerfile": "services/api/custom.Dockerfile"}));
        assert_eq!(api["ports"], json!(["9000:9000"]));
        assert_eq!(api["healthcheck"], fastapi_check(9000));
        assert_eq!(api["depends_on"], json!({"worker": {"condition": "service_healthy"}}), "`cache` is left out");
        assert_eq!(api["networks"], json!(["api", "api-edge", "cache", "worker"]));
        assert!(api.get("environment").is_none(), "worker has no port, cache is not here");
        let web = &services["web"];
        assert_eq!(web["build"], json!({"context": "..", "dockerfile": "services/web/Dockerfile"}));
        assert_eq!(web["env_file"], json!(["../services/web/.env"]));
        assert_eq!(web["ports"], json!(["4321:4321"]));
        assert_eq!(web["healthcheck"]["test"][1], "node");
        assert_eq!(web["profiles"], json!(["yes", "$$HOME", "front end"]), "literal: `$` doubled, `yes` a string");
        assert!(base_text.contains("profiles: [\"yes\", \"$$HOME\", \"front end\"]"), "{base_text}");
        assert_eq!(web["environment"], json!({"API_API_URL": "http://api:9000"}));
        assert_eq!(web["networks"], json!(["api", "web", "web-edge"]));
        assert_eq!(services["worker"]["networks"], json!(["postgres", "worker"]));
        assert_eq!(
            base["networks"],
            json!({
                "api": {"internal": true},
                "api-edge": {"driver": "bridge"},
                "cache": {"internal": true},
                "job": {"internal": true},
                "postgres": {"internal": true},
                "site": {"internal": true},
                "site-edge": {"driver": "bridge", "driver_opts": {"com.docker.network.bridge.enable_ip_masquerade": "false"}},
                "web": {"internal": true},
                "web-edge": {"driver": "bridge", "driver_opts": {"com.docker.network.bridge.enable_ip_masquerade": "false"}},
                "worker": {"internal": true},
            })
        );
        for note in [
            "# Not in the compose files (scaffold: false, no directory to build): `cache`; run it from a\n# compose",
            "# `api` depends on `cache`, which is not here: that wait is left out.",
            "# Built from a Dockerfile you write, next to its .env (no spec files, so specgen writes neither):\n# `web`.",
            "# Built from their custom.Dockerfile (custom_dockerfile: true): `api`.",
            "# `api` waits for `worker` to be healthy, but `worker` (python-faststream) has no healthcheck, so",
            "# `site` and `web` publish the same host port 4321: only one of them can run at a time; give the",
        ] {
            assert!(base_text.contains(note), "{note}\n{base_text}");
        }

        let dev_text = text(&files, DEV_FILE);
        let dev = parse(&dev_text);
        // Dev services api, job, web; worker because api and job depend on it; not site.
        assert_eq!(keys(&dev["services"]), ["api", "job", "web", "worker", "postgres"]);
        assert!(dev["services"]["api"].get("volumes").is_none(), "custom Dockerfile: no mounts");
        assert!(dev["services"]["worker"].get("volumes").is_none(), "not a dev service");
        assert_eq!(dev["services"]["job"]["volumes"][0], "../services/job/src:/app/services/job/src");
        assert_eq!(dev["services"]["web"]["command"], json!(["npm", "run", "dev"]));
        assert!(
            dev_text.contains(
                "# Also here, as in infra/compose.base.yml, because a service here depends on them: `worker`."
            ),
            "{dev_text}"
        );
        assert!(dev_text.contains("# Not here (dev_template: false): `site`."), "{dev_text}");

        let tests = parse(&text(&files, TESTS_FILE));
        assert_eq!(keys(&tests["services"]), ["api-tests", "job-tests", "worker-tests"], "Python services only");
        assert_eq!(
            tests["services"]["api-tests"]["build"],
            json!({"context": "..", "dockerfile": "services/api/custom.Dockerfile"}),
            "a custom Dockerfile has no `tests` stage of ours"
        );
        assert_eq!(tests["services"]["worker-tests"]["build"]["target"], "tests");

        // The generated Dockerfile of a custom service says it is a reference; Node's is Node's.
        let api_docker = text(&files, "services/api/Dockerfile");
        assert!(api_docker.contains("Not used by the compose files: `custom_dockerfile: true` builds"));
        assert!(api_docker.contains("FROM python:3.12-slim AS base"));
        assert!(api_docker.contains("CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"9000\"]"));
        assert!(api_docker.contains("EXPOSE 9000"));
        let site_docker = text(&files, "services/site/Dockerfile");
        assert!(
            site_docker.contains("FROM node:22-slim AS runtime") && site_docker.ends_with("CMD [\"npm\", \"start\"]\n")
        );
        assert!(text(&files, "services/job/Dockerfile").ends_with("CMD [\"python\", \"main.py\"]\n"));
        assert!(!text(&files, "services/worker/Dockerfile").contains("EXPOSE"));

        insta::assert_snapshot!("hand_made_compose_base", base_text);
        insta::assert_snapshot!("hand_made_compose_dev", dev_text);
        insta::assert_snapshot!("hand_made_compose_tests_unit", text(&files, TESTS_FILE));
        insta::assert_snapshot!("hand_made_site_dockerfile", site_docker);
    }

    #[test]
    fn dockerfiles_are_well_formed() {
        let mut checked = 0;
        let mut sets: Vec<FileSet> = vec![rendered(&hand_made().0, &Options::default())];
        let example = example();
        sets.push(rendered(&example.ir, &example.options));
        for name in good_fixtures() {
            let project = fixture(&name);
            sets.push(rendered(&project.ir, &Options::default()));
        }
        for files in &sets {
            for (path, file) in files.iter().filter(|(p, _)| p.file_name() == Some(DOCKERFILE)) {
                let text = String::from_utf8(file.bytes.clone()).unwrap();
                let keywords = dockerfile::check(&text).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"));
                assert_eq!(keywords.last().map(String::as_str), Some("CMD"), "{path}");
                assert!(text.starts_with("# Code generated by specgen"), "{path}");
                checked += 1;
            }
        }
        assert!(checked >= 10, "{checked}");
        // The check does reject.
        for bad in [
            "RUN x\n",
            "FROM python:3.11-slim\nRUNN x\n",
            "FROM base\n",
            "FROM python:3.11-slim\nCMD python main.py x\n",
            "FROM python:3.11-slim\nCOPY ../x /x\n",
            "FROM python:3.11-slim\nRUN a \\\n",
            "# only comments\n",
        ] {
            assert!(dockerfile::check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_services_yml_only_dockerfiles() {
        let project = fixture("keywords");
        assert!(project.names.services_file.is_none());
        let files = rendered(&project.ir, &project.options);
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["services/api/Dockerfile"]);
        let text = text(&files, "services/api/Dockerfile");
        assert!(text.starts_with("# Code generated by specgen. DO NOT EDIT.\n"), "{text}");
        // Without services.yml the type is `default`, resolved from the operations: REST makes
        // it a FastAPI app, served by uvicorn like the scaffolded main.py expects.
        assert!(text.contains("python-fastapi"), "{text}");
        assert!(
            text.ends_with("CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8000\"]\n"),
            "{text}"
        );
    }

    #[test]
    fn moved_roots() {
        let project = example();
        let mut opts = project.options.clone();
        opts.roots.services_dir = "apps".into();
        opts.roots.shared_package = "lib/contracts/generated".into();
        let files = rendered(&project.ir, &opts);
        let docker = text(&files, "apps/backend/Dockerfile");
        assert!(docker.contains("PYTHONPATH=/app/apps/backend/src:/app/lib\n"), "{docker}");
        assert!(docker.contains("COPY lib/contracts/ /app/lib/contracts/\n"), "{docker}");
        assert!(docker.contains("COPY apps/backend/src/ ./src/\n"), "{docker}");
        let dev = parse(&text(&files, DEV_FILE));
        assert_eq!(
            dev["services"]["backend"]["volumes"],
            json!(["../apps/backend/src:/app/apps/backend/src", "../lib/contracts:/app/lib/contracts"])
        );
        assert_eq!(dev["services"]["backend"]["build"]["dockerfile"], "apps/backend/Dockerfile");
        // A one-directory shared package is its own import root's child: /app.
        opts.roots.shared_package = "generated".into();
        let docker = text(&rendered(&project.ir, &opts), "apps/backend/Dockerfile");
        assert!(
            docker.contains("PYTHONPATH=/app/apps/backend/src:/app\n")
                && docker.contains("COPY generated/ /app/generated/\n")
        );
    }

    #[test]
    fn an_empty_fleet_is_still_a_compose_file() {
        let mut cache = service("cache", ServiceKind::Default);
        cache.scaffold = false;
        let ir = Ir { services: vec![cache], services_file: Some("services.yml".into()), ..Ir::default() };
        let files = rendered(&ir, &Options::default());
        for file in [BASE_FILE, DEV_FILE, TESTS_FILE] {
            let doc = parse(&text(&files, file));
            assert_eq!(doc, json!({"version": "3.8", "services": {}}), "{file}");
        }
    }

    #[test]
    fn every_file_starts_with_its_first_line() {
        let project = example();
        for (path, file) in rendered(&project.ir, &project.options).iter() {
            let text = std::str::from_utf8(&file.bytes).unwrap();
            let first = if file.kind == FileKind::Scaffold {
                SCAFFOLD_HEADER.to_string()
            } else {
                "# Code generated by specgen from services.yml. DO NOT EDIT.".to_string()
            };
            assert!(text.starts_with(&format!("{first}\n")), "{path}");
            assert!(text.ends_with('\n') && !text.ends_with("\n\n") && !text.contains('\r'), "{path}");
            assert!(text.lines().all(|l| l == l.trim_end()), "{path}: trailing spaces");
        }
    }

    #[test]
    fn wrap_keeps_backquoted_spans() {
        assert_eq!(wrap("a `b c d` e", 5), ["a", "`b c d`", "e"]);
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` and `c`");
    }
}
