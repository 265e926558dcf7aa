//! A memory bound for the commands that run a repository's templates.
//!
//! Templates are code from the repository, and minijinja bounds their steps
//! (fuel) but not the size of the strings they build: `s ~ s` doubles a
//! string in one step. So `check`, `sync`, `assign` and `release` run in a
//! child process limited to [`MEMORY`] bytes of address space; when a
//! template exceeds it, the child dies on its failed allocation and this
//! process reports that instead of an abort. The child dies with its parent.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};

/// The address space a command may use: far above what the largest registry
/// needs (a full port space checks in under 100 MB).
pub const MEMORY: u64 = 2 << 30;

/// Set in the child to the parent's process id.
const WORKER: &str = "PORTOLAN_BOUNDED_BY";

/// In the parent, runs this command again in a bounded child and returns its
/// exit code; `None` in the child (after bounding itself), or where no child
/// can be started, so the caller runs the command here.
pub fn supervise() -> Option<ExitCode> {
    if let Some(parent) = std::env::var_os(WORKER) {
        bound_self(parent.to_str().and_then(|p| p.parse().ok()));
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let mut child = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(WORKER, std::process::id().to_string())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut out_of_memory = false;
    if let Some(stderr) = child.stderr.take() {
        let mut ours = std::io::stderr().lock();
        for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
            // The runtime's last words before it aborts on a failed allocation.
            // What follows it (a backtrace) says nothing about the registry.
            if out_of_memory || line.starts_with(b"memory allocation of ") {
                out_of_memory = true;
                continue;
            }
            let _ = ours.write_all(&line);
            let _ = ours.write_all(b"\n");
        }
    }
    let status = child.wait().ok()?;
    Some(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        None if out_of_memory => {
            eprintln!(
                "error: a template or a sync value in the registry needs more than {} MiB of memory, the most Portolan gives one command; nothing was written",
                bound() >> 20
            );
            ExitCode::from(2)
        }
        None => {
            eprintln!(
                "error: portolan was stopped ({status}); nothing was written after that point"
            );
            ExitCode::from(2)
        }
    })
}

/// [`MEMORY`], or less where this process is already limited to less.
fn bound() -> u64 {
    let now = rustix::process::getrlimit(rustix::process::Resource::As);
    now.current.map_or(MEMORY, |c| c.min(MEMORY))
}

/// Limits this process's address space, and has it killed with its parent.
fn bound_self(parent: Option<i32>) {
    use rustix::process::{Resource, Rlimit, Signal, getppid, getrlimit, setrlimit};
    let _ = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
    // The parent may have gone before the signal was armed.
    if getppid().map(|p| p.as_raw_nonzero().get()) != parent {
        std::process::exit(2);
    }
    let _ = setrlimit(
        Resource::As,
        Rlimit {
            current: Some(bound()),
            maximum: getrlimit(Resource::As).maximum,
        },
    );
}
