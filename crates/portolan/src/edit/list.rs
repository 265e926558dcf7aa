//! Owned lists that the team shares: Portolan keeps its own items in line
//! with ports.yaml and leaves every other item, and every comment, byte for
//! byte.
//!
//! Portolan's items are told apart by a marker, never by position: the
//! fixed text its `# comment` line starts with (`# portolan: billing api`),
//! or the value of an item key it renders (`name: billing`). An item of
//! Portolan's that ports.yaml still produces is updated in place (its other
//! keys and comments stay); one it no longer produces (a released service's)
//! is removed with its comment line, which only the marker can prove; a new
//! one goes after Portolan's last item, indented and styled like the list's.

use super::*;

/// How Portolan's items in an owned list are told from the team's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Items under a `# comment` line (blank lines may part them) that is
    /// one Portolan writes now, or that this regular expression matches in
    /// full: the comment template with each variable one word
    /// (`portolan: \S+ \S+`), so a released service's item is recognised
    /// and a team comment that merely starts alike is not.
    Comment(String),
    /// Mapping items whose value at this key is one Portolan renders; the
    /// rest, a released service's included, are the team's.
    Key(String),
}

/// The items Portolan owns in one list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedItems {
    /// The key path of the list.
    pub path: KeyPath,
    /// How Portolan's items are recognised.
    pub owner: Owner,
    /// Portolan's items, in the order new ones are written.
    pub items: Vec<Item>,
}

/// A team item whose value at a key equals one of Portolan's items': two
/// entries publishing one port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    /// 1-based line of the team's item.
    pub line: usize,
    /// The key both items hold.
    pub key: String,
    /// The value both hold.
    pub value: String,
    /// Portolan's item: its comment, else its fields.
    pub item: String,
}

/// An item of the list as the file holds it.
struct Held {
    /// Portolan's identity for the item, `None` for a team item.
    identity: Option<String>,
    /// The item's whole lines, its marker comment line included.
    lines: Range<usize>,
    /// Where a new item after this one is spliced in (its last line's end).
    after: usize,
    line: usize,
    /// The column of the item's `- `.
    col: usize,
    flow_map: bool,
}

impl OwnedItems {
    /// The identity of one of Portolan's items.
    fn identity(&self, item: &Item) -> Option<String> {
        match &self.owner {
            Owner::Comment(_) => item.comment.as_deref().map(comment_line),
            Owner::Key(key) => item
                .fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_text()),
        }
    }

    fn shown(&self, item: &Item) -> String {
        match &item.comment {
            Some(c) => format!("`# {}`", comment_line(c)),
            None => {
                let fields: Vec<String> = item
                    .fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                format!("`{{ {} }}`", fields.join(", "))
            }
        }
    }
}

impl<'t> Document<'t> {
    /// The list at `path` (`None` when it is missing, empty or null) and the
    /// items it holds, each with Portolan's identity for it.
    fn held<'d>(
        &'d self,
        list: &OwnedItems,
        wanted: &[String],
    ) -> Result<Option<(&'d Node<'d>, Vec<Held>)>, EditError> {
        let path = &list.path;
        let node = match self.find(path)? {
            Found::Node(node, None) => {
                return fail(
                    format!("`{path}` is a list item; an owned list must be a mapping's value"),
                    Some(node.line()),
                );
            }
            Found::Node(node, Some(_)) => node,
            Found::Missing { .. } => return Ok(None),
        };
        let items = match self.kind(node) {
            Kind::Seq { items: [], .. } => return Ok(None),
            Kind::Seq { flow: true, .. } => {
                return fail(
                    format!(
                        "`{path}` is a flow list (`[…]`) with items; write it as a block list (one `- ` line per item) for Portolan to keep its own items in it"
                    ),
                    Some(node.line()),
                );
            }
            Kind::Seq { items, .. } => items,
            Kind::Scalar { .. } if node.start() == node.end() => return Ok(None),
            _ => {
                return fail(
                    format!("`{path}` holds a mapping or a quoted value, not a list"),
                    Some(node.line()),
                );
            }
        };
        let pattern = match &list.owner {
            Owner::Comment(p) => Some(regex_lite::Regex::new(&format!("^(?:{p})$")).map_err(
                |e| EditError {
                    message: format!("the comment pattern of `{path}` is not valid: {e}"),
                    line: None,
                },
            )?),
            Owner::Key(_) => None,
        };
        let mut held = Vec::with_capacity(items.len());
        for item in items {
            let (line_start, col) = self.dash_line(item.start());
            let comment = self.comment_above(line_start);
            // A block scalar ends after its newline; the item's last line ends before it.
            let last =
                match item.end() > item.start() && self.text.as_bytes()[item.end() - 1] == b'\n' {
                    true => item.end() - 1,
                    false => item.end(),
                };
            let after = self.line_end(last);
            let end = match self.text[after..].find('\n') {
                Some(i) => after + i + 1,
                None => self.text.len(),
            };
            let (identity, start) = match &list.owner {
                Owner::Comment(_) => match comment {
                    Some((start, c))
                        if wanted.iter().any(|w| w == c)
                            || pattern.as_ref().is_some_and(|p| p.is_match(c)) =>
                    {
                        (Some(c.to_owned()), start)
                    }
                    _ => (None, line_start),
                },
                Owner::Key(key) => {
                    let value = match self.kind(item) {
                        Kind::Map { entries, .. } => entries
                            .iter()
                            .find(|e| e.key() == Some(key.as_str()))
                            .and_then(|e| match self.kind(e.value()) {
                                Kind::Scalar { value, .. } => Some(value.to_string()),
                                _ => None,
                            }),
                        _ => None,
                    };
                    (value.filter(|v| wanted.contains(v)), line_start)
                }
            };
            held.push(Held {
                identity,
                lines: start..end,
                after,
                line: item.line(),
                col,
                flow_map: matches!(self.kind(item), Kind::Map { flow: true, .. }),
            });
        }
        // Two of Portolan's items for one identity: which one is meant?
        for (i, a) in held.iter().enumerate() {
            if let Some(b) = held[i + 1..]
                .iter()
                .find(|b| b.identity.is_some() && b.identity == a.identity)
            {
                let what = match &list.owner {
                    Owner::Comment(_) => "comment",
                    Owner::Key(key) => key,
                };
                return fail(
                    format!(
                        "`{path}` holds two items with the {what} `{}` (lines {} and {}); Portolan owns one item each: remove one",
                        printable(a.identity.as_deref().unwrap_or_default()),
                        a.line,
                        b.line
                    ),
                    Some(b.line),
                );
            }
        }
        Ok(Some((node, held)))
    }

    /// The line holding the `- ` of the item that starts at `start`, and
    /// the dash's column: an item's node starts after its dash (on the line
    /// after it for a block scalar), and an indentless list's node starts at
    /// its first item's key.
    pub(super) fn dash_line(&self, start: usize) -> (usize, usize) {
        let mut line = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        loop {
            let text = &self.text[line..];
            let indent = text.len() - text.trim_start_matches(' ').len();
            if text[indent..].starts_with('-') || line == 0 {
                return (line, indent);
            }
            line = self.text[..line - 1].rfind('\n').map_or(0, |i| i + 1);
        }
    }

    /// The `# comment` line above the line starting at `line_start`, blank
    /// lines between allowed: its start and its text after `#`.
    fn comment_above(&self, line_start: usize) -> Option<(usize, &str)> {
        let mut end = line_start;
        while end > 0 {
            let newline = end - 1;
            let start = self.text[..newline].rfind('\n').map_or(0, |i| i + 1);
            let line = self.text[start..self.before_cr(newline)].trim();
            if line.is_empty() {
                end = start;
                continue;
            }
            return line
                .starts_with('#')
                .then(|| (start, line.trim_start_matches('#').trim()));
        }
        None
    }

    fn wanted(&self, list: &OwnedItems) -> Result<Vec<String>, EditError> {
        let mut wanted: Vec<String> = Vec::with_capacity(list.items.len());
        for item in &list.items {
            let Some(identity) = list.identity(item) else {
                return fail(
                    format!(
                        "an item of `{}` has no {}, so Portolan could not find it again",
                        list.path,
                        match &list.owner {
                            Owner::Comment(_) => "comment".to_owned(),
                            Owner::Key(key) => format!("`{key}`"),
                        }
                    ),
                    None,
                );
            };
            if wanted.contains(&identity) {
                return fail(
                    format!(
                        "two items of `{}` would be written as {}; make the {} tell them apart (`{{{{ service }}}} {{{{ name }}}}`, and `{{{{ protocol }}}}` for a port of both transports)",
                        list.path,
                        list.shown(item),
                        match &list.owner {
                            Owner::Comment(_) => "comment",
                            Owner::Key(_) => "key's value",
                        }
                    ),
                    None,
                );
            }
            wanted.push(identity);
        }
        Ok(wanted)
    }

    /// Keeps Portolan's items of `list` in line: updates those it still
    /// produces in place, removes its others, adds the new ones after its
    /// last; every team item stays byte for byte.
    pub fn set_list(&self, list: &OwnedItems) -> Result<Option<String>, EditError> {
        let out = self.merge_list(list)?;
        if out.is_some() {
            // The list itself, or a mapping around it, may be an anchor's.
            let mut inside = list.path.clone();
            inside.segments.push(Segment::Index(0));
            self.not_through_anchor(&inside)?;
        }
        Ok(out)
    }

    fn merge_list(&self, list: &OwnedItems) -> Result<Option<String>, EditError> {
        let wanted = self.wanted(list)?;
        let Some((_, held)) = self.held(list, &wanted)? else {
            return self.finish(self.list_splice(&list.path, &list.items)?);
        };
        // Items whose identity stays: their owned keys set in place, one at a
        // time so each sees the last (a key added to an item shifts the rest).
        let mut text = Cow::Borrowed(self.text);
        for (index, h) in held.iter().enumerate() {
            let Some(identity) = &h.identity else {
                continue;
            };
            let Some(item) = list.items.iter().zip(&wanted).find(|(_, w)| *w == identity) else {
                continue;
            };
            for (key, value) in &item.0.fields {
                let mut field = list.path.clone();
                field.segments.push(Segment::Index(index));
                field.segments.push(Segment::Key(key.clone()));
                if let Some(next) = Document::parse(&text)?.set(&field, value)? {
                    text = Cow::Owned(next);
                }
            }
        }
        let doc = Document::parse(&text)?;
        let Some((_, held)) = doc.held(list, &wanted)? else {
            return fail(
                format!(
                    "`{}` changed shape while its items were set; nothing was written",
                    list.path
                ),
                None,
            );
        };
        let mut splices = Vec::new();
        for h in &held {
            if h.identity.as_ref().is_some_and(|i| !wanted.contains(i)) {
                splices.push(Splice {
                    range: h.lines.clone(),
                    text: String::new(),
                });
            }
        }
        let kept = |h: &&Held| h.identity.as_ref().is_none_or(|i| wanted.contains(i));
        let new: Vec<Item> = list
            .items
            .iter()
            .zip(&wanted)
            .filter(|(_, w)| !held.iter().any(|h| h.identity.as_ref() == Some(*w)))
            .map(|(item, _)| item.clone())
            .collect();
        let flow = held.iter().any(|h| h.flow_map);
        if !held.iter().any(|h| kept(&h)) {
            // Every item goes: the new ones take the first one's place (the
            // comments between items stay), or the list is written `[]`.
            match held.first() {
                Some(first) if !new.is_empty() => {
                    let items = list_items_text(&new, first.col, flow);
                    splices.push(Splice {
                        range: first.lines.start..first.lines.start,
                        text: format!("{}\n", items.strip_prefix('\n').unwrap_or(&items)),
                    });
                }
                _ => {
                    if let Found::Node(_, Some(entry)) = doc.find(&list.path)? {
                        let colon = doc.after_colon(entry)?;
                        splices.push(Splice {
                            range: colon..colon,
                            text: " []".to_owned(),
                        });
                    }
                }
            }
        } else if !new.is_empty() {
            // Some item is kept: the branch above took the list without one.
            let Some(anchor) = held
                .iter()
                .rev()
                .find(|h| h.identity.is_some() && kept(h))
                .or_else(|| held.iter().rev().find(kept))
            else {
                return fail(format!("`{}` has no item to add after", list.path), None);
            };
            splices.push(Splice {
                range: anchor.after..anchor.after,
                text: list_items_text(&new, anchor.col, flow),
            });
        }
        match doc.finish(splices)? {
            Some(t) => Ok(Some(t)),
            None if text != self.text => Ok(Some(text.into_owned())),
            None => Ok(None),
        }
    }

    /// The team's items of `list`, as text, in order: what an edit must keep.
    pub(super) fn team_items(&self, list: &OwnedItems) -> Result<Vec<String>, EditError> {
        let wanted = self.wanted(list)?;
        Ok(match self.held(list, &wanted)? {
            Some((_, held)) => held
                .iter()
                .filter(|h| h.identity.is_none())
                // The last line of a file may lack its line break until an
                // item is added after it.
                .map(|h| {
                    self.text[h.lines.clone()]
                        .trim_end_matches(['\n', '\r'])
                        .to_owned()
                })
                .collect(),
            None => Vec::new(),
        })
    }

    /// Team items of `list` that hold, at one of `ports` (the item keys
    /// whose values are ports), the value one of Portolan's items holds there.
    pub fn clashes(&self, list: &OwnedItems, ports: &[&str]) -> Result<Vec<Clash>, EditError> {
        let wanted = self.wanted(list)?;
        let Some((node, held)) = self.held(list, &wanted)? else {
            return Ok(Vec::new());
        };
        let Kind::Seq { items, .. } = self.kind(node) else {
            return Ok(Vec::new());
        };
        // Items of different transports share a port (kind maps 53/TCP and
        // 53/UDP side by side); an item without `protocol` is TCP.
        let transport = |value: Option<String>| {
            value
                .unwrap_or_else(|| "tcp".to_owned())
                .to_ascii_lowercase()
        };
        let mut out = Vec::new();
        for (h, node) in held.iter().zip(items) {
            let (None, Kind::Map { entries, .. }) = (&h.identity, self.kind(node)) else {
                continue;
            };
            let team_transport =
                transport(
                    entries
                        .iter()
                        .find_map(|e| match (e.key(), self.kind(e.value())) {
                            (Some("protocol"), Kind::Scalar { value, .. }) => {
                                Some(value.to_string())
                            }
                            _ => None,
                        }),
                );
            for entry in entries {
                let (Some(key), Kind::Scalar { value, .. }) =
                    (entry.key(), self.kind(entry.value()))
                else {
                    continue;
                };
                if !ports.contains(&key) {
                    continue;
                }
                let theirs = list.items.iter().find(|item| {
                    let own_transport = transport(
                        item.fields
                            .iter()
                            .find(|(k, _)| k == "protocol")
                            .map(|(_, v)| v.as_text()),
                    );
                    own_transport == team_transport
                        && item.fields.iter().any(|(k, v)| {
                            k == key && matches!(v, Value::Int(_)) && v.as_text() == *value
                        })
                });
                if let Some(item) = theirs {
                    out.push(Clash {
                        line: entry.key_line(),
                        key: key.to_string(),
                        value: value.to_string(),
                        item: list.shown(item),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Checks the edited list: each of Portolan's items once, reading back as
/// written, and the team's items byte for byte as they were.
pub(super) fn verify_list(
    doc: &Document,
    list: &OwnedItems,
    team: &[String],
) -> Result<(), EditError> {
    let path = &list.path;
    let refused = |what: String| fail::<()>(format!("`{path}` {what}; nothing was written"), None);
    let wanted = doc.wanted(list)?;
    let held = match doc.held(list, &wanted)? {
        Some((_, held)) => held,
        None if list.items.is_empty() => return Ok(()),
        None => return refused("would be missing".to_owned()),
    };
    if doc.team_items(list)? != team {
        return refused("would not keep the team's items as they were".to_owned());
    }
    for (index, h) in held.iter().enumerate() {
        let Some(identity) = &h.identity else {
            continue;
        };
        let Some(item) = list.items.iter().zip(&wanted).find(|(_, w)| *w == identity) else {
            return refused(format!(
                "would keep an item that is no longer Portolan's (line {})",
                h.line
            ));
        };
        for (key, value) in &item.0.fields {
            let mut field = path.clone();
            field.segments.push(Segment::Index(index));
            field.segments.push(Segment::Key(key.clone()));
            if doc.get(&field)? != Current::Scalar(value.as_text()) {
                return fail(
                    format!("`{field}` would not read back as `{value}`; nothing was written"),
                    None,
                );
            }
        }
    }
    let found = held.iter().filter(|h| h.identity.is_some()).count();
    if found != wanted.len() {
        return refused(format!(
            "would not read back with Portolan's {} items",
            wanted.len()
        ));
    }
    Ok(())
}
