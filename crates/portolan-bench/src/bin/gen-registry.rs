//! `gen-registry`: writes a generated ports.yaml of a given size and shape.
//!
//! ```text
//! gen-registry [--services N] [--ports K] [--environments E] [--headroom H]
//!              [--conflicts C] [--no-descriptions] [--per-service-sync]
//!              [--full-port-space] [-o FILE]
//! ```
//!
//! Without `-o` the registry goes to standard output.

use portolan_bench::Shape;
use std::process::ExitCode;

const USAGE: &str = "usage: gen-registry [--services N] [--ports K] [--environments E] [--headroom H] [--conflicts C] [--no-descriptions] [--per-service-sync] [--full-port-space] [-o FILE]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-registry: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut shape = Shape::default();
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> Result<usize, String> {
            let v = args.next().ok_or(format!("{what} needs a number"))?;
            v.parse()
                .map_err(|_| format!("{what}: `{v}` is not a number"))
        };
        match arg.as_str() {
            "--services" => shape.services = number("--services")?,
            "--ports" => shape.ports_per_service = number("--ports")?,
            "--environments" => shape.environments = number("--environments")?,
            "--headroom" => shape.headroom = number("--headroom")?,
            "--conflicts" => shape.conflicts = number("--conflicts")?,
            "--no-descriptions" => shape.descriptions = false,
            "--per-service-sync" => shape.per_service_sync = true,
            "--full-port-space" => {
                let full = Shape::full_port_space();
                shape.services = full.services;
                shape.ports_per_service = full.ports_per_service;
                shape.environments = full.environments;
            }
            "-o" | "--output" => out = Some(args.next().ok_or("-o needs a file")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if shape.services == 0 || shape.ports_per_service == 0 || shape.environments == 0 {
        return Err("services, ports and environments must be at least 1".into());
    }
    let last =
        1024 + shape.environments * (shape.services * shape.ports_per_service + shape.headroom);
    if last > 65_536 {
        return Err(format!(
            "{} ports plus headroom do not fit in one host's port space",
            shape.ports()
        ));
    }
    let text = shape.yaml();
    match out {
        Some(path) => std::fs::write(&path, text).map_err(|e| format!("{path}: {e}")),
        None => {
            use std::io::Write;
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string())
        }
    }
}
