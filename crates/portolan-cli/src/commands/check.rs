//! `portolan check`: every finding in ports.yaml, then every file out of sync.

use super::{Outcome, Result, fix_command, registry_source, write};
use crate::cli::{CheckArgs, Format};
use portolan::Source;
use portolan::diag;
use portolan::sync::{Plan, Problem};
use portolan::validate::Report;
use std::io::Write;

/// Warnings of one code printed in full; the rest are counted.
const WARNINGS_SHOWN: usize = 5;
/// How many findings the human format shows as snippets.
const SNIPPETS: usize = 100;

/// What `sync::plan` found: `None` when the registry is not valid.
type Drift = Option<std::result::Result<Plan, Vec<Problem>>>;

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
            write_json(out, &item)?;
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
        Format::Json => print_json(&source, &report, &drift, &fix, out)?,
        Format::Short | Format::Human => {
            print_findings(args.format, &source, &report, out)?;
            print_drift(&drift, &fix, out)?;
        }
    }
    Ok(if report.is_ok() && !stale {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}

/// `value`, pretty-printed, on a line of its own.
fn write_json(out: &mut dyn Write, value: &serde_json::Value) -> Result<()> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| format!("cannot build JSON: {e}"))?;
    write(out, &format!("{text}\n"))
}

/// The findings and the drift as one JSON array.
fn print_json(
    source: &Source,
    report: &Report,
    drift: &Drift,
    fix: &str,
    out: &mut dyn Write,
) -> Result<()> {
    let mut items: Vec<serde_json::Value> =
        serde_json::from_str(&diag::json(source, &report.diagnostics))
            .map_err(|e| format!("cannot build JSON: {e}"))?;
    match drift {
        Some(Ok(plan)) => items.extend(plan.drift_json(fix)),
        Some(Err(problems)) => items.extend(problems.iter().map(|p| {
            serde_json::json!({"file": p.file, "line": p.at.map(|a| a.0), "column": p.at.map(|a| a.1), "severity": "error", "code": "sync-failed", "message": p.message, "related": [], "help": null})
        })),
        None => {}
    }
    write_json(out, &serde_json::Value::Array(items))
}

/// The findings, as snippets (`Human`) or one line each (`Short`), then
/// their summary.
fn print_findings(
    format: Format,
    source: &Source,
    report: &Report,
    out: &mut dyn Write,
) -> Result<()> {
    let color = super::color();
    // Every error, but only the first few warnings of each kind: a
    // registry that fills the port space may have thousands.
    let (shown, hidden) = diag::shown(&report.diagnostics, WARNINGS_SHOWN);
    for (i, d) in shown.into_iter().enumerate() {
        // A snippet costs time in the size of its lines; past the first
        // hundred, findings are one line each so a huge registry with
        // thousands of errors still prints in linear time.
        let text = match format {
            Format::Human if i < SNIPPETS => {
                format!("{}\n\n", diag::snippet(source, d, color))
            }
            Format::Human if i == SNIPPETS => format!(
                "(the other findings, one line each; `--format short` prints all so)\n{}\n",
                diag::plain(source, d)
            ),
            _ => format!("{}\n", diag::plain(source, d)),
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
        &format!("{}\n", diag::summary(source, &report.diagnostics)),
    )
}

/// Each file out of sync and what to run, or why they cannot be checked.
fn print_drift(drift: &Drift, fix: &str, out: &mut dyn Write) -> Result<()> {
    match drift {
        Some(Ok(plan)) => {
            for line in plan.drift() {
                write(out, &format!("{line}\n"))?;
            }
            let summary = plan.summary(fix);
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
                &format!("cannot check the synced files until this is fixed; then run `{fix}`\n"),
            )?;
        }
        None => {}
    }
    Ok(())
}
