//! Reads ports.yaml into the model. The only module that knows YAML.
//!
//! Two steps, so that one run reports every problem instead of the first:
//! the private `yaml` module builds a tree of spanned nodes from the parser's events (syntax
//! errors, and inputs past its safety budget, stop here: nothing can be read
//! after them), then `Decoder` walks the tree into [`crate::model`] types, pushing
//! a located diagnostic for every wrong type, unknown or duplicate key and
//! invalid port, and carrying on with what it could read. This is the shape of
//! toml-span's value tree plus table helper, and serde-derive cannot give it:
//! a derived `Deserialize` stops at its first error.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{
    Artifact, Assignment, Environment, InfraService, Infrastructure, KeyPath, Name, NamedPort,
    NodePorts, OwnedList, Port, PortRange, RangeSet, Registry, Render, Reserved, Service, SyncFile,
    Template, Text, check_relative_path,
};
use crate::source::{Source, Span};
use std::borrow::Cow;
use std::collections::HashMap;
#[cfg(feature = "import")]
pub(crate) use yaml::parse as parse_yaml;
pub(crate) use yaml::{Node, Spanned};

mod yaml;

/// Parses `source` into the model, reporting every problem found on the way.
/// Returns `None` only when nothing usable could be read (a syntax error, or a
/// root that is not a mapping).
pub fn load(source: &Source) -> (Option<Registry>, Diagnostics) {
    let mut decoder = Decoder {
        src: source,
        diags: Diagnostics::default(),
        values: 0,
        env_keys: Default::default(),
    };
    if let Some(at) = source.invalid_utf8_at() {
        // The lossy copy holds U+FFFD where the bad byte was.
        let span = source.span(at as usize, char::REPLACEMENT_CHARACTER.len_utf8());
        decoder.diags.push(
            Diagnostic::new(Code::InvalidUtf8, span, "the file is not valid UTF-8")
                .with_label("this byte does not start a UTF-8 character")
                .with_help("save ports.yaml as UTF-8"),
        );
        return (None, decoder.diags);
    }
    let root = match yaml::parse(source) {
        Ok((root, findings)) => {
            for d in findings {
                decoder.diags.push(d);
            }
            root
        }
        Err(d) => {
            decoder.diags.push(*d);
            return (None, decoder.diags);
        }
    };
    let registry = decoder.registry(&root);
    (registry, decoder.diags)
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
}

/// A mapping whose keys have been checked for duplicates (and, for fixed
/// sections, for unknown keys).
struct Table<'n> {
    /// The entries in file order, each key's first occurrence only (later ones are reported).
    entries: Vec<&'n (Spanned<Cow<'n, str>>, Spanned<Node<'n>>)>,
    /// The key that owns this mapping, for "missing key" findings.
    owner: Span,
    what: String,
}

impl<'n> Table<'n> {
    fn get(&self, key: &str) -> Option<&'n Spanned<Node<'n>>> {
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
const RENDER_KEYS: &[&str] = &["dir", "artifacts", "templates"];
const TEMPLATE_KEYS: &[&str] = &["template", "output"];
const SYNC_KEYS: &[&str] = &["file", "values", "lists"];
const LIST_KEYS: &[&str] = &["comment", "item"];
const ENVIRONMENT_KEYS: &[&str] = &["range", "node_ports", "host", "artifacts"];
const NODE_PORT_KEYS: &[&str] = &["range", "offset"];
const SERVICE_KEYS: &[&str] = &["description", "environments", "ports", "processes"];
const PORT_KEYS: &[&str] = &["port", "container_port"];
const INFRASTRUCTURE_KEYS: &[&str] = &["range", "host", "services"];
const INFRA_SERVICE_KEYS: &[&str] = &["port", "container_port", "description", "environments"];
const RESERVED_KEYS: &[&str] = &["port", "range", "reason"];

impl<'s> Decoder<'s> {
    fn next_value(&mut self) -> u32 {
        self.values += 1;
        self.values
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn type_error(&mut self, node: &Spanned<Node<'_>>, expected: &str, what: &str) {
        let span = node.span;
        let found = node.value.kind();
        let mut d = Diagnostic::new(
            Code::InvalidType,
            span,
            format!("{what} must be {expected}, found {found}"),
        )
        .with_label(format!("expected {expected}"));
        if let Node::Str(s) = &node.value
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
        node: &'n Spanned<Node<'n>>,
        what: impl Into<String>,
        owner: Span,
        known: Option<&[&str]>,
    ) -> Option<Table<'n>> {
        let what = what.into();
        let all: &'n [(Spanned<Cow<'n, str>>, Spanned<Node<'n>>)] = match &node.value {
            Node::Map(entries) => entries,
            Node::Null(_) => &[],
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
        let mut entries: Vec<&(Spanned<Cow<'n, str>>, Spanned<Node<'n>>)> =
            Vec::with_capacity(all.len());
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
    ) -> Option<&'n Spanned<Node<'n>>> {
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
    fn string(&mut self, node: &Spanned<Node<'_>>, what: &str) -> Option<String> {
        match &node.value {
            Node::Str(s) => Some(s.clone().into_owned()),
            Node::Int(_, written) | Node::Float(written) | Node::Bool(written) => {
                Some(written.to_string())
            }
            _ => {
                self.type_error(node, "a string", what);
                None
            }
        }
    }

    fn name_value(&mut self, node: &Spanned<Node<'_>>, what: &str) -> Option<Name> {
        let value = self.string(node, &format!("{what} name"))?;
        let span = node.span;
        Some(self.name(&value, span, what))
    }

    fn port(&mut self, node: &Spanned<Node<'_>>, what: &str) -> Option<Port> {
        let span = node.span;
        match &node.value {
            Node::Int(n, written) => {
                let port = Port::from_i128(*n);
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
            Node::Float(written) => {
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

    fn range_item(&mut self, node: &Spanned<Node<'_>>, what: &str) -> Option<PortRange> {
        match &node.value {
            Node::Int(..) => self
                .port(node, what)
                .map(|p| PortRange { start: p, end: p }),
            Node::Str(s) => {
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
    fn range_set(&mut self, node: &Spanned<Node<'_>>, what: &str) -> RangeSet {
        let span = node.span;
        let mut ranges = Vec::new();
        match &node.value {
            Node::Seq(items) => {
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

    fn registry(&mut self, root: &Spanned<Node<'_>>) -> Option<Registry> {
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
        let sync = match root.get("sync") {
            Some(node) => self.sync(node),
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

    fn environments(&mut self, node: &Spanned<Node<'_>>) -> Vec<Environment> {
        let owner = node.span;
        let Some(table) = self.table(node, "`environments`", owner, None) else {
            return Vec::new();
        };
        if table.entries.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::MissingKey,
                    owner,
                    "`environments` declares no environment",
                )
                .with_help("add one, e.g. `local: { range: 8000-8999 }`"),
            );
        }
        let mut out = Vec::new();
        for (key, value) in table.entries.iter().copied() {
            let name = self.key_name(key, "environment");
            let what = format!("environment `{}`", key.value);
            let Some(env) = self.table(value, what.clone(), name.span, Some(ENVIRONMENT_KEYS))
            else {
                continue;
            };
            let range = match self.required(&env, "range", "8000-8999") {
                Some(r) => self.range_set(r, &format!("range of {what}")),
                None => RangeSet {
                    ranges: Vec::new(),
                    span: name.span,
                },
            };
            let node_ports = env
                .get("node_ports")
                .and_then(|n| self.node_ports(n, name.span, &what));
            let host = env.get("host").and_then(|n| self.name_value(n, "host"));
            let artifacts = env
                .get("artifacts")
                .and_then(|n| self.environment_artifacts(n, &what));
            out.push(Environment {
                name,
                range,
                node_ports,
                host,
                artifacts,
            });
        }
        out
    }

    /// `environments.<name>.artifacts`: which per-environment artifacts it gets.
    fn environment_artifacts(
        &mut self,
        node: &Spanned<Node<'_>>,
        what: &str,
    ) -> Option<Vec<Artifact>> {
        let items = self.list(node, &format!("`artifacts` of {what}"))?;
        let per_environment = [Artifact::Env, Artifact::Compose].map(Artifact::as_str);
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.text(item, "artifact") else {
                continue;
            };
            match Artifact::from_name(&name.value) {
                Some(a @ (Artifact::Env | Artifact::Compose)) => {
                    if !out.contains(&a) {
                        out.push(a);
                    }
                }
                found => {
                    let message = match found {
                        Some(_) => format!(
                            "`{}` is one file for every environment, not rendered per environment",
                            name.value
                        ),
                        None => format!("unknown artifact `{}`", name.value.escape_debug()),
                    };
                    let mut d = Diagnostic::new(Code::UnknownKey, name.span, message);
                    d = match did_you_mean(&name.value, per_environment) {
                        Some(best) if found.is_none() => {
                            d.with_help(format!("did you mean `{best}`?"))
                        }
                        _ => d.with_help(format!(
                            "an environment chooses among {}; `render.artifacts` chooses the rest",
                            per_environment.join(" and ")
                        )),
                    };
                    self.push(d);
                }
            }
        }
        out.sort();
        Some(out)
    }

    fn node_ports(
        &mut self,
        node: &Spanned<Node<'_>>,
        owner: Span,
        env: &str,
    ) -> Option<NodePorts> {
        let what = format!("`node_ports` of {env}");
        let table = self.table(node, what.clone(), owner, Some(NODE_PORT_KEYS))?;
        let range = self.required(&table, "range", "30000-32767");
        let offset = self.required(&table, "offset", "23000");
        let range = range.map(|r| self.range_set(r, &format!("range of {what}")))?;
        let offset_node = offset?;
        let offset_span = offset_node.span;
        let offset = match &offset_node.value {
            Node::Int(n, _) if (-65535..=65535).contains(n) => *n as i32,
            _ => {
                self.type_error(
                    offset_node,
                    "an integer from -65535 to 65535",
                    &format!("offset of {what}"),
                );
                return None;
            }
        };
        Some(NodePorts {
            range,
            offset,
            offset_span,
        })
    }

    fn environment_ref(
        &mut self,
        name: &str,
        span: Span,
        environments: &[Environment],
        context: &str,
    ) -> Option<usize> {
        let found = environments.iter().position(|e| e.name.value == name);
        if found.is_none() {
            let mut d = Diagnostic::new(
                Code::UnknownEnvironment,
                span,
                format!(
                    "{context} names environment `{}`, which is not declared",
                    name.escape_debug()
                ),
            );
            d = match did_you_mean(name, environments.iter().map(|e| e.name.as_str())) {
                Some(best) => d.with_help(format!("did you mean `{best}`?")),
                None => d.with_help(format!(
                    "declared environments: {}",
                    environments
                        .iter()
                        .map(|e| e.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            self.push(d);
        }
        found
    }

    fn services(&mut self, node: &Spanned<Node<'_>>, environments: &[Environment]) -> Vec<Service> {
        let owner = node.span;
        let Some(table) = self.table(node, "`services`", owner, None) else {
            return Vec::new();
        };
        self.env_keys.clear();
        for (_, svc) in &table.entries {
            let Node::Map(svc) = &svc.value else { continue };
            for (k, ports) in svc {
                let (true, Node::Map(ports)) = (k.value == "ports", &ports.value) else {
                    continue;
                };
                for (_, port) in ports {
                    if let Node::Map(per_env) = &port.value {
                        for (env, _) in per_env {
                            *self.env_keys.entry(env.value.to_string()).or_default() += 1;
                        }
                    }
                }
            }
        }
        // `ports:` written at the level of the services, right after a
        // service without ports: that service's ports, under-indented.
        let orphan_ports = table.entries.windows(2).find_map(|pair| {
            let [(prev, prev_value), (key, _)] = pair else {
                return None;
            };
            let portless = match &prev_value.value {
                Node::Null(_) => true,
                Node::Map(entries) => !entries.iter().any(|(k, _)| k.value == "ports"),
                _ => false,
            };
            (key.value == "ports" && prev.value != "ports" && portless)
                .then(|| prev.value.to_string())
        });
        let mut out = Vec::new();
        for (key, value) in table.entries.iter().copied() {
            if let Some(owner) = &orphan_ports {
                if key.value == "ports" {
                    self.push(
                        Diagnostic::new(
                            Code::MissingKey,
                            key.span,
                            format!("`ports:` of service `{owner}` is not indented under it"),
                        )
                        .with_label("read as a service named `ports`")
                        .with_help(format!(
                            "indent `ports:` and the lines under it two more spaces, under `{owner}:`"
                        )),
                    );
                    continue;
                }
                if *owner == key.value {
                    // Its ports are the finding above.
                    continue;
                }
            }
            let name = self.key_name(key, "service");
            let what = format!("service `{}`", key.value);
            let mark = self.diags.len();
            let Some(svc) = self.table(value, what.clone(), name.span, Some(SERVICE_KEYS)) else {
                continue;
            };
            // Named ports written beside an empty `ports:` instead of under it.
            if key.value != "ports"
                && svc
                    .get("ports")
                    .is_none_or(|p| matches!(p.value, Node::Null(_)))
            {
                let misplaced: Vec<Span> = svc
                    .entries
                    .iter()
                    .filter(|(k, v)| {
                        !SERVICE_KEYS.contains(&k.value.as_ref())
                            && matches!(v.value, Node::Int(..) | Node::Map(_))
                    })
                    .map(|(k, _)| k.span)
                    .collect();
                if !misplaced.is_empty() {
                    self.diags.retain_since(mark, |d| {
                        !(d.code == Code::UnknownKey && misplaced.contains(&d.primary.span))
                    });
                    let ports_key = svc.entries.iter().find(|(k, _)| k.value == "ports");
                    for (k, _) in svc
                        .entries
                        .iter()
                        .filter(|(k, _)| misplaced.contains(&k.span))
                    {
                        let help = match ports_key {
                            Some(_) => {
                                format!("indent `{}:` two more spaces, under `ports:`", k.value)
                            }
                            None => format!(
                                "put it under a `ports:` key of the service: `ports: {{ {}: … }}`",
                                k.value
                            ),
                        };
                        self.push(
                            Diagnostic::new(
                                Code::UnknownKey,
                                k.span,
                                format!(
                                    "`{}` looks like a named port of service `{}`, but it is not under `ports:`",
                                    k.value, key.value
                                ),
                            )
                            .with_label("read as a key of the service")
                            .with_help(help),
                        );
                    }
                    // No ports finding beside these: the fix above gives it ports.
                    let service = Service {
                        name,
                        description: None,
                        environments: None,
                        ports: Vec::new(),
                        processes: Vec::new(),
                    };
                    out.push(service);
                    continue;
                }
            }
            let description = svc
                .get("description")
                .and_then(|n| self.string(n, "description"));
            let runs_in = svc
                .get("environments")
                .map(|n| self.service_environments(n, environments, &what));
            let processes = svc
                .get("processes")
                .map(|n| self.processes(n, &what))
                .unwrap_or_default();
            let mut service = Service {
                name,
                description,
                environments: runs_in,
                ports: Vec::new(),
                processes,
            };
            match svc.get("ports") {
                // `ports:` written at the level of the services.
                None if key.value == "ports" => self.push(
                    Diagnostic::new(
                        Code::MissingKey,
                        service.name.span,
                        "`ports` is not a service: a service's `ports:` goes inside it, indented under its name".to_owned(),
                    )
                    .with_label("read as a service named `ports`")
                    .with_help("indent `ports:` and its entries under the service they belong to"),
                ),
                // A misspelt `ports:` is an unknown key, whose finding says so.
                None if svc.entries.iter().any(|(k, _)| !SERVICE_KEYS.contains(&k.value.as_ref())) => {}
                None => self.push(no_ports(&service.name, service.name.span)),
                Some(ports) => {
                    service.ports = self.named_ports(ports, &service, environments);
                    let empty = match &ports.value {
                        Node::Null(_) => true,
                        Node::Map(entries) => entries.is_empty(),
                        _ => false,
                    };
                    if empty {
                        self.push(no_ports(&service.name, ports.span));
                    }
                }
            }
            service
                .ports
                .sort_by(|a, b| a.name.value.cmp(&b.name.value));
            out.push(service);
        }
        out
    }

    /// `processes:` of a service: one name or a list, as `/proc/<pid>/comm` shows them.
    fn processes(&mut self, node: &Spanned<Node<'_>>, what: &str) -> Vec<String> {
        let items: Vec<&Spanned<Node<'_>>> = match &node.value {
            Node::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.string(item, "process name") else {
                continue;
            };
            if name.is_empty() || name.chars().any(|c| c.is_control() || c == '/') {
                self.push(
                    Diagnostic::new(
                        Code::InvalidType,
                        item.span,
                        format!(
                            "process name `{}` of {what} is empty or holds `/` or a control character",
                            name.escape_debug()
                        ),
                    )
                    .with_help("write the name `ps -o comm` shows, such as `python3` or `courier`"),
                );
                continue;
            }
            out.push(name);
        }
        out
    }

    fn service_environments(
        &mut self,
        node: &Spanned<Node<'_>>,
        environments: &[Environment],
        what: &str,
    ) -> Vec<usize> {
        let Node::Seq(items) = &node.value else {
            self.type_error(
                node,
                "a list of environment names",
                &format!("`environments` of {what}"),
            );
            return (0..environments.len()).collect();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.string(item, "environment name") else {
                continue;
            };
            let span = item.span;
            if let Some(i) = self.environment_ref(&name, span, environments, what)
                && !out.contains(&i)
            {
                out.push(i);
            }
        }
        out.sort_unstable();
        out
    }

    fn named_ports(
        &mut self,
        node: &Spanned<Node<'_>>,
        service: &Service,
        environments: &[Environment],
    ) -> Vec<NamedPort> {
        let what = format!("`ports` of service `{}`", service.name);
        let Some(table) = self.table(node, what, service.name.span, None) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in table.entries.iter().copied() {
            let name = self.key_name(key, "port");
            let label = format!("`{}.{}`", service.name, key.value);
            let runs_in: Vec<usize> = (0..environments.len())
                .filter(|&e| service.runs_in(e))
                .collect();
            // `scheme:` sits beside the environments or the port (unless an
            // environment is called `scheme`); the rest is read without it.
            let mut scheme = None;
            let without_scheme;
            let value = match &value.value {
                Node::Map(entries)
                    if !environments.iter().any(|e| e.name.as_str() == "scheme")
                        && entries.iter().any(|(k, _)| k.value == "scheme") =>
                {
                    let mut rest = Vec::with_capacity(entries.len());
                    for (k, v) in entries {
                        if k.value != "scheme" {
                            rest.push((k.clone(), v.clone()));
                        } else if scheme.is_none() {
                            scheme = self.scheme(v, &label);
                        }
                    }
                    without_scheme = Spanned {
                        value: Node::Map(rest),
                        span: value.span,
                    };
                    &without_scheme
                }
                _ => value,
            };
            let mut assignments = Vec::new();
            match &value.value {
                Node::Map(entries)
                    if entries.iter().any(|(k, _)| k.value == "port")
                        && entries
                            .iter()
                            .all(|(k, _)| PORT_KEYS.contains(&k.value.as_ref()))
                        && !environments
                            .iter()
                            .any(|e| PORT_KEYS.contains(&e.name.as_str())) =>
                {
                    // `{ port: 8001, container_port: 80 }`: the same in every environment.
                    if let Some((port, container_port, span)) =
                        self.port_pair(value, name.span, &label)
                    {
                        let value = self.next_value();
                        assignments.extend(runs_in.iter().map(|&environment| Assignment {
                            environment,
                            port,
                            container_port,
                            span,
                            value,
                        }));
                    }
                }
                Node::Map(_) | Node::Null(_) => {
                    let Some(per_env) = self.table(value, label.clone(), name.span, None) else {
                        continue;
                    };
                    // Declared environments this port gives no port for, and
                    // the one an undeclared key is likely meant to be: one
                    // finding for the pair, naming both ways to fix it.
                    let given = |e: &Environment| {
                        per_env.entries.iter().any(|(k, _)| k.value == e.name.value)
                    };
                    let mut paired: Vec<usize> = Vec::new();
                    for (env_key, port_node) in per_env.entries.iter().copied() {
                        let env_span = env_key.span;
                        let declared = environments.iter().any(|e| e.name.value == env_key.value);
                        let lacking = runs_in
                            .iter()
                            .copied()
                            .filter(|&e| !given(&environments[e]) && !paired.contains(&e));
                        let meant = lacking.into_iter().find(|&e| {
                            let d = environments[e].name.as_str();
                            d.eq_ignore_ascii_case(&env_key.value)
                                || did_you_mean(&env_key.value, [d]).is_some()
                        });
                        if let (false, Some(e)) = (declared, meant) {
                            paired.push(e);
                            let d = &environments[e].name;
                            let uses = |n: &str| self.env_keys.get(n).copied().unwrap_or(0);
                            let help = if is_valid_name(d.as_str()) && uses(d.as_str()) > 0 {
                                // Other ports write the declared name.
                                format!("rename this key to `{d}`")
                            } else if is_valid_name(d.as_str()) && uses(&env_key.value) < 2 {
                                format!(
                                    "if the declaration is the typo, rename environment `{d}` (line {}) to `{}`; otherwise rename this key to `{d}`",
                                    d.span.line, env_key.value
                                )
                            } else if is_valid_name(d.as_str()) {
                                // Every port writes the same other name.
                                format!(
                                    "rename the declared environment `{d}` (line {}) to `{}`, the name the ports use",
                                    d.span.line, env_key.value
                                )
                            } else {
                                format!(
                                    "rename the declared environment `{d}` (line {}) to `{}`: names are lowercase",
                                    d.span.line, env_key.value
                                )
                            };
                            self.push(
                                Diagnostic::new(
                                    Code::UnknownEnvironment,
                                    env_span,
                                    format!(
                                        "{label} names environment `{}`, but the environment is declared as `{d}`",
                                        env_key.value.escape_debug()
                                    ),
                                )
                                .with_help(help),
                            );
                            continue;
                        }
                        let Some(environment) =
                            self.environment_ref(&env_key.value, env_span, environments, &label)
                        else {
                            continue;
                        };
                        if !service.runs_in(environment) {
                            self.push(
                                Diagnostic::new(
                                    Code::UnknownEnvironment,
                                    env_span,
                                    format!(
                                        "{label} gives a port for `{}`, but service `{}` does not run there",
                                        env_key.value, service.name
                                    ),
                                )
                                .with_help("add the environment to the service's `environments`, or remove this port"),
                            );
                            continue;
                        }
                        let before = self.diags.len();
                        let pair = self.port_pair(
                            port_node,
                            env_span,
                            &format!("{label} in {}", env_key.value),
                        );
                        // A port that is no number: say which numbers would do.
                        if pair.is_none()
                            && let [.., last] = self.diags.since_mut(before)
                            && last.code == Code::InvalidPort
                            && last.help.is_none()
                            && !environments[environment].range.ranges.is_empty()
                        {
                            let env = &environments[environment];
                            last.help = Some(format!(
                                "use a port in the range of {} ({})",
                                env.name, env.range
                            ));
                        }
                        if let Some((port, container_port, span)) = pair {
                            let value = self.next_value();
                            assignments.push(Assignment {
                                environment,
                                port,
                                container_port,
                                span,
                                value,
                            });
                        }
                    }
                    let missing: Vec<&str> = runs_in
                        .iter()
                        .filter(|e| !paired.contains(e))
                        .filter(|&&e| {
                            !per_env
                                .entries
                                .iter()
                                .any(|(k, _)| k.value == environments[e].name.value)
                        })
                        .map(|&e| environments[e].name.as_str())
                        .collect();
                    if !missing.is_empty() {
                        let list = missing
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        self.push(
                            Diagnostic::new(
                                Code::MissingEnvironment,
                                name.span,
                                format!("{label} has no port for {list}"),
                            )
                            .with_help(format!(
                                "add `{}: <port>`, or limit service `{}` with `environments: [...]`",
                                missing[0], service.name
                            )),
                        );
                    }
                }
                _ => {
                    if let Some(port) = self.port(value, &format!("port {label}")) {
                        let span = value.span;
                        let value = self.next_value();
                        assignments.extend(runs_in.iter().map(|&environment| Assignment {
                            environment,
                            port,
                            container_port: port,
                            span,
                            value,
                        }));
                    }
                }
            }
            assignments.sort_by_key(|a| a.environment);
            out.push(NamedPort {
                name,
                assignments,
                scheme,
            });
        }
        out
    }

    /// A URL scheme: `http`, `https`, `grpc`, `ws`… (RFC 3986, lowercase).
    fn scheme(&mut self, node: &Spanned<Node<'_>>, label: &str) -> Option<Text> {
        let text = self.text(node, &format!("scheme of {label}"))?;
        let valid = text.value.len() <= 32
            && text.value.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
        if !valid {
            let written = text.value.escape_debug().to_string();
            let lower = text.value.to_ascii_lowercase();
            let bare = lower.trim_end_matches("://").trim_end_matches(':');
            let help = if bare != written && !bare.is_empty() && !bare.contains(['/', ':']) {
                format!("write `scheme: {bare}`")
            } else {
                "write a scheme such as `http`, `https`, `grpc` or `ws`".to_owned()
            };
            self.push(
                Diagnostic::new(
                    Code::InvalidType,
                    text.span,
                    format!("scheme `{written}` of {label} is not a URL scheme"),
                )
                .with_label(
                    "a URL scheme is lowercase letters, digits, `+`, `-` and `.`, without `://`",
                )
                .with_help(help),
            );
            return None;
        }
        Some(text)
    }

    /// A port written as `8000` or `{ port: 8000, container_port: 80 }`.
    fn port_pair(
        &mut self,
        node: &Spanned<Node<'_>>,
        owner: Span,
        label: &str,
    ) -> Option<(Port, Port, Span)> {
        if let Node::Map(_) = node.value {
            let table = self.table(node, label.to_owned(), owner, Some(PORT_KEYS))?;
            let port_node = self.required(&table, "port", "8000")?;
            let port = self.port(port_node, &format!("port {label}"))?;
            let container_port = match table.get("container_port") {
                Some(n) => self.port(n, &format!("container port {label}"))?,
                None => port,
            };
            Some((port, container_port, port_node.span))
        } else {
            let port = self.port(node, &format!("port {label}"))?;
            Some((port, port, node.span))
        }
    }

    fn infrastructure(
        &mut self,
        node: &Spanned<Node<'_>>,
        environments: &[Environment],
    ) -> Infrastructure {
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
            let environments = entry
                .get("environments")
                .map(|n| self.service_environments(n, environments, &what));
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
            });
        }
        infra
            .services
            .sort_by(|a, b| a.name.value.cmp(&b.name.value));
        infra
    }

    fn reserved(&mut self, node: &Spanned<Node<'_>>) -> Vec<Reserved> {
        let Node::Seq(items) = &node.value else {
            self.type_error(
                node,
                "a list of `{ port, reason }` or `{ range, reason }`",
                "`reserved`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            // A block mapping has no width of its own; point at its first key.
            let owner = match &item.value {
                Node::Map(entries) if !entries.is_empty() => entries[0].0.span,
                _ => item.span,
            };
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
    fn text(&mut self, node: &Spanned<Node<'_>>, what: &str) -> Option<Text> {
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

    /// A path relative to ports.yaml's directory, checked lexically here so that
    /// `cargo build` already refuses one that leaves it.
    fn path(&mut self, node: &Spanned<Node<'_>>, what: &str, placeholders: bool) -> Option<Text> {
        let text = self.text(node, what)?;
        if let Err(message) = check_relative_path(&text.value, placeholders) {
            self.push(
                Diagnostic::new(Code::InvalidPath, text.span, format!("{what}: {message}"))
                    .with_label("not a path inside the registry's directory"),
            );
            return None;
        }
        Some(text)
    }

    fn key_path(&mut self, text: Text, what: &str) -> Option<Text> {
        if let Err(message) = KeyPath::parse(&text.value) {
            self.push(
                Diagnostic::new(
                    Code::InvalidKeyPath,
                    text.span,
                    format!("{what}: {message}"),
                )
                .with_label("expected keys separated by `.`, with `[index]` or `[key=value]`"),
            );
            return None;
        }
        Some(text)
    }

    /// A sequence, or `None` after reporting what was found instead.
    fn list<'n>(
        &mut self,
        node: &'n Spanned<Node<'n>>,
        what: &str,
    ) -> Option<&'n [Spanned<Node<'n>>]> {
        match &node.value {
            Node::Seq(items) => Some(items),
            Node::Null(_) => Some(&[]),
            _ => {
                self.type_error(node, "a list", what);
                None
            }
        }
    }

    fn render(&mut self, node: &Spanned<Node<'_>>) -> Render {
        let owner = node.span;
        let mut render = Render::defaults(owner);
        let Some(table) = self.table(node, "`render`", owner, Some(RENDER_KEYS)) else {
            return render;
        };
        if let Some(dir) = table.get("dir")
            && let Some(dir) = self.path(dir, "`render.dir`", false)
        {
            render.dir = dir;
        }
        if let Some(list) = table.get("artifacts")
            && let Some(items) = self.list(list, "`render.artifacts`")
        {
            render.artifacts.clear();
            for item in items {
                let Some(name) = self.text(item, "artifact") else {
                    continue;
                };
                match Artifact::from_name(&name.value) {
                    Some(a) if !render.artifacts.contains(&a) => render.artifacts.push(a),
                    Some(_) => {}
                    None => {
                        let names = Artifact::ALL.map(Artifact::as_str);
                        let mut d = Diagnostic::new(
                            Code::UnknownKey,
                            name.span,
                            format!("unknown artifact `{}`", name.value),
                        );
                        d = match did_you_mean(&name.value, names) {
                            Some(best) => d.with_help(format!("did you mean `{best}`?")),
                            None => d.with_help(format!("expected one of: {}", names.join(", "))),
                        };
                        self.push(d);
                    }
                }
            }
            render.artifacts.sort();
        }
        if let Some(list) = table.get("templates")
            && let Some(items) = self.list(list, "`render.templates`")
        {
            for item in items {
                let owner = item.span;
                let Some(entry) = self.table(item, "template entry", owner, Some(TEMPLATE_KEYS))
                else {
                    continue;
                };
                let template = self
                    .required(&entry, "template", "templates/nginx.conf.j2")
                    .and_then(|n| self.path(n, "`template`", false));
                let output = self
                    .required(&entry, "output", "generated/nginx.{environment}.conf")
                    .and_then(|n| self.path(n, "`output`", true));
                if let (Some(template), Some(output)) = (template, output) {
                    render.templates.push(Template { template, output });
                }
            }
        }
        render
    }

    fn sync(&mut self, node: &Spanned<Node<'_>>) -> Vec<SyncFile> {
        let Some(items) = self.list(node, "`sync`") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let owner = match &item.value {
                Node::Map(entries) if !entries.is_empty() => entries[0].0.span,
                _ => item.span,
            };
            let Some(entry) = self.table(item, "sync entry", owner, Some(SYNC_KEYS)) else {
                continue;
            };
            let file = self
                .required(&entry, "file", "config/{environment}.yaml")
                .and_then(|n| self.path(n, "`file`", true));
            let mut values = Vec::new();
            if let Some(node) = entry.get("values") {
                values = self.owned_values(node, "`values`");
            }
            let mut lists = Vec::new();
            if let Some(node) = entry.get("lists") {
                let owner = node.span;
                if let Some(table) = self.table(node, "`lists`", owner, None) {
                    for (key, spec) in table.entries.iter().map(|e| (&e.0, &e.1)) {
                        let key = self.key_text(key);
                        let Some(key) = self.key_path(key, "owned list") else {
                            continue;
                        };
                        let Some(spec) = self.table(spec, "owned list", key.span, Some(LIST_KEYS))
                        else {
                            continue;
                        };
                        let comment = spec.get("comment").and_then(|n| self.text(n, "`comment`"));
                        let item = match self.required(&spec, "item", "{ port: \"{{ port }}\" }") {
                            Some(node) => self.owned_values(node, "`item`"),
                            None => continue,
                        };
                        lists.push(OwnedList { key, comment, item });
                    }
                }
            }
            if entry.get("values").is_none() && entry.get("lists").is_none() {
                self.push(
                    Diagnostic::new(Code::MissingKey, owner, "sync entry owns no value")
                        .with_help("add `values: { port: \"{{ port(\'my-service\') }}\" }`"),
                );
            }
            if let Some(file) = file {
                out.push(SyncFile {
                    file,
                    values,
                    lists,
                });
            }
        }
        out
    }

    /// `key.path: "template"` pairs.
    fn owned_values(&mut self, node: &Spanned<Node<'_>>, what: &str) -> Vec<(Text, Text)> {
        let owner = node.span;
        let Some(table) = self.table(node, what, owner, None) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in table.entries.iter().map(|e| (&e.0, &e.1)) {
            let key = self.key_text(key);
            let key = self.key_path(key, "owned key");
            let value = match &value.value {
                Node::Str(_) | Node::Int(..) => self.text(value, "owned value"),
                _ => {
                    self.type_error(value, "a template string or an integer", "an owned value");
                    None
                }
            };
            if let (Some(key), Some(value)) = (key, value) {
                out.push((key, value));
            }
        }
        out
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
