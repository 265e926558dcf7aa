//! A memory bound for the commands that run a repository's templates.
//!
//! Templates are code from the repository, and minijinja bounds their steps
//! (fuel) but not the size of the strings they build: `s ~ s` doubles a
//! string in one step. So `check`, `sync`, `assign` and `release` run in a
//! child process limited to [`MEMORY`] bytes of address space and
//! [`CPU_SECONDS`] of processor time; when a template exceeds either, the
//! child dies and this process reports why instead of an abort. The child
//! dies with its parent.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};

/// The address space a command may use: far above what the largest registry
/// needs (a full port space checks in under 100 MB).
pub const MEMORY: u64 = 2 << 30;

/// The processor time a command may use, in seconds: fuel bounds a
/// template's steps, not what each step costs (a step on a string of a
/// gigabyte takes a second), nor how many files a registry renders. The
/// largest registry checks in under half a second.
pub const CPU_SECONDS: u64 = 120;

/// Set in the child to the parent's process id.
const WORKER: &str = "PORTOLAN_BOUNDED_BY";

/// In the parent, runs this command again in a bounded child and returns its
/// exit code; `None` in the child (after bounding itself), or where no child
/// can be started, so the caller runs the command here.
pub fn supervise() -> Option<ExitCode> {
    if let Some(parent) = std::env::var_os(WORKER) {
        if !bound_self(parent.to_str().and_then(|p| p.parse().ok())) {
            eprintln!("error: {WORKER} is set, but not by a running portolan; unset it");
            return Some(ExitCode::from(2));
        }
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let mut child = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(WORKER, std::process::id().to_string())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    // The runtime's last words before it aborts, and what follows them (a
    // backtrace), are held back: if the child then exits normally they were
    // just text and are printed after all.
    let mut died: Option<&str> = None;
    let mut held: Vec<Vec<u8>> = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        let mut ours = std::io::stderr().lock();
        for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
            if died.is_none() {
                if line.starts_with(b"memory allocation of ") && line.ends_with(b" bytes failed") {
                    died = Some("memory");
                } else if line.starts_with(b"thread '")
                    && line.ends_with(b" has overflowed its stack")
                {
                    died = Some("stack");
                }
            }
            // The runtime's message opens with a blank line.
            if died.is_some() || line.is_empty() {
                held.push(line);
                continue;
            }
            for l in held.drain(..) {
                let _ = ours.write_all(&l);
                let _ = ours.write_all(b"\n");
            }
            let _ = ours.write_all(&line);
            let _ = ours.write_all(b"\n");
        }
    }
    let status = child.wait().ok()?;
    if status.code().is_some() || died.is_none() {
        let mut ours = std::io::stderr().lock();
        for l in held {
            let _ = ours.write_all(&l);
            let _ = ours.write_all(b"\n");
        }
    }
    Some(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        None if died == Some("memory") => {
            eprintln!(
                "error: the registry (its size, or a template or sync value in it) needs more than {} MiB of memory, the most Portolan gives one command; nothing was written",
                bound() >> 20
            );
            ExitCode::from(2)
        }
        None if died == Some("stack") => {
            eprintln!(
                "error: a template or a sync value in the registry nests too deeply (its expression ran out of stack); nothing was written"
            );
            ExitCode::from(2)
        }
        None if std::os::unix::process::ExitStatusExt::signal(&status)
            == Some(rustix::process::Signal::XCPU.as_raw()) =>
        {
            eprintln!(
                "error: the command ran for more than {} s of processor time, the most Portolan gives one (the registry, or a template or sync value in it, asks for too much work); nothing was written",
                cpu_bound()
            );
            ExitCode::from(2)
        }
        None => {
            eprintln!(
                "error: portolan was stopped ({status}); every file it was writing holds its old or its new contents: run it again to finish"
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

/// [`CPU_SECONDS`], or less where this process is already limited to less;
/// a second below a hard limit, so the signal that ends the child is the one
/// that says why (the hard limit's is a plain kill).
fn cpu_bound() -> u64 {
    let now = rustix::process::getrlimit(rustix::process::Resource::Cpu);
    let soft = now.current.map_or(CPU_SECONDS, |c| c.min(CPU_SECONDS));
    now.maximum
        .map_or(soft, |hard| soft.min(hard.saturating_sub(1)).max(1))
}

/// Limits this process's address space and processor time, and has it
/// killed with its parent; false when `parent` is not this process's parent.
fn bound_self(parent: Option<i32>) -> bool {
    use rustix::process::{Resource, Rlimit, Signal, getppid, getrlimit, setrlimit};
    let _ = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
    // The parent may have gone before the signal was armed.
    if getppid().map(|p| p.as_raw_nonzero().get()) != parent {
        return false;
    }
    let _ = setrlimit(
        Resource::As,
        Rlimit {
            current: Some(bound()),
            maximum: getrlimit(Resource::As).maximum,
        },
    );
    let _ = setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(cpu_bound()),
            maximum: getrlimit(Resource::Cpu).maximum,
        },
    );
    true
}
