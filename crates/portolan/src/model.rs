//! The registry as checked domain types: what `load` builds from ports.yaml and
//! every later stage (validate, codegen, render, edit, allocate) reads.
//!
//! Order is part of the model: environments keep the order of the file (it is
//! the order of `Environment::ALL`); services, named ports and infrastructure
//! entries are sorted by name, so output does not depend on where an entry sits.

use crate::source::Span;
use std::fmt;
use std::num::NonZeroU16;

mod paths;

pub use paths::{KeyPath, PLACEHOLDERS, Segment, check_relative_path};

/// A TCP/UDP port number: 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(NonZeroU16);

impl Port {
    /// The lowest port.
    pub const MIN: Port = Port(NonZeroU16::MIN);
    /// The highest port.
    pub const MAX: Port = Port(NonZeroU16::MAX);

    /// `None` for 0.
    pub const fn new(n: u16) -> Option<Port> {
        match NonZeroU16::new(n) {
            Some(n) => Some(Port(n)),
            None => None,
        }
    }

    /// A port from any integer, or `None` outside 1–65535.
    pub fn from_i128(n: i128) -> Option<Port> {
        u16::try_from(n).ok().and_then(Port::new)
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0.get()
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// The range Kubernetes allows for NodePorts by default (`--service-node-port-range`).
pub const KUBERNETES_NODE_PORTS: PortRange = PortRange {
    start: Port(NonZeroU16::new(30000).unwrap()),
    end: Port(NonZeroU16::new(32767).unwrap()),
};

/// An inclusive range of ports; a single port is a range of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    /// First port in the range.
    pub start: Port,
    /// Last port in the range (inclusive).
    pub end: Port,
}

impl PortRange {
    /// Whether `port` lies in the range.
    pub fn contains(&self, port: Port) -> bool {
        self.start <= port && port <= self.end
    }

    /// Whether two ranges share a port.
    pub fn overlaps(&self, other: &PortRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// Number of ports.
    pub fn len(&self) -> usize {
        usize::from(self.end.get() - self.start.get()) + 1
    }

    /// Never empty: a range holds at least one port.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The ports in order.
    pub fn ports(&self) -> impl Iterator<Item = Port> + use<> {
        (self.start.get()..=self.end.get()).filter_map(Port::new)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// A union of ranges, as written (`8000-8799` or `[5000-6999, 8080]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeSet {
    /// The ranges, in the order written.
    pub ranges: Vec<PortRange>,
    /// Where the value is written.
    pub span: Span,
}

impl RangeSet {
    /// Whether any range holds `port`.
    pub fn contains(&self, port: Port) -> bool {
        self.ranges.iter().any(|r| r.contains(port))
    }

    /// The first port of the first range.
    pub fn first(&self) -> Option<Port> {
        self.ranges.first().map(|r| r.start)
    }
}

/// The pieces of a range set a message shows; the rest are counted, so a
/// range written as thousands of pieces does not fill every finding.
const SHOWN_PIECES: usize = 8;

impl fmt::Display for RangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.ranges.iter().take(SHOWN_PIECES).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}")?;
        }
        if self.ranges.len() > SHOWN_PIECES {
            write!(f, ", … ({} more)", self.ranges.len() - SHOWN_PIECES)?;
        }
        Ok(())
    }
}

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

/// The transport a port is for: ports of different transports on one number
/// do not collide (statsd on 8125/udp beside an HTTP API on 8125/tcp).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Protocol {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// TCP and UDP on the same number (DNS).
    Both,
}

impl Protocol {
    /// As written in ports.yaml: `tcp`, `udp` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Both => "both",
        }
    }

    /// The single transports it uses: `[Tcp]`, `[Udp]` or `[Tcp, Udp]`.
    pub fn transports(self) -> &'static [Protocol] {
        match self {
            Protocol::Tcp => &[Protocol::Tcp],
            Protocol::Udp => &[Protocol::Udp],
            Protocol::Both => &[Protocol::Tcp, Protocol::Udp],
        }
    }

    /// Whether two ports on one number collide: they share a transport.
    pub fn overlaps(self, other: Protocol) -> bool {
        self.transports()
            .iter()
            .any(|t| other.transports().contains(t))
    }

    /// Parses `tcp`, `udp` or `both`.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            "both" => Some(Protocol::Both),
            _ => None,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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

/// Who holds a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner<'a> {
    /// A service's named port in one environment.
    Service {
        /// The service.
        service: &'a Service,
        /// The named port.
        port: &'a NamedPort,
        /// The environment.
        environment: &'a Environment,
    },
    /// An infrastructure entry.
    Infrastructure(&'a InfraService),
}

impl Owner<'_> {
    /// The holder without its environment: `` `courier.api` `` or `` infrastructure `redis` ``.
    pub fn short(&self) -> String {
        match self {
            Owner::Service { service, port, .. } => format!("`{}.{}`", service.name, port.name),
            Owner::Infrastructure(infra) => format!("infrastructure `{}`", infra.name),
        }
    }
}

impl fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Service {
                service,
                port,
                environment,
            } => write!(
                f,
                "`{}.{}` in {}",
                service.name, port.name, environment.name
            ),
            Owner::Infrastructure(infra) => write!(f, "infrastructure `{}`", infra.name),
        }
    }
}

/// One resolved port: who holds it, on which host, with its container port and NodePort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Binding<'a> {
    /// Who holds the port.
    pub owner: Owner<'a>,
    /// The host port; the first of a range.
    pub port: Port,
    /// The last port of a range; `port` for one port.
    pub end: Port,
    /// The port inside the container.
    pub container_port: Port,
    /// The Kubernetes NodePort, in node-port environments.
    pub node_port: Option<Port>,
    /// Where the port is written.
    pub span: Span,
    /// The host the port is published on.
    pub host: HostRef<'a>,
    /// Identifies the written value ([`Assignment::value`]).
    pub value: u32,
    /// Its transport.
    pub protocol: Protocol,
    /// The address it is published on (the port's, else its environment's);
    /// `None` is every address.
    pub bind: Option<Bind>,
}

impl<'a> Binding<'a> {
    /// The ports it holds: one, or a range.
    pub fn ports(&self) -> PortRange {
        PortRange {
            start: self.port,
            end: self.end,
        }
    }

    /// Whether it holds a range of ports rather than one.
    pub fn is_range(&self) -> bool {
        self.end != self.port
    }

    /// The environment, for service ports.
    pub fn environment(&self) -> Option<&'a Environment> {
        match self.owner {
            Owner::Service { environment, .. } => Some(environment),
            Owner::Infrastructure(_) => None,
        }
    }

    /// The service or infrastructure entry's description.
    pub fn description(&self) -> Option<&'a str> {
        match self.owner {
            Owner::Service { service, .. } => service.description.as_deref(),
            Owner::Infrastructure(infra) => infra.description.as_deref(),
        }
    }
}

impl Registry {
    /// Every port in the registry: service ports by service, named port and
    /// environment, then infrastructure by name.
    pub fn bindings(&self) -> impl Iterator<Item = Binding<'_>> {
        let services = self.services.iter().flat_map(move |service| {
            service.ports.iter().flat_map(move |port| {
                port.assignments.iter().map(move |a| {
                    let environment = &self.environments[a.environment];
                    Binding {
                        owner: Owner::Service {
                            service,
                            port,
                            environment,
                        },
                        port: a.port,
                        end: a.end,
                        container_port: a.container_port,
                        node_port: environment
                            .node_ports
                            .as_ref()
                            .and_then(|np| np.node_port(a.port)),
                        span: a.span,
                        host: environment.host(),
                        value: a.value,
                        protocol: port.protocol,
                        bind: port.bind.or(environment.bind),
                    }
                })
            })
        });
        let infra_host = self.infrastructure.host();
        let infra = self.infrastructure.services.iter().map(move |s| Binding {
            owner: Owner::Infrastructure(s),
            port: s.port,
            end: s.port,
            container_port: s.container_port,
            node_port: s.node_port.map(|(p, _)| p),
            span: s.span,
            host: infra_host,
            value: s.value,
            protocol: s.protocol,
            bind: s.bind,
        });
        services.chain(infra)
    }

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

/// The `render:` section: files Portolan owns and writes whole.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Render {
    /// The directory of the built-in artifacts, relative to ports.yaml (`generated`).
    pub dir: Text,
    /// The built-in artifacts to render, sorted.
    pub artifacts: Vec<Artifact>,
    /// User templates, in the order of the file.
    pub templates: Vec<Template>,
    /// `scrape`: the named ports the `prometheus` artifact scrapes (`metrics`).
    pub scrape: Vec<String>,
}

impl Render {
    /// The defaults when ports.yaml has no `render:` section: every built-in
    /// artifact into `generated/`.
    pub fn defaults(span: Span) -> Self {
        Render {
            dir: Text {
                value: "generated".to_owned(),
                span,
            },
            artifacts: Artifact::DEFAULT.to_vec(),
            templates: Vec::new(),
            scrape: vec!["metrics".to_owned()],
        }
    }
}

/// A built-in artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Artifact {
    /// `ports.json`: every port, resolved.
    Json,
    /// `PORTS.md`: the tables of the docs.
    Markdown,
    /// `<environment>.env` per environment.
    Env,
    /// `docker-compose.<environment>.yaml` per environment.
    Compose,
    /// `ports.schema.json`: the JSON Schema of ports.yaml, for editors.
    Schema,
    /// `kubernetes.<environment>.yaml` per environment: a Service per service.
    /// Not rendered unless listed.
    Kubernetes,
    /// `ports.py`: the constants for Python services. Not rendered unless listed.
    Python,
    /// `ports.ts`: the constants for TypeScript services. Not rendered unless listed.
    TypeScript,
    /// `prometheus.<environment>.yml` per environment: a Prometheus config
    /// scraping the `render.scrape` ports. Not rendered unless listed.
    Prometheus,
}

impl Artifact {
    /// Every built-in artifact.
    pub const ALL: [Artifact; 9] = [
        Artifact::Json,
        Artifact::Markdown,
        Artifact::Env,
        Artifact::Compose,
        Artifact::Schema,
        Artifact::Kubernetes,
        Artifact::Python,
        Artifact::TypeScript,
        Artifact::Prometheus,
    ];

    /// What `render.artifacts` means when it is not given.
    pub const DEFAULT: [Artifact; 5] = [
        Artifact::Json,
        Artifact::Markdown,
        Artifact::Env,
        Artifact::Compose,
        Artifact::Schema,
    ];

    /// The name ports.yaml uses for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Artifact::Json => "ports.json",
            Artifact::Markdown => "PORTS.md",
            Artifact::Env => "env",
            Artifact::Compose => "compose",
            Artifact::Schema => "ports.schema.json",
            Artifact::Kubernetes => "kubernetes",
            Artifact::Python => "ports.py",
            Artifact::TypeScript => "ports.ts",
            Artifact::Prometheus => "prometheus",
        }
    }

    /// Parses the name ports.yaml uses.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// A user template rendered to a path.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Template {
    /// The template file, relative to ports.yaml.
    pub template: Text,
    /// Where it renders to, relative to ports.yaml; may hold `{environment}` and `{service}`.
    pub output: Text,
}

/// How a team file is read and edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileFormat {
    /// YAML: values by key path; owned lists.
    Yaml,
    /// JSON: values by key path.
    Json,
    /// TOML: values by key path (tables and arrays), through toml_edit.
    Toml,
    /// dotenv: `KEY=value` lines (`export KEY=value`, quotes kept), values by variable name.
    Dotenv,
    /// Any text (Dockerfile, Makefile, Python): values by a line pattern with one `(…)` group.
    Text,
}

impl FileFormat {
    /// Every format, as ports.yaml names them.
    pub const ALL: [FileFormat; 5] = [
        FileFormat::Yaml,
        FileFormat::Json,
        FileFormat::Toml,
        FileFormat::Dotenv,
        FileFormat::Text,
    ];

    /// The name ports.yaml uses (`format: toml`).
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Yaml => "yaml",
            FileFormat::Json => "json",
            FileFormat::Toml => "toml",
            FileFormat::Dotenv => "dotenv",
            FileFormat::Text => "text",
        }
    }

    /// Parses the name ports.yaml uses.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The format a file's name says: `.yaml`/`.yml`, `.json`, `.toml`, and
    /// `.env`, `*.env` or `.env.*` for dotenv; `None` for any other name
    /// (a Dockerfile or Makefile says `format: text`).
    pub fn from_path(path: &str) -> Option<Self> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e);
        match ext {
            Some("yaml" | "yml") => Some(FileFormat::Yaml),
            Some("json") => Some(FileFormat::Json),
            Some("toml") => Some(FileFormat::Toml),
            Some("env") => Some(FileFormat::Dotenv),
            _ if name == ".env" || name.starts_with(".env.") => Some(FileFormat::Dotenv),
            _ => None,
        }
    }
}

/// A file the team owns, with the values Portolan keeps in it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncFile {
    /// The file, relative to ports.yaml; may hold `{environment}` and `{service}`.
    pub file: Text,
    /// How it is read and edited (`format:`, else its name).
    pub format: FileFormat,
    /// A template (relative to ports.yaml) a missing file is created from.
    pub create: Option<Text>,
    /// Owned scalar values: where (a key path, a variable name or a line
    /// pattern, by format) and the value template, in the order of the file.
    pub values: Vec<(Text, Text)>,
    /// Owned lists: Portolan's items in lists the team shares.
    pub lists: Vec<OwnedList>,
    /// `services:`, the services the entry covers (`None`: all).
    pub services: Option<Vec<String>>,
    /// `environments:`, the environments the entry covers (`None`: all).
    pub environments: Option<Vec<String>>,
}

impl SyncFile {
    /// Whether the entry covers a service and an environment (`None`: the
    /// path or row does not name one).
    pub fn covers(&self, service: Option<&str>, environment: Option<&str>) -> bool {
        let within = |filter: &Option<Vec<String>>, name: Option<&str>| match (filter, name) {
            (Some(names), Some(name)) => names.iter().any(|n| n == name),
            _ => true,
        };
        within(&self.services, service) && within(&self.environments, environment)
    }
}

/// Portolan's items in a list: one per service port of the environment,
/// told from the team's items by a marker (see [`OwnedList::marker`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OwnedList {
    /// The key path of the list.
    pub key: Text,
    /// A comment template written above each item.
    pub comment: Option<Text>,
    /// `key:`, the item key whose value identifies Portolan's items.
    pub item_key: Option<Text>,
    /// The item's keys and value templates, in the order of the file.
    pub item: Vec<(Text, Text)>,
}

impl OwnedList {
    /// The fixed text the comment template starts with (`portolan:` in
    /// `portolan: {{ service }} {{ name }}`): the comment lines that start
    /// with it mark Portolan's items. `None` when it starts with a variable.
    pub fn marker(&self) -> Option<&str> {
        let comment = &self.comment.as_ref()?.value;
        let end = ["{{", "{%", "{#"]
            .iter()
            .filter_map(|open| comment.find(open))
            .min()
            .unwrap_or(comment.len());
        Some(comment[..end].trim()).filter(|m| !m.is_empty())
    }
}
