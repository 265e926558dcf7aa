//! Portolan's one YAML layer: granit-parser's events into one tree of nodes
//! that every reader shares.
//!
//! Each node keeps what both of its readers need: its value resolved by the
//! YAML 1.2 core schema with the text as written (the loader and import),
//! and its byte range, style, anchor and tag, with aliases left as aliases
//! (the editor, which splices bytes and must know what it may not touch).
//! [`parse`] is the loader's reading: [`read`], then the [`expand`] pass that
//! applies merge keys (`<<`) and expands aliases within a budget, so an alias
//! bomb is a located error rather than gigabytes. A document without aliases,
//! merge keys or odd keys (nearly every registry) skips the pass.
//!
//! Reading events directly (rather than through serde) is what keeps `load`
//! close to the cost of the parse itself: a registry that fills the port space
//! is 2 MB and 300,000 nodes, and serde's per-value dispatch cost more than
//! the parse. Keys are kept as written and duplicates kept (the decoder
//! reports each with both locations).

use crate::diag::{Code, Diagnostic};
use crate::source::{Source, Span};
use granit_parser::{Event, Parser, ScalarStyle, ScanError, StructureStyle};
use std::borrow::Cow;

mod core;
mod expand;
#[cfg(any(feature = "sync", feature = "import"))]
mod scalar;

pub(crate) use expand::expand;
#[cfg(feature = "import")]
pub(crate) use scalar::plain_safe;
#[cfg(feature = "sync")]
pub(crate) use scalar::push_double_quoted;
#[cfg(any(feature = "sync", feature = "import"))]
pub(crate) use scalar::{double_quoted, printable};
#[cfg(feature = "sync")]
pub(crate) use scalar::{plain_or_quoted, single_quoted};

/// A value with the place it was written.
#[derive(Clone, Debug)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A mapping key: a scalar's text (`8080:` is the key "8080").
pub(crate) type Key<'t> = Spanned<Cow<'t, str>>;

/// A node: its value, where it starts (`span`; a collection's span is its
/// first token, which is what a finding about it points at) and its layout.
#[derive(Clone, Debug)]
pub(crate) struct Node<'t> {
    pub value: Value<'t>,
    pub span: Span,
    pub layout: Layout,
}

/// A YAML value; keys are kept as written.
/// Strings borrow from the source where the parser could (plain and most
/// quoted scalars), so building the tree allocates little beyond the vectors.
#[derive(Clone, Debug)]
pub(crate) enum Value<'t> {
    /// Each scalar keeps its text, for messages and for keys: a copy made
    /// for an alias is reported where the alias is, so its span no longer
    /// covers the text.
    Null(Cow<'t, str>),
    Bool(Cow<'t, str>),
    /// Saturated at the ends of `i64`; [`Value::exact_int`] has the value.
    Int(i64, Cow<'t, str>),
    Float(Cow<'t, str>),
    Str(Cow<'t, str>),
    Seq(Vec<Node<'t>>),
    Map(Vec<(Key<'t>, Node<'t>)>),
    /// `*name`, by anchor id; [`expand`] replaces it with a copy.
    Alias(usize),
}

impl<'t> Value<'t> {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null(_) => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(..) => "an integer",
            Value::Float(_) => "a number with a fraction",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Alias(_) => "an alias",
        }
    }

    /// An integer's exact value, also past 64 bits.
    #[cfg(feature = "import")]
    pub(crate) fn exact_int(&self) -> Option<i128> {
        match self {
            Value::Int(n, _) if *n != i64::MIN && *n != i64::MAX => Some(i128::from(*n)),
            Value::Int(_, text) => core::parse_int(text.trim()),
            _ => None,
        }
    }

    /// A scalar's text as written (after unescaping).
    pub(crate) fn text(&self) -> Option<&Cow<'t, str>> {
        match self {
            Value::Null(t)
            | Value::Bool(t)
            | Value::Int(_, t)
            | Value::Float(t)
            | Value::Str(t) => Some(t),
            _ => None,
        }
    }
}

// A registry filling the port space is 300,000 nodes: a node stays within a
// cache line's worth, its layout fitting beside the value.
const _: () = assert!(std::mem::size_of::<Node<'static>>() <= 64);

/// How a node is written: what the editor needs besides its value. Eight
/// bytes, which fit in the padding a node has anyway.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Layout {
    /// One past the node's last byte: a block scalar ends after its last
    /// newline, a block collection with its last item, a flow one after
    /// its bracket.
    end: u32,
    /// Index + 1 into `Tree::tags`, 0 when the node has no tag that
    /// changes how it reads.
    tag: u16,
    /// A scalar's [`ScalarStyle`].
    style: u8,
    flags: u8,
}

/// The node carries an anchor (`&name`).
const ANCHORED: u8 = 1;
/// A flow collection (`{…}`, `[…]`).
const FLOW: u8 = 2;
/// The entry holding this value has a key that is not a scalar (a list, a
/// mapping or an alias): the editor never owns it.
const KEY_UNNAMED: u8 = 4;
/// The entry holding this value has a key that is no name (a list or a
/// mapping, also through an alias): the loader leaves it out.
const KEY_DROPPED: u8 = 8;
/// The entry holding this value is a merge (`<<: …`, plain).
const MERGE: u8 = 16;

// The editor's accessors (the `sync` feature).
#[cfg_attr(not(feature = "sync"), allow(dead_code))]
impl Node<'_> {
    fn new(value: Value<'_>, span: Span, end: usize) -> Node<'_> {
        Node {
            value,
            span,
            layout: Layout {
                end: u32::try_from(end).unwrap_or(u32::MAX),
                ..Layout::default()
            },
        }
    }

    /// Byte offset of the node's first byte.
    pub(crate) fn start(&self) -> usize {
        self.span.start as usize
    }

    /// Byte offset one past the node's last byte (see [`Layout::end`]).
    pub(crate) fn end(&self) -> usize {
        self.layout.end as usize
    }

    /// 1-based line of the node's first byte.
    pub(crate) fn line(&self) -> usize {
        self.span.line as usize
    }

    /// 0-based column of the node's first byte, in characters.
    pub(crate) fn col(&self) -> usize {
        self.span.column.saturating_sub(1) as usize
    }

    pub(crate) fn is_flow(&self) -> bool {
        self.layout.flags & FLOW != 0
    }

    pub(crate) fn is_anchored(&self) -> bool {
        self.layout.flags & ANCHORED != 0
    }

    /// A scalar's style (plain for a collection).
    pub(crate) fn style(&self) -> ScalarStyle {
        match self.layout.style {
            1 => ScalarStyle::SingleQuoted,
            2 => ScalarStyle::DoubleQuoted,
            3 => ScalarStyle::Literal,
            4 => ScalarStyle::Folded,
            _ => ScalarStyle::Plain,
        }
    }

    /// Index + 1 into [`Tree::tags`], 0 for none.
    pub(crate) fn layout_tag(&self) -> u16 {
        self.layout.tag
    }

    /// Whether the entry holding this value has a key the editor can name.
    pub(crate) fn key_is_named(&self) -> bool {
        self.layout.flags & KEY_UNNAMED == 0
    }
}

fn style_code(style: ScalarStyle) -> u8 {
    match style {
        ScalarStyle::Plain => 0,
        ScalarStyle::SingleQuoted => 1,
        ScalarStyle::DoubleQuoted => 2,
        ScalarStyle::Literal => 3,
        ScalarStyle::Folded => 4,
    }
}

/// A document read by [`read`]: its root, and what [`expand`] needs.
#[derive(Clone, Debug)]
pub(crate) struct Tree<'t> {
    /// Null (with an empty span) for an empty document.
    pub root: Node<'t>,
    /// Findings that did not stop the read (a key that is not a name).
    pub findings: Vec<Diagnostic>,
    /// The tags that change how a value reads (`!env`, `!!float`), as written.
    pub tags: Vec<String>,
    /// Anchored values as written, by anchor id, for [`expand`].
    anchors: Vec<Option<Anchor<'t>>>,
    /// Whether [`expand`] has anything to do (aliases, merges, dropped keys).
    needs_expansion: bool,
    /// Why the aliases cannot be expanded: the first alias past the budget,
    /// or one inside the value it repeats.
    unexpandable: Option<Box<Diagnostic>>,
}

impl Tree<'_> {
    /// Whether [`expand`] changes the tree (aliases, merges, dropped keys).
    pub(crate) fn needs_expansion(&self) -> bool {
        self.needs_expansion || self.unexpandable.is_some()
    }
}

/// Why a document could not be read at all.
#[derive(Debug)]
#[cfg_attr(not(feature = "sync"), allow(dead_code))]
pub(crate) enum Broken {
    /// Not YAML: the parser's message and 1-based line.
    Syntax {
        diagnostic: Box<Diagnostic>,
        info: String,
        line: usize,
    },
    /// A second document after the first.
    SecondDocument(Box<Diagnostic>),
}

impl Broken {
    pub(crate) fn into_diagnostic(self) -> Box<Diagnostic> {
        match self {
            Broken::Syntax { diagnostic, .. } | Broken::SecondDocument(diagnostic) => diagnostic,
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

/// The loader's reading of `src`: its root node (null for an empty document),
/// merges applied and aliases expanded, and the problems that did not stop
/// the read (a key that is not a name, a merge of something that is not a
/// mapping: the entry is left out). A syntax error, a second document, a
/// recursive alias or an alias expansion past the budget is the one
/// diagnostic returned: nothing after it can be read reliably.
#[cfg(any(feature = "import", test))]
pub(crate) fn parse(src: &Source) -> Result<(Node<'_>, Vec<Diagnostic>), Box<Diagnostic>> {
    let mut tree = read(src.text()).map_err(Broken::into_diagnostic)?;
    expand(&mut tree)?;
    Ok((tree.root, tree.findings))
}

/// Reads `text` into its tree, aliases unexpanded. Only a syntax error or a
/// second document stops the read.
pub(crate) fn read(text: &str) -> Result<Tree<'_>, Broken> {
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_NESTING,
        block_nesting_limit: MAX_NESTING,
    };
    let mut builder = Builder {
        text,
        events: Parser::new_from_str_with_options(text, options),
        tree: Tree {
            root: Node::new(
                Value::Null(Cow::Borrowed("")),
                Span {
                    start: 0,
                    end: 0,
                    line: 1,
                    column: 1,
                },
                0,
            ),
            findings: Vec::new(),
            tags: Vec::new(),
            anchors: Vec::new(),
            needs_expansion: false,
            unexpandable: None,
        },
        alias_cost: 0,
        read_cost: 0,
        anchor_cost: 0,
        closed_at: None,
    };
    let root = builder.document()?;
    let mut tree = builder.tree;
    if let Some(root) = root {
        tree.root = root;
    }
    Ok(tree)
}

/// An anchored value as written, kept for its aliases.
#[derive(Clone, Debug)]
struct Anchor<'t> {
    node: Node<'t>,
    /// Nesting depth of `node` once expanded, so an alias cannot deepen the
    /// tree unboundedly.
    height: usize,
    /// What a copy of `node` costs once expanded, charged to the alias
    /// budget at every use.
    cost: usize,
}

struct Builder<'t> {
    text: &'t str,
    events: Parser<'t, granit_parser::StrInput<'t>>,
    tree: Tree<'t>,
    /// What aliases would copy, against [`MAX_ALIAS_COST`].
    alias_cost: usize,
    /// What the text itself holds, and what keeping anchored values has
    /// copied: nested anchors copy their content once per level, so those
    /// copies may not exceed twice the text's own values plus the alias budget.
    read_cost: usize,
    anchor_cost: usize,
    /// Where the collection whose end was read last closes (a flow
    /// collection's bracket).
    closed_at: Option<usize>,
}

/// A node with its height and what a copy of it costs, expanded.
struct Built<'t> {
    node: Node<'t>,
    height: usize,
    cost: usize,
}

/// What copying a scalar's text costs: nothing when it borrows from the source.
#[allow(clippy::ptr_arg)] // whether the Cow borrows is the question
fn text_cost(text: &Cow<'_, str>) -> usize {
    match text {
        Cow::Borrowed(_) => 0,
        Cow::Owned(s) => s.len() / BYTES_PER_NODE,
    }
}

impl<'t> Builder<'t> {
    fn next(&mut self) -> Result<Option<(Event<'t>, Span, usize)>, Broken> {
        match self.events.next() {
            None => Ok(None),
            Some(Ok((event, span))) => {
                let end = span.end.byte_offset().unwrap_or(0);
                Ok(Some((event, self.span(&span), end)))
            }
            Some(Err(e)) => Err(self.syntax_error(&e)),
        }
    }

    fn span(&self, span: &granit_parser::Span) -> Span {
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start).max(start);
        let len = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).min(len);
        // The parser's line and column are authoritative (a BOM shifts bytes, not columns).
        Span {
            start: clamp(start),
            end: clamp(end),
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            column: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        }
    }

    fn syntax_error(&self, e: &ScanError) -> Broken {
        let src = Source::new("", self.text);
        let marker = e.marker();
        let start = match marker.byte_offset() {
            Some(b) => b.min(self.text.len()),
            None => src.offset_of(
                u32::try_from(marker.line()).unwrap_or(u32::MAX),
                u32::try_from(marker.col() + 1).unwrap_or(u32::MAX),
            ),
        };
        let mut span = src.span(start, 0);
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
        let before = self.text.get(..start).unwrap_or("");
        let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
        if line.contains('\t') {
            d = d.with_help("YAML indents with spaces; replace the tab");
        }
        Broken::Syntax {
            diagnostic: Box::new(d),
            info: e.info().to_owned(),
            line: marker.line(),
        }
    }

    fn document(&mut self) -> Result<Option<Node<'t>>, Broken> {
        let mut root = None;
        while let Some((event, span, _)) = self.next()? {
            match event {
                Event::StreamStart | Event::DocumentEnd => {}
                Event::StreamEnd => break,
                Event::DocumentStart(..) if root.is_some() => {
                    return Err(Broken::SecondDocument(Box::new(
                        Diagnostic::new(
                            Code::YamlSyntax,
                            span,
                            "a second YAML document starts here; ports.yaml holds one",
                        )
                        .with_label("second document")
                        .with_help("merge the documents into one, or remove the `---` line"),
                    )));
                }
                Event::DocumentStart(..) => {
                    root = Some(self.node(0)?.node);
                }
                _ => {}
            }
        }
        Ok(root)
    }

    /// The next node; `depth` is how deep it sits.
    fn node(&mut self, depth: usize) -> Result<Built<'t>, Broken> {
        match self.item(depth)? {
            Some(built) => Ok(built),
            None => Err(self.broken("a collection ends where a value was expected")),
        }
    }

    fn broken(&self, message: &str) -> Broken {
        let src = Source::new("", self.text);
        let span = src.span(self.text.len(), 0);
        Broken::Syntax {
            diagnostic: Box::new(Diagnostic::new(Code::YamlSyntax, span, message)),
            info: message.to_owned(),
            line: span.line as usize,
        }
    }

    /// Index + 1 of a tag kept for the editor.
    fn tag(&mut self, tag: String) -> u16 {
        self.tree.tags.push(tag);
        // Past 65,535 tags, later ones share the last index: still tagged,
        // which is all the editor acts on beyond quoting it.
        u16::try_from(self.tree.tags.len()).unwrap_or(u16::MAX)
    }

    /// The next node, or `None` at the end of the enclosing collection (read
    /// from the stream rather than peeked: a peek copies every event once more).
    fn item(&mut self, depth: usize) -> Result<Option<Built<'t>>, Broken> {
        loop {
            let Some((event, span, end)) = self.next()? else {
                return Err(self.broken("the document ends inside a value"));
            };
            return match event {
                Event::Scalar(value, style, anchor, tag) => {
                    let cost = 1 + text_cost(&value);
                    self.read_cost += cost;
                    // A block scalar's span runs on into the next line's
                    // indentation; it ends after its last newline.
                    let end = match style {
                        ScalarStyle::Literal | ScalarStyle::Folded => self
                            .text
                            .get(span.start as usize..end)
                            .and_then(|t| t.rfind('\n'))
                            .map_or(end, |i| span.start as usize + i + 1),
                        _ => end,
                    };
                    // `!!int` and `!!str` say what the value already is; any
                    // other tag changes how it reads (`!!float 8001` is
                    // 8001.0, `!env PORT` a variable).
                    let shown = tag
                        .as_ref()
                        .filter(|t| {
                            !(t.is_yaml_core_schema_tag("int") || t.is_yaml_core_schema_tag("str"))
                        })
                        .map(|t| t.to_string());
                    let mut node =
                        Node::new(core::resolve(value, style, tag.as_deref()), span, end);
                    node.layout.style = style_code(style);
                    if let Some(shown) = shown {
                        node.layout.tag = self.tag(shown);
                    }
                    Ok(Some(self.anchored(
                        anchor,
                        Built {
                            node,
                            height: 1,
                            cost,
                        },
                    )))
                }
                Event::Alias(id) => Ok(Some(self.alias(id, span, end, depth))),
                Event::SequenceStart(style, anchor, tag) => {
                    self.read_cost += 1;
                    self.open(anchor);
                    let flow = style == StructureStyle::Flow;
                    let mut items = Vec::new();
                    let (mut height, mut cost) = (0, 1);
                    let mut last = end;
                    while let Some(built) = self.item(depth + 1)? {
                        height = height.max(built.height);
                        cost += built.cost;
                        last = built.node.end();
                        items.push(built.node);
                    }
                    if flow {
                        last = self.closed_at.unwrap_or(last);
                    }
                    let mut node = Node::new(Value::Seq(items), span, last);
                    self.collection(&mut node, flow, tag);
                    let built = Built {
                        node,
                        height: height + 1,
                        cost,
                    };
                    Ok(Some(self.anchored(anchor, built)))
                }
                Event::MappingStart(style, anchor, tag) => {
                    self.read_cost += 1;
                    self.open(anchor);
                    let mut built = self.mapping(span, end, depth)?;
                    let flow = style == StructureStyle::Flow;
                    if flow {
                        built.node.layout.end = self.closed_at.map_or(built.node.layout.end, |e| {
                            u32::try_from(e).unwrap_or(u32::MAX)
                        });
                    }
                    self.collection(&mut built.node, flow, tag);
                    Ok(Some(self.anchored(anchor, built)))
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    self.closed_at = Some(end);
                    Ok(None)
                }
                // Comments and anchor names carry no data.
                _ => continue,
            };
        }
    }

    fn collection(
        &mut self,
        node: &mut Node<'t>,
        flow: bool,
        tag: Option<Cow<'_, granit_parser::Tag>>,
    ) {
        if flow {
            node.layout.flags |= FLOW;
        }
        if let Some(tag) = tag.filter(|t| t.is_custom()) {
            node.layout.tag = self.tag(tag.to_string());
        }
    }

    fn mapping(&mut self, span: Span, end: usize, depth: usize) -> Result<Built<'t>, Broken> {
        let mut entries: Vec<(Key<'t>, Node<'t>)> = Vec::new();
        let (mut height, mut cost) = (0, 1);
        let mut last = end;
        while let Some(key) = self.item(depth + 1)? {
            let mut value = self.node(depth + 1)?;
            height = height.max(value.height);
            cost += value.cost + key.cost;
            last = value.node.end().max(key.node.end());
            let (key, flags) = self.key(key.node);
            value.node.layout.flags |= flags;
            if flags & (KEY_DROPPED | MERGE) != 0 {
                self.tree.needs_expansion = true;
            }
            entries.push((key, value.node));
        }
        Ok(Built {
            node: Node::new(Value::Map(entries), span, last),
            height: height + 1,
            cost,
        })
    }

    /// A mapping key: a scalar's text (`8080:` is the key "8080"), also
    /// through an alias, and the flags its entry takes. A list or mapping as
    /// a key is reported and its entry left out by the loader.
    fn key(&mut self, key: Node<'t>) -> (Key<'t>, u8) {
        let mut flags = 0;
        let text = match key.value {
            // `<<` is a merge key only when plain; `"<<"` is an ordinary key.
            Value::Str(t) if t == "<<" && self.text.get(key.span.range()) == Some("<<") => {
                flags |= MERGE;
                t
            }
            Value::Str(t)
            | Value::Null(t)
            | Value::Bool(t)
            | Value::Int(_, t)
            | Value::Float(t) => t,
            Value::Alias(id) => {
                flags |= KEY_UNNAMED;
                let anchored = self.tree.anchors.get(id).and_then(Option::as_ref);
                match anchored.map(|a| (a.node.value.text().cloned(), a.node.value.kind())) {
                    Some((Some(t), _)) => t,
                    Some((None, kind)) => {
                        flags |= self.not_a_name(key.span, kind);
                        Cow::Borrowed("")
                    }
                    // Recursive, or not kept: the expansion has failed already.
                    None => Cow::Borrowed(""),
                }
            }
            Value::Seq(_) | Value::Map(_) => {
                flags |= KEY_UNNAMED | self.not_a_name(key.span, key.value.kind());
                Cow::Borrowed("")
            }
        };
        (
            Spanned {
                value: text,
                span: key.span,
            },
            flags,
        )
    }

    fn not_a_name(&mut self, span: Span, kind: &str) -> u8 {
        self.tree.findings.push(
            Diagnostic::new(
                Code::InvalidType,
                span,
                format!("a key must be a name, found {kind}"),
            )
            .with_label("expected a name")
            .with_help("keys in ports.yaml are names such as `web` or `api`"),
        );
        KEY_DROPPED
    }

    /// Marks an anchored collection as being read.
    fn open(&mut self, anchor: usize) {
        if anchor != 0 {
            if self.tree.anchors.len() <= anchor {
                self.tree.anchors.resize_with(anchor + 1, || None);
            }
            self.tree.anchors[anchor] = None;
        }
    }

    /// Records the first reason the aliases cannot be expanded; after it,
    /// nothing more is copied for them.
    fn unexpandable(&mut self, d: Box<Diagnostic>) {
        self.tree.needs_expansion = true;
        if self.tree.unexpandable.is_none() {
            self.tree.unexpandable = Some(d);
        }
    }

    /// Keeps a copy of an anchored value for its aliases. Anchoring every
    /// service, or the whole document, is fine; anchors nested many levels
    /// around a large value are not (each level copies it).
    fn anchored(&mut self, anchor: usize, mut built: Built<'t>) -> Built<'t> {
        if anchor == 0 {
            return built;
        }
        built.node.layout.flags |= ANCHORED;
        if self.tree.unexpandable.is_some() {
            return built;
        }
        self.anchor_cost += built.cost;
        if self.anchor_cost > 2 * self.read_cost + MAX_ALIAS_COST {
            self.unexpandable(too_complex(
                built.node.span,
                "anchors nested around this value copy it too many times".to_owned(),
            ));
            return built;
        }
        if self.tree.anchors.len() <= anchor {
            self.tree.anchors.resize_with(anchor + 1, || None);
        }
        self.tree.anchors[anchor] = Some(Anchor {
            node: built.node.clone(),
            height: built.height,
            cost: built.cost,
        });
        built
    }

    fn alias(&mut self, id: usize, span: Span, end: usize, depth: usize) -> Built<'t> {
        self.tree.needs_expansion = true;
        let node = Node::new(Value::Alias(id), span, end);
        let (height, cost) = match self.tree.anchors.get(id) {
            Some(Some(anchor)) => (anchor.height, anchor.cost),
            _ if self.tree.unexpandable.is_some() => (1, 1),
            _ => {
                self.unexpandable(Box::new(
                    Diagnostic::new(
                        Code::YamlSyntax,
                        span,
                        "this alias refers to the value that contains it",
                    )
                    .with_label("recursive alias")
                    .with_help("an alias can only repeat a value that is complete before it"),
                ));
                (1, 1)
            }
        };
        if depth + height > MAX_DEPTH {
            self.unexpandable(too_complex(
                span,
                format!("aliases nest values more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.alias_cost = self.alias_cost.saturating_add(cost);
        if self.alias_cost > MAX_ALIAS_COST {
            self.unexpandable(too_complex(
                span,
                format!("aliases expand to more than {MAX_ALIAS_COST} values"),
            ));
        }
        Built { node, height, cost }
    }
}

fn too_complex(span: Span, why: String) -> Box<Diagnostic> {
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

#[cfg(test)]
mod tests;
