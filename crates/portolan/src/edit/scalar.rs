//! Scalars as the editor writes them: the YAML layer's writer
//! ([`crate::yaml`]), given an integer or a string.

use super::*;
pub(super) use crate::yaml::{double_quoted, single_quoted};

pub(super) fn key_text(key: &str) -> String {
    crate::yaml::plain_or_quoted(key, false)
}

/// A value as a plain scalar when that reads back as the same value, else double-quoted.
pub fn plain_or_quoted(value: &Value, flow: bool) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::Str(s) => crate::yaml::plain_or_quoted(s, flow),
    }
}
