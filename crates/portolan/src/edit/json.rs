//! JSON files: found through the YAML reader (JSON is YAML's flow syntax),
//! written as JSON. A value keeps its type where the new one allows (a
//! quoted port stays quoted); a missing key is added after its object's
//! last entry with that entry's indentation. The result is parsed by
//! serde_json and every owned value read back.

use super::{Current, Document, EditError, EntryView, Found, Kind, Value, fail};
use crate::model::{KeyPath, Segment};
use granit_parser::ScalarStyle;

fn checked(text: &str) -> Result<(), EditError> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(drop)
        .map_err(|e| EditError {
            message: format!("not valid JSON: {e}"),
            line: Some(e.line()),
        })
}

/// What `path` holds now.
pub(crate) fn get(text: &str, path: &KeyPath) -> Result<Current, EditError> {
    if text.trim().is_empty() {
        return Ok(Current::Missing);
    }
    checked(text)?;
    Document::parse(text)?.get(path)
}

fn literal(value: &Value, as_string: bool) -> String {
    match value {
        Value::Int(n) if !as_string => n.to_string(),
        v => serde_json::Value::String(v.as_text()).to_string(),
    }
}

/// `{"b": {"c": value}}` for the keys still missing below the parent.
fn nested(keys: &[&str], value: &Value) -> String {
    let mut out = literal(value, false);
    for key in keys.iter().rev() {
        out = format!(
            "{{{}: {out}}}",
            serde_json::Value::String((*key).to_owned())
        );
    }
    out
}

/// `text` with each value set.
pub(crate) fn apply(text: &str, values: &[(KeyPath, Value)]) -> Result<Option<String>, EditError> {
    let mut out = if text.trim().is_empty() {
        "{}\n".to_owned()
    } else {
        checked(text)?;
        text.to_owned()
    };
    // One value at a time, each against the text the previous ones left:
    // an insertion moves every later byte.
    for (path, value) in values {
        let doc = Document::parse(&out)?;
        let splice = match doc.find(path)? {
            Found::Node(node, _) => match doc.kind(node) {
                Kind::Scalar {
                    value: old, style, ..
                } => {
                    if *old == value.as_text() {
                        continue;
                    }
                    let as_string = style == ScalarStyle::DoubleQuoted;
                    (node.start()..node.end(), literal(value, as_string))
                }
                _ => {
                    return fail(
                        format!(
                            "`{path}` holds an array or object; Portolan owns it as a single value"
                        ),
                        Some(node.line()),
                    );
                }
            },
            Found::Missing {
                parent: Some((node, _)),
                rest,
            } => {
                let Kind::Map { entries, .. } = doc.kind(node) else {
                    return fail(
                        format!("`{path}`: its parent is not an object"),
                        Some(node.line()),
                    );
                };
                let mut keys = Vec::new();
                for segment in &path.segments[rest..] {
                    match segment {
                        Segment::Key(k) => keys.push(k.as_str()),
                        _ => {
                            return fail(
                                format!("`{path}` is missing, and Portolan adds only object keys"),
                                Some(node.line()),
                            );
                        }
                    }
                }
                let member = format!(
                    "{}: {}",
                    serde_json::Value::String(keys[0].to_owned()),
                    nested(&keys[1..], value)
                );
                match entries.last() {
                    Some(last) => {
                        let multiline = entries.first().is_some_and(|e| e.key_line() > node.line());
                        // The last member's own indentation (tabs stay tabs)
                        // and the file's line endings.
                        let line_start = out[..last.key_start()].rfind('\n').map_or(0, |i| i + 1);
                        let indent = match out[line_start..last.key_start()]
                            .chars()
                            .all(|c| c == ' ' || c == '\t')
                        {
                            true => out[line_start..last.key_start()].to_owned(),
                            false => " ".repeat(last.key_col()),
                        };
                        let newline = super::newline_of(&out);
                        let text = if multiline {
                            format!(",{newline}{indent}{member}")
                        } else {
                            format!(", {member}")
                        };
                        (last.value().end()..last.value().end(), text)
                    }
                    None => {
                        let open = out[node.start()..]
                            .find('{')
                            .map_or(node.start(), |i| node.start() + i + 1);
                        (open..open, member)
                    }
                }
            }
            Found::Missing { parent: None, .. } => {
                return fail("the file's root is not a JSON object", Some(1));
            }
        };
        out.replace_range(splice.0, &splice.1);
    }
    if out == text {
        return Ok(None);
    }
    verify(&out, values)?;
    Ok(Some(out))
}

/// Reads the result with serde_json: every owned value must hold its value.
fn verify(text: &str, values: &[(KeyPath, Value)]) -> Result<(), EditError> {
    let root: serde_json::Value = serde_json::from_str(text).map_err(|e| EditError {
        message: format!("the edit would not be valid JSON ({e}); nothing was written"),
        line: None,
    })?;
    for (path, value) in values {
        let mut at = &root;
        for segment in &path.segments {
            let next = match segment {
                Segment::Key(k) => at.get(k.as_str()),
                Segment::Index(n) => at.get(*n),
                Segment::Match { key, value } => at.as_array().and_then(|items| {
                    items.iter().find(|i| {
                        i.get(key.as_str()).is_some_and(|v| match v {
                            serde_json::Value::String(s) => s == value,
                            other => {
                                serde_json::from_str::<serde_json::Value>(value)
                                    .ok()
                                    .as_ref()
                                    == Some(other)
                            }
                        })
                    })
                }),
            };
            match next {
                Some(n) => at = n,
                None => return fail(format!("`{path}` would be missing after the edit"), None),
            }
        }
        let now = match at {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if now != value.as_text() {
            return fail(
                format!("`{path}` would not read back as {value}; nothing was written"),
                None,
            );
        }
    }
    Ok(())
}
