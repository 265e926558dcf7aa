//! PORTS.md: a table per environment, infrastructure, reserved ports and NodePorts.

use super::{NOTICE, Row, push_number};
use crate::model::{Protocol, Registry};
use std::fmt::Write as _;

/// Markdown table cell text: pipes escaped, one line.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(|c: char| c.is_control() || c == '\\' || c == '|') {
        return text.into();
    }
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .into()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

pub(super) fn ports_md(registry: &Registry, rows: &[Row]) -> String {
    let mut out = format!(
        "<!-- {NOTICE} -->\n\n# Ports of {}\n",
        cell(&registry.project.value)
    );
    for env in &registry.environments {
        let name = &env.name.value;
        let _ = write!(out, "\n## {name} ({})\n\n", env.range);
        let node_ports = env.node_ports.is_some();
        out.push_str(if node_ports {
            "| Port | Service | Port name | Container port | NodePort | Description |\n\
             |-----:|---------|-----------|---------------:|---------:|-------------|\n"
        } else {
            "| Port | Service | Port name | Container port | Description |\n\
             |-----:|---------|-----------|---------------:|-------------|\n"
        });
        let mut env_rows: Vec<&Row> = rows
            .iter()
            .filter(|r| r.name.is_some() && r.environment.as_deref() == Some(name))
            .collect();
        env_rows.sort_by_key(|r| r.port);
        out.reserve(env_rows.len() * 64);
        for r in env_rows {
            // Pushed piece by piece: this table has a line per port.
            out.push_str("| ");
            match (r.bind, r.port_end, r.protocol) {
                (None, None, Protocol::Tcp) => push_number(&mut out, r.port),
                _ => out.push_str(&r.shown_port()),
            }
            out.push_str(" | ");
            out.push_str(&cell(&r.service));
            out.push_str(" | ");
            out.push_str(&cell(r.name.as_deref().unwrap_or("")));
            out.push_str(" | ");
            match r.port_end {
                None => push_number(&mut out, r.container_port),
                Some(_) => out.push_str(&r.container_text()),
            }
            out.push_str(" |");
            if node_ports {
                let _ = write!(out, " {} |", opt(r.node_port));
            }
            out.push(' ');
            out.push_str(&cell(r.description.as_deref().unwrap_or("")));
            out.push_str(" |\n");
        }
    }
    // Infrastructure rows: one per entry, or one per environment of an
    // entry that belongs to some environments.
    let mut infra: Vec<(&Row, Vec<&str>)> = Vec::new();
    for r in rows.iter().filter(|r| r.name.is_none()) {
        match infra.last_mut() {
            Some((last, envs)) if last.service == r.service => {
                envs.extend(r.environment.as_deref());
            }
            _ => infra.push((r, r.environment.as_deref().into_iter().collect())),
        }
    }
    let by_environment = infra.iter().any(|(_, envs)| !envs.is_empty());
    if !infra.is_empty() {
        match &registry.infrastructure.range {
            Some(range) => {
                let _ = write!(out, "\n## Infrastructure ({range})\n\n");
            }
            None => out.push_str("\n## Infrastructure\n\n"),
        }
        out.push_str(if by_environment {
            "| Port | Service | Container port | Environments | Description |\n|-----:|---------|---------------:|--------------|-------------|\n"
        } else {
            "| Port | Service | Container port | Description |\n|-----:|---------|---------------:|-------------|\n"
        });
        infra.sort_by(|a, b| (a.0.port, &a.0.service).cmp(&(b.0.port, &b.0.service)));
        for (r, envs) in infra {
            let _ = write!(
                out,
                "| {} | {} | {} |",
                r.shown_port(),
                cell(&r.service),
                r.container_port
            );
            if by_environment {
                let envs = if envs.is_empty() {
                    "all".to_owned()
                } else {
                    envs.join(", ")
                };
                let _ = write!(out, " {} |", cell(&envs));
            }
            let _ = writeln!(out, " {} |", cell(r.description.as_deref().unwrap_or("")));
        }
    }
    if !registry.reserved.is_empty() {
        out.push_str("\n## Reserved\n\n| Ports | Reason |\n|------:|--------|\n");
        for r in &registry.reserved {
            let _ = writeln!(out, "| {} | {} |", r.ports, cell(&r.reason));
        }
    }
    let mut node_ports: Vec<&Row> = rows.iter().filter(|r| r.node_port.is_some()).collect();
    if !node_ports.is_empty() {
        node_ports.sort_by_key(|r| r.node_port);
        out.push_str(
            "\n## NodePorts\n\n| NodePort | Port | Service | Port name | Environment |\n|---------:|-----:|---------|-----------|-------------|\n",
        );
        for r in node_ports {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                opt(r.node_port),
                r.port,
                cell(&r.service),
                cell(r.name.as_deref().unwrap_or("")),
                cell(r.environment.as_deref().unwrap_or(""))
            );
        }
    }
    out
}
