//! `docker-compose.<environment>.yaml`: each service's published ports, as an override.

use super::{NOTICE, Row, push_number};
use crate::model::Protocol;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub(super) fn compose(rows: &[Row], environment: &str, dir: &str) -> String {
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
