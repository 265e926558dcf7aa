//! `portolan import`: converts the port registries teams keep today into a
//! Portolan ports.yaml, reporting every problem the old file hides instead of
//! copying it.
//!
//! Two source formats are understood:
//!
//! - **Lumiere** ([`Format::Lumiere`]): a YAML file with
//!   `environments.<env>.<service>.<name>_port` keys, optional
//!   `<name>_mapping: "host:container"` strings, `service_discovery` URLs (per
//!   environment, or at the root keyed by environment) and an `infrastructure`
//!   map of `name: port` or `name: { port, mapping, container_port, description }`.
//! - **RERP** ([`Format::Rerp`]): a `port-registry.json` with `next_port`,
//!   `reserved_ports` and `assignments` (`service: port` or
//!   `service: { port, node_port, container_port, description }`); NodePorts are
//!   `port + 23000` (`31000 + (port - 8000)`) unless told otherwise.
//!
//! [`import`] is pure: it takes the text and returns the new ports.yaml, the
//! problems found in the source, notes on what was decided, and the
//! [`Report`] of validating the result, so a caller can say exactly what must
//! still be decided by hand.
//!
//! ```
//! use portolan::import::{Format, Options, import};
//!
//! let json = r#"{ "next_port": 8003, "assignments": { "invoice": 8001, "ledger": 8002 } }"#;
//! let imported = import(json, Format::Auto, &Options::default()).unwrap();
//! assert!(imported.is_valid());
//! assert!(imported.yaml.contains("  invoice:\n    ports:\n      api: 8001\n"));
//! ```

use crate::load::{did_you_mean, is_valid_name};
use crate::{Report, Source, check};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};

/// Kubernetes' default NodePort range, as the importer computes with it.
const KUBERNETES_NODE_PORTS: (i64, i64) = (
    crate::model::KUBERNETES_NODE_PORTS.start.get() as i64,
    crate::model::KUBERNETES_NODE_PORTS.end.get() as i64,
);
/// The RERP formula `31000 + (port - 8000)` as an offset.
const RERP_NODE_PORT_OFFSET: i32 = 23000;
/// Comment lines are wrapped at this width.
const COMMENT_WIDTH: usize = 100;

/// Which registry format the source is in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Tell from the content: a JSON object with `assignments` is RERP, a YAML
    /// mapping whose `environments` hold services with `*_port` keys is Lumiere.
    #[default]
    Auto,
    /// `environments.<env>.<service>.*_port`, `*_mapping`, `service_discovery`, `infrastructure`.
    Lumiere,
    /// `port-registry.json`: `next_port`, `reserved_ports`, `assignments`.
    Rerp,
}

impl Format {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Lumiere => "lumiere",
            Format::Rerp => "rerp",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Choices the source cannot make.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// RERP: NodePort = port + this offset (default 23000, or the offset every
    /// explicit `node_port` in the source agrees on).
    pub node_port_offset: Option<i32>,
    /// The `project` of the new registry (default: the source's `project` key,
    /// else the name of the format's team, `lumiere` or `rerp`).
    pub project: Option<String>,
    /// What to call the source in comments (default `the source`).
    pub source_name: Option<String>,
    /// What to call the output in findings (default `ports.yaml`).
    pub output_name: Option<String>,
}

/// Something wrong in the source, or a note on what the import decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong (or was decided) and what to do about it.
    pub message: String,
    /// Where in the source, as a key path: `environments.test.courier.api_mapping`,
    /// `assignments.invoice`; `None` for the file as a whole.
    pub location: Option<String>,
}

impl Problem {
    fn at(location: &str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            location: (!location.is_empty()).then(|| location.to_owned()),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(location) => write!(f, "{location}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The result of an import.
#[derive(Debug)]
pub struct Imported {
    /// The new ports.yaml, problems and notes included as comments at the top.
    pub yaml: String,
    /// Problems found in the source, in source order.
    pub problems: Vec<Problem>,
    /// What the import decided or left out (not problems in the source).
    pub notes: Vec<Problem>,
    /// The validation of [`Imported::yaml`]: its errors are what must be decided by hand.
    pub report: Report,
    /// The format the source was read as (never [`Format::Auto`]).
    pub format: Format,
    /// Number of services written.
    pub services: usize,
    /// Number of environments written.
    pub environments: usize,
    /// Number of infrastructure entries written.
    pub infrastructure: usize,
}

impl Imported {
    /// Whether the new ports.yaml validates (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.report.is_ok()
    }
}

/// Why nothing could be imported at all.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportError {
    /// The text is not valid JSON or YAML.
    Syntax {
        /// `JSON` or `YAML`.
        language: &'static str,
        /// The parser's message.
        message: String,
    },
    /// [`Format::Auto`] could not tell the format.
    Unrecognized(String),
    /// The format is known but the file lacks what it needs (e.g. `assignments`).
    Shape(String),
    /// An option is out of range.
    Option(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Syntax { language, message } => {
                write!(f, "not valid {language}: {message}")
            }
            ImportError::Unrecognized(m) | ImportError::Shape(m) | ImportError::Option(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for ImportError {}

/// Converts `text`, a registry in `format`, into a Portolan ports.yaml.
///
/// Never panics on any input. Problems in the source are returned, not
/// fatal; the output is validated and the findings are in
/// [`Imported::report`]. An error means nothing usable could be read.
pub fn import(text: &str, format: Format, options: &Options) -> Result<Imported, ImportError> {
    let (tree, format, left_out) = parse(text, format)?;
    let mut cx = Ctx {
        problems: left_out,
        ..Ctx::default()
    };
    let draft = match format {
        Format::Rerp => rerp(&tree, options, &mut cx)?,
        _ => lumiere(&tree, options, &mut cx)?,
    };
    cx.flush_ignored();
    let source_name = options.source_name.as_deref().unwrap_or("the source");
    let output_name = options.output_name.as_deref().unwrap_or("ports.yaml");
    let first = draft.render(&header(source_name, &draft.intro, &cx, &[]));
    let report = check(&Source::new(output_name, first.as_str()));
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("error[{}]: {}", d.code, d.message))
        .collect();
    let (yaml, report) = if errors.is_empty() {
        (first, report)
    } else {
        // Say in the file too what must be decided; the comments shift the
        // lines, so validate the final text again.
        let yaml = draft.render(&header(source_name, &draft.intro, &cx, &errors));
        let report = check(&Source::new(output_name, yaml.as_str()));
        (yaml, report)
    };
    Ok(Imported {
        yaml,
        problems: cx.problems,
        notes: cx.notes,
        report,
        format,
        services: draft.services.len(),
        environments: draft.envs.len(),
        infrastructure: draft.infra.as_ref().map_or(0, |i| i.services.len()),
    })
}

// ---------------------------------------------------------------------------
// The source as an ordered tree.

/// A JSON or YAML value with mapping entries in source order (duplicates kept).
#[derive(Clone, Debug, PartialEq)]
enum Tree {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

impl Tree {
    /// The last value of `key`, as Python's loaders (and serde_json) keep it.
    fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A value as a message quotes it.
fn describe(v: &Tree) -> String {
    match v {
        Tree::Null => "nothing".to_owned(),
        Tree::Bool(b) => format!("`{b}`"),
        Tree::Int(n) => n.to_string(),
        Tree::Float(x) => format!("`{x}`"),
        Tree::Str(s) => format!("{s:?}"),
        Tree::Seq(_) => "a list".to_owned(),
        Tree::Map(_) => "a mapping".to_owned(),
    }
}

/// The source read through Portolan's YAML layer (JSON is YAML's flow
/// syntax): mapping entries in file order with duplicates kept, aliases
/// expanded within the same budgets as ports.yaml's. Entries the layer leaves
/// out (a list as a key) come back as problems, never silently.
fn read_tree(text: &str, language: &'static str) -> Result<(Tree, Vec<Problem>), ImportError> {
    let source = Source::new("source", text);
    let (root, findings) = crate::load::parse_yaml(&source).map_err(|d| ImportError::Syntax {
        language,
        message: format!(
            "{} (line {}, column {})",
            d.message, d.primary.span.line, d.primary.span.column
        ),
    })?;
    let left_out = findings
        .into_iter()
        .map(|d| Problem {
            message: format!("{}; not imported", d.message),
            location: Some(format!("line {}", d.primary.span.line)),
        })
        .collect();
    Ok((tree_of(root), left_out))
}

fn tree_of(node: crate::load::Spanned<crate::load::Node<'_>>) -> Tree {
    use crate::load::Node;
    match node.value {
        Node::Null(_) => Tree::Null,
        Node::Bool(text) => Tree::Bool(text.eq_ignore_ascii_case("true")),
        Node::Int(n, _) => Tree::Int(n),
        Node::Float(text) => Tree::Float(float(&text)),
        Node::Str(text) => Tree::Str(text.into_owned()),
        Node::Seq(items) => Tree::Seq(items.into_iter().map(tree_of).collect()),
        Node::Map(entries) => Tree::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.value.into_owned(), tree_of(v)))
                .collect(),
        ),
    }
}

/// A YAML 1.2 float (`1.5`, `1e3`, `.inf`, `-.Inf`, `.nan`).
fn float(text: &str) -> f64 {
    let lower = text.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        ".inf" if lower.starts_with('-') => f64::NEG_INFINITY,
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        _ => lower.parse().unwrap_or(f64::NAN),
    }
}

fn parse_json(text: &str) -> Result<(Tree, Vec<Problem>), ImportError> {
    // JSON's own grammar decides what is JSON; the tree then comes from the
    // YAML layer, which keeps duplicate keys and order as serde_json does not.
    serde_json::from_str::<serde_json::Value>(text).map_err(|e| ImportError::Syntax {
        language: "JSON",
        message: e.to_string(),
    })?;
    read_tree(text, "JSON")
}

fn parse_yaml(text: &str) -> Result<(Tree, Vec<Problem>), ImportError> {
    read_tree(text, "YAML")
}

fn parse(text: &str, format: Format) -> Result<(Tree, Format, Vec<Problem>), ImportError> {
    match format {
        Format::Rerp => parse_json(text).map(|(t, p)| (t, Format::Rerp, p)),
        Format::Lumiere => parse_yaml(text).map(|(t, p)| (t, Format::Lumiere, p)),
        Format::Auto => {
            let (tree, problems) = if text.trim_start().starts_with('{') {
                match parse_json(text) {
                    Ok(tree) => tree,
                    Err(json) => parse_yaml(text).map_err(|_| json)?,
                }
            } else {
                parse_yaml(text)?
            };
            if tree.get("assignments").is_some() {
                Ok((tree, Format::Rerp, problems))
            } else if looks_lumiere(&tree) {
                Ok((tree, Format::Lumiere, problems))
            } else if tree.get("services").is_some() && tree.get("environments").is_some() {
                Err(ImportError::Unrecognized(
                    "this looks like a Portolan ports.yaml already; run `portolan check` on it"
                        .to_owned(),
                ))
            } else {
                Err(ImportError::Unrecognized(
                    "cannot tell the format: expected a port-registry.json with `assignments` \
                     (pass --format rerp) or a ports.yaml with `environments.<env>.<service>.*_port` \
                     keys (pass --format lumiere)"
                        .to_owned(),
                ))
            }
        }
    }
}

fn looks_lumiere(tree: &Tree) -> bool {
    let Some(Tree::Map(envs)) = tree.get("environments") else {
        return false;
    };
    envs.iter().any(|(_, env)| match env {
        Tree::Map(services) => services.iter().any(|(_, svc)| match svc {
            Tree::Map(keys) => keys.iter().any(|(k, _)| port_key(k).is_some()),
            _ => false,
        }),
        _ => false,
    })
}

/// `api_port` → `api`, `port` → `api`.
fn port_key(key: &str) -> Option<&str> {
    match key {
        "port" => Some("api"),
        _ => key.strip_suffix("_port").filter(|s| !s.is_empty()),
    }
}

/// `api_mapping` → `api`, `mapping` → `api`.
fn mapping_key(key: &str) -> Option<&str> {
    match key {
        "mapping" => Some("api"),
        _ => key.strip_suffix("_mapping").filter(|s| !s.is_empty()),
    }
}

// ---------------------------------------------------------------------------
// What the import found and decided.

#[derive(Default)]
struct Ctx {
    problems: Vec<Problem>,
    notes: Vec<Problem>,
    said: HashSet<String>,
    /// Keys that are not ports: key → (count, first location).
    ignored: BTreeMap<String, (usize, String)>,
}

impl Ctx {
    fn problem(&mut self, at: &str, message: impl Into<String>) {
        self.problems.push(Problem::at(at, message));
    }

    fn note(&mut self, at: &str, message: impl Into<String>) {
        self.notes.push(Problem::at(at, message));
    }

    /// A note said once per `key`, however often it applies.
    fn note_once(&mut self, key: &str, at: &str, message: impl Into<String>) {
        if self.said.insert(key.to_owned()) {
            self.note(at, message);
        }
    }

    fn ignore(&mut self, key: &str, at: &str) {
        self.ignored
            .entry(key.to_owned())
            .or_insert((0, at.to_owned()))
            .0 += 1;
    }

    fn flush_ignored(&mut self) {
        for (key, (count, first)) in std::mem::take(&mut self.ignored) {
            let message = match count {
                1 => "not a port; not imported".to_owned(),
                2 => format!("`{key}` (here and in 1 more place) is not a port; not imported"),
                n => format!(
                    "`{key}` (here and in {} more places) is not a port; not imported",
                    n - 1
                ),
            };
            self.note(&first, message);
        }
    }

    /// The entries of a mapping, each key once: a repeated key keeps its first
    /// position and its last value, as the tools reading the source did.
    fn entries<'t>(&mut self, map: &'t [(String, Tree)], at: &str) -> Vec<(&'t str, &'t Tree)> {
        let mut out: Vec<(&str, &Tree)> = Vec::with_capacity(map.len());
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (k, v) in map {
            match index.get(k.as_str()) {
                Some(&i) => {
                    let previous = describe(out[i].1);
                    self.problem(
                        &join(at, k),
                        format!(
                            "`{k}` appears twice ({previous}, then {}); the later one wins, as for \
                             the tools that read this file, and is imported",
                            describe(v)
                        ),
                    );
                    out[i].1 = v;
                }
                None => {
                    index.insert(k, out.len());
                    out.push((k, v));
                }
            }
        }
        out
    }

    /// `raw` as a Portolan name, renamed (with a note) when it is not one.
    fn name(&mut self, raw: &str, at: &str, what: &str) -> String {
        if is_valid_name(raw) {
            return raw.to_owned();
        }
        let renamed: String = raw
            .trim()
            .chars()
            .filter_map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9' | '-' | '_') => Some(c),
                ' ' | '.' | '/' => Some('-'),
                _ => None,
            })
            .collect();
        if is_valid_name(&renamed) {
            self.note_once(
                &format!("rename {what} {raw}"),
                at,
                format!("{what} `{raw}` is not a valid name; renamed to `{renamed}`"),
            );
            renamed
        } else {
            if self.said.insert(format!("invalid {what} {raw}")) {
                self.problem(
                    at,
                    format!(
                        "{what} `{raw}` cannot become a name (lowercase letters, digits, `-` and `_`, \
                         starting with a letter); rename it by hand"
                    ),
                );
            }
            raw.to_owned()
        }
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn port_of(v: &Tree) -> Result<u16, String> {
    let n = match v {
        Tree::Int(n) => Some(*n),
        Tree::Str(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    };
    match n.and_then(|n| u16::try_from(n).ok()).filter(|&p| p != 0) {
        Some(p) => Ok(p),
        None => Err(format!(
            "{} is not a port (an integer from 1 to 65535); not imported",
            describe(v)
        )),
    }
}

/// `"host:container"` (also `"ip:host:container"` and `"…/tcp"`).
fn mapping_of(v: &Tree) -> Result<(u16, u16), String> {
    let bad = || {
        format!(
            "{} is not a \"host:container\" port mapping; not imported",
            describe(v)
        )
    };
    let Tree::Str(s) = v else {
        return Err(bad());
    };
    let body = s.trim();
    let body = body.split('/').next().unwrap_or(body);
    let mut parts = body.rsplitn(3, ':');
    let container = parts.next().and_then(|p| p.trim().parse::<u16>().ok());
    let host = parts.next().and_then(|p| p.trim().parse::<u16>().ok());
    match (host, container) {
        (Some(h), Some(c)) if h != 0 && c != 0 => Ok((h, c)),
        _ => Err(bad()),
    }
}

/// The host and port a URL names (the scheme's default port when it has none).
fn url_port(url: &str) -> Result<(String, u16), String> {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => (String::new(), url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return Err(format!("{url:?} is not a URL")),
        },
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("{url:?} has no valid port"))?,
        None => match scheme.as_str() {
            "http" | "ws" => 80,
            "https" | "wss" => 443,
            _ => return Err(format!("{url:?} names no port")),
        },
    };
    Ok((host.to_owned(), port))
}

/// Consecutive ports as `A-B`, single ones as `P`.
fn spans(ports: &[u16]) -> Vec<(u16, u16)> {
    let mut sorted = ports.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<(u16, u16)> = Vec::new();
    for p in sorted {
        match out.last_mut() {
            Some((_, end)) if u32::from(*end) + 1 == u32::from(p) => *end = p,
            _ => out.push((p, p)),
        }
    }
    out
}

fn range_text(spans: &[(u16, u16)]) -> String {
    let one = |&(a, b): &(u16, u16)| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}-{b}")
        }
    };
    match spans {
        [single] => one(single),
        _ => format!("[{}]", spans.iter().map(one).collect::<Vec<_>>().join(", ")),
    }
}

/// A range as written in the source: `8000-8799`, `8080`, or a list of those.
fn range_of(v: &Tree) -> Option<Vec<(u16, u16)>> {
    let item = |v: &Tree| -> Option<(u16, u16)> {
        match v {
            Tree::Int(_) => port_of(v).ok().map(|p| (p, p)),
            Tree::Str(s) => match s.split_once('-') {
                Some((a, b)) => {
                    let a = port_of(&Tree::Str(a.to_owned())).ok()?;
                    let b = port_of(&Tree::Str(b.to_owned())).ok()?;
                    (a <= b).then_some((a, b))
                }
                None => port_of(v).ok().map(|p| (p, p)),
            },
            _ => None,
        }
    };
    match v {
        Tree::Seq(items) if !items.is_empty() => items.iter().map(item).collect(),
        _ => item(v).map(|r| vec![r]),
    }
}

fn overlaps(a: &[(u16, u16)], b: &[(u16, u16)]) -> bool {
    a.iter()
        .any(|&(a0, a1)| b.iter().any(|&(b0, b1)| a0 <= b1 && b0 <= a1))
}

// ---------------------------------------------------------------------------
// The registry to write.

/// A named port: the same everywhere, or one per environment.
enum DraftPort {
    Bare(u16, Option<u16>),
    PerEnv(Vec<(String, u16, Option<u16>)>),
}

struct DraftEnv {
    name: String,
    range: String,
    /// `(range, offset)`.
    node_ports: Option<(String, i32)>,
}

struct DraftService {
    name: String,
    description: Option<String>,
    /// Set when the service runs in only some environments.
    environments: Option<Vec<String>>,
    ports: Vec<(String, DraftPort)>,
}

struct DraftInfra {
    name: String,
    port: u16,
    container_port: Option<u16>,
    description: Option<String>,
}

struct Infra {
    range: String,
    services: Vec<DraftInfra>,
}

struct Draft {
    /// Comment lines from the source's own descriptions.
    intro: Vec<String>,
    project: String,
    envs: Vec<DraftEnv>,
    /// `(key, value, reason)`: `("port", "8080", "…")`.
    reserved: Vec<(&'static str, String, String)>,
    services: Vec<DraftService>,
    infra: Option<Infra>,
}

/// `s` as a YAML scalar: plain when that reads back as the same string (in
/// block and flow context), JSON-quoted otherwise.
fn scalar(s: &str) -> String {
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
    if plain { s.to_owned() } else { quote(s) }
}

/// Whether YAML allows `c` as is in a document (its printable set, minus
/// what some readers take for line breaks).
fn printable(c: char) -> bool {
    matches!(c, '\t' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// `s` as a double-quoted YAML scalar, escaping what is not printable.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            c if printable(c) => out.push(c),
            c if u32::from(c) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// `s` on one comment line: line breaks become spaces, other characters YAML
/// does not allow are shown escaped.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\r' => " ".to_owned(),
            c if printable(c) => c.to_string(),
            c => c.escape_unicode().to_string(),
        })
        .collect()
}

fn port_value(port: u16, container: Option<u16>) -> String {
    match container {
        Some(c) => format!("{{ port: {port}, container_port: {c} }}"),
        None => port.to_string(),
    }
}

impl Draft {
    fn render(&self, header: &str) -> String {
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
            let keys: Vec<String> = svc.ports.iter().map(|(n, _)| scalar(n)).collect();
            let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0) + 1;
            for (key, (_, port)) in keys.iter().zip(&svc.ports) {
                let value = match port {
                    DraftPort::Bare(p, c) => port_value(*p, *c),
                    DraftPort::PerEnv(per_env) => {
                        let items: Vec<String> = per_env
                            .iter()
                            .map(|(env, p, c)| format!("{}: {}", scalar(env), port_value(*p, *c)))
                            .collect();
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
fn comment_item(out: &mut String, text: &str) {
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

fn header(source: &str, intro: &[String], cx: &Ctx, errors: &[String]) -> String {
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

fn project(options: &Options, root: &Tree, default: &str, cx: &mut Ctx) -> String {
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

// ---------------------------------------------------------------------------
// Lumiere: environments.<env>.<service>.<name>_port.

/// One port of a service in one environment.
#[derive(Clone, Copy)]
struct Bound {
    port: u16,
    container: Option<u16>,
}

impl Bound {
    fn inside(self) -> u16 {
        self.container.unwrap_or(self.port)
    }
}

struct LEnv {
    name: String,
    key: String,
    at: String,
    stated: Option<Vec<(u16, u16)>>,
    /// `(key, url value, location)`.
    discovery: Vec<(String, Tree, String)>,
}

struct LPort {
    name: String,
    /// `(environment index, port, location)`.
    per_env: Vec<(usize, Bound, String)>,
}

struct LService {
    name: String,
    description: Option<(String, String)>,
    envs: Vec<usize>,
    ports: Vec<LPort>,
}

struct LInfra {
    name: String,
    bound: Bound,
    description: Option<String>,
    at: String,
}

/// A port key and an optional mapping key combined, reporting disagreement.
fn combine(
    port: Option<(u16, &str)>,
    mapping: Option<((u16, u16), &str)>,
    port_key: &str,
    cx: &mut Ctx,
) -> Option<(Bound, String)> {
    match (port, mapping) {
        (Some((p, at)), None) => Some((
            Bound {
                port: p,
                container: None,
            },
            at.to_owned(),
        )),
        (Some((p, at)), Some(((h, c), _))) if h == p => Some((
            Bound {
                port: p,
                container: (c != p).then_some(c),
            },
            at.to_owned(),
        )),
        (Some((p, at)), Some(((h, c), map_at))) => {
            cx.problem(
                map_at,
                format!(
                    "\"{h}:{c}\" publishes host port {h}, but {port_key} is {p}; imported {p} (the \
                     port the services' configs use) without the mapping: decide which is right \
                     and fix the other by hand"
                ),
            );
            Some((
                Bound {
                    port: p,
                    container: None,
                },
                at.to_owned(),
            ))
        }
        (None, Some(((h, c), at))) => Some((
            Bound {
                port: h,
                container: (c != h).then_some(c),
            },
            at.to_owned(),
        )),
        (None, None) => None,
    }
}

fn lumiere(root: &Tree, options: &Options, cx: &mut Ctx) -> Result<Draft, ImportError> {
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
                    let port = match (single_env, p.per_env.as_slice()) {
                        (true, [(_, b, _)]) => DraftPort::Bare(b.port, b.container),
                        _ => DraftPort::PerEnv(
                            p.per_env
                                .iter()
                                .map(|(e, b, _)| (envs[*e].name.clone(), b.port, b.container))
                                .collect(),
                        ),
                    };
                    (p.name, port)
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

fn lumiere_service(
    env: usize,
    key: &str,
    map: &[(String, Tree)],
    at: &str,
    cx: &mut Ctx,
    services: &mut Vec<LService>,
) {
    let name = cx.name(key, at, "service");
    let mut description = None;
    // Port names in order of first appearance, with their port and mapping.
    type Found = (String, Option<(u16, String)>, Option<((u16, u16), String)>);
    let mut found: Vec<Found> = Vec::new();
    // Keys that are not ports, reported only if this is a service at all.
    let mut ignored: Vec<(&str, String)> = Vec::new();
    for (k, v) in cx.entries(map, at) {
        let k_at = join(at, k);
        if k == "description" {
            match v {
                Tree::Str(d) => description = Some(d.clone()),
                _ => ignored.push((k, k_at)),
            }
            continue;
        }
        let (port_name, is_port) = match (port_key(k), mapping_key(k)) {
            (Some(p), _) => (p, true),
            (None, Some(p)) => (p, false),
            (None, None) => {
                ignored.push((k, k_at));
                continue;
            }
        };
        let port_name = cx.name(&port_name.to_ascii_lowercase(), &k_at, "port name");
        let i = match found.iter().position(|(n, _, _)| *n == port_name) {
            Some(i) => i,
            None => {
                found.push((port_name, None, None));
                found.len() - 1
            }
        };
        if is_port {
            match port_of(v) {
                Ok(p) => found[i].1 = Some((p, k_at)),
                Err(e) => cx.problem(&k_at, e),
            }
        } else {
            match mapping_of(v) {
                Ok(m) => found[i].2 = Some((m, k_at)),
                Err(e) => cx.problem(&k_at, e),
            }
        }
    }
    if found.is_empty() {
        cx.note(at, "has no `*_port` or `*_mapping` keys; not imported");
        return;
    }
    for (k, k_at) in ignored {
        cx.ignore(k, &k_at);
    }
    let mut bound = Vec::new();
    for (port_name, port, mapping) in found {
        let port_key = format!("{port_name}_port");
        if let Some((b, b_at)) = combine(
            port.as_ref().map(|(p, a)| (*p, a.as_str())),
            mapping.as_ref().map(|(m, a)| (*m, a.as_str())),
            &port_key,
            cx,
        ) {
            bound.push((port_name, b, b_at));
        }
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
    for (port_name, b, b_at) in bound {
        match service.ports.iter_mut().find(|p| p.name == port_name) {
            Some(p) => p.per_env.push((env, b, b_at)),
            None => service.ports.push(LPort {
                name: port_name,
                per_env: vec![(env, b, b_at)],
            }),
        }
    }
}

fn lumiere_infra(key: &str, value: &Tree, at: &str, cx: &mut Ctx) -> Option<LInfra> {
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
                    "port" | "host_port" => match port_of(v) {
                        Ok(p) => port = Some((p, k_at)),
                        Err(e) => cx.problem(&k_at, e),
                    },
                    "container_port" => match port_of(v) {
                        Ok(p) => container = Some((p, k_at)),
                        Err(e) => cx.problem(&k_at, e),
                    },
                    "mapping" => match mapping_of(v) {
                        Ok(m) => mapping = Some((m, k_at)),
                        Err(e) => cx.problem(&k_at, e),
                    },
                    _ => cx.ignore(k, &k_at),
                }
            }
        }
        other => match port_of(other) {
            Ok(p) => port = Some((p, at.to_owned())),
            Err(e) => {
                cx.problem(at, e);
                return None;
            }
        },
    }
    let Some((mut bound, b_at)) = combine(
        port.as_ref().map(|(p, a)| (*p, a.as_str())),
        mapping.as_ref().map(|(m, a)| (*m, a.as_str())),
        "port",
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
fn check_discovery(envs: &[LEnv], services: &[LService], infra: &[LInfra], cx: &mut Ctx) {
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
                            .filter(|(e, _, _)| *e == env_index)
                            .map(|(_, b, _)| (p.name.clone(), b.port, b.inside()))
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
fn check_duplicates(envs: &[LEnv], services: &[LService], infra: &[LInfra], cx: &mut Ctx) {
    let mut holders: HashMap<u16, (String, String)> = HashMap::new();
    let mut uses: Vec<(u16, String, String)> = Vec::new();
    for (env_index, env) in envs.iter().enumerate() {
        for s in services {
            for p in &s.ports {
                for (e, b, at) in &p.per_env {
                    if *e == env_index {
                        let what = format!("`{}.{}` in {}", s.name, p.name, env.name);
                        uses.push((b.port, what, at.clone()));
                    }
                }
            }
        }
    }
    for i in infra {
        uses.push((
            i.bound.port,
            format!("infrastructure `{}`", i.name),
            i.at.clone(),
        ));
    }
    for (port, what, at) in uses {
        match holders.get(&port) {
            Some((first, first_at)) => cx.problem(
                &at,
                format!(
                    "port {port} of {what} is also used by {first} ({first_at}); they share one \
                     host, so one of them must move: decide which by hand"
                ),
            ),
            None => {
                holders.insert(port, (what, at));
            }
        }
    }
}

/// Each environment's range: the one the source states, else the smallest
/// block of 1000 ports holding its ports, else (when blocks overlap) the span
/// of its ports.
fn lumiere_ranges(
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
            .filter(|(e, _, _)| *e == i)
            .map(|(_, b, _)| b.port)
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
                ranges.push(vec![block(span(&ports))]);
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
                 holds its ports ({}); narrow them to what you allocate from",
                shown.join(", ")
            ),
        );
    }
    ranges
}

// ---------------------------------------------------------------------------
// RERP: port-registry.json.

struct RAssignment {
    name: String,
    port: u16,
    container_port: Option<u16>,
    node_port: Option<(i64, String)>,
    description: Option<String>,
    at: String,
}

fn rerp(root: &Tree, options: &Options, cx: &mut Ctx) -> Result<Draft, ImportError> {
    let Tree::Map(root_map) = root else {
        return Err(ImportError::Shape(
            "the file is not a JSON object with `assignments`".to_owned(),
        ));
    };
    let project = project(options, root, "rerp", cx);
    let registry_file = options
        .source_name
        .as_deref()
        .and_then(|s| s.rsplit(['/', '\\']).next())
        .filter(|s| !s.is_empty() && *s != "-" && !s.starts_with('<'))
        .unwrap_or("port-registry.json")
        .to_owned();
    let mut intro = Vec::new();
    let mut assignments = None;
    let mut reserved_tree = None;
    let mut next_port = None;
    for (key, value) in cx.entries(root_map, "") {
        match (key, value) {
            ("assignments", Tree::Map(m)) => assignments = Some(m),
            ("assignments", v) => {
                return Err(ImportError::Shape(format!(
                    "`assignments` is {}, not an object of service: port",
                    describe(v)
                )));
            }
            ("reserved_ports", v) => reserved_tree = Some(v),
            ("next_port", v) => next_port = Some(v),
            ("metadata", Tree::Map(m)) => {
                for (k, v) in cx.entries(m, "metadata") {
                    if let ("description" | "notes", Tree::Str(s)) = (k, v) {
                        intro.push(s.clone());
                    }
                }
            }
            ("version" | "project" | "metadata", _) => {}
            _ => cx.ignore(key, key),
        }
    }
    let Some(assignments) = assignments else {
        return Err(ImportError::Shape(
            "no `assignments` object: the RERP format keeps ports as `assignments: { service: port }`"
                .to_owned(),
        ));
    };

    let mut list: Vec<RAssignment> = Vec::new();
    for (key, value) in cx.entries(assignments, "assignments") {
        let at = join("assignments", key);
        let name = cx.name(key, &at, "service");
        let mut a = RAssignment {
            name,
            port: 0,
            container_port: None,
            node_port: None,
            description: None,
            at: at.clone(),
        };
        match value {
            Tree::Map(fields) => {
                let mut port = None;
                for (k, v) in cx.entries(fields, &at) {
                    let k_at = join(&at, k);
                    match k {
                        "port" => match port_of(v) {
                            Ok(p) => port = Some(p),
                            Err(e) => cx.problem(&k_at, e),
                        },
                        "container_port" | "containerPort" => match port_of(v) {
                            Ok(p) => a.container_port = Some(p),
                            Err(e) => cx.problem(&k_at, e),
                        },
                        "node_port" | "nodePort" => match v {
                            Tree::Int(n) => {
                                a.node_port = Some((i64::try_from(*n).unwrap_or(i64::MAX), k_at))
                            }
                            Tree::Null => {}
                            _ => cx.problem(
                                &k_at,
                                format!("{} is not a NodePort; ignored", describe(v)),
                            ),
                        },
                        "description" => match v {
                            Tree::Str(d) => a.description = Some(d.clone()),
                            _ => cx.ignore(k, &k_at),
                        },
                        _ => cx.ignore(k, &k_at),
                    }
                }
                match port {
                    Some(p) => a.port = p,
                    None => {
                        if fields.iter().all(|(k, _)| k != "port") {
                            cx.problem(&at, "has no `port`; not imported");
                        }
                        continue;
                    }
                }
            }
            other => match port_of(other) {
                Ok(p) => a.port = p,
                Err(e) => {
                    cx.problem(&at, e);
                    continue;
                }
            },
        }
        if a.container_port == Some(a.port) {
            a.container_port = None;
        }
        list.push(a);
    }
    if list.is_empty() {
        return Err(ImportError::Shape(
            "`assignments` holds no service with a port".to_owned(),
        ));
    }

    // Reserved ports.
    let mut reserved: Vec<(&'static str, String, String)> = Vec::new();
    let mut reserved_spans: Vec<(u16, u16)> = Vec::new();
    let default_reason = format!("reserved in {registry_file}");
    let mut add_reserved = |item: &Tree, reason: Option<&Tree>, at: &str, cx: &mut Ctx| {
        let reason = match reason {
            Some(Tree::Str(r)) if !r.trim().is_empty() => r.trim().to_owned(),
            _ => default_reason.clone(),
        };
        match range_of(item) {
            Some(r) => {
                for &(a, b) in &r {
                    let (key, value) = if a == b {
                        ("port", a.to_string())
                    } else {
                        ("range", format!("{a}-{b}"))
                    };
                    reserved.push((key, value, reason.clone()));
                    reserved_spans.push((a, b));
                }
            }
            None => cx.problem(
                at,
                format!(
                    "{} is not a port or a range like 30000-30999; not imported",
                    describe(item)
                ),
            ),
        }
    };
    match reserved_tree {
        None | Some(Tree::Null) => {}
        Some(Tree::Seq(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("reserved_ports[{i}]");
                match item {
                    Tree::Map(_) => {
                        let value = item.get("port").or_else(|| item.get("range"));
                        match value {
                            Some(v) => add_reserved(v, item.get("reason"), &at, cx),
                            None => cx.problem(&at, "has no `port` or `range`; not imported"),
                        }
                    }
                    _ => add_reserved(item, None, &at, cx),
                }
            }
        }
        Some(Tree::Map(map)) => {
            for (k, v) in cx.entries(map, "reserved_ports") {
                let at = join("reserved_ports", k);
                add_reserved(&Tree::Str(k.to_owned()), Some(v), &at, cx);
            }
        }
        Some(other) => add_reserved(other, None, "reserved_ports", cx),
    }

    // The environment's range: from the lowest port to the end of the hundred
    // holding the highest, leaving room for `portolan assign`.
    let lo = list.iter().map(|a| a.port).min().unwrap_or(1);
    let hi = list.iter().map(|a| a.port).max().unwrap_or(lo);
    let end = u16::try_from((u32::from(hi) / 100 + 1) * 100 - 1).unwrap_or(u16::MAX);
    let range = (lo, end);

    // NodePorts.
    let explicit: Vec<i64> = list
        .iter()
        .filter_map(|a| a.node_port.as_ref().map(|(np, _)| np - i64::from(a.port)))
        .collect();
    let offset = match options.node_port_offset {
        Some(o) => {
            if !(-65535..=65535).contains(&o) {
                return Err(ImportError::Option(format!(
                    "--node-port-offset {o} is out of range (-65535 to 65535)"
                )));
            }
            o
        }
        None => match explicit.first() {
            Some(&d)
                if explicit.len() >= 2
                    && d != i64::from(RERP_NODE_PORT_OFFSET)
                    && explicit.iter().all(|&x| x == d) =>
            {
                match i32::try_from(d)
                    .ok()
                    .filter(|d| (-65535..=65535).contains(d))
                {
                    Some(d) => {
                        cx.note(
                            "assignments",
                            format!(
                                "every node_port is port + {d}, so that is the offset (the documented \
                                 formula would give port + {RERP_NODE_PORT_OFFSET})"
                            ),
                        );
                        d
                    }
                    None => RERP_NODE_PORT_OFFSET,
                }
            }
            _ => RERP_NODE_PORT_OFFSET,
        },
    };
    let base = i64::from(lo) / 1000 * 1000 + i64::from(offset);
    let (k0, k1) = KUBERNETES_NODE_PORTS;
    let node_range_ok = base.max(k0) <= (base + 999).min(k1);
    let node_range = {
        let (a, b) = (base.max(k0), (base + 999).min(k1));
        if node_range_ok {
            (a, b)
        } else {
            cx.problem(
                "",
                format!(
                    "an offset of {offset} puts the NodePorts at {}-{}, outside Kubernetes' \
                     NodePort range {k0}-{k1}; choose another --node-port-offset",
                    base,
                    base + 999
                ),
            );
            (base.clamp(1, 65535), (base + 999).clamp(1, 65535))
        }
    };
    let mut holders: HashMap<u16, String> = HashMap::new();
    for a in &list {
        if let Some(first) = holders.get(&a.port) {
            cx.problem(
                &a.at,
                format!(
                    "port {} is also assigned to `{first}`; one of them must move: decide which by hand",
                    a.port
                ),
            );
        } else {
            holders.insert(a.port, a.name.clone());
        }
        if let Some(&(r0, r1)) = reserved_spans
            .iter()
            .find(|&&(r0, r1)| (r0..=r1).contains(&a.port))
        {
            let what = if r0 == r1 {
                format!("port {r0} is")
            } else {
                format!("ports {r0}-{r1} are")
            };
            cx.problem(
                &a.at,
                format!(
                    "port {} is assigned, but {what} reserved in reserved_ports; move it",
                    a.port
                ),
            );
        }
        let np = i64::from(a.port) + i64::from(offset);
        if let Some((given, np_at)) = &a.node_port
            && *given != np
        {
            cx.problem(
                np_at,
                format!(
                    "is {given}, but port + offset gives {np} ({} + {offset}); Portolan computes \
                     NodePorts as port + offset, so the import uses {np}: update what still uses \
                     {given} (`portolan sync` rewrites the Helm values and kind config)",
                    a.port
                ),
            );
        }
        if !(k0..=k1).contains(&np) {
            cx.problem(
                &a.at,
                format!(
                    "port {} of `{}` gets NodePort {np} ({} + {offset}), outside Kubernetes' NodePort \
                     range {k0}-{k1}; move the service to a lower port or choose another \
                     --node-port-offset",
                    a.port, a.name, a.port
                ),
            );
        } else if node_range_ok && !(node_range.0..=node_range.1).contains(&np) {
            cx.problem(
                &a.at,
                format!(
                    "port {} of `{}` gets NodePort {np} ({} + {offset}), outside the NodePort range \
                     {}-{}; move the service into {}-{}",
                    a.port,
                    a.name,
                    a.port,
                    node_range.0,
                    node_range.1,
                    node_range.0 - i64::from(offset),
                    node_range.1 - i64::from(offset)
                ),
            );
        }
    }

    match next_port {
        None => {}
        Some(v) => match port_of(v) {
            Ok(n) => match list.iter().find(|a| a.port == n) {
                Some(a) => cx.problem(
                    "next_port",
                    format!(
                        "is {n}, which is already assigned to `{}`: the script would have handed \
                             it out twice; Portolan keeps no counter, so this cannot happen again",
                        a.name
                    ),
                ),
                None => cx.note(
                    "next_port",
                    format!(
                        "{n} is not copied: `portolan assign` picks the lowest free port in the \
                             range itself"
                    ),
                ),
            },
            Err(e) => cx.problem("next_port", e),
        },
    }
    cx.note(
        "",
        format!(
            "environment `cluster`: range {} (the lowest assigned port to the end of its hundred) \
             with NodePorts of port + {offset} in {}-{}",
            range_text(&[range]),
            node_range.0,
            node_range.1
        ),
    );

    let services = list
        .into_iter()
        .map(|a| DraftService {
            name: a.name,
            description: a.description,
            environments: None,
            ports: vec![("api".to_owned(), DraftPort::Bare(a.port, a.container_port))],
        })
        .collect();
    Ok(Draft {
        intro,
        project,
        envs: vec![DraftEnv {
            name: "cluster".to_owned(),
            range: range_text(&[range]),
            node_ports: Some((format!("{}-{}", node_range.0, node_range.1), offset)),
        }],
        reserved,
        services,
        infra: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_stay_strings() {
        assert_eq!(scalar("Event Bus (WebSocket)"), "Event Bus (WebSocket)");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("8000"), "\"8000\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("a, b"), "\"a, b\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("#x"), "\"#x\"");
        for text in [
            "a\u{7f}b",
            "tab\there",
            "\"q\" \\ \u{1b}",
            "é\u{2028}\u{10ffff}",
            "- x",
            "{a}",
        ] {
            let yaml = format!("key: {}\nflow: {{ key: {} }}\n", scalar(text), scalar(text));
            let (tree, _) = parse_yaml(&yaml).unwrap();
            assert_eq!(tree.get("key"), Some(&Tree::Str(text.to_owned())), "{yaml}");
            let flow = tree.get("flow").and_then(|f| f.get("key"));
            assert_eq!(flow, Some(&Tree::Str(text.to_owned())), "{yaml}");
        }
    }

    #[test]
    fn urls_and_mappings_parse() {
        assert_eq!(
            url_port("http://courier:9765"),
            Ok(("courier".into(), 9765))
        );
        assert_eq!(url_port("https://a.b/x"), Ok(("a.b".into(), 443)));
        assert_eq!(url_port("ws://[::1]:81/p"), Ok(("::1".into(), 81)));
        assert!(url_port("courier").is_err());
        assert_eq!(mapping_of(&Tree::Str("5433:5432".into())), Ok((5433, 5432)));
        assert_eq!(
            mapping_of(&Tree::Str("127.0.0.1:80:8080/tcp".into())),
            Ok((80, 8080))
        );
        assert!(mapping_of(&Tree::Str("80".into())).is_err());
    }

    #[test]
    fn spans_merge_consecutive_ports() {
        assert_eq!(range_text(&spans(&[5433, 5432, 6379])), "[5432-5433, 6379]");
        assert_eq!(range_text(&spans(&[80])), "80");
    }
}
