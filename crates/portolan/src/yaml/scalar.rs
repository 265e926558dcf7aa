//! Scalars as Portolan writes them, wherever it writes YAML (the editor,
//! rendered artifacts, import's ports.yaml): plain when that reads back as
//! the same string in YAML 1.1 and 1.2 readers alike, else double-quoted.

// Import writes only double-quoted scalars; the editor and render all of them.
#![cfg_attr(not(feature = "sync"), allow(dead_code))]

use std::fmt::Write as _;

/// Whether `c` may stand unescaped in a scalar every reader reads alike:
/// YAML's printable set, minus the next-line, line and paragraph
/// separators and the byte-order mark, which YAML 1.1 readers (PyYAML) take
/// for line breaks or strip. `\n` and `\r` are printable; a writer of one
/// line handles them.
pub(crate) fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// `s` plain when that reads back as the string `s`, else double-quoted;
/// `flow`: the scalar sits in a flow collection, where `,[]{}` end it.
pub(crate) fn plain_or_quoted(s: &str, flow: bool) -> String {
    match plain_safe(s, flow) {
        true => s.to_owned(),
        false => double_quoted(s),
    }
}

/// Whether `s` written plain reads back as the string `s` (conservatively).
pub(crate) fn plain_safe(s: &str, flow: bool) -> bool {
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
        || s.chars().any(|c| c.is_control() || !printable(c))
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

/// `s` single-quoted, or double-quoted when it holds a control character
/// (single quotes cannot escape one).
pub(crate) fn single_quoted(s: &str) -> String {
    if s.chars().any(|c| c.is_control() || !printable(c)) {
        return double_quoted(s);
    }
    format!("'{}'", s.replace('\'', "''"))
}

/// `s` double-quoted: JSON's escapes (so the text is also a JSON string)
/// for what JSON escapes, `\uXXXX` / `\UXXXXXXXX` for the rest of what is
/// not [`printable`].
pub(crate) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_double_quoted(&mut out, s);
    out
}

/// Appends [`double_quoted`]`(s)` to `out`.
pub(crate) fn push_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if printable(c) && !c.is_control() => out.push(c),
            c if u32::from(c) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_reads_back_in_a_yaml_reader() {
        for s in [
            "plain",
            "8080",
            "true",
            "a: b",
            "x #y",
            "-dash",
            "tab\there",
            "line\nbreak",
            "sep\u{2028}arator",
            "bom\u{feff}",
            "del\u{7f}",
            "c1\u{85}",
            "quote\"s",
            "back\\slash",
            "astral 𝄞",
            "\u{fffe}",
            "",
            " lead",
            "8001-8010",
            "on",
            "Y",
        ] {
            for flow in [false, true] {
                let text = format!("k: {}\n", plain_or_quoted(s, flow));
                let tree = super::super::read(&text).expect("parses");
                let super::super::Value::Map(entries) = &tree.root.value else {
                    panic!("{text}")
                };
                assert_eq!(
                    entries[0].1.value.text().map(|t| t.as_ref()),
                    Some(s),
                    "{text:?}"
                );
                assert!(
                    matches!(entries[0].1.value, super::super::Value::Str(_)),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn line_separators_are_escaped() {
        assert_eq!(double_quoted("a\u{2028}b"), "\"a\\u2028b\"");
        assert_eq!(double_quoted("a\nb\u{7f}"), "\"a\\nb\\u007f\"");
        assert!(!plain_safe("a\u{2029}b", false));
    }
}
