//! dotenv files: `KEY=value` lines, `export KEY=value`, values bare, in
//! single or double quotes, with comments. An edit replaces a value's text
//! and keeps its quotes; the result is read back by dotenvy.

use super::{Current, EditError, Value, fail};

/// One assignment line.
pub(super) struct Assignment<'t> {
    pub(super) name: &'t str,
    /// The value's text between its quotes (or the bare value), as a byte range.
    pub(super) value: std::ops::Range<usize>,
    quote: Option<char>,
    pub(super) line: usize,
}

/// Every `KEY=value` line of `text`; a name set twice is an error, since
/// readers disagree on which one wins.
pub(super) fn assignments(text: &str) -> Result<Vec<Assignment<'_>>, EditError> {
    let mut out: Vec<Assignment<'_>> = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = body.len() - trimmed.len();
        let rest = trimmed
            .strip_prefix("export")
            .filter(|r| r.starts_with([' ', '\t']))
            .map_or(trimmed, str::trim_start);
        let Some(eq) = rest.find('=') else {
            continue;
        };
        let name = rest[..eq].trim_end();
        let value_start = start + lead + (trimmed.len() - rest.len()) + eq + 1;
        let after = &text[value_start..start + body.len()];
        let spaces = after.len() - after.trim_start().len();
        let after_trim = after.trim_start();
        let (quote, range) = match after_trim.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let inner = &after_trim[1..];
                let mut end = None;
                let mut escaped = false;
                for (j, c) in inner.char_indices() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' && q == '"' {
                        escaped = true;
                    } else if c == q {
                        end = Some(j);
                        break;
                    }
                }
                let Some(end) = end else {
                    return fail(
                        format!(
                            "`{name}`'s value has no closing {q}; Portolan edits one-line values"
                        ),
                        Some(i + 1),
                    );
                };
                // After the closing quote only spaces and a ` #` comment:
                // readers disagree on anything else.
                let after_quote = &inner[end + q.len_utf8()..];
                let tail = after_quote.trim_start();
                let spaced = after_quote.len() > tail.len();
                if !(tail.is_empty() || (tail.starts_with('#') && spaced)) {
                    return fail(
                        format!(
                            "`{name}` has text after its closing {q}; dotenv readers read it differently: put a space before a `#` comment, or the text inside the quotes"
                        ),
                        Some(i + 1),
                    );
                }
                let s = value_start + spaces + 1;
                (Some(q), s..s + end)
            }
            // `KEY=  # comment`: an empty value and a comment.
            Some('#') if spaces > 0 => {
                let s = value_start + spaces;
                (None, s..s)
            }
            _ => {
                // A bare value ends at a ` #` comment or the end of the line.
                let end = after_trim
                    .find(" #")
                    .or_else(|| after_trim.find("\t#"))
                    .unwrap_or(after_trim.len());
                let s = value_start + spaces;
                (None, s..s + after_trim[..end].trim_end().len())
            }
        };
        if let Some(first) = out.iter().find(|a| a.name == name) {
            return fail(
                format!(
                    "`{name}` is set twice (lines {} and {}); dotenv readers disagree on which wins: remove one",
                    first.line,
                    i + 1
                ),
                Some(i + 1),
            );
        }
        out.push(Assignment {
            name,
            value: range,
            quote,
            line: i + 1,
        });
    }
    Ok(out)
}

/// The file must read as dotenv before it is edited: a line dotenvy
/// cannot read is the team's to fix, and is named as such.
fn readable(text: &str) -> Result<(), EditError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    for item in dotenvy::from_read_iter(body.as_bytes()) {
        if let Err(e) = item {
            let line = match &e {
                dotenvy::Error::LineParse(content, _) => {
                    let content = content.trim_end_matches('\n');
                    body.lines()
                        .position(|l| l.contains(content))
                        .map(|n| n + 1)
                }
                _ => None,
            };
            return fail(
                format!(
                    "does not read as dotenv ({e}); quote a value holding spaces, and keep one `KEY=value` per line"
                ),
                line,
            );
        }
    }
    Ok(())
}

/// Every variable the file sets, with its line.
pub(crate) fn names(text: &str) -> Result<Vec<(String, usize)>, EditError> {
    Ok(assignments(text)?
        .into_iter()
        .map(|a| (a.name.to_owned(), a.line))
        .collect())
}

/// Where variable `name`'s value starts (a byte offset).
pub(crate) fn value_at(text: &str, name: &str) -> Option<usize> {
    let found = assignments(text)
        .ok()?
        .into_iter()
        .find(|a| a.name == name)?;
    Some(found.value.start)
}

/// What variable `name` holds now.
pub(crate) fn get(text: &str, name: &str) -> Result<Current, EditError> {
    readable(text)?;
    Ok(
        match assignments(text)?.into_iter().find(|a| a.name == name) {
            Some(a) => Current::Scalar(text[a.value].to_owned()),
            None => Current::Missing,
        },
    )
}

/// Whether a bare value reads back as `value` in every dotenv reader.
fn bare_safe(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:/@+,%".contains(c))
}

/// `value` escaped for the inside of double quotes.
fn escaped(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn double_quoted(value: &str) -> String {
    format!("\"{}\"", escaped(value))
}

/// `text` with each variable set; a missing one is added at the end.
pub(crate) fn apply(text: &str, values: &[(String, Value)]) -> Result<Option<String>, EditError> {
    // New lines follow the file's line endings.
    let newline = super::newline_of(text);
    readable(text)?;
    let found = assignments(text)?;
    let mut splices: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut appended = String::new();
    for (name, value) in values {
        let new = value.as_text();
        match found.iter().find(|a| a.name == name) {
            Some(a) if text[a.value.clone()] == new => {}
            Some(a) => {
                let replacement = match a.quote {
                    Some('\'') if !new.contains('\'') && !new.contains('\n') => new.clone(),
                    Some('\'') => {
                        return fail(
                            format!("`{name}` is single-quoted and the new value holds a quote"),
                            Some(a.line),
                        );
                    }
                    Some(_) => escaped(&new),
                    None if bare_safe(&new) => new.clone(),
                    None => {
                        // A bare value that needs quotes gets them, quotes included in the splice.
                        splices.push((a.value.clone(), double_quoted(&new)));
                        continue;
                    }
                };
                // `KEY=  # comment`: the value goes before the comment, apart from it.
                let replacement = match text[a.value.end..].starts_with('#') {
                    true => format!("{replacement} "),
                    false => replacement,
                };
                splices.push((a.value.clone(), replacement));
            }
            None => {
                let shown = if bare_safe(&new) {
                    new.clone()
                } else {
                    double_quoted(&new)
                };
                appended.push_str(&format!("{name}={shown}{newline}"));
            }
        }
    }
    if splices.is_empty() && appended.is_empty() {
        return Ok(None);
    }
    splices.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len() + appended.len());
    let mut at = 0;
    for (range, replacement) in &splices {
        out.push_str(&text[at..range.start]);
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    if !appended.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        out.push_str(&appended);
    }
    verify(&out, values)?;
    Ok(Some(out))
}

/// Reads the result back with dotenvy: every owned variable must hold its value.
fn verify(text: &str, values: &[(String, Value)]) -> Result<(), EditError> {
    let read: std::collections::HashMap<String, String> = dotenvy::from_read_iter(text.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| EditError {
            message: format!("the edited file would not read as dotenv ({e}); nothing was written"),
            line: None,
        })?;
    for (name, value) in values {
        if read.get(name) != Some(&value.as_text()) {
            return fail(
                format!("`{name}` would not read back as {value}; nothing was written"),
                None,
            );
        }
    }
    Ok(())
}
