//! The rules a registry must follow, each reported with its location.
//!
//! [`check`] is the whole front half of the pipeline: it loads a source and runs
//! every rule, collecting all findings rather than stopping at the first.
//! Conflict detection uses one 65,536-slot occupancy table per host, so it is
//! linear in the number of ports however large the registry.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ident;
use crate::load::load;
use crate::model::{
    Artifact, Binding, HostRef, KUBERNETES_NODE_PORTS, Owner, Port, Protocol, RangeSet, Registry,
};
use crate::source::{Source, Span};
use std::collections::{HashMap, HashSet};

/// Ports in the Linux ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`).
const EPHEMERAL: (u16, u16) = (32768, 60999);

/// What [`check`] found: the registry (when it could be read at all) and every finding.
#[derive(Debug)]
pub struct Report {
    /// The model, present unless the file could not be parsed. It may still
    /// have errors: use it for codegen only when [`Report::is_ok`].
    pub registry: Option<Registry>,
    /// Every finding, sorted by location.
    pub diagnostics: Diagnostics,
}

impl Report {
    /// Whether the registry is usable: it was read and has no errors.
    pub fn is_ok(&self) -> bool {
        self.registry.is_some() && !self.diagnostics.has_errors()
    }

    /// The registry, if it has no errors.
    pub fn valid_registry(&self) -> Option<Valid<'_>> {
        self.registry
            .as_ref()
            .filter(|_| !self.diagnostics.has_errors())
            .map(Valid)
    }
}

/// A registry that passed every rule, as [`Report::valid_registry`] gives
/// it: what code generation, rendering, `sync` and `assign` take, so none of
/// them can be handed a registry with errors.
#[derive(Clone, Copy, Debug)]
pub struct Valid<'r>(&'r Registry);

impl<'r> Valid<'r> {
    /// The registry.
    pub fn registry(self) -> &'r Registry {
        self.0
    }
}

impl std::ops::Deref for Valid<'_> {
    type Target = Registry;
    fn deref(&self) -> &Registry {
        self.0
    }
}

/// Loads and validates a registry.
pub fn check(source: &Source) -> Report {
    let (registry, diagnostics) = load(source);
    let found = registry.as_ref().map(validate).unwrap_or_default();
    Report::new(registry, diagnostics, found)
}

/// [`check`], also returning the file's YAML tree as written, for an editor.
#[cfg(feature = "allocate")]
pub(crate) fn check_keeping_tree(source: &Source) -> (Report, Option<crate::yaml::Tree<'_>>) {
    let (registry, diagnostics, tree) = crate::load::load_keeping_tree(source, true);
    let found = registry.as_ref().map(validate).unwrap_or_default();
    (Report::new(registry, diagnostics, found), tree)
}

impl Report {
    /// The loader's findings and the rules', sorted.
    fn new(
        registry: Option<Registry>,
        mut diagnostics: Diagnostics,
        found: Vec<Diagnostic>,
    ) -> Self {
        for d in found {
            diagnostics.push(d);
        }
        diagnostics.sort();
        Report {
            registry,
            diagnostics,
        }
    }
}

/// [`check`], with `then` run on the loaded registry beside the rules (on a
/// second thread), for work that needs the model but is only wanted when the
/// registry turns out valid: `portolan check` renders and compares every
/// artifact this way, while validation runs. `then`'s result is returned only
/// for a registry without errors.
pub fn check_then<T: Send>(
    source: &Source,
    then: impl FnOnce(Valid<'_>) -> T + Send,
) -> (Report, Option<T>) {
    let (registry, diagnostics) = load(source);
    let registry = match registry {
        Some(registry) if !diagnostics.has_errors() => registry,
        // A registry that did not load cleanly is invalid: no speculation.
        registry => {
            let found = registry.as_ref().map(validate).unwrap_or_default();
            return (Report::new(registry, diagnostics, found), None);
        }
    };
    let (found, result) = std::thread::scope(|scope| {
        // Speculative: the result is kept only if the rules find no error.
        let result = scope.spawn(|| then(Valid(&registry)));
        let found = validate(&registry);
        (found, result.join())
    });
    let report = Report::new(Some(registry), diagnostics, found);
    let result = match result {
        // Work on an invalid registry is thrown away, however it ended: it
        // may rely on what the rules just refused.
        _ if !report.is_ok() => None,
        Ok(result) => Some(result),
        // A panic on a valid registry is the caller's; it resumes on its thread.
        Err(panic) => std::panic::resume_unwind(panic),
    };
    (report, result)
}

/// Runs every rule on a loaded registry.
pub fn validate(registry: &Registry) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Every port in file order: of two holders, the later one is reported.
    let mut bindings: Vec<Binding> = registry.bindings().collect();
    bindings.sort_by_key(|b| b.span.start);
    identifiers(registry, &mut out);
    // Names that collide in Rust collide in .env too: say it once.
    if !out.iter().any(|d| d.code == Code::IdentifierCollision) {
        env_variables(registry, &bindings, &mut out);
        modules(registry, &bindings, &mut out);
        kubernetes_names(registry, &mut out);
    }
    range_overlaps(registry, &mut out);
    shared_across_environments(registry, &mut out);
    Occupancy::new(registry, bindings).check(&mut out);
    out
}

/// What holds a generated identifier, named only when a collision is reported.
#[derive(Clone, Copy)]
enum Holder<'r> {
    /// Something the generated code defines itself.
    Generated(&'static str),
    Environment(&'r str),
    Service(&'r str),
    Port(&'r str, &'r str),
    Infrastructure(&'r str),
}

impl std::fmt::Display for Holder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Generated(what) => f.write_str(what),
            Holder::Environment(e) => write!(f, "environment `{e}`"),
            Holder::Service(s) => write!(f, "service `{s}`"),
            Holder::Port(s, p) => write!(f, "port `{s}.{p}`"),
            Holder::Infrastructure(i) => write!(f, "infrastructure `{i}`"),
        }
    }
}

/// A namespace of generated names: two declarations collide only within one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Ns {
    /// Modules of the generated crate: one per environment and per service.
    Module,
    /// Variants (and associated items) of `Environment`.
    Variant,
    /// Port constants of an environment module.
    Constant,
    /// Constants of the `infrastructure` module.
    Infra,
    /// Functions of one service's module.
    Function(usize),
    /// Variables of one environment's `.env` file.
    Env(usize),
    /// Kubernetes Service names.
    KubeService,
    /// Port names of one service's Kubernetes Service.
    KubePort(usize),
    /// Module-level names of `ports.py`.
    Python,
    /// Module-level names of `ports.ts`.
    TypeScript,
}

impl Ns {
    fn kind(self) -> &'static str {
        match self {
            Ns::Module => "Rust module",
            Ns::Variant => "Rust enum variant",
            Ns::Constant | Ns::Infra => "Rust constant",
            Ns::Function(_) => "Rust function",
            Ns::Env(_) => ".env variable",
            Ns::KubeService => "Kubernetes Service name",
            Ns::KubePort(_) => "Kubernetes port name",
            Ns::Python => "name in ports.py",
            Ns::TypeScript => "name in ports.ts",
        }
    }
}

/// Receives each generated name: its namespace, the name, where it is declared
/// (`None` for names the generated code defines itself) and what declares it.
type Emit<'e, 'r> = &'e mut dyn FnMut(Ns, &str, Option<Span>, Holder<'r>);

/// Reports every declaration whose name an earlier one in its namespace holds.
///
/// A valid registry has no collision, and building a map of 300,000 owned
/// names to prove it cost more than loading the file; so a first pass only
/// hashes each name, and the map is built only when two hashes are equal
/// (equal names always are; a false alarm costs time, never a finding).
/// `decls` is called once or twice and must emit the same names each time.
fn collisions<'r>(decls: impl Fn(Emit<'_, 'r>), out: &mut Vec<Diagnostic>) {
    use std::hash::{BuildHasher, Hash, Hasher};
    let hasher = std::hash::RandomState::new();
    let mut prints = Vec::new();
    decls(&mut |ns, ident, _, _| {
        let mut h = hasher.build_hasher();
        ns.hash(&mut h);
        ident.hash(&mut h);
        prints.push(h.finish());
    });
    prints.sort_unstable();
    if prints.windows(2).all(|w| w[0] != w[1]) {
        return;
    }
    let mut seen: HashMap<(Ns, String), (Option<Span>, Holder<'r>)> = HashMap::new();
    let mut reported: HashSet<(Span, Span)> = HashSet::new();
    decls(&mut |ns, ident, span, holder| {
        let key = (ns, ident.to_owned());
        let Some((first, first_what)) = seen.get(&key) else {
            seen.insert(key, (span, holder));
            return;
        };
        let Some(span) = span else {
            return;
        };
        if first.is_some_and(|first| !reported.insert((first, span))) {
            return;
        }
        let kind = ns.kind();
        let mut diag = Diagnostic::new(
            Code::IdentifierCollision,
            span,
            format!("{holder} and {first_what} both become the {kind} `{ident}`"),
        )
        .with_label("collides")
        .with_help(match ns {
            Ns::Env(_) => "rename one of them; `-` and `_` are the same in .env variable names",
            Ns::TypeScript => {
                "rename one of them; `-` and `_` are dropped in ports.ts's camelCase names"
            }
            Ns::Python => "rename one of them; `-` and `_` are the same in ports.py's names",
            Ns::KubeService => {
                "rename one of them: a Service name is at most 63 characters, `_` written `-`"
            }
            Ns::KubePort(_) => {
                "rename one of them: a port name is at most 15 characters, `_` written `-`"
            }
            _ => "rename one of them; `-` and `_` are the same in Rust names",
        });
        if let Some(first) = first {
            diag = diag.with_secondary(*first, format!("{first_what} is declared"));
        }
        out.push(diag);
    });
}

/// Names that collide as variables of a rendered `<environment>.env` file
/// (`postgres` port `test` and infrastructure `postgres-test` both give
/// `POSTGRES_TEST_PORT`), where one would silently overwrite the other.
fn env_variables(registry: &Registry, bindings: &[Binding<'_>], out: &mut Vec<Diagnostic>) {
    collisions(
        |emit| {
            let mut name = String::new();
            for (e, env) in registry.environments.iter().enumerate() {
                if !env.renders(Artifact::Env, &registry.render) {
                    continue;
                }
                for b in bindings {
                    let (holder, service, port) = match b.owner {
                        Owner::Service {
                            service,
                            port,
                            environment,
                        } => {
                            if !std::ptr::eq(environment, env) {
                                continue;
                            }
                            let holder = Holder::Port(service.name.as_str(), port.name.as_str());
                            (holder, service.name.as_str(), Some(port.name.as_str()))
                        }
                        Owner::Infrastructure(entry) => {
                            if !entry.serves(e) {
                                continue;
                            }
                            (
                                Holder::Infrastructure(entry.name.as_str()),
                                entry.name.as_str(),
                                None,
                            )
                        }
                    };
                    // The names render writes: one function makes both.
                    let flags = ident::EnvFlags {
                        node_port: b.node_port.is_some() && !b.is_range(),
                        url: port.is_some() && !b.is_range(),
                        protocol: b.protocol != Protocol::Tcp,
                        range: b.is_range(),
                    };
                    ident::env_variables(&mut name, service, port, flags, |var, _| {
                        emit(Ns::Env(e), var, Some(b.span), holder);
                    });
                }
            }
        },
        out,
    );
}

/// Names that collide once made Kubernetes DNS labels (cut to 63 characters
/// for a Service, 15 for a port), where one Service would replace another
/// or the API server would refuse the Service.
fn kubernetes_names(registry: &Registry, out: &mut Vec<Diagnostic>) {
    if !registry
        .environments
        .iter()
        .any(|e| e.renders(Artifact::Kubernetes, &registry.render))
    {
        return;
    }
    collisions(
        |emit| {
            for (i, service) in registry.services.iter().enumerate() {
                let holder = Holder::Service(service.name.as_str());
                let name = ident::dns_label(service.name.as_str(), 63);
                emit(Ns::KubeService, &name, Some(service.name.span), holder);
                for port in &service.ports {
                    let holder = Holder::Port(service.name.as_str(), port.name.as_str());
                    for name in ident::kube_port_names(port.name.as_str(), port.protocol) {
                        emit(Ns::KubePort(i), &name, Some(port.name.span), holder);
                    }
                }
            }
        },
        out,
    );
}

/// Names that collide in `ports.py` or `ports.ts`, where the later definition
/// would silently win (Python) or the module would not compile (TypeScript).
fn modules(registry: &Registry, bindings: &[Binding<'_>], out: &mut Vec<Diagnostic>) {
    let rendered = |a: Artifact| registry.render.artifacts.contains(&a);
    let languages: Vec<(Ns, &[&str])> = [
        (Artifact::Python, Ns::Python, ident::PYTHON_NAMES),
        (
            Artifact::TypeScript,
            Ns::TypeScript,
            ident::TYPESCRIPT_NAMES,
        ),
    ]
    .into_iter()
    .filter(|(a, ..)| rendered(*a))
    .map(|(_, ns, names)| (ns, names))
    .collect();
    if languages.is_empty() {
        return;
    }
    collisions(
        |emit| {
            for (ns, fixed) in &languages {
                for name in *fixed {
                    emit(
                        *ns,
                        name,
                        None,
                        Holder::Generated("the module's own definitions"),
                    );
                }
                for service in &registry.services {
                    for port in &service.ports {
                        let holder = Holder::Port(service.name.as_str(), port.name.as_str());
                        let function = match ns {
                            Ns::Python => {
                                ident::python_function(service.name.as_str(), port.name.as_str())
                            }
                            _ => ident::typescript_function(
                                service.name.as_str(),
                                port.name.as_str(),
                            ),
                        };
                        emit(*ns, &function, Some(port.name.span), holder);
                        // Its table of ports by environment.
                        let table = ident::module_table(service.name.as_str(), port.name.as_str());
                        emit(*ns, &table, Some(port.name.span), holder);
                    }
                }
                for b in bindings {
                    match b.owner {
                        Owner::Service {
                            service,
                            port,
                            environment,
                        } => {
                            let name = ident::module_constant(
                                service.name.as_str(),
                                port.name.as_str(),
                                environment.name.as_str(),
                            );
                            let holder = Holder::Port(service.name.as_str(), port.name.as_str());
                            emit(*ns, &name, Some(b.span), holder);
                        }
                        Owner::Infrastructure(entry) => {
                            let holder = Holder::Infrastructure(entry.name.as_str());
                            match &entry.environments {
                                None => emit(
                                    *ns,
                                    &ident::module_infra_constant(entry.name.as_str(), None),
                                    Some(b.span),
                                    holder,
                                ),
                                Some(envs) => {
                                    for e in envs {
                                        let env = registry.environments[*e].name.as_str();
                                        let name = ident::module_infra_constant(
                                            entry.name.as_str(),
                                            Some(env),
                                        );
                                        emit(*ns, &name, Some(b.span), holder);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
        out,
    );
}

/// Names that collide once converted to Rust identifiers.
fn identifiers(registry: &Registry, out: &mut Vec<Diagnostic>) {
    collisions(
        |emit| {
            let mut name = String::new();
            let generated = Holder::Generated("the generated `infrastructure` module");
            emit(Ns::Module, "infrastructure", None, generated);
            for env in &registry.environments {
                let holder = Holder::Environment(env.name.as_str());
                name.clear();
                ident::push_snake(&mut name, env.name.as_str());
                emit(Ns::Module, &name, Some(env.name.span), holder);
            }
            for service in &registry.services {
                let holder = Holder::Service(service.name.as_str());
                name.clear();
                ident::push_snake(&mut name, service.name.as_str());
                emit(Ns::Module, &name, Some(service.name.span), holder);
            }
            // Associated items of `Environment` share the namespace of its variants.
            emit(
                Ns::Variant,
                "ALL",
                None,
                Holder::Generated("the generated `Environment::ALL`"),
            );
            emit(
                Ns::Variant,
                "VAR",
                None,
                Holder::Generated("the generated `Environment::VAR`"),
            );
            for env in &registry.environments {
                let holder = Holder::Environment(env.name.as_str());
                emit(
                    Ns::Variant,
                    &ident::camel(env.name.as_str()),
                    Some(env.name.span),
                    holder,
                );
            }
            // Constants of one environment module: the union over environments is
            // enough, as a service's constants have the same name in each.
            for service in &registry.services {
                for port in &service.ports {
                    let holder = Holder::Port(service.name.as_str(), port.name.as_str());
                    name.clear();
                    ident::push_port_constant(&mut name, service.name.as_str(), port.name.as_str());
                    emit(Ns::Constant, &name, Some(port.name.span), holder);
                }
            }
            for entry in &registry.infrastructure.services {
                let holder = Holder::Infrastructure(entry.name.as_str());
                name.clear();
                ident::push_screaming(&mut name, entry.name.as_str());
                emit(Ns::Infra, &name, Some(entry.name.span), holder);
            }
            for (i, service) in registry.services.iter().enumerate() {
                for port in &service.ports {
                    let holder = Holder::Port(service.name.as_str(), port.name.as_str());
                    name.clear();
                    ident::push_snake(&mut name, port.name.as_str());
                    emit(Ns::Function(i), &name, Some(port.name.span), holder);
                }
            }
        },
        out,
    );
}

/// Environment ranges on one host must not overlap.
fn range_overlaps(registry: &Registry, out: &mut Vec<Diagnostic>) {
    for (i, later) in registry.environments.iter().enumerate() {
        for earlier in &registry.environments[..i] {
            if earlier.host() != later.host() {
                continue;
            }
            let overlap = later.range.ranges.iter().find_map(|a| {
                earlier
                    .range
                    .ranges
                    .iter()
                    .find(|b| a.overlaps(b))
                    .map(|b| (a, b))
            });
            if let Some((a, b)) = overlap {
                out.push(
                    Diagnostic::new(
                        Code::RangeOverlap,
                        later.range.span,
                        format!(
                            "range {a} of environment `{}` overlaps range {b} of environment `{}` on {}",
                            later.name,
                            earlier.name,
                            later.host()
                        ),
                    )
                    .with_label("overlaps")
                    .with_secondary(earlier.range.span, format!("`{}` declares its range", earlier.name))
                    .with_help("give each environment its own range, or put it on another host with `host:`"),
                );
            }
        }
    }
}

/// A bare `api: 8001` with several environments on one host gives them all one port.
fn shared_across_environments(registry: &Registry, out: &mut Vec<Diagnostic>) {
    for service in &registry.services {
        for port in &service.ports {
            if port.assignments.len() < 2 {
                continue;
            }
            let mut by_value: HashMap<(u32, HostRef<'_>), (Span, Vec<&str>)> = HashMap::new();
            for a in &port.assignments {
                let env = &registry.environments[a.environment];
                let entry = by_value
                    .entry((a.value, env.host()))
                    .or_insert((a.span, Vec::new()));
                entry.1.push(env.name.as_str());
            }
            let mut shared: Vec<_> = by_value
                .into_iter()
                .filter(|(_, (_, envs))| envs.len() > 1)
                .map(|((_, host), (span, envs))| (span, host, envs))
                .collect();
            shared.sort();
            for (span, host, envs) in shared {
                let example = envs
                    .iter()
                    .map(|e| format!("{e}: …"))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(
                    Diagnostic::new(
                        Code::SharedAcrossEnvironments,
                        span,
                        format!(
                            "`{}.{}` gives one port to environments {} on {host}, so it conflicts with itself",
                            service.name,
                            port.name,
                            envs.join(", ")
                        ),
                    )
                    .with_label("one port for every environment")
                    .with_help(format!(
                        "give each environment its own port: `{}: {{ {example} }}`, or put the environments on separate hosts with `host:`",
                        port.name
                    )),
                );
            }
        }
    }
}

/// Ports that work but deserve a second look.
fn warnings(b: &Binding<'_>, out: &mut Vec<Diagnostic>) {
    // A range warns for its first port in the ephemeral range.
    let p = b.port.get().max(EPHEMERAL.0.min(b.end.get()));
    if (EPHEMERAL.0..=EPHEMERAL.1).contains(&p) {
        out.push(
            Diagnostic::new(
                Code::EphemeralPort,
                b.span,
                format!(
                    "port {p} of {} is in the Linux ephemeral range {}-{}",
                    b.owner.short(),
                    EPHEMERAL.0,
                    EPHEMERAL.1
                ),
            )
            .with_label("outgoing connections may already hold it")
            .with_help("prefer a port below 32768"),
        );
    }
    if p < 1024 {
        out.push(
            Diagnostic::new(
                Code::PrivilegedPort,
                b.span,
                format!("port {p} of {} is privileged (below 1024)", b.owner.short()),
            )
            .with_label("binding it needs root or CAP_NET_BIND_SERVICE")
            .with_help("publish a port of 1024 or above; the container port may stay low"),
        );
    }
}

/// `8125/udp`, `10000-10099/udp`: a port or range with its transport,
/// where it is not TCP.
fn shown_port(b: &Binding<'_>) -> String {
    let ports = match b.is_range() {
        true => format!("range {}", b.ports()),
        false => b.port.to_string(),
    };
    match b.protocol {
        Protocol::Tcp => ports,
        p => format!("{ports}/{p}"),
    }
}

/// Where a nearest-free-port search starts: host, transport, port, and range
/// (by its span).
type Origin<'r> = (HostRef<'r>, Protocol, i64, Option<u32>);

/// The rules about who holds which port, over the [`crate::occupancy`] table.
struct Occupancy<'r> {
    registry: &'r Registry,
    /// Who holds each port.
    table: crate::occupancy::Occupancy<'r>,
    /// What claiming every port found held twice.
    clashes: crate::occupancy::Clashes,
    /// Ranges of many pieces, merged, by the span of their declaration: a
    /// range set written as 2,048 pieces is searched, not walked, per port.
    merged: std::cell::RefCell<HashMap<u32, Vec<(u16, u16)>>>,
    /// The nearest free port per host, origin and range (by its span), once
    /// every port is claimed.
    nearest: std::cell::RefCell<HashMap<Origin<'r>, Option<Port>>>,
}

impl<'r> Occupancy<'r> {
    /// `bindings` in file order: the holder that comes first keeps the port.
    fn new(registry: &'r Registry, bindings: Vec<Binding<'r>>) -> Self {
        let (table, clashes) = crate::occupancy::Occupancy::claim(registry, bindings);
        Self {
            registry,
            table,
            clashes,
            merged: std::cell::RefCell::new(HashMap::new()),
            nearest: std::cell::RefCell::new(HashMap::new()),
        }
    }

    /// The first port of `ports` outside `set`, or `None` when `set` holds
    /// them all.
    fn first_outside(&self, set: &RangeSet, ports: crate::model::PortRange) -> Option<Port> {
        // A few pieces are walked; many are merged once and searched.
        if set.ranges.len() <= 8 {
            let mut at = ports.start;
            loop {
                let Some(piece) = set
                    .ranges
                    .iter()
                    .filter(|r| r.contains(at))
                    .max_by_key(|r| r.end)
                else {
                    return Some(at);
                };
                if piece.end >= ports.end {
                    return None;
                }
                // `piece.end` is below `ports.end`, so the next port exists.
                at = Port::new(piece.end.get() + 1)?;
            }
        } else {
            let mut merged = self.merged.borrow_mut();
            let pieces = merged.entry(set.span.start).or_insert_with(|| {
                let mut all: Vec<(u16, u16)> = set
                    .ranges
                    .iter()
                    .map(|r| (r.start.get(), r.end.get()))
                    .collect();
                all.sort_unstable();
                let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
                for (a, b) in all {
                    match out.last_mut() {
                        Some(last) if u32::from(a) <= u32::from(last.1) + 1 => {
                            last.1 = last.1.max(b)
                        }
                        _ => out.push((a, b)),
                    }
                }
                out
            });
            let (a, b) = (ports.start.get(), ports.end.get());
            let i = pieces.partition_point(|&(_, end)| end < a);
            match pieces.get(i) {
                Some(&(start, end)) if start <= a => {
                    (end < b).then(|| Port::new(end + 1)).flatten()
                }
                _ => Some(ports.start),
            }
        }
    }

    /// Whether `set` holds `port`.
    fn holds(&self, set: &RangeSet, port: Port) -> bool {
        self.first_outside(
            set,
            crate::model::PortRange {
                start: port,
                end: port,
            },
        )
        .is_none()
    }

    fn check(self, out: &mut Vec<Diagnostic>) {
        let bindings = &self.table.bindings;
        if let Some(i) = self.clashes.over_budget {
            out.push(
                Diagnostic::new(
                    Code::InvalidRange,
                    bindings[i].span,
                    format!(
                        "ranges hold more than {} ports in all (each environment and transport counted); Portolan checks no more",
                        crate::occupancy::RANGE_PORTS
                    ),
                )
                .with_help("hold fewer or smaller ranges"),
            );
        }
        let conflicts = &self.clashes.ports;
        let node_conflicts = &self.clashes.node_ports;
        for &(i, first) in conflicts {
            let (b, holder) = (&bindings[i], &bindings[first]);
            let what = if b.is_range() || holder.is_range() {
                "overlaps"
            } else {
                "is already used by"
            };
            let port = if b.is_range() { "" } else { "port " };
            let mut d = Diagnostic::new(
                Code::PortConflict,
                b.span,
                format!(
                    "{port}{} of {} {what} {}",
                    shown_port(b),
                    b.owner,
                    holder.owner
                ),
            )
            .with_label(format!("{} is taken", shown_port(b)))
            .with_secondary(holder.span, format!("{} holds it", holder.owner));
            if !b.is_range()
                && let Some(help) = self.suggestion(b)
            {
                d = d.with_help(help);
            }
            out.push(d);
        }
        for &(i, first) in node_conflicts {
            let (b, holder) = (&bindings[i], &bindings[first]);
            let np = b
                .node_port
                .expect("only bindings with NodePorts conflict on them");
            // A written NodePort is where the finding points; a derived one, its port.
            let at = |b: &Binding<'_>| match b.owner {
                Owner::Infrastructure(s) => s.node_port.map_or(b.span, |(_, span)| span),
                Owner::Service { .. } => b.span,
            };
            out.push(
                Diagnostic::new(
                    Code::NodePortConflict,
                    at(b),
                    format!(
                        "NodePort {np} of {} is already used by {}",
                        b.owner, holder.owner
                    ),
                )
                .with_label(format!("gives NodePort {np}"))
                .with_secondary(at(holder), format!("{} holds it", holder.owner)),
            );
        }
        // `load` numbers values from 1 as it reads them, so a flag per value
        // does; a hand-built registry with sparse numbers gets a set.
        let last = bindings.iter().map(|b| b.value as usize).max();
        let dense = last.filter(|&n| n <= 4 * bindings.len() + 64);
        let mut flags = vec![false; dense.map_or(0, |n| n + 1)];
        let mut sparse = HashSet::new();
        for b in bindings {
            self.per_binding(b, out);
            // A bare port shared by environments is one value: warn about it once.
            let first = match dense {
                Some(_) => !std::mem::replace(&mut flags[b.value as usize], true),
                None => sparse.insert(b.value),
            };
            if first {
                warnings(b, out);
            }
        }
    }

    /// The rules of [`Self::per_binding`] for a range of ports one service
    /// holds: every port in its environment's range and none reserved; no
    /// NodePorts (a Kubernetes Service has no port ranges).
    fn per_range(&self, b: &Binding<'r>, out: &mut Vec<Diagnostic>) {
        let ports = b.ports();
        if let Some(range) = self.range_of(b)
            && !range.ranges.is_empty()
            && let Some(outside) = self.first_outside(range, ports)
        {
            let range_name = Self::range_name(b);
            out.push(
                Diagnostic::new(
                    Code::OutsideRange,
                    b.span,
                    format!(
                        "range {ports} of {} is not inside {range_name} {range}: {outside} is outside",
                        b.owner
                    ),
                )
                .with_label(format!("not in {range}"))
                .with_secondary(range.span, "the range is declared here"),
            );
        }
        if let Some((port, r)) = self.table.first_reserved(ports) {
            out.push(
                Diagnostic::new(
                    Code::ReservedPort,
                    b.span,
                    format!(
                        "range {ports} of {} includes {port}, which is reserved: {}",
                        b.owner, r.reason
                    ),
                )
                .with_label("includes a reserved port")
                .with_secondary(r.span, "reserved here")
                .with_help("move the range clear of the reserved ports (`portolan assign --count` finds a free block)"),
            );
        }
        if let Some(env) = b.environment()
            && env.node_ports.is_some()
        {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    b.span,
                    format!(
                        "range {ports} of {}: {} has NodePorts, and a Kubernetes Service has no port ranges",
                        b.owner, env.name
                    ),
                )
                .with_help("give the range to an environment without `node_ports`, or list its ports one by one"),
            );
        }
    }

    fn reserved_at(&self, port: Port) -> Option<&'r crate::model::Reserved> {
        self.table.reserved_at(port)
    }

    /// Range, reserved, NodePort and warning rules for one port.
    fn per_binding(&self, b: &Binding<'r>, out: &mut Vec<Diagnostic>) {
        if b.is_range() {
            return self.per_range(b, out);
        }
        if let Some(range) = self.range_of(b)
            && !range.ranges.is_empty()
            && !self.holds(range, b.port)
        {
            let range_name = Self::range_name(b);
            let mut d = Diagnostic::new(
                Code::OutsideRange,
                b.span,
                format!(
                    "port {} of {} is outside {range_name} {range}",
                    b.port, b.owner
                ),
            )
            .with_label(format!("not in {range}"))
            .with_secondary(range.span, "the range is declared here");
            if let Some(help) = self.suggestion(b) {
                d = d.with_help(help);
            }
            out.push(d);
        }
        if let Some(r) = self.reserved_at(b.port) {
            out.push(
                Diagnostic::new(
                    Code::ReservedPort,
                    b.span,
                    format!("port {} of {} is reserved: {}", b.port, b.owner, r.reason),
                )
                .with_label("reserved")
                .with_secondary(r.span, "reserved here"),
            );
        }
        if let Some(env) = b.environment()
            && let Some(np) = &env.node_ports
        {
            self.node_port(b, np, out);
        }
        // A written infrastructure NodePort is held to the reserved ports too.
        if let Owner::Infrastructure(entry) = b.owner
            && let Some((np, span)) = entry.node_port
            && let Some(r) = self.reserved_at(np)
        {
            out.push(
                Diagnostic::new(
                    Code::ReservedPort,
                    span,
                    format!("NodePort {np} of {} is reserved: {}", b.owner, r.reason),
                )
                .with_label("reserved")
                .with_secondary(r.span, "reserved here"),
            );
        }
        // An infrastructure NodePort is written, not derived: Kubernetes' range.
        if let Owner::Infrastructure(entry) = b.owner
            && let Some((np, span)) = entry.node_port
            && !KUBERNETES_NODE_PORTS.contains(np)
        {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    span,
                    format!(
                        "NodePort {np} of {} is outside Kubernetes' NodePort range {KUBERNETES_NODE_PORTS}",
                        b.owner
                    ),
                )
                .with_label(format!("not in {KUBERNETES_NODE_PORTS}"))
                .with_help("choose a NodePort in 30000-32767 (the cluster's --service-node-port-range, if changed)"),
            );
        }
    }

    fn node_port(&self, b: &Binding<'r>, np: &crate::model::NodePorts, out: &mut Vec<Diagnostic>) {
        let Some(node_port) = b.node_port else {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    b.span,
                    format!(
                        "NodePort of {} would be {} + {} = {}, not a port number",
                        b.owner,
                        b.port,
                        np.offset,
                        i64::from(b.port.get()) + i64::from(np.offset)
                    ),
                )
                .with_secondary(np.offset_span, "the offset is declared here"),
            );
            return;
        };
        if !KUBERNETES_NODE_PORTS.contains(node_port) {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    b.span,
                    format!(
                        "NodePort {node_port} of {} is outside Kubernetes' NodePort range {KUBERNETES_NODE_PORTS}",
                        b.owner
                    ),
                )
                .with_label(format!("{} + {} = {node_port}", b.port, np.offset))
                .with_secondary(np.offset_span, "the offset is declared here"),
            );
        } else if !np.range.ranges.is_empty() && !np.range.contains(node_port) {
            out.push(
                Diagnostic::new(
                    Code::InvalidNodePort,
                    b.span,
                    format!(
                        "NodePort {node_port} of {} is outside the NodePort range {}",
                        b.owner, np.range
                    ),
                )
                .with_label(format!("{} + {} = {node_port}", b.port, np.offset))
                .with_secondary(np.range.span, "the NodePort range is declared here"),
            );
        }
        if let Some(r) = self.reserved_at(node_port) {
            out.push(
                Diagnostic::new(
                    Code::ReservedPort,
                    b.span,
                    format!(
                        "NodePort {node_port} of {} is reserved: {}",
                        b.owner, r.reason
                    ),
                )
                .with_label(format!("gives NodePort {node_port}"))
                .with_secondary(r.span, "reserved here"),
            );
        }
    }

    /// The range a port must lie in.
    fn range_of(&self, b: &Binding<'r>) -> Option<&'r RangeSet> {
        match b.owner {
            Owner::Service { environment, .. } => Some(&environment.range),
            Owner::Infrastructure(_) => self.registry.infrastructure.range.as_ref(),
        }
    }

    /// How to name the range of [`Occupancy::range_of`] in a message.
    fn range_name(b: &Binding<'r>) -> String {
        match b.owner {
            Owner::Service { environment, .. } => format!("the range of {}", environment.name),
            Owner::Infrastructure(_) => "the infrastructure range".to_owned(),
        }
    }

    /// "nearest free port in …" for a port that is taken or out of range.
    fn suggestion(&self, b: &Binding<'r>) -> Option<String> {
        let range = self.range_of(b).filter(|r| !r.ranges.is_empty());
        let range_name = Self::range_name(b);
        let free = |p: i64| -> Option<Port> {
            let port = Port::from_i128(i128::from(p))?;
            let in_range = range.is_none_or(|r| self.holds(r, port));
            let unused = self.table.free(b.host, b.protocol, port);
            (in_range && unused && self.reserved_at(port).is_none()).then_some(port)
        };
        // Search outward from the port itself, or, when it is outside its
        // range, from the range's nearest end (12000 against 8000-8499: 8499).
        let port = i64::from(b.port.get());
        let origin = match range {
            Some(r) if !self.holds(r, b.port) => r
                .ranges
                .iter()
                .map(|x| port.clamp(i64::from(x.start.get()), i64::from(x.end.get())))
                .min_by_key(|&p| (p - port).abs())?,
            _ => port,
        };
        // Within a range, no farther than its ends: a full range answers in
        // its own size. The answer depends only on the host, the origin and
        // the range, so thousands of findings on one full range search once.
        let reach = range.map_or(65535, |r| {
            let lo = r
                .ranges
                .iter()
                .map(|x| i64::from(x.start.get()))
                .min()
                .unwrap_or(0);
            let hi = r
                .ranges
                .iter()
                .map(|x| i64::from(x.end.get()))
                .max()
                .unwrap_or(65535);
            (origin - lo).max(hi - origin).max(0)
        });
        let key = (b.host, b.protocol, origin, range.map(|r| r.span.start));
        let cached = self.nearest.borrow().get(&key).copied();
        let found = match cached {
            Some(found) => found,
            None => {
                let found = (0..=reach).find_map(|d| free(origin - d).or_else(|| free(origin + d)));
                self.nearest.borrow_mut().insert(key, found);
                found
            }
        }?;
        Some(match range {
            Some(r) => format!("the nearest free port in {range_name} ({r}) is {found}"),
            None => format!("the nearest free port is {found}"),
        })
    }
}
