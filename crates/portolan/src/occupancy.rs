//! Who holds each port: per host and transport, per host for NodePorts, and
//! which ports are reserved. One table, built once, that validation asks for
//! conflicts and allocation asks for free ports.

use crate::model::{Binding, HostRef, Owner, Port, PortRange, Protocol, Registry, Reserved};
use std::collections::HashMap;

/// Binding index + 1 per port of one host and transport, 0 when free, in
/// pages of 1,024 ports allocated when first touched: a host holding a few
/// ports costs a few kilobytes, so thousands of hosts stay small.
#[derive(Default)]
pub(crate) struct Table {
    pages: Vec<Option<Box<[u32; 1024]>>>,
}

impl Table {
    pub(crate) fn get(&self, port: Port) -> u32 {
        let p = usize::from(port.get());
        match self.pages.get(p >> 10) {
            Some(Some(page)) => page[p & 1023],
            _ => 0,
        }
    }

    fn slot(&mut self, port: Port) -> &mut u32 {
        let p = usize::from(port.get());
        if self.pages.is_empty() {
            self.pages.resize_with(64, || None);
        }
        &mut self.pages[p >> 10].get_or_insert_with(|| Box::new([0; 1024]))[p & 1023]
    }
}

/// The ports ranges may hold in all (each environment and transport
/// counted), claimed one by one: past it a registry is refused rather than
/// checked for minutes.
pub(crate) const RANGE_PORTS: usize = 1 << 22;

/// What claiming every binding found: pairs of (later binding, earlier
/// holder), by index into [`Occupancy::bindings`].
#[derive(Default)]
pub(crate) struct Clashes {
    /// Host ports of one transport held twice.
    pub(crate) ports: Vec<(usize, usize)>,
    /// NodePorts held twice.
    pub(crate) node_ports: Vec<(usize, usize)>,
    /// The range past [`RANGE_PORTS`], whose ports and the later ranges'
    /// were not claimed.
    pub(crate) over_budget: Option<usize>,
}

/// Every port of a registry and who holds it; the holder that comes first
/// in `bindings` keeps a port.
pub(crate) struct Occupancy<'r> {
    registry: &'r Registry,
    pub(crate) bindings: Vec<Binding<'r>>,
    ports: HashMap<(HostRef<'r>, Protocol), Table>,
    node_ports: HashMap<HostRef<'r>, Table>,
    /// Reserved entry index + 1 per port.
    reserved: Vec<u32>,
    /// Per port, the first reserved port at or after it (65536: none), so a
    /// range asks once.
    next_reserved: Vec<u32>,
}

impl<'r> Occupancy<'r> {
    /// Claims `bindings` in order and reports what was held twice.
    pub(crate) fn claim(registry: &'r Registry, bindings: Vec<Binding<'r>>) -> (Self, Clashes) {
        let mut reserved = vec![0u32; 65536];
        for (i, r) in registry.reserved.iter().enumerate() {
            for p in r.ports.start.get()..=r.ports.end.get() {
                let slot = &mut reserved[usize::from(p)];
                if *slot == 0 {
                    *slot = i as u32 + 1;
                }
            }
        }
        let mut next_reserved = vec![65536u32; 65537];
        for p in (0..65536).rev() {
            next_reserved[p] = match reserved[p] {
                0 => next_reserved[p + 1],
                _ => p as u32,
            };
        }
        let mut occupancy = Occupancy {
            registry,
            bindings,
            ports: HashMap::new(),
            node_ports: HashMap::new(),
            reserved,
            next_reserved,
        };
        let clashes = occupancy.claim_all();
        (occupancy, clashes)
    }

    fn claim_all(&mut self) -> Clashes {
        let mut clashes = Clashes::default();
        let mut range_ports = 0usize;
        let bindings = &self.bindings;
        for (i, b) in bindings.iter().enumerate() {
            if b.is_range() {
                range_ports += b.ports().len() * b.protocol.transports().len();
                if range_ports > RANGE_PORTS {
                    clashes.over_budget.get_or_insert(i);
                    continue;
                }
            }
            // `both` claims the number in each transport, a range each of its
            // ports; one clash is enough, and a range stops at its first taken
            // port.
            let mut first_holder = None;
            for &transport in b.protocol.transports() {
                let table = self.ports.entry((b.host, transport)).or_default();
                for port in (b.port.get()..=b.end.get()).filter_map(Port::new) {
                    if let Some(first) = take(table, port, i, bindings) {
                        first_holder.get_or_insert(first);
                        break;
                    }
                }
            }
            if let Some(first) = first_holder {
                clashes.ports.push((i, first));
            }
            if let Some(np) = b.node_port {
                let table = self.node_ports.entry(b.host).or_default();
                if let Some(first) = take(table, np, i, bindings)
                    && !one_service_two_transports(b, &bindings[first])
                {
                    clashes.node_ports.push((i, first));
                }
            }
        }
        // An infrastructure NodePort names no cluster: whichever cluster maps
        // it (a kind config's list takes it beside the services'), it must not
        // be a NodePort of another host's services either.
        let mut service_node_ports: HashMap<u16, usize> = HashMap::new();
        for (i, b) in bindings.iter().enumerate() {
            if let (Owner::Service { .. }, Some(np)) = (b.owner, b.node_port) {
                service_node_ports.entry(np.get()).or_insert(i);
            }
        }
        for (i, b) in bindings.iter().enumerate() {
            if let (Owner::Infrastructure(_), Some(np)) = (b.owner, b.node_port)
                && let Some(&first) = service_node_ports.get(&np.get())
                && bindings[first].host != b.host
            {
                clashes.node_ports.push((i, first));
            }
        }
        clashes
    }

    /// The holder of `port` over `transport` on `host`.
    pub(crate) fn holder(
        &self,
        host: HostRef<'r>,
        transport: Protocol,
        port: Port,
    ) -> Option<&Binding<'r>> {
        match self.ports.get(&(host, transport))?.get(port) {
            0 => None,
            i => self.bindings.get(i as usize - 1),
        }
    }

    /// The holder of NodePort `port` on `host`.
    #[cfg(feature = "allocate")]
    pub(crate) fn node_holder(&self, host: HostRef<'r>, port: Port) -> Option<&Binding<'r>> {
        match self.node_ports.get(&host)?.get(port) {
            0 => None,
            i => self.bindings.get(i as usize - 1),
        }
    }

    /// Whether `port` is free on `host` in every transport of `protocol`.
    pub(crate) fn free(&self, host: HostRef<'r>, protocol: Protocol, port: Port) -> bool {
        protocol
            .transports()
            .iter()
            .all(|&t| self.holder(host, t, port).is_none())
    }

    /// The first entry reserving `port`.
    pub(crate) fn reserved_at(&self, port: Port) -> Option<&'r Reserved> {
        match self.reserved[usize::from(port.get())] {
            0 => None,
            i => Some(&self.registry.reserved[i as usize - 1]),
        }
    }

    /// The first reserved port of `ports`, and the entry reserving it.
    pub(crate) fn first_reserved(&self, ports: PortRange) -> Option<(Port, &'r Reserved)> {
        let next = self.next_reserved[usize::from(ports.start.get())];
        let port = Port::new(u16::try_from(next).ok()?).filter(|&p| p <= ports.end)?;
        Some((port, self.reserved_at(port)?))
    }
}

/// Marks `port` as held by binding `i`, or returns the index of its earlier
/// holder. A value written once for several environments (a bare port) does
/// not clash with itself; that is reported once, elsewhere.
fn take(table: &mut Table, port: Port, i: usize, bindings: &[Binding<'_>]) -> Option<usize> {
    let slot = table.slot(port);
    match *slot {
        0 => {
            *slot = i as u32 + 1;
            None
        }
        held => {
            let first = held as usize - 1;
            (bindings[first].value != bindings[i].value).then_some(first)
        }
    }
}

/// Whether two bindings may share a NodePort: Kubernetes allows one Service
/// a TCP and a UDP port on the same NodePort (an API and QUIC on 443), not
/// two Services.
fn one_service_two_transports(a: &Binding<'_>, b: &Binding<'_>) -> bool {
    match (a.owner, b.owner) {
        (
            Owner::Service {
                service: s,
                environment: e,
                ..
            },
            Owner::Service {
                service: t,
                environment: f,
                ..
            },
        ) => std::ptr::eq(s, t) && std::ptr::eq(e, f) && !a.protocol.overlaps(b.protocol),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(text: &str) -> Registry {
        let report = crate::check(&crate::Source::new("ports.yaml", text));
        report.registry.expect("loads")
    }

    #[test]
    fn holders_are_per_host_and_transport_and_the_first_keeps_a_port() {
        let reg = registry(
            "project: p\nenvironments:\n  a: { range: 8000-8099 }\n  b: { range: 8000-8099, host: other }\nservices:\n  web: { ports: { api: { a: 8001, b: 8001 } } }\n  dns: { environments: [a], ports: { udp: { port: 8001, protocol: udp } } }\n  late: { environments: [a], ports: { api: 8001 } }\nreserved:\n  - { range: 8050-8052, reason: r }\n",
        );
        let (occupancy, clashes) = Occupancy::claim(&reg, reg.bindings().collect());
        let port = |n| Port::new(n).unwrap();
        let name = |b: Option<&Binding<'_>>| b.map(|b| b.owner.short());
        // Services come in name order: `late.api` before `web.api`.
        assert_eq!(
            name(occupancy.holder(HostRef::Shared, Protocol::Tcp, port(8001))),
            Some("`late.api`".to_owned())
        );
        assert_eq!(
            name(occupancy.holder(HostRef::Shared, Protocol::Udp, port(8001))),
            Some("`dns.udp`".to_owned())
        );
        assert!(
            occupancy
                .holder(HostRef::Named("other"), Protocol::Udp, port(8001))
                .is_none()
        );
        // `web.api` in `a` finds TCP 8001 taken on the shared host: one clash.
        assert_eq!(clashes.ports.len(), 1);
        assert!(!occupancy.free(HostRef::Shared, Protocol::Both, port(8001)));
        assert!(occupancy.free(HostRef::Shared, Protocol::Both, port(8002)));
        let range = |a, b| PortRange {
            start: port(a),
            end: port(b),
        };
        assert_eq!(
            occupancy
                .first_reserved(range(8040, 8060))
                .map(|(p, _)| p.get()),
            Some(8050)
        );
        assert_eq!(occupancy.first_reserved(range(8053, 8099)), None);
    }
}
