//! `parse-typed FILE`: reads a generated registry the way a serde user would,
//! serde-saphyr deserializing into typed structs (each port and description
//! with its location), and does nothing else. The second whole-process
//! baseline, beside `parse-only`'s generic spanned tree.

use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Deserialize)]
#[allow(dead_code)] // Read for the cost of reading it.
struct Registry {
    project: String,
    environments: BTreeMap<String, Environment>,
    services: BTreeMap<String, Service>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Environment {
    range: Spanned<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Service {
    description: Option<Spanned<String>>,
    ports: BTreeMap<String, Spanned<u16>>,
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse-typed FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    // The same limits as parse-only's, so the whole port space fits.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = 8_000_000;
    budget.max_nodes = 4_000_000;
    let options = serde_saphyr::options! {
        budget: Some(budget),
        strict_booleans: true,
        with_snippet: false,
    };
    match serde_saphyr::from_str_with_options::<Registry>(&text, options) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::from(1)
        }
    }
}
