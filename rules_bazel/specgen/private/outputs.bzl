"""The output paths of `specgen generate`, computed from the input file NAMES only.

This mirrors `outputs(&InputNames, &Options)` of every module in specgen-lib/src/targets/
(and `classify` in specgen-lib/src/load.rs). It runs in the loading/analysis phase, which is what
lets specgen_generate declare every output file before the action runs. scripts/bazel-test.sh
compares it with `specgen outputs` on the example and on every good fixture.
"""

# The targets `generate` renders when neither specgen.toml nor the rule name any
# (Target::DEFAULT). `rust` is opt-in in specgen and not mirrored here.
DEFAULT_TARGETS = [
    "pydantic",
    "fastapi",
    "client",
    "openapi",
    "typescript",
    "events",
    "asyncapi",
    "compose",
    "schemathesis",
    "graph",
]

DEFAULT_SHARED_PACKAGE = "shared/shared/generated"
DEFAULT_SERVICES_DIR = "services"

GENERATED = "generated"
SCAFFOLD = "scaffold"

# Python's hard keywords (targets/python.rs KEYWORDS): a domain or service called `class`
# gives a module `class_.py`.
_KEYWORDS = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
    "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
    "yield",
]

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_SNAKE = _LOWER + "0123456789_"

def _is_snake_identifier(name):
    if not name or name[0] not in _LOWER.elems():
        return False
    for c in name.elems():
        if c not in _SNAKE.elems():
            return False
    return True

def _module_name(name):
    # escape_ident on a snake_case identifier: only keywords change.
    for _ in range(len(_KEYWORDS) + 1):
        if name not in _KEYWORDS:
            break
        name = name + "_"
    return name

def _join(*parts):
    return "/".join([p for p in parts if p])

def _starts_with(path, root):
    """Component-wise prefix, like camino's Utf8Path::starts_with."""
    return path == root or path.startswith(root + "/")

def _parent(path):
    i = path.rfind("/")
    return path[:i] if i >= 0 else ""

def classify(path):
    """The spec kind of a project-relative path (load.rs `classify`); fails on a non-spec path.

    Returns a struct(kind, service, domain); kind is one of config, services, models, events,
    manifest, domain.
    """
    parts = path.split("/")
    if path == "specgen.toml":
        return struct(kind = "config", service = None, domain = None)
    if path == "services.yml":
        return struct(kind = "services", service = None, domain = None)
    if path == "shared/spec/models.yaml":
        return struct(kind = "models", service = None, domain = None)
    if path == "shared/spec/events.yaml":
        return struct(kind = "events", service = None, domain = None)
    if len(parts) == 4 and parts[0] == "services" and parts[2] == "spec":
        service, file = parts[1], parts[3]
        if not file.endswith(".yaml"):
            fail("specgen: `%s`: `%s` is not a `.yaml` file" % (path, file))
        if not _is_snake_identifier(service):
            fail("specgen: `%s`: service directory `%s` is not a snake_case identifier" % (path, service))
        stem = file[:-len(".yaml")]
        if stem == "manifest":
            return struct(kind = "manifest", service = service, domain = None)
        if not _is_snake_identifier(stem):
            fail("specgen: `%s`: domain file stem `%s` is not a snake_case identifier" % (path, stem))
        return struct(kind = "domain", service = service, domain = stem)
    fail(("specgen: `%s` is not a spec file: expected services.yml, specgen.toml, " +
          "shared/spec/models.yaml, shared/spec/events.yaml or services/<svc>/spec/<domain>.yaml") % path)

def input_names(paths):
    """InputNames: the spec paths by kind. `services` maps a service to struct(domains, manifest)."""
    names = {"config": False, "services_file": False, "models": False, "events": False}
    domains = {}
    manifests = {}
    for path in paths:
        c = classify(path)
        if c.kind == "config":
            names["config"] = True
        elif c.kind == "services":
            names["services_file"] = True
        elif c.kind in ("models", "events"):
            names[c.kind] = True
        else:
            domains.setdefault(c.service, {})
            if c.kind == "manifest":
                manifests[c.service] = True
            else:
                domains[c.service][c.domain] = True
    services = {}
    for svc in sorted(domains.keys()):
        services[svc] = struct(domains = sorted(domains[svc].keys()), manifest = manifests.get(svc, False))
    return struct(
        config = names["config"],
        services_file = names["services_file"],
        models = names["models"],
        events = names["events"],
        services = services,
    )

def _pydantic(n, pkg, _svcs):
    if not n.models:
        return []
    return [(_join(pkg, "__init__.py"), GENERATED), (_join(pkg, "schemas.py"), GENERATED)]

def _typescript(n, pkg, _svcs):
    return [(_join(pkg, "types.ts"), GENERATED)] if n.models else []

def _events(n, pkg, _svcs):
    return [(_join(pkg, "events.py"), GENERATED)] if n.events else []

def _asyncapi(n, pkg, _svcs):
    if not n.events:
        return []
    first = [p for p in pkg.split("/") if p and p != "."]
    return [(_join(first[0] if first else "", "docs/asyncapi.json"), GENERATED)]

def _graph(n, _pkg, _svcs):
    return [("docs/architecture.md", GENERATED)] if n.services_file else []

def _providers(n):
    return [s for s in n.services if n.services[s].domains]

def _openapi(n, _pkg, svcs):
    return [(_join(svcs, s, "docs/openapi.json"), GENERATED) for s in _providers(n)]

def _schemathesis(n, _pkg, svcs):
    return [(_join(svcs, s, "schemathesis.toml"), GENERATED) for s in _providers(n)]

def _client(n, pkg, svcs):
    out = []
    package = _join(pkg, "clients")
    providers = _providers(n)
    if providers:
        out.append((_join(package, "__init__.py"), GENERATED))
        out.append((_join(package, "_http.py"), GENERATED))
    for s in providers:
        out.append((_join(package, _module_name(s) + ".py"), GENERATED))
    for s in n.services:
        if n.services[s].manifest:
            out.append((_join(svcs, s, "src/generated/clients.py"), GENERATED))
    return out

def _fastapi(n, _pkg, svcs):
    out = []
    for s in _providers(n):
        src = _join(svcs, s, "src")
        gen = _join(src, "generated")
        ctl = _join(src, "controllers")
        out.extend([
            (_join(gen, "__init__.py"), GENERATED),
            (_join(gen, "routers/__init__.py"), GENERATED),
            (_join(gen, "protocols.py"), GENERATED),
            (_join(gen, "registry.py"), GENERATED),
            (_join(gen, "app.py"), GENERATED),
            (_join(ctl, "__init__.py"), SCAFFOLD),
            (_join(src, "main.py"), SCAFFOLD),
            (_join(src, "database.py"), SCAFFOLD),
        ])
        if n.events:
            out.append((_join(gen, "event_adapter.py"), GENERATED))
        for d in n.services[s].domains:
            m = _module_name(d)
            out.append((_join(gen, "routers", m + ".py"), GENERATED))
            out.append((_join(ctl, m + ".py"), SCAFFOLD))
    return out

def _compose(n, _pkg, svcs):
    out = []
    for s in n.services:
        out.append((_join(svcs, s, "Dockerfile"), GENERATED))
        if n.services_file:
            out.append((_join(svcs, s, ".env"), SCAFFOLD))
    if n.services_file:
        for f in ["infra/compose.base.yml", "infra/compose.dev.yml", "infra/compose.tests.unit.yml"]:
            out.append((f, GENERATED))
    return out

_TARGETS = {
    "pydantic": _pydantic,
    "fastapi": _fastapi,
    "client": _client,
    "openapi": _openapi,
    "typescript": _typescript,
    "events": _events,
    "asyncapi": _asyncapi,
    "compose": _compose,
    "schemathesis": _schemathesis,
    "graph": _graph,
}

def _package_inits(generated, pkg, svcs):
    """targets/mod.rs `package_inits`: an __init__.py in every directory from a generated .py
    file up to its package root (the shared package, or services/<svc>/src/generated)."""
    inits = {}
    for path in generated:
        if not path.endswith(".py"):
            continue
        root = None
        if _starts_with(path, pkg):
            root = pkg
        elif _starts_with(path, svcs) and path != svcs:
            rest = path[len(svcs) + 1:].split("/") if svcs else path.split("/")
            if len(rest) >= 3 and rest[1] == "src" and rest[2] == "generated":
                root = _join(svcs, rest[0], "src/generated")
        if root == None:
            continue
        d = _parent(path)
        for _ in range(path.count("/") + 1):
            if not (d and _starts_with(d, root)):
                break
            inits[_join(d, "__init__.py")] = True
            d = _parent(d)
    return sorted(inits.keys())

def specgen_outputs(
        paths,
        targets = None,
        shared_package = DEFAULT_SHARED_PACKAGE,
        services_dir = DEFAULT_SERVICES_DIR):
    """The files `specgen generate` writes for these project-relative spec paths.

    Args:
      paths: spec paths relative to the project root (`shared/spec/models.yaml`, ...).
      targets: target names (default: DEFAULT_TARGETS), as in specgen.toml `targets`.
      shared_package: specgen.toml `[paths] shared_package`.
      services_dir: specgen.toml `[paths] services_dir`.

    Returns:
      A list of struct(path, kind, target), sorted by path; kind is "generated" or "scaffold";
      target is the specgen target that writes it ("python" for the package __init__.py files
      that only exist because some target wrote a module into that package).
    """
    if targets == None or len(targets) == 0:
        targets = DEFAULT_TARGETS
    pkg = shared_package.rstrip("/")
    svcs = services_dir.rstrip("/")
    names = input_names(paths)
    found = {}  # (path, kind) -> target
    for t in targets:
        if t not in _TARGETS:
            fail("specgen: target `%s` has no output mirror in rules_specgen (known: %s)" %
                 (t, ", ".join(DEFAULT_TARGETS)))
        for path, kind in _TARGETS[t](names, pkg, svcs):
            found.setdefault((path, kind), t)
    generated = [p for p, k in found if k == GENERATED]
    all_paths = {p: True for p, _ in found}
    for init in _package_inits(generated, pkg, svcs):
        if init not in all_paths:
            found[(init, GENERATED)] = "python"
    return [
        struct(path = key[0], kind = key[1], target = found[key])
        for key in sorted(found.keys())
    ]
