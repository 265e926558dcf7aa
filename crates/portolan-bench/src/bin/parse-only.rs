//! `parse-only FILE`: reads a registry and parses it with serde-saphyr into a
//! tree of spanned nodes of the shape `portolan::load` builds, and does nothing
//! else (see [`portolan_bench::baseline`]).
//! The whole-process baseline the commands are compared with.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse-only FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    match portolan_bench::baseline::parse_only(&text) {
        Some(_) => ExitCode::SUCCESS,
        None => ExitCode::from(1),
    }
}
