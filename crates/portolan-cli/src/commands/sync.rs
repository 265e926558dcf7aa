//! `portolan sync`: render artifacts and patch owned values, all-or-nothing.

use super::{Outcome, Result, registry_path, write};
use crate::cli::SyncArgs;
use portolan::diag;
use portolan::sync::{self, ChangeKind};
use std::io::Write;

/// Runs the sync (or, with `--dry-run`, prints its diff) to `out`.
pub fn run(args: SyncArgs, out: &mut dyn Write) -> Result<Outcome> {
    let path = registry_path(args.file)?;
    // Writers hold the registry's lock from before they read anything, so
    // no file changes between the plan and the write but by someone else.
    let lock = match args.dry_run {
        true => None,
        false => Some(sync::Lock::acquire(&path)?),
    };
    let source = portolan::Source::read(&path).map_err(|e| e.to_string())?;
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
    let Some(lock) = lock else {
        let diff = plan.diff_of(args.diff_artifacts);
        write(out, &super::diff_text(&diff))?;
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
    };
    plan.apply(&lock, args.replace.permit())
        .map_err(|p| p.to_string())?;
    print_changes(&plan, None, out)
}

/// `created x`, `updated y`, `removed z`, or that nothing changed; `skip`
/// (the registry, which its command reports itself) is left out.
pub fn print_changes(
    plan: &sync::Plan,
    skip: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let changes = plan
        .changes
        .iter()
        .filter(|c| skip != Some(std::path::Path::new(&plan.shown(c))));
    let mut printed = 0;
    for c in changes {
        printed += 1;
        let verb = match c.kind {
            ChangeKind::Create => "created",
            ChangeKind::Update => "updated",
            ChangeKind::Remove => "removed",
        };
        write(out, &format!("{verb} {}\n", plan.shown(c)))?;
    }
    if printed == 0 {
        write(
            out,
            &format!("{} files up to date; nothing to do\n", plan.unchanged),
        )?;
    }
    for line in plan.ignored.iter().chain(&plan.strays) {
        write(out, &format!("warning: {line}\n"))?;
    }
    Ok(Outcome::Ok)
}
