//! Reading one service of an environment, or one infrastructure entry: its
//! port, mapping and container port keys combined into one port each.

use super::*;

/// A port key and an optional `"host:container"` mapping key combined. The
/// mapping is what Docker publishes: a port key equal to its container side
/// names the port inside the container, and one equal to neither side is a
/// disagreement, imported as the mapping says and reported with both keys.
fn combine(
    port: Option<(u16, &str)>,
    mapping: Option<(Mapping, &str)>,
    cx: &mut Ctx,
) -> Option<(Bound, String)> {
    let bound = |port: u16, container: u16, publish: Publish| Bound {
        port,
        container: (container != port).then_some(container),
        publish,
    };
    let key = |at: &str| at.rsplit('.').next().unwrap_or(at).to_owned();
    match (port, mapping) {
        (Some((p, at)), None) => Some((bound(p, p, Publish::default()), at.to_owned())),
        (Some((p, at)), Some((m, _))) if m.host == p => {
            Some((bound(m.host, m.container, m.publish), at.to_owned()))
        }
        (Some((p, at)), Some((m, map_at))) if m.container == p => {
            let (h, c) = (m.host, m.container);
            cx.note(
                at,
                format!(
                    "`{}: {p}` is the container side of `{}: \"{m}\"`; imported as host port \
                     {h} with container_port {c}",
                    key(at),
                    key(map_at)
                ),
            );
            Some((bound(h, c, m.publish), map_at.to_owned()))
        }
        (Some((p, at)), Some((m, map_at))) => {
            let (h, c) = (m.host, m.container);
            cx.problem(
                map_at,
                format!(
                    "`{}: \"{m}\"` publishes host port {h} for container port {c}, but `{}` \
                     is {p}, neither side of it; imported the mapping (port {h}, container_port \
                     {c}), which is what Docker publishes: check which one the service listens on",
                    key(map_at),
                    key(at)
                ),
            );
            Some((bound(h, c, m.publish), map_at.to_owned()))
        }
        (None, Some((m, at))) => Some((bound(m.host, m.container, m.publish), at.to_owned())),
        (None, None) => None,
    }
}

/// Which side of a port a key gives.
enum Side {
    Host,
    Mapping,
    Container,
}

/// The keys of one named port of a service, each with where it is written.
struct PortKeys {
    name: String,
    /// `<name>_port` or `<name>_host_port`.
    host: Option<(u16, String)>,
    /// `<name>_mapping`.
    mapping: Option<(Mapping, String)>,
    /// `<name>_container_port`.
    container: Option<(u16, String)>,
}

impl PortKeys {
    /// What `side` holds, as a message shows it, and where it is written.
    fn given(&self, side: &Side) -> Option<(String, String)> {
        match side {
            Side::Host => self.host.as_ref().map(|(p, a)| (p.to_string(), a.clone())),
            Side::Mapping => self
                .mapping
                .as_ref()
                .map(|(m, a)| (format!("\"{m}\""), a.clone())),
            Side::Container => self
                .container
                .as_ref()
                .map(|(p, a)| (p.to_string(), a.clone())),
        }
    }
}

/// What the keys of a service's mapping give.
struct ServiceKeys<'t> {
    description: Option<String>,
    /// Port names in order of first appearance, with their keys.
    ports: Vec<PortKeys>,
    /// Keys that are not ports, reported only if this is a service at all.
    ignored: Vec<(&'t str, String, &'t Tree)>,
}

/// Reads the service `key` of environment `env` into `services`: a new
/// service, or the environment's ports of one read before.
pub(super) fn read_service(
    env: usize,
    key: &str,
    map: &[(String, Tree)],
    at: &str,
    cx: &mut Ctx,
    services: &mut Vec<Service>,
) {
    let name = cx.name(key, at, "service");
    let keys = service_keys(map, at, cx);
    if keys.ports.is_empty() && !keys.ignored.iter().any(|(_, _, v)| holds_a_port(v)) {
        cx.note(at, "has no `*_port` or `*_mapping` keys; not imported");
        return;
    }
    report_ignored(keys.ignored, cx);
    let bound = bound_ports(env, keys.ports, cx);
    if bound.is_empty() {
        // Every port was reported as a problem already.
        return;
    }
    let index = match services.iter().position(|s| s.name == name) {
        Some(i) => i,
        None => {
            services.push(Service {
                name,
                description: None,
                envs: Vec::new(),
                ports: Vec::new(),
            });
            services.len() - 1
        }
    };
    let service = &mut services[index];
    if service.envs.contains(&env) {
        cx.problem(
            at,
            format!(
                "is a second service named `{}` in this environment; not imported: rename one by hand",
                service.name
            ),
        );
        return;
    }
    if let Some(d) = keys.description {
        match &service.description {
            None => service.description = Some((d, at.to_owned())),
            Some((first, first_at)) if *first != d => cx.note(
                &join(at, "description"),
                format!("differs from {first:?} at {first_at}; kept the first"),
            ),
            Some(_) => {}
        }
    }
    service.envs.push(env);
    for (port_name, given) in bound {
        match service.ports.iter_mut().find(|p| p.name == port_name) {
            Some(p) => p.per_env.push(given),
            None => service.ports.push(NamedPort {
                name: port_name,
                per_env: vec![given],
            }),
        }
    }
}

/// The port name a key is for and the side it gives; `None` for a key
/// that is not a port's. `container_port` / `<name>_container_port` and
/// `host_port` / `<name>_host_port` are two sides of one port, as for
/// infrastructure.
fn side_of(key: &str) -> Option<(String, Side)> {
    let lower = key.to_ascii_lowercase();
    match lower.as_str() {
        "container_port" => Some(("api".to_owned(), Side::Container)),
        "host_port" => Some(("api".to_owned(), Side::Host)),
        _ => match (
            lower.strip_suffix("_container_port"),
            lower.strip_suffix("_host_port"),
            port_key(&lower),
            mapping_key(&lower),
        ) {
            (Some(n), ..) if !n.is_empty() => Some((n.to_owned(), Side::Container)),
            (_, Some(n), ..) if !n.is_empty() => Some((n.to_owned(), Side::Host)),
            (_, _, Some(p), _) => Some((p.to_owned(), Side::Host)),
            (_, _, None, Some(p)) => Some((p.to_owned(), Side::Mapping)),
            _ => None,
        },
    }
}

/// The keys of a service's mapping, sorted into its description, the sides
/// of each named port, and the rest.
fn service_keys<'t>(map: &'t [(String, Tree)], at: &str, cx: &mut Ctx) -> ServiceKeys<'t> {
    let mut description = None;
    let mut found: Vec<PortKeys> = Vec::new();
    let mut ignored: Vec<(&str, String, &Tree)> = Vec::new();
    for (k, v) in cx.entries(map, at) {
        let k_at = join(at, k);
        if k == "description" {
            match v {
                Tree::Str(d) => description = Some(d.clone()),
                _ => ignored.push((k, k_at, v)),
            }
            continue;
        }
        let Some((port_name, side)) = side_of(k) else {
            ignored.push((k, k_at, v));
            continue;
        };
        let port_name = cx.name(&port_name, &k_at, "port name");
        let i = match found.iter().position(|p| p.name == port_name) {
            Some(i) => i,
            None => {
                found.push(PortKeys {
                    name: port_name,
                    host: None,
                    mapping: None,
                    container: None,
                });
                found.len() - 1
            }
        };
        // Two keys for one side of one port (`port` and `api_port`): the
        // earlier value is lost unless both say the same.
        let earlier = found[i].given(&side);
        match side {
            Side::Host => {
                if let Some(p) = cx.port(v, &k_at) {
                    found[i].host = Some((p, k_at.clone()));
                }
            }
            Side::Mapping => match mapping_of(v) {
                Ok(m) => found[i].mapping = Some((m, k_at.clone())),
                Err(e) => cx.problem(&k_at, e),
            },
            Side::Container => {
                if let Some(p) = cx.port(v, &k_at) {
                    found[i].container = Some((p, k_at.clone()));
                }
            }
        }
        let now = found[i].given(&side).map(|(value, _)| value);
        if let (Some((old, old_at)), Some(now)) = (earlier, now)
            && old != now
        {
            let old_key = old_at.rsplit('.').next().unwrap_or(&old_at).to_owned();
            let line = cx.line_of(&old_at);
            cx.problem(
                &k_at,
                format!(
                    "`{k}` names the same port of `{}` as `{old_key}` ({line}); imported {now}, and \
                     `{old_key}: {old}` is not imported: keep one of them",
                    found[i].name
                ),
            );
        }
    }
    ServiceKeys {
        description,
        ports: found,
        ignored,
    }
}

/// The keys of a service that are not ports: a problem when one holds a
/// port, else ignored.
fn report_ignored(ignored: Vec<(&str, String, &Tree)>, cx: &mut Ctx) {
    for (k, k_at, v) in ignored {
        // A key that holds ports but is not named as one (`admin: 8004`,
        // `api_prot: 8001`, `ports: { api: 8002 }`) is data the import loses.
        if holds_a_port(v) {
            cx.problem(
                &k_at,
                format!(
                    "holds {} but is not a `<name>_port` or `<name>_mapping` key; not imported: \
                     rename it (`{k}_port`)",
                    describe(v)
                ),
            );
        } else {
            cx.ignore(k, &k_at);
        }
    }
}

/// Each named port's keys combined into its port in environment `env`; a
/// port without a host side is reported and left out.
fn bound_ports(env: usize, found: Vec<PortKeys>, cx: &mut Ctx) -> Vec<(String, PortInEnv)> {
    let mut bound = Vec::new();
    for PortKeys {
        name: port_name,
        host: port,
        mapping,
        container,
    } in found
    {
        let combined = combine(
            port.as_ref().map(|(p, a)| (*p, a.as_str())),
            mapping.as_ref().map(|(m, a)| (*m, a.as_str())),
            cx,
        );
        let Some((mut b, b_at)) = combined else {
            if let Some((_, c_at)) = container {
                cx.problem(&c_at, "a container port without a host port; not imported");
            }
            continue;
        };
        with_container(&mut b, container, cx);
        let given = PortInEnv {
            env,
            bound: b,
            at: b_at,
            mapping,
        };
        bound.push((port_name, given));
    }
    bound
}

/// A container port key beside the port wins over the mapping's container
/// side, which is reported when it differs.
fn with_container(bound: &mut Bound, container: Option<(u16, String)>, cx: &mut Ctx) {
    if let Some((c, c_at)) = container {
        match bound.container {
            Some(m) if m != c => cx.problem(
                &c_at,
                format!("is {c}, but the mapping says the container listens on {m}; imported {c}"),
            ),
            _ => {}
        }
        bound.container = (c != bound.port).then_some(c);
    }
}

/// An infrastructure entry: `name: port`, or a mapping of `port` (or
/// `host_port`), `mapping`, `container_port` and `description`.
pub(super) fn read_infra(key: &str, value: &Tree, at: &str, cx: &mut Ctx) -> Option<InfraEntry> {
    let name = cx.name(key, at, "infrastructure entry");
    let mut description = None;
    let mut port = None;
    let mut mapping = None;
    let mut container = None;
    match value {
        Tree::Map(map) => {
            for (k, v) in cx.entries(map, at) {
                let k_at = join(at, k);
                match k {
                    "description" => match v {
                        Tree::Str(d) => description = Some(d.clone()),
                        _ => cx.ignore(k, &k_at),
                    },
                    "port" | "host_port" => {
                        if let Some(p) = cx.port(v, &k_at) {
                            port = Some((p, k_at));
                        }
                    }
                    "container_port" => {
                        if let Some(p) = cx.port(v, &k_at) {
                            container = Some((p, k_at));
                        }
                    }
                    "mapping" => match mapping_of(v) {
                        Ok(m) => mapping = Some((m, k_at)),
                        Err(e) => cx.problem(&k_at, e),
                    },
                    _ => cx.ignore(k, &k_at),
                }
            }
        }
        other => match cx.port(other, at) {
            Some(p) => port = Some((p, at.to_owned())),
            None => return None,
        },
    }
    let Some((mut bound, b_at)) = combine(
        port.as_ref().map(|(p, a)| (*p, a.as_str())),
        mapping.as_ref().map(|(m, a)| (*m, a.as_str())),
        cx,
    ) else {
        cx.problem(at, "has no port; not imported");
        return None;
    };
    with_container(&mut bound, container, cx);
    Some(InfraEntry {
        name,
        bound,
        description,
        at: b_at,
    })
}

/// Whether a value is, or holds, a number that could be a port.
pub(super) fn holds_a_port(v: &Tree) -> bool {
    match v {
        Tree::Int(n) => (1..=65535).contains(n),
        Tree::Str(s) => {
            // Two ports before any `/…`: a mapping, even one whose transport
            // or address the import cannot take (`"8125:8125/sctp"`).
            let body = s.split('/').next().unwrap_or(s);
            let mut parts = body.rsplitn(3, ':').map(|p| p.trim().parse::<u16>());
            let mapping = matches!(
                (parts.next(), parts.next()),
                (Some(Ok(c)), Some(Ok(h))) if c > 0 && h > 0
            );
            s.trim().parse::<u16>().is_ok_and(|p| p > 0) || mapping
        }
        Tree::Seq(items) => items.iter().any(holds_a_port),
        Tree::Map(entries) => entries.iter().any(|(_, v)| holds_a_port(v)),
        _ => false,
    }
}
