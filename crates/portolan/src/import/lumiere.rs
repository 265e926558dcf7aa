//! The Lumiere reader: `environments.<env>.<service>.<name>_port`.

use super::*;

/// One port of a service in one environment.
#[derive(Clone, Copy)]
pub(super) struct Bound {
    pub(super) port: u16,
    pub(super) container: Option<u16>,
    pub(super) publish: Publish,
}

impl Bound {
    pub(super) fn inside(self) -> u16 {
        self.container.unwrap_or(self.port)
    }
}

pub(super) struct LEnv {
    pub(super) name: String,
    pub(super) key: String,
    pub(super) at: String,
    pub(super) stated: Option<Vec<(u16, u16)>>,
    /// `(key, url value, location)`.
    pub(super) discovery: Vec<(String, Tree, String)>,
}

pub(super) struct LPort {
    pub(super) name: String,
    pub(super) per_env: Vec<InEnv>,
}

/// A port of a service in one environment.
pub(super) struct InEnv {
    /// The environment's index.
    pub(super) env: usize,
    pub(super) bound: Bound,
    /// Where the port is given.
    pub(super) at: String,
    /// The mapping it is published with, and where: what says its protocol
    /// and bind address.
    pub(super) mapping: Option<(Mapping, String)>,
}

pub(super) struct LService {
    pub(super) name: String,
    pub(super) description: Option<(String, String)>,
    pub(super) envs: Vec<usize>,
    pub(super) ports: Vec<LPort>,
}

pub(super) struct LInfra {
    pub(super) name: String,
    pub(super) bound: Bound,
    pub(super) description: Option<String>,
    pub(super) at: String,
}

/// A port key and an optional `"host:container"` mapping key combined. The
/// mapping is what Docker publishes: a port key equal to its container side
/// names the port inside the container, and one equal to neither side is a
/// disagreement, imported as the mapping says and reported with both keys.
pub(super) fn combine(
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

pub(super) fn lumiere(root: &Tree, options: &Options, cx: &mut Ctx) -> Result<Draft, ImportError> {
    let Tree::Map(root_map) = root else {
        return Err(ImportError::Shape(
            "the file is not a mapping with `environments`".to_owned(),
        ));
    };
    let project = project(options, root, "lumiere", cx);
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

    let mut envs: Vec<LEnv> = Vec::new();
    let mut services: Vec<LService> = Vec::new();
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
        let mut env = LEnv {
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
                        env.discovery
                            .push((k.to_owned(), v.clone(), join(&key_at, k)));
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
                    lumiere_service(env_index, key, svc, &key_at, cx, &mut services);
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
    if let Some(discovery) = root_discovery {
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
                        env.discovery.push((k.to_owned(), v.clone(), join(&at, k)));
                    }
                }
                other => cx.problem(
                    &at,
                    format!("is {}, not a mapping of URLs", describe(other)),
                ),
            }
        }
    }

    let mut infra: Vec<LInfra> = Vec::new();
    if let Some(map) = infra_map {
        for (key, value) in cx.entries(map, "infrastructure") {
            let at = join("infrastructure", key);
            if let Some(entry) = lumiere_infra(key, value, &at, cx) {
                infra.push(entry);
            }
        }
    }

    // Environments with no ports are not imported: a range needs ports to derive it from.
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

    one_publish_per_port(&envs, &mut services, cx);
    check_discovery(&envs, &services, &infra, cx);
    check_duplicates(&envs, &services, &infra, cx);
    let ranges = lumiere_ranges(&envs, &used, &services, cx);

    let draft_envs: Vec<DraftEnv> = envs
        .iter()
        .zip(&used)
        .zip(&ranges)
        .filter(|((_, used), _)| **used)
        .map(|((env, _), range)| DraftEnv {
            name: env.name.clone(),
            range: range_text(range),
            node_ports: None,
        })
        .collect();
    let single_env = draft_envs.len() == 1;
    let all_envs: Vec<usize> = (0..envs.len()).filter(|&i| used[i]).collect();
    let draft_services = services
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
        .collect();
    let draft_infra = (!infra.is_empty()).then(|| {
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
    });
    Ok(Draft {
        intro,
        project,
        envs: draft_envs,
        reserved: Vec::new(),
        services: draft_services,
        infra: draft_infra,
    })
}

pub(super) fn lumiere_service(
    env: usize,
    key: &str,
    map: &[(String, Tree)],
    at: &str,
    cx: &mut Ctx,
    services: &mut Vec<LService>,
) {
    let name = cx.name(key, at, "service");
    let mut description = None;
    // Port names in order of first appearance, with their port, mapping and
    // container port.
    type Found = (
        String,
        Option<(u16, String)>,
        Option<(Mapping, String)>,
        Option<(u16, String)>,
    );
    let mut found: Vec<Found> = Vec::new();
    // Keys that are not ports, reported only if this is a service at all.
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
        // `container_port` / `<name>_container_port` and `host_port` /
        // `<name>_host_port` are two sides of one port, as for infrastructure.
        enum Side {
            Host,
            Mapping,
            Container,
        }
        let lower = k.to_ascii_lowercase();
        let (port_name, side) = match lower.as_str() {
            "container_port" => ("api".to_owned(), Side::Container),
            "host_port" => ("api".to_owned(), Side::Host),
            _ => match (
                lower.strip_suffix("_container_port"),
                lower.strip_suffix("_host_port"),
                port_key(&lower),
                mapping_key(&lower),
            ) {
                (Some(n), ..) if !n.is_empty() => (n.to_owned(), Side::Container),
                (_, Some(n), ..) if !n.is_empty() => (n.to_owned(), Side::Host),
                (_, _, Some(p), _) => (p.to_owned(), Side::Host),
                (_, _, None, Some(p)) => (p.to_owned(), Side::Mapping),
                _ => {
                    ignored.push((k, k_at, v));
                    continue;
                }
            },
        };
        let port_name = cx.name(&port_name, &k_at, "port name");
        let i = match found.iter().position(|(n, ..)| *n == port_name) {
            Some(i) => i,
            None => {
                found.push((port_name, None, None, None));
                found.len() - 1
            }
        };
        // Two keys for one side of one port (`port` and `api_port`): the
        // earlier value is lost unless both say the same.
        let earlier = match side {
            Side::Host => found[i].1.as_ref().map(|(p, a)| (p.to_string(), a.clone())),
            Side::Mapping => found[i]
                .2
                .as_ref()
                .map(|(m, a)| (format!("\"{m}\""), a.clone())),
            Side::Container => found[i].3.as_ref().map(|(p, a)| (p.to_string(), a.clone())),
        };
        match side {
            Side::Host => {
                if let Some(p) = cx.port(v, &k_at) {
                    found[i].1 = Some((p, k_at.clone()));
                }
            }
            Side::Mapping => match mapping_of(v) {
                Ok(m) => found[i].2 = Some((m, k_at.clone())),
                Err(e) => cx.problem(&k_at, e),
            },
            Side::Container => {
                if let Some(p) = cx.port(v, &k_at) {
                    found[i].3 = Some((p, k_at.clone()));
                }
            }
        }
        let now = match side {
            Side::Host => found[i].1.as_ref().map(|(p, _)| p.to_string()),
            Side::Mapping => found[i].2.as_ref().map(|(m, _)| format!("\"{m}\"")),
            Side::Container => found[i].3.as_ref().map(|(p, _)| p.to_string()),
        };
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
                    found[i].0
                ),
            );
        }
    }
    if found.is_empty() && !ignored.iter().any(|(_, _, v)| holds_a_port(v)) {
        cx.note(at, "has no `*_port` or `*_mapping` keys; not imported");
        return;
    }
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
    let mut bound = Vec::new();
    for (port_name, port, mapping, container) in found {
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
        if let Some((c, c_at)) = container {
            match b.container {
                Some(m) if m != c => cx.problem(
                    &c_at,
                    format!(
                        "is {c}, but the mapping says the container listens on {m}; imported {c}"
                    ),
                ),
                _ => {}
            }
            b.container = (c != b.port).then_some(c);
        }
        bound.push((port_name, b, b_at, mapping));
    }
    if bound.is_empty() {
        // Every port was reported as a problem already.
        return;
    }
    let index = match services.iter().position(|s| s.name == name) {
        Some(i) => i,
        None => {
            services.push(LService {
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
    if let Some(d) = description {
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
    for (port_name, bound, at, mapping) in bound {
        let given = InEnv {
            env,
            bound,
            at,
            mapping,
        };
        match service.ports.iter_mut().find(|p| p.name == port_name) {
            Some(p) => p.per_env.push(given),
            None => service.ports.push(LPort {
                name: port_name,
                per_env: vec![given],
            }),
        }
    }
}

pub(super) fn lumiere_infra(key: &str, value: &Tree, at: &str, cx: &mut Ctx) -> Option<LInfra> {
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
    Some(LInfra {
        name,
        bound,
        description,
        at: b_at,
    })
}

/// Every `service_discovery` URL against the port its service listens on.
pub(super) fn check_discovery(
    envs: &[LEnv],
    services: &[LService],
    infra: &[LInfra],
    cx: &mut Ctx,
) {
    let mut any = false;
    for (env_index, env) in envs.iter().enumerate() {
        for (key, value, at) in &env.discovery {
            any = true;
            let Tree::Str(url) = value else {
                cx.problem(at, format!("{} is not a URL", describe(value)));
                continue;
            };
            let (host, port) = match url_port(url) {
                Ok(v) => v,
                Err(e) => {
                    cx.problem(at, e);
                    continue;
                }
            };
            let wanted = key.to_ascii_lowercase();
            let wanted = wanted
                .strip_suffix("_url")
                .unwrap_or(&host)
                .replace('_', "-");
            let same = |name: &str| name.replace('_', "-") == wanted;
            let service = services.iter().find(|s| same(&s.name)).or_else(|| {
                services
                    .iter()
                    .find(|s| s.name.replace('_', "-") == host.replace('_', "-"))
            });
            // (port name, host port, port inside the container) of the target here.
            let listening: Vec<(String, u16, u16)> = match service {
                Some(s) => s
                    .ports
                    .iter()
                    .flat_map(|p| {
                        p.per_env
                            .iter()
                            .filter(|g| g.env == env_index)
                            .map(|g| (p.name.clone(), g.bound.port, g.bound.inside()))
                    })
                    .collect(),
                None => infra
                    .iter()
                    .filter(|i| same(&i.name) || i.name.replace('_', "-") == host.replace('_', "-"))
                    .map(|i| (i.name.clone(), i.bound.port, i.bound.inside()))
                    .collect(),
            };
            if listening.is_empty() {
                let names = services
                    .iter()
                    .map(|s| s.name.as_str())
                    .chain(infra.iter().map(|i| i.name.as_str()));
                let hint = did_you_mean(&wanted, names)
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                let message = match service {
                    Some(s) => format!(
                        "`{}` has no port in {}; {url} cannot be checked",
                        s.name, env.name
                    ),
                    None => format!(
                        "names no service of {}{hint}; {url} cannot be checked",
                        env.name
                    ),
                };
                cx.problem(at, message);
                continue;
            }
            if listening.iter().any(|&(_, _, inside)| inside == port) {
                continue;
            }
            let target = service.map_or_else(|| listening[0].0.clone(), |s| s.name.clone());
            let (port_name, _, inside) = listening
                .iter()
                .find(|(n, _, _)| n == "api")
                .unwrap_or(&listening[0])
                .clone();
            let what = if service.is_some() {
                format!("`{target}.{port_name}`")
            } else {
                format!("infrastructure `{target}`")
            };
            let hint = if listening.iter().any(|&(_, h, _)| h == port) {
                " (that is its host port; Docker DNS reaches the container port)"
            } else {
                ""
            };
            cx.problem(
                at,
                format!(
                    "{url} uses port {port}{hint}, but {what} listens on {inside} in {}; Portolan \
                     derives the URL from the port (http://{}:{inside}), so fix the configs that \
                     still use {port}",
                    env.name, target
                ),
            );
        }
    }
    if any {
        cx.note(
            "",
            "service_discovery URLs are not copied: Portolan derives `http://<service>:<container port>` \
             (`url()` in sync, `*_URL` in generated/<environment>.env)",
        );
    }
}

/// Every host port used twice: the environments and the infrastructure share one host.
pub(super) fn check_duplicates(
    envs: &[LEnv],
    services: &[LService],
    infra: &[LInfra],
    cx: &mut Ctx,
) {
    // Ports of different transports on one number do not collide (statsd
    // on 8125/udp beside an API on 8125/tcp), as in ports.yaml.
    let mut holders: HashMap<(u16, Protocol), (String, String)> = HashMap::new();
    let mut uses: Vec<(u16, Protocol, String, String)> = Vec::new();
    for (env_index, env) in envs.iter().enumerate() {
        for s in services {
            for p in &s.ports {
                for g in p.per_env.iter().filter(|g| g.env == env_index) {
                    let what = format!("`{}.{}` in {}", s.name, p.name, env.name);
                    let protocol = g.bound.publish.protocol;
                    uses.push((g.bound.port, protocol, what, g.at.clone()));
                }
            }
        }
    }
    for i in infra {
        uses.push((
            i.bound.port,
            i.bound.publish.protocol,
            format!("infrastructure `{}`", i.name),
            i.at.clone(),
        ));
    }
    for (port, protocol, what, at) in uses {
        let held = protocol
            .transports()
            .iter()
            .find_map(|&t| holders.get(&(port, t)));
        match held {
            Some((first, first_at)) => {
                let first_line = cx.line_of(first_at);
                // Written as the validation of the new ports.yaml writes it,
                // which then does not say it again.
                let shown = match protocol {
                    Protocol::Tcp => port.to_string(),
                    p => format!("{port}/{p}"),
                };
                cx.undecided(
                    &at,
                    format!(
                        "port {shown} of {what} is also used by {first} ({first_line}); Portolan's \
                         environments share one host unless one names its own `host:`, so one of \
                         them must move, or give an environment its own `host:` in ports.yaml"
                    ),
                    (crate::Code::PortConflict, format!("port {shown} of ")),
                );
            }
            None => {
                for &t in protocol.transports() {
                    holders.insert((port, t), (what.clone(), at.clone()));
                }
            }
        }
    }
}

/// A named port has one `protocol:` and one `bind:` in ports.yaml: the
/// first environment's are imported, and an environment whose mapping says
/// otherwise is a stated choice.
pub(super) fn one_publish_per_port(envs: &[LEnv], services: &mut [LService], cx: &mut Ctx) {
    let key = |at: &str| at.rsplit('.').next().unwrap_or(at).to_owned();
    let bound_to = |bind: Option<IpAddr>| match bind {
        Some(ip) => format!("bound to {ip}"),
        None => "published on every address".to_owned(),
    };
    // `(location, message)`, said in source order once all are known.
    let mut choices: Vec<(String, String)> = Vec::new();
    for s in services.iter_mut() {
        for p in &mut s.ports {
            let Some((first, rest)) = p.per_env.split_first_mut() else {
                continue;
            };
            let what = format!("`{}.{}`", s.name, p.name);
            let first_env = &envs[first.env].name;
            let first_line = cx.line_of(first.mapping.as_ref().map_or(&first.at, |(_, at)| at));
            let chosen = first.bound.publish;
            for given in rest {
                let this = given.bound.publish;
                if this == chosen {
                    continue;
                }
                let env = &envs[given.env].name;
                let (at, says) = match &given.mapping {
                    Some((m, at)) => (at.clone(), format!("`{}: \"{m}\"`", key(at))),
                    None => (
                        given.at.clone(),
                        format!(
                            "`{}: {}` has no mapping, so it",
                            key(&given.at),
                            given.bound.port
                        ),
                    ),
                };
                if this.protocol != chosen.protocol {
                    choices.push((
                        at.clone(),
                        format!(
                            "{says} is {} in {env}, but {what} is {} in {first_env} ({first_line}); \
                             ports.yaml gives a named port one `protocol:`, so the import keeps the \
                             first ({}): if {env} really uses {}, give that port a name of its own",
                            this.protocol, chosen.protocol, chosen.protocol, this.protocol
                        ),
                    ));
                }
                if this.bind != chosen.bind {
                    choices.push((
                        at.clone(),
                        format!(
                            "{says} is {} in {env}, but {what} is {} in {first_env} ({first_line}); \
                             ports.yaml gives a named port one `bind:`, so the import keeps the \
                             first ({}): check which address {env} needs",
                            bound_to(this.bind),
                            bound_to(chosen.bind),
                            bound_to(chosen.bind)
                        ),
                    ));
                }
                given.bound.publish = chosen;
            }
        }
    }
    choices.sort_by_key(|(at, _)| cx.index.get(at).map(|span| span.start));
    for (at, message) in choices {
        cx.problem(&at, message);
    }
}

/// Each environment's range: the one the source states, else the smallest
/// block of 1000 ports holding its ports, else (when blocks overlap) the span
/// of its ports.
pub(super) fn lumiere_ranges(
    envs: &[LEnv],
    used: &[bool],
    services: &[LService],
    cx: &mut Ctx,
) -> Vec<Vec<(u16, u16)>> {
    let ports_of = |i: usize| -> Vec<u16> {
        services
            .iter()
            .flat_map(|s| s.ports.iter())
            .flat_map(|p| p.per_env.iter())
            .filter(|g| g.env == i)
            .map(|g| g.bound.port)
            .collect()
    };
    let span = |ports: &[u16]| -> (u16, u16) {
        let lo = ports.iter().copied().min().unwrap_or(1);
        let hi = ports.iter().copied().max().unwrap_or(lo);
        (lo, hi)
    };
    let block = |(lo, hi): (u16, u16)| -> (u16, u16) {
        let start = (lo / 1000 * 1000).max(1);
        let end = u16::try_from(u32::from(hi) / 1000 * 1000 + 999).unwrap_or(u16::MAX);
        (start, end)
    };
    let mut ranges: Vec<Vec<(u16, u16)>> = Vec::new();
    let mut derived: Vec<bool> = Vec::new();
    for (i, env) in envs.iter().enumerate() {
        let ports = ports_of(i);
        match &env.stated {
            Some(r) => {
                ranges.push(r.clone());
                derived.push(false);
            }
            None => {
                // The block of 1000 that holds most of the ports; a port far
                // from it (a test database beside 7xxx services) is added on
                // its own rather than widening the range over both.
                let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
                for p in &ports {
                    *counts.entry(p / 1000).or_default() += 1;
                }
                // On a tie, the higher block: databases and caches sit on
                // low well-known ports, services above them.
                let main = counts
                    .iter()
                    .max_by_key(|(b, n)| (**n, **b))
                    .map_or(0, |(b, _)| *b);
                let (lo, hi) = block((main * 1000, main * 1000));
                let mut range = vec![(lo, hi)];
                let outside: Vec<u16> =
                    ports.iter().copied().filter(|p| p / 1000 != main).collect();
                range.extend(spans(&outside));
                range.sort_unstable();
                ranges.push(range);
                derived.push(true);
            }
        }
    }
    let live = |i: usize| used.get(i).copied().unwrap_or(false);
    let clashing: Vec<usize> = (0..envs.len())
        .filter(|&i| {
            live(i)
                && derived[i]
                && (0..envs.len()).any(|j| j != i && live(j) && overlaps(&ranges[i], &ranges[j]))
        })
        .collect();
    if !clashing.is_empty() {
        let mut changed = Vec::new();
        for &i in &clashing {
            let (lo, hi) = span(&ports_of(i));
            ranges[i] = vec![(lo, hi)];
            changed.push(format!("{} {lo}-{hi}", envs[i].name));
        }
        cx.problem(
            "environments",
            format!(
                "the ports of several environments share blocks of 1000 ports, so each got the \
                 span of its own ports ({}); widen them by hand so each has room for new services",
                changed.join(", ")
            ),
        );
    }
    let shown: Vec<String> = (0..envs.len())
        .filter(|&i| live(i) && derived[i] && !clashing.contains(&i))
        .map(|i| format!("{} {}", envs[i].name, range_text(&ranges[i])))
        .collect();
    if !shown.is_empty() {
        cx.note(
            "environments",
            format!(
                "the source states no ranges; each environment got the block of 1000 ports that \
                 holds most of its ports, and its other ports one by one ({}); narrow them to what \
                 you allocate from",
                shown.join(", ")
            ),
        );
    }
    ranges
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
