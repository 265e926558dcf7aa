//! The command line, as typed: clap definitions only, no logic.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Keep every port of every service in one ports.yaml.
#[derive(Debug, Parser)]
#[command(
    name = "portolan",
    version,
    about,
    propagate_version = true,
    after_help = "Examples:\n  portolan check                  check ./ports.yaml (or the nearest parent's)\n  cargo ports check --format json  the same through the cargo alias, as JSON"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check ports.yaml and every file it keeps in sync; never writes.
    ///
    /// Validates syntax, ranges, conflicts, reserved ports, NodePorts and names,
    /// printing every finding with the line it points at. When the registry is
    /// valid, lists every generated or team-owned file that is stale, missing
    /// or orphaned, with what differs. Exits 0 when all is well (warnings
    /// allowed), 1 on errors or drift, 2 when it cannot run.
    #[command(
        after_help = "Examples:\n  portolan check\n  portolan check -f examples/rerp/ports.yaml --format json"
    )]
    Check(CheckArgs),

    /// Render generated/ and update the values Portolan owns in team files.
    ///
    /// Renders everything in memory first. A real sync writes only files whose
    /// content changes, each atomically, and all-or-nothing: if any file
    /// cannot be read, parsed or written, no file is changed. Artifacts the
    /// registry no longer produces are removed.
    #[command(
        after_help = "Examples:\n  portolan sync --dry-run\n  portolan sync\n  portolan sync -f examples/rerp/ports.yaml"
    )]
    Sync(SyncArgs),
}

/// Arguments of `portolan check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The registry (default: ports.yaml in the current directory or the nearest parent).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// How to print findings.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to use colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// Arguments of `portolan sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The registry (default: ports.yaml in the current directory or the nearest parent).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Print a unified diff of what would change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Output formats for findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Annotated snippets of ports.yaml, as rustc prints them.
    Human,
    /// One `ports.yaml:LINE:COL: …` line per finding.
    Short,
    /// A JSON array of findings.
    Json,
}

/// Colour choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when printing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}
