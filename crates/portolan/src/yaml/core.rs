//! The YAML 1.2 core schema: what a plain scalar reads as. Booleans are only
//! the `true`/`false` spellings, so a service called `y` or `no` stays a name.

use super::Value;
use granit_parser::{ScalarStyle, Tag};
use std::borrow::Cow;

/// A scalar's value by the YAML 1.2 core schema, with booleans limited to
/// `true`/`false` spellings (a service called `y` or `no` stays a name).
pub(super) fn resolve<'t>(value: Cow<'t, str>, style: ScalarStyle, tag: Option<&Tag>) -> Value<'t> {
    if let Some(tag) = tag
        && tag.handle() == "tag:yaml.org,2002:"
    {
        match tag.suffix() {
            "str" | "binary" => return Value::Str(value),
            "null" => return Value::Null(value),
            "bool" => return Value::Bool(value),
            "int" => {
                return match parse_int(value.trim()) {
                    Some(n) => Value::Int(saturate(n), value),
                    None => Value::Str(value),
                };
            }
            "float" => return Value::Float(value),
            _ => {}
        }
    }
    if style != ScalarStyle::Plain
        || tag.is_some_and(|t| t.handle() == "!" && t.suffix().is_empty())
    {
        return Value::Str(value);
    }
    let t = value.as_ref();
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null(value),
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return Value::Bool(value),
        _ => {}
    }
    let first = t.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Some(n) = parse_int(t) {
            return Value::Int(saturate(n), value);
        }
        if is_float(t) {
            return Value::Float(value);
        }
    }
    Value::Str(value)
}

/// `[-+]?[0-9_]+`, `0x…`, `0o…`: the spellings a YAML parser reads as integers
/// (the decoder refuses all but plain decimal for ports, with the decimal as help).
pub(super) fn parse_int(t: &str) -> Option<i128> {
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(oct) = digits.strip_prefix("0o") {
        (8, oct)
    } else {
        (10, digits)
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || !digits
            .bytes()
            .all(|b| b == b'_' || (b as char).is_digit(radix))
    {
        return None;
    }
    let n = if digits.contains('_') {
        i128::from_str_radix(&digits.replace('_', ""), radix).ok()?
    } else {
        i128::from_str_radix(digits, radix).ok()?
    };
    Some(if negative { -n } else { n })
}

/// YAML 1.2 core floats: `1.5`, `.5`, `1e3`, `-2.5E-3`, `.inf`, `.nan`, and
/// integers too long for 128 bits.
fn is_float(t: &str) -> bool {
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    whole
        .bytes()
        .chain(fraction.bytes())
        .any(|b| b.is_ascii_digit())
        && digits(whole)
        && digits(fraction)
        && exponent.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        })
}

/// An integer held in 64 bits: past them it is no port, offset or count,
/// and the text keeps the exact value (a node stays 64 bytes, where an
/// `i128` would align it to 80).
fn saturate(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}
