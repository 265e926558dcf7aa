//! The YAML step of [`super::load`]: granit-parser's events straight into a
//! tree of spanned nodes.
//!
//! Reading events directly (rather than through serde) is what keeps `load`
//! close to the cost of the parse itself: a registry that fills the port space
//! is 2 MB and 300,000 nodes, and serde's per-value dispatch cost more than
//! the parse. The tree is all the decoder needs: values resolved by the YAML
//! 1.2 core schema (only `true`/`false` are booleans), keys as written,
//! duplicates kept (the decoder reports each with both locations), merge keys
//! (`<<`) applied and aliases expanded within a budget, so an alias bomb is a
//! located error rather than gigabytes.

use crate::diag::{Code, Diagnostic};
use crate::source::{Source, Span};
use granit_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use std::borrow::Cow;
use std::collections::HashSet;

/// A value with the place it was written.
#[derive(Clone, Debug)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A YAML value; keys are kept as written.
/// Strings borrow from the source where the parser could (plain and most
/// quoted scalars), so building the tree allocates little beyond the vectors.
#[derive(Clone, Debug)]
pub(crate) enum Node<'t> {
    /// Each scalar keeps its text, for messages and for keys: a copy made
    /// for an alias is reported where the alias is, so its span no longer
    /// covers the text.
    Null(Cow<'t, str>),
    Bool(Cow<'t, str>),
    Int(i128, Cow<'t, str>),
    Float(Cow<'t, str>),
    Str(Cow<'t, str>),
    Seq(Vec<Spanned<Node<'t>>>),
    Map(Vec<(Spanned<Cow<'t, str>>, Spanned<Node<'t>>)>),
}

impl Node<'_> {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null(_) => "nothing",
            Node::Bool(_) => "a boolean",
            Node::Int(..) => "an integer",
            Node::Float(_) => "a number with a fraction",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}

/// Nesting deeper than this is refused by the parser: a registry is five
/// levels deep, and the tree is built and dropped recursively.
const MAX_NESTING: usize = 64;
/// How deep a value may become once aliases are expanded into it.
const MAX_DEPTH: usize = 2 * MAX_NESTING;
/// How much aliases may add in all, in nodes (a string the parser could not
/// borrow from the text counts one node per [`BYTES_PER_NODE`] bytes, since
/// each copy copies it): generous for any real registry, far below what an
/// alias bomb asks for.
const MAX_ALIAS_COST: usize = 1_000_000;
const BYTES_PER_NODE: usize = 64;

/// Parses `src` into its root node (null for an empty document) and the
/// problems that did not stop the read (a key that is not a name, a merge of
/// something that is not a mapping: the entry is left out). A syntax error, a
/// second document, a recursive alias or an alias expansion past the budget
/// is the one diagnostic returned: nothing after it can be read reliably.
pub(crate) fn parse(src: &Source) -> Result<(Spanned<Node<'_>>, Vec<Diagnostic>), Box<Diagnostic>> {
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_NESTING,
        block_nesting_limit: MAX_NESTING,
    };
    let mut builder = Builder {
        src,
        events: Parser::new_from_str_with_options(src.text(), options),
        anchors: Vec::new(),
        alias_cost: 0,
        read_cost: 0,
        anchor_cost: 0,
        findings: Vec::new(),
    };
    let root = builder.document()?;
    Ok((root, builder.findings))
}

/// An anchored value, kept for its aliases.
struct Anchor<'t> {
    node: Spanned<Node<'t>>,
    /// Nesting depth of `node`, so an alias cannot deepen the tree unboundedly.
    height: usize,
    /// What a copy of `node` costs, charged to the alias budget at every use.
    cost: usize,
}

struct Builder<'t> {
    src: &'t Source,
    events: Parser<'t, granit_parser::StrInput<'t>>,
    /// By anchor id (ids count from 1); `None` while the anchored value is
    /// still being read, so an alias inside it is recognised as recursive.
    anchors: Vec<Option<Anchor<'t>>>,
    /// What aliases have copied, against [`MAX_ALIAS_COST`].
    alias_cost: usize,
    /// What the text itself holds, and what keeping anchored values has
    /// copied: nested anchors copy their content once per level, so those
    /// copies may not exceed twice the text's own values plus the alias budget.
    read_cost: usize,
    anchor_cost: usize,
    findings: Vec<Diagnostic>,
}

/// A node with its height and what a copy of it costs.
type Built<'t> = (Spanned<Node<'t>>, usize, usize);

/// What copying a scalar's text costs: nothing when it borrows from the source.
#[allow(clippy::ptr_arg)] // whether the Cow borrows is the question
fn text_cost(text: &Cow<'_, str>) -> usize {
    match text {
        Cow::Borrowed(_) => 0,
        Cow::Owned(s) => s.len() / BYTES_PER_NODE,
    }
}

/// Boxed, so that the `Result` every node passes through stays small.
type Failure = Box<Diagnostic>;

fn fail<T>(d: Diagnostic) -> Result<T, Failure> {
    Err(Box::new(d))
}

impl<'t> Builder<'t> {
    fn next(&mut self) -> Result<Option<(Event<'t>, Span)>, Failure> {
        match self.events.next() {
            None => Ok(None),
            Some(Ok((event, span))) => Ok(Some((event, self.span(&span)))),
            Some(Err(e)) => Err(self.syntax_error(&e)),
        }
    }

    fn span(&self, span: &granit_parser::Span) -> Span {
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start).max(start);
        let len = u32::try_from(self.src.text().len()).unwrap_or(u32::MAX);
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).min(len);
        // The parser's line and column are authoritative (a BOM shifts bytes, not columns).
        Span {
            start: clamp(start),
            end: clamp(end),
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            column: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        }
    }

    fn syntax_error(&self, e: &ScanError) -> Failure {
        let marker = e.marker();
        let start = match marker.byte_offset() {
            Some(b) => b.min(self.src.text().len()),
            None => self.src.offset_of(
                u32::try_from(marker.line()).unwrap_or(u32::MAX),
                u32::try_from(marker.col() + 1).unwrap_or(u32::MAX),
            ),
        };
        let mut span = self.src.span(start, 0);
        if marker.line() > 0 {
            span.line = u32::try_from(marker.line()).unwrap_or(u32::MAX);
            span.column = u32::try_from(marker.col() + 1).unwrap_or(u32::MAX);
        }
        let mut d = match e.kind() {
            granit_parser::ErrorKind::UnknownAnchor => Diagnostic::new(
                Code::YamlSyntax,
                span,
                "this alias refers to no anchor defined before it",
            )
            .with_label("unknown alias")
            .with_help("define the value with `&name` before repeating it with `*name`"),
            _ => Diagnostic::new(Code::YamlSyntax, span, e.info()),
        };
        let before = self.src.text().get(..start).unwrap_or("");
        let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
        if line.contains('\t') {
            d = d.with_help("YAML indents with spaces; replace the tab");
        }
        Box::new(d)
    }

    fn document(&mut self) -> Result<Spanned<Node<'t>>, Failure> {
        let mut root = None;
        while let Some((event, span)) = self.next()? {
            match event {
                Event::StreamStart | Event::DocumentEnd => {}
                Event::StreamEnd => break,
                Event::DocumentStart(..) if root.is_some() => {
                    return fail(
                        Diagnostic::new(
                            Code::YamlSyntax,
                            span,
                            "a second YAML document starts here; ports.yaml holds one",
                        )
                        .with_label("second document")
                        .with_help("merge the documents into one, or remove the `---` line"),
                    );
                }
                Event::DocumentStart(..) => {
                    root = Some(self.node(0)?.0);
                }
                _ => {}
            }
        }
        Ok(root.unwrap_or(Spanned {
            value: Node::Null(Cow::Borrowed("")),
            span: self.src.span(0, 0),
        }))
    }

    /// The next node; `depth` is how deep it sits.
    fn node(&mut self, depth: usize) -> Result<Built<'t>, Failure> {
        match self.item(depth)? {
            Some(built) => Ok(built),
            None => fail(Diagnostic::new(
                Code::YamlSyntax,
                self.src.span(self.src.text().len(), 0),
                "a collection ends where a value was expected",
            )),
        }
    }

    /// The next node, or `None` at the end of the enclosing collection (read
    /// from the stream rather than peeked: a peek copies every event once more).
    fn item(&mut self, depth: usize) -> Result<Option<Built<'t>>, Failure> {
        loop {
            let Some((event, span)) = self.next()? else {
                return fail(Diagnostic::new(
                    Code::YamlSyntax,
                    self.src.span(self.src.text().len(), 0),
                    "the document ends inside a value",
                ));
            };
            return match event {
                Event::Scalar(value, style, anchor, tag) => {
                    let cost = 1 + text_cost(&value);
                    self.read_cost += cost;
                    let node = Spanned {
                        value: resolve(value, style, tag.as_deref()),
                        span,
                    };
                    self.anchored(anchor, (node, 1, cost)).map(Some)
                }
                Event::Alias(id) => self.alias(id, span, depth).map(Some),
                Event::SequenceStart(_, anchor, _) => {
                    self.read_cost += 1;
                    self.open(anchor);
                    let mut items = Vec::new();
                    let (mut height, mut size) = (0, 1);
                    while let Some((item, h, s)) = self.item(depth + 1)? {
                        height = height.max(h);
                        size += s;
                        items.push(item);
                    }
                    let node = Spanned {
                        value: Node::Seq(items),
                        span,
                    };
                    self.anchored(anchor, (node, height + 1, size)).map(Some)
                }
                Event::MappingStart(_, anchor, _) => {
                    self.read_cost += 1;
                    self.open(anchor);
                    let built = self.mapping(span, depth)?;
                    self.anchored(anchor, built).map(Some)
                }
                Event::SequenceEnd | Event::MappingEnd => Ok(None),
                // Comments and anchor names carry no data.
                _ => continue,
            };
        }
    }

    fn mapping(&mut self, span: Span, depth: usize) -> Result<Built<'t>, Failure> {
        let mut entries: Vec<(Spanned<Cow<'t, str>>, Spanned<Node<'t>>)> = Vec::new();
        let mut merges = Vec::new();
        let (mut height, mut size) = (0, 1);
        while let Some((key, _, key_cost)) = self.item(depth + 1)? {
            // `<<` is a merge key only when plain; `"<<"` is an ordinary key.
            let merge =
                matches!(&key.value, Node::Str(k) if k == "<<") && self.src.slice(key.span) == "<<";
            let key = self.key(key);
            let (value, h, s) = self.node(depth + 1)?;
            height = height.max(h);
            size += s + key_cost;
            match key {
                _ if merge => merges.push(value),
                Some(key) => entries.push((key, value)),
                None => {}
            }
        }
        if !merges.is_empty() {
            merge(&mut entries, merges, &mut self.findings);
        }
        let node = Spanned {
            value: Node::Map(entries),
            span,
        };
        Ok((node, height + 1, size))
    }

    /// A mapping key: a scalar's text (`8080:` is the key "8080"). A list or
    /// mapping as a key is reported and its entry left out.
    fn key(&mut self, key: Spanned<Node<'t>>) -> Option<Spanned<Cow<'t, str>>> {
        let text = match key.value {
            Node::Str(t) | Node::Null(t) | Node::Bool(t) | Node::Int(_, t) | Node::Float(t) => t,
            Node::Seq(_) | Node::Map(_) => {
                self.findings.push(
                    Diagnostic::new(
                        Code::InvalidType,
                        key.span,
                        format!("a key must be a name, found {}", key.value.kind()),
                    )
                    .with_label("expected a name")
                    .with_help("keys in ports.yaml are names such as `web` or `api`"),
                );
                return None;
            }
        };
        Some(Spanned {
            value: text,
            span: key.span,
        })
    }

    /// Marks an anchored collection as being read.
    fn open(&mut self, anchor: usize) {
        if anchor != 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize_with(anchor + 1, || None);
            }
            self.anchors[anchor] = None;
        }
    }

    /// Keeps a copy of an anchored value for its aliases. Anchoring every
    /// service, or the whole document, is fine; anchors nested many levels
    /// around a large value are not (each level copies it).
    fn anchored(&mut self, anchor: usize, built: Built<'t>) -> Result<Built<'t>, Failure> {
        if anchor != 0 {
            self.anchor_cost += built.2;
            if self.anchor_cost > 2 * self.read_cost + MAX_ALIAS_COST {
                return Err(too_complex(
                    built.0.span,
                    "anchors nested around this value copy it too many times".to_owned(),
                ));
            }
            if self.anchors.len() <= anchor {
                self.anchors.resize_with(anchor + 1, || None);
            }
            self.anchors[anchor] = Some(Anchor {
                node: built.0.clone(),
                height: built.1,
                cost: built.2,
            });
        }
        Ok(built)
    }

    fn alias(&mut self, id: usize, span: Span, depth: usize) -> Result<Built<'t>, Failure> {
        let Some(Some(anchor)) = self.anchors.get(id) else {
            return fail(
                Diagnostic::new(
                    Code::YamlSyntax,
                    span,
                    "this alias refers to the value that contains it",
                )
                .with_label("recursive alias")
                .with_help("an alias can only repeat a value that is complete before it"),
            );
        };
        let (height, cost) = (anchor.height, anchor.cost);
        if depth + height > MAX_DEPTH {
            return Err(too_complex(
                span,
                format!("aliases nest values more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.alias_cost += cost;
        if self.alias_cost > MAX_ALIAS_COST {
            return Err(too_complex(
                span,
                format!("aliases expand to more than {MAX_ALIAS_COST} values"),
            ));
        }
        let mut node = self.anchors[id]
            .as_ref()
            .map(|a| a.node.clone())
            .ok_or_else(|| too_complex(span, "this alias refers to no value".to_owned()))?;
        // Findings about the value, and everything in it, point where it is used.
        relocate(&mut node, span);
        Ok((node, height, cost))
    }
}

fn too_complex(span: Span, why: String) -> Failure {
    Box::new(
        Diagnostic::new(
            Code::YamlSyntax,
            span,
            format!("the document is too large or too complex: {why}"),
        )
        .with_label("expansion stops here")
        .with_help("write the values out instead of repeating them through aliases"),
    )
}

/// Gives `node` and everything in it the span `at`.
fn relocate(node: &mut Spanned<Node<'_>>, at: Span) {
    node.span = at;
    match &mut node.value {
        Node::Seq(items) => items.iter_mut().for_each(|item| relocate(item, at)),
        Node::Map(entries) => {
            for (key, value) in entries {
                key.span = at;
                relocate(value, at);
            }
        }
        _ => {}
    }
}

/// Applies merge keys: `<<: *base` (or a list of mappings) adds the keys the
/// mapping does not set itself; the first merged mapping wins over later ones.
/// Anything else after `<<` is reported and left out.
fn merge<'t>(
    entries: &mut Vec<(Spanned<Cow<'t, str>>, Spanned<Node<'t>>)>,
    merges: Vec<Spanned<Node<'t>>>,
    findings: &mut Vec<Diagnostic>,
) {
    let mut present: HashSet<Cow<'t, str>> = entries.iter().map(|(k, _)| k.value.clone()).collect();
    let mut maps = Vec::new();
    for value in merges {
        match value.value {
            Node::Map(m) => maps.push(m),
            Node::Seq(items) => {
                for item in items {
                    match item.value {
                        Node::Map(m) => maps.push(m),
                        other => findings.push(not_mergeable(item.span, &other)),
                    }
                }
            }
            other => findings.push(not_mergeable(value.span, &other)),
        }
    }
    for (key, value) in maps.into_iter().flatten() {
        if present.insert(key.value.clone()) {
            entries.push((key, value));
        }
    }
}

fn not_mergeable(span: Span, found: &Node<'_>) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidType,
        span,
        format!("`<<` merges mappings, found {}", found.kind()),
    )
    .with_label("expected a mapping or a list of mappings")
}

/// A scalar's value by the YAML 1.2 core schema, with booleans limited to
/// `true`/`false` spellings (a service called `y` or `no` stays a name).
fn resolve<'t>(value: Cow<'t, str>, style: ScalarStyle, tag: Option<&Tag>) -> Node<'t> {
    if let Some(tag) = tag
        && tag.handle() == "tag:yaml.org,2002:"
    {
        match tag.suffix() {
            "str" | "binary" => return Node::Str(value),
            "null" => return Node::Null(value),
            "bool" => return Node::Bool(value),
            "int" => {
                return match parse_int(value.trim()) {
                    Some(n) => Node::Int(n, value),
                    None => Node::Str(value),
                };
            }
            "float" => return Node::Float(value),
            _ => {}
        }
    }
    if style != ScalarStyle::Plain
        || tag.is_some_and(|t| t.handle() == "!" && t.suffix().is_empty())
    {
        return Node::Str(value);
    }
    let t = value.as_ref();
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null(value),
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return Node::Bool(value),
        _ => {}
    }
    let first = t.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Some(n) = parse_int(t) {
            return Node::Int(n, value);
        }
        if is_float(t) {
            return Node::Float(value);
        }
    }
    Node::Str(value)
}

/// `[-+]?[0-9_]+`, `0x…`, `0o…`: the spellings a YAML parser reads as integers
/// (the decoder refuses all but plain decimal for ports, with the decimal as help).
fn parse_int(t: &str) -> Option<i128> {
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(oct) = digits.strip_prefix("0o") {
        (8, oct)
    } else {
        (10, digits)
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || !digits
            .bytes()
            .all(|b| b == b'_' || (b as char).is_digit(radix))
    {
        return None;
    }
    let n = if digits.contains('_') {
        i128::from_str_radix(&digits.replace('_', ""), radix).ok()?
    } else {
        i128::from_str_radix(digits, radix).ok()?
    };
    Some(if negative { -n } else { n })
}

/// YAML 1.2 core floats: `1.5`, `.5`, `1e3`, `-2.5E-3`, `.inf`, `.nan`, and
/// integers too long for 128 bits.
fn is_float(t: &str) -> bool {
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    whole
        .bytes()
        .chain(fraction.bytes())
        .any(|b| b.is_ascii_digit())
        && digits(whole)
        && digits(fraction)
        && exponent.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(node: Node<'_>) -> Node<'static> {
        let own = |t: Cow<'_, str>| Cow::Owned(t.into_owned());
        match node {
            Node::Str(t) => Node::Str(own(t)),
            Node::Int(n, t) => Node::Int(n, own(t)),
            Node::Float(t) => Node::Float(own(t)),
            Node::Bool(t) => Node::Bool(own(t)),
            Node::Null(t) => Node::Null(own(t)),
            other => panic!("{other:?}"),
        }
    }

    fn value(text: &str) -> Node<'static> {
        let src = Source::new("t.yaml", format!("k: {text}\n"));
        match parse(&src).expect("parses").0.value {
            Node::Map(mut entries) => own(entries.remove(0).1.value),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scalars_resolve_by_the_core_schema() {
        assert!(matches!(value("8080"), Node::Int(8080, _)));
        assert!(matches!(value("-3"), Node::Int(-3, _)));
        assert!(matches!(value("0x1F90"), Node::Int(8080, _)));
        assert!(matches!(value("0o17620"), Node::Int(8080, _)));
        assert!(matches!(value("8_080"), Node::Int(8080, _)));
        assert!(matches!(value("'8080'"), Node::Str(s) if s == "8080"));
        assert!(matches!(value("!!str 8080"), Node::Str(s) if s == "8080"));
        assert!(matches!(value("8080.5"), Node::Float(_)));
        assert!(matches!(value("1e3"), Node::Float(_)));
        assert!(matches!(value(".inf"), Node::Float(_)));
        assert!(matches!(
            value("99999999999999999999999999999999999999999"),
            Node::Float(_)
        ));
        assert!(matches!(value("true"), Node::Bool(_)));
        assert!(matches!(value("yes"), Node::Str(s) if s == "yes"));
        assert!(matches!(value("~"), Node::Null(_)));
        assert!(matches!(value(""), Node::Null(_)));
        assert!(matches!(value("8080-8090"), Node::Str(_)));
        assert!(matches!(value("1.2.3"), Node::Str(_)));
        assert!(matches!(value("-x"), Node::Str(_)));
        assert!(matches!(value("0x"), Node::Str(_)));
        assert!(matches!(value("._"), Node::Str(_)));
        assert!(matches!(value("."), Node::Str(_)));
    }

    /// Asserts that `text` is refused as too large or complex, for `why`.
    fn refused(text: String, why: &str) {
        let d = parse(&Source::new("t.yaml", text)).unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        assert_eq!(
            d.message,
            format!("the document is too large or too complex: {why}")
        );
    }

    /// The integers of the mapping under `key`, in order.
    fn ints(text: &str, key: &str) -> Vec<(String, i128)> {
        let src = Source::new("t.yaml", text);
        let Node::Map(root) = parse(&src).unwrap().0.value else {
            panic!()
        };
        let (_, value) = root.iter().find(|(k, _)| k.value == key).unwrap();
        let Node::Map(m) = &value.value else { panic!() };
        m.iter()
            .map(|(k, v)| match v.value {
                Node::Int(n, _) => (k.value.to_string(), n),
                _ => panic!(),
            })
            .collect()
    }

    fn pairs(expected: &[(&str, i128)]) -> Vec<(String, i128)> {
        expected.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
    }

    #[test]
    fn merge_keys_add_what_the_mapping_does_not_set() {
        let got = ints("base: &b { a: 1, b: 2 }\nm: { <<: *b, b: 3, c: 4 }\n", "m");
        assert_eq!(got, pairs(&[("b", 3), ("c", 4), ("a", 1)]));
    }

    #[test]
    fn explicit_core_tags_decide_the_type() {
        assert!(matches!(value("!!int \"8080\""), Node::Int(8080, _)));
        assert!(matches!(value("!!str true"), Node::Str(s) if s == "true"));
        assert!(matches!(value("!!null ''"), Node::Null(_)));
        assert!(matches!(value("!!float 8080"), Node::Float(_)));
        // A local tag means nothing to Portolan: the value reads as written.
        assert!(matches!(value("!port 8080"), Node::Int(8080, _)));
    }

    #[test]
    fn a_merge_takes_a_list_of_mappings_and_nothing_else() {
        let got = ints(
            "a: &a { x: 1 }\nb: &b { x: 2, y: 3 }\nm: { <<: [*a, *b] }\n",
            "m",
        );
        assert_eq!(got, pairs(&[("x", 1), ("y", 3)]), "the first mapping wins");
        // Reported, left out, and the read goes on.
        let src = Source::new("t.yaml", "m: { <<: 8080, x: 1 }\n".to_owned());
        let (root, findings) = parse(&src).unwrap();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, Code::InvalidType);
        let at = findings[0].primary.span;
        assert_eq!((at.line, at.column), (1, 10));
        let Node::Map(root) = root.value else {
            panic!()
        };
        assert!(matches!(&root[0].1.value, Node::Map(m) if m.len() == 1));
        // Quoted, `<<` is an ordinary key.
        let src = Source::new("t.yaml", "m: { '<<': 8080 }\n".to_owned());
        assert!(parse(&src).is_ok());
    }

    #[test]
    fn aliases_cannot_deepen_the_tree_without_bound() {
        // Each alias nests the previous value one level deeper than it was written.
        let mut text = format!("a0: &a0 {}1{}\n", "[".repeat(60), "]".repeat(60));
        for i in 1..=80 {
            text.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
        }
        refused(text, "aliases nest values more than 128 levels deep");
    }

    #[test]
    fn a_copied_string_costs_its_length() {
        // 64 KB strings the parser cannot borrow (an escape), repeated 10^4
        // times: few values, 640 MB of copies.
        let mut text = format!("a: &a \"\\t{}\"\n", "x".repeat(65_536));
        for (name, prev) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d")] {
            text.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 10].join(",")
            ));
        }
        refused(text, "aliases expand to more than 1000000 values");
    }

    #[test]
    fn anchoring_every_entry_is_not_an_alias_bomb() {
        // The whole document and each of its 25,000 entries anchored: the
        // copies kept for aliases come to 1,050,000 values, past the alias
        // budget, yet nothing is repeated.
        let list: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
        let mut text = String::from("root: &root\n");
        for i in 0..25_000 {
            text.push_str(&format!("  s{i}: &s{i} [{}]\n", list.join(",")));
        }
        assert!(parse(&Source::new("t.yaml", text)).is_ok());
    }

    #[test]
    fn nested_anchors_cannot_multiply_a_large_value() {
        // Each anchor keeps its own copy of the 2 MB string inside it.
        let text = format!(
            "a: {}\"\\t{}\"{}\n",
            (0..60).map(|i| format!("&a{i} [")).collect::<String>(),
            "x".repeat(2 << 20),
            "]".repeat(60)
        );
        refused(
            text,
            "anchors nested around this value copy it too many times",
        );
    }

    #[test]
    fn an_alias_copy_is_reported_where_it_is_used() {
        let src = Source::new(
            "t.yaml",
            "x: &svc { ports: { api: 8001 } }\nweb: *svc\n".to_owned(),
        );
        let Node::Map(root) = parse(&src).unwrap().0.value else {
            panic!()
        };
        let Node::Map(web) = &root[1].1.value else {
            panic!()
        };
        let Node::Map(ports) = &web[0].1.value else {
            panic!()
        };
        let (key, port) = &ports[0];
        for span in [web[0].0.span, key.span, port.span] {
            assert_eq!((span.line, span.column), (2, 6));
        }
        // The text stays the written one.
        assert!(matches!(&port.value, Node::Int(8001, t) if t == "8001"));
    }

    #[test]
    fn keys_are_the_text_of_their_scalar() {
        let src = Source::new(
            "t.yaml",
            "n: &n 12\n*n : a\n!!int \"8\": b\n? [x]\n: c\nd: 1\n".to_owned(),
        );
        let (root, findings) = parse(&src).unwrap();
        let Node::Map(root) = root.value else {
            panic!()
        };
        let keys: Vec<&str> = root.iter().map(|(k, _)| k.value.as_ref()).collect();
        assert_eq!(keys, ["n", "12", "8", "d"]);
        assert_eq!(findings.len(), 1, "the list key is reported and left out");
        assert_eq!(findings[0].code, Code::InvalidType);
    }

    #[test]
    fn a_recursive_alias_is_an_error() {
        let src = Source::new("t.yaml", "a: &a [1, *a]\n".to_owned());
        let d = parse(&src).unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        assert!(d.message.contains("contains it"), "{}", d.message);
    }
}
