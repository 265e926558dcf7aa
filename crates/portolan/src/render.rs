//! Renders the registry into text: the built-in artifacts, user templates and
//! the values of owned keys. Pure: templates come in as text, files go out as
//! strings; [`crate::sync`] does the reading and writing.
//!
//! Values put into JSON, YAML and .env files go through a serializer
//! (serde_json, whose strings are also valid YAML double-quoted scalars, and
//! [`env_value`]); nothing from ports.yaml is pasted into syntax unescaped.

use crate::ident::screaming;
use crate::model::{Artifact, Owner, Protocol, Registry};
use serde_json::{Value as Json, json};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

mod compose;
mod dotenv;
mod json;
mod kubernetes;
mod markdown;
mod modules;
mod prometheus;
mod templates;

use compose::compose;
use dotenv::env_file;
pub use dotenv::env_value;
pub use json::list_json;
use json::ports_json;
use markdown::ports_md;
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

    /// `list --format json` prints as serde_json prints the same rows as `Value`s:
    /// keys in sorted order, `null` for what a row lacks, `[]` for no rows.
    #[test]
    fn list_json_is_the_value_document() {
        let source = crate::Source::new(
            "ports.yaml",
            "project: demo\nenvironments:\n  local: { range: 8000-8099 }\n  k8s: { range: 9000-9099, node_ports: { range: 30000-30999, offset: 21000 } }\nservices:\n  web: { ports: { api: { local: 8000, k8s: 9000 }, metrics: { local: 8001, k8s: 9001 } } }\n  media: { environments: [local], ports: { rtp: { range: 8010-8019, protocol: udp } } }\ninfrastructure:\n  services:\n    db: { port: 5432, container_port: 5433, bind: \"::1\", protocol: both }\n",
        );
        let report = crate::check(&source);
        let registry = report.valid_registry().expect("valid");
        for rows in [rows(&registry), Vec::new()] {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "service": r.service,
                        "name": r.name,
                        "environment": r.environment,
                        "port": r.port,
                        "container_port": r.container_port,
                        "node_port": r.node_port,
                        "protocol": r.protocol.as_str(),
                        "bind": r.bind.map(|b| b.to_string()),
                        "port_end": r.port_end,
                    })
                })
                .collect();
            let expected = format!("{}\n", serde_json::to_string_pretty(&items).unwrap());
            assert_eq!(list_json(&rows), expected);
        }
    }
}
