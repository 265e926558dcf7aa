//! The registry to write: what both readers fill in, rendered as ports.yaml
//! text with the problems and decisions as comments at the top.

use super::*;

/// A named port: the same everywhere, or one per environment.
pub(super) enum DraftPort {
    Bare(u16, Option<u16>),
    PerEnv(Vec<(String, u16, Option<u16>)>),
}

pub(super) struct DraftEnv {
    pub(super) name: String,
    pub(super) range: String,
    /// `(range, offset)`.
    pub(super) node_ports: Option<(String, i32)>,
}

pub(super) struct DraftService {
    pub(super) name: String,
    pub(super) description: Option<String>,
    /// Set when the service runs in only some environments.
    pub(super) environments: Option<Vec<String>>,
    /// Each named port, with how it is published in every environment.
    pub(super) ports: Vec<(String, DraftPort, Publish)>,
}

pub(super) struct DraftInfra {
    pub(super) name: String,
    pub(super) port: u16,
    pub(super) container_port: Option<u16>,
    pub(super) publish: Publish,
    pub(super) description: Option<String>,
}

pub(super) struct Infra {
    pub(super) range: String,
    pub(super) services: Vec<DraftInfra>,
}

pub(super) struct Draft {
    /// Comment lines from the source's own descriptions.
    pub(super) intro: Vec<String>,
    pub(super) project: String,
    pub(super) envs: Vec<DraftEnv>,
    /// `(key, value, reason)`: `("port", "8080", "…")`.
    pub(super) reserved: Vec<(&'static str, String, String)>,
    pub(super) services: Vec<DraftService>,
    pub(super) infra: Option<Infra>,
}

/// `s` as a YAML scalar: plain when that reads back as the same string (in
/// block and flow context), JSON-quoted otherwise.
pub(super) fn scalar(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_alphanumeric())
        && !s.ends_with(' ')
        && s.chars()
            .all(|c| c.is_alphanumeric() || " -_.()/'+&".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.parse::<f64>().is_err();
    if plain && crate::yaml::plain_safe(s, true) {
        s.to_owned()
    } else {
        quote(s)
    }
}

pub(super) use crate::yaml::{double_quoted as quote, printable};

/// `s` on one comment line: line breaks become spaces, other characters YAML
/// does not allow are shown escaped.
pub(super) fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' => " ".to_owned(),
            c if printable(c) => c.to_string(),
            c => c.escape_unicode().to_string(),
        })
        .collect()
}

pub(super) fn port_value(port: u16, container: Option<u16>) -> String {
    match container {
        Some(c) => format!("{{ port: {port}, container_port: {c} }}"),
        None => port.to_string(),
    }
}

impl Publish {
    /// `protocol:` and `bind:` as ports.yaml writes them, each only when it
    /// is not the default (tcp, every address).
    pub(super) fn fields(self) -> Vec<String> {
        let mut out = Vec::new();
        if self.protocol != Protocol::Tcp {
            out.push(format!("protocol: {}", self.protocol));
        }
        match self.bind {
            // A plain `::1` would not read as a string.
            Some(ip @ IpAddr::V6(_)) => out.push(format!("bind: {}", quote(&ip.to_string()))),
            Some(ip) => out.push(format!("bind: {ip}")),
            None => {}
        }
        out
    }
}

impl Draft {
    pub(super) fn render(&self, header: &str) -> String {
        let mut s = String::from(header);
        let _ = writeln!(s, "project: {}", scalar(&self.project));
        s.push_str("\nenvironments:\n");
        for env in &self.envs {
            let _ = writeln!(s, "  {}:\n    range: {}", scalar(&env.name), env.range);
            if let Some((range, offset)) = &env.node_ports {
                let _ = writeln!(
                    s,
                    "    node_ports:\n      range: {range}\n      offset: {offset}"
                );
            }
        }
        if !self.reserved.is_empty() {
            s.push_str("\nreserved:\n");
            for (key, value, reason) in &self.reserved {
                let _ = writeln!(s, "  - {key}: {value}\n    reason: {}", scalar(reason));
            }
        }
        s.push_str("\nservices:\n");
        for svc in &self.services {
            let _ = writeln!(s, "  {}:", scalar(&svc.name));
            if let Some(d) = &svc.description {
                let _ = writeln!(s, "    description: {}", scalar(d));
            }
            if let Some(envs) = &svc.environments {
                let names: Vec<String> = envs.iter().map(|e| scalar(e)).collect();
                let _ = writeln!(s, "    environments: [{}]", names.join(", "));
            }
            s.push_str("    ports:\n");
            let keys: Vec<String> = svc.ports.iter().map(|(n, ..)| scalar(n)).collect();
            let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0) + 1;
            for (key, (_, port, publish)) in keys.iter().zip(&svc.ports) {
                // `protocol:` and `bind:` sit beside the port or the
                // environments, as `scheme:` does.
                let attributes = publish.fields();
                let value = match port {
                    DraftPort::Bare(p, c) if attributes.is_empty() => port_value(*p, *c),
                    DraftPort::Bare(p, c) => {
                        let mut fields = vec![format!("port: {p}")];
                        fields.extend(c.map(|c| format!("container_port: {c}")));
                        fields.extend(attributes);
                        format!("{{ {} }}", fields.join(", "))
                    }
                    DraftPort::PerEnv(per_env) => {
                        let mut items: Vec<String> = per_env
                            .iter()
                            .map(|(env, p, c)| format!("{}: {}", scalar(env), port_value(*p, *c)))
                            .collect();
                        items.extend(attributes);
                        format!("{{ {} }}", items.join(", "))
                    }
                };
                let _ = writeln!(s, "      {:<width$} {value}", format!("{key}:"));
            }
        }
        if let Some(infra) = &self.infra {
            s.push_str("\n# Shared by every environment.\ninfrastructure:\n");
            let _ = writeln!(s, "  range: {}\n  services:", infra.range);
            let keys: Vec<String> = infra.services.iter().map(|i| scalar(&i.name)).collect();
            let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0) + 1;
            for (key, entry) in keys.iter().zip(&infra.services) {
                let mut fields = vec![format!("port: {}", entry.port)];
                if let Some(c) = entry.container_port {
                    fields.push(format!("container_port: {c}"));
                }
                fields.extend(entry.publish.fields());
                if let Some(d) = &entry.description {
                    fields.push(format!("description: {}", scalar(d)));
                }
                let _ = writeln!(
                    s,
                    "    {:<width$} {{ {} }}",
                    format!("{key}:"),
                    fields.join(", ")
                );
            }
        }
        s
    }
}

/// Appends `# - text` to `out`, wrapped at [`COMMENT_WIDTH`].
pub(super) fn comment_item(out: &mut String, text: &str) {
    let text = comment_text(text);
    let mut line = String::from("# -");
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if line.len() > 4 && line.len() + 1 + word.len() > COMMENT_WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#  ");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

pub(super) fn header(source: &str, intro: &[String], cx: &Ctx, errors: &[String]) -> String {
    let source = comment_text(source);
    let mut out = String::new();
    if cx.problems.is_empty() && cx.notes.is_empty() && errors.is_empty() {
        let _ = writeln!(out, "# Imported from {source} by portolan import.");
    } else {
        let _ = writeln!(
            out,
            "# Imported from {source} by portolan import; review the notes below."
        );
    }
    for line in intro {
        for line in line.lines() {
            let _ = writeln!(out, "{}", format!("# {}", comment_text(line)).trim_end());
        }
    }
    let sections = [
        (format!("Problems found in {source}:"), &cx.problems),
        ("Notes:".to_owned(), &cx.notes),
    ];
    for (title, items) in sections {
        if !items.is_empty() {
            let _ = writeln!(out, "#\n# {title}");
            for p in items {
                comment_item(&mut out, &p.to_string());
            }
        }
    }
    if !errors.is_empty() {
        out.push_str("#\n# This file does not validate yet; decide by hand:\n");
        for e in errors {
            comment_item(&mut out, e);
        }
    }
    out
}

pub(super) fn project(options: &Options, root: &Tree, default: &str, cx: &mut Ctx) -> String {
    if let Some(project) = &options.project {
        return project.clone();
    }
    match root.get("project") {
        Some(Tree::Str(p)) => cx.name(p, "project", "project"),
        _ => {
            cx.note(
                "",
                format!(
                    "the source names no project; used `{default}` (pass --project to choose another)"
                ),
            );
            default.to_owned()
        }
    }
}
