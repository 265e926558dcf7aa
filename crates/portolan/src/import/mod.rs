//! `portolan import`: converts the port registries teams keep today into a
//! Portolan ports.yaml, reporting every problem the old file hides instead of
//! copying it.
//!
//! Two source formats are understood:
//!
//! - **Lumiere** ([`Format::Lumiere`]): a YAML file with
//!   `environments.<env>.<service>.<name>_port` keys, optional
//!   `<name>_mapping: "host:container"` strings (with an optional bind address
//!   and `/udp`, imported as `bind:` and `protocol:`), `service_discovery` URLs
//!   (per environment, or at the root keyed by environment) and an
//!   `infrastructure` map of `name: port` or
//!   `name: { port, mapping, container_port, description }`.
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
use crate::model::Protocol;
use crate::{Report, Source, check};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::net::IpAddr;

mod lumiere;
#[cfg(feature = "sync")]
mod propose;
mod rerp;
mod source;
mod values;
mod write;

use lumiere::*;
#[cfg(feature = "sync")]
pub use propose::{Found, Proposal, propose};
use rerp::*;
use source::*;
use values::*;
use write::*;

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
    /// RERP: the NodePort range (default: the blocks of 1000 that hold every
    /// service's NodePort, within Kubernetes' 30000-32767).
    pub node_port_range: Option<(u16, u16)>,
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
#[non_exhaustive]
pub struct Problem {
    /// What is wrong (or was decided) and what to do about it.
    pub message: String,
    /// Where in the source, as a key path: `environments.test.courier.api_mapping`,
    /// `assignments.invoice`; `None` for the file as a whole.
    pub location: Option<String>,
    /// Where in the source text: the key's (or list item's) span.
    pub span: Option<crate::Span>,
    /// What the import did about it.
    pub kind: ProblemKind,
}

/// What the import did with a problem's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Left out of the new ports.yaml: the import fails unless a partial
    /// import is accepted.
    Dropped,
    /// Imported as written, but the new ports.yaml is invalid until it is
    /// decided by hand (a port two services hold).
    Undecided,
    /// Imported as another type than written (a quoted port read as a number).
    Converted,
    /// Imported after a choice the message states (the later of two keys,
    /// the mapping over a disagreeing port), or a decision (notes).
    Decided,
}

impl Problem {
    fn at(location: &str, message: impl Into<String>, kind: ProblemKind) -> Self {
        Self {
            message: message.into(),
            location: (!location.is_empty()).then(|| location.to_owned()),
            span: None,
            kind,
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
    covered: Vec<(crate::Code, String)>,
}

impl Imported {
    /// Whether the new ports.yaml validates (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.report.is_ok()
    }

    /// How many problems left an entry of the source out.
    pub fn dropped(&self) -> usize {
        self.count(ProblemKind::Dropped)
    }

    /// How many values were imported as another type than written.
    pub fn converted(&self) -> usize {
        self.count(ProblemKind::Converted)
    }

    fn count(&self, kind: ProblemKind) -> usize {
        self.problems.iter().filter(|p| p.kind == kind).count()
    }

    /// The problems as findings in `source`, the text that was imported:
    /// each at its key, with the code its kind gives.
    pub fn source_findings(&self, source: &Source) -> Vec<crate::Diagnostic> {
        let mut out: Vec<crate::Diagnostic> = self
            .problems
            .iter()
            .map(|p| {
                let code = match p.kind {
                    ProblemKind::Dropped => crate::Code::NotImported,
                    ProblemKind::Undecided => crate::Code::ImportUndecided,
                    ProblemKind::Converted => crate::Code::ImportConverted,
                    ProblemKind::Decided => crate::Code::ImportChoice,
                };
                let message = match (&p.span, &p.location) {
                    (None, Some(at)) => format!("{at}: {}", p.message),
                    _ => p.message.clone(),
                };
                crate::Diagnostic::new(code, p.span.unwrap_or_else(|| source.span(0, 0)), message)
            })
            .collect();
        out.sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
        out
    }

    /// Whether every entry of the source is in the new ports.yaml.
    pub fn is_complete(&self) -> bool {
        self.dropped() == 0
    }

    /// The findings on the new ports.yaml that the problems do not already
    /// say at their source lines (a port the source gives twice conflicts in
    /// the output too): each finding is printed once.
    pub fn proposed_findings(&self) -> impl Iterator<Item = &crate::Diagnostic> {
        self.report.diagnostics.iter().filter(|d| {
            !self
                .covered
                .iter()
                .any(|(code, start)| d.code == *code && d.message.starts_with(start.as_str()))
        })
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
    let (tree, format, read) = parse(text, format)?;
    let mut cx = Ctx {
        problems: read.left_out,
        index: read.index,
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
        problems: std::mem::take(&mut cx.problems),
        notes: std::mem::take(&mut cx.notes),
        report,
        format,
        services: draft.services.len(),
        environments: draft.envs.len(),
        infrastructure: draft.infra.as_ref().map_or(0, |i| i.services.len()),
        covered: std::mem::take(&mut cx.covered),
    })
}

#[derive(Default)]
struct Ctx {
    problems: Vec<Problem>,
    notes: Vec<Problem>,
    /// Key path → where it is in the source.
    index: HashMap<String, crate::Span>,
    /// Findings of the proposed registry a problem already says at its
    /// source line (a port given twice conflicts in the output too): their
    /// code and the start of their message.
    covered: Vec<(crate::Code, String)>,
    said: HashSet<String>,
    /// Keys that are not ports: key → (count, first location).
    ignored: BTreeMap<String, (usize, String)>,
}

impl Ctx {
    fn located(&self, at: &str, message: impl Into<String>, kind: ProblemKind) -> Problem {
        let mut p = Problem::at(at, message, kind);
        p.span = self.index.get(at).copied();
        p
    }

    /// A problem in the source. One whose entry is left out says so in its
    /// message (`…; not imported`), which is what makes it [`ProblemKind::Dropped`].
    fn problem(&mut self, at: &str, message: impl Into<String>) {
        let message = message.into();
        let kind = match message.contains("not imported") {
            true => ProblemKind::Dropped,
            false => ProblemKind::Decided,
        };
        self.problems.push(self.located(at, message, kind));
    }

    /// A problem the import cannot decide: the new registry is invalid until
    /// it is decided by hand. `covers` is the finding of the new registry it
    /// explains (its code and message start), which is then not said twice.
    fn undecided(&mut self, at: &str, message: impl Into<String>, covers: (crate::Code, String)) {
        self.problems
            .push(self.located(at, message, ProblemKind::Undecided));
        self.covered.push(covers);
    }

    /// Where a key path is, for a message: `line 14`, or the path itself.
    fn line_of(&self, at: &str) -> String {
        match self.index.get(at) {
            Some(span) => format!("line {}", span.line),
            None => at.to_owned(),
        }
    }

    /// A value imported as another type than it is written.
    fn converted(&mut self, at: &str, message: impl Into<String>) {
        self.problems
            .push(self.located(at, message, ProblemKind::Converted));
    }

    fn note(&mut self, at: &str, message: impl Into<String>) {
        self.notes
            .push(self.located(at, message, ProblemKind::Decided));
    }

    /// The port `v` holds; a quoted one is converted with a note, anything
    /// else is a problem that drops the entry.
    fn port(&mut self, v: &Tree, at: &str) -> Option<u16> {
        match port_of(v) {
            Ok(p) => {
                if let Tree::Str(s) = v {
                    self.converted(
                        at,
                        format!(
                            "the port is written as a string ({s:?}); imported as the number {p}. \
                             A quoted port can slip past checks that compare numbers: make sure \
                             no other entry holds {p}"
                        ),
                    );
                }
                Some(p)
            }
            Err(e) => {
                self.problem(at, e);
                None
            }
        }
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
                    // The tools that read the file keep the later one; a
                    // mapping or list it hides is data the import loses.
                    let lost = matches!(out[i].1, Tree::Map(_) | Tree::Seq(_)) && out[i].1 != v;
                    let message = match lost {
                        true => format!(
                            "`{k}` appears twice ({previous}, then {}); the later one wins, as for \
                             the tools that read this file, and the earlier one is not imported: \
                             merge them by hand",
                            describe(v)
                        ),
                        false => format!(
                            "`{k}` appears twice ({previous}, then {}); the later one wins, as for \
                             the tools that read this file, and is imported",
                            describe(v)
                        ),
                    };
                    self.problem(&join(at, k), message);
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
        let mapping = |text: &str| mapping_of(&Tree::Str(text.into()));
        let read = |text: &str| {
            mapping(text).map(|m| (m.host, m.container, m.publish.protocol, m.publish.bind))
        };
        let ip = |text: &str| text.parse::<IpAddr>().ok();
        assert_eq!(read("5433:5432"), Ok((5433, 5432, Protocol::Tcp, None)));
        assert_eq!(
            read("127.0.0.1:80:8080/tcp"),
            Ok((80, 8080, Protocol::Tcp, ip("127.0.0.1")))
        );
        assert_eq!(
            read(" [::1]:53:53/UDP "),
            Ok((53, 53, Protocol::Udp, ip("::1")))
        );
        // Docker reads an unbracketed IPv6 address the same way.
        assert_eq!(read("::1:53:53"), Ok((53, 53, Protocol::Tcp, ip("::1"))));
        // Every address is the default: not a bind address.
        for every in ["0.0.0.0:80:8080", "[::]:80:8080", ":80:8080"] {
            assert_eq!(read(every), Ok((80, 8080, Protocol::Tcp, None)), "{every}");
        }
        // Written back without what is the default.
        for (text, shown) in [
            ("0.0.0.0:80:8080/tcp", "80:8080"),
            ("127.0.0.1:5433:5432", "127.0.0.1:5433:5432"),
            ("[::1]:53:53/udp", "[::1]:53:53/udp"),
        ] {
            assert_eq!(mapping(text).map(|m| m.to_string()), Ok(shown.to_owned()));
        }
        for bad in [
            "80",
            "80:8080/sctp",
            "80:8080/",
            "localhost:80:8080",
            "[::1:80:8080",
            "1.2.3.4.5:80:8080",
            "127.0.0.1::8080",
            "0:8080",
        ] {
            let e = mapping(bad).unwrap_err();
            assert!(e.ends_with("; not imported"), "{bad}: {e}");
        }
        assert!(mapping("80:8080/sctp").unwrap_err().contains("`sctp`"));
        assert!(
            mapping("localhost:80:8080")
                .unwrap_err()
                .contains("`localhost`")
        );
    }

    #[test]
    fn spans_merge_consecutive_ports() {
        assert_eq!(range_text(&spans(&[5433, 5432, 6379])), "[5432-5433, 6379]");
        assert_eq!(range_text(&spans(&[80])), "80");
    }
}
