//! `portolan sync`: render artifacts and patch owned values, all-or-nothing.

use super::{Outcome, Result, registry_source, write};
use crate::cli::SyncArgs;
use portolan::diag;
use portolan::sync::{self, ChangeKind};
use std::io::Write;

/// Runs the sync (or, with `--dry-run`, prints its diff) to `out`.
pub fn run(args: SyncArgs, out: &mut dyn Write) -> Result<Outcome> {
    let source = registry_source(args.file)?;
    let report = portolan::check(&source);
    for d in &report.diagnostics {
        write(out, &format!("{}\n", diag::plain(&source, d)))?;
    }
    let Some(registry) = report.valid_registry() else {
        write(
            out,
            &format!(
                "{}; nothing was written\n",
                diag::summary(&source, &report.diagnostics)
            ),
        )?;
        return Ok(Outcome::Findings);
    };
    let plan = match sync::plan(&source, registry) {
        Ok(plan) => plan,
        Err(problems) => {
            for p in problems {
                write(out, &format!("{p}\n"))?;
            }
            write(out, "nothing was written\n")?;
            return Ok(Outcome::Findings);
        }
    };
    if args.dry_run {
        write(out, &plan.diff())?;
        let n = plan.changes.len();
        write(
            out,
            &match n {
                0 => format!("{} files up to date; nothing to do\n", plan.unchanged),
                _ => format!(
                    "would change {n} file{}; nothing was written (dry run)\n",
                    if n == 1 { "" } else { "s" }
                ),
            },
        )?;
        return Ok(Outcome::Ok);
    }
    plan.apply().map_err(|p| p.to_string())?;
    for c in &plan.changes {
        let verb = match c.kind {
            ChangeKind::Create => "created",
            ChangeKind::Update => "updated",
            ChangeKind::Remove => "removed",
        };
        write(out, &format!("{verb} {}\n", plan.shown(c)))?;
    }
    if plan.is_clean() {
        write(
            out,
            &format!("{} files up to date; nothing to do\n", plan.unchanged),
        )?;
    }
    Ok(Outcome::Ok)
}
