//! TOML files, through toml_edit: a value keeps its decoration (spacing,
//! comments) and its type where the new value allows; a missing key is
//! added to its table. The result is parsed again and read back.

use super::{Current, EditError, Value, fail};
use crate::model::{KeyPath, Segment};
use toml_edit::{DocumentMut, Item};

fn parse(text: &str) -> Result<DocumentMut, EditError> {
    text.parse::<DocumentMut>().map_err(|e| EditError {
        message: format!("not valid TOML: {}", e.message()),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
    })
}

/// The item at `path`, following keys, indexes and `[key=value]` selectors.
fn find<'d>(root: &'d Item, path: &KeyPath) -> Result<Option<&'d Item>, EditError> {
    let mut item = root;
    for (i, segment) in path.segments.iter().enumerate() {
        let next = match segment {
            Segment::Key(k) => item.get(k.as_str()),
            Segment::Index(n) => item.get(*n),
            Segment::Match { key, value } => {
                matching(item, key, value, path, i)?.and_then(|n| item.get(n))
            }
        };
        match next {
            Some(n) => item = n,
            None => return Ok(None),
        }
    }
    Ok(Some(item))
}

/// The index of the one array element whose `key` is `value`.
fn matching(
    item: &Item,
    key: &str,
    value: &str,
    path: &KeyPath,
    at: usize,
) -> Result<Option<usize>, EditError> {
    let mut hits = (0..)
        .map_while(|n| item.get(n).map(|e| (n, e)))
        .filter(|(_, e)| e.get(key).and_then(scalar).as_deref() == Some(value));
    match (hits.next(), hits.next()) {
        (Some((n, _)), None) => Ok(Some(n)),
        (None, _) => Ok(None),
        (Some(_), Some(_)) => fail(
            format!(
                "`{}` matches several items with `{key} = {value}`; Portolan edits one",
                KeyPath {
                    segments: path.segments[..=at].to_vec()
                }
            ),
            None,
        ),
    }
}

fn scalar(item: &Item) -> Option<String> {
    let v = item.as_value()?;
    Some(match v {
        toml_edit::Value::String(s) => s.value().clone(),
        toml_edit::Value::Integer(n) => n.value().to_string(),
        // `8001.0` is not the port 8001 to a TOML reader: keep the fraction.
        toml_edit::Value::Float(f) => format!("{:?}", f.value()),
        toml_edit::Value::Boolean(b) => b.value().to_string(),
        toml_edit::Value::Datetime(d) => d.value().to_string(),
        _ => return None,
    })
}

/// Where `path` stops existing: the index of its first missing step and the
/// keys of the table that lacks it.
pub(crate) fn missing_step(text: &str, path: &KeyPath) -> Option<(usize, Vec<String>)> {
    let doc = parse(text.strip_prefix('\u{feff}').unwrap_or(text)).ok()?;
    let mut item = doc.as_item();
    for (i, segment) in path.segments.iter().enumerate() {
        let next = match segment {
            Segment::Key(k) => item.get(k.as_str()),
            Segment::Index(n) => item.get(*n),
            Segment::Match { .. } => return None,
        };
        match next {
            Some(n) => item = n,
            None => {
                let keys = match item {
                    Item::Table(t) => t.iter().map(|(k, _)| k.to_owned()).collect(),
                    Item::Value(toml_edit::Value::InlineTable(t)) => {
                        t.iter().map(|(k, _)| k.to_owned()).collect()
                    }
                    _ => Vec::new(),
                };
                return Some((i, keys));
            }
        }
    }
    None
}

/// What `path` holds now.
pub(crate) fn get(text: &str, path: &KeyPath) -> Result<Current, EditError> {
    let doc = parse(text.strip_prefix('\u{feff}').unwrap_or(text))?;
    Ok(match find(doc.as_item(), path)? {
        None => Current::Missing,
        Some(item) => match scalar(item) {
            Some(s) => Current::Scalar(s),
            None => Current::Other,
        },
    })
}

/// Where the value at `path` starts (a byte offset).
pub(crate) fn value_at(text: &str, path: &KeyPath) -> Option<usize> {
    let bom = text.len() - text.strip_prefix('\u{feff}').unwrap_or(text).len();
    let doc = toml_edit::Document::parse(&text[bom..]).ok()?;
    let item = find(doc.as_item(), path).ok()??;
    let span = match item {
        Item::Value(v) => v.span(),
        other => other.span(),
    }?;
    Some(bom + span.start)
}

/// The new TOML value: an integer stays an integer, a string a string.
fn new_value(old: Option<&toml_edit::Value>, value: &Value) -> toml_edit::Value {
    match (old, value) {
        (Some(toml_edit::Value::String(_)), v) => toml_edit::Value::from(v.as_text()),
        (_, Value::Int(n)) => toml_edit::Value::from(*n),
        (_, v) => toml_edit::Value::from(v.as_text()),
    }
}

/// `text` with each value set; a missing key is added to its table.
pub(crate) fn apply(text: &str, values: &[(KeyPath, Value)]) -> Result<Option<String>, EditError> {
    // toml_edit writes LF and no byte-order mark: both are put back, so only
    // the owned bytes change.
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let crlf = body.contains("\r\n") && !body.replace("\r\n", "").contains('\n');
    let Some(out) = apply_lf(body, values)? else {
        return Ok(None);
    };
    let out = match crlf {
        true => out.replace("\r\n", "\n").replace('\n', "\r\n"),
        false => out,
    };
    // toml_edit's LF text of an unchanged CRLF file differs from it only in
    // line endings: that is no change.
    let out = format!("{bom}{out}");
    Ok((out != text).then_some(out))
}

fn apply_lf(text: &str, values: &[(KeyPath, Value)]) -> Result<Option<String>, EditError> {
    let mut doc = parse(text)?;
    for (path, value) in values {
        let exists = find(doc.as_item(), path)?.is_some();
        let mut item = doc.as_item_mut();
        for (i, segment) in path.segments.iter().enumerate() {
            item = match segment {
                Segment::Key(k) if exists || item.get(k.as_str()).is_some() => {
                    item.get_mut(k.as_str()).expect("checked above")
                }
                Segment::Key(k) => {
                    if !(item.is_table_like() || item.is_none()) {
                        return fail(format!("`{path}`: a parent of `{k}` is not a table"), None);
                    }
                    &mut item[k.as_str()]
                }
                Segment::Index(n) => match item.get_mut(*n) {
                    Some(e) => e,
                    None => return fail(format!("`{path}` has no item {n}"), None),
                },
                Segment::Match { key, value: v } => {
                    let Some(n) = matching(item, key, v, path, i)? else {
                        return fail(format!("`{path}`: no item has `{key} = {v}`"), None);
                    };
                    item.get_mut(n).expect("matched above")
                }
            };
        }
        match item {
            Item::Value(old) => {
                if scalar(&Item::Value(old.clone())).as_deref() == Some(value.as_text().as_str()) {
                    continue;
                }
                let decor = old.decor().clone();
                let mut new = new_value(Some(old), value);
                *new.decor_mut() = decor;
                *old = new;
            }
            Item::None => *item = Item::Value(new_value(None, value)),
            _ => {
                return fail(
                    format!("`{path}` holds a table or array; Portolan owns it as a single value"),
                    None,
                );
            }
        }
    }
    let out = doc.to_string();
    if out == text {
        return Ok(None);
    }
    let reread = parse(&out)?;
    for (path, value) in values {
        let now = find(reread.as_item(), path)?.and_then(scalar);
        if now.as_deref() != Some(value.as_text().as_str()) {
            return fail(
                format!("`{path}` would not read back as {value}; nothing was written"),
                None,
            );
        }
    }
    Ok(Some(out))
}
