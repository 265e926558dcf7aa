//! `portolan check`: every finding in ports.yaml, then a summary.

use super::{Outcome, Result, registry_source};
use crate::cli::{CheckArgs, Color, Format};
use portolan::diag;
use std::io::{IsTerminal, Write};

/// Runs the check and prints its findings to `out`.
pub fn run(args: CheckArgs, out: &mut dyn Write) -> Result<Outcome> {
    let source = registry_source(args.file)?;
    let report = portolan::check(&source);
    let write = |out: &mut dyn Write, text: &str| -> Result<()> {
        out.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write output: {e}").into())
    };
    match args.format {
        Format::Json => write(
            out,
            &format!("{}\n", diag::json(&source, &report.diagnostics)),
        )?,
        Format::Short => {
            for d in &report.diagnostics {
                write(out, &format!("{}\n", diag::plain(&source, d)))?;
            }
            write(
                out,
                &format!("{}\n", diag::summary(&source, &report.diagnostics)),
            )?;
        }
        Format::Human => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
                }
            };
            for d in &report.diagnostics {
                write(out, &format!("{}\n\n", diag::snippet(&source, d, color)))?;
            }
            write(
                out,
                &format!("{}\n", diag::summary(&source, &report.diagnostics)),
            )?;
        }
    }
    Ok(if report.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}
