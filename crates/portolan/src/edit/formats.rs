//! Team files in formats other than YAML: one entry point that reads and
//! sets owned values in JSON, TOML, dotenv and text files through their
//! editors.

use super::{Current, Document, EditError, Value, dotenv, json, text, toml_file};
use crate::model::{FileFormat, KeyPath, Segment};

/// What `key` holds in a team file of `format` other than YAML (whose
/// [`Document`] does more): a key path (JSON, TOML), a variable name
/// (dotenv) or a line pattern (text).
pub(crate) fn get_in(format: FileFormat, text: &str, key: &str) -> Result<Current, EditError> {
    match format {
        FileFormat::Json => json::get(text, &key_path(key)?),
        FileFormat::Toml => toml_file::get(text, &key_path(key)?),
        FileFormat::Dotenv => dotenv::get(text, key),
        FileFormat::Text => text::get(text, key),
        _ => Document::parse(text)?.get(&key_path(key)?),
    }
}

/// Where the value of `key` starts in a team file of `format`: its 1-based
/// line and column, when the file holds it.
pub(crate) fn value_at(format: FileFormat, text: &str, key: &str) -> Option<(usize, usize)> {
    let offset = match format {
        FileFormat::Json | FileFormat::Yaml => {
            Document::parse(text).ok()?.value_at(&key_path(key).ok()?)
        }
        FileFormat::Toml => toml_file::value_at(text, &key_path(key).ok()?),
        FileFormat::Dotenv => dotenv::value_at(text, key),
        FileFormat::Text => text::value_at(text, key),
    }?;
    Some(super::line_col(text, offset))
}

/// `text`, a team file of `format`, with every owned value set; `None` when
/// nothing changes. Each format reads its result back before it is returned.
pub(crate) fn apply_in(
    format: FileFormat,
    text: &str,
    values: &[(String, Value)],
) -> Result<Option<String>, EditError> {
    let paths = || -> Result<Vec<(KeyPath, Value)>, EditError> {
        values
            .iter()
            .map(|(k, v)| Ok((key_path(k)?, v.clone())))
            .collect()
    };
    match format {
        FileFormat::Json => json::apply(text, &paths()?),
        FileFormat::Toml => toml_file::apply(text, &paths()?),
        FileFormat::Dotenv => dotenv::apply(text, values),
        FileFormat::Text => text::apply(text, values),
        _ => Document::parse(text)?.apply(&paths()?, &[]),
    }
}

/// A key beside a missing one, with its line where the format gives it.
pub(crate) type Sibling = (String, Option<usize>);

/// For a key missing from a team file of `format`: the index of its first
/// missing step, that step's key, and the keys beside it (with their lines
/// where the format gives them), so a typo (`sever.port` beside `server`)
/// is named instead of added.
pub(crate) fn missing_step_in(
    format: FileFormat,
    text: &str,
    key: &str,
) -> Option<(usize, String, Vec<Sibling>)> {
    let step_key = |path: &KeyPath, step: usize| match path.segments.get(step) {
        Some(Segment::Key(k)) => Some(k.clone()),
        _ => None,
    };
    match format {
        FileFormat::Dotenv => {
            let names = dotenv::names(text).ok()?;
            let siblings = names.into_iter().map(|(n, l)| (n, Some(l))).collect();
            Some((0, key.to_owned(), siblings))
        }
        // A line pattern is never missing: it matches, or is an error.
        FileFormat::Text => None,
        FileFormat::Toml => {
            let path = KeyPath::parse(key).ok()?;
            let (step, keys) = toml_file::missing_step(text, &path)?;
            let siblings = keys.into_iter().map(|k| (k, None)).collect();
            Some((step, step_key(&path, step)?, siblings))
        }
        _ => {
            let path = KeyPath::parse(key).ok()?;
            let (step, keys) = Document::parse(text).ok()?.missing_step(&path)?;
            let siblings = keys.into_iter().map(|(k, l)| (k, Some(l))).collect();
            Some((step, step_key(&path, step)?, siblings))
        }
    }
}

fn key_path(key: &str) -> Result<KeyPath, EditError> {
    KeyPath::parse(key).map_err(|message| EditError {
        message,
        line: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(
        format: FileFormat,
        text: &str,
        key: &str,
        value: Value,
    ) -> Result<Option<String>, EditError> {
        apply_in(format, text, &[(key.to_owned(), value)])
    }

    /// A CRLF (or BOM) file whose owned values already hold what ports.yaml
    /// says is unchanged in every format, so `check` is green after a sync.
    #[test]
    fn an_unchanged_crlf_file_is_no_change() {
        for (format, text, key) in [
            (
                FileFormat::Toml,
                "top = 8000\r\n[a]\r\nport = 8000\r\n",
                "a.port",
            ),
            (FileFormat::Toml, "\u{feff}top = 8000\r\n", "top"),
            (FileFormat::Yaml, "top: 8000\r\n", "top"),
            (FileFormat::Json, "{\r\n  \"top\": 8000\r\n}\r\n", "top"),
            (FileFormat::Dotenv, "TOP=8000\r\n", "TOP"),
        ] {
            assert_eq!(
                set(format, text, key, Value::Int(8000)),
                Ok(None),
                "{text:?}"
            );
        }
        assert_eq!(
            set(FileFormat::Toml, "top = 8000\r\n", "top", Value::Int(8001)),
            Ok(Some("top = 8001\r\n".to_owned()))
        );
    }

    #[test]
    fn a_line_pattern_never_reaches_past_its_line() {
        let make = "LEDGER_URL ?= http://old:1\nPORT ?= 8001\n\nrun:\n\tpython app.py # start\n";
        let out = set(
            FileFormat::Text,
            make,
            r"LEDGER_URL \?= ([^#]*)",
            Value::Str("http://ledger:8002".into()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(out, make.replace("http://old:1", "http://ledger:8002"));
        // A CRLF line's `\r` is not part of the value.
        let crlf = "PORT=8001\r\nX=1\r\n";
        assert_eq!(
            get_in(FileFormat::Text, crlf, "PORT=(.*)").unwrap(),
            Current::Scalar("8001".into())
        );
        assert_eq!(
            set(FileFormat::Text, crlf, "PORT=(.*)", Value::Int(8001)).unwrap(),
            None
        );
        // `a)|(b` cannot slip out of the line anchors.
        let e = get_in(FileFormat::Text, "PORT=1\nB=2\n", r"PORT=1)|(?:B=(\d)").unwrap_err();
        assert!(e.message.contains("is not a valid pattern"), "{e}");
        // A value the group cannot hold is said as such.
        let e = set(FileFormat::Text, "A=1\n", r"A=(\d)", Value::Int(8001)).unwrap_err();
        assert!(
            e.message.contains("would not capture 8001 on one line"),
            "{e}"
        );
    }

    #[test]
    fn toml_keeps_line_endings_byte_order_mark_and_float_types() {
        let text = "\u{feff}[a]\r\nport = 1\r\nx = 2\r\n";
        let out = set(FileFormat::Toml, text, "a.port", Value::Int(8001))
            .unwrap()
            .unwrap();
        assert_eq!(out, "\u{feff}[a]\r\nport = 8001\r\nx = 2\r\n");
        // 8001.0 is a float to TOML readers, not the port 8001.
        assert_eq!(
            get_in(FileFormat::Toml, "[a]\nport = 8001.0\n", "a.port").unwrap(),
            Current::Scalar("8001.0".into())
        );
        let out = set(
            FileFormat::Toml,
            "[a]\nport = 8001.0\n",
            "a.port",
            Value::Int(8001),
        )
        .unwrap();
        assert_eq!(out.as_deref(), Some("[a]\nport = 8001\n"));
    }

    #[test]
    fn dotenv_values_read_one_way_or_are_refused() {
        let e = get_in(FileFormat::Dotenv, "C=\"8001\"#c\n", "C").unwrap_err();
        assert!(e.message.contains("has text after its closing \""), "{e}");
        let out = set(
            FileFormat::Dotenv,
            "C=  # just a comment\n",
            "C",
            Value::Int(8001),
        )
        .unwrap();
        assert_eq!(out.as_deref(), Some("C=  8001 # just a comment\n"));
        let e = get_in(FileFormat::Dotenv, "A=1\nD=hello world\n", "A").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.starts_with("does not read as dotenv"), "{e}");
    }

    #[test]
    fn json_and_dotenv_insertions_follow_line_endings_and_indentation() {
        let json = "{\r\n\t\"config\": {\r\n\t\t\"a\": 1\r\n\t}\r\n}\r\n";
        let out = set(FileFormat::Json, json, "config.port", Value::Int(8001))
            .unwrap()
            .unwrap();
        assert_eq!(
            out,
            "{\r\n\t\"config\": {\r\n\t\t\"a\": 1,\r\n\t\t\"port\": 8001\r\n\t}\r\n}\r\n"
        );
        let env = "A=1\r\nB=2\r\n";
        let out = set(FileFormat::Dotenv, env, "B_PORT", Value::Int(8001))
            .unwrap()
            .unwrap();
        assert_eq!(out, "A=1\r\nB=2\r\nB_PORT=8001\r\n");
    }
}
