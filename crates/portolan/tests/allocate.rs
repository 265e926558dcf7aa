//! `assign` and `release` as library calls: which port is chosen, what is
//! refused, and the exact text written into ports.yaml.

use portolan::allocate::{GivenPort, Request, assign, release};
use portolan::{Source, check};

fn run(text: &str, request: &Request) -> Result<(String, Vec<(String, u16)>), String> {
    let source = Source::new("ports.yaml", text);
    let report = check(&source);
    let registry = report.valid_registry().expect("a valid registry");
    assign(&source, registry, request)
        .map(|e| {
            let ports = e
                .ports
                .iter()
                .map(|p| (p.environment.clone(), p.port))
                .collect();
            (e.text, ports)
        })
        .map_err(|r| r.0)
}

fn request(service: &str) -> Request {
    Request {
        service: service.into(),
        ..Request::default()
    }
}

const THREE: &str = "\
project: shop
environments:
  production: { range: 8000-8099 }
  development: { range: 9000-9099 }
  test: { range: 7000-7099 }
services:
  web:
    ports:
      api: { production: 8000, development: 9000, test: 7000 }
  worker:
    ports:
      api: { production: 8001, development: 9002, test: 7001 }
";

#[test]
fn the_lowest_offset_free_in_every_environment_is_chosen() {
    // Offset 1 is taken in production and test, offset 2 in development.
    let (text, ports) = run(THREE, &request("billing")).unwrap();
    assert_eq!(
        ports,
        [
            ("production".to_owned(), 8003),
            ("development".to_owned(), 9003),
            ("test".to_owned(), 7003)
        ]
    );
    assert_eq!(
        text,
        format!(
            "{THREE}  billing:\n    ports:\n      api: {{ production: 8003, development: 9003, test: 7003 }}\n"
        )
    );
}

#[test]
fn reserved_ports_are_skipped() {
    let text = format!("{THREE}reserved:\n  - {{ range: 8003-8005, reason: a local tool }}\n");
    let (_, ports) = run(&text, &request("billing")).unwrap();
    assert_eq!(ports[0], ("production".to_owned(), 8006));
    assert_eq!(ports[2], ("test".to_owned(), 7006));
}

#[test]
fn an_existing_port_moves_only_with_force() {
    let mut req = request("worker");
    let refused = run(THREE, &req).unwrap_err();
    assert_eq!(
        refused,
        "`worker.api` already has a port (8001 in production, 9002 in development, 7001 in test); pass --force to move it"
    );
    req.force = true;
    req.ports = vec![GivenPort {
        environment: Some("production".into()),
        port: 8050,
    }];
    let (text, ports) = run(THREE, &req).unwrap();
    assert_eq!(ports[0], ("production".to_owned(), 8050));
    assert!(
        text.contains("      api: { production: 8050, development: 9002, test: 7001 }\n"),
        "{text}"
    );
}

#[test]
fn the_file_s_style_is_followed() {
    // One port per line when the file writes its ports that way.
    let block = "\
project: shop
environments:
  production: { range: 8000-8099 }
  test: { range: 7000-7099 }
services:
  web:
    description: The shop
    ports:
      api:
        production: 8000
        test: 7000
";
    let mut req = request("web");
    req.name = "metrics".into();
    let (text, _) = run(block, &req).unwrap();
    assert_eq!(
        text,
        format!("{block}      metrics:\n        production: 8001\n        test: 7001\n")
    );
    // A bare port where there is one environment.
    let one = "project: shop\nenvironments:\n  local: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n";
    let mut req = request("billing");
    req.description = Some("Invoices: monthly".into());
    let (text, _) = run(one, &req).unwrap();
    assert_eq!(
        text,
        format!(
            "{one}  billing:\n    description: \"Invoices: monthly\"\n    ports:\n      api: 8001\n"
        )
    );
}

#[test]
fn release_removes_a_port_or_the_whole_service() {
    let source = Source::new("ports.yaml", THREE);
    let report = check(&source);
    let registry = report.valid_registry().unwrap();
    let edited = release(&source, registry, "worker", None).unwrap();
    assert_eq!(
        edited.text,
        THREE.replace("  worker:\n    ports:\n      api: { production: 8001, development: 9002, test: 7001 }\n", "")
    );
    assert_eq!(edited.ports.len(), 3);
    let refused = release(&source, registry, "wroker", None).unwrap_err();
    assert_eq!(
        refused.0,
        "no service `wroker` in ports.yaml; did you mean `worker`?"
    );
}

#[test]
fn a_forced_move_keeps_what_else_the_entry_says() {
    let text = "\
project: shop
environments:
  production: { range: 8000-8099 }
  test: { range: 7000-7099 }
services:
  web:
    ports:
      api: { production: 8000, test: { port: 7005, container_port: 80 }, scheme: grpc }
";
    let mut req = request("web");
    req.force = true;
    req.ports = vec!["production=8040".parse().unwrap()];
    let (out, ports) = run(text, &req).unwrap();
    assert_eq!(
        out,
        text.replace("production: 8000, test", "production: 8040, test")
    );
    assert_eq!(
        ports,
        [("production".to_owned(), 8040), ("test".to_owned(), 7005)]
    );
    // The pair form for every environment keeps its container port and scheme.
    let one = "project: shop\nenvironments:\n  production: { range: 8000-8099 }\nservices:\n  web:\n    ports:\n      api: { port: 8001, container_port: 80, scheme: https }\n";
    let mut req = request("web");
    req.force = true;
    req.ports = vec!["8050".parse().unwrap()];
    let (out, _) = run(one, &req).unwrap();
    assert_eq!(out, one.replace("port: 8001,", "port: 8050,"));
    // A port is written as ports.yaml writes it: no sign, no leading zero.
    for bad in ["+8040", "08040", "production=+8040", "8x"] {
        assert!(bad.parse::<GivenPort>().is_err(), "{bad}");
    }
}

/// A UDP port is free where only TCP ports are: statsd takes 8000/udp
/// beside `web.api` on 8000/tcp, and the entry says its protocol.
#[test]
fn a_udp_port_shares_a_number_with_tcp_ports_only() {
    let req = Request {
        name: "ingest".into(),
        protocol: Some(portolan::model::Protocol::Udp),
        ..request("statsd")
    };
    let (text, ports) = run(THREE, &req).unwrap();
    assert_eq!(
        ports,
        [
            ("production".to_owned(), 8000),
            ("development".to_owned(), 9000),
            ("test".to_owned(), 7000)
        ]
    );
    assert_eq!(
        text,
        format!(
            "{THREE}  statsd:\n    ports:\n      ingest: {{ production: 8000, development: 9000, test: 7000, protocol: udp }}\n"
        )
    );
    // A second UDP port skips the first; `both` skips every holder.
    let (_, ports) = run(
        &text,
        &Request {
            name: "relay".into(),
            ..req.clone()
        },
    )
    .unwrap();
    assert_eq!(ports[0], ("production".to_owned(), 8001));
    let both = Request {
        protocol: Some(portolan::model::Protocol::Both),
        ..request("dns")
    };
    let (_, ports) = run(&text, &both).unwrap();
    // Offset 2 is free in production but taken by `worker.api` in development.
    assert_eq!(ports[0], ("production".to_owned(), 8003));
    // A given port held over the same transport is refused, naming both.
    let given = Request {
        ports: vec![
            "production=8000".parse::<GivenPort>().unwrap(),
            "development=9005".parse().unwrap(),
            "test=7005".parse().unwrap(),
        ],
        ..Request {
            name: "relay".into(),
            ..req.clone()
        }
    };
    assert_eq!(
        run(&text, &given).unwrap_err(),
        "port 8000 cannot be assigned in production: held by `statsd.ingest` in production (udp)"
    );
    // An existing port keeps its transport.
    let moved = Request {
        force: true,
        protocol: Some(portolan::model::Protocol::Tcp),
        ..Request {
            name: "ingest".into(),
            ..request("statsd")
        }
    };
    assert_eq!(
        run(&text, &moved).unwrap_err(),
        "`statsd.ingest` is udp; change its `protocol:` in ports.yaml, then assign"
    );
}

/// With one environment, a UDP port is written `{ port: N, protocol: udp }`.
#[test]
fn a_single_environment_udp_port_says_its_protocol() {
    let one = "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n";
    let req = Request {
        protocol: Some(portolan::model::Protocol::Udp),
        ..request("statsd")
    };
    let (text, ports) = run(one, &req).unwrap();
    assert_eq!(ports, [("dev".to_owned(), 8000)]);
    assert_eq!(
        text,
        format!("{one}  statsd:\n    ports:\n      api: {{ port: 8000, protocol: udp }}\n")
    );
}

/// `--count N` takes N contiguous ports at one offset in every environment:
/// never a block split around a holder, never across a reserved port.
#[test]
fn a_block_is_contiguous_and_clear_of_holders_and_reserved_ports() {
    // 8002 is reserved, so offsets 0-2 of production cannot start a block of 4;
    // 7005 is held in test, so neither can offsets 3-5.
    let text = format!(
        "{THREE}  cache: {{ ports: {{ api: {{ production: 8050, development: 9050, test: 7005 }} }} }}\nreserved:\n  - {{ port: 8002, reason: a local tool }}\n"
    );
    let req = Request {
        name: "rtp".into(),
        protocol: Some(portolan::model::Protocol::Udp),
        count: Some(4),
        ..request("media")
    };
    let (written, ports) = run(&text, &req).unwrap();
    // UDP: the TCP holders (web, worker, cache's 7005) do not count; the
    // reserved 8002 does, so the first block clear of it starts at offset 3.
    assert_eq!(
        ports,
        [
            ("production".to_owned(), 8003),
            ("development".to_owned(), 9003),
            ("test".to_owned(), 7003)
        ]
    );
    assert!(
        written.contains(
            "  media:\n    ports:\n      rtp: { production: 8003-8006, development: 9003-9006, test: 7003-7006, protocol: udp }\n"
        ),
        "{written}"
    );
    // The written range validates and holds every port of the block.
    let source = Source::new("ports.yaml", &written);
    let report = check(&source);
    let registry = report.valid_registry().expect("the block validates");
    let media = registry.service("media").unwrap();
    let a = &media.ports[0].assignments[0];
    assert_eq!((a.port.get(), a.end.get()), (8003, 8006));
    // A TCP block must also step over the TCP holders: offsets 0-1 are web and
    // worker, 2 reserved, 5 cache's in test, so the first clear block of 3 starts at 6.
    let tcp = Request {
        count: Some(3),
        protocol: None,
        ..req.clone()
    };
    let (_, ports) = run(&text, &tcp).unwrap();
    assert_eq!(ports[0], ("production".to_owned(), 8006));
    // A given start whose block crosses a reserved port is refused.
    let given = Request {
        ports: vec![
            "production=8001".parse::<GivenPort>().unwrap(),
            "development=9020".parse().unwrap(),
            "test=7020".parse().unwrap(),
        ],
        ..req.clone()
    };
    assert_eq!(
        run(&text, &given).unwrap_err(),
        "port 8001 cannot be assigned in production: port 8002 of the block is reserved (a local tool)"
    );
    // A block never runs past the environment's range.
    let huge = Request {
        count: Some(100),
        ..req.clone()
    };
    assert!(
        run(&text, &huge)
            .unwrap_err()
            .starts_with("no free port for `media.rtp`"),
        "a block of 100 does not fit in 100 ports with holders"
    );
}

/// With one environment, a block is written `{ range: A-B, protocol: udp }`,
/// or `A-B` alone for TCP.
#[test]
fn a_single_environment_block_is_written_as_a_range() {
    let one = "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n";
    let req = Request {
        name: "pool".into(),
        count: Some(10),
        ..request("runner")
    };
    let (text, ports) = run(one, &req).unwrap();
    assert_eq!(ports, [("dev".to_owned(), 8001)]);
    assert!(
        text.ends_with("  runner:\n    ports:\n      pool: 8001-8010\n"),
        "{text}"
    );
    let udp = Request {
        protocol: Some(portolan::model::Protocol::Udp),
        ..req
    };
    let (text, _) = run(one, &udp).unwrap();
    assert!(
        text.ends_with("      pool: { range: 8000-8009, protocol: udp }\n"),
        "{text}"
    );
}

/// assign moves single ports: a range is refused with the way to move it,
/// and a block is refused where NodePorts are, naming why.
#[test]
fn ranges_are_not_moved_and_blocks_stay_out_of_nodeport_environments() {
    let text = "project: p\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  media: { ports: { web: 8020-8029 } }\n";
    let moved = Request {
        name: "web".into(),
        force: true,
        ..request("media")
    };
    assert_eq!(
        run(text, &moved).unwrap_err(),
        "`media.web` is a range (8020-8029 in dev); assign moves single ports: edit the range in ports.yaml, or release it and assign a new one with --count"
    );
    let cluster = "project: p\nenvironments:\n  cluster: { range: 8000-8099, node_ports: { range: 30000-30999, offset: 22000 } }\n";
    let block = Request {
        count: Some(3),
        ..request("media")
    };
    assert_eq!(
        run(cluster, &block).unwrap_err(),
        "--count 3: `media` runs in cluster, which has NodePorts, and a Kubernetes Service has no port ranges"
    );
}
