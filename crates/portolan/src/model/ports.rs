//! Ports, ranges of ports and transports: the values every rule and output
//! is about.

use crate::source::Span;
use std::fmt;
use std::num::NonZeroU16;

/// A TCP/UDP port number: 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(NonZeroU16);

impl Port {
    /// The lowest port.
    pub const MIN: Port = Port(NonZeroU16::MIN);
    /// The highest port.
    pub const MAX: Port = Port(NonZeroU16::MAX);

    /// `None` for 0.
    pub const fn new(n: u16) -> Option<Port> {
        match NonZeroU16::new(n) {
            Some(n) => Some(Port(n)),
            None => None,
        }
    }

    /// A port from any integer, or `None` outside 1–65535.
    pub fn from_i128(n: i128) -> Option<Port> {
        u16::try_from(n).ok().and_then(Port::new)
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0.get()
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// The range Kubernetes allows for NodePorts by default (`--service-node-port-range`).
pub const KUBERNETES_NODE_PORTS: PortRange = PortRange {
    start: Port(NonZeroU16::new(30000).unwrap()),
    end: Port(NonZeroU16::new(32767).unwrap()),
};

/// An inclusive range of ports; a single port is a range of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    /// First port in the range.
    pub start: Port,
    /// Last port in the range (inclusive).
    pub end: Port,
}

impl PortRange {
    /// Whether `port` lies in the range.
    pub fn contains(&self, port: Port) -> bool {
        self.start <= port && port <= self.end
    }

    /// Whether two ranges share a port.
    pub fn overlaps(&self, other: &PortRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// Number of ports.
    pub fn len(&self) -> usize {
        usize::from(self.end.get() - self.start.get()) + 1
    }

    /// Never empty: a range holds at least one port.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The ports in order.
    pub fn ports(&self) -> impl Iterator<Item = Port> + use<> {
        (self.start.get()..=self.end.get()).filter_map(Port::new)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// A union of ranges, as written (`8000-8799` or `[5000-6999, 8080]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeSet {
    /// The ranges, in the order written.
    pub ranges: Vec<PortRange>,
    /// Where the value is written.
    pub span: Span,
}

impl RangeSet {
    /// Whether any range holds `port`.
    pub fn contains(&self, port: Port) -> bool {
        self.ranges.iter().any(|r| r.contains(port))
    }

    /// The first port of the first range.
    pub fn first(&self) -> Option<Port> {
        self.ranges.first().map(|r| r.start)
    }
}

/// The pieces of a range set a message shows; the rest are counted, so a
/// range written as thousands of pieces does not fill every finding.
const SHOWN_PIECES: usize = 8;

impl fmt::Display for RangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.ranges.iter().take(SHOWN_PIECES).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}")?;
        }
        if self.ranges.len() > SHOWN_PIECES {
            write!(f, ", … ({} more)", self.ranges.len() - SHOWN_PIECES)?;
        }
        Ok(())
    }
}

/// The transport a port is for: ports of different transports on one number
/// do not collide (statsd on 8125/udp beside an HTTP API on 8125/tcp).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Protocol {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// TCP and UDP on the same number (DNS).
    Both,
}

impl Protocol {
    /// As written in ports.yaml: `tcp`, `udp` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Both => "both",
        }
    }

    /// The single transports it uses: `[Tcp]`, `[Udp]` or `[Tcp, Udp]`.
    pub fn transports(self) -> &'static [Protocol] {
        match self {
            Protocol::Tcp => &[Protocol::Tcp],
            Protocol::Udp => &[Protocol::Udp],
            Protocol::Both => &[Protocol::Tcp, Protocol::Udp],
        }
    }

    /// Whether two ports on one number collide: they share a transport.
    pub fn overlaps(self, other: Protocol) -> bool {
        self.transports()
            .iter()
            .any(|t| other.transports().contains(t))
    }

    /// Parses `tcp`, `udp` or `both`.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            "both" => Some(Protocol::Both),
            _ => None,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
