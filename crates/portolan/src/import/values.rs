//! The source's values read as ports, port mappings, URLs and ranges, and
//! ranges written back as ports.yaml writes them.

use super::*;

pub(super) fn port_of(v: &Tree) -> Result<u16, String> {
    let n = match v {
        Tree::Int(n) => Some(*n),
        Tree::Str(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    };
    match n.and_then(|n| u16::try_from(n).ok()).filter(|&p| p != 0) {
        Some(p) => Ok(p),
        None => Err(format!(
            "{} is not a port (an integer from 1 to 65535); not imported",
            describe(v)
        )),
    }
}

/// How a port is published besides its numbers: its transport and the
/// address it is bound to (`None`: every address).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Publish {
    pub(super) protocol: Protocol,
    pub(super) bind: Option<IpAddr>,
}

/// A `"[bind:]host:container[/udp]"` port mapping, as Docker reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Mapping {
    pub(super) host: u16,
    pub(super) container: u16,
    pub(super) publish: Publish,
}

impl fmt::Display for Mapping {
    /// Compose's short syntax, without what is the default (`/tcp`, `0.0.0.0`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.publish.bind {
            Some(IpAddr::V6(ip)) => write!(f, "[{ip}]:")?,
            Some(ip) => write!(f, "{ip}:")?,
            None => {}
        }
        write!(f, "{}:{}", self.host, self.container)?;
        match self.publish.protocol {
            Protocol::Tcp => Ok(()),
            p => write!(f, "/{p}"),
        }
    }
}

/// `"host:container"`, also `"ip:host:container"`, `"[ipv6]:host:container"`
/// and a `/tcp` or `/udp` suffix.
pub(super) fn mapping_of(v: &Tree) -> Result<Mapping, String> {
    let bad = || {
        format!(
            "{} is not a \"host:container\" port mapping; not imported",
            describe(v)
        )
    };
    let Tree::Str(s) = v else {
        return Err(bad());
    };
    let text = s.trim();
    let (body, protocol) = match text.rsplit_once('/') {
        None => (text, Protocol::Tcp),
        Some((body, suffix)) => match suffix.trim().to_ascii_lowercase().as_str() {
            "tcp" => (body, Protocol::Tcp),
            "udp" => (body, Protocol::Udp),
            "" => return Err(bad()),
            other => {
                return Err(format!(
                    "{} publishes over `{}`, which ports.yaml cannot say (its ports are tcp or \
                     udp); not imported",
                    describe(v),
                    comment_text(other)
                ));
            }
        },
    };
    // `[::1]:53:53`: an IPv6 address is bracketed, as its colons would
    // otherwise run into the ports.
    let (address, ports) = match body.strip_prefix('[') {
        Some(rest) => match rest.split_once("]:") {
            Some((ip, ports)) => (Some(ip), ports),
            None => return Err(bad()),
        },
        None => match body.rsplitn(3, ':').nth(2) {
            Some(ip) => (Some(ip), &body[ip.len() + 1..]),
            None => (None, body),
        },
    };
    let (host, container) = ports.split_once(':').ok_or_else(bad)?;
    let port = |p: &str| p.trim().parse::<u16>().ok().filter(|&p| p != 0);
    let (Some(host), Some(container)) = (port(host), port(container)) else {
        return Err(bad());
    };
    let bind = match address.map(str::trim) {
        // `:5433:5432` and an unspecified address publish on every address.
        None | Some("") => None,
        Some(ip) => match ip.parse::<IpAddr>() {
            Ok(ip) if ip.is_unspecified() => None,
            Ok(ip) => Some(ip),
            Err(_) => {
                return Err(format!(
                    "{} binds to `{}`, which is not an IP address; not imported",
                    describe(v),
                    comment_text(ip)
                ));
            }
        },
    };
    Ok(Mapping {
        host,
        container,
        publish: Publish { protocol, bind },
    })
}

/// The host and port a URL names (the scheme's default port when it has none).
pub(super) fn url_port(url: &str) -> Result<(String, u16), String> {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => (String::new(), url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return Err(format!("{url:?} is not a URL")),
        },
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("{url:?} has no valid port"))?,
        None => match scheme.as_str() {
            "http" | "ws" => 80,
            "https" | "wss" => 443,
            _ => return Err(format!("{url:?} names no port")),
        },
    };
    Ok((host.to_owned(), port))
}

/// Consecutive ports as `A-B`, single ones as `P`.
pub(super) fn spans(ports: &[u16]) -> Vec<(u16, u16)> {
    let mut sorted = ports.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<(u16, u16)> = Vec::new();
    for p in sorted {
        match out.last_mut() {
            Some((_, end)) if u32::from(*end) + 1 == u32::from(p) => *end = p,
            _ => out.push((p, p)),
        }
    }
    out
}

pub(super) fn range_text(spans: &[(u16, u16)]) -> String {
    let one = |&(a, b): &(u16, u16)| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}-{b}")
        }
    };
    match spans {
        [single] => one(single),
        _ => format!("[{}]", spans.iter().map(one).collect::<Vec<_>>().join(", ")),
    }
}

/// A range as written in the source: `8000-8799`, `8080`, or a list of those.
pub(super) fn range_of(v: &Tree) -> Option<Vec<(u16, u16)>> {
    let item = |v: &Tree| -> Option<(u16, u16)> {
        match v {
            Tree::Int(_) => port_of(v).ok().map(|p| (p, p)),
            Tree::Str(s) => match s.split_once('-') {
                Some((a, b)) => {
                    let a = port_of(&Tree::Str(a.to_owned())).ok()?;
                    let b = port_of(&Tree::Str(b.to_owned())).ok()?;
                    (a <= b).then_some((a, b))
                }
                None => port_of(v).ok().map(|p| (p, p)),
            },
            _ => None,
        }
    };
    match v {
        Tree::Seq(items) if !items.is_empty() => items.iter().map(item).collect(),
        _ => item(v).map(|r| vec![r]),
    }
}

pub(super) fn overlaps(a: &[(u16, u16)], b: &[(u16, u16)]) -> bool {
    a.iter()
        .any(|&(a0, a1)| b.iter().any(|&(b0, b1)| a0 <= b1 && b0 <= a1))
}
