//! Who listens on the configured ports right now.
//!
//! [`listeners`] reads this host's sockets (TCP listening, UDP bound; IPv4 and
//! IPv6) and maps each socket to the process holding it through /proc (Linux;
//! elsewhere it reports that it cannot look). [`diagnose`] is pure: it matches
//! the registry's ports against a list of listeners, so it is tested without
//! touching the host.

pub use crate::model::Protocol;
use crate::model::{HostRef, Registry};
use crate::render::Row;
use std::collections::BTreeMap;

/// A socket bound on this host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listener {
    /// The local port.
    pub port: u16,
    /// TCP (listening) or UDP (bound).
    pub protocol: Protocol,
    /// The local address (`0.0.0.0`, `::`, `127.0.0.1`, …).
    pub address: std::net::IpAddr,
    /// The holding process, when /proc lets us see it (other users' processes
    /// need privileges).
    pub pid: Option<u32>,
    /// The process's name (`comm`).
    pub process: Option<String>,
}

/// What doctor found for one configured port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding<'r> {
    /// The configured port.
    pub row: Row<'r>,
    /// Sockets bound on it.
    pub listeners: Vec<Listener>,
    /// True when a holder is known and its name does not match the service.
    pub conflict: bool,
    /// The port's own listeners on a wider address than its `bind:`
    /// (`0.0.0.0` where `127.0.0.1` is declared): reachable from where the
    /// registry says it is not.
    pub wider: Vec<Listener>,
}

/// The rows of ports published on `host` (`None`: the shared host, which
/// entries without `host:` use): a host sees only its own environments.
pub fn on_host<'r>(registry: &Registry, rows: Vec<Row<'r>>, host: Option<&str>) -> Vec<Row<'r>> {
    let wanted = host.map_or(HostRef::Shared, HostRef::Named);
    let infra = registry.infrastructure.host();
    rows.into_iter()
        .filter(|r| match &r.name {
            // Service rows name their environment; infrastructure rows may too.
            Some(_) => r
                .environment
                .as_deref()
                .and_then(|e| registry.environment(e))
                .is_some_and(|(_, e)| e.host() == wanted),
            None => infra == wanted,
        })
        .collect()
}

/// The hosts the registry names, in file order, without the shared one.
pub fn hosts(registry: &Registry) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let named = registry
        .environments
        .iter()
        .filter_map(|e| e.host.as_ref())
        .chain(registry.infrastructure.host.as_ref());
    for h in named {
        if !out.contains(&h.as_str()) {
            out.push(h.as_str());
        }
    }
    out
}

/// Whether a process called `process` may hold a port of `service`: one of
/// the names its `processes:` declares, or, with none declared, a name like
/// the service's.
fn runs_as(registry: &Registry, process: &str, service: &str) -> bool {
    let declared = registry
        .service(service)
        .map(|s| s.processes.as_slice())
        .unwrap_or_default();
    if declared.is_empty() {
        return looks_like(process, service);
    }
    // comm is cut to 15 bytes.
    declared
        .iter()
        .any(|d| d == process || (process.len() == 15 && d.starts_with(process)))
}

/// Whether process `name` looks like `service` (`-` and `_` alike, case
/// ignored, either containing the other: `courier` runs as `courier-server`).
fn looks_like(process: &str, service: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let (p, s) = (norm(process), norm(service));
    // comm is cut to 15 bytes, so compare the prefix it kept.
    p.contains(&s) || s.contains(&p) || (p.len() == 15 && s.starts_with(&p))
}

/// Matches `rows` (of `registry`) against `listeners`: one finding per configured port.
pub fn diagnose<'r>(
    registry: &Registry,
    rows: &[Row<'r>],
    listeners: &[Listener],
) -> Vec<Finding<'r>> {
    let mut by_port: BTreeMap<u16, Vec<&Listener>> = BTreeMap::new();
    for l in listeners {
        by_port.entry(l.port).or_default().push(l);
    }
    rows.iter()
        .map(|row| {
            // Only sockets of the port's transports (statsd on 8125/udp
            // does not hold an HTTP API's 8125/tcp), on any port of a range.
            let mut found: Vec<Listener> = by_port
                .range(row.port..=row.port_end.unwrap_or(row.port))
                .flat_map(|(_, ls)| ls.iter())
                .filter(|l| row.protocol.overlaps(l.protocol))
                .map(|l| (*l).clone())
                .collect();
            found.sort();
            found.dedup();
            let foreign = |l: &Listener| {
                l.process
                    .as_deref()
                    .is_some_and(|p| !runs_as(registry, p, &row.service))
            };
            let conflict = found.iter().any(foreign);
            let wider = match row.bind {
                Some(bind) if !bind.is_unspecified() => found
                    .iter()
                    .filter(|l| !foreign(l) && wider_than(l.address, bind))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            Finding {
                row: row.clone(),
                listeners: found,
                conflict,
                wider,
            }
        })
        .collect()
}

/// Whether a socket on `address` is reachable from more places than `bind`:
/// bound to every address, or to another one (of the same family or not).
fn wider_than(address: std::net::IpAddr, bind: std::net::IpAddr) -> bool {
    let same = |a: std::net::IpAddr| match a {
        // `::ffff:127.0.0.1` is 127.0.0.1.
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, std::net::IpAddr::V4),
        v4 => v4,
    };
    address.is_unspecified() || (same(address) != same(bind) && !address.is_loopback())
}

/// Every TCP socket listening and UDP socket bound on this host, with its process.
#[cfg(target_os = "linux")]
pub fn listeners() -> Result<Vec<Listener>, String> {
    use procfs::net::{TcpState, UdpState};
    use procfs::process::FDTarget;
    let err = |e: procfs::ProcError| format!("cannot read the socket tables in /proc/net: {e}");
    let mut sockets: Vec<(u64, Protocol, std::net::SocketAddr)> = Vec::new();
    for entry in procfs::net::tcp()
        .map_err(err)?
        .into_iter()
        .chain(procfs::net::tcp6().unwrap_or_default())
    {
        if entry.state == TcpState::Listen {
            sockets.push((entry.inode, Protocol::Tcp, entry.local_address));
        }
    }
    for entry in procfs::net::udp()
        .map_err(err)?
        .into_iter()
        .chain(procfs::net::udp6().unwrap_or_default())
    {
        if entry.state != UdpState::Established {
            sockets.push((entry.inode, Protocol::Udp, entry.local_address));
        }
    }
    // inode → (pid, name), for the processes whose fds we may read.
    let mut owners: BTreeMap<u64, (u32, String)> = BTreeMap::new();
    if let Ok(processes) = procfs::process::all_processes() {
        for process in processes.flatten() {
            let Ok(fds) = process.fd() else { continue };
            let name = process.stat().map(|s| s.comm).unwrap_or_default();
            for fd in fds.flatten() {
                if let FDTarget::Socket(inode) = fd.target {
                    owners
                        .entry(inode)
                        .or_insert_with(|| (process.pid as u32, name.clone()));
                }
            }
        }
    }
    let mut out: Vec<Listener> = sockets
        .into_iter()
        .map(|(inode, protocol, addr)| {
            let owner = owners.get(&inode);
            Listener {
                port: addr.port(),
                protocol,
                address: addr.ip(),
                pid: owner.map(|o| o.0),
                process: owner.map(|o| o.1.clone()),
            }
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every socket bound on this host: only implemented through Linux's /proc.
#[cfg(not(target_os = "linux"))]
pub fn listeners() -> Result<Vec<Listener>, String> {
    Err("doctor reads sockets from /proc, which this system does not have".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(text: &str) -> Registry {
        let report = crate::check(&crate::Source::new("ports.yaml", text));
        report.valid_registry().expect("valid").registry().clone()
    }

    fn listener(port: u16, process: &str) -> Listener {
        Listener {
            port,
            protocol: Protocol::Tcp,
            address: std::net::Ipv4Addr::UNSPECIFIED.into(),
            pid: Some(42),
            process: Some(process.to_owned()),
        }
    }

    #[test]
    fn a_declared_process_holds_its_ports_and_no_other_does() {
        let reg = registry(
            "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  billing: { processes: [python3, gunicorn], ports: { api: 8000 } }\n  courier: { ports: { api: 8001 } }\n",
        );
        let rows = crate::render::rows(&reg);
        let verdict = |listeners: &[Listener]| -> Vec<bool> {
            diagnose(&reg, &rows, listeners)
                .iter()
                .map(|f| f.conflict)
                .collect()
        };
        assert_eq!(verdict(&[listener(8000, "python3")]), [false, false]);
        assert_eq!(verdict(&[listener(8000, "gunicorn")]), [false, false]);
        // Declared names replace the name-likeness guess.
        assert_eq!(verdict(&[listener(8000, "billing")]), [true, false]);
        assert_eq!(verdict(&[listener(8001, "python3")]), [false, true]);
        assert_eq!(verdict(&[listener(8001, "courier-server")]), [false, false]);
    }

    #[test]
    fn only_the_ports_of_the_host_asked_for_are_checked() {
        let reg = registry(
            "project: p\nenvironments:\n  local: { range: 8000-8099 }\n  kind: { range: 8000-8099, host: cluster }\nservices:\n  web: { ports: { api: { local: 8000, kind: 8000 } } }\ninfrastructure:\n  services:\n    db: { port: 5432 }\n",
        );
        let rows = crate::render::rows(&reg);
        let on = |host| {
            on_host(&reg, rows.clone(), host)
                .into_iter()
                .map(|r| {
                    (
                        r.service.into_owned(),
                        r.environment.map(|e| e.into_owned()),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            on(None),
            [
                ("web".to_owned(), Some("local".to_owned())),
                ("db".to_owned(), None)
            ]
        );
        assert_eq!(
            on(Some("cluster")),
            [("web".to_owned(), Some("kind".to_owned()))]
        );
        assert_eq!(hosts(&reg), ["cluster"]);
    }

    #[test]
    fn transports_and_bind_addresses_are_compared() {
        let reg = registry(
            "project: p\nenvironments:\n  dev: { range: 8000-8199 }\nservices:\n  statsd: { ports: { ingest: { port: 8125, protocol: udp } } }\n  web: { ports: { api: 8125 } }\ninfrastructure:\n  services:\n    postgres-test: { port: 5433, bind: 127.0.0.1 }\n",
        );
        let rows = crate::render::rows(&reg);
        let udp = Listener {
            protocol: Protocol::Udp,
            ..listener(8125, "statsd")
        };
        let findings = diagnose(&reg, &rows, &[udp.clone(), listener(8125, "web")]);
        let holders = |service: &str| -> Vec<Protocol> {
            findings
                .iter()
                .find(|f| f.row.service == service)
                .unwrap()
                .listeners
                .iter()
                .map(|l| l.protocol)
                .collect()
        };
        // Each port sees its own transport only, so neither is a conflict.
        assert_eq!(holders("statsd"), [Protocol::Udp]);
        assert_eq!(holders("web"), [Protocol::Tcp]);
        assert!(findings.iter().all(|f| !f.conflict));
        // A database declared on loopback but listening on every address.
        let open = listener(5433, "postgres");
        let loopback = Listener {
            address: std::net::Ipv4Addr::LOCALHOST.into(),
            ..open.clone()
        };
        let wider = |l: &Listener| {
            diagnose(&reg, &rows, std::slice::from_ref(l))
                .into_iter()
                .find(|f| f.row.service == "postgres-test")
                .unwrap()
                .wider
                .len()
        };
        assert_eq!(wider(&open), 1);
        assert_eq!(wider(&loopback), 0);
    }

    #[test]
    fn every_port_of_a_range_is_looked_at() {
        let reg = registry(
            "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  media: { ports: { rtp: { range: 8010-8019, protocol: udp } } }\n",
        );
        let rows = crate::render::rows(&reg);
        let inside = Listener {
            protocol: Protocol::Udp,
            ..listener(8015, "python3")
        };
        let findings = diagnose(
            &reg,
            &rows,
            &[inside, listener(8015, "nginx"), listener(8020, "x")],
        );
        // The UDP holder inside the range counts; TCP and a port past it do not.
        assert_eq!(findings[0].listeners.len(), 1);
        assert!(findings[0].conflict);
    }

    #[test]
    fn process_names_match_services_loosely() {
        assert!(looks_like("courier", "courier"));
        assert!(looks_like("courier-server", "courier"));
        assert!(looks_like("postgres", "postgres-test"));
        assert!(looks_like("accounts_receiv", "accounts-receivable"));
        assert!(!looks_like("nginx", "courier"));
    }
}
