//! `portolan check`: every finding in ports.yaml, then every file out of sync.

use super::{Outcome, Result, fix_command, registry_source, write};
use crate::cli::{CheckArgs, Format};
use portolan::diag;
use std::io::Write;

/// Warnings of one code printed in full; the rest are counted.
const WARNINGS_SHOWN: usize = 5;
/// How many findings the human format shows as snippets.
const SNIPPETS: usize = 100;

/// Runs the check and prints its findings to `out`.
pub fn run(args: CheckArgs, out: &mut dyn Write) -> Result<Outcome> {
    let fix = fix_command(args.file.as_deref());
    let source = match registry_source(args.file) {
        Ok(source) => source,
        // A JSON reader gets a JSON document whatever happens.
        Err(failure) if args.format == Format::Json => {
            let item = serde_json::json!([{
                "severity": "error",
                "code": "cannot-run",
                "message": failure.0,
                "file": null,
                "line": null,
                "column": null,
                "related": [],
                "help": null,
            }]);
            let text = serde_json::to_string_pretty(&item)
                .map_err(|e| format!("cannot build JSON: {e}"))?;
            write(out, &format!("{text}\n"))?;
            return Err(failure);
        }
        Err(failure) => return Err(failure),
    };
    // Drift is only meaningful for a registry that loads and validates; it is
    // computed while the rules run and kept only then.
    let (report, drift) =
        portolan::validate::check_then(&source, |registry| portolan::sync::plan(&source, registry));
    let stale =
        matches!(&drift, Some(Ok(plan)) if !plan.is_clean()) || matches!(drift, Some(Err(_)));
    match args.format {
        Format::Json => {
            let mut items: Vec<serde_json::Value> =
                serde_json::from_str(&diag::json(&source, &report.diagnostics))
                    .map_err(|e| format!("cannot build JSON: {e}"))?;
            match &drift {
                Some(Ok(plan)) => items.extend(plan.drift_json(&fix)),
                Some(Err(problems)) => items.extend(problems.iter().map(|p| {
                    serde_json::json!({"file": p.file, "line": p.at.map(|a| a.0), "column": p.at.map(|a| a.1), "severity": "error", "code": "sync-failed", "message": p.message, "related": [], "help": null})
                })),
                None => {}
            }
            let text = serde_json::to_string_pretty(&items)
                .map_err(|e| format!("cannot build JSON: {e}"))?;
            write(out, &format!("{text}\n"))?;
        }
        Format::Short | Format::Human => {
            let color = super::color();
            // Every error, but only the first few warnings of each kind: a
            // registry that fills the port space may have thousands.
            let (shown, hidden) = diag::shown(&report.diagnostics, WARNINGS_SHOWN);
            for (i, d) in shown.into_iter().enumerate() {
                // A snippet costs time in the size of its lines; past the first
                // hundred, findings are one line each so a huge registry with
                // thousands of errors still prints in linear time.
                let text = match args.format {
                    Format::Human if i < SNIPPETS => {
                        format!("{}\n\n", diag::snippet(&source, d, color))
                    }
                    Format::Human if i == SNIPPETS => format!(
                        "(the other findings, one line each; `--format short` prints all so)\n{}\n",
                        diag::plain(&source, d)
                    ),
                    _ => format!("{}\n", diag::plain(&source, d)),
                };
                write(out, &text)?;
            }
            for (code, count) in &hidden {
                write(out, &format!("{}\n", diag::hidden_line(*code, *count)))?;
            }
            if !hidden.is_empty() {
                write(out, "(`--format json` lists every finding)\n")?;
            }
            write(
                out,
                &format!("{}\n", diag::summary(&source, &report.diagnostics)),
            )?;
            match &drift {
                Some(Ok(plan)) => {
                    for line in plan.drift() {
                        write(out, &format!("{line}\n"))?;
                    }
                    let summary = plan.summary(&fix);
                    if !summary.is_empty() {
                        write(out, &format!("{summary}\n"))?;
                    }
                }
                Some(Err(problems)) => {
                    for p in problems {
                        write(out, &format!("{p}\n"))?;
                    }
                    write(
                        out,
                        &format!(
                            "cannot check the synced files until this is fixed; then run `{fix}`\n"
                        ),
                    )?;
                }
                None => {}
            }
        }
    }
    Ok(if report.is_ok() && !stale {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}
