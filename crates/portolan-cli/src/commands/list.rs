//! `portolan list`, `query` and `doctor`: read-only views of the registry.

use super::{Outcome, Result, registry_source, write};
use crate::cli::{DoctorArgs, ListArgs, ListFormat, QueryArgs};
use portolan::render::{self, Row};
use portolan::{Registry, Source, diag, doctor};
use std::io::Write;

/// Loads and validates the registry, or prints why not.
fn valid(source: &Source, out: &mut dyn Write) -> Result<Option<Registry>> {
    let report = portolan::check(source);
    if report.is_ok() {
        return Ok(report.registry);
    }
    print_invalid(source, &report, out)?;
    Ok(None)
}

/// Why a registry with errors cannot be listed: every finding, then the summary.
fn print_invalid(source: &Source, report: &portolan::Report, out: &mut dyn Write) -> Result<()> {
    for d in &report.diagnostics {
        write(out, &format!("{}\n", diag::plain(source, d)))?;
    }
    write(
        out,
        &format!("{}\n", diag::summary(source, &report.diagnostics)),
    )
}

/// Rows of `environment` (infrastructure, shared by all, included), or
/// `None` after an error naming the environments when it is unknown.
fn rows_in<'r>(registry: &'r Registry, environment: Option<&str>) -> Option<Vec<Row<'r>>> {
    if let Some(env) = environment
        && registry.environment(env).is_none()
    {
        let names: Vec<&str> = registry
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        eprintln!(
            "error: no environment `{env}`; the environments are {}",
            names.join(", ")
        );
        return None;
    }
    Some(
        render::rows(registry)
            .into_iter()
            .filter(|r| {
                environment.is_none()
                    || r.environment.is_none()
                    || r.environment.as_deref() == environment
            })
            .collect(),
    )
}

/// Columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// The cells that say which port a row is: SERVICE, NAME, ENVIRONMENT, PORT.
fn port_cells(r: &Row) -> Vec<String> {
    vec![
        r.service.to_string(),
        r.name.as_deref().unwrap_or("-").to_owned(),
        r.environment.as_deref().unwrap_or("(all)").to_owned(),
        r.shown_port(),
    ]
}

fn port_table(rows: &[Row]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = port_cells(r);
            cells.push(r.container_text());
            cells.push(r.node_port.map_or_else(|| "-".into(), |p| p.to_string()));
            cells
        })
        .collect();
    table(
        &[
            "SERVICE",
            "NAME",
            "ENVIRONMENT",
            "PORT",
            "CONTAINER",
            "NODEPORT",
        ],
        &cells,
    )
}

fn print(rows: &[Row], format: ListFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        ListFormat::Json => write(out, &render::list_json(rows)),
        ListFormat::Table => write(out, &port_table(rows)),
    }
}

/// Runs `portolan list`.
pub fn list(args: ListArgs, out: &mut dyn Write) -> Result<Outcome> {
    let source = registry_source(args.file)?;
    let Some(registry) = valid(&source, out)? else {
        return Ok(Outcome::Findings);
    };
    let Some(rows) = rows_in(&registry, args.env.as_deref()) else {
        return Ok(Outcome::Findings);
    };
    print(&rows, args.format, out)?;
    Ok(Outcome::Ok)
}

/// Runs `portolan query`.
pub fn query(args: QueryArgs, out: &mut dyn Write) -> Result<Outcome> {
    let source = registry_source(args.file)?;
    let Some(registry) = valid(&source, out)? else {
        return Ok(Outcome::Findings);
    };
    let Some(rows) = rows_in(&registry, args.env.as_deref()) else {
        return Ok(Outcome::Findings);
    };
    let mine: Vec<Row> = rows
        .iter()
        .filter(|r| r.service == args.service)
        .cloned()
        .collect();
    if mine.is_empty() {
        let all = render::rows(&registry);
        let known = all.iter().any(|r| r.service == args.service);
        let message = if known {
            format!(
                "`{}` has no port in {}",
                args.service,
                args.env.as_deref().unwrap_or("any environment")
            )
        } else {
            match registry.similar_name(&args.service) {
                Some(best) => format!("no service `{}`; did you mean `{best}`?", args.service),
                None => format!("no service `{}` in {}", args.service, source.name()),
            }
        };
        eprintln!("error: {message}");
        return Ok(Outcome::Findings);
    }
    print(&mine, args.format, out)?;
    Ok(Outcome::Ok)
}

/// Runs `portolan doctor`.
pub fn doctor(args: DoctorArgs, out: &mut dyn Write) -> Result<Outcome> {
    let source = registry_source(args.file)?;
    let report = portolan::check(&source);
    let Some(registry) = report.valid_registry() else {
        return print_invalid(&source, &report, out).map(|()| Outcome::Findings);
    };
    let Some(rows) = rows_in(&registry, args.env.as_deref()) else {
        return Ok(Outcome::Findings);
    };
    let hosts = doctor::hosts(&registry);
    if let Some(message) = wrong_host(&registry, &hosts, args.env.as_deref(), args.host.as_deref())
    {
        eprintln!("error: {message}");
        return Ok(Outcome::Findings);
    }
    let all = rows.len();
    let rows = doctor::on_host(&registry, rows, args.host.as_deref());
    let listeners = doctor::listeners()?;
    let findings = doctor::diagnose(&registry, &rows, &listeners);
    let cells: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            let mut cells = port_cells(&f.row);
            cells.push(listening(f));
            cells
        })
        .collect();
    write(
        out,
        &table(
            &["SERVICE", "NAME", "ENVIRONMENT", "PORT", "LISTENING"],
            &cells,
        ),
    )?;
    for d in &report.diagnostics {
        write(out, &format!("{}\n", diag::plain(&source, d)))?;
    }
    if rows.len() < all {
        let note = other_hosts(&hosts, args.host.as_deref(), all - rows.len());
        write(out, &note)?;
    }
    let conflicts = findings.iter().filter(|f| f.conflict).count();
    let wider = findings.iter().filter(|f| !f.wider.is_empty()).count();
    let busy = findings.iter().filter(|f| !f.listeners.is_empty()).count();
    let wider_text = match wider {
        0 => String::new(),
        n => format!(", {n} on a wider address than its `bind:`"),
    };
    write(
        out,
        &format!(
            "{} ports: {busy} in use, {conflicts} held by a process that is not its service{wider_text}\n",
            findings.len()
        ),
    )?;
    Ok(if args.strict && conflicts + wider > 0 {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}

/// A host as messages name it: host `NAME`, or the shared host for `None`.
fn host_text(host: Option<&str>) -> String {
    host.map_or("the shared host".to_owned(), |h| format!("host `{h}`"))
}

/// Why `--host` (`host`) cannot be checked, alone or with `--env` (`env`):
/// no entry names it, or the environment runs on another host.
fn wrong_host(
    registry: &Registry,
    hosts: &[&str],
    env: Option<&str>,
    host: Option<&str>,
) -> Option<String> {
    if let Some(host) = host
        && !hosts.contains(&host)
    {
        return Some(format!(
            "no environment or infrastructure names host `{host}`; {}",
            if hosts.is_empty() {
                "every entry uses the shared host, so leave out --host".to_owned()
            } else {
                format!(
                    "the hosts are {} (and the shared host, without --host)",
                    hosts.join(", ")
                )
            }
        ));
    }
    if let Some(env) = env
        && let Some((_, e)) = registry.environment(env)
        && e.host.as_ref().map(|h| h.as_str()) != host
    {
        let on = host_text(e.host.as_ref().map(|h| h.as_str()));
        return Some(format!(
            "environment `{env}` runs on {on}; {}",
            match &e.host {
                Some(h) => format!("pass --host {h}"),
                None => "leave out --host".to_owned(),
            }
        ));
    }
    None
}

/// The LISTENING cell: `free`, or who holds the port, marking a conflict
/// and a wider address than its `bind:`.
fn listening(f: &doctor::Finding) -> String {
    if f.listeners.is_empty() {
        return "free".to_owned();
    }
    let holders: Vec<String> = f
        .listeners
        .iter()
        .map(|l| {
            let who = match (&l.process, l.pid) {
                (Some(name), Some(pid)) => format!("{name} (pid {pid})"),
                _ => "a process this user cannot see".to_owned(),
            };
            let at = std::net::SocketAddr::new(l.address, l.port);
            format!("{} {at} by {who}", l.protocol)
        })
        .collect();
    let mark = if f.conflict { "CONFLICT: " } else { "" };
    let wider = match (&f.wider[..], f.row.bind) {
        ([], _) | (_, None) => String::new(),
        (_, Some(bind)) => {
            format!(" (WIDER than its bind address {bind}: reachable from other hosts)")
        }
    };
    format!("{mark}{}{wider}", holders.join("; "))
}

/// The line saying that `left_out` ports of other hosts than `host` were
/// not checked, and how to check them.
fn other_hosts(hosts: &[&str], host: Option<&str>, left_out: usize) -> String {
    let this = host_text(host);
    let others: Vec<&str> = hosts.iter().copied().filter(|h| Some(*h) != host).collect();
    let mut hint = others
        .iter()
        .map(|h| format!("--host {h}"))
        .collect::<Vec<_>>();
    if host.is_some() {
        hint.push("no --host for the shared host".to_owned());
    }
    format!(
        "checked {this} only: {left_out} ports of other hosts are not checked here (run doctor there: {})\n",
        hint.join(", ")
    )
}
