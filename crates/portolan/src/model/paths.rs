//! Paths in ports.yaml's `render` and `sync` sections: file paths, checked
//! to stay inside the repository, and key paths into the team's files.

use std::fmt;

/// A path to a value inside a YAML file: `metrics.port`, `nodes[0].name`,
/// `nodes[role=control-plane].extraPortMappings`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPath {
    /// The steps from the document root.
    pub segments: Vec<Segment>,
}

/// One step of a [`KeyPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A list item by position.
    Index(usize),
    /// The first list item that is a mapping with `key: value`.
    Match {
        /// The key to look at in each item.
        key: String,
        /// The value it must have.
        value: String,
    },
}

impl KeyPath {
    /// Parses `a.b[0].c[role=x]`; a key holding `.`, `[` or `]` is written in
    /// double quotes (`"server.port"`, `\"` for a quote inside). The error
    /// says what is wrong.
    pub fn parse(text: &str) -> Result<KeyPath, String> {
        let mut segments = Vec::new();
        let mut rest = text;
        loop {
            // A key: quoted, or up to the next `.` or `[`.
            let key = if let Some(quoted) = rest.strip_prefix('"') {
                let mut key = String::new();
                let mut chars = quoted.char_indices();
                let close = loop {
                    match chars.next() {
                        None => {
                            return Err(format!("`{text}` has a `\"` without its closing `\"`"));
                        }
                        Some((i, '"')) => break i,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c @ ('"' | '\\'))) => key.push(c),
                            _ => {
                                return Err(format!(
                                    "`{text}`: inside quotes, `\\` escapes only `\"` and `\\`"
                                ));
                            }
                        },
                        Some((_, c)) => key.push(c),
                    }
                };
                if key.is_empty() {
                    return Err(format!("`{text}` has an empty quoted key"));
                }
                rest = &quoted[close + 1..];
                key
            } else {
                let end = rest.find(['.', '[', ']', '"']).unwrap_or(rest.len());
                let key = &rest[..end];
                let part = rest.split('.').next().unwrap_or(rest);
                match rest[end..].chars().next() {
                    _ if !key.is_empty() => {}
                    Some('[') => return Err(format!("`{part}` needs a key before `[`")),
                    Some(']') => return Err(format!("`{part}` has `]` without `[`")),
                    Some('"') => {
                        return Err(format!("`{part}`: quote a whole key, not part of it"));
                    }
                    _ => {
                        return Err(format!(
                            "`{text}` has an empty step (two dots, or a dot at an end)"
                        ));
                    }
                }
                rest = &rest[end..];
                key.to_owned()
            };
            segments.push(Segment::Key(key));
            while let Some(after) = rest.strip_prefix('[') {
                let Some(close) = after.find(']') else {
                    return Err(format!("`{text}` has `[` without `]`"));
                };
                let inner = &after[..close];
                let segment = if let Some((k, v)) = inner.split_once('=') {
                    if k.is_empty() || v.is_empty() {
                        return Err(format!("`[{inner}]` must be `[key=value]` or `[index]`"));
                    }
                    Segment::Match {
                        key: k.to_owned(),
                        value: v.to_owned(),
                    }
                } else {
                    match inner.parse::<usize>() {
                        Ok(i) => Segment::Index(i),
                        Err(_) => {
                            return Err(format!("`[{inner}]` must be `[key=value]` or `[index]`"));
                        }
                    }
                };
                segments.push(segment);
                rest = &after[close + 1..];
            }
            match rest.strip_prefix('.') {
                Some(next) => rest = next,
                None if rest.is_empty() => break,
                None => {
                    return Err(format!(
                        "`{text}` has `{rest}` after a step; separate steps with `.`"
                    ));
                }
            }
        }
        Ok(KeyPath { segments })
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            match s {
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if k.contains(['.', '[', ']', '"']) {
                        write!(f, "\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))?;
                    } else {
                        f.write_str(k)?;
                    }
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Match { key, value } => write!(f, "[{key}={value}]")?,
            }
        }
        Ok(())
    }
}

/// The placeholders a path may hold.
pub const PLACEHOLDERS: [&str; 2] = ["{environment}", "{service}"];

/// Checks a path from `render` or `sync`: relative, inside the registry's
/// directory, `/`-separated, with only known placeholders. The error says what
/// is wrong.
pub fn check_relative_path(path: &str, placeholders: bool) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".to_owned());
    }
    if path.contains('\\') {
        return Err(format!("`{path}` uses `\\`; separate directories with `/`"));
    }
    let bytes = path.as_bytes();
    if path.starts_with('/')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
    {
        return Err(format!(
            "`{path}` is absolute; paths are relative to ports.yaml's directory"
        ));
    }
    if path.split('/').any(|c| c == "..") {
        return Err(format!("`{path}` leaves ports.yaml's directory (`..`)"));
    }
    // One spelling per file: `./a`, `a//b` and `a/` would name a file twice and
    // defeat the checks that compare paths (claims, orphans).
    if path.split('/').any(|c| c.is_empty() || c == ".") {
        let normal = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect::<Vec<_>>()
            .join("/");
        return Err(if normal.is_empty() {
            format!("`{path}` names ports.yaml's directory itself, not a file")
        } else {
            format!("`{path}` is not in normal form; write `{normal}`")
        });
    }
    if path.chars().any(char::is_control) {
        return Err(format!(
            "`{}` holds a control character",
            path.escape_debug()
        ));
    }
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            return Err(format!("`{path}` has `{{` without `}}`"));
        };
        let placeholder = &rest[open..open + len + 1];
        if !placeholders {
            return Err(format!(
                "`{path}` cannot hold placeholders such as `{placeholder}`"
            ));
        }
        if !PLACEHOLDERS.contains(&placeholder) {
            return Err(format!(
                "`{placeholder}` is not a placeholder; use `{{environment}}` or `{{service}}`"
            ));
        }
        rest = &rest[open + len + 1..];
    }
    if rest.contains('}') {
        return Err(format!("`{path}` has `}}` without `{{`"));
    }
    Ok(())
}
