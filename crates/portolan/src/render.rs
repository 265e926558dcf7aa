//! Renders the registry into text: the built-in artifacts, user templates and
//! the values of owned keys. Pure: templates come in as text, files go out as
//! strings; [`crate::sync`] does the reading and writing.
//!
//! Values put into JSON, YAML and .env files go through a serializer
//! (serde_json, whose strings are also valid YAML double-quoted scalars, and
//! [`env_value`]); nothing from ports.yaml is pasted into syntax unescaped.

use crate::ident::{EnvVar, screaming};
use crate::model::{Artifact, Owner, Protocol, Registry};
use serde_json::{Value as Json, json};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

mod kubernetes;
mod modules;
mod prometheus;
mod templates;

pub use templates::Engine;

/// The preamble of every artifact whose format has comments.
pub(crate) const NOTICE: &str = "Generated from ports.yaml by `portolan sync`; do not edit.";

/// One port, resolved: the row of `ports.json` and of `portolan list`.
///
/// Its names borrow from the registry (a row per port, 60,000 of them for
/// the whole port space); [`Row::into_owned`] detaches one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Row<'r> {
    /// The service (or infrastructure entry).
    pub service: Cow<'r, str>,
    /// The port's name; `None` for infrastructure, which has one port.
    pub name: Option<Cow<'r, str>>,
    /// The environment; `None` for infrastructure shared by every environment.
    pub environment: Option<Cow<'r, str>>,
    /// The host port; the first of a range.
    pub port: u16,
    /// The last port of a range the service holds; `None` for one port.
    pub port_end: Option<u16>,
    /// The port inside the container.
    pub container_port: u16,
    /// The NodePort, in node-port environments.
    pub node_port: Option<u16>,
    /// `http://<service>:<container_port>`, as other containers reach it; `None`
    /// for infrastructure, whose protocol Portolan does not know.
    pub url: Option<String>,
    /// What the service is.
    pub description: Option<Cow<'r, str>>,
    /// Its transport.
    pub protocol: Protocol,
    /// The address it is published on; `None` is every address.
    pub bind: Option<std::net::IpAddr>,
}

impl Row<'_> {
    /// The row with its own copies of the registry's names.
    pub fn into_owned(self) -> Row<'static> {
        Row {
            service: Cow::Owned(self.service.into_owned()),
            name: self.name.map(|n| Cow::Owned(n.into_owned())),
            environment: self.environment.map(|e| Cow::Owned(e.into_owned())),
            description: self.description.map(|d| Cow::Owned(d.into_owned())),
            ..self
        }
    }

    /// The row as a JSON object with a fixed key order.
    pub fn to_json(&self) -> Json {
        json!({
            "service": self.service,
            "name": self.name,
            "environment": self.environment,
            "port": self.port,
            "port_end": self.port_end,
            "container_port": self.container_port,
            "node_port": self.node_port,
            "url": self.url,
            "description": self.description,
            "protocol": self.protocol.as_str(),
            "bind": self.bind.map(|b| b.to_string()),
        })
    }

    /// The container side as `ports_text` writes the host side.
    pub fn container_text(&self) -> String {
        match self.port_end {
            Some(end) => format!(
                "{}-{}",
                self.container_port,
                u32::from(self.container_port) + u32::from(end - self.port)
            ),
            None => self.container_port.to_string(),
        }
    }

    /// `10000-10099` for a range, the port alone for one port.
    pub fn ports_text(&self) -> String {
        match self.port_end {
            Some(end) => format!("{}-{end}", self.port),
            None => self.port.to_string(),
        }
    }

    /// The host port as a person reads it: `8125/udp`, `127.0.0.1:5433`,
    /// `53/tcp+udp`; a TCP port on every address is its number.
    pub fn shown_port(&self) -> String {
        let ports = self.ports_text();
        let mut out = match self.bind {
            Some(std::net::IpAddr::V6(ip)) => format!("[{ip}]:{ports}"),
            Some(ip) => format!("{ip}:{ports}"),
            None => ports,
        };
        match self.protocol {
            Protocol::Udp => out.push_str("/udp"),
            Protocol::Both => out.push_str("/tcp+udp"),
            _ => {}
        }
        out
    }
}

/// Every port: services by name, port name and environment (file order), then infrastructure.
pub fn rows<'r>(registry: &'r Registry) -> Vec<Row<'r>> {
    let mut rows = Vec::with_capacity(registry.bindings().size_hint().0);
    for b in registry.bindings() {
        match b.owner {
            Owner::Service {
                service,
                port,
                environment,
            } => rows.push(Row {
                service: Cow::Borrowed(&service.name.value),
                name: Some(Cow::Borrowed(&port.name.value)),
                environment: Some(Cow::Borrowed(&environment.name.value)),
                port: b.port.get(),
                port_end: b.is_range().then(|| b.end.get()),
                container_port: b.container_port.get(),
                node_port: b.node_port.filter(|_| !b.is_range()).map(|p| p.get()),
                // A range is no address to reach.
                url: (!b.is_range()).then(|| {
                    format!(
                        "{}://{}:{}",
                        port.scheme(),
                        service.name.value,
                        b.container_port.get()
                    )
                }),
                description: service.description.as_deref().map(Cow::Borrowed),
                protocol: b.protocol,
                bind: b.bind.map(|b| b.addr),
            }),
            Owner::Infrastructure(infra) => {
                let row = |environment: Option<&'r str>| Row {
                    service: Cow::Borrowed(&infra.name.value),
                    name: None,
                    environment: environment.map(Cow::Borrowed),
                    port: b.port.get(),
                    port_end: None,
                    container_port: b.container_port.get(),
                    node_port: b.node_port.map(|p| p.get()),
                    url: None,
                    description: infra.description.as_deref().map(Cow::Borrowed),
                    protocol: b.protocol,
                    bind: b.bind.map(|b| b.addr),
                };
                match &infra.environments {
                    // An infrastructure entry of some environments is a row in each.
                    Some(envs) => rows.extend(
                        envs.iter()
                            .map(|&e| row(Some(&registry.environments[e].name.value))),
                    ),
                    None => rows.push(row(None)),
                }
            }
        }
    }
    rows
}

/// A rendered file: its path relative to ports.yaml's directory, `/`-separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Where it goes.
    pub path: String,
    /// What it holds.
    pub contents: String,
}

/// The built-in artifacts the registry asks for, sorted by path.
pub fn artifacts(registry: crate::Valid<'_>) -> Vec<File> {
    let registry = registry.registry();
    let rows = rows(registry);
    let mut files: Vec<File> = artifact_jobs(registry, &rows)
        .into_iter()
        .map(|(path, render)| File {
            path,
            contents: render(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Renders one artifact's contents when called.
pub(crate) type Job<'a> = Box<dyn FnOnce() -> String + 'a>;

/// The built-in artifacts as (path, renderer) pairs in no particular order,
/// so that a caller comparing them with the files on disk holds one
/// artifact's text at a time (they run to megabytes for a full port space).
/// `rows` must be [`rows`] of the registry.
pub(crate) fn artifact_jobs<'a>(registry: &'a Registry, rows: &'a [Row]) -> Vec<(String, Job<'a>)> {
    let dir = registry.render.dir.value.trim_end_matches('/');
    let mut jobs: Vec<(String, Job<'a>)> = Vec::new();
    for artifact in &registry.render.artifacts {
        match artifact {
            Artifact::Json => jobs.push((
                format!("{dir}/ports.json"),
                Box::new(move || ports_json(registry, rows)),
            )),
            Artifact::Markdown => jobs.push((
                format!("{dir}/PORTS.md"),
                Box::new(move || ports_md(registry, rows)),
            )),
            // Per environment, below.
            Artifact::Env | Artifact::Compose | Artifact::Kubernetes | Artifact::Prometheus => {}
            Artifact::Schema => jobs.push((
                format!("{dir}/{}", crate::schema::FILE_NAME),
                Box::new(crate::schema::json),
            )),
            Artifact::Python => jobs.push((
                format!("{dir}/ports.py"),
                Box::new(move || modules::python(registry, rows)),
            )),
            Artifact::TypeScript => jobs.push((
                format!("{dir}/ports.ts"),
                Box::new(move || modules::typescript(registry, rows)),
            )),
        }
    }
    for e in &registry.environments {
        if e.renders(Artifact::Env, &registry.render) {
            jobs.push((
                format!("{dir}/{}.env", e.name),
                Box::new(move || env_file(registry, rows, &e.name.value)),
            ));
        }
        if e.renders(Artifact::Compose, &registry.render) {
            jobs.push((
                format!("{dir}/docker-compose.{}.yaml", e.name),
                Box::new(move || compose(rows, &e.name.value, dir)),
            ));
        }
        if e.renders(Artifact::Prometheus, &registry.render) {
            jobs.push((
                format!("{dir}/prometheus.{}.yml", e.name),
                Box::new(move || prometheus::config(registry, rows, &e.name.value)),
            ));
        }
        if e.renders(Artifact::Kubernetes, &registry.render) {
            jobs.push((
                format!("{dir}/kubernetes.{}.yaml", e.name),
                Box::new(move || kubernetes::services(registry, rows, &e.name.value)),
            ));
        }
    }
    jobs
}

/// One holder of a host port or NodePort: what messages call it and the
/// template call that renders its port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Holder {
    /// `None`: infrastructure shared by every environment.
    pub(crate) environment: Option<String>,
    /// `the port of `courier api` (production)`.
    pub(crate) who: String,
    /// `port('courier', 'api')`, with `environment='production'` when
    /// `environment_arg` asked for it (a file not per environment).
    pub(crate) call: String,
}

/// Who holds each host port and NodePort of `rows`.
pub(crate) fn holders(rows: &[Row], environment_arg: bool) -> HashMap<u16, Vec<Holder>> {
    let mut out: HashMap<u16, Vec<Holder>> = HashMap::new();
    for row in rows {
        let shown_env = row
            .environment
            .as_deref()
            .map_or(String::new(), |e| format!(" ({e})"));
        let env_arg = match (&row.environment, environment_arg) {
            (Some(e), true) => format!(", environment='{e}'"),
            _ => String::new(),
        };
        let (who, args) = match &row.name {
            Some(name) => (
                format!("{} {name}", row.service),
                format!("'{}', '{name}'{env_arg}", row.service),
            ),
            None => (row.service.to_string(), format!("'{}'", row.service)),
        };
        out.entry(row.port).or_default().push(Holder {
            environment: row.environment.as_deref().map(str::to_owned),
            who: format!("the port of `{who}`{shown_env}"),
            call: format!("port({args})"),
        });
        if let Some(np) = row.node_port {
            out.entry(np).or_default().push(Holder {
                environment: row.environment.as_deref().map(str::to_owned),
                who: format!("the NodePort of `{who}`{shown_env}"),
                call: format!("node_port({args})"),
            });
        }
    }
    out
}

/// Whether some registry with this one's artifact directory and templates
/// could produce `path`: a built-in artifact's name in the artifact
/// directory, for any environment, or a template's output for any service
/// and environment. The manifest is a file in the repository; `sync` deletes
/// a file it lists only when this holds.
pub(crate) fn could_produce(registry: &Registry, path: &str) -> bool {
    let dir = registry.render.dir.value.trim_end_matches('/');
    let builtin = path
        .strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|name| {
            [
                "ports.json",
                "PORTS.md",
                "ports.py",
                "ports.ts",
                crate::schema::FILE_NAME,
            ]
            .contains(&name)
                || name
                    .strip_suffix(".env")
                    .is_some_and(crate::load::is_valid_name)
                || [
                    ("docker-compose.", ".yaml"),
                    ("kubernetes.", ".yaml"),
                    ("prometheus.", ".yml"),
                ]
                .iter()
                .any(|(prefix, suffix)| {
                    name.strip_prefix(prefix)
                        .and_then(|n| n.strip_suffix(suffix))
                        .is_some_and(crate::load::is_valid_name)
                })
        });
    builtin
        || registry
            .render
            .templates
            .iter()
            .any(|t| matches_pattern(&t.output.value, path))
}

/// Whether `path` is `pattern` with each `{environment}` and `{service}`
/// standing for a valid name (one path component, no `/`).
pub(crate) fn matches_pattern(pattern: &str, path: &str) -> bool {
    let Some(open) = pattern.find('{') else {
        return pattern == path;
    };
    let Some(len) = pattern[open..].find('}') else {
        return pattern == path;
    };
    let (head, rest) = (&pattern[..open], &pattern[open + len + 1..]);
    let Some(tail) = path.strip_prefix(head) else {
        return false;
    };
    // Every split of the remaining text: names are short, paths few.
    tail.char_indices()
        .map(|(i, _)| i)
        .chain([tail.len()])
        .filter(|&i| i > 0)
        .any(|i| crate::load::is_valid_name(&tail[..i]) && matches_pattern(rest, &tail[i..]))
}

/// ports.json: the registry's project and one entry per row. serde_json
/// prints the fields in declaration order, which is the document's sorted key
/// order (`$comment` sorts first): what it prints for the same `Value`.
#[derive(serde::Serialize)]
struct PortsJson<'a> {
    #[serde(rename = "$comment")]
    comment: &'static str,
    #[serde(serialize_with = "port_entries")]
    ports: &'a [Row<'a>],
    project: &'a str,
}

/// One row of ports.json, borrowed from its [`Row`]: the keys of
/// [`Row::to_json`], sorted.
#[derive(serde::Serialize)]
struct PortEntry<'a> {
    bind: Option<std::net::IpAddr>,
    container_port: u16,
    description: Option<&'a str>,
    environment: Option<&'a str>,
    name: Option<&'a str>,
    node_port: Option<u16>,
    port: u16,
    port_end: Option<u16>,
    protocol: &'static str,
    service: &'a str,
    url: Option<&'a str>,
}

impl<'a> From<&'a Row<'_>> for PortEntry<'a> {
    fn from(r: &'a Row<'_>) -> Self {
        PortEntry {
            bind: r.bind,
            container_port: r.container_port,
            description: r.description.as_deref(),
            environment: r.environment.as_deref(),
            name: r.name.as_deref(),
            node_port: r.node_port,
            port: r.port,
            port_end: r.port_end,
            protocol: r.protocol.as_str(),
            service: &r.service,
            url: r.url.as_deref(),
        }
    }
}

/// The rows as a JSON array, one entry at a time (no array of entries is built).
fn port_entries<S: serde::Serializer>(rows: &&[Row], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rows.iter().map(PortEntry::from))
}

/// ports.json, pretty-printed by serde_json, with a final newline.
fn ports_json(registry: &Registry, rows: &[Row]) -> String {
    // Sized up front (a slight overestimate): growing by doubling would hold
    // twice the text for the largest artifact of a full port space.
    let capacity: usize = rows
        .iter()
        .map(|r| {
            let len = |s: &Option<Cow<str>>| s.as_ref().map_or(4, |s| s.len() + 2);
            300 + 2 * r.service.len() + len(&r.description) + len(&r.environment) + len(&r.name)
        })
        .sum();
    let mut out = Vec::with_capacity(256 + registry.project.value.len() + capacity);
    let document = PortsJson {
        comment: NOTICE,
        ports: rows,
        project: &registry.project.value,
    };
    serde_json::to_writer_pretty(&mut out, &document).expect("ports.json always serializes");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Markdown table cell text: pipes escaped, one line.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(|c: char| c.is_control() || c == '\\' || c == '|') {
        return text.into();
    }
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .into()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

fn ports_md(registry: &Registry, rows: &[Row]) -> String {
    let mut out = format!(
        "<!-- {NOTICE} -->\n\n# Ports of {}\n",
        cell(&registry.project.value)
    );
    for env in &registry.environments {
        let name = &env.name.value;
        let _ = write!(out, "\n## {name} ({})\n\n", env.range);
        let node_ports = env.node_ports.is_some();
        out.push_str(if node_ports {
            "| Port | Service | Port name | Container port | NodePort | Description |\n\
             |-----:|---------|-----------|---------------:|---------:|-------------|\n"
        } else {
            "| Port | Service | Port name | Container port | Description |\n\
             |-----:|---------|-----------|---------------:|-------------|\n"
        });
        let mut env_rows: Vec<&Row> = rows
            .iter()
            .filter(|r| r.name.is_some() && r.environment.as_deref() == Some(name))
            .collect();
        env_rows.sort_by_key(|r| r.port);
        out.reserve(env_rows.len() * 64);
        for r in env_rows {
            // Pushed piece by piece: this table has a line per port.
            out.push_str("| ");
            match (r.bind, r.port_end, r.protocol) {
                (None, None, Protocol::Tcp) => push_number(&mut out, r.port),
                _ => out.push_str(&r.shown_port()),
            }
            out.push_str(" | ");
            out.push_str(&cell(&r.service));
            out.push_str(" | ");
            out.push_str(&cell(r.name.as_deref().unwrap_or("")));
            out.push_str(" | ");
            match r.port_end {
                None => push_number(&mut out, r.container_port),
                Some(_) => out.push_str(&r.container_text()),
            }
            out.push_str(" |");
            if node_ports {
                let _ = write!(out, " {} |", opt(r.node_port));
            }
            out.push(' ');
            out.push_str(&cell(r.description.as_deref().unwrap_or("")));
            out.push_str(" |\n");
        }
    }
    // Infrastructure rows: one per entry, or one per environment of an
    // entry that belongs to some environments.
    let mut infra: Vec<(&Row, Vec<&str>)> = Vec::new();
    for r in rows.iter().filter(|r| r.name.is_none()) {
        match infra.last_mut() {
            Some((last, envs)) if last.service == r.service => {
                envs.extend(r.environment.as_deref());
            }
            _ => infra.push((r, r.environment.as_deref().into_iter().collect())),
        }
    }
    let by_environment = infra.iter().any(|(_, envs)| !envs.is_empty());
    if !infra.is_empty() {
        match &registry.infrastructure.range {
            Some(range) => {
                let _ = write!(out, "\n## Infrastructure ({range})\n\n");
            }
            None => out.push_str("\n## Infrastructure\n\n"),
        }
        out.push_str(if by_environment {
            "| Port | Service | Container port | Environments | Description |\n|-----:|---------|---------------:|--------------|-------------|\n"
        } else {
            "| Port | Service | Container port | Description |\n|-----:|---------|---------------:|-------------|\n"
        });
        infra.sort_by(|a, b| (a.0.port, &a.0.service).cmp(&(b.0.port, &b.0.service)));
        for (r, envs) in infra {
            let _ = write!(
                out,
                "| {} | {} | {} |",
                r.shown_port(),
                cell(&r.service),
                r.container_port
            );
            if by_environment {
                let envs = if envs.is_empty() {
                    "all".to_owned()
                } else {
                    envs.join(", ")
                };
                let _ = write!(out, " {} |", cell(&envs));
            }
            let _ = writeln!(out, " {} |", cell(r.description.as_deref().unwrap_or("")));
        }
    }
    if !registry.reserved.is_empty() {
        out.push_str("\n## Reserved\n\n| Ports | Reason |\n|------:|--------|\n");
        for r in &registry.reserved {
            let _ = writeln!(out, "| {} | {} |", r.ports, cell(&r.reason));
        }
    }
    let mut node_ports: Vec<&Row> = rows.iter().filter(|r| r.node_port.is_some()).collect();
    if !node_ports.is_empty() {
        node_ports.sort_by_key(|r| r.node_port);
        out.push_str(
            "\n## NodePorts\n\n| NodePort | Port | Service | Port name | Environment |\n|---------:|-----:|---------|-----------|-------------|\n",
        );
        for r in node_ports {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                opt(r.node_port),
                r.port,
                cell(&r.service),
                cell(r.name.as_deref().unwrap_or("")),
                cell(r.environment.as_deref().unwrap_or(""))
            );
        }
    }
    out
}

/// A .env value: bare when it holds only safe characters, else double-quoted
/// with `\`, `"`, `$` and newlines escaped (the syntax docker compose and
/// dotenv parsers share).
pub fn env_value(value: &str) -> std::borrow::Cow<'_, str> {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"_-.:/@+,".contains(&b);
    if !value.is_empty() && value.bytes().all(safe) {
        return value.into();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out.into()
}

fn env_file(registry: &Registry, rows: &[Row], environment: &str) -> String {
    enum Value<'a> {
        Port(u16),
        Text(&'a str),
    }
    /// A variable: its first bytes as a number, its name in `names`, its value.
    type Var<'a> = (u128, std::ops::Range<usize>, Value<'a>);
    // Names in one buffer, sorted as ranges of it: a string per variable
    // would cost more than the rest of the artifact at 60,000 ports. Each
    // carries its first 16 bytes as a number, which decides most comparisons.
    let mut names = String::with_capacity(rows.len() * 48);
    let mut vars: Vec<Var> = Vec::with_capacity(rows.len() * 3);
    // The variables of each row, sorted among themselves.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::with_capacity(rows.len());
    let mut buf = String::with_capacity(64);
    for r in rows {
        if r.environment.as_deref().is_some_and(|e| e != environment) {
            continue;
        }
        let flags = crate::ident::EnvFlags {
            node_port: r.node_port.is_some(),
            url: r.url.is_some(),
            protocol: r.protocol != Protocol::Tcp,
            range: r.port_end.is_some(),
        };
        let first = vars.len();
        crate::ident::env_variables(
            &mut buf,
            &r.service,
            r.name.as_deref(),
            flags,
            |var, kind| {
                let value = match kind {
                    EnvVar::Port => Value::Port(r.port),
                    EnvVar::ContainerPort => Value::Port(r.container_port),
                    EnvVar::NodePort => Value::Port(r.node_port.unwrap_or(0)),
                    EnvVar::Url => Value::Text(r.url.as_deref().unwrap_or("")),
                    EnvVar::Protocol => Value::Text(r.protocol.as_str()),
                    EnvVar::PortEnd => Value::Port(r.port_end.unwrap_or(r.port)),
                };
                let mut prefix = [0u8; 16];
                let n = var.len().min(16);
                prefix[..n].copy_from_slice(&var.as_bytes()[..n]);
                let start = names.len();
                names.push_str(var);
                vars.push((u128::from_be_bytes(prefix), start..names.len(), value));
            },
        );
        groups.push(first..vars.len());
    }
    // Ranges grow with the order of writing, so the ranges' order breaks a
    // tie as a stable sort would: of two equal names the later wins, as a
    // shell reading the file would have it.
    let bytes = names.as_bytes();
    let order = |a: &Var, b: &Var| {
        a.0.cmp(&b.0)
            .then_with(|| bytes[a.1.clone()].cmp(&bytes[b.1.clone()]))
            .then(a.1.start.cmp(&b.1.start))
    };
    // A row's names share its prefix, so sorting the rows by their first
    // name and each row's few names among themselves almost always gives
    // the sorted order, checked in one pass; the whole sort runs otherwise.
    for group in &groups {
        vars[group.clone()].sort_unstable_by(order);
    }
    groups.sort_unstable_by(|a, b| match (vars.get(a.start), vars.get(b.start)) {
        (Some(a), Some(b)) => order(a, b),
        _ => a.start.cmp(&b.start),
    });
    let mut sorted: Vec<&Var> = groups.iter().flat_map(|g| &vars[g.clone()]).collect();
    if sorted.windows(2).any(|w| order(w[0], w[1]).is_gt()) {
        sorted.sort_unstable_by(|a, b| order(a, b));
    }
    let mut out = format!("# {NOTICE}\n");
    // The variable the generated `Environment::from_env` reads.
    let _ = writeln!(
        out,
        "{}_ENV={}",
        screaming(&registry.project.value),
        env_value(environment)
    );
    out.reserve(sorted.len() * 40);
    for (i, (_, key, value)) in sorted.iter().enumerate() {
        let key = &names[key.clone()];
        if sorted
            .get(i + 1)
            .is_some_and(|next| names[next.1.clone()] == *key)
        {
            continue;
        }
        out.push_str(key);
        out.push('=');
        match value {
            Value::Port(p) => push_number(&mut out, *p),
            Value::Text(t) => out.push_str(&env_value(t)),
        }
        out.push('\n');
    }
    out
}

/// `n` in decimal, without the formatting machinery (hundreds of thousands
/// of ports in the largest artifacts).
fn push_number(out: &mut String, n: u16) {
    let mut digits = [0u8; 5];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// A YAML double-quoted scalar.
fn yaml_string(value: &str) -> String {
    crate::yaml::double_quoted(value)
}

fn compose(rows: &[Row], environment: &str, dir: &str) -> String {
    // Compose's short syntax: `[bind:]host:container[/udp]`; `both` is a
    // mapping per transport.
    let mut services: BTreeMap<&str, Vec<(u16, String)>> = BTreeMap::new();
    let mut entries: Option<(&str, &mut Vec<(u16, String)>)> = None;
    let mut published = 0;
    for r in rows {
        if r.environment.as_deref().is_some_and(|e| e != environment) {
            continue;
        }
        let mut mapping = String::with_capacity(24);
        match r.bind {
            Some(std::net::IpAddr::V6(ip)) => {
                let _ = write!(mapping, "[{ip}]:");
            }
            Some(ip) => {
                let _ = write!(mapping, "{ip}:");
            }
            None => {}
        }
        match r.port_end {
            Some(_) => {
                let _ = write!(mapping, "{}:{}", r.ports_text(), r.container_text());
            }
            None => {
                push_number(&mut mapping, r.port);
                mapping.push(':');
                push_number(&mut mapping, r.container_port);
            }
        }
        // Rows come service by service: look the service up once per run.
        let list = match entries.take() {
            Some((service, list)) if service == r.service => list,
            _ => services.entry(&r.service).or_default(),
        };
        match r.protocol {
            Protocol::Udp => list.push((r.port, mapping + "/udp")),
            Protocol::Both => {
                list.push((r.port, format!("{mapping}/tcp")));
                list.push((r.port, mapping + "/udp"));
            }
            _ => list.push((r.port, mapping)),
        }
        published += 1;
        entries = Some((&r.service, list));
    }
    // `!override` replaces the base file's `ports:` instead of appending to
    // them (Compose merges lists by appending): a base publishing
    // 127.0.0.1:5433:5432 must not also publish 5433 on every address.
    let mut out = format!(
        "# {NOTICE}\n# docker compose -f docker-compose.yaml -f {dir}/docker-compose.{environment}.yaml up\n\
         # Needs Docker Compose 2.24.4 or later: `!override` replaces the base file's ports.\n"
    );
    if services.is_empty() {
        out.push_str("services: {}\n");
        return out;
    }
    out.reserve(services.len() * 32 + published * 32);
    out.push_str("services:\n");
    for (service, mut ports) in services {
        ports.sort();
        out.push_str("  ");
        out.push_str(&crate::yaml::plain_or_quoted(service, false));
        out.push_str(":\n    ports: !override\n");
        for (_, mapping) in ports {
            out.push_str("      - ");
            crate::yaml::push_double_quoted(&mut out, &mapping);
            out.push('\n');
        }
    }
    out
}

/// What a template sees: which environment and service a file is for.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scope {
    /// The environment, for paths with `{environment}` (or the only one).
    pub environment: Option<String>,
    /// The service, for paths with `{service}`.
    pub service: Option<String>,
}

/// Expands `{environment}` and `{service}` in `path`: one path per environment,
/// per service, or per service running in each environment.
pub fn expand(registry: &Registry, path: &str) -> Vec<(String, Scope)> {
    let by_env = path.contains("{environment}");
    let by_service = path.contains("{service}");
    let only =
        (registry.environments.len() == 1).then(|| registry.environments[0].name.value.clone());
    let mut out = Vec::new();
    let environments: Vec<Option<(usize, &str)>> = if by_env {
        registry
            .environments
            .iter()
            .enumerate()
            .map(|(i, e)| Some((i, e.name.as_str())))
            .collect()
    } else {
        vec![None]
    };
    for env in environments {
        let environment = env
            .map(|(_, name)| name.to_owned())
            .or_else(|| only.clone());
        let with_env = match env {
            Some((_, name)) => path.replace("{environment}", name),
            None => path.to_owned(),
        };
        if by_service {
            for service in &registry.services {
                if let Some((i, _)) = env
                    && !service.runs_in(i)
                {
                    continue;
                }
                out.push((
                    with_env.replace("{service}", &service.name.value),
                    Scope {
                        environment: environment.clone(),
                        service: Some(service.name.value.clone()),
                    },
                ));
            }
        } else {
            out.push((
                with_env,
                Scope {
                    environment,
                    service: None,
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ports.json's derived fields are [`Row::to_json`]'s keys (what templates
    /// see as `ports`) in sorted order: the document serde_json printed from a
    /// `Value`, byte for byte, escapes, nulls and an empty registry included.
    #[test]
    fn ports_json_is_the_value_document() {
        for yaml in [
            "project: demo\nenvironments:\n  local: { range: 8000-8099 }\n  k8s: { range: 9000-9099, node_ports: { range: 30000-30999, offset: 21000 } }\nservices:\n  web:\n    description: \"tab\\tand \\u00e9 and \\\\ and |\"\n    ports: { api: { local: 8000, k8s: 9000 }, metrics: { local: 8001, k8s: 9001 } }\n  bare: { ports: { api: { local: 8002, k8s: 9002 } } }\n  media: { environments: [local], ports: { rtp: { range: 8010-8019, protocol: udp } } }\ninfrastructure:\n  services:\n    db: { port: 5432, container_port: 5433, bind: 127.0.0.1, node_port: 30432 }\n    dns: { port: 53, protocol: both, bind: \"::1\" }\n",
            "project: empty\nenvironments:\n  local: { range: 8000-8099 }\n",
        ] {
            let source = crate::Source::new("ports.yaml", yaml);
            let report = crate::check(&source);
            let registry = report
                .valid_registry()
                .unwrap_or_else(|| panic!("{:?}", report.diagnostics));
            let rows = rows(&registry);
            let doc = json!({
                "$comment": NOTICE,
                "project": registry.project.value,
                "ports": rows.iter().map(Row::to_json).collect::<Vec<_>>(),
            });
            let expected = serde_json::to_string_pretty(&doc).unwrap() + "\n";
            assert_eq!(ports_json(&registry, &rows), expected);
        }
    }
}
