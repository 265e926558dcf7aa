//! What the shell completes from the registry: services, environments,
//! port names and hosts, read from the nearest ports.yaml when the shell asks
//! (`COMPLETE=bash portolan`, through clap_complete). A registry that cannot
//! be read completes nothing; one with errors still completes its names.

use clap_complete::engine::CompletionCandidate;
use portolan::Registry;

/// The variable the shell sets to ask for completions (`PORTOLAN_COMPLETE=bash`).
pub const VAR: &str = "PORTOLAN_COMPLETE";

/// The registry the command line being completed names with `-f`/`--file`,
/// else the nearest ports.yaml.
fn registry() -> Option<Registry> {
    let cwd = std::env::current_dir().ok()?;
    let path = named_file(std::env::args_os()).or_else(|| portolan::source::discover(&cwd))?;
    let source = portolan::Source::read(path).ok()?;
    portolan::load(&source).0
}

/// `-f PATH`, `--file PATH` or `--file=PATH` among the words after `--`
/// (the shell passes the line being completed there).
fn named_file(args: impl Iterator<Item = std::ffi::OsString>) -> Option<std::path::PathBuf> {
    let words: Vec<std::ffi::OsString> = args.skip_while(|a| a != "--").skip(1).collect();
    let mut found = None;
    for (i, word) in words.iter().enumerate() {
        match word.to_str() {
            Some("-f" | "--file") => found = words.get(i + 1).map(std::path::PathBuf::from),
            Some(w) => {
                if let Some(path) = w.strip_prefix("--file=") {
                    found = Some(path.into());
                }
            }
            None => {}
        }
    }
    found.filter(|p| !p.as_os_str().is_empty())
}

/// A name as the shell may insert it: only what ports.yaml accepts as a name,
/// so a registry cannot put shell syntax on the command line.
fn candidate(name: &str, help: Option<&str>) -> Option<CompletionCandidate> {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then(|| {
        CompletionCandidate::new(name)
            .help(help.map(|h| portolan::diag::printable(h).into_owned().into()))
    })
}

/// The services (for `assign`, which adds ports to one, and `release`).
pub fn services() -> Vec<CompletionCandidate> {
    let Some(registry) = registry() else {
        return Vec::new();
    };
    registry
        .services
        .iter()
        .filter_map(|s| candidate(s.name.as_str(), s.description.as_deref()))
        .collect()
}

/// The services and the infrastructure entries (for `query`).
pub fn services_and_infrastructure() -> Vec<CompletionCandidate> {
    let Some(registry) = registry() else {
        return Vec::new();
    };
    let services = registry
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.description.as_deref()));
    let infrastructure = registry
        .infrastructure
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.description.as_deref()));
    services
        .chain(infrastructure)
        .filter_map(|(name, help)| candidate(name, help))
        .collect()
}

/// The environments.
pub fn environments() -> Vec<CompletionCandidate> {
    let Some(registry) = registry() else {
        return Vec::new();
    };
    registry
        .environments
        .iter()
        .filter_map(|e| candidate(e.name.as_str(), None))
        .collect()
}

/// Every port name, once (for `--name`).
pub fn port_names() -> Vec<CompletionCandidate> {
    let Some(registry) = registry() else {
        return Vec::new();
    };
    once_each(
        registry
            .services
            .iter()
            .flat_map(|s| s.ports.iter().map(|p| p.name.as_str())),
    )
}

/// The hosts named by `host:` (for `doctor --host`).
pub fn hosts() -> Vec<CompletionCandidate> {
    let Some(registry) = registry() else {
        return Vec::new();
    };
    once_each(portolan::doctor::hosts(&registry).into_iter())
}

/// Names written in several places, each offered once, sorted.
fn once_each<'a>(names: impl Iterator<Item = &'a str>) -> Vec<CompletionCandidate> {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter_map(|n| candidate(n, None))
        .collect()
}

/// The registration script of `shell`: it calls `portolan` back with
/// `COMPLETE=<shell>` to complete each word.
pub fn registration(shell: clap_complete::Shell) -> Result<String, String> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells
        .completer(&name)
        .ok_or_else(|| format!("no completion for {name}"))?;
    let mut script = Vec::new();
    completer
        .write_registration(VAR, "portolan", "portolan", "portolan", &mut script)
        .map_err(|e| format!("cannot write the completion script: {e}"))?;
    let mut script = String::from_utf8(script).map_err(|e| e.to_string())?;
    // Autoloaded from `fpath` as `_portolan`, zsh runs the file on the first
    // Tab: the script only defines and registers the completer, so the first
    // Tab would complete nothing without calling it here.
    if shell == clap_complete::Shell::Zsh {
        script.push_str(
            "[[ ${funcstack[1]} = _portolan ]] && _clap_dynamic_completer_portolan \"$@\"\n",
        );
    }
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::{candidate, named_file};

    #[test]
    fn the_file_of_the_line_being_completed_is_read() {
        let args = |words: &[&str]| {
            words
                .iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(
            named_file(args(&[
                "portolan",
                "--",
                "portolan",
                "-f",
                "a/ports.yaml",
                "query",
                ""
            ])),
            Some("a/ports.yaml".into())
        );
        assert_eq!(
            named_file(args(&[
                "portolan",
                "--",
                "portolan",
                "query",
                "--file=b.yaml",
                ""
            ])),
            Some("b.yaml".into())
        );
        assert_eq!(
            named_file(args(&["portolan", "--", "portolan", "query", "-f"])),
            None
        );
        assert_eq!(named_file(args(&["portolan", "-f", "x", "query"])), None);
    }

    #[test]
    fn only_names_reach_the_command_line() {
        assert!(candidate("ledger-api_2", None).is_some());
        for hostile in [
            "$(touch x)",
            "a;b",
            "a b",
            "`x`",
            "",
            "a\nb",
            "--sync",
            "-f",
        ] {
            assert!(candidate(hostile, None).is_none(), "{hostile}");
        }
        let with_help = candidate("ledger", Some("line\u{1b}[2J")).unwrap();
        assert_eq!(
            with_help.get_help().map(|h| h.to_string()),
            Some("line\\u{1b}[2J".to_owned())
        );
    }
}
