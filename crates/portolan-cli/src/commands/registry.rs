//! `portolan assign` and `portolan release`: edit ports.yaml under a lock.

use super::{Outcome, Result, registry_path, write};
use crate::cli::{AssignArgs, ReleaseArgs};
use portolan::allocate::{self, Edited, Locked, LockedError, Mode, Placed, Request};
use portolan::{Source, diag, render};
use std::io::Write;
use std::path::Path;

fn ports_text(ports: &[Placed]) -> String {
    ports
        .iter()
        .map(|p| match p.node_port {
            Some(np) => format!("{} {} (NodePort {np})", p.environment, p.port),
            None => match p.end {
                Some(end) => format!("{} {}-{end}", p.environment, p.port),
                None => format!("{} {}", p.environment, p.port),
            },
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints the outcome of a refused or failed edit.
fn failed(e: LockedError, out: &mut dyn Write) -> Result<Outcome> {
    match e {
        LockedError::Invalid(invalid) => {
            let (diagnostics, source) = *invalid;
            for d in &diagnostics {
                write(out, &format!("{}\n", diag::plain(&source, d)))?;
            }
            write(
                out,
                &format!(
                    "{}; fix it first (`portolan check`), nothing was written\n",
                    diag::summary(&source, &diagnostics)
                ),
            )?;
            Ok(Outcome::Findings)
        }
        LockedError::Refused(refusal) => {
            eprintln!("error: {refusal}");
            Ok(Outcome::Findings)
        }
        LockedError::Sync(problems) => {
            for p in problems {
                write(out, &format!("{p}\n"))?;
            }
            write(out, "nothing was written\n")?;
            Ok(Outcome::Findings)
        }
        LockedError::Write(problem) => Err(problem.to_string().into()),
        LockedError::Io(e) => Err(e.into()),
    }
}

fn mode(dry_run: bool, sync: bool) -> Mode {
    match (dry_run, sync) {
        (true, _) => Mode::DryRun,
        (false, true) => Mode::Sync,
        (false, false) => Mode::Registry,
    }
}

fn diff(path: &Path, old: &str, new: &str) -> String {
    let shown = path.display().to_string();
    let diff = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string();
    super::diff_text(&diff)
}

/// After `--sync`: the files written beside ports.yaml.
fn synced(
    plan: Option<&portolan::sync::Plan>,
    path: &Path,
    out: &mut dyn Write,
) -> Result<Outcome> {
    match plan {
        Some(plan) => super::sync::print_changes(plan, Some(path), out),
        None => Ok(Outcome::Ok),
    }
}

/// Runs `portolan assign`.
pub fn assign(args: AssignArgs, out: &mut dyn Write) -> Result<Outcome> {
    let path = registry_path(args.file)?;
    let request = Request {
        service: args.service.clone(),
        name: args.name.clone(),
        ports: args.port.clone(),
        description: args.description.clone(),
        force: args.force,
        protocol: args.protocol,
        count: args.count,
    };
    let mode = mode(args.dry_run, args.sync);
    let result = allocate::locked(&path, mode, args.replace.permit(), |file| {
        let edited = file.assign(&request)?;
        let before = file.source.text().to_owned();
        Ok((edited.text.clone(), (edited, before)))
    });
    let Locked {
        value: (edited, before),
        plan,
    } = match result {
        Ok(v) => v,
        Err(e) => return failed(e, out),
    };
    let Edited {
        text,
        ports,
        previous,
    } = edited;
    if args.dry_run {
        write(out, &diff(&path, &before, &text))?;
    }
    let verb = if args.dry_run {
        "would assign"
    } else {
        "assigned"
    };
    write(
        out,
        &format!(
            "{verb} {}.{}: {}\n",
            args.service,
            args.name,
            ports_text(&ports)
        ),
    )?;
    if !previous.is_empty() {
        write(out, &format!("  (was {})\n", ports_text(&previous)))?;
    }
    if args.dry_run {
        write(out, "nothing was written (dry run)\n")?;
        return Ok(Outcome::Ok);
    }
    if args.sync {
        return synced(plan.as_ref(), &path, out);
    }
    write(
        out,
        &format!(
            "next: run `portolan sync{}` to update the files that hold ports, and use the constants `cargo build` generates\n",
            file_flag(&path)
        ),
    )?;
    Ok(Outcome::Ok)
}

fn file_flag(path: &Path) -> String {
    if path == Path::new("ports.yaml") {
        String::new()
    } else {
        format!(" -f {}", path.display())
    }
}

/// Runs `portolan release`.
pub fn release(args: ReleaseArgs, out: &mut dyn Write) -> Result<Outcome> {
    let path = registry_path(args.file)?;
    let mode = mode(args.dry_run, args.sync);
    let result = allocate::locked(&path, mode, args.replace.permit(), |file| {
        let (source, registry) = (file.source, file.registry);
        let edited = file.release(&args.service, args.name.as_deref())?;
        let before = source.text().to_owned();
        let whole = args.name.is_none()
            || registry
                .service(&args.service)
                .is_some_and(|s| s.ports.len() == 1);
        let leftovers = if whole {
            team_files_of(source, &registry, &args.service)
        } else {
            Vec::new()
        };
        Ok((edited.text.clone(), (edited, before, leftovers)))
    });
    let Locked {
        value: (edited, before, leftovers),
        plan,
    } = match result {
        Ok(v) => v,
        Err(e) => return failed(e, out),
    };
    if args.dry_run {
        write(out, &diff(&path, &before, &edited.text))?;
    }
    let what = match &args.name {
        Some(n) => format!("{}.{n}", args.service),
        None => args.service.clone(),
    };
    let verb = if args.dry_run {
        "would release"
    } else {
        "released"
    };
    write(
        out,
        &format!("{verb} {what}: {}\n", ports_text(&edited.ports)),
    )?;
    if args.dry_run {
        write(out, "nothing was written (dry run)\n")?;
        return Ok(Outcome::Ok);
    }
    let outcome = if args.sync {
        synced(plan.as_ref(), &path, out)?
    } else {
        write(
            out,
            &format!(
                "next: run `portolan sync{}` to remove its artifacts and mappings\n",
                file_flag(&path)
            ),
        )?;
        Outcome::Ok
    };
    for file in leftovers {
        eprintln!(
            "warning: {file} still exists; it belongs to the team, so Portolan leaves it: delete it if `{}` is gone for good",
            args.service
        );
    }
    Ok(outcome)
}

/// Team-owned files whose path names `service` and that exist.
fn team_files_of(source: &Source, registry: &portolan::Registry, service: &str) -> Vec<String> {
    let root = source.path().parent().unwrap_or(Path::new(""));
    let mut out: Vec<String> = registry
        .sync
        .iter()
        .flat_map(|target| render::expand(registry, &target.file.value))
        .filter(|(_, scope)| scope.service.as_deref() == Some(service))
        .map(|(path, _)| root.join(path))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}
