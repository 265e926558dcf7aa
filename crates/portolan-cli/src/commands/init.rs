//! `portolan init`: a starting ports.yaml (and `ports` crate), then a sync.

use super::{Outcome, Result, write};
use crate::cli::{InitArgs, ReplaceArgs, SyncArgs};
use portolan::init::{self, Dependency, Options};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs `portolan init` in the current directory.
pub fn run(args: InitArgs, out: &mut dyn Write) -> Result<Outcome> {
    let root =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    if root.join("ports.yaml").symlink_metadata().is_ok() {
        eprintln!(
            "error: ports.yaml already exists here; `portolan check` reads it (if it is another tool's registry, `portolan import ports.yaml -o ports.new.yaml` converts it)"
        );
        return Ok(Outcome::Findings);
    }
    let found = init::importable(&root);
    if !found.is_empty() && !args.force {
        for file in &found {
            eprintln!(
                "error: {file} looks like another tool's port registry: `portolan import {file}` turns it into ports.yaml with every port it holds (or pass --force to start empty)"
            );
        }
        return Ok(Outcome::Findings);
    }
    if let Some(dir) = &args.crate_dir {
        portolan::model::check_relative_path(dir.trim_end_matches('/'), false)
            .map_err(|e| format!("--crate: {e}"))?;
    }
    let dependency = match &args.portolan_path {
        Some(path) => Dependency::Path(absolute(path)?.display().to_string()),
        None => Dependency::Git,
    };
    let options = Options {
        project: args
            .project
            .clone()
            .unwrap_or_else(|| init::project_name(&root)),
        crate_dir: args.crate_dir.clone(),
        dependency,
    };
    let files = init::files(&options);
    if let Err(message) = init::create(Path::new("."), &files) {
        eprintln!("error: {message}");
        return Ok(Outcome::Findings);
    }
    for (path, _) in &files {
        write(out, &format!("created {path}\n"))?;
    }
    let synced = super::sync::run(
        SyncArgs {
            file: Some(PathBuf::from("ports.yaml")),
            dry_run: false,
            diff_artifacts: false,
            replace: ReplaceArgs::default(),
        },
        out,
    )?;
    if synced != Outcome::Ok {
        return Ok(synced);
    }
    let mut next = String::from(
        "next:\n  portolan check                 # ports.yaml and generated/ agree\n  portolan assign NAME --sync    # a service with a free port in every environment\n",
    );
    if let Some(dir) = &options.crate_dir {
        next.push_str(&format!(
            "  in each Rust service's Cargo.toml: ports = {{ path = \"<path from the service to {}>\" }}   # then ports::development::WEB_API\n",
            dir.trim_end_matches('/')
        ));
    }
    next.push_str("  in CI: portolan check          # fails on any finding or stale file\n");
    write(out, &next)?;
    Ok(Outcome::Ok)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    Ok(path
        .canonicalize()
        .map_err(|e| format!("--portolan-path {}: {e}", path.display()))?)
}
