//! Registry names as Rust identifiers. Validation and codegen both use these
//! functions, so a name that validates always yields code that compiles, and two
//! names that would collide in generated code are caught before codegen runs.

/// Words that cannot be plain identifiers (strict and reserved keywords of
/// every edition up to 2024).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot even be raw identifiers (`r#self` is an error).
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split(['-', '_']).filter(|w| !w.is_empty())
}

fn escape(ident: String) -> String {
    if NOT_RAW.contains(&ident.as_str()) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

/// `postgres-test` → `postgres_test` (modules, functions); keywords become raw
/// identifiers (`r#type`), or gain a `_` where Rust allows no raw form (`self_`).
pub fn snake(name: &str) -> String {
    escape(words(name).collect::<Vec<_>>().join("_"))
}

/// `postgres-test` → `POSTGRES_TEST` (constants).
pub fn screaming(name: &str) -> String {
    words(name)
        .map(str::to_ascii_uppercase)
        .collect::<Vec<_>>()
        .join("_")
}

/// `postgres-test` → `PostgresTest` (enum variants).
pub fn camel(name: &str) -> String {
    let ident = words(name)
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<String>();
    escape(ident)
}

/// The constant for a service's named port: `COURIER_API`.
pub fn port_constant(service: &str, port: &str) -> String {
    format!("{}_{}", screaming(service), screaming(port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(snake("postgres-test"), "postgres_test");
        assert_eq!(screaming("postgres-test"), "POSTGRES_TEST");
        assert_eq!(camel("postgres-test"), "PostgresTest");
        assert_eq!(port_constant("general-ledger", "api"), "GENERAL_LEDGER_API");
    }

    #[test]
    fn keywords_still_make_identifiers() {
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("crate"), "crate_");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(screaming("type"), "TYPE");
    }
}
