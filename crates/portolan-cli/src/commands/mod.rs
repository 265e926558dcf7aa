//! One module per command; each calls the library and renders its result.

pub mod check;
pub mod import;
pub mod init;
pub mod list;
pub mod registry;
pub mod sync;

use portolan::Source;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a command ended with; `main` maps it to the exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: the registry has errors (already printed).
    Findings,
}

/// The registry a command works on: `--file`, or the nearest ports.yaml.
pub fn registry_source(file: Option<PathBuf>) -> Result<Source> {
    Ok(Source::read(registry_path(file)?)?)
}

/// The path of the registry a command works on: `--file`, or the nearest ports.yaml.
pub fn registry_path(file: Option<PathBuf>) -> Result<PathBuf> {
    let path = match file {
        Some(path) => path,
        None => {
            let cwd = std::env::current_dir()
                .map_err(|e| format!("cannot read the current directory: {e}"))?;
            let found = portolan::source::discover(&cwd).ok_or_else(|| {
                format!(
                    "no ports.yaml in {} or any parent directory; pass one with --file",
                    cwd.display()
                )
            })?;
            // Print paths relative to where the user stands, as they would type them.
            found.strip_prefix(&cwd).map(PathBuf::from).unwrap_or(found)
        }
    };
    Ok(path)
}

/// A command's result; the error is a failure to run at all (exit 2).
pub type Result<T> = std::result::Result<T, Failure>;

/// A failure to run a command (usage or I/O), printed once by `main`.
#[derive(Debug)]
pub struct Failure(pub String);

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure(message)
    }
}

impl From<portolan::Error> for Failure {
    fn from(e: portolan::Error) -> Self {
        Failure(e.to_string())
    }
}

/// Writes `text` to the command's output.
pub fn write(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write output: {e}").into())
}

/// The command that brings files back in sync, as the user would type it.
pub fn fix_command(file: Option<&Path>) -> String {
    match file {
        Some(path) => format!("portolan sync -f {}", path.display()),
        None => "portolan sync".to_owned(),
    }
}

/// The `--color` choice, set once by `main` before any command runs.
static COLOR: std::sync::OnceLock<crate::cli::Color> = std::sync::OnceLock::new();

/// Records the `--color` choice for every command.
pub fn set_color(choice: crate::cli::Color) {
    let _ = COLOR.set(choice);
}

/// Whether to colour standard output: `--color`, else the environment as
/// the ecosystem reads it (CLICOLOR_FORCE, NO_COLOR when not empty,
/// CLICOLOR=0, TERM=dumb) and whether it is a terminal.
pub fn color() -> bool {
    use std::io::IsTerminal;
    match COLOR.get().copied().unwrap_or(crate::cli::Color::Auto) {
        crate::cli::Color::Always => true,
        crate::cli::Color::Never => false,
        crate::cli::Color::Auto => {
            // CLICOLOR_FORCE forces colour when set to anything but `0`
            // or nothing.
            if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                return true;
            }
            !anstyle_query::no_color()
                && anstyle_query::clicolor() != Some(false)
                && anstyle_query::term_supports_color()
                && std::io::stdout().is_terminal()
        }
    }
}

/// A unified diff with removed lines red, added lines green and hunk
/// headers cyan, when colour is on.
pub fn diff_text(diff: &str) -> String {
    use anstyle::{AnsiColor, Style};
    if !color() {
        return diff.to_owned();
    }
    let mut out = String::with_capacity(diff.len() + diff.len() / 8);
    for line in diff.split_inclusive('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            Style::new().bold()
        } else if line.starts_with('+') {
            AnsiColor::Green.on_default()
        } else if line.starts_with('-') {
            AnsiColor::Red.on_default()
        } else if line.starts_with("@@") {
            AnsiColor::Cyan.on_default()
        } else {
            Style::new()
        };
        let body = line.strip_suffix('\n').unwrap_or(line);
        out.push_str(&format!("{style}{body}{style:#}"));
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
