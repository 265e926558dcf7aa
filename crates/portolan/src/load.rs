//! Reads ports.yaml into the model.
//!
//! Two steps, so that one run reports every problem instead of the first:
//! [`crate::yaml::parse`] builds a tree of spanned nodes from the parser's events (syntax
//! errors, and inputs past its safety budget, stop here: nothing can be read
//! after them), then `Decoder` walks the tree into [`crate::model`] types, pushing
//! a located diagnostic for every wrong type, unknown or duplicate key and
//! invalid port, and carrying on with what it could read. This is the shape of
//! toml-span's value tree plus table helper, and serde-derive cannot give it:
//! a derived `Deserialize` stops at its first error.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{
    Artifact, Assignment, Bind, Environment, FileFormat, InfraService, Infrastructure, KeyPath,
    Name, NamedPort, NodePorts, OwnedList, Port, PortRange, Protocol, RangeSet, Registry, Render,
    Reserved, Service, SyncFile, Template, Text, check_relative_path,
};
use crate::source::{Source, Span};
use crate::yaml::{self, Node, Spanned, Value};
use std::borrow::Cow;
use std::collections::HashMap;

mod environments;
mod files;
mod services;
mod values;

/// Parses `source` into the model, reporting every problem found on the way.
/// Returns `None` only when nothing usable could be read (a syntax error, or a
/// root that is not a mapping).
pub fn load(source: &Source) -> (Option<Registry>, Diagnostics) {
    let (registry, diagnostics, _) = load_keeping_tree(source, false);
    (registry, diagnostics)
}

/// [`load`], also returning the file's YAML tree as written (aliases
/// unexpanded) when `keep` is set, for an editor of the same file: one parse
/// serves both.
pub(crate) fn load_keeping_tree(
    source: &Source,
    keep: bool,
) -> (Option<Registry>, Diagnostics, Option<yaml::Tree<'_>>) {
    let mut decoder = Decoder {
        src: source,
        diags: Diagnostics::default(),
        values: 0,
        env_keys: Default::default(),
        scrape: Vec::new(),
    };
    if let Some(at) = source.invalid_utf8_at() {
        // The lossy copy holds U+FFFD where the bad byte was.
        let span = source.span(at as usize, char::REPLACEMENT_CHARACTER.len_utf8());
        decoder.diags.push(
            Diagnostic::new(Code::InvalidUtf8, span, "the file is not valid UTF-8")
                .with_label("this byte does not start a UTF-8 character")
                .with_help("save ports.yaml as UTF-8"),
        );
        return (None, decoder.diags, None);
    }
    let mut tree = match yaml::read(source.text()) {
        Ok(tree) => tree,
        Err(broken) => {
            decoder.diags.push(*broken.into_diagnostic());
            return (None, decoder.diags, None);
        }
    };
    // The editor needs the aliases as written; expanding works in place.
    let written = (keep && tree.needs_expansion()).then(|| tree.clone());
    if let Err(d) = yaml::expand(&mut tree) {
        decoder.diags.push(*d);
        return (None, decoder.diags, written);
    }
    for d in std::mem::take(&mut tree.findings) {
        decoder.diags.push(d);
    }
    let registry = decoder.registry(&tree.root);
    let kept = keep.then(|| written.unwrap_or(tree));
    (registry, decoder.diags, kept)
}

/// Walks the node tree into the model.
struct Decoder<'s> {
    src: &'s Source,
    diags: Diagnostics,
    /// Counter for [`crate::model::Assignment::value`].
    values: u32,
    /// How many named ports write each environment key, to tell which of
    /// two spellings of an environment is the typo.
    env_keys: std::collections::HashMap<String, usize>,
    /// `render.scrape` as written, checked once the services are known.
    scrape: Vec<Name>,
}

/// A mapping whose keys have been checked for duplicates (and, for fixed
/// sections, for unknown keys).
struct Table<'n> {
    /// The entries in file order, each key's first occurrence only (later ones are reported).
    entries: Vec<&'n (Spanned<Cow<'n, str>>, Node<'n>)>,
    /// The key that owns this mapping, for "missing key" findings.
    owner: Span,
    what: String,
}

impl<'n> Table<'n> {
    fn get(&self, key: &str) -> Option<&'n Node<'n>> {
        self.entries
            .iter()
            .copied()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The candidate `word` is one slip away from (a letter missing, added,
/// changed or two swapped; two slips in a long word): stricter than
/// [`did_you_mean`], because it refuses an edit rather than suggests one, and
/// `LEDGER_PORT` beside `LEDGER_URL` is a new key, not a typo.
#[cfg(feature = "sync")]
pub(crate) fn typo_of<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let allowed = if word.chars().count() > 8 { 2 } else { 1 };
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A service without a port vanishes from every output: a warning (the
/// registry stays valid, so the fix, `portolan assign`, can run).
fn no_ports(service: &Name, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::NoPorts,
        span,
        format!("service `{service}` has no ports"),
    )
    .with_label("a service needs at least one named port")
    .with_help(format!(
        "run `portolan assign {service}` to give it a free port in every environment"
    ))
}

/// Where a finding about a list item that is a mapping points: a block
/// mapping has no width of its own, so at its first key.
fn entry_owner(item: &Node<'_>) -> Span {
    match &item.value {
        Value::Map(entries) if !entries.is_empty() => entries[0].0.span,
        _ => item.span,
    }
}

pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Mappings up to this size find duplicate keys by scanning, larger ones by hashing.
const SCAN: usize = 8;

const ROOT_KEYS: &[&str] = &[
    "project",
    "environments",
    "services",
    "infrastructure",
    "reserved",
    "render",
    "sync",
];
const RENDER_KEYS: &[&str] = &["dir", "artifacts", "templates", "scrape"];
const TEMPLATE_KEYS: &[&str] = &["template", "output"];
const SYNC_KEYS: &[&str] = &[
    "file",
    "format",
    "create",
    "values",
    "lists",
    "services",
    "environments",
];
const LIST_KEYS: &[&str] = &["comment", "key", "item"];
const ENVIRONMENT_KEYS: &[&str] = &["range", "node_ports", "host", "artifacts", "bind"];
const NODE_PORT_KEYS: &[&str] = &["range", "offset"];
const SERVICE_KEYS: &[&str] = &["description", "environments", "ports", "processes"];
const PORT_KEYS: &[&str] = &["port", "container_port", "range"];
const INFRASTRUCTURE_KEYS: &[&str] = &["range", "host", "services"];
const INFRA_SERVICE_KEYS: &[&str] = &[
    "port",
    "container_port",
    "description",
    "environments",
    "protocol",
    "bind",
    "node_port",
];
/// Keys of a named port that describe it rather than name an environment.
const PORT_ATTRIBUTES: &[&str] = &["scheme", "protocol", "bind"];
const RESERVED_KEYS: &[&str] = &["port", "range", "reason"];

impl<'s> Decoder<'s> {
    fn next_value(&mut self) -> u32 {
        self.values += 1;
        self.values
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn type_error(&mut self, node: &Node<'_>, expected: &str, what: &str) {
        let span = node.span;
        let found = node.value.kind();
        let mut d = Diagnostic::new(
            Code::InvalidType,
            span,
            format!("{what} must be {expected}, found {found}"),
        )
        .with_label(format!("expected {expected}"));
        if let Value::Str(s) = &node.value
            && expected.contains("integer")
            && s.trim().parse::<i64>().is_ok()
        {
            d = d.with_help("remove the quotes: a port is a number");
        }
        self.push(d);
    }

    /// Checks that `node` is a mapping (null counts as empty), reports duplicate
    /// keys and, when `known` is given, unknown keys.
    fn table<'n>(
        &mut self,
        node: &'n Node<'n>,
        what: impl Into<String>,
        owner: Span,
        known: Option<&[&str]>,
    ) -> Option<Table<'n>> {
        let what = what.into();
        let all: &'n [(Spanned<Cow<'n, str>>, Node<'n>)] = match &node.value {
            Value::Map(entries) => entries,
            Value::Null(_) => &[],
            _ => {
                self.type_error(node, "a mapping", &what);
                return None;
            }
        };
        // Most mappings have a handful of keys: a scan of those is cheaper than hashing.
        let mut seen: HashMap<&str, Span> = match all.len() {
            0..=SCAN => HashMap::new(),
            n => HashMap::with_capacity(n),
        };
        let mut entries: Vec<&(Spanned<Cow<'n, str>>, Node<'n>)> = Vec::with_capacity(all.len());
        for entry in all {
            let key = &entry.0;
            let span = key.span;
            let first = match all.len() {
                0..=SCAN => entries
                    .iter()
                    .find(|(k, _)| k.value == key.value)
                    .map(|(k, _)| k.span),
                _ => seen.get(key.value.as_ref()).copied(),
            };
            if let Some(first) = first {
                let d = Diagnostic::new(
                    Code::DuplicateKey,
                    span,
                    format!("duplicate key `{}` in {what}", key.value),
                )
                .with_label("second definition")
                .with_secondary(first, "first defined here")
                .with_help("YAML keeps one value per key; remove or rename one of them");
                self.push(d);
                continue;
            }
            if all.len() > SCAN {
                seen.insert(&key.value, span);
            }
            entries.push(entry);
            if let Some(known) = known
                && !known.contains(&key.value.as_ref())
            {
                let mut d = Diagnostic::new(
                    Code::UnknownKey,
                    span,
                    format!("unknown key `{}` in {what}", key.value),
                );
                d = match did_you_mean(&key.value, known.iter().copied()) {
                    Some(best) => d.with_help(format!("did you mean `{best}`?")),
                    None => d.with_help(format!("expected one of: {}", known.join(", "))),
                };
                self.push(d);
            }
        }
        Some(Table {
            entries,
            owner,
            what,
        })
    }

    fn required<'n>(
        &mut self,
        table: &Table<'n>,
        key: &str,
        example: &str,
    ) -> Option<&'n Node<'n>> {
        let found = table.get(key);
        if found.is_none() {
            let d = Diagnostic::new(
                Code::MissingKey,
                table.owner,
                format!("{} has no `{key}`", table.what),
            )
            .with_help(format!("add `{key}: {example}`"));
            self.push(d);
        }
        found
    }

    fn name(&mut self, value: &str, span: Span, what: &str) -> Name {
        if !is_valid_name(value) {
            let suggestion: String = value
                .trim()
                .to_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let mut d = Diagnostic::new(
                Code::InvalidName,
                span,
                format!("{what} name `{}` is invalid", value.escape_debug()),
            )
            .with_label("names are lowercase letters, digits, `-` and `_`, starting with a letter");
            if is_valid_name(&suggestion) {
                d = d.with_help(format!("try `{suggestion}`"));
            }
            self.push(d);
        }
        Name {
            value: value.to_owned(),
            span,
        }
    }

    fn key_name(&mut self, key: &Spanned<Cow<'_, str>>, what: &str) -> Name {
        let span = key.span;
        self.name(&key.value, span, what)
    }

    /// A scalar read as text; plain numbers and booleans keep their spelling.
    fn string(&mut self, node: &Node<'_>, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone().into_owned()),
            Value::Int(_, written) | Value::Float(written) | Value::Bool(written) => {
                Some(written.to_string())
            }
            _ => {
                self.type_error(node, "a string", what);
                None
            }
        }
    }

    fn name_value(&mut self, node: &Node<'_>, what: &str) -> Option<Name> {
        let value = self.string(node, &format!("{what} name"))?;
        let span = node.span;
        Some(self.name(&value, span, what))
    }

    fn port(&mut self, node: &Node<'_>, what: &str) -> Option<Port> {
        let span = node.span;
        match &node.value {
            Value::Int(n, written) => {
                let port = Port::from_i128(i128::from(*n));
                if port.is_none() {
                    let shown = if written.is_empty() {
                        n.to_string()
                    } else {
                        written.to_string()
                    };
                    self.push(
                        Diagnostic::new(
                            Code::InvalidPort,
                            span,
                            format!("{what} is `{shown}`, not a port number"),
                        )
                        .with_label("ports are 1 to 65535"),
                    );
                    return None;
                }
                // YAML also reads `0x1F90`, `0o17620`, `+8080`, `8_080` and
                // `08080` as integers; a port is written the way every other file
                // writes it, so a search for `8080` finds it.
                if written.starts_with(['+', '-'])
                    || written.contains('_')
                    || written.len() > 1 && written.starts_with('0')
                {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidPort,
                            span,
                            format!("{what} `{written}` is not written as a decimal port number"),
                        )
                        .with_label("write ports in decimal digits")
                        .with_help(format!("write `{n}`")),
                    );
                    return None;
                }
                port
            }
            Value::Float(written) => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidPort,
                        span,
                        format!("{what} is `{written}`, not a port number"),
                    )
                    .with_label("ports are whole numbers from 1 to 65535"),
                );
                None
            }
            _ => {
                self.type_error(node, "an integer from 1 to 65535", what);
                None
            }
        }
    }

    fn range_text(&mut self, text: &str, span: Span, what: &str) -> Option<PortRange> {
        let bad = |this: &mut Self, why: &str| {
            this.push(
                Diagnostic::new(
                    Code::InvalidRange,
                    span,
                    format!(
                        "{what} `{}` is not a valid range: {why}",
                        text.escape_debug()
                    ),
                )
                .with_help("write a range as `A-B` (inclusive), a single port, or a list of those"),
            );
            None
        };
        let Some((a, b)) = text.split_once('-') else {
            return match text.trim().parse::<i128>() {
                Ok(n) => match Port::from_i128(n) {
                    Some(p) => Some(PortRange { start: p, end: p }),
                    None => bad(self, "ports are 1 to 65535"),
                },
                Err(_) => bad(self, "expected `A-B`"),
            };
        };
        // Written as every other file writes a port, so a search for `8010` finds it.
        let plain = |n: &str| {
            let n = n.trim();
            !n.is_empty()
                && n.bytes().all(|c| c.is_ascii_digit())
                && !(n.len() > 1 && n.starts_with('0'))
        };
        if !(plain(a) && plain(b)) {
            return bad(
                self,
                "both ends must be port numbers written plainly (no sign, no leading zero)",
            );
        }
        let (Ok(a), Ok(b)) = (a.trim().parse::<i128>(), b.trim().parse::<i128>()) else {
            return bad(self, "both ends must be port numbers");
        };
        let (Some(start), Some(end)) = (Port::from_i128(a), Port::from_i128(b)) else {
            return bad(self, "ports are 1 to 65535");
        };
        if start > end {
            return bad(self, "it starts after it ends");
        }
        Some(PortRange { start, end })
    }

    fn range_item(&mut self, node: &Node<'_>, what: &str) -> Option<PortRange> {
        match &node.value {
            Value::Int(..) => self
                .port(node, what)
                .map(|p| PortRange { start: p, end: p }),
            Value::Str(s) => {
                let span = node.span;
                self.range_text(s, span, what)
            }
            _ => {
                self.type_error(node, "a range `A-B`, a port, or a list of those", what);
                None
            }
        }
    }

    /// A range, a port, or a list of those. An empty set means it could not be read
    /// (already reported), so later checks against it are skipped.
    fn range_set(&mut self, node: &Node<'_>, what: &str) -> RangeSet {
        let span = node.span;
        let mut ranges = Vec::new();
        match &node.value {
            Value::Seq(items) => {
                if items.is_empty() {
                    self.push(Diagnostic::new(
                        Code::InvalidRange,
                        span,
                        format!("{what} is an empty list"),
                    ));
                }
                for item in items {
                    ranges.extend(self.range_item(item, what));
                }
            }
            _ => ranges.extend(self.range_item(node, what)),
        }
        RangeSet { ranges, span }
    }

    fn registry(&mut self, root: &Node<'_>) -> Option<Registry> {
        let start = self.src.span(0, 0);
        let root = self.table(root, "the registry", start, Some(ROOT_KEYS))?;
        let project = self
            .required(&root, "project", "my-project")
            .and_then(|n| self.name_value(n, "project"));
        let environments =
            match self.required(&root, "environments", "{ local: { range: 8000-8999 } }") {
                Some(node) => self.environments(node),
                None => Vec::new(),
            };
        let mut services = match root.get("services") {
            Some(node) => self.services(node, &environments),
            None => Vec::new(),
        };
        services.sort_by(|a, b| a.name.value.cmp(&b.name.value));
        let infrastructure = match root.get("infrastructure") {
            Some(node) => self.infrastructure(node, &environments),
            None => Infrastructure::default(),
        };
        let reserved = match root.get("reserved") {
            Some(node) => self.reserved(node),
            None => Vec::new(),
        };
        let render = match root.get("render") {
            Some(node) => self.render(node),
            None => Render::defaults(start),
        };
        // A `render.scrape` name no service has would scrape nothing, silently.
        let port_names: Vec<&str> = services
            .iter()
            .flat_map(|s| s.ports.iter().map(|p| p.name.as_str()))
            .collect();
        for name in std::mem::take(&mut self.scrape) {
            if !port_names.contains(&name.value.as_str()) {
                let mut d = Diagnostic::new(
                    Code::UnknownKey,
                    name.span,
                    format!("no service has a port named `{}` to scrape", name.value),
                );
                if let Some(best) = did_you_mean(&name.value, port_names.iter().copied()) {
                    d = d.with_help(format!("did you mean `{best}`?"));
                }
                self.push(d);
            }
        }
        let sync = match root.get("sync") {
            Some(node) => self.sync(node, &environments, &services),
            None => Vec::new(),
        };
        Some(Registry {
            render,
            sync,
            file: self.src.name().to_owned(),
            project: project.unwrap_or(Name {
                value: String::new(),
                span: start,
            }),
            environments,
            services,
            infrastructure,
            reserved,
        })
    }

    fn infrastructure(&mut self, node: &Node<'_>, environments: &[Environment]) -> Infrastructure {
        let owner = node.span;
        let mut infra = Infrastructure::default();
        let Some(table) = self.table(node, "`infrastructure`", owner, Some(INFRASTRUCTURE_KEYS))
        else {
            return infra;
        };
        infra.range = table
            .get("range")
            .map(|r| self.range_set(r, "infrastructure range"));
        infra.host = table.get("host").and_then(|n| self.name_value(n, "host"));
        let Some(services) = table.get("services") else {
            return infra;
        };
        let Some(services) = self.table(services, "infrastructure `services`", owner, None) else {
            return infra;
        };
        for (key, value) in services.entries.iter().copied() {
            let name = self.key_name(key, "infrastructure");
            let what = format!("infrastructure `{}`", key.value);
            let Some(entry) = self.table(value, what.clone(), name.span, Some(INFRA_SERVICE_KEYS))
            else {
                continue;
            };
            let description = entry
                .get("description")
                .and_then(|n| self.string(n, "description"));
            let Some(port_node) = self.required(&entry, "port", "5432") else {
                continue;
            };
            let Some(port) = self.port(port_node, &format!("port of {what}")) else {
                continue;
            };
            let container_port = match entry.get("container_port") {
                Some(n) => match self.port(n, &format!("container port of {what}")) {
                    Some(p) => p,
                    None => continue,
                },
                None => port,
            };
            let environments = entry.get("environments").map(|n| {
                let listed = self.service_environments(n, environments, &what);
                if matches!(&n.value, Value::Seq(items) if items.is_empty()) {
                    self.push(
                        Diagnostic::new(
                            Code::MissingKey,
                            n.span,
                            format!("{what} belongs to no environment, yet holds its port"),
                        )
                        .with_help("name the environments it runs in, or remove the entry"),
                    );
                }
                listed
            });
            let protocol = match entry.get("protocol") {
                Some(n) => match self.protocol(n, &what) {
                    Some(p) => p,
                    None => continue,
                },
                None => Protocol::Tcp,
            };
            let bind = entry.get("bind").and_then(|n| self.bind(n, &what));
            let node_port = match entry.get("node_port") {
                Some(n) => match self.port(n, &format!("NodePort of {what}")) {
                    Some(p) => Some((p, n.span)),
                    None => continue,
                },
                None => None,
            };
            let span = port_node.span;
            let value = self.next_value();
            infra.services.push(InfraService {
                name,
                description,
                port,
                container_port,
                span,
                value,
                environments,
                protocol,
                bind,
                node_port,
            });
        }
        infra
            .services
            .sort_by(|a, b| a.name.value.cmp(&b.name.value));
        infra
    }

    fn reserved(&mut self, node: &Node<'_>) -> Vec<Reserved> {
        let Value::Seq(items) = &node.value else {
            self.type_error(
                node,
                "a list of `{ port, reason }` or `{ range, reason }`",
                "`reserved`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let owner = entry_owner(item);
            let Some(entry) = self.table(item, "reserved entry", owner, Some(RESERVED_KEYS)) else {
                continue;
            };
            let reason = self
                .required(&entry, "reason", "why nobody may use it")
                .and_then(|n| self.string(n, "reason"));
            let (ports, span) = match (entry.get("port"), entry.get("range")) {
                (Some(p), None) => (
                    self.port(p, "reserved port")
                        .map(|p| vec![PortRange { start: p, end: p }]),
                    p.span,
                ),
                (None, Some(r)) => (Some(self.range_set(r, "reserved range").ranges), r.span),
                (Some(_), Some(r)) => {
                    let span = r.span;
                    self.push(
                        Diagnostic::new(
                            Code::InvalidRange,
                            span,
                            "a reserved entry takes `port` or `range`, not both",
                        )
                        .with_help("split it into two entries"),
                    );
                    continue;
                }
                (None, None) => {
                    self.push(
                        Diagnostic::new(
                            Code::MissingKey,
                            owner,
                            "reserved entry has neither `port` nor `range`",
                        )
                        .with_help("add `port: 8080` or `range: 30000-30999`"),
                    );
                    continue;
                }
            };
            let (Some(ports), Some(reason)) = (ports, reason) else {
                continue;
            };
            out.extend(ports.into_iter().map(|ports| Reserved {
                ports,
                reason: reason.clone(),
                span,
            }));
        }
        out
    }
    fn text(&mut self, node: &Node<'_>, what: &str) -> Option<Text> {
        let value = self.string(node, what)?;
        Some(Text {
            value,
            span: node.span,
        })
    }

    fn key_text(&self, key: &Spanned<Cow<'_, str>>) -> Text {
        Text {
            value: key.value.to_string(),
            span: key.span,
        }
    }

    /// A sequence, or `None` after reporting what was found instead.
    fn list<'n>(&mut self, node: &'n Node<'n>, what: &str) -> Option<&'n [Node<'n>]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null(_) => Some(&[]),
            _ => {
                self.type_error(node, "a list", what);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        for ok in ["a", "courier", "postgres-test", "v2_api"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "Api", "2fa", "-x", "a b", "a.b", "é"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        assert_eq!(
            did_you_mean("descripton", SERVICE_KEYS.iter().copied()),
            Some("description")
        );
        assert_eq!(did_you_mean("zzz", SERVICE_KEYS.iter().copied()), None);
    }
}
