//! The byte-faithful YAML editor on arbitrary documents and edits: when an
//! edit is accepted, the result parses, the edited value reads back (to
//! another YAML parser too, as a string or an integer as written), applying
//! it again changes nothing, and no line but the edited value's is touched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan::edit::{Current, Document, Value};
use portolan::model::{KeyPath, Segment};
use yaml_rust2::Yaml;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A node as yaml-rust2 reads it, scalars with their style: the editor's
/// `get` gives only a scalar's text, so `"8080"` and `8080` look the same.
enum Node {
    Scalar {
        text: String,
        style: TScalarStyle,
        tagged: bool,
    },
    Seq(Vec<Node>),
    /// Keys and values in turn.
    Map(Vec<Node>),
    Alias,
}

impl Node {
    /// Whether the scalar's text is `want`; an empty untagged plain scalar
    /// (null) is `~`, as the editor's parser reports it.
    fn is_text(&self, want: &str) -> bool {
        match self {
            Node::Scalar {
                text,
                style: TScalarStyle::Plain,
                tagged: false,
            } if text.is_empty() => want == "~",
            Node::Scalar { text, .. } => text == want,
            _ => false,
        }
    }

    fn entries(&self) -> impl Iterator<Item = (&Node, &Node)> {
        let kv = match self {
            Node::Map(kv) => kv.as_slice(),
            _ => &[],
        };
        kv.chunks_exact(2).map(|e| (&e[0], &e[1]))
    }

    fn at(&self, path: &KeyPath) -> Option<&Node> {
        path.segments
            .iter()
            .try_fold(self, |node, segment| match (node, segment) {
                (Node::Map(_), Segment::Key(k)) => {
                    node.entries().find(|(key, _)| key.is_text(k)).map(|e| e.1)
                }
                (Node::Seq(items), Segment::Index(i)) => items.get(*i),
                (Node::Seq(items), Segment::Match { key, value }) => items.iter().find(|item| {
                    item.entries()
                        .any(|(k, v)| k.is_text(key) && v.is_text(value))
                }),
                _ => None,
            })
    }
}

#[derive(Default)]
struct Tree {
    open: Vec<Node>,
    documents: Vec<Node>,
}

impl MarkedEventReceiver for Tree {
    fn on_event(&mut self, event: Event, _: Marker) {
        let node = match event {
            Event::SequenceStart(..) => return self.open.push(Node::Seq(Vec::new())),
            Event::MappingStart(..) => return self.open.push(Node::Map(Vec::new())),
            Event::SequenceEnd | Event::MappingEnd => self.open.pop().expect("a node is open"),
            Event::Scalar(text, style, _, tag) => Node::Scalar {
                text,
                style,
                tagged: tag.is_some(),
            },
            Event::Alias(_) => Node::Alias,
            _ => return,
        };
        match self.open.last_mut() {
            Some(Node::Seq(items) | Node::Map(items)) => items.push(node),
            _ => self.documents.push(node),
        }
    }
}

/// The first document's root as yaml-rust2 reads it, if it reads `text`.
fn independent(text: &str) -> Option<Node> {
    let mut tree = Tree::default();
    Parser::new_from_str(text).load(&mut tree, true).ok()?;
    tree.documents.into_iter().next()
}

fn quoted(node: Option<&Node>) -> bool {
    matches!(
        node,
        Some(Node::Scalar {
            style: TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted,
            ..
        })
    )
}

fuzz_target!(|data: &[u8]| {
    // Layout: key path, 0xFF, value, 0xFF, document.
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    let (Some(key), Some(value), Some(doc)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let (Ok(key), Ok(value), Ok(text)) = (
        std::str::from_utf8(key),
        std::str::from_utf8(value),
        std::str::from_utf8(doc),
    ) else {
        return;
    };
    let Ok(path) = KeyPath::parse(key) else {
        return;
    };
    let value = Value::from_rendered(value);
    let Ok(doc) = Document::parse(text) else {
        return;
    };
    let before = doc.get(&path);
    let Ok(result) = doc.apply(&[(path.clone(), value.clone())], &[]) else {
        return;
    };
    let changed = result.is_some();
    let new = result.unwrap_or_else(|| text.to_owned());
    let reread = Document::parse(&new).expect("an accepted edit gives a document that parses");
    assert_eq!(
        reread.get(&path),
        Ok(Current::Scalar(value.as_text())),
        "the edited value reads back"
    );
    assert_eq!(
        reread.apply(&[(path.clone(), value.clone())], &[]),
        Ok(None),
        "applying again changes nothing"
    );
    // A value the edit wrote, where yaml-rust2 reads both texts (the parsers
    // differ on edge cases, tabs around keys among them), reads as the text
    // written and of the type written: an integer, or a string (a quoted
    // value keeps its quotes, so it stays a string). An edit that changes
    // nothing leaves the file's own text, which the editor compares by text.
    let independent = |t: &str| if changed { independent(t) } else { None };
    if let (Some(old_root), Some(root)) = (independent(text), independent(&new)) {
        let old = old_root.at(&path);
        match root.at(&path) {
            Some(Node::Scalar {
                text: got,
                style,
                tagged,
            }) => {
                assert_eq!(*got, value.as_text(), "another parser reads the value");
                if !tagged {
                    let reads = match style {
                        TScalarStyle::Plain => Yaml::from_str(got),
                        _ => Yaml::String(got.clone()),
                    };
                    let want = match &value {
                        Value::Int(n) if !quoted(old) => Yaml::Integer(*n),
                        v => Yaml::String(v.as_text()),
                    };
                    assert_eq!(reads, want, "another parser reads the value's type");
                }
            }
            _ => panic!("another parser finds no scalar at the edited path"),
        }
    }
    if matches!(before, Ok(Current::Scalar(_))) {
        // An existing scalar is replaced in place, in one splice.
        // Compared by bytes, then moved back to character boundaries.
        let mut prefix = text
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !text.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let mut suffix = text[prefix..]
            .bytes()
            .rev()
            .zip(new[prefix..].bytes().rev())
            .take_while(|(a, b)| a == b)
            .count();
        while !text.is_char_boundary(text.len() - suffix)
            || !new.is_char_boundary(new.len() - suffix)
        {
            suffix -= 1;
        }
        let removed = &text[prefix..text.len() - suffix];
        let added = &new[prefix..new.len() - suffix];
        // A multi-line scalar is one value: its continuation lines go with
        // it, but no line of another entry may. A continuation line that
        // looks like `key: value` outside quotes is another entry.
        assert!(
            !added.contains('\n'),
            "the new value spans lines: {added:?}"
        );
        let line_start = text[..prefix].rfind('\n').map_or(0, |i| i + 1);
        let quoted =
            text[line_start..prefix].contains(['"', '\'']) || removed.contains(['"', '\'']);
        // Judge whole words: the bytes the splice kept may end the value with
        // `:"`, which is text, not a key (but what follows a space, such as a
        // comment, is not the value's).
        let end = text.len() - suffix;
        let word_end = text[end..]
            .find(char::is_whitespace)
            .map_or(text.len(), |i| end + i);
        for line in text[line_start..word_end].split('\n').skip(1) {
            let entry =
                line.trim_start().split_once(": ").is_some() || line.trim_end().ends_with(':');
            assert!(
                quoted || !entry,
                "an existing value took another entry's line with it: {removed:?} -> {added:?}"
            );
        }
    }
});
