//! `portolan`: a thin shell over the portolan library.
//!
//! Exit codes are decided here and only here: 0 when the registry is valid and
//! every file is in sync, 1 when it has errors or files are stale (or a sync is
//! refused), 2 when the command could not run (usage, I/O).

#[cfg(target_os = "linux")]
mod bounded;
mod cli;
mod commands;
mod complete;

use cli::{Cli, Command};
use commands::Outcome;
use std::process::ExitCode;

/// The command line, with clap's own help and errors coloured as `--color`
/// says (it is read before the rest, as clap prints those while parsing).
fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut choice = None;
    for (i, arg) in args.iter().enumerate() {
        let value = match arg.to_str() {
            Some("--") => break,
            Some("--color") => args.get(i + 1).and_then(|v| v.to_str()),
            Some(a) => a.strip_prefix("--color="),
            None => None,
        };
        choice = match value {
            Some("always") => Some(clap::ColorChoice::Always),
            Some("never") => Some(clap::ColorChoice::Never),
            Some("auto") => Some(clap::ColorChoice::Auto),
            _ => choice,
        };
    }
    let mut command = Cli::command();
    if let Some(choice) = choice {
        command = command.color(choice);
    }
    let matches = command.try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

fn main() -> ExitCode {
    // `PORTOLAN_COMPLETE=bash portolan -- …`: the shell asking for
    // completions. A variable of Portolan's own: a generic `COMPLETE` in a CI
    // environment must not turn `portolan check` into a script printer.
    clap_complete::CompleteEnv::with_factory(|| {
        use clap::CommandFactory;
        Cli::command()
    })
    .var(complete::VAR)
    .complete();
    let mut cli = match parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // `portolan -f PATH check` is `portolan check -f PATH`.
    if let Some(file) = cli.file.take() {
        match cli.command.file_mut() {
            Some(own @ None) => *own = Some(file),
            Some(Some(own))
                if *own == file
                    || own
                        .canonicalize()
                        .ok()
                        .is_some_and(|o| file.canonicalize().ok() == Some(o)) => {}
            Some(Some(_)) => {
                eprintln!("error: -f is given twice, with two paths; give it once");
                return ExitCode::from(2);
            }
            None => {
                eprintln!("error: -f names a registry, and this command reads none");
                return ExitCode::from(2);
            }
        }
    }
    commands::set_color(cli.color);
    #[cfg(target_os = "linux")]
    if matches!(
        cli.command,
        Command::Check(_) | Command::Sync(_) | Command::Assign(_) | Command::Release(_)
    ) && let Some(code) = bounded::supervise()
    {
        return code;
    }
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        Command::Init(args) => commands::init::run(args, &mut stdout),
        Command::Check(args) => commands::check::run(args, &mut stdout),
        Command::Sync(args) => commands::sync::run(args, &mut stdout),
        Command::Assign(args) => commands::registry::assign(args, &mut stdout),
        Command::Release(args) => commands::registry::release(args, &mut stdout),
        Command::List(args) => commands::list::list(args, &mut stdout),
        Command::Query(args) => commands::list::query(args, &mut stdout),
        Command::Doctor(args) => commands::list::doctor(args, &mut stdout),
        Command::Import(args) => commands::import::run(args, &mut stdout),
        Command::Schema => {
            commands::write(&mut stdout, &portolan::schema::json()).map(|()| Outcome::Ok)
        }
        Command::Completions(args) => complete::registration(args.shell)
            .map_err(commands::Failure)
            .and_then(|script| commands::write(&mut stdout, &script))
            .map(|()| Outcome::Ok),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(failure) => {
            eprintln!("error: {}", failure.0);
            ExitCode::from(2)
        }
    }
}
