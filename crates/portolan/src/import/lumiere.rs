//! The Lumiere reader: `environments.<env>.<service>.<name>_port`.
//!
//! [`lumiere()`] reads the source into the types below, checks what its keys
//! disagree on, derives each environment's range and writes the draft. The
//! source keeps one file per step: `lumiere/read.rs` reads a service or an
//! infrastructure entry, `lumiere/checks.rs` checks the ports across
//! environments (one transport and bind per named port, the discovery URLs,
//! a host port used twice) and `lumiere/ranges.rs` derives the ranges.

use super::*;

mod checks;
mod ranges;
mod read;

use checks::{check_discovery, check_duplicates, one_publish_per_port};
use ranges::environment_ranges;
use read::{holds_a_port, read_infra, read_service};

/// One port of a service in one environment.
#[derive(Clone, Copy)]
struct Bound {
    port: u16,
    container: Option<u16>,
    publish: Publish,
}

impl Bound {
    fn inside(self) -> u16 {
        self.container.unwrap_or(self.port)
    }
}

/// An environment of the source.
struct Environment {
    name: String,
    key: String,
    at: String,
    stated: Option<Vec<(u16, u16)>>,
    discovery: Vec<DiscoveryUrl>,
}

/// A `service_discovery` entry: a URL other services reach one with.
struct DiscoveryUrl {
    key: String,
    value: Tree,
    /// Where it is given.
    at: String,
}

/// A named port of a service, in each environment that gives it.
struct NamedPort {
    name: String,
    per_env: Vec<PortInEnv>,
}

/// A port of a service in one environment.
struct PortInEnv {
    /// The environment's index.
    env: usize,
    bound: Bound,
    /// Where the port is given.
    at: String,
    /// The mapping it is published with, and where: what says its protocol
    /// and bind address.
    mapping: Option<(Mapping, String)>,
}

/// A service, gathered from every environment it appears in.
struct Service {
    name: String,
    description: Option<(String, String)>,
    envs: Vec<usize>,
    ports: Vec<NamedPort>,
}

/// An entry of the source's `infrastructure`.
struct InfraEntry {
    name: String,
    bound: Bound,
    description: Option<String>,
    at: String,
}

/// The mappings at the root of the source.
struct Sections<'t> {
    /// Its `description`, the draft's opening comment.
    intro: Vec<String>,
    environments: &'t Vec<(String, Tree)>,
    infrastructure: Option<&'t Vec<(String, Tree)>>,
    /// `service_discovery` keyed by environment.
    discovery: Option<&'t Vec<(String, Tree)>>,
}

pub(super) fn lumiere(root: &Tree, options: &Options, cx: &mut Ctx) -> Result<Draft, ImportError> {
    let Tree::Map(root_map) = root else {
        return Err(ImportError::Shape(
            "the file is not a mapping with `environments`".to_owned(),
        ));
    };
    let project = project(options, root, "lumiere", cx);
    let sections = sections(root_map, cx)?;
    let mut services: Vec<Service> = Vec::new();
    let mut envs = environments(sections.environments, cx, &mut services);
    if let Some(discovery) = sections.discovery {
        root_discovery(discovery, &mut envs, cx);
    }
    let infra = infrastructure(sections.infrastructure, cx);
    let used = used_environments(&envs, &services, cx)?;

    one_publish_per_port(&envs, &mut services, cx);
    check_discovery(&envs, &services, &infra, cx);
    check_duplicates(&envs, &services, &infra, cx);
    let ranges = environment_ranges(&envs, &used, &services, cx);

    let draft_envs = draft_environments(&envs, &used, &ranges);
    let single_env = draft_envs.len() == 1;
    let draft_services = draft_services(&envs, &used, services, single_env);
    Ok(Draft {
        intro: sections.intro,
        project,
        envs: draft_envs,
        reserved: Vec::new(),
        services: draft_services,
        infra: draft_infra(infra),
    })
}

/// The root's sections; an error without `environments`.
fn sections<'t>(root_map: &'t [(String, Tree)], cx: &mut Ctx) -> Result<Sections<'t>, ImportError> {
    let mut intro = Vec::new();
    let mut envs_map = None;
    let mut infra_map = None;
    let mut root_discovery = None;
    for (key, value) in cx.entries(root_map, "") {
        match (key, value) {
            ("environments", Tree::Map(m)) => envs_map = Some(m),
            ("infrastructure", Tree::Map(m)) => infra_map = Some(m),
            ("service_discovery", Tree::Map(m)) => root_discovery = Some(m),
            ("description", Tree::Str(d)) => intro.push(d.clone()),
            ("project", Tree::Str(_)) => {}
            ("environments" | "infrastructure" | "service_discovery", v) => cx.problem(
                key,
                format!("is {}, not a mapping; not imported", describe(v)),
            ),
            _ => cx.ignore(key, key),
        }
    }
    let Some(envs_map) = envs_map else {
        return Err(ImportError::Shape(
            "no `environments` mapping: the Lumiere format keeps ports under \
             `environments.<env>.<service>.<name>_port`"
                .to_owned(),
        ));
    };
    Ok(Sections {
        intro,
        environments: envs_map,
        infrastructure: infra_map,
        discovery: root_discovery,
    })
}

/// Every environment, with its services read into `services`.
fn environments(
    envs_map: &[(String, Tree)],
    cx: &mut Ctx,
    services: &mut Vec<Service>,
) -> Vec<Environment> {
    let mut envs: Vec<Environment> = Vec::new();
    for (env_key, env_value) in cx.entries(envs_map, "environments") {
        let at = join("environments", env_key);
        // `staging:` with nothing under it is an environment without services.
        let empty = Vec::new();
        let env_value = match env_value {
            Tree::Null => &Tree::Map(empty),
            v => v,
        };
        let Tree::Map(env_map) = env_value else {
            cx.problem(
                &at,
                format!(
                    "is {}, not a mapping of services; not imported",
                    describe(env_value)
                ),
            );
            continue;
        };
        let env_index = envs.len();
        let mut env = Environment {
            name: cx.name(env_key, &at, "environment"),
            key: env_key.to_owned(),
            at: at.clone(),
            stated: None,
            discovery: Vec::new(),
        };
        for (key, value) in cx.entries(env_map, &at) {
            let key_at = join(&at, key);
            match (key, value) {
                ("service_discovery", Tree::Map(urls)) => {
                    for (k, v) in cx.entries(urls, &key_at) {
                        env.discovery.push(DiscoveryUrl {
                            key: k.to_owned(),
                            value: v.clone(),
                            at: join(&key_at, k),
                        });
                    }
                }
                ("range" | "port_range", v) => match range_of(v) {
                    Some(r) => env.stated = Some(r),
                    None => cx.problem(
                        &key_at,
                        format!(
                            "{} is not a port range like 8000-8799; the range is derived from the ports",
                            describe(v)
                        ),
                    ),
                },
                (_, Tree::Map(svc)) => {
                    read_service(env_index, key, svc, &key_at, cx, services);
                }
                // `courier: 9000`: a port, but not in a service's shape.
                (_, v) if holds_a_port(v) => cx.problem(
                    &key_at,
                    format!(
                        "{} is not a service mapping (`{key}: {{ api_port: … }}`); not imported",
                        describe(v)
                    ),
                ),
                _ => cx.ignore(key, &key_at),
            }
        }
        envs.push(env);
    }
    envs
}

/// The root's `service_discovery`, keyed by environment, added to each.
fn root_discovery(discovery: &[(String, Tree)], envs: &mut [Environment], cx: &mut Ctx) {
    for (env_key, urls) in cx.entries(discovery, "service_discovery") {
        let at = join("service_discovery", env_key);
        let Some(env) = envs.iter_mut().find(|e| e.key == env_key) else {
            cx.problem(
                &at,
                format!("`{env_key}` is not an environment of the source"),
            );
            continue;
        };
        match urls {
            Tree::Map(urls) => {
                for (k, v) in cx.entries(urls, &at) {
                    env.discovery.push(DiscoveryUrl {
                        key: k.to_owned(),
                        value: v.clone(),
                        at: join(&at, k),
                    });
                }
            }
            other => cx.problem(
                &at,
                format!("is {}, not a mapping of URLs", describe(other)),
            ),
        }
    }
}

/// Every infrastructure entry that has a port.
fn infrastructure(map: Option<&Vec<(String, Tree)>>, cx: &mut Ctx) -> Vec<InfraEntry> {
    let mut infra: Vec<InfraEntry> = Vec::new();
    if let Some(map) = map {
        for (key, value) in cx.entries(map, "infrastructure") {
            let at = join("infrastructure", key);
            if let Some(entry) = read_infra(key, value, &at, cx) {
                infra.push(entry);
            }
        }
    }
    infra
}

/// Whether each environment has service ports; an error when none has.
/// Environments with no ports are not imported: a range needs ports to
/// derive it from.
fn used_environments(
    envs: &[Environment],
    services: &[Service],
    cx: &mut Ctx,
) -> Result<Vec<bool>, ImportError> {
    let used: Vec<bool> = (0..envs.len())
        .map(|i| services.iter().any(|s| s.envs.contains(&i)))
        .collect();
    for (env, used) in envs.iter().zip(&used) {
        if !used {
            cx.note(
                &env.at,
                "has no service ports; not imported (add it by hand with its range if you need it)",
            );
        }
    }
    if !used.iter().any(|&u| u) {
        return Err(ImportError::Shape(
            "no service ports found under `environments.<env>.<service>.<name>_port`".to_owned(),
        ));
    }
    Ok(used)
}

/// The environments imported, each with its range.
fn draft_environments(
    envs: &[Environment],
    used: &[bool],
    ranges: &[Vec<(u16, u16)>],
) -> Vec<DraftEnv> {
    envs.iter()
        .zip(used)
        .zip(ranges)
        .filter(|((_, used), _)| **used)
        .map(|((env, _), range)| DraftEnv {
            name: env.name.clone(),
            range: range_text(range),
            node_ports: None,
        })
        .collect()
}

/// The services, each port bare when there is one environment and per
/// environment otherwise.
fn draft_services(
    envs: &[Environment],
    used: &[bool],
    services: Vec<Service>,
    single_env: bool,
) -> Vec<DraftService> {
    let all_envs: Vec<usize> = (0..envs.len()).filter(|&i| used[i]).collect();
    services
        .into_iter()
        .map(|svc| {
            let ports = svc
                .ports
                .into_iter()
                .map(|p| {
                    // One per named port: the environments agree by now.
                    let publish = p
                        .per_env
                        .first()
                        .map(|g| g.bound.publish)
                        .unwrap_or_default();
                    let port = match (single_env, p.per_env.as_slice()) {
                        (true, [g]) => DraftPort::Bare(g.bound.port, g.bound.container),
                        _ => DraftPort::PerEnv(
                            p.per_env
                                .iter()
                                .map(|g| {
                                    (envs[g.env].name.clone(), g.bound.port, g.bound.container)
                                })
                                .collect(),
                        ),
                    };
                    (p.name, port, publish)
                })
                .collect();
            let mut envs_of = svc.envs.clone();
            envs_of.sort_unstable();
            DraftService {
                name: svc.name,
                description: svc.description.map(|(d, _)| d),
                environments: (envs_of != all_envs)
                    .then(|| envs_of.iter().map(|&e| envs[e].name.clone()).collect()),
                ports,
            }
        })
        .collect()
}

/// The infrastructure section, its range the span of its ports.
fn draft_infra(infra: Vec<InfraEntry>) -> Option<Infra> {
    (!infra.is_empty()).then(|| {
        let ports: Vec<u16> = infra.iter().map(|i| i.bound.port).collect();
        Infra {
            range: range_text(&spans(&ports)),
            services: infra
                .into_iter()
                .map(|i| DraftInfra {
                    name: i.name,
                    port: i.bound.port,
                    container_port: i.bound.container,
                    publish: i.bound.publish,
                    description: i.description,
                })
                .collect(),
        }
    })
}
