//! Byte-faithful edits of YAML files the team owns.
//!
//! An edit never re-serializes a document. The parser gives every node's byte
//! range and scalar style; an edit is a list of `(byte range, new text)` splices
//! applied to the original bytes, so comments, blank lines, key order, quoting
//! and every value Portolan does not own stay byte for byte. After splicing,
//! the result is parsed again and every owned value is read back: an edit that
//! would not read as intended is refused instead of written.
//!
//! The file is long because [`Document`]'s lookups, splices and their
//! verification share one set of invariants about byte ranges and styles;
//! the tree it reads (`tree`), the text it inserts (`fragment`), the
//! scalars it writes (`scalar`) and the other formats (`formats`: `json`,
//! `toml_file`, `dotenv`, `text`) are apart.

use crate::model::{KeyPath, Segment};
use crate::sync::printable;
use granit_parser::ScalarStyle;
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

mod dotenv;
mod formats;
mod fragment;
mod json;
mod list;
mod ports;
mod scalar;
mod text;
mod toml_file;
mod tree;

pub(crate) use formats::{apply_in, get_in, missing_step_in, value_at};
pub use fragment::Fragment;
use fragment::*;
use list::verify_list;
pub use list::{Clash, OwnedItems, Owner};
pub(crate) use ports::{Unowned, unowned_ports};
pub use scalar::plain_or_quoted;
use scalar::*;
use tree::*;

/// Why a file cannot be edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditError {
    /// What went wrong, naming the key path where there is one.
    pub message: String,
    /// 1-based line in the edited file, when the problem has a place.
    pub line: Option<usize>,
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for EditError {}

fn fail<T>(message: impl Into<String>, line: Option<usize>) -> Result<T, EditError> {
    Err(EditError {
        message: message.into(),
        line,
    })
}

/// A value to write: integers are written as YAML integers, strings as strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An integer, written plain.
    Int(i64),
    /// A string, written plain when that reads back as the same string, else quoted.
    Str(String),
}

impl Value {
    /// A rendered template: canonical decimal integers become [`Value::Int`].
    pub fn from_rendered(text: &str) -> Value {
        match text.parse::<i64>() {
            Ok(n) if n.to_string() == text => Value::Int(n),
            _ => Value::Str(text.to_owned()),
        }
    }

    /// The value as YAML reads it back.
    pub fn as_text(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_text())
    }
}

/// One item of an owned list: a comment line and the item's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Written as `# comment` above the item.
    pub comment: Option<String>,
    /// The item's keys and values, in order.
    pub fields: Vec<(String, Value)>,
}

/// What an owned value currently holds, for drift messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Current {
    /// The key is absent.
    Missing,
    /// A scalar, as YAML reads it.
    Scalar(String),
    /// A list or mapping (only lists are owned whole).
    Other,
}

/// A YAML document, read for editing.
#[derive(Debug)]
pub struct Document<'t> {
    text: &'t str,
    root: Option<Node<'t>>,
    /// The tags of the tree's nodes.
    tags: Vec<String>,
}

/// One splice: replace `range` of the original text with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Splice {
    range: Range<usize>,
    text: String,
}

impl<'t> Document<'t> {
    /// Parses `text`; a syntax error, several documents or a root that is not a
    /// mapping is an error.
    pub fn parse(text: &'t str) -> Result<Self, EditError> {
        let tree = crate::yaml::read(text).map_err(|broken| match broken {
            crate::yaml::Broken::Syntax { info, line, .. } => EditError {
                message: format!("not valid YAML: {info}"),
                line: Some(line),
            },
            crate::yaml::Broken::SecondDocument(_) => EditError {
                message: "holds several YAML documents; Portolan edits one".to_owned(),
                line: None,
            },
        })?;
        Self::from_tree(text, tree)
    }

    /// A document over a tree the YAML layer has read from `text` (aliases
    /// unexpanded), so a caller that also loads the file parses it once.
    pub(crate) fn from_tree(text: &'t str, tree: crate::yaml::Tree<'t>) -> Result<Self, EditError> {
        let root = tree.root;
        match kind(&root, &tree.tags) {
            Kind::Map { .. } => {}
            Kind::Scalar { value, .. } if root.start() == root.end() || value == "~" => {}
            _ => return fail("the document's root is not a mapping", Some(root.line())),
        }
        Ok(Document {
            text,
            root: Some(root),
            tags: tree.tags,
        })
    }

    /// What `node` is, its tag read from this document's table.
    fn kind<'a>(&'a self, node: &'a Node<'t>) -> Kind<'a, 't> {
        kind(node, &self.tags)
    }

    fn root_map(&self) -> Option<&Node<'t>> {
        self.root
            .as_ref()
            .filter(|r| matches!(self.kind(r), Kind::Map { .. }))
    }

    /// What `path` holds now.
    pub fn get(&self, path: &KeyPath) -> Result<Current, EditError> {
        Ok(match self.find(path)? {
            Found::Node(node, _) => match self.kind(node) {
                // `key:` with nothing after it.
                Kind::Scalar { .. } if node.start() == node.end() => Current::Missing,
                Kind::Scalar { tag: Some(tag), .. } => {
                    return fail(tagged(path, tag), Some(node.line()));
                }
                Kind::Scalar { value, .. } => Current::Scalar(value.to_string()),
                Kind::Alias => {
                    return fail(
                        format!(
                            "`{path}` is an alias (`*…`) of a value written elsewhere; Portolan does not edit through aliases: write the value here"
                        ),
                        Some(node.line()),
                    );
                }
                _ => Current::Other,
            },
            Found::Missing { .. } => Current::Missing,
        })
    }

    /// Where the value at `path` starts: a byte offset, for drift messages
    /// that point at the line to look at.
    pub fn value_at(&self, path: &KeyPath) -> Option<usize> {
        match self.find(path).ok()? {
            Found::Node(node, _) => Some(node.start()),
            Found::Missing { .. } => None,
        }
    }

    /// When `path` is missing below a mapping that exists: which of its
    /// steps is the first missing one, and the keys that mapping does hold,
    /// each with its line (1-based).
    pub fn missing_step(&self, path: &KeyPath) -> Option<(usize, Vec<(String, usize)>)> {
        match self.find(path).ok()? {
            Found::Missing {
                parent: Some((node, _)),
                rest,
            } => {
                let keys = match self.kind(node) {
                    Kind::Map { entries, .. } => entries
                        .iter()
                        .filter_map(|e| Some((e.key()?.to_owned(), e.key_line())))
                        .collect(),
                    _ => Vec::new(),
                };
                Some((rest, keys))
            }
            _ => None,
        }
    }

    fn find(&self, path: &KeyPath) -> Result<Found<'_>, EditError> {
        let Some(mut node) = self.root_map() else {
            return Ok(Found::Missing {
                parent: None,
                rest: 0,
            });
        };
        let mut entry: Option<&Entry> = None;
        for (i, segment) in path.segments.iter().enumerate() {
            let shown = KeyPath {
                segments: path.segments[..i].to_vec(),
            };
            match (segment, self.kind(node)) {
                (Segment::Key(key), Kind::Map { entries, .. }) => {
                    let mut same = entries.iter().filter(|e| e.key() == Some(key));
                    let found = same.next();
                    // Readers keep one of the two, and not all the same one:
                    // editing either would leave the file read two ways.
                    if let (Some(first), Some(second)) = (found, same.next()) {
                        return fail(
                            format!(
                                "`{}` appears twice in one mapping (lines {} and {}); readers disagree on which counts: remove one",
                                KeyPath {
                                    segments: path.segments[..=i].to_vec()
                                },
                                first.key_line(),
                                second.key_line()
                            ),
                            Some(second.key_line()),
                        );
                    }
                    match found {
                        Some(e) => {
                            entry = Some(e);
                            node = e.value();
                        }
                        None => {
                            return Ok(Found::Missing {
                                parent: Some((node, entry)),
                                rest: i,
                            });
                        }
                    }
                }
                (Segment::Key(_), Kind::Scalar { .. }) if node.start() == node.end() => {
                    // An empty value (`metrics:`) is an empty mapping to fill in.
                    return Ok(Found::Missing {
                        parent: Some((node, entry)),
                        rest: i,
                    });
                }
                (Segment::Index(n), Kind::Seq { items, .. }) => match items.get(*n) {
                    Some(item) => {
                        entry = None;
                        node = item;
                    }
                    None => {
                        return fail(format!("`{shown}` has no item {n}"), Some(node.line()));
                    }
                },
                (Segment::Match { key, value }, Kind::Seq { items, .. }) => {
                    let matches = |item: &&Node<'_>| {
                        match self.kind(item) {
                        Kind::Map { entries, .. } => entries.iter().any(|e| {
                            e.key() == Some(key)
                                && matches!(self.kind(e.value()), Kind::Scalar { value: v, .. } if v == value)
                        }),
                        _ => false,
                    }
                    };
                    let mut hits = items.iter().filter(matches);
                    if let (Some(a), Some(b)) = (hits.next(), hits.next()) {
                        return fail(
                            format!(
                                "`{shown}` has several items with `{key}: {value}` (lines {} and {}); Portolan edits one: make the selector match one item",
                                a.line(),
                                b.line()
                            ),
                            Some(b.line()),
                        );
                    }
                    let hit = items.iter().find(|item| match self.kind(item) {
                        Kind::Map { entries, .. } => entries.iter().any(|e| {
                            e.key() == Some(key)
                                && matches!(self.kind(e.value()), Kind::Scalar { value: v, .. } if v == value)
                        }),
                        _ => false,
                    });
                    match hit {
                        Some(item) => {
                            entry = None;
                            node = item;
                        }
                        None => {
                            return fail(
                                format!("`{shown}` has no item with `{key}: {value}`"),
                                Some(node.line()),
                            );
                        }
                    }
                }
                (_, Kind::Alias) => {
                    return fail(
                        format!("`{shown}` is an alias; Portolan does not edit through aliases"),
                        Some(node.line()),
                    );
                }
                (Segment::Key(_), _) => {
                    return fail(
                        format!(
                            "`{shown}` is not a mapping, so it cannot hold `{segment_text}`",
                            segment_text = segment_text(segment)
                        ),
                        Some(node.line()),
                    );
                }
                (_, _) => {
                    return fail(
                        format!(
                            "`{shown}` is not a list, so it cannot hold `{}`",
                            segment_text(segment)
                        ),
                        Some(node.line()),
                    );
                }
            }
        }
        Ok(Found::Node(node, entry))
    }

    /// Sets the scalar at `path` to `value`, keeping its quoting; adds the key
    /// (and any missing parent mappings) at the end of its mapping if absent.
    pub fn set(&self, path: &KeyPath, value: &Value) -> Result<Option<String>, EditError> {
        let splice = self.set_splice(path, value)?;
        if splice.is_some() {
            self.not_through_anchor(path)?;
        }
        self.finish(splice.into_iter().collect())
    }

    /// Refuses an edit inside an anchored mapping or list (`base: &base`):
    /// every alias of it (`<<: *base`) would change too, unseen.
    pub(super) fn not_through_anchor(&self, path: &KeyPath) -> Result<(), EditError> {
        for depth in 0..path.segments.len() {
            let outer = KeyPath {
                segments: path.segments[..depth].to_vec(),
            };
            let node = match depth {
                0 => self.root.as_ref(),
                _ => match self.find(&outer)? {
                    Found::Node(node, _) => Some(node),
                    Found::Missing { .. } => None,
                },
            };
            let Some(node) = node else { break };
            if let Kind::Map {
                tagged: Some(tag), ..
            }
            | Kind::Seq {
                tagged: Some(tag), ..
            } = self.kind(node)
            {
                let outer = match depth {
                    0 => "the document".to_owned(),
                    _ => format!("`{outer}`"),
                };
                return fail(
                    format!(
                        "`{path}` lies inside {outer}, which carries the tag `{}`; its reader decides what the values inside mean, so Portolan does not edit them",
                        printable(tag)
                    ),
                    Some(node.line()),
                );
            }
            if let Kind::Map { anchored: true, .. } | Kind::Seq { anchored: true, .. } =
                self.kind(node)
            {
                let outer = match depth {
                    0 => "the document".to_owned(),
                    _ => format!("`{outer}`"),
                };
                return fail(
                    format!(
                        "`{path}` lies inside {outer}, which carries an anchor (`&…`); changing it would change every alias of it too: move the owned key out of the anchored part, or write it without the anchor"
                    ),
                    Some(node.line()),
                );
            }
        }
        Ok(())
    }

    /// Applies several owned values and lists; `None` when nothing changes.
    ///
    /// Each edit sees the result of the ones before it, so two missing keys
    /// under one missing parent (`service.port`, `service.nodePort`) share a
    /// single new `service:` mapping.
    pub fn apply(
        &self,
        values: &[(KeyPath, Value)],
        lists: &[OwnedItems],
    ) -> Result<Option<String>, EditError> {
        let team = lists
            .iter()
            .map(|l| self.team_items(l))
            .collect::<Result<Vec<_>, _>>()?;
        let mut text = self.text.to_owned();
        for (path, value) in values {
            let next = Document::parse(&text)?.set(path, value)?;
            if let Some(next) = next {
                text = next;
            }
        }
        for list in lists {
            let next = Document::parse(&text)?.set_list(list)?;
            if let Some(next) = next {
                text = next;
            }
        }
        if text == self.text {
            return Ok(None);
        }
        verify(&text, values, lists, &team)?;
        Ok(Some(text))
    }

    /// Writes `fragment` at `path`: replaces the value there (keeping the key
    /// and any comment before it) or adds the key at the end of its mapping,
    /// in block style, or flow style inside a flow mapping.
    pub fn set_fragment(
        &self,
        path: &KeyPath,
        fragment: &Fragment,
    ) -> Result<Option<String>, EditError> {
        let splice = match self.find(path)? {
            Found::Node(node, Some(entry)) => {
                let flow = self.in_flow(path)?;
                let start = self.after_colon(entry)?;
                let end = node.end().max(start);
                Splice {
                    range: start..end,
                    text: fragment_text(fragment, entry.key_col() + 2, flow),
                }
            }
            Found::Node(node, None) => {
                return fail(
                    format!("`{path}` is a list item, not a key"),
                    Some(node.line()),
                );
            }
            Found::Missing { parent, rest } => {
                let keys = missing_keys(path, rest)?;
                let flow = parent
                    .is_some_and(|(n, _)| matches!(self.kind(n), Kind::Map { flow: true, .. }));
                let block = matches!(fragment, Fragment::Block(_)) && !flow;
                self.insert(
                    parent,
                    &keys,
                    &|indent| fragment_text(fragment, indent, flow),
                    block,
                )?
            }
        };
        let out = self.finish(vec![splice])?;
        if out.is_some() {
            self.not_through_anchor(path)?;
        }
        Ok(out)
    }

    /// Whether the collection directly holding `path`'s node is in flow style.
    fn parent_is_flow(&self, path: &KeyPath) -> bool {
        let parent = KeyPath {
            segments: path.segments[..path.segments.len().saturating_sub(1)].to_vec(),
        };
        if parent.segments.is_empty() {
            return self
                .root_map()
                .is_some_and(|r| matches!(self.kind(r), Kind::Map { flow: true, .. }));
        }
        matches!(
            self.find(&parent).map(|found| match found {
                Found::Node(node, _) => self.kind(node),
                Found::Missing { .. } => Kind::Alias,
            }),
            Ok(Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. })
        )
    }

    /// Whether the first mapping that matches `pattern` is a block mapping
    /// (`Some(true)`) or a flow one (`Some(false)`), `None` when none matches;
    /// `None` in the pattern matches any key: `[Some("services"), None,
    /// Some("ports"), None]` asks how the first port written as a mapping is
    /// written. One walk of the document, however many keys the wildcards match.
    pub fn first_mapping_style(&self, pattern: &[Option<&str>]) -> Option<bool> {
        fn walk(node: &Node, pattern: &[Option<&str>]) -> Option<bool> {
            let Some((first, rest)) = pattern.split_first() else {
                return match &node.value {
                    crate::yaml::Value::Map(_) => Some(!node.is_flow()),
                    _ => None,
                };
            };
            let crate::yaml::Value::Map(entries) = &node.value else {
                return None;
            };
            match first {
                Some(key) => entries
                    .iter()
                    .find(|e| e.key() == Some(*key))
                    .and_then(|e| walk(e.value(), rest)),
                None => entries.iter().find_map(|e| walk(e.value(), rest)),
            }
        }
        walk(self.root_map()?, pattern)
    }

    /// Whether the mapping holding the last key of `path` is a flow mapping.
    fn in_flow(&self, path: &KeyPath) -> Result<bool, EditError> {
        let parent = KeyPath {
            segments: path.segments[..path.segments.len().saturating_sub(1)].to_vec(),
        };
        if parent.segments.is_empty() {
            return Ok(self
                .root_map()
                .is_some_and(|r| matches!(self.kind(r), Kind::Map { flow: true, .. })));
        }
        Ok(
            matches!(self.find(&parent)?, Found::Node(n, _) if matches!(self.kind(n), Kind::Map { flow: true, .. })),
        )
    }

    /// Removes the key at `path` with its value; `None` when it is absent.
    /// In a block mapping its lines go (comments above it stay); in a flow
    /// mapping the entry and one comma go.
    pub fn remove(&self, path: &KeyPath) -> Result<Option<String>, EditError> {
        let Some((Segment::Key(key), parent_segments)) = path.segments.split_last() else {
            return fail(format!("`{path}` does not end in a key"), None);
        };
        let parent_path = KeyPath {
            segments: parent_segments.to_vec(),
        };
        let parent = if parent_segments.is_empty() {
            self.root_map()
        } else {
            match self.find(&parent_path)? {
                Found::Node(n, _) => Some(n),
                Found::Missing { .. } => None,
            }
        };
        let Some(Kind::Map { entries, flow, .. }) = parent.map(|p| self.kind(p)) else {
            return Ok(None);
        };
        let Some(i) = entries.iter().position(|e| e.key() == Some(key)) else {
            return Ok(None);
        };
        let e = &entries[i];
        let range = if flow {
            match (entries.get(i + 1), i.checked_sub(1).map(|j| &entries[j])) {
                (Some(next), _) => e.key_start()..next.key_start(),
                (None, Some(prev)) => {
                    prev.value().end().max(prev.key_end())..e.value().end().max(e.key_end())
                }
                (None, None) => e.key_start()..e.value().end().max(e.key_end()),
            }
        } else {
            let line_start = self.text[..e.key_start()].rfind('\n').map_or(0, |j| j + 1);
            if !self.text[line_start..e.key_start()].trim().is_empty() {
                return fail(
                    format!("`{path}` shares its line with other syntax; remove it by hand"),
                    Some(e.key_line()),
                );
            }
            let end = self.after_value(e.value().end().max(e.key_end()));
            let rest = &self.text[end..];
            let end = end
                + if rest.starts_with("\r\n") {
                    2
                } else {
                    usize::from(rest.starts_with('\n'))
                };
            line_start..end
        };
        self.finish(vec![Splice {
            range,
            text: String::new(),
        }])
    }

    fn finish(&self, mut splices: Vec<Splice>) -> Result<Option<String>, EditError> {
        if splices.is_empty() {
            return Ok(None);
        }
        // Insertions at one point keep the order the values were given in.
        splices.sort_by_key(|s| (s.range.start, s.range.end));
        for pair in splices.windows(2) {
            if pair[0].range.end > pair[1].range.start {
                return fail(
                    "two owned values overlap (one key path lies inside another)",
                    None,
                );
            }
        }
        // New lines follow the file's line endings.
        let crlf = newline_of(self.text) == "\r\n";
        let mut out = String::with_capacity(self.text.len() + 64);
        let mut at = 0;
        for s in &splices {
            out.push_str(&self.text[at..s.range.start]);
            match crlf {
                true => out.push_str(&s.text.replace('\n', "\r\n")),
                false => out.push_str(&s.text),
            }
            at = s.range.end;
        }
        out.push_str(&self.text[at..]);
        Ok((out != self.text).then_some(out))
    }

    fn set_splice(&self, path: &KeyPath, value: &Value) -> Result<Option<Splice>, EditError> {
        match self.find(path)? {
            Found::Node(node, entry) => match self.kind(node) {
                Kind::Scalar {
                    value: old,
                    style,
                    anchored,
                    tag,
                } if node.start() < node.end() => {
                    if let Some(tag) = tag {
                        return fail(tagged(path, tag), Some(node.line()));
                    }
                    if *old == value.as_text() {
                        return Ok(None);
                    }
                    if anchored {
                        return fail(
                            format!(
                                "`{path}` carries an anchor (`&…`); changing it would change every alias of it too, so write the value without the anchor"
                            ),
                            Some(node.line()),
                        );
                    }
                    // A plain value cannot hold ` #`: one inside its span is a
                    // comment the parser let it run past, and replacing the
                    // span would delete it.
                    let span = &self.text.as_bytes()[node.start()..node.end()];
                    if style == ScalarStyle::Plain
                        && span
                            .windows(2)
                            .any(|w| w[1] == b'#' && w[0].is_ascii_whitespace())
                    {
                        return fail(
                            format!(
                                "`{path}` runs over several lines around a comment; write it on one line so Portolan can keep the comment"
                            ),
                            Some(node.line()),
                        );
                    }
                    let text = match style {
                        ScalarStyle::Plain => plain_or_quoted(value, self.parent_is_flow(path)),
                        ScalarStyle::SingleQuoted => single_quoted(&value.as_text()),
                        ScalarStyle::DoubleQuoted => double_quoted(&value.as_text()),
                        ScalarStyle::Literal | ScalarStyle::Folded => {
                            return fail(
                                format!(
                                    "`{path}` is a block scalar (`|` or `>`); write it on one line so Portolan can keep it"
                                ),
                                Some(node.line()),
                            );
                        }
                    };
                    Ok(Some(Splice {
                        range: node.start()..node.end(),
                        text,
                    }))
                }
                Kind::Scalar { .. } => {
                    // `key:` with no value: write it after the colon.
                    let entry = entry.ok_or_else(|| EditError {
                        message: format!("`{path}` has no key to write after"),
                        line: Some(node.line()),
                    })?;
                    let at = self.after_colon(entry)?;
                    Ok(Some(Splice {
                        range: at..at,
                        text: format!(" {}", plain_or_quoted(value, false)),
                    }))
                }
                Kind::Alias => fail(
                    format!(
                        "`{path}` is an alias (`*…`); write the value itself so Portolan can own it"
                    ),
                    Some(node.line()),
                ),
                _ => fail(
                    format!("`{path}` holds a list or mapping, not a single value"),
                    Some(node.line()),
                ),
            },
            Found::Missing { parent, rest } => {
                let keys = missing_keys(path, rest)?;
                let flow = parent
                    .is_some_and(|(n, _)| matches!(self.kind(n), Kind::Map { flow: true, .. }));
                let value = plain_or_quoted(value, flow);
                self.insert(parent, &keys, &|_| format!(" {value}"), false)
                    .map(Some)
            }
        }
    }

    fn list_splice(&self, path: &KeyPath, items: &[Item]) -> Result<Vec<Splice>, EditError> {
        match self.find(path)? {
            Found::Node(node, entry) => {
                let Some(entry) = entry else {
                    return fail(
                        format!("`{path}` is a list item; an owned list must be a mapping's value"),
                        Some(node.line()),
                    );
                };
                let (start, indent) = match self.kind(node) {
                    // The first item's dash: an indentless list starts at its first key.
                    Kind::Seq {
                        flow: false, items, ..
                    } => (
                        self.line_end(entry.key_end()),
                        items
                            .first()
                            .map_or(node.col(), |i| self.dash_line(i.start()).1),
                    ),
                    // `key: []` or `key:`: the items go on the lines after the
                    // key's, below any comment on it, and the `[]` goes.
                    Kind::Seq { flow: true, .. } if !items.is_empty() => {
                        let colon = self.after_colon(entry)?;
                        return Ok(vec![
                            Splice {
                                range: colon..node.end().max(colon),
                                text: String::new(),
                            },
                            Splice {
                                range: self.line_end(entry.key_end())
                                    ..self.line_end(entry.key_end()),
                                text: list_text(items, entry.key_col() + 2),
                            },
                        ]);
                    }
                    Kind::Seq { flow: true, .. } => (self.after_colon(entry)?, entry.key_col() + 2),
                    Kind::Scalar { .. } if node.start() == node.end() && !items.is_empty() => {
                        let end = self.line_end(entry.key_end());
                        return Ok(vec![Splice {
                            range: end..end,
                            text: list_text(items, entry.key_col() + 2),
                        }]);
                    }
                    Kind::Scalar { .. } if node.start() == node.end() => {
                        (self.after_colon(entry)?, entry.key_col() + 2)
                    }
                    _ => {
                        return fail(
                            format!("`{path}` holds a mapping or a quoted value, not a list"),
                            Some(node.line()),
                        );
                    }
                };
                // A list ending in a block scalar ends with its newline: keep it.
                let end = match node.end() > 0 && self.text.as_bytes()[node.end() - 1] == b'\n' {
                    true => self.before_cr(node.end() - 1),
                    false => node.end(),
                }
                .max(start);
                if items.is_empty() && matches!(self.kind(node), Kind::Seq { flow: false, .. }) {
                    // `[]` goes after the colon, before any comment on the key's line.
                    let colon = self.after_colon(entry)?;
                    return Ok(vec![
                        Splice {
                            range: colon..colon,
                            text: " []".to_owned(),
                        },
                        Splice {
                            range: start..end,
                            text: String::new(),
                        },
                    ]);
                }
                let text = list_text(items, indent);
                if self.text[start..end] == text {
                    return Ok(Vec::new());
                }
                Ok(vec![Splice {
                    range: start..end,
                    text,
                }])
            }
            Found::Missing { parent, rest } => {
                let keys = missing_keys(path, rest)?;
                self.insert(parent, &keys, &|indent| list_text(items, indent), true)
                    .map(|s| vec![s])
            }
        }
    }

    /// Adds `keys[0]: … keys[n]:<leaf>` at the end of `parent` (the root when
    /// `None`); `leaf` gets the indentation of the last key's children.
    fn insert(
        &self,
        parent: Option<(&Node, Option<&Entry>)>,
        keys: &[String],
        leaf: &dyn Fn(usize) -> String,
        leaf_is_block: bool,
    ) -> Result<Splice, EditError> {
        let depth = 2 * keys.len();
        let Some((node, entry)) = parent else {
            // A null root (`~`, `null`) gives way to the new mapping.
            if let Some(root) = self.root.as_ref().filter(|r| r.start() < r.end()) {
                return Ok(Splice {
                    range: root.start()..root.end(),
                    text: nested(keys, &leaf(depth), 0),
                });
            }
            // No root mapping yet (an empty file): start one.
            let mut text = String::new();
            if !self.text.is_empty() && !self.text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&nested(keys, &leaf(depth), 0));
            text.push('\n');
            let at = self.text.len();
            return Ok(Splice {
                range: at..at,
                text,
            });
        };
        match self.kind(node) {
            Kind::Map {
                entries,
                flow: false,
                ..
            } if !entries.is_empty() => {
                let indent = entries[0].key_col();
                let at = self.after_value(
                    entries
                        .last()
                        .map_or(node.end(), |e| e.value().end().max(e.key_end())),
                );
                Ok(Splice {
                    range: at..at,
                    text: format!("\n{}", nested(keys, &leaf(indent + depth), indent)),
                })
            }
            Kind::Map {
                entries,
                flow: true,
                ..
            } => {
                let leaf = leaf(0);
                if leaf_is_block || keys.len() > 1 {
                    return fail(
                        format!(
                            "`{}` would go into a flow mapping (`{{…}}`); add it by hand once, then Portolan keeps it",
                            keys.join(".")
                        ),
                        Some(node.line()),
                    );
                }
                let key = key_text(&keys[0]);
                match entries.last() {
                    Some(last) => Ok(Splice {
                        range: last.value().end()..last.value().end(),
                        text: format!(", {key}:{leaf}"),
                    }),
                    None => Ok(Splice {
                        range: node.start() + 1..node.end() - 1,
                        text: format!("{key}:{leaf}"),
                    }),
                }
            }
            Kind::Scalar { .. } => {
                // An empty value becomes a block mapping under its key.
                let Some(entry) = entry else {
                    return fail("cannot add keys here", Some(node.line()));
                };
                let at = self.after_colon(entry)?;
                let indent = entry.key_col() + 2;
                Ok(Splice {
                    range: at..at,
                    text: format!("\n{}", nested(keys, &leaf(indent + depth), indent)),
                })
            }
            _ => fail(
                format!("cannot add `{}` here", keys.join(".")),
                Some(node.line()),
            ),
        }
    }

    /// Where a new line goes after a value ending at `end`: the end of its line,
    /// or, for a block scalar (whose span already takes its final newline), just
    /// before that newline.
    fn after_value(&self, end: usize) -> usize {
        if end > 0 && self.text.as_bytes()[end - 1] == b'\n' {
            self.before_cr(end - 1)
        } else {
            self.line_end(end)
        }
    }

    /// The byte offset of the end of the line holding `at` (before its `\n`,
    /// or its `\r\n`).
    fn line_end(&self, at: usize) -> usize {
        match self.text[at..].find('\n') {
            Some(i) => self.before_cr(at + i),
            None => self.text.len(),
        }
    }

    /// `newline`, or the `\r` before it.
    fn before_cr(&self, newline: usize) -> usize {
        if newline > 0 && self.text.as_bytes()[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        }
    }

    /// The byte offset just after the `:` that follows `entry`'s key.
    fn after_colon(&self, entry: &Entry) -> Result<usize, EditError> {
        let rest = &self.text[entry.key_end()..];
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '"', '\'']).len();
        match rest[skipped..].starts_with(':') {
            true => Ok(entry.key_end() + skipped + 1),
            false => fail("cannot find the `:` after the key", Some(entry.key_line())),
        }
    }
}

enum Found<'d> {
    /// The node, with the mapping entry that holds it (if it is a mapping value).
    Node(&'d Node<'d>, Option<&'d Entry<'d>>),
    /// `path.segments[rest..]` are missing below `parent` (`None`: no root mapping).
    Missing {
        parent: Option<(&'d Node<'d>, Option<&'d Entry<'d>>)>,
        rest: usize,
    },
}

fn segment_text(segment: &Segment) -> String {
    KeyPath {
        segments: vec![segment.clone()],
    }
    .to_string()
}

fn missing_keys(path: &KeyPath, rest: usize) -> Result<Vec<String>, EditError> {
    path.segments[rest..]
        .iter()
        .map(|s| match s {
            Segment::Key(k) => Ok(k.clone()),
            _ => fail(
                format!("`{path}` does not exist, and Portolan does not add list items"),
                None,
            ),
        })
        .collect()
}

/// Parses `new` and reads every owned value back.
fn verify(
    new: &str,
    values: &[(KeyPath, Value)],
    lists: &[OwnedItems],
    team: &[Vec<String>],
) -> Result<(), EditError> {
    let doc = Document::parse(new).map_err(|e| EditError {
        message: format!("the edited file would not parse ({e}); nothing was written"),
        line: None,
    })?;
    for (path, value) in values {
        if doc.get(path)? != Current::Scalar(value.as_text()) {
            return fail(
                format!("`{path}` would not read back as `{value}`; nothing was written"),
                None,
            );
        }
    }
    for (list, team) in lists.iter().zip(team) {
        verify_list(&doc, list, team)?;
    }
    Ok(())
}

/// Why a value with a custom tag is not edited: the tag's reader decides what
/// it means (`!env PORT` reads a variable), and a number under it would not be
/// the port.
fn tagged(path: &KeyPath, tag: &str) -> String {
    format!(
        "`{path}` carries the tag `{}`, which its reader interprets; Portolan does not know what it makes of the value: write the value without the tag, or own another key",
        printable(tag)
    )
}

/// The file's line ending, as its first line has it: what inserted lines use.
/// The 1-based line and column of byte `offset` in `text` (the column in
/// characters, as editors count).
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    // A byte-order mark is no column an editor shows.
    let on_line = before[line_start..].trim_start_matches('\u{feff}');
    (
        before.matches('\n').count() + 1,
        on_line.chars().count() + 1,
    )
}

pub(crate) fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}
