//! The command line, as typed: clap definitions only, no logic.

use crate::complete;
use clap::{Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCandidates;
use std::path::PathBuf;

/// Keep every port of every service in one ports.yaml.
#[derive(Debug, Parser)]
#[command(
    name = "portolan",
    version,
    about,
    propagate_version = true,
    after_help = "Examples:\n  portolan check                  check ./ports.yaml (or the nearest parent's)\n  portolan check --format json     the same, as JSON\n\nExit codes (every command): 0 all is well (warnings allowed), 1 findings, stale files or a refused\nchange, 2 usage or I/O error.\nColour: --color, else CLICOLOR_FORCE (not 0), NO_COLOR (not empty), CLICOLOR=0, TERM=dumb, and\nwhether the output is a terminal."
)]
pub struct Cli {
    /// The registry, for the commands that read one (default: ./ports.yaml or
    /// the nearest parent's); the same as the command's own `-f`.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// When to colour findings and diffs (`auto`: see `portolan --help`).
    #[arg(long, value_enum, global = true, default_value_t = Color::Auto)]
    pub color: Color,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Command {
    /// The command's `-f`, for the commands that read a registry.
    pub fn file_mut(&mut self) -> Option<&mut Option<PathBuf>> {
        match self {
            Command::Check(a) => Some(&mut a.file),
            Command::Sync(a) => Some(&mut a.file),
            Command::Assign(a) => Some(&mut a.file),
            Command::Release(a) => Some(&mut a.file),
            Command::List(a) => Some(&mut a.file),
            Command::Query(a) => Some(&mut a.file),
            Command::Doctor(a) => Some(&mut a.file),
            Command::Init(_) | Command::Import(_) | Command::Schema | Command::Completions(_) => {
                None
            }
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start using Portolan here: a ports.yaml that checks green, generated/,
    /// and with --crate the `ports` crate services import their ports from.
    ///
    /// Writes only files that do not exist yet. When the directory already
    /// holds another tool's registry, says how to import it instead.
    #[command(
        after_help = "Examples:\n  portolan init\n  portolan init --crate ports\n  portolan init --project acme --crate crates/ports"
    )]
    Init(InitArgs),

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

    /// Add a service (or a named port) to ports.yaml with the lowest free port.
    ///
    /// Picks the lowest offset from each environment's range start that is free
    /// in every environment at once (so 8002/9002/7002), stepping over ports in
    /// use, reserved ports and NodePorts that would be invalid or taken. Edits
    /// ports.yaml in place, keeping every comment and its style.
    #[command(
        after_help = "Examples:\n  portolan assign billing --description \"Billing API\"\n  portolan assign billing --name metrics\n  portolan assign billing --port production=8040 --port test=7040\n  portolan assign billing --force --dry-run"
    )]
    Assign(AssignArgs),

    /// Remove a service (or one of its named ports) from ports.yaml.
    #[command(
        after_help = "Examples:\n  portolan release billing\n  portolan release billing --name metrics --sync"
    )]
    Release(ReleaseArgs),

    /// List every port: service, port name, environment, port, container port, NodePort.
    #[command(after_help = "Examples:\n  portolan list\n  portolan list --env test --format json")]
    List(ListArgs),

    /// Show the ports of one service.
    #[command(
        after_help = "Examples:\n  portolan query courier\n  portolan query courier --env development --format json"
    )]
    Query(QueryArgs),

    /// Show which configured ports something on this host listens on now, and who.
    ///
    /// Reads the sockets of this host (TCP and UDP, IPv4 and IPv6) and, where
    /// /proc allows, the process holding each; marks a port held by a process
    /// whose name is not its service's, and a port listening on a wider address
    /// than its `bind:`. Exits 0 unless --strict and something conflicts.
    #[command(
        after_help = "Examples:\n  portolan doctor\n  portolan doctor --env development --strict\n  portolan doctor --host kind"
    )]
    Doctor(DoctorArgs),

    /// Convert a Lumiere ports.yaml or a RERP port-registry.json into ports.yaml.
    ///
    /// Reads the Lumiere style (`environments.<env>.<service>.*_port`,
    /// `*_mapping`, `service_discovery`, `infrastructure`) or the RERP style
    /// (`next_port`, `reserved_ports`, `assignments`; NodePorts are
    /// `31000 + (port - 8000)` unless --node-port-offset says otherwise).
    /// Prints every problem the source hides, with where it is, and writes the
    /// output only when it validates (or with --force). Exits 0 when the output
    /// is valid, 1 when something must be decided by hand or the output exists,
    /// 2 when the source cannot be read.
    #[command(
        after_help = "Examples:\n  portolan import config/ports.yaml -o ports.yaml\n  portolan import scripts/port-registry.json --project rerp\n  portolan import port-registry.json --node-port-offset 22000 -o ports.yaml --force"
    )]
    Import(ImportArgs),

    /// Print the JSON Schema of ports.yaml (draft-07), for editors.
    ///
    /// `portolan sync` also writes it to generated/ports.schema.json; point the
    /// YAML language server at it with a first line
    /// `# yaml-language-server: $schema=generated/ports.schema.json`.
    #[command(after_help = "Examples:\n  portolan schema > ports.schema.json")]
    Schema,

    /// Print a shell completion script.
    ///
    /// The script asks `portolan` for each completion, so service, port,
    /// environment and host names come from the nearest ports.yaml. It is
    /// the same as `PORTOLAN_COMPLETE=<shell> portolan`.
    #[command(
        after_help = "Examples:\n  portolan completions bash > ~/.local/share/bash-completion/completions/portolan\n  portolan completions zsh > ~/.zfunc/_portolan\n  portolan completions fish > ~/.config/fish/completions/portolan.fish\n  echo 'source <(portolan completions bash)' >> ~/.bashrc"
    )]
    Completions(CompletionsArgs),
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
}

/// Arguments of `portolan init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The project's name (default: the directory's name).
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,

    /// Also write the `ports` crate (Cargo.toml, build.rs, src/lib.rs) in this directory.
    #[arg(long = "crate", value_name = "DIR", num_args = 0..=1, default_missing_value = "ports")]
    pub crate_dir: Option<String>,

    /// The crate's Portolan: a local checkout of Portolan's repository instead of git.
    #[arg(long, value_name = "PATH", requires = "crate_dir")]
    pub portolan_path: Option<PathBuf>,

    /// Write ports.yaml even where another tool's registry was found.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `portolan sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The registry (default: ports.yaml in the current directory or the nearest parent).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Print what would change and write nothing: each team file's diff in
    /// full, and one line per generated artifact.
    #[arg(long)]
    pub dry_run: bool,

    /// With --dry-run, the generated artifacts' diffs too.
    #[arg(long, requires = "dry_run")]
    pub diff_artifacts: bool,

    #[command(flatten)]
    pub replace: ReplaceArgs,
}

/// Files a write refuses to replace unless told to.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct ReplaceArgs {
    /// Replace read-only files too, keeping their mode.
    #[arg(long)]
    pub replace_read_only: bool,

    /// Replace files that have other hard links (the other names keep the old contents).
    #[arg(long)]
    pub break_hard_links: bool,
}

impl ReplaceArgs {
    /// What the transaction may replace.
    pub fn permit(self) -> portolan::transaction::Permit {
        portolan::transaction::Permit {
            read_only: self.replace_read_only,
            hard_links: self.break_hard_links,
        }
    }
}

/// Arguments of `portolan assign`.
#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// The service to add the port to (created when new).
    #[arg(add = ArgValueCandidates::new(complete::services))]
    pub service: String,

    /// The port's name.
    #[arg(long, default_value = "api", value_name = "PORT_NAME", add = ArgValueCandidates::new(complete::port_names))]
    pub name: String,

    /// Use this port instead of the lowest free one: `N` when the service gets
    /// a port in one environment, else `ENVIRONMENT=N`, once per environment
    /// (environments not given one share the lowest free offset).
    #[arg(long, value_name = "[ENV=]N")]
    pub port: Vec<portolan::allocate::GivenPort>,

    /// The new service's description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,

    /// The new port's transport: free only where no port of the same
    /// transport is (default: tcp).
    #[arg(long, value_name = "tcp|udp|both", value_parser = protocol)]
    pub protocol: Option<portolan::model::Protocol>,

    /// A range of N contiguous ports instead of one (an RTP range, a worker
    /// pool): every port of the block free and none reserved, at the same
    /// offset in every environment.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub count: Option<u16>,

    /// Move an existing port to a new one instead of refusing.
    #[arg(long)]
    pub force: bool,

    /// Print the change to ports.yaml and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Then run `portolan sync`, in the same transaction.
    #[arg(long, conflicts_with = "dry_run")]
    pub sync: bool,

    #[command(flatten)]
    pub replace: ReplaceArgs,

    /// The registry (default: ports.yaml in the current directory or the nearest parent).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,
}

/// Arguments of `portolan release`.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The service to remove.
    #[arg(add = ArgValueCandidates::new(complete::services))]
    pub service: String,

    /// Remove only this named port (the service goes with its last port).
    #[arg(long, value_name = "PORT_NAME", add = ArgValueCandidates::new(complete::port_names))]
    pub name: Option<String>,

    /// Print the change to ports.yaml and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Then run `portolan sync`, in the same transaction, removing its artifacts and kind mappings.
    #[arg(long, conflicts_with = "dry_run")]
    pub sync: bool,

    #[command(flatten)]
    pub replace: ReplaceArgs,

    /// The registry (default: ports.yaml in the current directory or the nearest parent).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,
}

/// Arguments of `portolan list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this environment (infrastructure, shared by all, is always shown).
    #[arg(long, value_name = "ENV", add = ArgValueCandidates::new(complete::environments))]
    pub env: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// The registry (default: ports.yaml in the current directory or the nearest parent).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,
}

/// Arguments of `portolan query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The service (or infrastructure entry).
    #[arg(add = ArgValueCandidates::new(complete::services_and_infrastructure))]
    pub service: String,

    /// Only this environment.
    #[arg(long, value_name = "ENV", add = ArgValueCandidates::new(complete::environments))]
    pub env: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// The registry (default: ports.yaml in the current directory or the nearest parent).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,
}

/// Arguments of `portolan doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Only this environment's ports (and the infrastructure).
    #[arg(long, value_name = "ENV", add = ArgValueCandidates::new(complete::environments))]
    pub env: Option<String>,

    /// Exit 1 when a port is held by a process that is not its service, or
    /// listens on a wider address than its `bind:`.
    #[arg(long)]
    pub strict: bool,

    /// The host this is, as `host:` names it (default: the shared host, which
    /// entries without `host:` use). Ports of other hosts are not checked.
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(complete::hosts))]
    pub host: Option<String>,

    /// The registry (default: ports.yaml in the current directory or the nearest parent).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,
}

/// Arguments of `portolan import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The registry to convert (`-` reads standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The source's format (auto: tell from the content).
    #[arg(long, value_enum, default_value_t = ImportFormat::Auto)]
    pub format: ImportFormat,

    /// Where to write the new registry.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "PATH",
        default_value = "ports.yaml"
    )]
    pub output: PathBuf,

    /// RERP: NodePort = port + N (default 23000, i.e. 31000 + (port - 8000)).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub node_port_offset: Option<i32>,

    /// RERP: the NodePort range, e.g. 30000-32767 (default: the blocks of 1000
    /// that hold every service's NodePort).
    #[arg(long, value_name = "A-B", value_parser = node_port_range)]
    pub node_port_range: Option<(u16, u16)>,

    /// Write the new registry even when entries of the source are left out
    /// (each is reported; without this the import fails).
    #[arg(long)]
    pub partial: bool,

    /// Do not search the output's directory for files that repeat the ports
    /// (by default their `sync:` entries are proposed in the new registry).
    #[arg(long)]
    pub no_sync: bool,

    /// Print the new registry instead of writing it.
    #[arg(long)]
    pub dry_run: bool,

    /// The project name (default: the source's, else the format's team).
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,

    /// Replace an existing output, and write it even when it does not validate.
    #[arg(long)]
    pub force: bool,
}

/// Source formats of `portolan import`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Tell from the content.
    Auto,
    /// ports.yaml with `environments.<env>.<service>.*_port` keys.
    Lumiere,
    /// port-registry.json with `next_port`, `reserved_ports` and `assignments`.
    Rerp,
}

/// Arguments of `portolan completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Output formats of `list` and `query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// An aligned table.
    Table,
    /// A JSON array of objects.
    Json,
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
// Without doc comments on the values: a documented value would make every
// command's help the long form; `portolan --help` says how `auto` decides.
pub enum Color {
    Auto,
    Always,
    Never,
}

/// `tcp`, `udp` or `both`.
fn protocol(text: &str) -> std::result::Result<portolan::model::Protocol, String> {
    portolan::model::Protocol::parse(text)
        .ok_or_else(|| format!("`{text}` is not a protocol: tcp, udp or both"))
}

/// `A-B` with `A <= B`, both ports.
fn node_port_range(text: &str) -> std::result::Result<(u16, u16), String> {
    let bad = || format!("`{text}` is not a range like 30000-32767");
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let a: u16 = a.trim().parse().map_err(|_| bad())?;
    let b: u16 = b.trim().parse().map_err(|_| bad())?;
    if a == 0 || a > b {
        return Err(bad());
    }
    Ok((a, b))
}
