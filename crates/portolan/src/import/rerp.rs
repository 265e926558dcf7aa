//! The RERP reader: `port-registry.json` with `next_port`, `reserved_ports`
//! and `assignments`.

use super::*;

/// A service of `assignments`: one port in the one environment, `cluster`.
struct Assignment {
    name: String,
    port: u16,
    container_port: Option<u16>,
    node_port: Option<(i64, String)>,
    description: Option<String>,
    at: String,
}

/// The entries at the root of the source.
struct Sections<'t> {
    /// `metadata`'s `description` and `notes`, the draft's opening comment.
    intro: Vec<String>,
    assignments: &'t Vec<(String, Tree)>,
    /// `reserved_ports`.
    reserved: Option<&'t Tree>,
    next_port: Option<&'t Tree>,
}

/// The ports of `reserved_ports`.
struct ReservedPorts {
    /// The draft's entries: `port` or `range`, the value, the reason.
    entries: Vec<(&'static str, String, String)>,
    /// The ports, as ranges.
    spans: Vec<(u16, u16)>,
}

pub(super) fn rerp(root: &Tree, options: &Options, cx: &mut Ctx) -> Result<Draft, ImportError> {
    let Tree::Map(root_map) = root else {
        return Err(ImportError::Shape(
            "the file is not a JSON object with `assignments`".to_owned(),
        ));
    };
    let project = project(options, root, "rerp", cx);
    let registry_file = options
        .source_name
        .as_deref()
        .and_then(|s| s.rsplit(['/', '\\']).next())
        .filter(|s| !s.is_empty() && *s != "-" && !s.starts_with('<'))
        .unwrap_or("port-registry.json")
        .to_owned();
    let sections = sections(root_map, cx)?;
    let list = assignments_of(sections.assignments, cx);
    if list.is_empty() {
        return Err(ImportError::Shape(
            "`assignments` holds no service with a port".to_owned(),
        ));
    }
    let reserved = reserved_ports(sections.reserved, &registry_file, cx);

    // The environment's range: from the lowest port to the end of the hundred
    // holding the highest, leaving room for `portolan assign`.
    let lo = list.iter().map(|a| a.port).min().unwrap_or(1);
    let hi = list.iter().map(|a| a.port).max().unwrap_or(lo);
    let end = u16::try_from((u32::from(hi) / 100 + 1) * 100 - 1).unwrap_or(u16::MAX);
    let range = (lo, end);
    let offset = node_port_offset(&list, options, cx)?;
    let node_range = node_port_range(&list, offset, options)?;
    check_assignments(&list, &reserved.spans, offset, node_range, cx);
    if let Some(v) = sections.next_port {
        check_next_port(v, &list, cx);
    }
    cx.note(
        "",
        format!(
            "environment `cluster`: range {} (the lowest assigned port to the end of its hundred) \
             with NodePorts of port + {offset} in {}-{}",
            range_text(&[range]),
            node_range.0,
            node_range.1
        ),
    );

    let services = list
        .into_iter()
        .map(|a| DraftService {
            name: a.name,
            description: a.description,
            environments: None,
            ports: vec![(
                "api".to_owned(),
                DraftPort::Bare(a.port, a.container_port),
                Publish::default(),
            )],
        })
        .collect();
    Ok(Draft {
        intro: sections.intro,
        project,
        envs: vec![DraftEnv {
            name: "cluster".to_owned(),
            range: range_text(&[range]),
            node_ports: Some((format!("{}-{}", node_range.0, node_range.1), offset)),
        }],
        reserved: reserved.entries,
        services,
        infra: None,
    })
}

/// The root's entries; an error without an `assignments` object.
fn sections<'t>(root_map: &'t [(String, Tree)], cx: &mut Ctx) -> Result<Sections<'t>, ImportError> {
    let mut intro = Vec::new();
    let mut assignments = None;
    let mut reserved_tree = None;
    let mut next_port = None;
    for (key, value) in cx.entries(root_map, "") {
        match (key, value) {
            ("assignments", Tree::Map(m)) => assignments = Some(m),
            ("assignments", v) => {
                return Err(ImportError::Shape(format!(
                    "`assignments` is {}, not an object of service: port",
                    describe(v)
                )));
            }
            ("reserved_ports", v) => reserved_tree = Some(v),
            ("next_port", v) => next_port = Some(v),
            ("metadata", Tree::Map(m)) => {
                for (k, v) in cx.entries(m, "metadata") {
                    if let ("description" | "notes", Tree::Str(s)) = (k, v) {
                        intro.push(s.clone());
                    }
                }
            }
            ("version" | "project" | "metadata", _) => {}
            _ => cx.ignore(key, key),
        }
    }
    let Some(assignments) = assignments else {
        return Err(ImportError::Shape(
            "no `assignments` object: the RERP format keeps ports as `assignments: { service: port }`"
                .to_owned(),
        ));
    };
    Ok(Sections {
        intro,
        assignments,
        reserved: reserved_tree,
        next_port,
    })
}

/// Every service of `assignments` that has a port.
fn assignments_of(assignments: &[(String, Tree)], cx: &mut Ctx) -> Vec<Assignment> {
    let mut list: Vec<Assignment> = Vec::new();
    for (key, value) in cx.entries(assignments, "assignments") {
        let at = join("assignments", key);
        let name = cx.name(key, &at, "service");
        let mut a = Assignment {
            name,
            port: 0,
            container_port: None,
            node_port: None,
            description: None,
            at: at.clone(),
        };
        match value {
            Tree::Map(fields) => {
                let mut port = None;
                for (k, v) in cx.entries(fields, &at) {
                    let k_at = join(&at, k);
                    match k {
                        "port" => port = cx.port(v, &k_at).or(port),
                        "container_port" | "containerPort" => {
                            if let Some(p) = cx.port(v, &k_at) {
                                a.container_port = Some(p);
                            }
                        }
                        "node_port" | "nodePort" => match v {
                            Tree::Int(n) => {
                                a.node_port = Some((i64::try_from(*n).unwrap_or(i64::MAX), k_at))
                            }
                            Tree::Null => {}
                            Tree::Str(_) => {
                                if let Some(n) = cx.port(v, &k_at) {
                                    a.node_port = Some((i64::from(n), k_at));
                                }
                            }
                            _ => cx.problem(
                                &k_at,
                                format!("{} is not a NodePort; ignored", describe(v)),
                            ),
                        },
                        "description" => match v {
                            Tree::Str(d) => a.description = Some(d.clone()),
                            _ => cx.ignore(k, &k_at),
                        },
                        _ => cx.ignore(k, &k_at),
                    }
                }
                match port {
                    Some(p) => a.port = p,
                    None => {
                        if fields.iter().all(|(k, _)| k != "port") {
                            cx.problem(&at, "has no `port`; not imported");
                        }
                        continue;
                    }
                }
            }
            other => match cx.port(other, &at) {
                Some(p) => a.port = p,
                None => continue,
            },
        }
        if a.container_port == Some(a.port) {
            a.container_port = None;
        }
        list.push(a);
    }
    list
}

/// The ports of `reserved_ports`: a list of ports, ranges or mappings with
/// `port`, `range` and `reason`, or a mapping of port or range to reason.
fn reserved_ports(
    reserved_tree: Option<&Tree>,
    registry_file: &str,
    cx: &mut Ctx,
) -> ReservedPorts {
    let mut reserved: Vec<(&'static str, String, String)> = Vec::new();
    let mut reserved_spans: Vec<(u16, u16)> = Vec::new();
    let default_reason = format!("reserved in {registry_file}");
    let mut add_reserved = |item: &Tree, reason: Option<&Tree>, at: &str, cx: &mut Ctx| {
        let reason = match reason {
            Some(Tree::Str(r)) if !r.trim().is_empty() => r.trim().to_owned(),
            _ => default_reason.clone(),
        };
        match range_of(item) {
            Some(r) => {
                for &(a, b) in &r {
                    let (key, value) = if a == b {
                        ("port", a.to_string())
                    } else {
                        ("range", format!("{a}-{b}"))
                    };
                    reserved.push((key, value, reason.clone()));
                    reserved_spans.push((a, b));
                }
            }
            None => cx.problem(
                at,
                format!(
                    "{} is not a port or a range like 30000-30999; not imported",
                    describe(item)
                ),
            ),
        }
    };
    match reserved_tree {
        None | Some(Tree::Null) => {}
        Some(Tree::Seq(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("reserved_ports[{i}]");
                match item {
                    Tree::Map(_) => {
                        // Both `port` and `range` may be given: each is reserved.
                        let values: Vec<(&str, &Tree)> = ["port", "range"]
                            .into_iter()
                            .filter_map(|k| Some((k, item.get(k)?)))
                            .collect();
                        if values.is_empty() {
                            cx.problem(&at, "has no `port` or `range`; not imported");
                        }
                        for (k, v) in values {
                            let k_at = join(&at, k);
                            if let Tree::Str(text) = v
                                && !text.contains('-')
                            {
                                cx.converted(
                                    &k_at,
                                    format!("the reserved port is written as a string ({text:?}); imported as a number"),
                                );
                            }
                            add_reserved(v, item.get("reason"), &k_at, cx);
                        }
                    }
                    _ => add_reserved(item, None, &at, cx),
                }
            }
        }
        Some(Tree::Map(map)) => {
            for (k, v) in cx.entries(map, "reserved_ports") {
                let at = join("reserved_ports", k);
                add_reserved(&Tree::Str(k.to_owned()), Some(v), &at, cx);
            }
        }
        Some(other) => add_reserved(other, None, "reserved_ports", cx),
    }
    ReservedPorts {
        entries: reserved,
        spans: reserved_spans,
    }
}

/// What a NodePort adds to its port: the option, else the offset every
/// given NodePort agrees on, else RERP's formula.
fn node_port_offset(
    list: &[Assignment],
    options: &Options,
    cx: &mut Ctx,
) -> Result<i32, ImportError> {
    let explicit: Vec<i64> = list
        .iter()
        .filter_map(|a| a.node_port.as_ref().map(|(np, _)| np - i64::from(a.port)))
        .collect();
    let offset = match options.node_port_offset {
        Some(o) => {
            if !(-65535..=65535).contains(&o) {
                return Err(ImportError::Option(format!(
                    "--node-port-offset {o} is out of range (-65535 to 65535)"
                )));
            }
            o
        }
        None => match explicit.first() {
            Some(&d)
                if explicit.len() >= 2
                    && d != i64::from(RERP_NODE_PORT_OFFSET)
                    && explicit.iter().all(|&x| x == d) =>
            {
                match i32::try_from(d)
                    .ok()
                    .filter(|d| (-65535..=65535).contains(d))
                {
                    Some(d) => {
                        cx.note(
                            "assignments",
                            format!(
                                "every node_port is port + {d}, so that is the offset (the documented \
                                 formula would give port + {RERP_NODE_PORT_OFFSET})"
                            ),
                        );
                        d
                    }
                    None => RERP_NODE_PORT_OFFSET,
                }
            }
            _ => RERP_NODE_PORT_OFFSET,
        },
    };
    Ok(offset)
}

/// Where NodePorts must lie: given, or the blocks of 1000 that hold every
/// service's NodePort, within Kubernetes' range.
fn node_port_range(
    list: &[Assignment],
    offset: i32,
    options: &Options,
) -> Result<(i64, i64), ImportError> {
    let (k0, k1) = KUBERNETES_NODE_PORTS;
    let node_ports: Vec<i64> = list
        .iter()
        .map(|a| i64::from(a.port) + i64::from(offset))
        .collect();
    let lowest = node_ports.iter().copied().min().unwrap_or(k0);
    let highest = node_ports.iter().copied().max().unwrap_or(lowest);
    let node_range = match options.node_port_range {
        Some((a, b)) => (i64::from(a), i64::from(b)),
        None => (
            (lowest.div_euclid(1000) * 1000).clamp(k0, k1),
            (highest.div_euclid(1000) * 1000 + 999).clamp(k0, k1),
        ),
    };
    if options.node_port_range.is_some() && (node_range.0 < k0 || node_range.1 > k1) {
        return Err(ImportError::Option(format!(
            "--node-port-range {}-{} leaves Kubernetes' NodePort range {k0}-{k1}",
            node_range.0, node_range.1
        )));
    }
    Ok(node_range)
}

/// Each service's port against the others and the reserved ports, and its
/// NodePort.
fn check_assignments(
    list: &[Assignment],
    reserved_spans: &[(u16, u16)],
    offset: i32,
    node_range: (i64, i64),
    cx: &mut Ctx,
) {
    let mut holders: HashMap<u16, String> = HashMap::new();
    for a in list {
        if let Some(first) = holders.get(&a.port) {
            cx.undecided(
                &a.at,
                format!(
                    "port {} is also assigned to `{first}`; one of them must move: decide which by hand",
                    a.port
                ),
                (crate::Code::PortConflict, format!("port {} of ", a.port)),
            );
            // Its NodePort, port + offset, is then taken twice as well.
            cx.covered.push((
                crate::Code::NodePortConflict,
                format!("NodePort {} of ", i64::from(a.port) + i64::from(offset)),
            ));
        } else {
            holders.insert(a.port, a.name.clone());
        }
        if let Some(&(r0, r1)) = reserved_spans
            .iter()
            .find(|&&(r0, r1)| (r0..=r1).contains(&a.port))
        {
            let what = if r0 == r1 {
                format!("port {r0} is")
            } else {
                format!("ports {r0}-{r1} are")
            };
            cx.undecided(
                &a.at,
                format!(
                    "port {} is assigned, but {what} reserved in reserved_ports; move it",
                    a.port
                ),
                (crate::Code::ReservedPort, format!("port {} of ", a.port)),
            );
        }
        check_node_port(a, offset, node_range, cx);
    }
}

/// The NodePort of one service, port + offset: against the one the source
/// gives, Kubernetes' range and the NodePort range.
fn check_node_port(a: &Assignment, offset: i32, node_range: (i64, i64), cx: &mut Ctx) {
    let (k0, k1) = KUBERNETES_NODE_PORTS;
    let node_range_ok = node_range.0 <= node_range.1;
    let np = i64::from(a.port) + i64::from(offset);
    if let Some((given, np_at)) = &a.node_port
        && *given != np
    {
        cx.problem(
            np_at,
            format!(
                "is {given}, but port + offset gives {np} ({} + {offset}); Portolan computes \
                 NodePorts as port + offset, so the import uses {np}: update what still uses \
                 {given} (`portolan sync` rewrites the Helm values and kind config)",
                a.port
            ),
        );
    }
    if !(k0..=k1).contains(&np) {
        cx.undecided(
            &a.at,
            format!(
                "port {} of `{}` gets NodePort {np} ({} + {offset}), outside Kubernetes' NodePort \
                 range {k0}-{k1}; move the service to a {} port or choose another \
                 --node-port-offset",
                a.port,
                a.name,
                a.port,
                if np > k1 { "lower" } else { "higher" }
            ),
            (crate::Code::InvalidNodePort, format!("NodePort {np} of ")),
        );
    } else if node_range_ok && !(node_range.0..=node_range.1).contains(&np) {
        cx.undecided(
            &a.at,
            format!(
                "port {} of `{}` gets NodePort {np} ({} + {offset}), outside the NodePort range \
                 {}-{}; move the service into {}-{}",
                a.port,
                a.name,
                a.port,
                node_range.0,
                node_range.1,
                node_range.0 - i64::from(offset),
                node_range.1 - i64::from(offset)
            ),
            (crate::Code::InvalidNodePort, format!("NodePort {np} of ")),
        );
    }
}

/// `next_port`: a port already handed out is a problem, any other is not
/// copied.
fn check_next_port(v: &Tree, list: &[Assignment], cx: &mut Ctx) {
    match port_of(v) {
        Ok(n) => match list.iter().find(|a| a.port == n) {
            Some(a) => cx.problem(
                "next_port",
                format!(
                    "is {n}, which is already assigned to `{}`: the script would have handed \
                     it out twice; Portolan keeps no counter, so this cannot happen again",
                    a.name
                ),
            ),
            None => cx.note(
                "next_port",
                format!(
                    "{n} is not copied: `portolan assign` picks the lowest free port in the \
                     range itself"
                ),
            ),
        },
        Err(e) => cx.problem("next_port", e),
    }
}
