//! `portolan import`: convert an old registry into ports.yaml, saying what it hides.

use super::{Outcome, Result, write};
use crate::cli::{ImportArgs, ImportFormat};
use portolan::import::{self, Format, Imported, Options};
use portolan::{Source, diag};
use std::io::{Read, Write};
use std::path::Path;

/// Runs the import: prints the problems of the source and the findings of the
/// new registry, and writes it only when it validates (or with `--force`).
pub fn run(args: ImportArgs, out: &mut dyn Write) -> Result<Outcome> {
    let stdin = args.file == Path::new("-");
    let name = if stdin {
        "<stdin>".to_owned()
    } else {
        args.file.display().to_string()
    };
    let text = if stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        text
    } else {
        let bytes = std::fs::read(&args.file).map_err(|e| format!("cannot read {name}: {e}"))?;
        String::from_utf8(bytes).map_err(|e| {
            format!(
                "{name}: not valid UTF-8 (byte {}); save it as UTF-8",
                e.utf8_error().valid_up_to()
            )
        })?
    };
    let output = args.output;
    let shown = output.display().to_string();
    if !stdin && same_file(&args.file, &output) {
        return Err(format!(
            "{shown} is the file being imported; write the new registry elsewhere with -o PATH"
        )
        .into());
    }
    let format = match args.format {
        ImportFormat::Auto => Format::Auto,
        ImportFormat::Lumiere => Format::Lumiere,
        ImportFormat::Rerp => Format::Rerp,
    };
    let options = Options {
        node_port_offset: args.node_port_offset,
        project: args.project,
        source_name: Some(name.clone()),
        output_name: Some(shown.clone()),
    };
    let imported = import::import(&text, format, &options).map_err(|e| format!("{name}: {e}"))?;
    let source = Source::new(shown.as_str(), imported.yaml.as_str());
    report(&name, &imported, &source, out)?;

    let summary = diag::summary(&source, &imported.report.diagnostics);
    let valid = imported.is_valid();
    if !valid && !args.force {
        write(
            out,
            &format!(
                "{summary}; {shown} was not written: decide the errors above by hand (fix {name} \
                 and import again, or pass --force to write {shown} and edit it)\n"
            ),
        )?;
        return Ok(Outcome::Findings);
    }
    if std::fs::symlink_metadata(&output).is_ok() && !args.force {
        eprintln!(
            "error: {shown} already exists; nothing was written (pass --force to replace it)"
        );
        return Ok(Outcome::Findings);
    }
    portolan::transaction::write_new(&output, imported.yaml.as_bytes())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    write(out, &format!("wrote {shown} ({})\n", counts(&imported)))?;
    let check = if output == Path::new("ports.yaml") {
        "portolan check".to_owned()
    } else {
        format!("portolan check -f {shown}")
    };
    if valid {
        write(out, &format!("next: {check}\n"))?;
        Ok(Outcome::Ok)
    } else {
        write(
            out,
            &format!("{summary}: fix the errors above in {shown} by hand, then run `{check}`\n"),
        )?;
        Ok(Outcome::Findings)
    }
}

/// One line per problem and note of the source, then per finding of the
/// output (`source`, the text the report was made from).
fn report(name: &str, imported: &Imported, source: &Source, out: &mut dyn Write) -> Result<()> {
    let line = |location: &Option<String>, kind: &str, message: &str| {
        let text = match location {
            Some(location) => format!("{name}: {location}: {kind}{message}"),
            None => format!("{name}: {kind}{message}"),
        };
        format!("{}\n", text.replace(['\n', '\r'], " "))
    };
    for p in &imported.problems {
        write(out, &line(&p.location, "", &p.message))?;
    }
    for n in &imported.notes {
        write(out, &line(&n.location, "note: ", &n.message))?;
    }
    for d in &imported.report.diagnostics {
        write(out, &format!("{}\n", diag::plain(source, d)))?;
    }
    Ok(())
}

fn counts(imported: &Imported) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = vec![
        plural(imported.services, "service"),
        plural(imported.environments, "environment"),
    ];
    if imported.infrastructure > 0 {
        parts.push(match imported.infrastructure {
            1 => "1 infrastructure entry".to_owned(),
            n => format!("{n} infrastructure entries"),
        });
    }
    parts.join(", ")
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
