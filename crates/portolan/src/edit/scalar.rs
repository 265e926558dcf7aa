//! Scalars as the editor writes them: plain when that reads back as the
//! same value, else quoted.

use super::*;

pub(super) fn key_text(key: &str) -> String {
    plain_or_quoted(&Value::Str(key.to_owned()), false)
}

/// A value as a plain scalar when that reads back as the same value, else double-quoted.
pub fn plain_or_quoted(value: &Value, flow: bool) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::Str(s) if plain_safe(s, flow) => s.clone(),
        Value::Str(s) => double_quoted(s),
    }
}

/// Whether `s` written plain reads back as the string `s` (conservatively).
pub(super) fn plain_safe(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // A port range, `8001-8010`: a string to YAML 1.1 and 1.2 alike (a
    // 1.1 timestamp has three parts).
    if let Some((a, b)) = s.split_once('-')
        && [a, b]
            .iter()
            .all(|n| !n.is_empty() && n.len() <= 5 && n.bytes().all(|c| c.is_ascii_digit()))
    {
        return true;
    }
    if s.trim() != s
        || s.chars()
            .any(|c| c.is_control() || !yaml_printable(c) || c == '\u{feff}')
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || first.is_ascii_digit()
        || "+.".contains(first)
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || (flow && s.contains([',', '[', ']', '{', '}']))
    {
        return false;
    }
    // Words YAML 1.1 or 1.2 read as null, booleans or special floats.
    const RESERVED: &[&str] = &[
        "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", ".nan", "inf",
        ".inf",
    ];
    !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

pub(super) fn single_quoted(s: &str) -> String {
    if s.chars().any(char::is_control) {
        return double_quoted(s);
    }
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether YAML allows `c` unescaped in a document (its `c-printable` set).
pub(super) fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// JSON string syntax is valid YAML double-quoted syntax, so serde_json
/// escapes; it leaves DEL, C1 controls and U+FFFE/U+FFFF raw, which YAML
/// forbids, so those are escaped here as `\uXXXX`.
pub(super) fn double_quoted(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()));
    if json.chars().all(yaml_printable) {
        return json;
    }
    json.chars()
        .map(|c| match yaml_printable(c) {
            true => c.to_string(),
            false => format!("\\u{:04x}", u32::from(c)),
        })
        .collect()
}
