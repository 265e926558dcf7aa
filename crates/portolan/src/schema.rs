//! The JSON Schema of ports.yaml, for editors (the YAML language server
//! completes keys and shows these descriptions on hover).
//!
//! The types below describe the file's shape only; they are never
//! deserialized into: [`crate::load()`] reads ports.yaml with located errors,
//! and the checks a schema cannot express (conflicts, ranges, NodePorts) are
//! [`crate::validate`]'s. A test validates both example registries against
//! this schema, so the two cannot drift apart silently.

#![allow(dead_code)] // Fields exist for their schema, never read.

use schemars::JsonSchema;
use std::collections::BTreeMap;

/// The schema's file name in the artifact directory.
pub const FILE_NAME: &str = "ports.schema.json";

/// The schema as pretty JSON (draft-07, which the YAML language server supports).
pub fn json() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<Registry>();
    let mut value = serde_json::to_value(&schema).unwrap_or_default();
    strip_formats(&mut value);
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}

/// Removes the integer `format`s schemars adds (`uint16`, `int64`): they are
/// not JSON Schema's, and strict validators (ajv --strict) refuse unknown
/// formats. The `minimum`/`maximum` beside them say the same.
fn strip_formats(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let numeric = map.get("format").and_then(|f| f.as_str()).is_some_and(|f| {
                f.starts_with("int") || f.starts_with("uint") || matches!(f, "float" | "double")
            });
            if numeric {
                map.remove("format");
            }
            map.values_mut().for_each(strip_formats);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_formats),
        _ => {}
    }
}

/// A name: lowercase letters, digits, `-` and `_`, starting with a letter.
#[derive(JsonSchema)]
struct Name(#[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*$"))] String);

/// A port: an integer from 1 to 65535, unquoted.
#[derive(JsonSchema)]
struct PortNumber(#[schemars(range(min = 1, max = 65535))] u16);

/// A port range: `A-B` (inclusive), a single port, or a list of those.
#[derive(JsonSchema)]
#[serde(untagged)]
enum Range {
    /// A single port.
    Port(PortNumber),
    /// `A-B`, inclusive.
    Span(
        #[schemars(regex(
            pattern = r"^\s*(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})\s*-\s*(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})\s*$"
        ))]
        String,
    ),
    /// Several ports and spans.
    List(Vec<RangeItem>),
}

/// One item of a range list: a port or `A-B`.
#[derive(JsonSchema)]
#[serde(untagged)]
enum RangeItem {
    /// A single port.
    Port(PortNumber),
    /// `A-B`, inclusive.
    Span(
        #[schemars(regex(
            pattern = r"^\s*(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})\s*-\s*(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})\s*$"
        ))]
        String,
    ),
}

/// A range of ports one service holds: `A-B`, inclusive.
#[derive(JsonSchema)]
struct PortSpan(
    #[schemars(regex(
        pattern = r"^\s*(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})\s*-\s*(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})\s*$"
    ))]
    String,
);

/// Every port a project's services use, in every environment: the single source of truth.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Registry {
    /// The project's name; gives `PROJECT` and the `<PROJECT>_ENV` variable in the generated code.
    project: Name,
    /// The environments, by name (their order is `Environment::ALL`'s).
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z][a-z0-9_-]*$"}))]
    environments: BTreeMap<String, Environment>,
    /// The services, by name.
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z][a-z0-9_-]*$"}))]
    services: Option<BTreeMap<String, Service>>,
    /// Ports of shared infrastructure (databases, caches), the same in every environment.
    infrastructure: Option<Infrastructure>,
    /// Ports and ranges nobody may use, each with its reason.
    reserved: Option<Vec<Reserved>>,
    /// The files Portolan renders whole on `portolan sync`.
    render: Option<Render>,
    /// Files the team owns and the values Portolan keeps in them.
    sync: Option<Vec<SyncFile>>,
}

/// An environment: its port range, and where it runs.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Environment {
    /// Every host port of the environment lies in this range (e.g. `8000-8799`).
    range: Range,
    /// Kubernetes NodePorts: each port's NodePort is `port + offset`, inside `range`.
    node_ports: Option<NodePorts>,
    /// The host it runs on; ports must be unique per host (default: the shared host).
    host: Option<Name>,
    /// The per-environment artifacts rendered for it (default: those `render.artifacts` lists).
    artifacts: Option<Vec<EnvironmentArtifact>>,
    /// The address its ports are published on unless a port says another (default: every address).
    bind: Option<BindAddress>,
}

/// A port's transport: `tcp` (the default), `udp`, or `both` (a port of each on one number).
#[derive(JsonSchema)]
enum Protocol {
    /// TCP.
    #[serde(rename = "tcp")]
    Tcp,
    /// UDP.
    #[serde(rename = "udp")]
    Udp,
    /// TCP and UDP.
    #[serde(rename = "both")]
    Both,
}

/// An IPv4 or IPv6 address a port is published on (`127.0.0.1`, `::1`).
#[derive(JsonSchema)]
struct BindAddress(#[schemars(regex(pattern = r"^[0-9A-Fa-f:.]+$"))] String);

/// An artifact rendered once per environment.
#[derive(JsonSchema)]
enum EnvironmentArtifact {
    /// `<environment>.env`.
    #[serde(rename = "env")]
    Env,
    /// `docker-compose.<environment>.yaml`.
    #[serde(rename = "compose")]
    Compose,
}

/// A URL scheme (`http`, `https`, `grpc`, `ws`), for `url()` and the `_URL` variables.
#[derive(JsonSchema)]
struct Scheme(#[schemars(regex(pattern = r"^[a-z][a-z0-9+.-]{0,31}$"))] String);

/// One process name or several, as `ps -o comm` shows them.
#[derive(JsonSchema)]
#[serde(untagged)]
enum Processes {
    /// One name.
    One(String),
    /// Several names.
    Many(Vec<String>),
}

/// How an environment derives NodePorts.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct NodePorts {
    /// Every NodePort of the environment lies in this range (and in Kubernetes' 30000-32767).
    range: Range,
    /// Added to each port to give its NodePort (e.g. 23000: 8001 → 31001).
    #[schemars(range(min = -65535, max = 65535))]
    offset: i32,
}

/// A service and its named ports.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Service {
    /// What the service is.
    description: Option<String>,
    /// The environments it runs in (default: all).
    environments: Option<Vec<Name>>,
    /// Its ports by name (`api`, `metrics`, …).
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z][a-z0-9_-]*$"}))]
    ports: BTreeMap<String, NamedPort>,
    /// The process names it runs as, for `portolan doctor` (default: a name like the service's).
    processes: Option<Processes>,
}

/// A named port: the same port everywhere, one per environment, or a host/container pair.
#[derive(JsonSchema)]
#[serde(untagged)]
enum NamedPort {
    /// The same port in every environment of the service.
    Port(PortNumber),
    /// The same range of ports in every environment (`10000-10099`).
    Span(PortSpan),
    /// The same host/container pair in every environment, with its scheme.
    Pair(SchemePair),
    /// The same range in every environment, with its protocol and bind address.
    Range(RangePort),
    /// One port (or pair) per environment, by environment name, and its scheme.
    PerEnvironment(PerEnvironment),
}

/// A host/container pair with the URL scheme of the port.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct SchemePair {
    /// The port published on the host.
    port: PortNumber,
    /// The port the process listens on inside its container (default: `port`).
    container_port: Option<PortNumber>,
    /// How other services reach it (default: `http`).
    scheme: Option<Scheme>,
    /// Its transport (default: `tcp`).
    protocol: Option<Protocol>,
    /// The address it is published on (default: its environment's, else every address).
    bind: Option<BindAddress>,
}

/// A range of ports one service holds (an RTP range), the same inside the container.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct RangePort {
    /// The ports, `A-B`.
    range: PortSpan,
    /// How other services reach it (default: `http`).
    scheme: Option<Scheme>,
    /// Its transport (default: `tcp`).
    protocol: Option<Protocol>,
    /// The address it is published on (default: its environment's, else every address).
    bind: Option<BindAddress>,
}

/// One port (or pair) per environment, by environment name.
#[derive(JsonSchema)]
struct PerEnvironment {
    /// How other services reach it (default: `http`).
    scheme: Option<Scheme>,
    /// Its transport (default: `tcp`).
    protocol: Option<Protocol>,
    /// The address it is published on (default: its environment's, else every address).
    bind: Option<BindAddress>,
    /// The port in each environment.
    #[serde(flatten)]
    environments: BTreeMap<String, PortOrPair>,
}

/// A port, or a host/container pair.
#[derive(JsonSchema)]
#[serde(untagged)]
enum PortOrPair {
    /// The port published on the host (the container listens on the same).
    Port(PortNumber),
    /// A range of ports, `A-B`.
    Span(PortSpan),
    /// A host port and the container's.
    Pair(Pair),
    /// A range of ports, `{ range: A-B }`.
    Range(PerEnvironmentRange),
}

/// A range of ports in one environment.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct PerEnvironmentRange {
    /// The ports, `A-B`.
    range: PortSpan,
}

/// A host port and the port inside the container.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Pair {
    /// The port published on the host.
    port: PortNumber,
    /// The port the process listens on inside its container (default: `port`).
    container_port: Option<PortNumber>,
}

/// Shared infrastructure.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Infrastructure {
    /// Every infrastructure port lies in this range.
    range: Option<Range>,
    /// The host it runs on (default: the shared host).
    host: Option<Name>,
    /// The infrastructure services, by name.
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z][a-z0-9_-]*$"}))]
    services: Option<BTreeMap<String, InfraService>>,
}

/// One infrastructure service.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct InfraService {
    /// The port published on the host.
    port: PortNumber,
    /// The port inside its container (default: `port`).
    container_port: Option<PortNumber>,
    /// What it is.
    description: Option<String>,
    /// The environments whose stacks publish it (default: all).
    environments: Option<Vec<Name>>,
    /// Its transport (default: `tcp`).
    protocol: Option<Protocol>,
    /// The address it is published on (default: every address).
    bind: Option<BindAddress>,
    /// The Kubernetes NodePort a cluster maps for it (30000-32767).
    node_port: Option<NodePortNumber>,
}

/// A Kubernetes NodePort: 30000-32767.
#[derive(JsonSchema)]
struct NodePortNumber(#[schemars(range(min = 30000, max = 32767))] u16);

/// A port or range nobody may use.
#[derive(JsonSchema)]
#[serde(untagged)]
enum Reserved {
    /// One port.
    Port(ReservedPort),
    /// A range.
    Range(ReservedRange),
}

/// One reserved port.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct ReservedPort {
    /// The port.
    port: PortNumber,
    /// Why nobody may use it.
    reason: String,
}

/// A reserved range.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct ReservedRange {
    /// The ports.
    range: Range,
    /// Why nobody may use them.
    reason: String,
}

/// What `portolan sync` renders.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Render {
    /// Directory of the built-in artifacts, relative to ports.yaml (default `generated`).
    dir: Option<String>,
    /// Built-in artifacts to render (default: ports.json, PORTS.md, env, compose and ports.schema.json; `[]` for none).
    artifacts: Option<Vec<ArtifactName>>,
    /// minijinja templates rendered to a path (`{environment}`/`{service}` make one file each).
    templates: Option<Vec<TemplateOutput>>,
    /// The named ports the `prometheus` artifact scrapes (default `metrics`).
    scrape: Option<Scrape>,
}

/// One port name or a list of them.
#[derive(JsonSchema)]
#[serde(untagged)]
enum Scrape {
    /// One port name.
    One(Name),
    /// Several.
    Several(Vec<Name>),
}

/// A built-in artifact.
#[derive(JsonSchema)]
enum ArtifactName {
    /// `ports.json`: every port, resolved.
    #[serde(rename = "ports.json")]
    Json,
    /// `PORTS.md`: the tables of the docs.
    #[serde(rename = "PORTS.md")]
    Markdown,
    /// `<environment>.env` per environment.
    #[serde(rename = "env")]
    Env,
    /// `docker-compose.<environment>.yaml` per environment.
    #[serde(rename = "compose")]
    Compose,
    /// `ports.schema.json`: this schema, for editors.
    #[serde(rename = "ports.schema.json")]
    Schema,
    /// `kubernetes.<environment>.yaml` per environment: a Service per service.
    #[serde(rename = "kubernetes")]
    Kubernetes,
    /// `ports.py`: the constants for Python services.
    #[serde(rename = "ports.py")]
    Python,
    /// `ports.ts`: the constants for TypeScript services.
    #[serde(rename = "ports.ts")]
    TypeScript,
    /// `prometheus.<environment>.yml` per environment: scrape targets of the `render.scrape` ports.
    #[serde(rename = "prometheus")]
    Prometheus,
}

/// A user template and where it renders.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct TemplateOutput {
    /// The template file, relative to ports.yaml.
    template: String,
    /// The output path, relative to ports.yaml; may hold `{environment}` and `{service}`.
    output: String,
}

/// A team-owned file and the values Portolan owns in it.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct SyncFile {
    /// The file, relative to ports.yaml; may hold `{environment}` and `{service}`.
    file: String,
    /// How to edit it (default: from its name: `.yaml`/`.yml`, `.json`, `.toml`, `.env`).
    format: Option<FileFormat>,
    /// A template (minijinja, relative to ports.yaml) a missing file is created from; without it a
    /// missing file is an error, or, for a `{service}` path, a service the entry does not cover.
    create: Option<String>,
    /// Where (a key path such as `metrics.port` for YAML, JSON and TOML; a variable name for
    /// dotenv; a line pattern with one `(…)` group for text) → value template (`"{{ port('courier') }}"`).
    values: Option<BTreeMap<String, TemplateValue>>,
    /// Key path → Portolan's items in a list, one per service port.
    lists: Option<BTreeMap<String, OwnedList>>,
    /// The services the entry covers: its `{service}` paths and list items (default: all).
    services: Option<Vec<String>>,
    /// The environments the entry covers: its `{environment}` paths and list items (default: all).
    environments: Option<Vec<String>>,
}

/// How a team file is edited.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
enum FileFormat {
    /// Values by key path; owned lists.
    Yaml,
    /// Values by key path.
    Json,
    /// Values by key path (tables and arrays).
    Toml,
    /// `KEY=value` lines; values by variable name.
    Dotenv,
    /// Any text; values by a line pattern holding one `(…)` group.
    Text,
}

/// A value template, or a literal integer.
#[derive(JsonSchema)]
#[serde(untagged)]
enum TemplateValue {
    /// A minijinja template, e.g. `"{{ url('courier') }}"`.
    Template(String),
    /// A literal integer.
    Integer(i64),
}

/// Portolan's items in a list the team shares, one per service port.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct OwnedList {
    /// A comment template written above each item, whose fixed start marks Portolan's items (`"portolan: {{ service }} {{ name }}"`).
    comment: Option<String>,
    /// The item key whose value identifies Portolan's items (`name`).
    key: Option<String>,
    /// The item's keys and value templates (`containerPort: "{{ node_port }}"`).
    item: BTreeMap<String, TemplateValue>,
}
