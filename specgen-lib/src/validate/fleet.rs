//! The fleet: services.yml, the services' domains and manifests, and the rules across them
//! (unique operation names and routes per service, manifest references, depends_on).

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::BTreeMap;

use crate::diagnostics::{did_you_mean, Diagnostic, FileId, Span};
use crate::ir::{Access, Consume, DependsCondition, Domain, Ir, Method, Service, ServiceKind};
use crate::load::{is_snake_identifier, Loaded};
use crate::name_map::NameMap;
use crate::spec::domain::DomainFile;
use crate::spec::services::{self as spec, ServiceType};

use super::rest::lower_domain;
use super::{lower_in_parts, Ctx, Parsed};

/// Infrastructure every fleet may depend on without declaring it.
pub const BUILTIN_INFRASTRUCTURE: [&str; 2] = ["postgres", "redis"];

/// The `access` entry that stands for egress; reserved, so no service may be called that.
const INTERNET: &str = "internet";

/// From this many operations on, domains are lowered on two threads: below it, a thread costs
/// more than it saves.
pub(crate) const PARALLEL_OPERATIONS: usize = 256;

/// Lowers services (from services.yml, or the service directories without it), their domains
/// and manifests, and checks the rules across them. Projects of `parallel_operations`
/// operations or more have their domains lowered on two threads, with the same IR and
/// diagnostics.
pub(crate) fn lower(ctx: &mut Ctx, parsed: &Parsed, loaded: &Loaded, ir: &mut Ir, parallel_operations: usize) {
    let mut services: BTreeMap<String, Service> = BTreeMap::new();
    if let Some((_, file)) = &parsed.services {
        lower_services_file(ctx, file, &mut services);
        check_depends_cycles(ctx, file, &services);
        for entry in &file.services {
            let publishes = lower_publishes(ctx, ir, &entry.value);
            if let Some(service) = services.get_mut(&entry.value.name.value) {
                service.publishes = publishes;
            }
        }
    }
    // Services that have spec files: must be declared when services.yml exists.
    for (name, files) in &loaded.names.services {
        if services.contains_key(name) {
            continue;
        }
        if let (Some((id, _)), Some(first)) = (&parsed.services, files.domains.values().chain(&files.manifest).next()) {
            let declared: Vec<&str> = services.keys().map(String::as_str).collect();
            let span = loaded.file(first).map(Span::file_start).unwrap_or(Span::file_start(*id));
            ctx.push(
                Diagnostic::error(
                    "E0415",
                    format!("service `{name}` has spec files but is not listed in services.yml"),
                    span,
                    "spec of an undeclared service",
                )
                .with_help(
                    did_you_mean(name, declared.iter().copied())
                        .unwrap_or_else(|| format!("add `- {{name: {name}, type: python-fastapi}}` to services.yml")),
                ),
            );
            continue;
        }
        services.insert(name.clone(), Service::new(name.clone(), ServiceKind::Default));
    }

    let lowered = lower_domains(ctx, parsed, loaded, ir, parallel_operations);
    for ((service, ..), lowered) in parsed.domains.iter().zip(lowered) {
        if let Some(s) = services.get_mut(service) {
            s.domains.push(lowered);
        }
    }
    for service in services.values_mut() {
        service.domains.sort_by(|a, b| a.name.cmp(&b.name));
        service.kind = resolved_kind(service);
    }
    check_unique_operations(ctx, parsed, &services);
    if let Some((_, file)) = &parsed.services {
        check_compose_startup(ctx, file, &services);
    }

    for (service, id, manifest) in &parsed.manifests {
        let consumes = lower_manifest(ctx, service, manifest, &services);
        if let Some(s) = services.get_mut(service) {
            s.consumes = consumes;
            s.manifest_file = Some(loaded.sources.get(*id).path.clone());
        }
    }
    ir.services = services.into_values().collect();
    if parsed.services.is_some() {
        check_declared_calls(ctx, parsed, ir);
    }
    check_orphan_subscriptions(ctx, parsed, ir);
}

/// Every domain of `parsed`, lowered in order; on two threads ([`lower_in_parts`]) from
/// `parallel_operations` operations on: what the serial pass gives, IR and diagnostics.
fn lower_domains(ctx: &mut Ctx, parsed: &Parsed, loaded: &Loaded, ir: &Ir, parallel_operations: usize) -> Vec<Domain> {
    let lower = |ctx: &mut Ctx<'_>, domains: &[(String, String, FileId, DomainFile)]| -> Vec<Domain> {
        domains
            .iter()
            .map(|(_, domain, id, spec)| lower_domain(ctx, ir, domain, &loaded.sources.get(*id).path, spec))
            .collect()
    };
    let operations: usize = parsed.domains.iter().map(|(.., spec)| spec.operations.len()).sum();
    if operations < parallel_operations.max(1) {
        return lower(ctx, &parsed.domains);
    }
    let mut domains = Vec::with_capacity(parsed.domains.len());
    lower_in_parts(ctx, &parsed.domains, lower, |ctx, found, lowered| {
        ctx.merge(found, 0);
        domains.extend(lowered);
    });
    domains
}

/// A service calls (manifest) only services it declares in services.yml (`access` or
/// `depends_on`): compose networks follow the declarations, so an undeclared call would fail.
fn check_declared_calls(ctx: &mut Ctx, parsed: &Parsed, ir: &Ir) {
    for (consumer, _, manifest) in &parsed.manifests {
        let Some(service) = ir.services.iter().find(|s| &s.name == consumer) else { continue };
        let declared = |name: &str| {
            service.access.contains(&Access::Service(name.to_string()))
                || service.depends_on.iter().any(|(d, _)| d == name)
        };
        let mut reported = Vec::new();
        for entry in &manifest.consumes {
            let called = &entry.value.service;
            if called.value == *consumer
                || ir.services.iter().all(|s| s.name != called.value)
                || declared(&called.value)
                || reported.contains(&called.value)
            {
                continue;
            }
            reported.push(called.value.clone());
            ctx.push(
                Diagnostic::error(
                    "E0421",
                    format!("`{consumer}` calls `{}`, which services.yml does not let it reach", called.value),
                    called.span,
                    "undeclared call",
                )
                .with_help(format!(
                    "add `{0}` to `access` of `{consumer}` in services.yml (or `depends_on: {{{0}: service_started}}`)",
                    called.value
                )),
            );
        }
    }
}

/// An event that a service subscribes to but no service publishes (by an operation, or by
/// `publishes` in services.yml) never arrives. A warning: a script outside the fleet may
/// publish it.
fn check_orphan_subscriptions(ctx: &mut Ctx, parsed: &Parsed, ir: &Ir) {
    for (_, _, _, spec) in &parsed.domains {
        for (op_name, op) in &spec.operations {
            let Some(event) = op.events.as_ref().and_then(|e| e.value.subscribe.as_ref()) else { continue };
            if ir.event(&event.value).is_none() || !ir.publishers(&event.value).is_empty() {
                continue;
            }
            ctx.push(
                Diagnostic::warning(
                    "W0304",
                    format!("`{}` subscribes to `{}`, which no service publishes", op_name.value, event.value),
                    event.span,
                    "nothing publishes this",
                )
                .with_help(
                    "publish it from an operation (`publish_on_success`), or list it in `publishes` of the service that sends it directly (services.yml)",
                ),
            );
        }
    }
}

/// The kind of a service whose type is `default` (or that has no services.yml entry), from what
/// its operations need: a REST operation makes it a FastAPI app, a subscription without REST a
/// FastStream worker, nothing a plain Python process. So its scaffolds, Dockerfile, port and
/// healthcheck agree with the code generated for it.
fn resolved_kind(service: &Service) -> ServiceKind {
    if service.kind != ServiceKind::Default {
        return service.kind;
    }
    if service.operations().any(|op| op.rest.is_some()) {
        ServiceKind::PythonFastapi
    } else if service.operations().any(|op| op.events.as_ref().is_some_and(|e| e.subscribe.is_some())) {
        ServiceKind::PythonFaststream
    } else {
        ServiceKind::Python
    }
}

fn lower_services_file(ctx: &mut Ctx, file: &spec::ServicesFile, services: &mut BTreeMap<String, Service>) {
    if let Some(v) = &file.version {
        if v.value != 2 {
            ctx.push(
                Diagnostic::error(
                    "E0410",
                    format!("services.yml version {} is not supported", v.value),
                    v.span,
                    "unsupported version",
                )
                .with_help("write `version: 2`"),
            );
        }
    }
    let mut spans: BTreeMap<String, Span> = BTreeMap::new();
    for entry in &file.services {
        let s = &entry.value;
        let name = &s.name;
        if !is_snake_identifier(name) {
            ctx.push(
                Diagnostic::error(
                    "E0411",
                    format!("service name `{}` is not snake_case", name.value),
                    name.span,
                    "not snake_case",
                )
                .with_help(
                    "service names are directory names and Python identifiers: lower-case letters, digits and `_`",
                ),
            );
            continue;
        }
        if BUILTIN_INFRASTRUCTURE.contains(&name.value.as_str()) || name.value == INTERNET {
            ctx.push(
                Diagnostic::error(
                    "E0416",
                    format!("`{}` is built-in infrastructure, not a service", name.value),
                    name.span,
                    "reserved name",
                )
                .with_help(if name.value == INTERNET {
                    "`internet` stands for egress in `access`; give the service another name"
                } else {
                    "remove the entry; depend on it with `depends_on` instead"
                }),
            );
            continue;
        }
        if let Some(first) = spans.get(&name.value) {
            ctx.push(
                Diagnostic::error(
                    "E0412",
                    format!("service `{}` is listed twice", name.value),
                    name.span,
                    "again here",
                )
                .with_label(*first, "first here")
                .with_help("remove one entry"),
            );
            continue;
        }
        spans.insert(name.value.clone(), name.span);
        let kind = match s.ty.as_ref().map(|t| t.value) {
            Some(ServiceType::PythonFastapi) => ServiceKind::PythonFastapi,
            Some(ServiceType::PythonFaststream) => ServiceKind::PythonFaststream,
            Some(ServiceType::Python) => ServiceKind::Python,
            Some(ServiceType::Node) => ServiceKind::Node,
            Some(ServiceType::Default) | None => ServiceKind::Default,
        };
        let mut service = Service::new(name.value.clone(), kind);
        service.description = s.description.clone();
        service.dev_template = s.dev_template.unwrap_or(true);
        service.custom_wiring = s.custom_wiring.unwrap_or(false);
        service.custom_dockerfile = s.custom_dockerfile.unwrap_or(false);
        if let Some(port) = &s.port {
            match u16::try_from(port.value) {
                Ok(p) if p > 0 => service.port = Some(p),
                _ => ctx.push(
                    Diagnostic::error(
                        "E0419",
                        format!("port {} of `{}` is not a TCP port", port.value, name.value),
                        port.span,
                        "not 1–65535",
                    )
                    .with_help("write the port the service listens on, e.g. `port: 8080`"),
                ),
            }
        }
        service.scaffold = s.scaffold.unwrap_or(true);
        for profile in &s.profiles {
            if !is_profile_name(&profile.value) {
                ctx.push(
                    Diagnostic::error(
                        "E0424",
                        format!("`{}` is not a Compose profile name", profile.value),
                        profile.span,
                        "not a profile name",
                    )
                    .with_help(
                        "a profile name is a letter or digit followed by one or more letters, digits, `_`, `.` or `-`, e.g. `workers`",
                    ),
                );
            }
        }
        service.profiles = s.profiles.iter().map(|p| p.value.clone()).collect();
        services.insert(name.value.clone(), service);
    }
    // depends_on once every name is known (a service may depend on one listed after it).
    for entry in &file.services {
        let s = &entry.value;
        // Only the entry that defined the service (duplicates were reported above).
        if spans.get(&s.name.value).is_none_or(|first| first.start != s.name.span.start) {
            continue;
        }
        let mut depends = Vec::new();
        for (target, condition) in &s.depends_on {
            if target.value == s.name.value {
                ctx.push(
                    Diagnostic::error(
                        "E0414",
                        format!("service `{}` depends on itself", target.value),
                        target.span,
                        "self-dependency",
                    )
                    .with_help("remove this entry"),
                );
                continue;
            }
            if !services.contains_key(&target.value) && !BUILTIN_INFRASTRUCTURE.contains(&target.value.as_str()) {
                let candidates: Vec<&str> = services.keys().map(String::as_str).chain(BUILTIN_INFRASTRUCTURE).collect();
                ctx.push(
                    Diagnostic::error(
                        "E0413",
                        format!("`{}` depends on unknown service `{}`", s.name.value, target.value),
                        target.span,
                        "not a service or built-in infrastructure",
                    )
                    .with_help(
                        did_you_mean(&target.value, candidates.iter().copied())
                            .unwrap_or_else(|| "known infrastructure: postgres, redis".into()),
                    ),
                );
                continue;
            }
            let condition = match condition.value {
                spec::DependsCondition::ServiceStarted => DependsCondition::Started,
                spec::DependsCondition::ServiceHealthy => DependsCondition::Healthy,
            };
            depends.push((target.value.clone(), condition));
        }
        let access = lower_access(ctx, s, services);
        if let Some(service) = services.get_mut(&s.name.value) {
            service.depends_on = depends;
            service.access = access;
        }
    }
}

/// `access` entries: infrastructure, `internet`, or another service; duplicates dropped.
fn lower_access(ctx: &mut Ctx, s: &spec::ServiceSpec, services: &BTreeMap<String, Service>) -> Vec<Access> {
    let mut out: Vec<Access> = Vec::new();
    for entry in &s.access {
        let access = match entry.value.as_str() {
            "postgres" => Access::Postgres,
            "redis" => Access::Redis,
            "internet" => Access::Internet,
            name if name != s.name.value && services.contains_key(name) => Access::Service(name.to_string()),
            name => {
                let candidates: Vec<&str> =
                    ["postgres", "redis", "internet"].into_iter().chain(services.keys().map(String::as_str)).collect();
                let help = if name == s.name.value {
                    "a service always reaches itself; remove this entry".to_string()
                } else {
                    did_you_mean(name, candidates.iter().copied())
                        .unwrap_or_else(|| "write `postgres`, `redis`, `internet` or a service's name".into())
                };
                ctx.push(
                    Diagnostic::error(
                        "E0418",
                        format!("`{name}` in `access` of `{}` is not infrastructure or another service", s.name.value),
                        entry.span,
                        "unknown",
                    )
                    .with_help(help),
                );
                continue;
            }
        };
        if !out.contains(&access) {
            out.push(access);
        }
    }
    out
}

/// `publishes` entries: events of events.yaml.
fn lower_publishes(ctx: &mut Ctx, ir: &Ir, s: &spec::ServiceSpec) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in &s.publishes {
        match ir.event(&entry.value) {
            Some(event) => {
                if !event.publish {
                    ctx.push(
                        Diagnostic::warning(
                            "W0302",
                            format!(
                                "`{}` is declared `publish: false` but `{}` publishes it",
                                entry.value, s.name.value
                            ),
                            entry.span,
                            "published here",
                        )
                        .with_help("set `publish: true` on the event in events.yaml"),
                    );
                }
                if !out.contains(&entry.value) {
                    out.push(entry.value.clone());
                }
            }
            None => ctx.push(
                Diagnostic::error(
                    "E0420",
                    format!("`{}` publishes unknown event `{}`", s.name.value, entry.value),
                    entry.span,
                    "not declared in events.yaml",
                )
                .with_help(
                    did_you_mean(&entry.value, ir.events.iter().map(|e| e.name.as_str()))
                        .unwrap_or_else(|| "declare it in shared/spec/events.yaml".into()),
                ),
            ),
        }
    }
    out
}

/// What compose needs to start the fleet, beyond cycles: a service waited for with
/// `service_healthy` has a healthcheck (FastAPI and Node services and the built-in
/// infrastructure do; workers and plain processes have none), and no two services publish the
/// same host port.
fn check_compose_startup(ctx: &mut Ctx, file: &spec::ServicesFile, services: &BTreeMap<String, Service>) {
    for entry in &file.services {
        let s = &entry.value;
        let profiles: Vec<&str> = s.profiles.iter().map(|p| p.value.as_str()).collect();
        for (target, condition) in &s.depends_on {
            let Some(waited) = services.get(&target.value) else { continue };
            if let Some(gap) = profile_gap(&s.name.value, &profiles, waited, target.span) {
                ctx.push(gap);
            }
            if condition.value == spec::DependsCondition::ServiceHealthy && !waited.has_healthcheck() {
                ctx.push(
                    Diagnostic::error(
                        "E0422",
                        format!(
                            "`{}` waits for `{}` to be healthy, but a {} service has no healthcheck",
                            s.name.value,
                            target.value,
                            waited.kind.spec_name()
                        ),
                        condition.span,
                        "never healthy",
                    )
                    .with_help(
                        "use `service_started`: only FastAPI and Node services, postgres and redis have healthchecks",
                    ),
                );
            }
        }
    }
    let mut ports: BTreeMap<u16, &str> = BTreeMap::new();
    for service in services.values().filter(|s| s.scaffold) {
        let Some(port) = service.port() else { continue };
        if let Some(first) = ports.get(&port) {
            let span = file
                .services
                .iter()
                .find(|e| e.value.name.value == service.name)
                .map(|e| e.value.port.as_ref().map(|p| p.span).unwrap_or(e.value.name.span));
            if let Some(span) = span {
                ctx.push(
                    Diagnostic::error(
                        "E0423",
                        format!("`{}` and `{first}` both publish port {port}", service.name),
                        span,
                        "port taken",
                    )
                    .with_help(format!(
                        "give `{}` another port, e.g. `port: {}`",
                        service.name,
                        port.saturating_add(1)
                    )),
                );
            }
        } else {
            ports.insert(port, &service.name);
        }
    }
}

/// A Compose profile name: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, the rule Compose documents.
fn is_profile_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.len() > 1
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The error, at `span` (the `depends_on` key), when `waiter`, started with `profiles` (none:
/// always), can be started while `waited`, which it depends on, is not: Compose starts a
/// dependency only when one of its own profiles is active, and refuses a project where an
/// enabled service depends on a disabled one ("service … is required by … but is disabled",
/// since Compose 2.18.1).
fn profile_gap(waiter: &str, profiles: &[&str], waited: &Service, span: Span) -> Option<Diagnostic> {
    if waited.profiles.is_empty() {
        return None;
    }
    let waited_name = &waited.name;
    let (message, help) = match profiles.iter().find(|p| !waited.profiles.iter().any(|w| w == *p)) {
        None if !profiles.is_empty() => return None,
        None => {
            let gated = waited.profiles.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
            let with = if waited.profiles.len() == 1 { "profile" } else { "one of the profiles" };
            (
                format!("`{waiter}` always starts, but `{waited_name}`, which it waits for, starts only with {with} {gated}"),
                format!("give `{waiter}` {with} {gated} too, or remove the profiles of `{waited_name}`"),
            )
        }
        Some(missing) => (
            format!("`{waiter}` starts with profile `{missing}`, but `{waited_name}`, which it waits for, does not"),
            format!("add `{missing}` to the profiles of `{waited_name}`, or remove it from `{waiter}`"),
        ),
    };
    Some(
        Diagnostic::error("E0425", message, span, "may not be running")
            .with_help(format!("{help}: Compose refuses to start a service whose dependency is disabled")),
    )
}

/// Compose cannot start services that wait for each other: report each depends_on cycle.
fn check_depends_cycles(ctx: &mut Ctx, file: &spec::ServicesFile, services: &BTreeMap<String, Service>) {
    let graph: BTreeMap<&str, Vec<&str>> = services
        .iter()
        .map(|(name, s)| (name.as_str(), s.depends_on.iter().map(|(d, _)| d.as_str()).collect()))
        .collect();
    for cycle in super::cycles::find_cycles(&graph) {
        let (from, to) = (cycle[cycle.len() - 2], cycle[cycle.len() - 1]);
        let span = file
            .services
            .iter()
            .find(|e| e.value.name.value == from)
            .and_then(|e| e.value.depends_on.keys().find(|k| k.value == to))
            .map(|k| k.span);
        if let Some(span) = span {
            ctx.push(
                Diagnostic::error(
                    "E0417",
                    format!("depends_on cycle: {}", cycle.join(" -> ")),
                    span,
                    "closes the cycle",
                )
                .with_help("compose cannot start services that wait for each other; remove one of the dependencies"),
            );
        }
    }
}

/// Operation names are unique within a service (they are operationIds and client method
/// names), and so are method + full path and the events subscribed to (one consumer group per
/// service).
fn check_unique_operations(ctx: &mut Ctx, parsed: &Parsed, services: &BTreeMap<String, Service>) {
    for service in services.values() {
        // Hashed: only looked up, never iterated (diagnostics follow the operations' order);
        // sized for every operation of the service, so the tables never grow.
        let domains = || parsed.domains.iter().filter(|(svc, ..)| svc == &service.name);
        let operations = domains().map(|(_, _, _, spec)| spec.operations.len()).sum();
        let mut names: NameMap<&str, Span> = NameMap::with_capacity_and_hasher(operations, Default::default());
        let mut routes: NameMap<(Method, Cow<'_, str>), (Span, &str)> =
            NameMap::with_capacity_and_hasher(operations, Default::default());
        let mut subscribers: NameMap<&str, (Span, &str)> = NameMap::default();
        for (_, _, _, spec) in domains() {
            for (op_name, op) in &spec.operations {
                let Some(event) = op.events.as_ref().and_then(|e| e.value.subscribe.as_ref()) else { continue };
                if let Some((first, other)) = subscribers.get(event.value.as_str()) {
                    ctx.push(
                        Diagnostic::error(
                            "E0311",
                            format!(
                                "`{}` and `{other}` of service `{}` both subscribe to `{}`",
                                op_name.value, service.name, event.value
                            ),
                            event.span,
                            "second subscriber",
                        )
                        .with_label(*first, format!("`{other}` subscribes here"))
                        .with_help(
                            "the consumer group is the service, so two subscribers would split the messages between them; handle the event in one operation",
                        ),
                    );
                } else {
                    subscribers.insert(event.value.as_str(), (event.span, op_name.value.as_str()));
                }
            }
            for op_name in spec.operations.keys() {
                if let Some(first) = names.get(op_name.value.as_str()) {
                    ctx.push(
                        Diagnostic::error("E0218", format!("operation `{}` is defined twice in service `{}`", op_name.value, service.name), op_name.span, "again here")
                            .with_label(*first, "first here")
                            .with_help("operation names are unique within a service: they become operationIds and client method names"),
                    );
                } else {
                    names.insert(op_name.value.as_str(), op_name.span);
                }
            }
        }
        for domain in &service.domains {
            for op in &domain.operations {
                let Some(rest) = &op.rest else { continue };
                let Some(&span) = names.get(op.name.as_str()) else { continue };
                // Why normalise placeholders: `/{id}` and `/{book_id}` are the same route.
                let shape = normalise_route(&rest.path);
                match routes.entry((rest.method, shape)) {
                    Entry::Occupied(entry) => {
                        let (first, other) = entry.get();
                        ctx.push(
                            Diagnostic::error(
                                "E0219",
                                format!("`{} {}` is also served by `{other}`", rest.method.as_str(), rest.path),
                                span,
                                "same method and path",
                            )
                            .with_label(*first, format!("`{other}` here"))
                            .with_help("change the path or the method of one of them"),
                        );
                    }
                    Entry::Vacant(entry) => {
                        entry.insert((span, op.name.as_str()));
                    }
                }
            }
        }
    }
}

/// `path` with every placeholder written `{}` (and any stray `}` left out); borrowed when it
/// has no braces (a collection's route), which saves a copy.
fn normalise_route(path: &str) -> Cow<'_, str> {
    if !path.contains(['{', '}']) {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    let mut in_placeholder = false;
    // Where the text not yet copied starts; the braces are ASCII, so every index is a char
    // boundary.
    let mut start = 0;
    for (i, b) in path.bytes().enumerate() {
        if b != b'{' && b != b'}' {
            continue;
        }
        if !in_placeholder {
            out.push_str(&path[start..i]);
        }
        if b == b'{' {
            out.push_str("{}");
        }
        in_placeholder = b == b'{';
        start = i + 1;
    }
    if !in_placeholder {
        out.push_str(&path[start..]);
    }
    Cow::Owned(out)
}

fn lower_manifest(
    ctx: &mut Ctx,
    service: &str,
    manifest: &crate::spec::manifest::ManifestFile,
    services: &BTreeMap<String, Service>,
) -> Vec<Consume> {
    let mut out = Vec::new();
    for entry in &manifest.consumes {
        let c = &entry.value;
        if c.service.value == service {
            ctx.push(
                Diagnostic::error(
                    "E0404",
                    format!("service `{service}` consumes itself"),
                    c.service.span,
                    "self-consumption",
                )
                .with_help("call your own code directly, not through a client"),
            );
            continue;
        }
        let Some(target) = services.get(&c.service.value) else {
            ctx.push(
                Diagnostic::error(
                    "E0401",
                    format!("unknown service `{}`", c.service.value),
                    c.service.span,
                    "not a service of the fleet",
                )
                .with_help_opt(did_you_mean(&c.service.value, services.keys().map(String::as_str))),
            );
            continue;
        };
        let Some(domain) = target.domains.iter().find(|d| d.name == c.domain.value) else {
            ctx.push(
                Diagnostic::error(
                    "E0402",
                    format!("service `{}` has no domain `{}`", target.name, c.domain.value),
                    c.domain.span,
                    "unknown domain",
                )
                .with_help(
                    did_you_mean(&c.domain.value, target.domains.iter().map(|d| d.name.as_str())).unwrap_or_else(
                        || {
                            format!(
                                "domains of `{}`: {}",
                                target.name,
                                target.domains.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                            )
                        },
                    ),
                ),
            );
            continue;
        };
        let rest_ops: Vec<&str> =
            domain.operations.iter().filter(|o| o.rest.is_some()).map(|o| o.name.as_str()).collect();
        let operations = match &c.operations {
            Some(list) if !list.is_empty() => {
                let mut chosen = Vec::new();
                for op in list {
                    if rest_ops.contains(&op.value.as_str()) {
                        chosen.push(op.value.clone());
                    } else if domain.operations.iter().any(|o| o.name == op.value) {
                        ctx.push(
                            Diagnostic::error(
                                "E0403",
                                format!(
                                    "operation `{}` of `{}/{}` has no REST binding",
                                    op.value, target.name, domain.name
                                ),
                                op.span,
                                "not callable over REST",
                            )
                            .with_help("clients call REST operations; subscribe to its events instead"),
                        );
                    } else {
                        ctx.push(
                            Diagnostic::error(
                                "E0403",
                                format!("`{}/{}` has no operation `{}`", target.name, domain.name, op.value),
                                op.span,
                                "unknown operation",
                            )
                            .with_help(
                                did_you_mean(&op.value, rest_ops.iter().copied()).unwrap_or_else(|| {
                                    format!(
                                        "REST operations of `{}/{}`: {}",
                                        target.name,
                                        domain.name,
                                        rest_ops.join(", ")
                                    )
                                }),
                            ),
                        );
                    }
                }
                chosen
            }
            _ => rest_ops.iter().map(|s| s.to_string()).collect(),
        };
        out.push(Consume { service: target.name.clone(), domain: domain.name.clone(), operations });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_normalised_placeholder_by_placeholder() {
        assert_eq!(normalise_route("/books/{book_id}/copies/{id}"), "/books/{}/copies/{}");
        assert_eq!(normalise_route("/{id}"), "/{}");
        assert_eq!(normalise_route("/bücher/{id}x"), "/bücher/{}x");
        // Text of an unclosed placeholder is left out, and so is a stray `}`.
        assert_eq!(normalise_route("/a}b/{c"), "/ab/{}");
        assert_eq!(normalise_route("/{a{b}c"), "/{}{}c");
        assert_eq!(normalise_route(""), "");
    }

    #[test]
    fn profile_names_follow_compose() {
        for good in ["workers", "w2", "0day", "night_shift", "v1.2-beta"] {
            assert!(is_profile_name(good), "{good}");
        }
        for bad in ["", "w", "-x", "_x", ".x", "night shift", "x/y", "$HOME", "über", "x*"] {
            assert!(!is_profile_name(bad), "{bad}");
        }
    }

    /// A service may wait for one behind profiles only when it has profiles, all among those.
    #[test]
    fn a_dependency_behind_a_profile_needs_a_waiter_behind_it_too() {
        let mut waited = Service::new("worker", ServiceKind::PythonFaststream);
        let gap = |profiles: &[&str], waited: &Service| {
            profile_gap("api", profiles, waited, Span::file_start(crate::diagnostics::FileId(0))).map(|d| d.message)
        };
        assert_eq!(gap(&[], &waited), None, "neither has profiles");
        assert_eq!(gap(&["a"], &waited), None, "the dependency always starts");
        waited.profiles = vec!["a".into(), "b".into()];
        assert_eq!(gap(&["a"], &waited), None);
        assert_eq!(gap(&["b", "a"], &waited), None);
        let always = gap(&[], &waited).expect("a service without profiles always starts");
        assert!(always.contains("starts only with one of the profiles `a`, `b`"), "{always}");
        let missing = gap(&["a", "c"], &waited).expect("with only `c` active, `api` starts and `worker` does not");
        assert!(missing.contains("profile `c`"), "{missing}");
    }
}
