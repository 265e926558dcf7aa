//! The editor's view of the YAML layer's tree ([`crate::yaml`]): what kind
//! of node each is, with its style, anchor and tag, aliases unexpanded.

use super::*;
use crate::yaml::Value as Yaml;
pub(super) use crate::yaml::{Key, Node};

/// A mapping entry: its key and value.
pub(super) type Entry<'t> = (Key<'t>, Node<'t>);

/// A node as the editor matches on it.
pub(super) enum Kind<'a, 't> {
    /// `tag`: a tag that changes how the value reads (`!env PORT`, `!!float`).
    Scalar {
        value: &'a Cow<'t, str>,
        style: ScalarStyle,
        anchored: bool,
        tag: Option<&'a str>,
    },
    /// `tagged`: a tag outside YAML's core schema (`!custom`), as written.
    Map {
        entries: &'a [Entry<'t>],
        flow: bool,
        anchored: bool,
        tagged: Option<&'a str>,
    },
    Seq {
        items: &'a [Node<'t>],
        flow: bool,
        anchored: bool,
        tagged: Option<&'a str>,
    },
    Alias,
}

/// What `node` is; `tags` is the tree's tag table.
pub(super) fn kind<'a, 't>(node: &'a Node<'t>, tags: &'a [String]) -> Kind<'a, 't> {
    let tag = usize::from(node.layout_tag())
        .checked_sub(1)
        .and_then(|i| tags.get(i))
        .map(String::as_str);
    let (flow, anchored) = (node.is_flow(), node.is_anchored());
    match &node.value {
        Yaml::Map(entries) => Kind::Map {
            entries,
            flow,
            anchored,
            tagged: tag,
        },
        Yaml::Seq(items) => Kind::Seq {
            items,
            flow,
            anchored,
            tagged: tag,
        },
        Yaml::Alias(_) => Kind::Alias,
        Yaml::Null(value)
        | Yaml::Bool(value)
        | Yaml::Int(_, value)
        | Yaml::Float(value)
        | Yaml::Str(value) => Kind::Scalar {
            value,
            style: node.style(),
            anchored,
            tag,
        },
    }
}

/// A mapping entry's key and its place.
pub(super) trait EntryView<'t> {
    /// `None` for a key that is not a scalar (never owned).
    fn key(&self) -> Option<&str>;
    fn key_start(&self) -> usize;
    fn key_end(&self) -> usize;
    /// 0-based, in characters.
    fn key_col(&self) -> usize;
    /// 1-based.
    fn key_line(&self) -> usize;
    fn value(&self) -> &Node<'t>;
}

impl<'t> EntryView<'t> for Entry<'t> {
    fn key(&self) -> Option<&str> {
        self.1.key_is_named().then_some(self.0.value.as_ref())
    }
    fn key_start(&self) -> usize {
        self.0.span.start as usize
    }
    fn key_end(&self) -> usize {
        self.0.span.end as usize
    }
    fn key_col(&self) -> usize {
        self.0.span.column.saturating_sub(1) as usize
    }
    fn key_line(&self) -> usize {
        self.0.span.line as usize
    }
    fn value(&self) -> &Node<'t> {
        &self.1
    }
}
