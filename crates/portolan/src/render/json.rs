//! ports.json: the project and one entry per port, from derived `Serialize`
//! structs borrowing the rows.

use super::{NOTICE, Row};
use crate::model::Registry;
use std::borrow::Cow;

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
pub(super) fn ports_json(registry: &Registry, rows: &[Row]) -> String {
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
