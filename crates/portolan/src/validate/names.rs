//! Names that collide once generated: two declarations that become one Rust
//! identifier, `.env` variable, Kubernetes name, or name in ports.py or
//! ports.ts, where one would replace the other or the output would not compile.

use crate::diag::{Code, Diagnostic};
use crate::ident;
use crate::model::{Artifact, Binding, Owner, Protocol, Registry};
use crate::source::Span;
use std::collections::{HashMap, HashSet};

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
/// A valid registry has no collision, and building a map of every owned
/// name to prove it costs more than loading the file (300,000 names in a
/// full port space); so a first pass only hashes each name, and the map is
/// built only when two hashes are equal (equal names always are; a false
/// alarm costs time, never a finding).
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
pub(super) fn env_variables(
    registry: &Registry,
    bindings: &[Binding<'_>],
    out: &mut Vec<Diagnostic>,
) {
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
pub(super) fn kubernetes_names(registry: &Registry, out: &mut Vec<Diagnostic>) {
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
pub(super) fn modules(registry: &Registry, bindings: &[Binding<'_>], out: &mut Vec<Diagnostic>) {
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
            for &(ns, fixed) in &languages {
                module_names(registry, bindings, ns, fixed, &mut *emit);
            }
        },
        out,
    );
}

/// The names one of ports.py or ports.ts (`ns`) declares: its own `fixed`
/// definitions, then a function and a table per named port, then a constant
/// per port.
fn module_names<'r>(
    registry: &'r Registry,
    bindings: &[Binding<'r>],
    ns: Ns,
    fixed: &[&str],
    emit: Emit<'_, 'r>,
) {
    for name in fixed {
        emit(
            ns,
            name,
            None,
            Holder::Generated("the module's own definitions"),
        );
    }
    for service in &registry.services {
        for port in &service.ports {
            let holder = Holder::Port(service.name.as_str(), port.name.as_str());
            let function = match ns {
                Ns::Python => ident::python_function(service.name.as_str(), port.name.as_str()),
                _ => ident::typescript_function(service.name.as_str(), port.name.as_str()),
            };
            emit(ns, &function, Some(port.name.span), holder);
            // Its table of ports by environment.
            let table = ident::module_table(service.name.as_str(), port.name.as_str());
            emit(ns, &table, Some(port.name.span), holder);
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
                emit(ns, &name, Some(b.span), holder);
            }
            Owner::Infrastructure(entry) => {
                let holder = Holder::Infrastructure(entry.name.as_str());
                match &entry.environments {
                    None => emit(
                        ns,
                        &ident::module_infra_constant(entry.name.as_str(), None),
                        Some(b.span),
                        holder,
                    ),
                    Some(envs) => {
                        for e in envs {
                            let env = registry.environments[*e].name.as_str();
                            let name = ident::module_infra_constant(entry.name.as_str(), Some(env));
                            emit(ns, &name, Some(b.span), holder);
                        }
                    }
                }
            }
        }
    }
}

/// Names that collide once converted to Rust identifiers.
pub(super) fn identifiers(registry: &Registry, out: &mut Vec<Diagnostic>) {
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
