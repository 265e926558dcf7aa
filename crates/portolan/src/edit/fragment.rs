//! New YAML text: the keys, values and list items an edit inserts, indented
//! and styled to sit among the file's own lines.

use super::*;

/// YAML to write under a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fragment {
    /// A scalar.
    Value(Value),
    /// A one-line mapping: `{ production: 8001, test: 7001 }`.
    Flow(Vec<(String, Value)>),
    /// A block mapping, one key per line.
    Block(Vec<(String, Fragment)>),
}

/// The text that follows `key:`; `indent` is the indentation of its children.
pub(super) fn fragment_text(fragment: &Fragment, indent: usize, flow: bool) -> String {
    match fragment {
        Fragment::Value(v) => format!(" {}", plain_or_quoted(v, flow)),
        Fragment::Flow(entries) if entries.is_empty() => " {}".to_owned(),
        Fragment::Flow(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", key_text(k), plain_or_quoted(v, true)))
                .collect();
            format!(" {{ {} }}", inner.join(", "))
        }
        Fragment::Block(entries) if flow || entries.is_empty() => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, f)| format!("{}:{}", key_text(k), fragment_text(f, 0, true)))
                .collect();
            if inner.is_empty() {
                " {}".to_owned()
            } else {
                format!(" {{ {} }}", inner.join(", "))
            }
        }
        Fragment::Block(entries) => entries
            .iter()
            .map(|(k, f)| {
                format!(
                    "\n{}{}:{}",
                    " ".repeat(indent),
                    key_text(k),
                    fragment_text(f, indent + 2, false)
                )
            })
            .collect(),
    }
}

/// `a:\n  b:<leaf>` at `indent`.
pub(super) fn nested(keys: &[String], leaf: &str, indent: usize) -> String {
    let mut out = String::new();
    for (depth, key) in keys.iter().enumerate() {
        if depth > 0 {
            out.push('\n');
        }
        out.push_str(&" ".repeat(indent + 2 * depth));
        out.push_str(&key_text(key));
        out.push(':');
    }
    out.push_str(leaf);
    out
}

/// The block list text that follows `key:`: one `# comment` and `- k: v` per item.
pub(super) fn list_text(items: &[Item], indent: usize) -> String {
    if items.is_empty() {
        return " []".to_owned();
    }
    list_items_text(items, indent, false)
}

/// A comment as one line, whatever the template produced.
pub(super) fn comment_line(comment: &str) -> String {
    let line: String = comment
        .chars()
        .map(|c| {
            if c.is_control() || !crate::yaml::printable(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    // The `#` is Portolan's to write: a template that starts with one
    // (`# portolan: …`) gets one `#`.
    line.trim().trim_start_matches('#').trim_start().to_owned()
}

/// Items, each on lines of its own that start with a newline: a `# comment`
/// line, then `- k: v` lines (or one `- { k: v }` line when `flow`).
pub(super) fn list_items_text(items: &[Item], indent: usize, flow: bool) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for item in items {
        if let Some(comment) = &item.comment {
            out.push_str(&format!("\n{pad}# {}", comment_line(comment)));
        }
        if item.fields.is_empty() {
            out.push_str(&format!("\n{pad}- {{}}"));
        } else if flow {
            let fields: Vec<String> = item
                .fields
                .iter()
                .map(|(k, v)| format!("{}: {}", key_text(k), plain_or_quoted(v, true)))
                .collect();
            out.push_str(&format!("\n{pad}- {{ {} }}", fields.join(", ")));
        }
        for (i, (key, value)) in item.fields.iter().enumerate().filter(|_| !flow) {
            let lead = if i == 0 { "- " } else { "  " };
            out.push_str(&format!(
                "\n{pad}{lead}{}: {}",
                key_text(key),
                plain_or_quoted(value, false)
            ));
        }
    }
    out
}
