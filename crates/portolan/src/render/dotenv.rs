//! `<environment>.env`: a variable per port and what it holds, sorted by name.

use super::{NOTICE, Row, push_number};
use crate::ident::{EnvVar, screaming};
use crate::model::{Protocol, Registry};
use std::fmt::Write as _;

/// A .env value: bare when it holds only safe characters, else double-quoted
/// with `\`, `"`, `$` and newlines escaped (the syntax docker compose and
/// dotenv parsers share).
pub fn env_value(value: &str) -> std::borrow::Cow<'_, str> {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"_-.:/@+,".contains(&b);
    if !value.is_empty() && value.bytes().all(safe) {
        return value.into();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out.into()
}

pub(super) fn env_file(registry: &Registry, rows: &[Row], environment: &str) -> String {
    enum Value<'a> {
        Port(u16),
        Text(&'a str),
    }
    /// A variable: its first bytes as a number, its name in `names`, its value.
    type Var<'a> = (u128, std::ops::Range<usize>, Value<'a>);
    // Names in one buffer, sorted as ranges of it: a string per variable
    // would cost more than the rest of the artifact at 60,000 ports. Each
    // carries its first 16 bytes as a number, which decides most comparisons.
    let mut names = String::with_capacity(rows.len() * 48);
    let mut vars: Vec<Var> = Vec::with_capacity(rows.len() * 3);
    // The variables of each row, sorted among themselves.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::with_capacity(rows.len());
    let mut buf = String::with_capacity(64);
    for r in rows {
        if r.environment.as_deref().is_some_and(|e| e != environment) {
            continue;
        }
        let flags = crate::ident::EnvFlags {
            node_port: r.node_port.is_some(),
            url: r.url.is_some(),
            protocol: r.protocol != Protocol::Tcp,
            range: r.port_end.is_some(),
        };
        let first = vars.len();
        crate::ident::env_variables(
            &mut buf,
            &r.service,
            r.name.as_deref(),
            flags,
            |var, kind| {
                let value = match kind {
                    EnvVar::Port => Value::Port(r.port),
                    EnvVar::ContainerPort => Value::Port(r.container_port),
                    EnvVar::NodePort => Value::Port(r.node_port.unwrap_or(0)),
                    EnvVar::Url => Value::Text(r.url.as_deref().unwrap_or("")),
                    EnvVar::Protocol => Value::Text(r.protocol.as_str()),
                    EnvVar::PortEnd => Value::Port(r.port_end.unwrap_or(r.port)),
                };
                let mut prefix = [0u8; 16];
                let n = var.len().min(16);
                prefix[..n].copy_from_slice(&var.as_bytes()[..n]);
                let start = names.len();
                names.push_str(var);
                vars.push((u128::from_be_bytes(prefix), start..names.len(), value));
            },
        );
        groups.push(first..vars.len());
    }
    // Ranges grow with the order of writing, so the ranges' order breaks a
    // tie as a stable sort would: of two equal names the later wins, as a
    // shell reading the file would have it.
    let bytes = names.as_bytes();
    let order = |a: &Var, b: &Var| {
        a.0.cmp(&b.0)
            .then_with(|| bytes[a.1.clone()].cmp(&bytes[b.1.clone()]))
            .then(a.1.start.cmp(&b.1.start))
    };
    // A row's names share its prefix, so sorting the rows by their first
    // name and each row's few names among themselves almost always gives
    // the sorted order, checked in one pass; the whole sort runs otherwise.
    for group in &groups {
        vars[group.clone()].sort_unstable_by(order);
    }
    groups.sort_unstable_by(|a, b| match (vars.get(a.start), vars.get(b.start)) {
        (Some(a), Some(b)) => order(a, b),
        _ => a.start.cmp(&b.start),
    });
    let mut sorted: Vec<&Var> = groups.iter().flat_map(|g| &vars[g.clone()]).collect();
    if sorted.windows(2).any(|w| order(w[0], w[1]).is_gt()) {
        sorted.sort_unstable_by(|a, b| order(a, b));
    }
    let mut out = format!("# {NOTICE}\n");
    // The variable the generated `Environment::from_env` reads.
    let _ = writeln!(
        out,
        "{}_ENV={}",
        screaming(&registry.project.value),
        env_value(environment)
    );
    out.reserve(sorted.len() * 40);
    for (i, (_, key, value)) in sorted.iter().enumerate() {
        let key = &names[key.clone()];
        if sorted
            .get(i + 1)
            .is_some_and(|next| names[next.1.clone()] == *key)
        {
            continue;
        }
        out.push_str(key);
        out.push('=');
        match value {
            Value::Port(p) => push_number(&mut out, *p),
            Value::Text(t) => out.push_str(&env_value(t)),
        }
        out.push('\n');
    }
    out
}
