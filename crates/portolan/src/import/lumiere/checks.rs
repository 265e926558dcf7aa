//! Checks across the ports read: one transport and bind address per named
//! port, each discovery URL against the port its target listens on, and a
//! host port used twice.

use super::*;

/// Every `service_discovery` URL against the port its service listens on.
pub(super) fn check_discovery(
    envs: &[Environment],
    services: &[Service],
    infra: &[InfraEntry],
    cx: &mut Ctx,
) {
    let mut any = false;
    for (env_index, env) in envs.iter().enumerate() {
        for url in &env.discovery {
            any = true;
            check_url(env_index, env, url, services, infra, cx);
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

/// One discovery URL of the environment `env` (index `env_index`) against
/// the port its target listens on there.
fn check_url(
    env_index: usize,
    env: &Environment,
    url: &DiscoveryUrl,
    services: &[Service],
    infra: &[InfraEntry],
    cx: &mut Ctx,
) {
    let DiscoveryUrl { key, value, at } = url;
    let Tree::Str(url) = value else {
        cx.problem(at, format!("{} is not a URL", describe(value)));
        return;
    };
    let (host, port) = match url_port(url) {
        Ok(v) => v,
        Err(e) => {
            cx.problem(at, e);
            return;
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
    let listening = listening(service, env_index, infra, &same, &host);
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
        return;
    }
    if listening.iter().any(|&(_, _, inside)| inside == port) {
        return;
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

/// (port name, host port, port inside the container) of what a URL
/// reaches in environment `env`: the ports of `service`, else of the
/// infrastructure entries its key (`same`) or its `host` names.
fn listening(
    service: Option<&Service>,
    env: usize,
    infra: &[InfraEntry],
    same: &dyn Fn(&str) -> bool,
    host: &str,
) -> Vec<(String, u16, u16)> {
    match service {
        Some(s) => s
            .ports
            .iter()
            .flat_map(|p| {
                p.per_env
                    .iter()
                    .filter(|g| g.env == env)
                    .map(|g| (p.name.clone(), g.bound.port, g.bound.inside()))
            })
            .collect(),
        None => infra
            .iter()
            .filter(|i| same(&i.name) || i.name.replace('_', "-") == host.replace('_', "-"))
            .map(|i| (i.name.clone(), i.bound.port, i.bound.inside()))
            .collect(),
    }
}

/// Every host port used twice: the environments and the infrastructure share one host.
pub(super) fn check_duplicates(
    envs: &[Environment],
    services: &[Service],
    infra: &[InfraEntry],
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
pub(super) fn one_publish_per_port(envs: &[Environment], services: &mut [Service], cx: &mut Ctx) {
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
