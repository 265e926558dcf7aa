//! The registry as checked domain types: what `load` builds from ports.yaml and
//! every later stage (validate, codegen, render, edit, allocate) reads.
//!
//! Order is part of the model: environments keep the order of the file (it is
//! the order of `Environment::ALL`); services, named ports and infrastructure
//! entries are sorted by name, so output does not depend on where an entry sits.
//!
//! The source keeps one file per part:
//!
//! - `model/ports.rs`: [`Port`], [`PortRange`], [`RangeSet`] and [`Protocol`];
//! - this module: the [`Registry`] and what ports.yaml declares
//!   (environments, services, infrastructure, reserved ports);
//! - `model/bindings.rs`: every port resolved ([`Binding`], [`Registry::bindings`]);
//! - `model/render.rs` and `model/sync.rs`: the `render:` and `sync:` sections;
//! - `model/paths.rs`: file paths and the key paths into the team's files.

use crate::source::Span;
use std::fmt;

mod bindings;
mod paths;
mod ports;
mod render;
mod sync;

pub use bindings::{Binding, Owner};
pub use paths::{KeyPath, PLACEHOLDERS, Segment, check_relative_path};
pub use ports::{KUBERNETES_NODE_PORTS, Port, PortRange, Protocol, RangeSet};
pub use render::{Artifact, Render, Template};
pub use sync::{FileFormat, OwnedList, SyncFile};

/// A name from the file (project, environment, service, named port, host)
/// with where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// The name as written.
    pub value: String,
    /// Where it is written.
    pub span: Span,
}

impl Name {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

/// The whole registry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Registry {
    /// The file the registry was read from, as diagnostics and generated docs name it.
    pub file: String,
    /// The project's name.
    pub project: Name,
    /// Environments, in the order of the file.
    pub environments: Vec<Environment>,
    /// Services, sorted by name.
    pub services: Vec<Service>,
    /// Ports of shared infrastructure (databases, caches).
    pub infrastructure: Infrastructure,
    /// Ports and ranges nobody may use, in the order of the file.
    pub reserved: Vec<Reserved>,
    /// What `portolan sync` renders into files Portolan owns.
    pub render: Render,
    /// Files the team owns, and the values Portolan keeps in them.
    pub sync: Vec<SyncFile>,
}

/// Where several environments and the infrastructure run: ports must be unique
/// per host. Entries without a `host` key share the default host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HostRef<'a> {
    /// The host every entry shares unless it names another.
    Shared,
    /// A host named with `host:`.
    Named(&'a str),
}

impl fmt::Display for HostRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostRef::Shared => f.write_str("the shared host"),
            HostRef::Named(name) => write!(f, "host `{name}`"),
        }
    }
}

fn host_ref(host: &Option<Name>) -> HostRef<'_> {
    host.as_ref()
        .map_or(HostRef::Shared, |h| HostRef::Named(h.as_str()))
}

/// The address a port is published on (`127.0.0.1` for a test database only
/// this host may reach), and where it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bind {
    /// The address.
    pub addr: std::net::IpAddr,
    /// Where it is written.
    pub span: Span,
}

/// One environment (production, development, test, cluster…).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Environment {
    /// Its name.
    pub name: Name,
    /// The ports its services may use.
    pub range: RangeSet,
    /// Kubernetes NodePorts derived from each port, if the environment is a cluster.
    pub node_ports: Option<NodePorts>,
    /// The host it runs on, when it does not share the default one.
    pub host: Option<Name>,
    /// The per-environment artifacts (`env`, `compose`) rendered for it, in
    /// place of those `render.artifacts` lists; `None` means those.
    pub artifacts: Option<Vec<Artifact>>,
    /// The address its ports are published on, unless a port says another;
    /// `None` is every address.
    pub bind: Option<Bind>,
}

impl Environment {
    /// The host whose ports this environment uses.
    pub fn host(&self) -> HostRef<'_> {
        host_ref(&self.host)
    }

    /// Whether `artifact` (one rendered per environment) is rendered for this one.
    pub fn renders(&self, artifact: Artifact, render: &Render) -> bool {
        self.artifacts
            .as_ref()
            .unwrap_or(&render.artifacts)
            .contains(&artifact)
    }
}

/// How an environment derives NodePorts: `port + offset`, inside `range`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodePorts {
    /// Where NodePorts of this environment must lie.
    pub range: RangeSet,
    /// Added to each port to give its NodePort.
    pub offset: i32,
    /// Where the offset is written.
    pub offset_span: Span,
}

impl NodePorts {
    /// The NodePort of `port`, or `None` when `port + offset` is not a port number.
    pub fn node_port(&self, port: Port) -> Option<Port> {
        Port::from_i128(i128::from(port.get()) + i128::from(self.offset))
    }
}

/// A service with its named ports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Service {
    /// Its name.
    pub name: Name,
    /// What it is.
    pub description: Option<String>,
    /// The environments it runs in (indices into [`Registry::environments`]);
    /// `None` means every environment.
    pub environments: Option<Vec<usize>>,
    /// Its ports, sorted by name.
    pub ports: Vec<NamedPort>,
    /// The process names it runs as (`comm`), for `portolan doctor`; empty
    /// means a name like the service's.
    pub processes: Vec<String>,
}

impl Service {
    /// Whether the service runs in the environment with index `env`.
    pub fn runs_in(&self, env: usize) -> bool {
        self.environments
            .as_ref()
            .is_none_or(|envs| envs.contains(&env))
    }
}

/// A named port of a service (`api`, `metrics`) and its port per environment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NamedPort {
    /// Its name.
    pub name: Name,
    /// Its port in each environment it has one, sorted by environment index.
    pub assignments: Vec<Assignment>,
    /// The URL scheme other services reach it with (`grpc`, `https`); `None`
    /// is `http`, or `udp` for a UDP port.
    pub scheme: Option<Text>,
    /// Its transport.
    pub protocol: Protocol,
    /// The address it is published on, in place of its environment's.
    pub bind: Option<Bind>,
}

impl NamedPort {
    /// The URL scheme `url()` and the `_URL` variables use: the one written,
    /// else `udp` for a UDP port (`udp://statsd:8125`, as StatsD and syslog
    /// clients take it) and `http` for the rest.
    pub fn scheme(&self) -> &str {
        match (&self.scheme, self.protocol) {
            (Some(s), _) => s.value.as_str(),
            (None, Protocol::Udp) => "udp",
            (None, _) => "http",
        }
    }

    /// The assignment for environment index `env`.
    pub fn in_environment(&self, env: usize) -> Option<&Assignment> {
        self.assignments.iter().find(|a| a.environment == env)
    }
}

/// A port in one environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Assignment {
    /// Index into [`Registry::environments`].
    pub environment: usize,
    /// The port published on the host; the first of a range.
    pub port: Port,
    /// The last port of a range (`rtp: 10000-10099`); `port` for one port.
    pub end: Port,
    /// The port the process listens on inside its container (default: `port`).
    pub container_port: Port,
    /// Where the port is written. A bare `api: 8001` gives every environment the same span.
    pub span: Span,
    /// Identifies the written value: the assignments of one bare `api: 8001`
    /// share it, and no others do (spans cannot tell: YAML merge keys and
    /// aliases give many values the span of the `<<` or `*alias`).
    pub value: u32,
}

/// Ports of shared infrastructure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Infrastructure {
    /// Where infrastructure ports must lie, when given.
    pub range: Option<RangeSet>,
    /// The host it runs on, when it does not share the default one.
    pub host: Option<Name>,
    /// Entries, sorted by name.
    pub services: Vec<InfraService>,
}

impl Infrastructure {
    /// The host whose ports the infrastructure uses.
    pub fn host(&self) -> HostRef<'_> {
        host_ref(&self.host)
    }
}

/// One infrastructure entry (postgres, redis).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InfraService {
    /// Its name.
    pub name: Name,
    /// What it is.
    pub description: Option<String>,
    /// The port published on the host.
    pub port: Port,
    /// The port inside its container (default: `port`).
    pub container_port: Port,
    /// Where `port` is written.
    pub span: Span,
    /// Identifies the written value, as [`Assignment::value`] does.
    pub value: u32,
    /// The environments whose stacks publish it (indices into
    /// [`Registry::environments`]); `None` means every environment.
    pub environments: Option<Vec<usize>>,
    /// Its transport.
    pub protocol: Protocol,
    /// The address it is published on; `None` is every address.
    pub bind: Option<Bind>,
    /// The Kubernetes NodePort a cluster maps for it, and where it is written.
    pub node_port: Option<(Port, Span)>,
}

impl InfraService {
    /// Whether the entry belongs to the environment with index `env`.
    pub fn serves(&self, env: usize) -> bool {
        self.environments
            .as_ref()
            .is_none_or(|envs| envs.contains(&env))
    }
}

/// A port or range nobody may use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reserved {
    /// The ports.
    pub ports: PortRange,
    /// Why they are reserved.
    pub reason: String,
    /// Where the port or range is written.
    pub span: Span,
}

impl Registry {
    /// The environment called `name`.
    pub fn environment(&self, name: &str) -> Option<(usize, &Environment)> {
        self.environments
            .iter()
            .enumerate()
            .find(|(_, e)| e.name.as_str() == name)
    }

    /// The service or infrastructure entry whose name is closest to `name`,
    /// when one is close enough to be a likely typo.
    pub fn similar_name(&self, name: &str) -> Option<&str> {
        let names = self
            .services
            .iter()
            .map(|s| s.name.as_str())
            .chain(self.infrastructure.services.iter().map(|s| s.name.as_str()));
        crate::load::did_you_mean(name, names)
    }

    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.services[i])
    }
}

/// A string from ports.yaml and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    /// The string.
    pub value: String,
    /// Where it is written.
    pub span: Span,
}
