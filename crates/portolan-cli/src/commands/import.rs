//! `portolan import`: convert an old registry into ports.yaml, saying what it hides.

use super::{Outcome, Result, write};
use crate::cli::{ImportArgs, ImportFormat};
use portolan::diag::printable;
use portolan::import::{self, Format, Imported, Options};
use portolan::{Source, diag};
use std::io::{Read, Write};
use std::path::Path;

/// Runs the import: prints the problems of the source and the findings of the
/// new registry, and writes it only when it validates (or with `--force`).
pub fn run(args: ImportArgs, out: &mut dyn Write) -> Result<Outcome> {
    let stdin = args.file == Path::new("-");
    let (name, text) = read_source(&args.file, stdin)?;
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
        node_port_range: args.node_port_range,
        project: args.project,
        source_name: Some(name.clone()),
        output_name: Some(shown.clone()),
    };
    let imported = import::import(&text, format, &options).map_err(|e| format!("{name}: {e}"))?;
    let valid = imported.is_valid();
    let complete = imported.is_complete();
    // `--force` lifts the existing-file and validity gates, never the
    // partial one: a dropped entry is written only when that is asked for.
    let writes = (complete || args.partial) && (valid || args.force);
    // Findings on the new registry point into its text; say so when that
    // text is not written anywhere.
    let proposed = match writes {
        true => shown.clone(),
        false => format!("{shown} (proposed, not written)"),
    };
    let source = Source::new(name.as_str(), text.as_str());
    let output_source = Source::new(proposed.as_str(), imported.yaml.as_str());
    report(&name, &imported, &source, &output_source, out)?;

    let summary = summary(&imported, &source);
    if !writes {
        let why = not_written(&imported, &name, &shown, complete || args.partial);
        write(out, &format!("{summary}; {shown} was not written: {why}\n"))?;
        return Ok(Outcome::Findings);
    }
    // The files of the repository that repeat the ports, as `sync:` entries.
    let yaml = match args.no_sync {
        true => imported.yaml.clone(),
        false => propose_sync(&args.file, &output, &shown, &imported.yaml, stdin, out)?,
    };
    if args.dry_run {
        write(out, &yaml)?;
        write(out, &format!("(dry run: {shown} was not written)\n"))?;
        return Ok(if valid {
            Outcome::Ok
        } else {
            Outcome::Findings
        });
    }
    if std::fs::symlink_metadata(&output).is_ok() && !args.force {
        eprintln!(
            "error: {shown} already exists; nothing was written (pass --force to replace it)"
        );
        return Ok(Outcome::Findings);
    }
    portolan::transaction::write_new(&output, yaml.as_bytes())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    write(out, &format!("wrote {shown}: {summary}\n"))?;
    write(out, &next_step(&output, &shown, valid))?;
    Ok(if valid {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}

/// The source's name as shown and its text: standard input for `-`.
fn read_source(file: &Path, stdin: bool) -> Result<(String, String)> {
    if stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(("<stdin>".to_owned(), text));
    }
    let name = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {name}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name}: not valid UTF-8 (byte {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((name, text))
}

/// Why the new registry was not written: entries left out without
/// `--partial` (`partial_allowed` false), else errors to decide by hand.
fn not_written(imported: &Imported, name: &str, shown: &str, partial_allowed: bool) -> String {
    if !partial_allowed {
        return format!(
            "{} of {name} {} not imported (above): fix {name} and import again, or pass \
             --partial to write the rest",
            plural(imported.dropped(), "entry", "entries"),
            if imported.dropped() == 1 { "is" } else { "are" }
        );
    }
    format!(
        "decide the errors above by hand (fix {name} and import again, or pass --force to \
         write {shown} and edit it)"
    )
}

/// What to run once `output` is written: sync, then check, when it is
/// valid; else fix it by hand, then check.
fn next_step(output: &Path, shown: &str, valid: bool) -> String {
    let check = if output == Path::new("ports.yaml") {
        "portolan check".to_owned()
    } else {
        format!("portolan check -f {shown}")
    };
    if valid {
        let sync = check.replacen("check", "sync", 1);
        format!("next: `{sync}` renders generated/, then `{check}`\n")
    } else {
        format!("fix the errors above in {shown} by hand, then run `{check}`\n")
    }
}

/// Searches the output's directory for files that repeat the imported ports,
/// prints each value found, and returns the registry with the `sync:`
/// entries that would own them (checked by planning a sync).
fn propose_sync(
    source: &Path,
    output: &Path,
    shown: &str,
    yaml: &str,
    stdin: bool,
    out: &mut dyn Write,
) -> Result<String> {
    let text_source = Source::new(shown, yaml);
    let report = portolan::check(&text_source);
    let Some(registry) = report.valid_registry() else {
        return Ok(yaml.to_owned());
    };
    let root = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let registry_name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The imported file is not one to keep in sync.
    let exclude: Vec<String> = match (stdin, source.canonicalize(), root.canonicalize()) {
        (false, Ok(file), Ok(dir)) => file
            .strip_prefix(&dir)
            .ok()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    let proposal = import::propose(&root, &registry_name, &registry, &exclude);
    let (proposal, yaml) = proposal.checked(shown, yaml);
    let prefix = match root.as_os_str() == "." {
        true => String::new(),
        false => format!("{}/", root.display()),
    };
    for f in &proposal.found {
        let line = match &f.template {
            Some(t) => format!(
                "{prefix}{}:{}:{}: `{}` holds {}, {}: proposed as `{}`",
                f.file, f.line, f.column, f.key, f.port, f.what, t
            ),
            None => format!(
                "{prefix}{}:{}:{}: `{}` holds {}, {}",
                f.file, f.line, f.column, f.key, f.port, f.what
            ),
        };
        write(
            out,
            &format!("{}\n", printable(&line.replace(['\n', '\r'], " "))),
        )?;
    }
    for s in &proposal.skipped {
        write(out, &format!("{prefix}{s}: not searched\n"))?;
    }
    let proposed = proposal
        .found
        .iter()
        .filter(|f| f.template.is_some())
        .count();
    if proposed > 0 {
        write(
            out,
            &format!(
                "proposed {proposed} owned value{} in `sync:`; review them, then `portolan check`\n",
                if proposed == 1 { "" } else { "s" }
            ),
        )?;
    }
    Ok(yaml)
}

/// How many findings are shown as snippets; the rest one line each.
const SNIPPETS: usize = 100;

/// Each problem of the source at its line, each note, then each finding of
/// the new registry not already said at a source line.
fn report(
    name: &str,
    imported: &Imported,
    source: &Source,
    output: &Source,
    out: &mut dyn Write,
) -> Result<()> {
    let color = super::color();
    let findings = imported.source_findings(source);
    let proposed: Vec<_> = imported.proposed_findings().collect();
    let all = findings
        .iter()
        .map(|d| (source, d))
        .chain(proposed.into_iter().map(|d| (output, d)));
    for (i, (src, d)) in all.enumerate() {
        let text = match i < SNIPPETS {
            true => format!("{}\n\n", diag::snippet(src, d, color)),
            false => format!("{}\n", diag::plain(src, d)),
        };
        write(out, &text)?;
    }
    for n in &imported.notes {
        let at = match (&n.span, &n.location) {
            (Some(span), _) => format!("{name}:{span}: "),
            (None, Some(location)) => format!("{name}: {location}: "),
            (None, None) => format!("{name}: "),
        };
        let line = format!("{at}note: {}", n.message).replace(['\n', '\r'], " ");
        write(out, &format!("{}\n", printable(&line)))?;
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `3 services, 3 environments, 5 infrastructure entries; 1 dropped, 1
/// converted; 2 errors` — what the new registry holds and what it lacks.
fn summary(imported: &Imported, source: &Source) -> String {
    let mut out = counts(imported);
    let mut lost = Vec::new();
    if imported.dropped() > 0 {
        lost.push(format!(
            "{} not imported",
            plural(imported.dropped(), "entry", "entries")
        ));
    }
    if imported.converted() > 0 {
        lost.push(format!(
            "{} converted",
            plural(imported.converted(), "value", "values")
        ));
    }
    if !lost.is_empty() {
        out = format!("{out}; {}", lost.join(", "));
    }
    // The errors printed above: the source's, and the proposed registry's
    // that the source's do not already say.
    let errors = imported
        .source_findings(source)
        .iter()
        .filter(|d| d.is_error())
        .count()
        + imported
            .proposed_findings()
            .filter(|d| d.is_error())
            .count();
    if errors > 0 {
        out = format!("{out}; {}", plural(errors, "error", "errors"));
    }
    out
}

fn counts(imported: &Imported) -> String {
    let mut parts = vec![
        plural(imported.services, "service", "services"),
        plural(imported.environments, "environment", "environments"),
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
