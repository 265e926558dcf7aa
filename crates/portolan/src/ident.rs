//! Registry names as Rust identifiers. Validation and codegen both use these
//! functions, so a name that validates always yields code that compiles, and two
//! names that would collide in generated code are caught before codegen runs.

/// Words that cannot be plain identifiers (strict and reserved keywords of
/// every edition up to 2024).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot even be raw identifiers (`r#self` is an error).
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split(['-', '_']).filter(|w| !w.is_empty())
}

fn escape(ident: String) -> String {
    if NOT_RAW.contains(&ident.as_str()) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

/// `postgres-test` → `postgres_test` (modules, functions); keywords become raw
/// identifiers (`r#type`), or gain a `_` where Rust allows no raw form (`self_`).
#[cfg(feature = "codegen")]
pub fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_snake(&mut out, name);
    out
}

/// Appends [`snake`]`(name)` to `out`, allocating nothing more: validation
/// computes hundreds of thousands of these for one registry.
pub fn push_snake(out: &mut String, name: &str) {
    let start = out.len();
    push_words(out, name);
    let ident = &out[start..];
    if NOT_RAW.contains(&ident) {
        out.push('_');
    } else if KEYWORDS.contains(&ident) {
        out.insert_str(start, "r#");
    }
}

/// [`words`] joined by `_`, by bytes: the separators are ASCII, so every cut
/// is a character boundary.
fn push_words(out: &mut String, name: &str) {
    let mut start = 0;
    let mut first = true;
    for (i, b) in name.bytes().chain([b'-']).enumerate() {
        if b == b'-' || b == b'_' {
            if i > start {
                if !first {
                    out.push('_');
                }
                first = false;
                out.push_str(&name[start..i]);
            }
            start = i + 1;
        }
    }
}

/// `postgres-test` → `POSTGRES_TEST` (constants).
pub fn screaming(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    push_screaming(&mut out, name);
    out
}

/// Appends [`screaming`]`(name)` to `out`.
pub fn push_screaming(out: &mut String, name: &str) {
    let start = out.len();
    push_words(out, name);
    out[start..].make_ascii_uppercase();
}

/// `postgres-test` → `PostgresTest` (enum variants).
pub fn camel(name: &str) -> String {
    let ident = words(name)
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<String>();
    escape(ident)
}

/// The constant for a service's named port: `COURIER_API`.
pub fn port_constant(service: &str, port: &str) -> String {
    let mut out = String::with_capacity(service.len() + port.len() + 1);
    push_port_constant(&mut out, service, port);
    out
}

/// Appends [`port_constant`]`(service, port)` to `out`.
pub fn push_port_constant(out: &mut String, service: &str, port: &str) {
    push_screaming(out, service);
    out.push('_');
    push_screaming(out, port);
}

/// `COURIER_API_TEST`: a port's constant for one environment in `ports.py`
/// and `ports.ts`.
pub(crate) fn module_constant(service: &str, port: &str, environment: &str) -> String {
    format!(
        "{}_{}",
        port_constant(service, port),
        screaming(environment)
    )
}

/// `_COURIER_API`: a named port's table of ports by environment in
/// `ports.py` and `ports.ts`.
pub(crate) fn module_table(service: &str, port: &str) -> String {
    format!("_{}", port_constant(service, port))
}

/// `POSTGRES_PORT`, or `POSTGRES_PORT_TEST` for an entry limited to some
/// environments: an infrastructure port in `ports.py` and `ports.ts`.
pub(crate) fn module_infra_constant(service: &str, environment: Option<&str>) -> String {
    match environment {
        Some(e) => format!("{}_PORT_{}", screaming(service), screaming(e)),
        None => format!("{}_PORT", screaming(service)),
    }
}

/// `courier_api`: a named port's function in `ports.py`.
pub(crate) fn python_function(service: &str, port: &str) -> String {
    format!("{service}_{port}").replace('-', "_")
}

/// `courierApi`: a named port's function in `ports.ts` (TypeScript has no
/// use for Rust's keyword escapes).
pub(crate) fn typescript_function(service: &str, port: &str) -> String {
    let mut out = String::new();
    for (i, word) in format!("{service}-{port}")
        .split(['-', '_'])
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            match i {
                0 => out.extend(first.to_lowercase()),
                _ => out.extend(first.to_uppercase()),
            }
            out.extend(chars);
        }
    }
    out
}

/// A name as a Kubernetes DNS label of at most `max` characters (Service
/// names take 63, port names 15): `_` becomes `-`, runs of `-` one `-`
/// (port names refuse `--`), and no `-` at the end.
pub(crate) fn dns_label(name: &str, max: usize) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c == '_' { '-' } else { c };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let cut: String = out.chars().take(max).collect();
    cut.trim_end_matches('-').to_owned()
}

/// The names of a named port's entries in a Kubernetes Service: one per
/// transport, the UDP one of a `both` port suffixed `-udp` (a Service's port
/// names are unique, at most 15 characters).
pub(crate) fn kube_port_names(name: &str, protocol: crate::model::Protocol) -> Vec<String> {
    let label = dns_label(name, 15);
    match protocol {
        crate::model::Protocol::Both => {
            let short = dns_label(name, 11);
            vec![label, format!("{short}-udp")]
        }
        _ => vec![label],
    }
}

/// The names `ports.py` and `ports.ts` define themselves.
pub(crate) const PYTHON_NAMES: &[&str] = &["PROJECT", "Environment", "_port", "annotations"];
pub(crate) const TYPESCRIPT_NAMES: &[&str] = &[
    "PROJECT",
    "ENVIRONMENTS",
    "Environment",
    "parseEnvironment",
    "Table",
    "port",
];

/// Which value an `.env` variable holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EnvVar {
    /// `<BASE>_PORT`: the host port.
    Port,
    /// `<BASE>_CONTAINER_PORT`, always: a compose file that says
    /// `${X_CONTAINER_PORT}` works whether or not it differs from the host port.
    ContainerPort,
    /// `<BASE>_NODE_PORT`, in node-port environments.
    NodePort,
    /// `<BASE>_URL`, for a service's port.
    Url,
    /// `<BASE>_PROTOCOL` (`udp`, `both`), for a port that is not TCP only.
    Protocol,
    /// `<BASE>_PORT_END`, the last port of a range (`_PORT` is its first).
    PortEnd,
}

/// Which of the optional `.env` variables a port has.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EnvFlags {
    /// `_NODE_PORT`.
    pub(crate) node_port: bool,
    /// `_URL`.
    pub(crate) url: bool,
    /// `_PROTOCOL`.
    pub(crate) protocol: bool,
    /// `_PORT_END`.
    pub(crate) range: bool,
}

/// The one place `.env` names are made: for a service's port `name`
/// (`None` for an infrastructure entry), calls `emit` with each variable's
/// name and what it holds, in the order the file writes them. `buf` is
/// reused between calls, so naming 60,000 ports allocates little.
pub(crate) fn env_variables(
    buf: &mut String,
    service: &str,
    name: Option<&str>,
    flags: EnvFlags,
    mut emit: impl FnMut(&str, EnvVar),
) {
    buf.clear();
    match name {
        Some(name) => push_port_constant(buf, service, name),
        None => push_screaming(buf, service),
    }
    let base = buf.len();
    let mut var = |suffix: &str, kind: EnvVar| {
        buf.truncate(base);
        buf.push_str(suffix);
        emit(buf, kind);
    };
    var("_PORT", EnvVar::Port);
    if flags.range {
        var("_PORT_END", EnvVar::PortEnd);
    }
    var("_CONTAINER_PORT", EnvVar::ContainerPort);
    if flags.node_port {
        var("_NODE_PORT", EnvVar::NodePort);
    }
    if flags.url {
        var("_URL", EnvVar::Url);
    }
    if flags.protocol {
        var("_PROTOCOL", EnvVar::Protocol);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(snake("postgres-test"), "postgres_test");
        assert_eq!(screaming("postgres-test"), "POSTGRES_TEST");
        assert_eq!(camel("postgres-test"), "PostgresTest");
        assert_eq!(port_constant("general-ledger", "api"), "GENERAL_LEDGER_API");
    }

    #[test]
    fn keywords_still_make_identifiers() {
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("crate"), "crate_");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(screaming("type"), "TYPE");
        let mut out = String::from("x:");
        push_snake(&mut out, "type");
        push_snake(&mut out, "-self-");
        assert_eq!(out, "x:r#typeself_");
    }
}
