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

/// One port as JSON, borrowed from its [`Row`], its keys sorted (what
/// serde_json prints for a `Value`): an entry of ports.json, or with
/// `description` and `url` left out, a row of `portolan list --format json`.
#[derive(serde::Serialize)]
struct PortEntry<'a> {
    bind: Option<std::net::IpAddr>,
    container_port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Option<&'a str>>,
    environment: Option<&'a str>,
    name: Option<&'a str>,
    node_port: Option<u16>,
    port: u16,
    port_end: Option<u16>,
    protocol: &'static str,
    service: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<Option<&'a str>>,
}

impl<'a> PortEntry<'a> {
    /// `r` with every key (`full`, ports.json) or without `description` and `url`.
    fn new(r: &'a Row<'_>, full: bool) -> Self {
        PortEntry {
            bind: r.bind,
            container_port: r.container_port,
            description: full.then_some(r.description.as_deref()),
            environment: r.environment.as_deref(),
            name: r.name.as_deref(),
            node_port: r.node_port,
            port: r.port,
            port_end: r.port_end,
            protocol: r.protocol.as_str(),
            service: &r.service,
            url: full.then_some(r.url.as_deref()),
        }
    }
}

/// The rows as a JSON array, one entry at a time (no array of entries is built).
fn port_entries<S: serde::Serializer>(rows: &&[Row], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rows.iter().map(|r| PortEntry::new(r, true)))
}

/// ports.json, pretty-printed by serde_json, with a final newline.
pub(super) fn ports_json(registry: &Registry, rows: &[Row]) -> String {
    // Sized up front (a slight overestimate): growing by doubling would hold
    // twice the text for the largest artifact of a full port space.
    let capacity: usize = rows
        .iter()
        .map(|r| {
            300 + 2 * r.service.len()
                + json_len(&r.description)
                + json_len(&r.environment)
                + json_len(&r.name)
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

/// The rows as `portolan list --format json` prints them: a pretty-printed
/// array of the ports.json entries without `description` and `url`, with a
/// final newline.
pub fn list_json(rows: &[Row]) -> String {
    // Sized up front, a slight overestimate: keys, indentation, numbers and
    // an address take at most about 235 bytes a row.
    let capacity: usize = rows
        .iter()
        .map(|r| 240 + r.service.len() + json_len(&r.environment) + json_len(&r.name))
        .sum();
    let mut out = Vec::with_capacity(4 + capacity);
    serde::Serializer::collect_seq(
        &mut serde_json::Serializer::pretty(&mut out),
        rows.iter().map(|r| PortEntry::new(r, false)),
    )
    .expect("rows always serialize");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// At least the length of `s` as JSON (`null`, or the quoted text), for sizing
/// the output up front: growing it by doubling would hold twice the text of
/// the largest artifact.
fn json_len(s: &Option<Cow<str>>) -> usize {
    s.as_ref().map_or(4, |s| s.len() + 2)
}
