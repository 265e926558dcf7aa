//! Team files in every format a repository keeps ports in: a Python service's
//! `.env`, Dockerfile, Makefile, settings.py, pyproject.toml and package.json
//! (`tests/fixtures/python-service`), synced after a port move. Only the owned
//! bytes change, and each result loads in the tool it is for.

use super::*;
use std::path::PathBuf;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/python-service");

fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("billing");
    copy_tree(Path::new(FIXTURE), &root);
    (dir, root)
}

fn read(root: &Path, name: &str) -> String {
    std::fs::read_to_string(root.join(name)).unwrap()
}

fn original(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURE).join(name)).unwrap()
}

#[test]
fn a_port_move_changes_only_the_owned_bytes_of_every_format() {
    let (_dir, root) = fixture();
    let check = portolan(&root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));

    let registry = read(&root, "ports.yaml")
        .replace("api: 8001", "api: 8011")
        .replace("api: 8002", "api: 8012");
    std::fs::write(root.join("ports.yaml"), registry).unwrap();
    let check = portolan(&root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains("pyproject.toml:12:8: tool.billing.upstreams[name=ledger].port differs, ports.yaml says 8012\n"),
        "{}",
        stdout(&check)
    );
    // Each format locates the value it would change.
    for place in [
        ".env:2:21: BILLING_PORT differs",
        "Dockerfile:5:8: EXPOSE (\\d+) differs",
        "config/development.yaml:4:9: server.port differs",
        "package.json:5:13: config.port differs",
    ] {
        assert!(
            stdout(&check).contains(place),
            "{place}: {}",
            stdout(&check)
        );
    }
    // The dry run shows the owned bytes changing, and writes nothing.
    let dry = portolan(&root)
        .args(["sync", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains(
            "-EXPOSE 8001\n-HEALTHCHECK CMD curl -f http://localhost:8001/health || exit 1\n"
        ) && stdout(&dry).contains("+EXPOSE 8011\n"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(read(&root, "Dockerfile"), original("Dockerfile"));
    let sync = portolan(&root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stderr(&sync));

    let moved = |name: &str, pairs: &[(&str, &str)]| {
        let mut text = original(name);
        for (from, to) in pairs {
            assert!(text.contains(from), "{from} in {name}");
            text = text.replace(from, to);
        }
        assert_eq!(read(&root, name), text, "{name}");
    };
    moved(
        "config/development.yaml",
        &[
            ("port: 8001          # from", "port: 8011          # from"),
            ("url: http://ledger:8002", "url: http://ledger:8012"),
        ],
    );
    moved(
        ".env",
        &[
            ("export BILLING_PORT=8001", "export BILLING_PORT=8011"),
            (
                "LEDGER_URL='http://ledger:8002'",
                "LEDGER_URL='http://ledger:8012'",
            ),
        ],
    );
    moved("Dockerfile", &[("8001", "8011")]);
    moved(
        "Makefile",
        &[
            ("PORT ?= 8001", "PORT ?= 8011"),
            ("LEDGER_PORT ?= 8002", "LEDGER_PORT ?= 8012"),
        ],
    );
    moved(
        "settings.py",
        &[("8001", "8011"), ("ledger:8002", "ledger:8012")],
    );
    moved(
        "pyproject.toml",
        &[
            ("port = 8001    # keep", "port = 8011    # keep"),
            ("ledger:8002", "ledger:8012"),
            ("port = 8002", "port = 8012"),
        ],
    );
    moved(
        "package.json",
        &[("8001", "8011"), ("ledger:8002", "ledger:8012")],
    );

    // Each result in a reader of its format.
    let json: serde_json::Value = serde_json::from_str(&read(&root, "package.json")).unwrap();
    assert_eq!(json["config"]["port"], 8011);
    let toml: toml_edit::DocumentMut = read(&root, "pyproject.toml").parse().unwrap();
    assert_eq!(toml["tool"]["billing"]["port"].as_integer(), Some(8011));
    let env: std::collections::HashMap<String, String> =
        dotenvy::from_read_iter(read(&root, ".env").as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    assert_eq!(env["BILLING_PORT"], "8011");
    assert_eq!(
        env["DATABASE_URL"],
        "postgres://billing@localhost:5432/billing"
    );
    // And in Python's own readers: json, tomllib, PyYAML, python-dotenv.
    python(
        &root,
        "import json, tomllib, py_compile, yaml, dotenv; \
         assert json.load(open('package.json'))['config']['port'] == 8011; \
         assert tomllib.load(open('pyproject.toml', 'rb'))['tool']['billing']['upstreams'][0]['port'] == 8012; \
         py_compile.compile('settings.py', doraise=True); \
         config = yaml.safe_load(open('config/development.yaml')); \
         assert config['server'] == {'host': '0.0.0.0', 'port': 8011, 'workers': 2}, config; \
         assert config['upstreams'][0]['url'] == 'http://ledger:8012'; \
         env = dotenv.dotenv_values('.env'); \
         assert env['BILLING_PORT'] == '8011' and env['LEDGER_URL'] == 'http://ledger:8012', env; \
         assert env['DATABASE_URL'] == 'postgres://billing@localhost:5432/billing', env",
    );
    let check = portolan(&root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

/// Runs `check` with `entry` as the registry's only sync entry.
fn check_with(root: &Path, entry: &str) -> std::process::Output {
    let registry = read(root, "ports.yaml");
    let head = &registry[..registry.find("sync:").unwrap()];
    std::fs::write(root.join("ports.yaml"), format!("{head}sync:\n{entry}")).unwrap();
    portolan(root).arg("check").output().unwrap()
}

#[test]
fn missing_keys_are_added_in_the_file_s_own_syntax() {
    let (_dir, root) = fixture();
    let out = check_with(
        &root,
        "  - file: package.json\n    values:\n      config.healthPort: \"{{ port('billing') }}\"\n      metrics.port: \"{{ port('ledger') }}\"\n  - file: .env\n    values:\n      LEDGER_PORT: \"{{ port('ledger') }}\"\n  - file: pyproject.toml\n    values:\n      tool.billing.metrics_port: \"{{ port('ledger') }}\"\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let sync = portolan(&root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stderr(&sync));
    assert_eq!(
        read(&root, "package.json"),
        original("package.json")
            .replace(
                "    \"apiUrl\": \"http://ledger:8002\"\n",
                "    \"apiUrl\": \"http://ledger:8002\",\n    \"healthPort\": 8001\n"
            )
            .replace(
                "    \"start\": \"vite --port 8001\"\n  }\n",
                "    \"start\": \"vite --port 8001\"\n  },\n  \"metrics\": {\"port\": 8002}\n"
            )
    );
    assert_eq!(
        read(&root, ".env"),
        format!("{}LEDGER_PORT=8002\n", original(".env"))
    );
    assert_eq!(
        read(&root, "pyproject.toml"),
        original("pyproject.toml").replace(
            "ledger_url = \"http://ledger:8002\"\n",
            "ledger_url = \"http://ledger:8002\"\nmetrics_port = 8002\n"
        )
    );
}

#[test]
fn what_cannot_be_edited_exactly_is_a_located_error_and_nothing_is_written() {
    let cases = [
        (
            "  - file: Dockerfile\n    values:\n      'EXPOSE (\\d+)': \"{{ port('billing') }}\"\n",
            "error[missing-key]: the name `Dockerfile` does not say how to edit the file\n --> ports.yaml:9:11",
        ),
        (
            "  - file: Dockerfile\n    format: text\n    values:\n      '.*(\\d+).*': \"{{ port('billing') }}\"\n",
            "Dockerfile:5:1: `.*(\\d+).*` matches several lines (1 and 5); make it match one",
        ),
        (
            "  - file: Dockerfile\n    format: text\n    values:\n      'EXPOSE (\\d+) (\\d+)': \"{{ port('billing') }}\"\n",
            "holds 2 groups; a pattern holds exactly one `(…)`",
        ),
        (
            "  - file: Makefile\n    format: text\n    values:\n      'PROT \\?= (\\d+)': \"{{ port('billing') }}\"\n",
            "matches no line; fix the pattern or the file",
        ),
        (
            "  - file: config.json\n    values:\n      port: \"{{ port('billing') }}\"\n",
            "config.json: does not exist; Portolan keeps values in the team's files but does not invent them",
        ),
        (
            "  - file: .env\n    lists:\n      ports: { item: { port: \"{{ port }}\" } }\n",
            "owned lists are for YAML files; this file is dotenv",
        ),
        (
            "  - file: .env\n    values:\n      BILLING-PORT: \"{{ port('billing') }}\"\n",
            "`BILLING-PORT` is not a dotenv variable name",
        ),
    ];
    for (entry, expected) in cases {
        let (_dir, root) = fixture();
        let before: Vec<String> = ["Dockerfile", "Makefile", ".env"]
            .iter()
            .map(|n| read(&root, n))
            .collect();
        let out = check_with(&root, entry);
        let said = format!("{}{}", stdout(&out), stderr(&out));
        assert_ne!(out.status.code(), Some(0), "{entry}");
        assert!(
            said.contains(expected),
            "{entry}\nexpected {expected:?} in:\n{said}"
        );
        let sync = portolan(&root).arg("sync").output().unwrap();
        assert_ne!(sync.status.code(), Some(0), "{entry}");
        let after: Vec<String> = ["Dockerfile", "Makefile", ".env"]
            .iter()
            .map(|n| read(&root, n))
            .collect();
        assert_eq!(before, after, "{entry}");
    }
    // A YAML file under a .json name is refused, not edited as YAML.
    let (_dir, root) = fixture();
    std::fs::write(root.join("app.json"), "port: 8001\n").unwrap();
    let out = check_with(
        &root,
        "  - file: app.json\n    values:\n      port: \"{{ port('billing') }}\"\n",
    );
    assert!(
        stdout(&out).contains("app.json")
            && format!("{}{}", stdout(&out), stderr(&out)).contains("not valid JSON"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(read(&root, "app.json"), "port: 8001\n");
    // A variable set twice in a .env is ambiguous.
    std::fs::write(root.join(".env"), "BILLING_PORT=8001\nBILLING_PORT=8003\n").unwrap();
    let out = check_with(
        &root,
        "  - file: .env\n    values:\n      BILLING_PORT: \"{{ port('billing') }}\"\n",
    );
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains("`BILLING_PORT` is set twice (lines 1 and 2)"),
        "{said}"
    );
}

#[test]
fn a_key_one_slip_from_one_the_file_has_is_refused_in_every_format() {
    for (entry, expected) in [
        (
            "  - file: package.json\n    values:\n      confg.port: \"{{ port('billing') }}\"\n",
            "`confg.port`: the file has no `confg`, but has `config` (line 4)",
        ),
        (
            "  - file: pyproject.toml\n    values:\n      tool.billing.prot: \"{{ port('billing') }}\"\n",
            "`tool.billing.prot`: the file has no `prot`, but has `port`",
        ),
        (
            "  - file: .env\n    values:\n      BILING_PORT: \"{{ port('billing') }}\"\n",
            "`BILING_PORT`: the file has no `BILING_PORT`, but has `BILLING_PORT` (line 2)",
        ),
        (
            // A Cyrillic `о` that looks like `o`.
            "  - file: package.json\n    values:\n      config.p\u{43e}rt: \"{{ port('billing') }}\"\n",
            "the file has no `p\u{43e}rt`, but has `port` (line 5)",
        ),
    ] {
        let (_dir, root) = fixture();
        let out = check_with(&root, entry);
        let said = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.contains(expected), "expected {expected:?} in:\n{said}");
    }
}
