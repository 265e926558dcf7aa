//! Ports a team file repeats outside what Portolan owns in it: every value
//! under a port-like key (`port`, `hostPort`, `METRICS_PORT`, `ports: [...]`)
//! that no owned key path, variable or list covers. `check` compares them with
//! the registry, so a port copied by hand is found before it goes stale.

use super::*;
use crate::model::FileFormat;

/// A port under a port-like key that Portolan does not own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unowned {
    /// Where, as a key path (YAML, JSON, TOML) or a variable (dotenv).
    pub(crate) key: String,
    pub(crate) port: u16,
    /// Where the value starts, as a byte offset.
    pub(crate) offset: usize,
    /// The value is the port alone (not `"8001:8000"`).
    pub(crate) whole: bool,
}

/// Whether a key names a port: one of its words (split at `_`, `-`, `.` and
/// lower-to-upper case changes) is `port` or `ports` (`hostPort`,
/// `METRICS_PORT`; not `transport` or `portal`).
pub(crate) fn port_like(key: &str) -> bool {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() || (c.is_uppercase() && previous_lower) {
            words.push(std::mem::take(&mut word));
        }
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
    }
    words.push(word);
    words.iter().any(|w| w == "port" || w == "ports")
}

/// A key as a key path step: in double quotes when it holds `.`, `[`, `]` or `"`.
fn quoted_key(key: &str) -> String {
    match key.contains(['.', '[', ']', '"']) {
        true => format!("\"{}\"", key.replace('"', "\\\"")),
        false => key.to_owned(),
    }
}

/// Whether a key names the port inside a container (`containerPort`,
/// `targetPort`, compose's `target`): not a host port, so not compared.
pub(crate) fn container_side(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.contains("container") || lower.contains("target")
}

/// The host port of a compose-style `"8001:8000"` (or
/// `"127.0.0.1:8001:8000/tcp"`), or a plain port.
fn host_port(text: &str) -> Option<u16> {
    let body = text.split('/').next().unwrap_or(text);
    let mut parts = body.rsplitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some(_), Some(host)) => as_port(host),
        _ => as_port(body),
    }
}

fn as_port(text: &str) -> Option<u16> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.starts_with('0') {
        return None;
    }
    text.parse::<u16>().ok()
}

/// The ports of `text` under port-like keys that neither `owned` (the keys as
/// the entries write them) nor `lists` (owned list paths) cover. A file that
/// does not parse has none: its owned values already failed.
pub(crate) fn unowned_ports(
    format: FileFormat,
    text: &str,
    owned: &[&str],
    lists: &[&str],
) -> Vec<Unowned> {
    match format {
        FileFormat::Yaml | FileFormat::Json => in_tree(text, owned, lists).unwrap_or_default(),
        FileFormat::Toml => in_toml(text, owned),
        FileFormat::Dotenv => dotenv::assignments(text)
            .map(|all| {
                all.into_iter()
                    .filter(|a| {
                        port_like(a.name) && !container_side(a.name) && !owned.contains(&a.name)
                    })
                    .filter_map(|a| {
                        Some(Unowned {
                            key: a.name.to_owned(),
                            port: as_port(text[a.value.clone()].trim_matches(['"', '\'']))?,
                            offset: a.value.start,
                            whole: true,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        FileFormat::Text => Vec::new(),
    }
}

fn in_tree(text: &str, owned: &[&str], lists: &[&str]) -> Result<Vec<Unowned>, EditError> {
    let doc = Document::parse(text)?;
    let mut skip: Vec<Range<usize>> = Vec::new();
    for key in owned.iter().chain(lists) {
        if let Ok(path) = KeyPath::parse(key)
            && let Ok(Found::Node(node, _)) = doc.find(&path)
        {
            skip.push(node.start()..node.end().max(node.start() + 1));
        }
    }
    let mut out = Vec::new();
    if let Some(root) = &doc.root {
        walk(root, &mut String::new(), false, &skip, &mut out);
    }
    Ok(out)
}

fn walk(
    node: &Node,
    path: &mut String,
    portish: bool,
    skip: &[Range<usize>],
    out: &mut Vec<Unowned>,
) {
    if skip.iter().any(|r| r.contains(&node.start())) {
        return;
    }
    match kind(node, &[]) {
        Kind::Scalar { value, .. } if portish => {
            if let Some(port) = host_port(value) {
                out.push(Unowned {
                    key: path.clone(),
                    port,
                    offset: node.start(),
                    whole: as_port(value).is_some(),
                });
            }
        }
        Kind::Map { entries, .. } => {
            for entry in entries {
                let Some(key) = entry.key() else {
                    continue;
                };
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&quoted_key(key));
                // Under a port-like key, every key names a port
                // (`ports: { http: 8001 }`, compose's `published:`) except
                // the container side.
                let portish = (portish || port_like(key)) && !container_side(key);
                walk(entry.value(), path, portish, skip, out);
                path.truncate(len);
            }
        }
        Kind::Seq { items, .. } => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, portish, skip, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn in_toml(text: &str, owned: &[&str]) -> Vec<Unowned> {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        return Vec::new();
    };
    // Owned paths as written; one with a `[key=value]` selector covers its
    // whole array, as its index is not known here.
    let owned: Vec<String> = owned
        .iter()
        .filter_map(|k| KeyPath::parse(k).ok())
        .map(|p| {
            match p
                .segments
                .iter()
                .position(|s| matches!(s, Segment::Match { .. }))
            {
                Some(i) => KeyPath {
                    segments: p.segments[..i].to_vec(),
                }
                .to_string(),
                None => p.to_string(),
            }
        })
        .collect();
    let offset = |at: Option<Range<usize>>| at.map_or(0, |r| r.start.min(text.len()));
    let mut out = Vec::new();
    let mut stack: Vec<(String, &toml_edit::Item, bool)> =
        vec![(String::new(), doc.as_item(), false)];
    while let Some((path, item, portish)) = stack.pop() {
        if owned.contains(&path) {
            continue;
        }
        let join = |key: &str| {
            let key = quoted_key(key);
            match path.is_empty() {
                true => key,
                false => format!("{path}.{key}"),
            }
        };
        match item {
            toml_edit::Item::Table(t) => {
                for (k, v) in t.iter() {
                    stack.push((join(k), v, (portish || port_like(k)) && !container_side(k)));
                }
            }
            toml_edit::Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    for (k, v) in t.iter() {
                        let portish = (portish || port_like(k)) && !container_side(k);
                        stack.push((format!("{path}[{i}].{}", quoted_key(k)), v, portish));
                    }
                }
            }
            toml_edit::Item::Value(v) => value_ports(&path, v, portish, &owned, &offset, &mut out),
            toml_edit::Item::None => {}
        }
    }
    out.sort_by_key(|u| u.offset);
    out
}

fn value_ports(
    path: &str,
    value: &toml_edit::Value,
    portish: bool,
    owned: &[String],
    offset: &dyn Fn(Option<Range<usize>>) -> usize,
    out: &mut Vec<Unowned>,
) {
    if owned.iter().any(|o| o == path) {
        return;
    }
    match value {
        toml_edit::Value::Integer(n) if portish => {
            if let Ok(port) = u16::try_from(*n.value())
                && port > 0
            {
                out.push(Unowned {
                    key: path.to_owned(),
                    port,
                    offset: offset(value.span()),
                    whole: true,
                });
            }
        }
        toml_edit::Value::String(s) if portish => {
            if let Some(port) = as_port(s.value()) {
                out.push(Unowned {
                    key: path.to_owned(),
                    port,
                    offset: offset(value.span()),
                    whole: true,
                });
            }
        }
        toml_edit::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                value_ports(&format!("{path}[{i}]"), v, portish, owned, offset, out);
            }
        }
        toml_edit::Value::InlineTable(t) => {
            for (k, v) in t.iter() {
                let key = match path.is_empty() {
                    true => k.to_owned(),
                    false => format!("{path}.{k}"),
                };
                let portish = (portish || port_like(k)) && !container_side(k);
                value_ports(&key, v, portish, owned, offset, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::line_col;

    #[test]
    fn port_like_keys_are_words_not_substrings() {
        for key in [
            "port",
            "hostPort",
            "containerPort",
            "METRICS_PORT",
            "listen-port",
            "ports",
            "server.port",
            "Port",
        ] {
            assert!(port_like(key), "{key}");
        }
        for key in [
            "transport",
            "portal",
            "report",
            "support",
            "importer",
            "PORTAL_URL",
        ] {
            assert!(!port_like(key), "{key}");
        }
    }

    #[test]
    fn compose_and_helm_shapes_are_read_and_container_ports_are_not() {
        let yaml = "services:\n  web:\n    ports: [\"8001:8000\", \"127.0.0.1:8002:80/tcp\"]\n    expose: [\"9000\"]\n  api:\n    ports:\n      - published: 8003\n        target: 80\nservice:\n  ports: { http: 8004 }\n  containerPort: 8000\n  targetPort: 8000\n";
        let got: Vec<(String, u16)> = unowned_ports(FileFormat::Yaml, yaml, &[], &[])
            .into_iter()
            .map(|u| (u.key, u.port))
            .collect();
        assert_eq!(
            got,
            [
                ("services.web.ports[0]".to_owned(), 8001),
                ("services.web.ports[1]".to_owned(), 8002),
                ("services.api.ports[0].published".to_owned(), 8003),
                ("service.ports.http".to_owned(), 8004),
            ]
        );
    }

    #[test]
    fn owned_values_and_lists_are_not_unowned() {
        let yaml = "server:\n  port: 8001\n  adminPort: 8002\nlist:\n  - hostPort: 8003\nreplicas: 3\nports: [8004, \"8005\", \"8006:80\"]\n";
        let found = unowned_ports(FileFormat::Yaml, yaml, &["server.port"], &["list"]);
        let got: Vec<(&str, u16, usize)> = found
            .iter()
            .map(|u| (u.key.as_str(), u.port, line_col(yaml, u.offset).0))
            .collect();
        assert_eq!(
            got,
            [
                ("server.adminPort", 8002, 3),
                ("ports[0]", 8004, 7),
                ("ports[1]", 8005, 7),
                ("ports[2]", 8006, 7)
            ]
        );
        let json = "{\n  \"port\": 8001,\n  \"debug\": {\"port\": \"9229\"}\n}\n";
        let found = unowned_ports(FileFormat::Json, json, &["port"], &[]);
        assert_eq!(
            found,
            [Unowned {
                key: "debug.port".into(),
                port: 9229,
                offset: json.find("\"9229\"").unwrap(),
                whole: true,
            }]
        );
        let toml = "[tool.app]\nport = 8001\nmetrics_port = 9100\n\n[[upstreams]]\nname = \"ledger\"\nport = 8009\n";
        let found = unowned_ports(FileFormat::Toml, toml, &["tool.app.port"], &[]);
        let got: Vec<(&str, u16, usize)> = found
            .iter()
            .map(|u| (u.key.as_str(), u.port, line_col(toml, u.offset).0))
            .collect();
        assert_eq!(
            got,
            [
                ("tool.app.metrics_port", 9100, 3),
                ("upstreams[0].port", 8009, 7)
            ]
        );
        // A selector covers its whole array.
        let found = unowned_ports(
            FileFormat::Toml,
            toml,
            &["tool.app.port", "upstreams[name=ledger].port"],
            &[],
        );
        assert_eq!(found.len(), 1);
        let env = "PORT=8001\nexport LEDGER_PORT=\"8009\"\nWORKERS=4\n";
        let found = unowned_ports(FileFormat::Dotenv, env, &["PORT"], &[]);
        assert_eq!(
            found,
            [Unowned {
                key: "LEDGER_PORT".into(),
                port: 8009,
                offset: env.find("8009").unwrap(),
                whole: true,
            }]
        );
    }
}
