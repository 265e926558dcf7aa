//! Assigning and releasing ports by editing ports.yaml itself.
//!
//! The choice is a pure function of the registry: the lowest offset from each
//! environment's range start that is free in every environment at once, so a
//! service keeps the same last digits everywhere (8002/9002/7002). No counter
//! is stored, so two branches that assign independently collide visibly (a
//! conflict `cargo build` reports after the merge) instead of silently.
//!
//! [`assign`] and [`release`] return the new text of ports.yaml, edited with
//! [`crate::edit`] so every other byte stays; [`locked`] wraps them in the
//! advisory lock, a re-read and an atomic write.

use crate::edit::{Document, Fragment, Value};
use crate::model::{
    HostRef, KUBERNETES_NODE_PORTS, KeyPath, Owner, Port, Protocol, Registry, Segment,
};
use crate::source::Source;
use crate::sync::{Plan, Problem};
use crate::transaction::{Lock, Permit};
use crate::validate::{Report, Valid};
use std::fmt;
use std::path::Path;

mod free;
mod locked;

use free::*;
pub use locked::{Editing, Locked, LockedError, Mode, locked};

/// What to assign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The service (added when new).
    pub service: String,
    /// The port's name (`api` by default).
    pub name: String,
    /// Given ports instead of the lowest free ones: per environment, or
    /// (environment `None`) for the one environment the entry gets a port in.
    /// Environments not given one get the lowest offset free in all of them.
    pub ports: Vec<GivenPort>,
    /// The service's description, for a new service.
    pub description: Option<String>,
    /// Move an existing port instead of refusing.
    pub force: bool,
    /// The new port's transport (`None`: an existing port's, else TCP); it
    /// is free only where no port of the same transport is.
    pub protocol: Option<Protocol>,
    /// A range of this many contiguous ports instead of one port (`None`
    /// or 1: one port); every port of the block is free, none reserved.
    pub count: Option<u16>,
}

/// A port the user chose (`--port 8005`, `--port production=8005`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GivenPort {
    /// The environment; `None` when the entry gets a port in one environment only.
    pub environment: Option<String>,
    /// The port.
    pub port: u16,
}

impl std::str::FromStr for GivenPort {
    type Err = String;

    /// `8005` or `production=8005`.
    fn from_str(text: &str) -> Result<Self, String> {
        let (environment, number) = match text.split_once('=') {
            Some((env, n)) => (Some(env.trim().to_owned()), n.trim()),
            None => (None, text.trim()),
        };
        let decimal = !number.starts_with(['+', '0']) && number.bytes().all(|b| b.is_ascii_digit());
        match number.parse::<u16>() {
            Ok(port) if port > 0 && decimal => Ok(GivenPort { environment, port }),
            _ => Err(format!(
                "`{number}` is not a port number (1-65535); write N or ENVIRONMENT=N"
            )),
        }
    }
}

/// One environment's share of an assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The environment.
    pub environment: String,
    /// The host port; the first of a range.
    pub port: u16,
    /// The last port of a range; `None` for one port.
    pub end: Option<u16>,
    /// The NodePort, in node-port environments.
    pub node_port: Option<u16>,
}

/// The result of [`assign`] or [`release`]: ports.yaml's new text and what changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edited {
    /// The new text of ports.yaml.
    pub text: String,
    /// The ports assigned, or released, per environment.
    pub ports: Vec<Placed>,
    /// The ports the entry held before (a forced move), per environment.
    pub previous: Vec<Placed>,
}

/// Why an assignment or release was refused; nothing is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

fn refuse<T>(message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(message.into()))
}

fn key(segments: &[&str]) -> KeyPath {
    KeyPath {
        segments: segments
            .iter()
            .map(|s| Segment::Key((*s).to_owned()))
            .collect(),
    }
}

/// Assigns a port to `request.service`/`request.name` and returns the new
/// text of ports.yaml. `registry` is the one loaded from `source`.
pub fn assign(source: &Source, registry: Valid<'_>, request: &Request) -> Result<Edited, Refusal> {
    assign_in(&document(source)?, source, registry.registry(), request).map(|(edited, _)| edited)
}

fn document(source: &Source) -> Result<Document<'_>, Refusal> {
    Document::parse(source.text()).map_err(|e| Refusal(format!("{}: {e}", source.name())))
}

/// [`assign`], given `source` already parsed for editing; with the edited
/// text's report.
fn assign_in(
    doc: &Document<'_>,
    source: &Source,
    registry: &Registry,
    request: &Request,
) -> Result<(Edited, Report), Refusal> {
    let name = if request.name.is_empty() {
        "api"
    } else {
        request.name.as_str()
    };
    for (what, value) in [("service", request.service.as_str()), ("port", name)] {
        if !crate::load::is_valid_name(value) {
            return refuse(format!(
                "`{value}` is not a valid {what} name: use lowercase letters, digits, `-` and `_`, starting with a letter"
            ));
        }
    }
    let envs = environments_of(registry, &request.service);
    let previous = previous_ports(registry, request, name, &envs)?;
    let existing = registry
        .service(&request.service)
        .and_then(|s| s.ports.iter().find(|p| p.name.as_str() == name));
    let protocol = match (existing, request.protocol) {
        (Some(port), Some(p)) if p != port.protocol => {
            return refuse(format!(
                "`{}.{name}` is {}; change its `protocol:` in ports.yaml, then assign",
                request.service, port.protocol
            ));
        }
        (Some(port), _) => port.protocol,
        (None, p) => p.unwrap_or_default(),
    };
    let count = request.count.unwrap_or(1).max(1);
    if let Some(port) = existing
        && let Some(a) = port.assignments.iter().find(|a| a.end != a.port)
    {
        return refuse(format!(
            "`{}.{name}` is a range ({}-{} in {}); assign moves single ports: edit the range in ports.yaml, or release it and assign a new one with --count",
            request.service, a.port, a.end, registry.environments[a.environment].name
        ));
    }
    if count > 1
        && let Some(e) = envs
            .iter()
            .map(|&e| &registry.environments[e])
            .find(|e| e.node_ports.is_some())
    {
        return refuse(format!(
            "--count {count}: `{}` runs in {}, which has NodePorts, and a Kubernetes Service has no port ranges",
            request.service, e.name
        ));
    }
    if count > 1 && existing.is_some() {
        return refuse(format!(
            "`{}.{name}` exists; --count adds a new range: give it another name (--name)",
            request.service
        ));
    }
    // A forced move does not collide with the ports it leaves.
    let mut taken = Taken::new(registry, Some((request.service.as_str(), name)), protocol);
    taken.count = count;
    let mut fixed = given_ports(registry, &mut taken, request, &envs)?;
    // A forced move of some environments (`--port production=8040`) leaves
    // the others where they are.
    if let Some(port) = registry
        .service(&request.service)
        .and_then(|s| s.ports.iter().find(|p| p.name.as_str() == name))
        .filter(|_| !request.ports.is_empty())
    {
        for (slot, &e) in envs.iter().enumerate() {
            if fixed[slot].is_none() {
                fixed[slot] = port.in_environment(e).map(|a| a.port);
            }
        }
    }
    let ports = fill_open(registry, &taken, &envs, fixed, &request.service, name)?;
    let text = write_entry(doc, source, registry, request, name, &envs, &ports)?;
    let report = still_valid(source, &text)?;
    let edited = Edited {
        text,
        ports: placed(registry, &envs, &ports, count),
        previous,
    };
    Ok((edited, report))
}

/// The ports `request`'s entry holds now, when it exists: refused unless
/// `--force` moves it.
fn previous_ports(
    registry: &Registry,
    request: &Request,
    name: &str,
    envs: &[usize],
) -> Result<Vec<Placed>, Refusal> {
    let existing = registry
        .service(&request.service)
        .and_then(|s| s.ports.iter().find(|p| p.name.as_str() == name));
    let mut previous = Vec::new();
    if let Some(port) = existing {
        if !request.force {
            let now: Vec<String> = port
                .assignments
                .iter()
                .map(|a| {
                    format!(
                        "{} in {}",
                        a.port, registry.environments[a.environment].name
                    )
                })
                .collect();
            return refuse(format!(
                "`{}.{name}` already has a port ({}); pass --force to move it",
                request.service,
                now.join(", ")
            ));
        }
        let ports: Vec<Port> = envs
            .iter()
            .filter_map(|&i| port.in_environment(i).map(|a| a.port))
            .collect();
        previous = placed(registry, envs, &ports, 1);
    }
    Ok(previous)
}

/// The ports `--port` gives, per environment of `envs` (`None` where none is
/// given), each checked and recorded in `taken`.
fn given_ports<'r>(
    registry: &'r Registry,
    taken: &mut Taken<'r>,
    request: &Request,
    envs: &[usize],
) -> Result<Vec<Option<Port>>, Refusal> {
    let mut fixed: Vec<Option<Port>> = vec![None; envs.len()];
    for given in &request.ports {
        let slot = match &given.environment {
            Some(env) => match envs
                .iter()
                .position(|&i| registry.environments[i].name.as_str() == env)
            {
                Some(slot) => slot,
                None => {
                    let runs: Vec<&str> = envs
                        .iter()
                        .map(|&i| registry.environments[i].name.as_str())
                        .collect();
                    let hint = crate::load::did_you_mean(env, runs.iter().copied())
                        .map(|b| format!("did you mean `{b}`? "))
                        .unwrap_or_default();
                    return refuse(format!(
                        "--port {env}={}: `{}` does not run in an environment called `{env}`; {hint}it runs in {}",
                        given.port,
                        request.service,
                        runs.join(", ")
                    ));
                }
            },
            None if envs.len() == 1 => 0,
            None => {
                let example: Vec<String> = envs
                    .iter()
                    .map(|&i| format!("--port {}={}", registry.environments[i].name, given.port))
                    .collect();
                return refuse(format!(
                    "--port {}: `{}` gets a port in {} environments; say which, e.g. {}",
                    given.port,
                    request.service,
                    envs.len(),
                    example.join(" ")
                ));
            }
        };
        let env = &registry.environments[envs[slot]];
        if fixed[slot].is_some() {
            return refuse(format!("--port gives {} two ports", env.name));
        }
        let Some(port) = Port::new(given.port) else {
            return refuse("port 0 is not a port");
        };
        if let Some(why) = taken.why_not(registry, envs[slot], port) {
            let target = if envs.len() == 1 {
                String::new()
            } else {
                format!(" in {}", env.name)
            };
            return refuse(format!(
                "port {} cannot be assigned{target}: {why}",
                given.port
            ));
        }
        taken.give(registry, envs[slot], port);
        fixed[slot] = Some(port);
    }
    Ok(fixed)
}

/// `fixed` with the environments given no port filled in: they share the
/// lowest offset free in all of them.
fn fill_open(
    registry: &Registry,
    taken: &Taken<'_>,
    envs: &[usize],
    fixed: Vec<Option<Port>>,
    service: &str,
    name: &str,
) -> Result<Vec<Port>, Refusal> {
    // The environments given no port share the lowest offset free in all of them.
    let open: Vec<usize> = envs
        .iter()
        .zip(&fixed)
        .filter(|(_, f)| f.is_none())
        .map(|(&e, _)| e)
        .collect();
    let chosen = if open.is_empty() {
        Vec::new()
    } else {
        match lowest_common(registry, taken, &open) {
            Some(ports) => ports,
            None => {
                let ranges: Vec<String> = open
                    .iter()
                    .map(|&i| {
                        let e = &registry.environments[i];
                        format!("{} {}", e.name, e.range)
                    })
                    .collect();
                let what = if open.len() == 1 {
                    format!("its range is full ({})", ranges.join(", "))
                } else {
                    format!(
                        "a service gets the same last digits in every environment, and no such port is free in all of {}",
                        ranges.join(", ")
                    )
                };
                let per_env = if envs.len() > 1 {
                    ", give each environment its port (--port ENVIRONMENT=N),"
                } else {
                    ""
                };
                return refuse(format!(
                    "no free port for `{service}.{name}`: {what}; widen a range (`environments.<name>.range`){per_env} or release a service",
                ));
            }
        }
    };
    let mut chosen = chosen.into_iter();
    let mut ports: Vec<Port> = Vec::with_capacity(envs.len());
    for f in fixed {
        match f.or_else(|| chosen.next()) {
            Some(p) => ports.push(p),
            None => return refuse("no port was chosen for every environment"),
        }
    }

    Ok(ports)
}

/// ports.yaml's text with the entry written, in the file's style.
fn write_entry(
    doc: &Document<'_>,
    source: &Source,
    registry: &Registry,
    request: &Request,
    name: &str,
    envs: &[usize],
    ports: &[Port],
) -> Result<String, Refusal> {
    // How the file writes a port of several environments: one walk, not a
    // lookup per port (which made assign quadratic in the number of services).
    let entry = key(&["services", &request.service, "ports", name]);
    // An entry written as a mapping keeps what else it says (`scheme`,
    // `container_port`): only its port numbers are set.
    if let Ok(crate::edit::Current::Other) = doc.get(&entry) {
        let at = |steps: &[&str]| {
            let mut path = entry.clone();
            path.segments
                .extend(steps.iter().map(|s| Segment::Key((*s).to_owned())));
            path
        };
        let mut values = Vec::new();
        if let Ok(crate::edit::Current::Scalar(_)) = doc.get(&at(&["port"])) {
            // `{ port: …, container_port: … }`: one port for every environment.
            if ports.windows(2).any(|w| w[0] != w[1]) {
                return refuse(format!(
                    "`{}.{name}` is written as one `{{ port: … }}` for every environment; give every environment the same port, or write it per environment first",
                    request.service
                ));
            }
            if let Some(p) = ports.first() {
                values.push((at(&["port"]), Value::Int(i64::from(p.get()))));
            }
        } else {
            for (&e, p) in envs.iter().zip(ports) {
                let env = registry.environments[e].name.as_str();
                let path = match doc.get(&at(&[env])) {
                    Ok(crate::edit::Current::Other) => at(&[env, "port"]),
                    _ => at(&[env]),
                };
                values.push((path, Value::Int(i64::from(p.get()))));
            }
        }
        let edited = doc
            .apply(&values, &[])
            .map_err(|e| Refusal(format!("{}: {e}", source.name())))?;
        return Ok(edited.unwrap_or_else(|| source.text().to_owned()));
    }
    let block = doc.first_mapping_style(&[Some("services"), None, Some("ports"), None]);
    let value = port_fragment(
        registry,
        envs,
        ports,
        block,
        request.protocol.unwrap_or_default(),
        request.count.unwrap_or(1).max(1),
    );
    let edited = match registry.service(&request.service) {
        Some(_) => doc.set_fragment(&entry, &value),
        None => {
            let mut entries = Vec::new();
            if let Some(d) = &request.description {
                entries.push((
                    "description".to_owned(),
                    Fragment::Value(Value::Str(d.clone())),
                ));
            }
            entries.push((
                "ports".to_owned(),
                Fragment::Block(vec![(name.to_owned(), value)]),
            ));
            doc.set_fragment(
                &key(&["services", &request.service]),
                &Fragment::Block(entries),
            )
        }
    }
    .map_err(|e| Refusal(format!("{}: {e}", source.name())))?;
    Ok(edited.unwrap_or_else(|| source.text().to_owned()))
}

/// `8004` for one environment; for several `{ production: 8004, test: 7004 }`,
/// or one environment per line when the file writes its ports that way
/// (`block`: `Some` when the file has a port written per environment, and
/// whether that one is a block). One environment is written per environment
/// too when the file does so, so adding an environment later stays one step.
fn port_fragment(
    registry: &Registry,
    envs: &[usize],
    ports: &[Port],
    block: Option<bool>,
    protocol: Protocol,
    count: u16,
) -> Fragment {
    // Another transport than TCP is said beside the ports.
    let protocol = (protocol != Protocol::Tcp)
        .then(|| ("protocol".to_owned(), Value::Str(protocol.to_string())));
    // A block is written `A-B`.
    let value = |p: &Port| match count {
        0 | 1 => Value::Int(i64::from(p.get())),
        n => Value::Str(format!("{p}-{}", p.get() + (n - 1))),
    };
    if registry.environments.len() == 1 && block.is_none() {
        let port = value(&ports[0]);
        let key = if count > 1 { "range" } else { "port" };
        return match protocol {
            None => Fragment::Value(port),
            Some(p) => Fragment::Flow(vec![(key.to_owned(), port), p]),
        };
    }
    let block = block.unwrap_or(false);
    let entries = envs
        .iter()
        .zip(ports)
        .map(|(&i, p)| (registry.environments[i].name.value.clone(), value(p)))
        .chain(protocol);
    if block {
        Fragment::Block(entries.map(|(k, v)| (k, Fragment::Value(v))).collect())
    } else {
        Fragment::Flow(entries.collect())
    }
}

/// The edited registry must load and validate, or nothing is written; its
/// report when it does.
fn still_valid(source: &Source, text: &str) -> Result<Report, Refusal> {
    let edited = Source::new(source.name(), text);
    let report = crate::validate::check(&edited);
    if report.is_ok() {
        return Ok(report);
    }
    let first = report
        .diagnostics
        .iter()
        .find(|d| d.severity == crate::diag::Severity::Error)
        .map(|d| crate::diag::plain(&edited, d))
        .unwrap_or_default();
    refuse(format!(
        "the edit would make {} invalid ({first}); nothing was written",
        source.name()
    ))
}

/// Removes `service` (or only its port `name`) from ports.yaml. Removing a
/// service's last port removes the service.
pub fn release(
    source: &Source,
    registry: Valid<'_>,
    service: &str,
    name: Option<&str>,
) -> Result<Edited, Refusal> {
    release_in(
        &document(source)?,
        source,
        registry.registry(),
        service,
        name,
    )
    .map(|(edited, _)| edited)
}

/// [`release`], given `source` already parsed for editing.
fn release_in(
    doc: &Document<'_>,
    source: &Source,
    registry: &Registry,
    service: &str,
    name: Option<&str>,
) -> Result<(Edited, Report), Refusal> {
    let Some(s) = registry.service(service) else {
        let names = registry.services.iter().map(|s| s.name.as_str());
        let hint = crate::load::did_you_mean(service, names)
            .map(|b| format!("; did you mean `{b}`?"))
            .unwrap_or_default();
        return refuse(format!("no service `{service}` in {}{hint}", source.name()));
    };
    let ports: Vec<&crate::model::NamedPort> = match name {
        Some(n) => match s.ports.iter().find(|p| p.name.as_str() == n) {
            Some(p) => vec![p],
            None => {
                let names = s.ports.iter().map(|p| p.name.as_str());
                let hint = crate::load::did_you_mean(n, names)
                    .map(|b| format!("; did you mean `{b}`?"))
                    .unwrap_or_default();
                return refuse(format!("`{service}` has no port `{n}`{hint}"));
            }
        },
        None => s.ports.iter().collect(),
    };
    let released: Vec<Placed> = ports
        .iter()
        .flat_map(|p| {
            p.assignments.iter().map(|a| {
                let e = &registry.environments[a.environment];
                Placed {
                    environment: e.name.value.clone(),
                    port: a.port.get(),
                    end: (a.end != a.port).then(|| a.end.get()),
                    node_port: e
                        .node_ports
                        .as_ref()
                        .and_then(|np| np.node_port(a.port))
                        .map(Port::get),
                }
            })
        })
        .collect();
    let whole = name.is_none() || s.ports.len() == 1;
    let path = match (whole, name) {
        (false, Some(n)) => key(&["services", service, "ports", n]),
        _ => key(&["services", service]),
    };
    let text = doc
        .remove(&path)
        .map_err(|e| Refusal(format!("{}: {e}", source.name())))?
        .unwrap_or_else(|| source.text().to_owned());
    let report = still_valid(source, &text)?;
    let edited = Edited {
        text,
        ports: released,
        previous: Vec::new(),
    };
    Ok((edited, report))
}
