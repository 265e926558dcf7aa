//! The generated API for the root ports.yaml, used as a service would.

use ports::{BINDINGS, Environment, Port};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

#[test]
fn pinned_constants() {
    let p: Port = ports::production::COURIER_API;
    assert_eq!(p.get(), 8765u16);
    assert_eq!(ports::test::PASSEUR_BRIDGE.get(), 7768);
    assert_eq!(ports::infrastructure::POSTGRES_TEST.get(), 5433);
    assert_eq!(ports::courier::api(Environment::Test).get(), 7765);
    assert_eq!(Environment::ALL.len(), 3);
    let env: Environment = "development".parse().unwrap();
    assert_eq!(env.name(), "development");
}

#[test]
fn per_service_functions_are_const() {
    const API: Port = ports::pourtier::api(Environment::Production);
    assert_eq!(API, ports::production::POURTIER_API);
    for env in Environment::ALL {
        assert_eq!(ports::passeur::health(env).get() % 1000, 793);
    }
}

#[test]
fn container_ports_default_to_the_host_port() {
    assert_eq!(ports::infrastructure::container::POSTGRES_TEST.get(), 5432);
    assert_eq!(ports::infrastructure::container::POSTGRES.get(), 5432);
    assert_eq!(
        ports::production::container::COURIER_API,
        ports::production::COURIER_API
    );
}

#[test]
fn port_is_a_newtype_with_the_traits_a_service_needs() {
    let p = ports::development::POURTIER_API;
    assert_eq!(p.to_string(), "9000");
    assert_eq!(format!("{p:?}"), "Port(9000)");
    assert_eq!(u16::from(p), 9000);
    assert!(ports::test::POURTIER_API < p);
    let set: std::collections::HashSet<Port> = BINDINGS.iter().map(|b| b.port).collect();
    assert_eq!(set.len(), BINDINGS.len(), "every host port is unique");
    assert_eq!(Port::new(0), None);
    assert_eq!(Port::new(80).map(Port::get), Some(80));
}

#[test]
fn socket_addresses_for_binding() {
    let p = ports::test::COURIER_HEALTH;
    assert_eq!(
        p.localhost_addr(),
        "127.0.0.1:7791".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        p.unspecified_addr(),
        "0.0.0.0:7791".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        p.addr(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        "[::1]:7791".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        ports::test::PASSEUR_METRICS.localhost_addr(),
        "127.0.0.1:7792".parse::<SocketAddr>().unwrap()
    );

    // An address from the helpers binds. The registry's ports may be taken on
    // this machine, so the port is one the system just handed out.
    // Between releasing it and binding it again another process may take
    // it, so a few ports are tried before the helper is called wrong.
    let mut last = None;
    for _ in 0..10 {
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind a free loopback port")
            .port();
        let port = Port::new(free).unwrap();
        match std::net::TcpListener::bind(port.localhost_addr()) {
            Ok(listener) => {
                assert_eq!(listener.local_addr().unwrap(), port.localhost_addr());
                return;
            }
            Err(e) => last = Some(format!("{} does not bind: {e}", port.localhost_addr())),
        }
    }
    panic!("{}", last.unwrap_or_default());
}

#[test]
fn environment_names_parse_and_errors_list_the_valid_ones() {
    for env in Environment::ALL {
        assert_eq!(env.name().parse::<Environment>(), Ok(env));
        assert_eq!(env.to_string(), env.name());
    }
    let err = "prod".parse::<Environment>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown environment `prod`; expected one of: production, development, test"
    );
    // `main` returning the error prints it with Debug: the same words.
    assert_eq!(format!("{err:?}"), err.to_string());
    assert_eq!(Environment::VAR, "LUMIERE_ENV");
}

/// Holds whatever `LUMIERE_ENV` is: `from_env` agrees with parsing the
/// variable, and its errors name the variable and the valid environments.
#[test]
fn from_env_agrees_with_the_variable() {
    let expected = "expected one of: production, development, test";
    let result = Environment::from_env();
    match std::env::var(Environment::VAR) {
        Err(_) => assert_eq!(
            result.unwrap_err().to_string(),
            format!("LUMIERE_ENV is not set; {expected}")
        ),
        Ok(value) => match value.parse::<Environment>() {
            Ok(env) => assert_eq!(result, Ok(env)),
            Err(_) => assert_eq!(
                result.unwrap_err().to_string(),
                format!("unknown environment `{value}` in LUMIERE_ENV; {expected}")
            ),
        },
    }
}

/// Runs the test above in child processes with the variable unset, unknown and
/// valid (setting it in this process would race other test threads).
#[test]
fn from_env_reads_the_project_variable() {
    let exe = std::env::current_exe().unwrap();
    for value in [None, Some("staging"), Some("test"), Some("production")] {
        let mut child = std::process::Command::new(&exe);
        child.args([
            "--exact",
            "api::from_env_agrees_with_the_variable",
            "--nocapture",
        ]);
        match value {
            Some(v) => child.env(Environment::VAR, v),
            None => child.env_remove(Environment::VAR),
        };
        let output = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "LUMIERE_ENV={value:?}:\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("1 passed"),
            "the child ran no test:\n{stdout}"
        );
    }
}

#[test]
fn bindings_list_every_port_with_its_facts() {
    assert_eq!(ports::PROJECT, "lumiere");
    // 11 named ports × 3 environments + 6 infrastructure entries.
    assert_eq!(BINDINGS.len(), 39);
    // A range of ports: a typed `PortRange`, and its first port in the row.
    let peers = ports::passeur::peers(Environment::Test);
    assert_eq!(
        (peers.start().get(), peers.end().get(), peers.len()),
        (7770, 7779, 10)
    );
    assert!(
        peers.contains(ports::Port::new(7775).unwrap())
            && !peers.contains(ports::Port::new(7780).unwrap())
    );
    assert_eq!(peers.iter().map(|p| p.get()).last(), Some(7779));
    assert_eq!(peers.to_string(), "7770-7779");
    let row = BINDINGS
        .iter()
        .find(|b| b.name == Some("peers") && b.environment == Some(Environment::Test))
        .unwrap();
    assert_eq!(
        (row.port, row.range, row.protocol),
        (peers.start(), Some(peers), ports::Protocol::Udp)
    );
    let bridge = BINDINGS
        .iter()
        .find(|b| {
            b.service == "passeur"
                && b.name == Some("bridge")
                && b.environment == Some(Environment::Test)
        })
        .unwrap();
    assert_eq!(bridge.port.get(), 7768);
    assert_eq!(bridge.node_port, None);
    assert_eq!(bridge.description, "Blockchain Bridge");
    let pg = BINDINGS
        .iter()
        .find(|b| b.service == "postgres-test")
        .unwrap();
    assert_eq!(
        (
            pg.environment,
            pg.name,
            pg.port.get(),
            pg.container_port.get()
        ),
        (None, None, 5433, 5432)
    );
    // The test database is published on loopback only, and binds there.
    assert_eq!(pg.bind, Some(std::net::Ipv4Addr::LOCALHOST.into()));
    assert_eq!(pg.bind_addr().to_string(), "127.0.0.1:5433");
    assert_eq!(pg.protocol, ports::Protocol::Tcp);
    let statsd = BINDINGS.iter().find(|b| b.service == "statsd").unwrap();
    assert_eq!(
        (statsd.protocol, statsd.protocol.udp()),
        (ports::Protocol::Udp, true)
    );
    assert_eq!(statsd.bind_addr().to_string(), "0.0.0.0:8125");
    assert_eq!(Environment::Production.bindings().count(), 11);
}
