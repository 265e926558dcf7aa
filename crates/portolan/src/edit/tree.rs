//! The editor's view of a YAML file: a tree of nodes with byte ranges,
//! styles and anchors, built from parser events, aliases left unexpanded.

use super::*;

/// A parsed YAML node with its byte range.
#[derive(Debug)]
pub(super) struct Node<'t> {
    pub(super) kind: Kind<'t>,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) line: usize,
    pub(super) col: usize,
}

#[derive(Debug)]
pub(super) enum Kind<'t> {
    /// `anchored`: the value carries an anchor (`&a 8080`) that aliases may share.
    /// `tag`: a tag outside YAML's core schema (`!env PORT`), as written.
    Scalar {
        value: Cow<'t, str>,
        style: ScalarStyle,
        anchored: bool,
        tag: Option<String>,
    },
    /// `tagged`: a tag outside YAML's core schema (`!custom`), as written.
    Map {
        entries: Vec<Entry<'t>>,
        flow: bool,
        anchored: bool,
        tagged: Option<String>,
    },
    Seq {
        items: Vec<Node<'t>>,
        flow: bool,
        anchored: bool,
        tagged: Option<String>,
    },
    Alias,
}

#[derive(Debug)]
pub(super) struct Entry<'t> {
    /// `None` for a key that is not a scalar (never owned).
    pub(super) key: Option<Cow<'t, str>>,
    pub(super) key_start: usize,
    pub(super) key_end: usize,
    pub(super) key_col: usize,
    pub(super) key_line: usize,
    pub(super) value: Node<'t>,
}

/// Builds the node tree from parser events.
pub(super) type Located<'t> = (Event<'t>, usize, usize, usize, usize);

pub(super) struct Builder<'t, I: Iterator<Item = Located<'t>>> {
    pub(super) events: std::iter::Peekable<I>,
}

impl<'t, I: Iterator<Item = Located<'t>>> Builder<'t, I> {
    pub(super) fn document(&mut self) -> Option<Node<'t>> {
        loop {
            match self.events.peek()? {
                (Event::StreamStart | Event::DocumentStart(..), ..) => {
                    self.events.next();
                }
                (Event::StreamEnd | Event::DocumentEnd, ..) => return None,
                _ => return self.node(),
            }
        }
    }

    pub(super) fn node(&mut self) -> Option<Node<'t>> {
        loop {
            let (event, start, end, line, col) = self.events.next()?;
            let node = |kind, end| Node {
                kind,
                start,
                end,
                line,
                col,
            };
            return Some(match event {
                Event::Scalar(value, style, anchor, tag) => node(
                    Kind::Scalar {
                        value,
                        style,
                        anchored: anchor != 0,
                        // `!!int` and `!!str` say what the value already is;
                        // any other tag changes how it reads (`!!float 8001`
                        // is 8001.0, `!env PORT` a variable).
                        tag: tag
                            .filter(|t| {
                                !(t.is_yaml_core_schema_tag("int")
                                    || t.is_yaml_core_schema_tag("str"))
                            })
                            .map(|t| t.to_string()),
                    },
                    end,
                ),
                Event::Alias(_) => node(Kind::Alias, end),
                Event::SequenceStart(style, anchor, tag) => {
                    let tagged = tag.filter(|t| t.is_custom()).map(|t| t.to_string());
                    let flow = style == StructureStyle::Flow;
                    let mut items = Vec::new();
                    let mut last = end;
                    loop {
                        match self.events.peek() {
                            Some((Event::SequenceEnd, _, e, ..)) => {
                                if flow {
                                    last = *e;
                                }
                                self.events.next();
                                break;
                            }
                            None => break,
                            _ => {}
                        }
                        if let Some(item) = self.node() {
                            last = item.end;
                            items.push(item);
                        }
                    }
                    node(
                        Kind::Seq {
                            items,
                            flow,
                            anchored: anchor != 0,
                            tagged,
                        },
                        last,
                    )
                }
                Event::MappingStart(style, anchor, tag) => {
                    let tagged = tag.filter(|t| t.is_custom()).map(|t| t.to_string());
                    let flow = style == StructureStyle::Flow;
                    let mut entries = Vec::new();
                    let mut last = end;
                    loop {
                        match self.events.peek() {
                            Some((Event::MappingEnd, _, e, ..)) => {
                                if flow {
                                    last = *e;
                                }
                                self.events.next();
                                break;
                            }
                            None => break,
                            _ => {}
                        }
                        let Some(key) = self.node() else { break };
                        let Some(value) = self.node() else { break };
                        last = value.end.max(key.end);
                        entries.push(Entry {
                            key: match key.kind {
                                Kind::Scalar { value, .. } => Some(value),
                                _ => None,
                            },
                            key_start: key.start,
                            key_end: key.end,
                            key_col: key.col,
                            key_line: key.line,
                            value,
                        });
                    }
                    node(
                        Kind::Map {
                            entries,
                            flow,
                            anchored: anchor != 0,
                            tagged,
                        },
                        last,
                    )
                }
                // Comments and anchors carry no data.
                _ => continue,
            });
        }
    }
}
