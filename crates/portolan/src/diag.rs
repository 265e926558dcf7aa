//! Findings as data, and the one place that turns them into text.
//!
//! Every problem Portolan finds in a registry is a [`Diagnostic`]: a severity, a
//! stable [`Code`], a message, a primary [`Label`] (the value at fault), secondary
//! labels (the other holder of a port, the first of two duplicate keys) and an
//! optional help line. The library never prints; [`plain`], [`snippet`] and
//! [`json`] render for the build script and the CLI.

use crate::source::{Source, Span};
use std::fmt::{self, Write as _};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The registry is unusable; `cargo build` and `portolan check` fail.
    Error,
    /// Worth a look; the registry is still valid.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $severity:ident, $what:literal;)*) => {
        /// A stable name for each kind of finding, printed as `error[port-conflict]`
        /// and usable in scripts that read `--format json`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity findings of this kind have.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// One line saying what the code means.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $what,)* }
            }
        }
    };
}

codes! {
    /// The file is not YAML, or exceeds the parser's safety limits.
    YamlSyntax = "yaml-syntax", Error, "the file is not valid YAML (or exceeds the parser's safety limits)";
    /// The file is not UTF-8.
    InvalidUtf8 = "invalid-utf8", Error, "the file is not valid UTF-8";
    /// A mapping has the same key twice.
    DuplicateKey = "duplicate-key", Error, "a mapping holds the same key twice";
    /// A key Portolan does not know.
    UnknownKey = "unknown-key", Error, "a key that the format does not define";
    /// A value of the wrong YAML type.
    InvalidType = "invalid-type", Error, "a value has the wrong type";
    /// A required key is absent.
    MissingKey = "missing-key", Error, "a required key is absent";
    /// A port outside 1–65535, or not an integer.
    InvalidPort = "invalid-port", Error, "a port is not an integer between 1 and 65535";
    /// A malformed range.
    InvalidRange = "invalid-range", Error, "a port range is malformed or empty";
    /// A name that breaks the naming rule.
    InvalidName = "invalid-name", Error, "a name is not lowercase letters, digits, `-` and `_` starting with a letter";
    /// Two names that become the same Rust identifier or `.env` variable.
    IdentifierCollision = "identifier-collision", Error, "two names become the same Rust identifier or .env variable";
    /// A reference to an environment that is not declared.
    UnknownEnvironment = "unknown-environment", Error, "a port names an environment that is not declared";
    /// A named port lacks a port for an environment the service runs in.
    MissingEnvironment = "missing-environment", Error, "a named port gives no port for an environment its service runs in";
    /// One bare port shared by environments on one host.
    SharedAcrossEnvironments = "shared-across-environments", Error, "a bare port is used by several environments that share one host";
    /// Two environment ranges on one host overlap.
    RangeOverlap = "range-overlap", Error, "two environments on one host have overlapping ranges";
    /// A port outside its environment's (or the infrastructure) range.
    OutsideRange = "outside-range", Error, "a port lies outside its environment's or the infrastructure range";
    /// Two holders of one host port.
    PortConflict = "port-conflict", Error, "a host port is used twice";
    /// A port inside a reserved port or range.
    ReservedPort = "reserved-port", Error, "a port lies in a reserved port or range";
    /// A NodePort that is not a valid Kubernetes NodePort for its environment.
    InvalidNodePort = "invalid-node-port", Error, "a NodePort lies outside its range or Kubernetes' 30000-32767";
    /// Two holders of one NodePort.
    NodePortConflict = "node-port-conflict", Error, "a NodePort is used twice";
    /// A path in `render` or `sync` that is absolute, leaves the registry's directory or is malformed.
    InvalidPath = "invalid-path", Error, "an output or target path is absolute, leaves the registry's directory, or uses an unknown placeholder";
    /// An owned key path in `sync` that cannot be read.
    InvalidKeyPath = "invalid-key-path", Error, "an owned key path is malformed";
    /// A service with no named port, which no output shows.
    NoPorts = "no-ports", Warning, "a service has no named port, so no output or constant shows it";
    /// A port in the Linux ephemeral range.
    EphemeralPort = "ephemeral-port", Warning, "a port lies in the Linux ephemeral range 32768-60999, where outgoing connections take ports";
    /// A port below 1024.
    PrivilegedPort = "privileged-port", Warning, "a port below 1024 needs privileges to bind";
    /// `portolan import`: an entry of the source registry that is left out.
    NotImported = "not-imported", Error, "an entry of the registry being imported is left out of the new ports.yaml";
    /// `portolan import`: a problem in the source the import cannot decide.
    ImportUndecided = "import-undecided", Error, "a problem in the registry being imported that must be decided by hand (a port two services hold)";
    /// `portolan import`: a problem in the source, imported after a stated choice.
    ImportChoice = "import-choice", Warning, "a problem in the registry being imported, imported after the choice the message states";
    /// `portolan import`: a value read as another type than written.
    ImportConverted = "import-converted", Warning, "a value of the registry being imported is read as another type than written (a quoted port)";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span with a short note on what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// What the label points at.
    pub span: Span,
    /// What it says about it (may be empty).
    pub message: String,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Its stable kind.
    pub code: Code,
    /// The sentence a user reads first.
    pub message: String,
    /// The value at fault.
    pub primary: Label,
    /// Related places: the other holder of a port, the first duplicate key.
    pub secondary: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A finding of `code` (with its severity) at `span`.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: code.severity(),
            code,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Sets the primary label's note.
    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    /// Adds a related place.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The findings of one run over one source, sorted by position.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// The findings pushed since there were `start`, for a caller that knows more to add.
    pub(crate) fn since_mut(&mut self, start: usize) -> &mut [Diagnostic] {
        let start = start.min(self.0.len());
        &mut self.0[start..]
    }

    /// Keeps the findings pushed since there were `start` that `keep` accepts.
    pub(crate) fn retain_since(&mut self, start: usize, mut keep: impl FnMut(&Diagnostic) -> bool) {
        let mut i = 0;
        self.0.retain(|d| {
            i += 1;
            i <= start || keep(d)
        });
    }

    /// Sorts by location, then code, so output is stable whatever order rules ran in.
    pub(crate) fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (a.primary.span.start, a.code, &a.message).cmp(&(
                b.primary.span.start,
                b.code,
                &b.message,
            ))
        });
    }

    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.0.len() - self.errors()
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// The findings.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Number of findings.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Which findings to print in full when there may be thousands: every error,
/// and the first `per_code` warnings of each code. Returns them in order, with
/// how many warnings of each code were left out (codes in order of first
/// appearance), so a valid registry gets a short output however many
/// warnings it has.
pub fn shown(diagnostics: &Diagnostics, per_code: usize) -> (Vec<&Diagnostic>, Vec<(Code, usize)>) {
    let mut counts: Vec<(Code, usize)> = Vec::new();
    let mut shown = Vec::new();
    for d in diagnostics {
        if d.is_error() {
            shown.push(d);
            continue;
        }
        let i = match counts.iter().position(|(c, _)| *c == d.code) {
            Some(i) => i,
            None => {
                counts.push((d.code, 0));
                counts.len() - 1
            }
        };
        counts[i].1 += 1;
        if counts[i].1 <= per_code {
            shown.push(d);
        }
    }
    let hidden = counts
        .into_iter()
        .filter(|(_, n)| *n > per_code)
        .map(|(c, n)| (c, n - per_code))
        .collect();
    (shown, hidden)
}

/// The line that stands for the warnings [`shown`] left out:
/// `... and 27997 more ephemeral-port warnings (<the code's description>)`.
pub fn hidden_line(code: Code, count: usize) -> String {
    format!(
        "... and {count} more {code} warning{} ({})",
        if count == 1 { "" } else { "s" },
        code.description()
    )
}

/// `text` with control characters escaped: names and values come from the
/// repository, and an escape sequence could rewrite a terminal's or CI log's
/// earlier lines.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| match c.is_control() {
                true => c.escape_default().to_string(),
                false => c.to_string(),
            })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// One line per finding, as compilers print them:
/// `ports.yaml:14:11: error[port-conflict]: …`, with related places and help on
/// the same line (the build script emits each line as one `cargo::error=`).
pub fn plain(source: &Source, d: &Diagnostic) -> String {
    let mut out = format!(
        "{}:{}: {}[{}]: {}",
        source.name(),
        d.primary.span,
        d.severity,
        d.code,
        d.message
    );
    for label in &d.secondary {
        let _ = write!(
            out,
            "; {} at {}:{}",
            label.message,
            source.name(),
            label.span
        );
    }
    if let Some(help) = &d.help {
        let _ = write!(out, "; help: {help}");
    }
    // One finding, one line: names in YAML may hold line breaks.
    out.replace(['\n', '\r'], " ")
}

/// The longest line [`snippet`] shows; longer ones give the one-line form.
#[cfg(feature = "snippets")]
const MAX_SNIPPET_LINE: usize = 4096;
/// The most text [`snippet`] shows between a finding and its related places.
#[cfg(feature = "snippets")]
const MAX_SNIPPET: usize = 1 << 20;

/// A rustc-style view of one finding that underlines the value in the source.
#[cfg(feature = "snippets")]
pub fn snippet(source: &Source, d: &Diagnostic, color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    // Spans come from the parser; snap them to character boundaries anyway,
    // so no input can make the renderer slice inside a character.
    let text = source.text();
    let boundary = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let clamp = |span: Span| {
        let r = span.range();
        let start = boundary(r.start);
        start..boundary(r.end).max(start)
    };
    // Hand the renderer only the lines the annotations cover, not the whole
    // file: it walks every line it is given, so a whole-file snippet per
    // finding would make many findings quadratic in the file's size. A line
    // too long to show gives the one-line form instead.
    let spans = std::iter::once(clamp(d.primary.span))
        .chain(d.secondary.iter().map(|l| clamp(l.span)))
        .collect::<Vec<_>>();
    let lo = spans.iter().map(|r| r.start).min().unwrap_or(0);
    let hi = spans.iter().map(|r| r.end).max().unwrap_or(0);
    let (window, first_line) = source.lines_around(lo, hi);
    let shown = &text[window.clone()];
    if shown.lines().any(|l| l.len() > MAX_SNIPPET_LINE) || shown.len() > MAX_SNIPPET {
        return plain(source, d);
    }
    let shift = |r: std::ops::Range<usize>| r.start - window.start..r.end - window.start;
    let snippet = Snippet::source(shown)
        .line_start(first_line)
        .path(source.name())
        .annotation(
            AnnotationKind::Primary
                .span(shift(spans[0].clone()))
                .label(d.primary.message.as_str()),
        )
        .annotations(d.secondary.iter().zip(&spans[1..]).map(|(l, r)| {
            AnnotationKind::Context
                .span(shift(r.clone()))
                .label(l.message.as_str())
        }));
    let mut group = level
        .primary_title(d.message.as_str())
        .id(d.code.as_str())
        .element(snippet);
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let report: &[Group<'_>] = &[group];
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(report)
}

/// All findings as a JSON array of objects with `severity`, `code`, `message`,
/// `file`, `line`, `column`, `related` (each `file`, `line`, `column`, `message`)
/// and `help`.
#[cfg(feature = "json")]
pub fn json(source: &Source, diagnostics: &Diagnostics) -> String {
    use serde_json::{Value, json};
    let location =
        |span: Span| json!({"file": source.name(), "line": span.line, "column": span.column});
    let items: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut item = location(d.primary.span);
            let related: Vec<Value> = d
                .secondary
                .iter()
                .map(|l| {
                    let mut r = location(l.span);
                    r["message"] = json!(l.message);
                    r
                })
                .collect();
            item["severity"] = json!(d.severity.as_str());
            item["code"] = json!(d.code.as_str());
            item["message"] = json!(d.message);
            item["related"] = json!(related);
            item["help"] = json!(d.help);
            item
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("JSON values always serialize")
}

/// The closing line: `ports.yaml: 2 errors, 1 warning` or `ports.yaml: ok`.
pub fn summary(source: &Source, diagnostics: &Diagnostics) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (diagnostics.errors(), diagnostics.warnings()) {
        (0, 0) => format!("{}: ok", source.name()),
        (0, w) => format!("{}: ok, {}", source.name(), plural(w, "warning")),
        (e, 0) => format!("{}: {}", source.name(), plural(e, "error")),
        (e, w) => format!(
            "{}: {}, {}",
            source.name(),
            plural(e, "error"),
            plural(w, "warning")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_unique() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "two codes share a name");
        for code in Code::ALL {
            let name = code.as_str();
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name} is not kebab-case"
            );
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn plain_is_one_line_with_related_places_and_help() {
        let src = Source::new("ports.yaml", "a: 1\nb: 1\n");
        let d = Diagnostic::new(Code::PortConflict, src.span(8, 1), "port 1 is used twice")
            .with_secondary(src.span(3, 1), "first used\nhere")
            .with_help("use 2");
        assert_eq!(
            plain(&src, &d),
            "ports.yaml:2:4: error[port-conflict]: port 1 is used twice; first used here at ports.yaml:1:4; help: use 2"
        );
    }

    #[test]
    fn shown_keeps_every_error_and_the_first_warnings_of_each_code() {
        let src = Source::new("ports.yaml", "a: 1\n");
        let mut all = Diagnostics::default();
        for _ in 0..4 {
            all.push(Diagnostic::new(Code::EphemeralPort, src.span(0, 1), "e"));
            all.push(Diagnostic::new(Code::PortConflict, src.span(0, 1), "c"));
        }
        all.push(Diagnostic::new(Code::PrivilegedPort, src.span(0, 1), "p"));
        let (shown, hidden) = shown(&all, 2);
        assert_eq!(shown.iter().filter(|d| d.is_error()).count(), 4);
        assert_eq!(shown.len(), 4 + 2 + 1);
        assert_eq!(hidden, vec![(Code::EphemeralPort, 2)]);
        assert!(
            hidden_line(Code::EphemeralPort, 2)
                .starts_with("... and 2 more ephemeral-port warnings (")
        );
    }

    #[cfg(feature = "snippets")]
    #[test]
    fn a_snippet_far_into_a_file_shows_its_own_line_numbers() {
        let text: String = (0..2000).map(|i| format!("k{i}: {i}\n")).collect();
        let src = Source::new("ports.yaml", text.as_str());
        let at = text.find("k1500:").unwrap();
        let first = text.find("k3:").unwrap();
        let d = Diagnostic::new(Code::PortConflict, src.span(at, 5), "taken")
            .with_secondary(src.span(first, 2), "held here");
        let out = snippet(&src, &d, false);
        assert!(out.contains("ports.yaml:1501:1"), "{out}");
        assert!(out.contains("1501 | k1500: 1500"), "{out}");
        assert!(out.contains("   4 | k3: 3"), "{out}");
        assert!(!out.contains("k700"), "{out}");
    }
}
