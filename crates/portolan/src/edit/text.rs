//! Any text file: a value is the one `(…)` group of a line pattern (a
//! regular expression matched against whole lines), which must match exactly
//! one line. An edit replaces the group's text and nothing else.

use super::{Current, EditError, Value, fail};
use regex_lite::Regex;

/// The pattern as a regex over whole lines, checked to hold one group.
fn compile(pattern: &str) -> Result<Regex, EditError> {
    let re = Regex::new(&format!("(?m)^(?:{pattern})\r?$")).map_err(|e| EditError {
        message: format!("`{pattern}` is not a valid pattern: {e}"),
        line: None,
    })?;
    if re.captures_len() != 2 {
        return fail(
            format!(
                "`{pattern}` holds {} groups; a pattern holds exactly one `(…)`, around the value (write `(?:…)` for others)",
                re.captures_len() - 1
            ),
            None,
        );
    }
    Ok(re)
}

/// The byte range of the value the pattern's one match captures.
fn locate(text: &str, pattern: &str) -> Result<std::ops::Range<usize>, EditError> {
    let re = compile(pattern)?;
    let mut matches = re.captures_iter(text).filter_map(|c| c.get(1));
    let line = |at: usize| text[..at].matches('\n').count() + 1;
    match (matches.next(), matches.next()) {
        (Some(m), None) => Ok(m.range()),
        (None, _) => fail(
            format!("`{pattern}` matches no line; fix the pattern or the file"),
            None,
        ),
        (Some(a), Some(b)) => fail(
            format!(
                "`{pattern}` matches several lines ({} and {}); make it match one",
                line(a.start()),
                line(b.start())
            ),
            Some(line(b.start())),
        ),
    }
}

/// What the pattern's group holds now.
pub(crate) fn get(text: &str, pattern: &str) -> Result<Current, EditError> {
    let range = locate(text, pattern)?;
    Ok(Current::Scalar(text[range].to_owned()))
}

/// `text` with each pattern's group replaced; every pattern must match once
/// before and after, capturing the new value.
pub(crate) fn apply(text: &str, values: &[(String, Value)]) -> Result<Option<String>, EditError> {
    let mut splices = Vec::new();
    for (pattern, value) in values {
        let range = locate(text, pattern)?;
        let new = value.as_text();
        if text[range.clone()] != new {
            splices.push((range, new));
        }
    }
    if splices.is_empty() {
        return Ok(None);
    }
    splices.sort_by_key(|(r, _)| r.start);
    if splices.windows(2).any(|w| w[0].0.end > w[1].0.start) {
        return fail("two patterns capture the same text", None);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, new) in &splices {
        out.push_str(&text[at..range.start]);
        out.push_str(new);
        at = range.end;
    }
    out.push_str(&text[at..]);
    for (pattern, value) in values {
        let range = locate(&out, pattern)?;
        if out[range] != value.as_text() {
            return fail(
                format!(
                    "after the edit `{pattern}` would not capture {value}; nothing was written"
                ),
                None,
            );
        }
    }
    Ok(Some(out))
}
