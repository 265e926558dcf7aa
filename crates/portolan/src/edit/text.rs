//! Any text file: a value is the one `(…)` group of a line pattern (a
//! regular expression matched against each whole line, without its line
//! ending), which must match exactly one line. An edit replaces the group's
//! text and nothing else, so it can never reach into another line.

use super::{Current, EditError, Value, fail};
use regex_lite::Regex;

/// The pattern as a regex over one whole line, checked to hold one group.
fn compile(pattern: &str) -> Result<Regex, EditError> {
    let invalid = |e: regex_lite::Error| EditError {
        message: format!("`{pattern}` is not a valid pattern: {e}"),
        line: None,
    };
    // Compiled alone first, so that `a)|(b` cannot escape the anchors below.
    let alone = Regex::new(pattern).map_err(invalid)?;
    if alone.captures_len() != 2 {
        return fail(
            format!(
                "`{pattern}` holds {} groups; a pattern holds exactly one `(…)`, around the value (write `(?:…)` for others)",
                alone.captures_len() - 1
            ),
            None,
        );
    }
    Regex::new(&format!("^(?:{pattern})$")).map_err(invalid)
}

/// The byte range of the value the pattern's one matching line captures.
fn locate(text: &str, pattern: &str) -> Result<std::ops::Range<usize>, EditError> {
    let re = compile(pattern)?;
    let mut found: Vec<(usize, Option<std::ops::Range<usize>>)> = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches('\n').trim_end_matches('\r');
        if let Some(caps) = re.captures(body) {
            let group = caps.get(1).map(|m| start + m.start()..start + m.end());
            found.push((i + 1, group));
        }
    }
    match found.as_slice() {
        [(_, Some(range))] => Ok(range.clone()),
        [(line, None)] => fail(
            format!(
                "`{pattern}` matches line {line}, but its group takes no part in the match; make the group hold the value"
            ),
            Some(*line),
        ),
        [] => fail(
            format!("`{pattern}` matches no line; fix the pattern or the file"),
            None,
        ),
        [(a, _), (b, _), ..] => fail(
            format!("`{pattern}` matches several lines ({a} and {b}); make it match one"),
            Some(*b),
        ),
    }
}

/// Where the pattern's group starts (a byte offset).
pub(crate) fn value_at(text: &str, pattern: &str) -> Option<usize> {
    locate(text, pattern).ok().map(|r| r.start)
}

/// What the pattern's group holds now.
pub(crate) fn get(text: &str, pattern: &str) -> Result<Current, EditError> {
    let range = locate(text, pattern)?;
    Ok(Current::Scalar(text[range].to_owned()))
}

/// `text` with each pattern's group replaced; every pattern must match one
/// line before and after, capturing the new value.
pub(crate) fn apply(text: &str, values: &[(String, Value)]) -> Result<Option<String>, EditError> {
    let mut splices = Vec::new();
    for (pattern, value) in values {
        let range = locate(text, pattern)?;
        let new = value.as_text();
        if new.contains(['\n', '\r']) {
            return fail(
                format!(
                    "the value for `{pattern}` holds a line break; a line pattern owns part of one line"
                ),
                None,
            );
        }
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
        let holds = locate(&out, pattern).is_ok_and(|range| out[range] == value.as_text());
        if !holds {
            return fail(
                format!(
                    "after the edit `{pattern}` would not capture {value} on one line (the new value may not fit the group); nothing was written"
                ),
                None,
            );
        }
    }
    Ok(Some(out))
}
