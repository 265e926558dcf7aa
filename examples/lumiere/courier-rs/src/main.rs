//! `courier-rs`: the Lumiere courier service, binding the ports ports.yaml
//! gives it in the environment named by `LUMIERE_ENV`.
//!
//! Exit codes: 2 for a bad configuration (an unknown `LUMIERE_ENV`, a
//! `COURIER_BIND` that is not an IP address), 1 when a port cannot be bound.

use courier_rs::{Config, Server};
use std::process::ExitCode;

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("courier: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match Server::bind(config) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("courier: {e}");
            return ExitCode::FAILURE;
        }
    };
    match server.startup_line() {
        Ok(line) => eprintln!("{line}"),
        Err(e) => {
            eprintln!("courier: {e}");
            return ExitCode::FAILURE;
        }
    }
    server.run();
    ExitCode::SUCCESS
}
