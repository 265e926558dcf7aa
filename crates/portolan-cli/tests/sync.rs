//! `portolan sync` and the drift half of `portolan check`, on copies of the
//! repository's two example registries.

use super::{REPO, copy_tree, portolan, stdout};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A copy of the root registry with its generated/ and examples/lumiere.
fn lumiere() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(REPO);
    std::fs::copy(repo.join("ports.yaml"), dir.path().join("ports.yaml")).unwrap();
    copy_tree(&repo.join("generated"), &dir.path().join("generated"));
    copy_tree(
        &repo.join("examples/lumiere"),
        &dir.path().join("examples/lumiere"),
    );
    dir
}

/// A copy of examples/rerp.
fn rerp() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&Path::new(REPO).join("examples/rerp"), dir.path());
    dir
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn changing_one_port_is_listed_diffed_synced_and_then_clean() {
    let dir = lumiere();
    let root = dir.path();
    let check = portolan(root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));

    edit(
        &root.join("ports.yaml"),
        "api:     { production: 8765, development: 9765, test: 7765, scheme: ws }",
        "api:     { production: 8765, development: 9767, test: 7765, scheme: ws }",
    );
    let check = portolan(root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        stdout(&check),
        "ports.yaml: ok\n\
         examples/lumiere/courier/config/development.yaml:10:7: port differs, ports.yaml says 9767\n\
         examples/lumiere/passeur/config/development.yaml:25:14: courier_url differs, ports.yaml says ws://courier:9767\n\
         examples/lumiere/pourtier/config/development.yaml:17:14: COURIER_URL differs, ports.yaml says ws://courier:9767\n\
         generated/.portolan-manifest: stale: records an earlier ports.yaml\n\
         generated/PORTS.md:28:1: stale: line 28 `| 9765 | courier | api | 9765 | Event Bus (WebSocket) |` should not be there (2 lines differ)\n\
         generated/development.env:3:1: stale: line 3 is `COURIER_API_CONTAINER_PORT=9765`, ports.yaml says `COURIER_API_CONTAINER_PORT=9767` (3 lines differ)\n\
         generated/docker-compose.development.yaml:7:1: stale: line 7 is `      - \"9765:9765\"`, ports.yaml says `      - \"9767:9767\"`\n\
         generated/kubernetes.development.yaml:18:1: stale: line 18 is `      port: 9765`, ports.yaml says `      port: 9767` (2 lines differ)\n\
         generated/ports.json:19:1: stale: line 19 is `      \"container_port\": 9765,`, ports.yaml says `      \"container_port\": 9767,` (3 lines differ)\n\
         generated/ports.py:40:1: stale: line 40 is `COURIER_API_DEVELOPMENT: Final = 9765`, ports.yaml says `COURIER_API_DEVELOPMENT: Final = 9767` (2 lines differ)\n\
         generated/ports.ts:34:1: stale: line 34 is `export const COURIER_API_DEVELOPMENT = 9765;`, ports.yaml says `export const COURIER_API_DEVELOPMENT = 9767;` (2 lines differ)\n\
         11 files out of date; run `portolan sync` to update them\n"
    );
    // JSON says the same places: a team value at its value, an artifact at
    // its first differing line, a file-wide difference at none.
    let json = portolan(root)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let items: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let place = |file: &str| {
        let item = items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == file)
            .unwrap_or_else(|| panic!("{file} in {items}"));
        (item["line"].as_u64(), item["column"].as_u64())
    };
    assert_eq!(
        place("examples/lumiere/courier/config/development.yaml"),
        (Some(10), Some(7))
    );
    assert_eq!(place("generated/PORTS.md"), (Some(28), Some(1)));
    assert_eq!(place("generated/.portolan-manifest"), (None, None));

    let before = snapshot(root);
    let dry = portolan(root).args(["sync", "--dry-run"]).output().unwrap();
    assert_eq!(dry.status.code(), Some(0));
    let diff = stdout(&dry);
    assert!(diff.contains(
        "--- a/examples/lumiere/courier/config/development.yaml\n+++ b/examples/lumiere/courier/config/development.yaml\n"
    ));
    assert!(
        diff.contains("\n-port: 9765  # WebSocket listener\n+port: 9767  # WebSocket listener\n"),
        "{diff}"
    );
    // Generated artifacts are one line each; their diffs on request.
    assert!(!diff.contains("\n-COURIER_API_PORT=9765\n"), "{diff}");
    assert!(
        diff.contains(
            "generated artifacts (`--diff-artifacts` shows their diffs):\n generated/.portolan-manifest | updated, +"
        ) && diff.contains("\n generated/development.env | updated, +3 -3\n"),
        "{diff}"
    );
    assert!(diff.ends_with("would change 11 files; nothing was written (dry run)\n"));
    let full = portolan(root)
        .args(["sync", "--dry-run", "--diff-artifacts"])
        .output()
        .unwrap();
    assert!(
        stdout(&full).contains("\n-COURIER_API_PORT=9765\n"),
        "{}",
        stdout(&full)
    );
    assert!(stdout(&full).contains("\n+COURIER_API_PORT=9767\n"));
    assert_eq!(snapshot(root), before, "--dry-run wrote nothing");

    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stdout(&sync));
    assert_eq!(stdout(&sync).lines().count(), 11);
    let after = snapshot(root);
    let changed: Vec<&PathBuf> = after.keys().filter(|p| before[*p] != after[*p]).collect();
    assert_eq!(changed.len(), 11, "{changed:?}");

    let check = portolan(root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    let again = portolan(root).arg("sync").output().unwrap();
    assert_eq!(stdout(&again), "27 files up to date; nothing to do\n");
    assert_eq!(snapshot(root), after, "a second sync changes nothing");
}

#[test]
fn a_sync_changes_only_the_owned_values() {
    let dir = lumiere();
    let root = dir.path();
    let config = root.join("examples/lumiere/passeur/config/test.yaml");
    let original = std::fs::read_to_string(&config).unwrap();
    edit(
        &root.join("ports.yaml"),
        "metrics: { production: 8792, development: 9792, test: 7792 }",
        "metrics: { production: 8792, development: 9792, test: 7794 }",
    );
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stdout(&sync));
    let updated = std::fs::read_to_string(&config).unwrap();
    // Same lines, except the one holding metrics.port, where only the number differs.
    let (old, new): (Vec<&str>, Vec<&str>) =
        (original.lines().collect(), updated.lines().collect());
    assert_eq!(old.len(), new.len());
    let differing: Vec<(&str, &str)> = old
        .iter()
        .zip(&new)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (*a, *b))
        .collect();
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert_eq!(differing[0].0.replace("7792", "7794"), differing[0].1);
    assert_eq!(original.len(), updated.len());
}

#[test]
fn a_target_that_cannot_be_parsed_stops_the_sync_and_nothing_changes() {
    let dir = lumiere();
    let root = dir.path();
    edit(
        &root.join("ports.yaml"),
        "api:     { production: 8000, development: 9000, test: 7000 }",
        "api:     { production: 8001, development: 9001, test: 7001 }",
    );
    // pypi holds 9001: pick ports that stay valid.
    edit(
        &root.join("ports.yaml"),
        "development: 9001, test: 7001",
        "development: 9002, test: 7001",
    );
    let broken = root.join("examples/lumiere/passeur/config/test.yaml");
    std::fs::write(&broken, "api_port: [unclosed\n").unwrap();
    let before = snapshot(root);
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(1));
    let out = stdout(&sync);
    assert!(
        out.starts_with("examples/lumiere/passeur/config/test.yaml:"),
        "{out}"
    );
    assert!(out.contains("not valid YAML"), "{out}");
    assert!(out.ends_with("nothing was written\n"), "{out}");
    assert_eq!(snapshot(root), before);
}

#[test]
fn released_services_lose_their_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n  worker: { ports: { api: 8001 } }\nrender:\n  artifacts: [env]\n  templates:\n    - template: service.j2\n      output: generated/{service}.txt\n";
    std::fs::write(root.join("ports.yaml"), registry).unwrap();
    std::fs::write(
        root.join("service.j2"),
        "{{ service }} listens on {{ port(service) }}\n",
    )
    .unwrap();
    std::fs::write(root.join("generated.keep"), "not Portolan's").unwrap();
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stdout(&sync));
    assert_eq!(
        std::fs::read_to_string(root.join("generated/worker.txt")).unwrap(),
        "worker listens on 8001\n"
    );
    std::fs::write(root.join("generated/notes.md"), "mine").unwrap();

    std::fs::write(
        root.join("ports.yaml"),
        registry.replace("  worker: { ports: { api: 8001 } }\n", ""),
    )
    .unwrap();
    let check = portolan(root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains("generated/worker.txt: no longer produced by ports.yaml\n"),
        "{}",
        stdout(&check)
    );
    let sync = portolan(root).arg("sync").output().unwrap();
    assert!(
        stdout(&sync).contains("removed generated/worker.txt\n"),
        "{}",
        stdout(&sync)
    );
    assert!(!root.join("generated/worker.txt").exists());
    assert!(root.join("generated/web.txt").exists());
    // Files Portolan never wrote are not its to remove.
    assert!(root.join("generated/notes.md").exists());
    assert!(root.join("generated.keep").exists());
}

#[test]
fn a_file_handed_from_a_template_to_a_sync_target_is_patched_not_removed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let head = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\n";
    std::fs::write(
        root.join("ports.yaml"),
        format!("{head}render:\n  artifacts: []\n  templates:\n    - template: app.j2\n      output: app.yaml\n"),
    )
    .unwrap();
    std::fs::write(root.join("app.j2"), "port: {{ port('web') }}\n").unwrap();
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stdout(&sync));

    // The team takes the file over: it is now patched in place, and the
    // manifest that still lists it must not get it deleted.
    std::fs::write(root.join("app.yaml"), "# ours now\nport: 1\nname: web\n").unwrap();
    std::fs::write(
        root.join("ports.yaml"),
        format!("{head}render:\n  artifacts: []\nsync:\n  - file: app.yaml\n    values: {{ port: \"{{{{ port('web') }}}}\" }}\n"),
    )
    .unwrap();
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stdout(&sync));
    assert!(
        !stdout(&sync).contains("removed app.yaml"),
        "{}",
        stdout(&sync)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("app.yaml")).unwrap(),
        "# ours now\nport: 8000\nname: web\n"
    );
    let check = portolan(root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

#[test]
fn one_file_has_one_spelling_and_one_owner() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nsync:\n  - file: generated/.portolan-manifest\n    format: yaml\n    values: { port: \"1\" }\n  - file: ./generated/ports.json\n    values: { port: \"1\" }\n",
    )
    .unwrap();
    let out = portolan(root).args(["sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("ports.yaml:10:11: error[invalid-path]: `file`: `./generated/ports.json` is not in normal form; write `generated/ports.json`"), "{text}");
    assert_eq!(
        std::fs::read_dir(root).unwrap().count(),
        1,
        "nothing written"
    );

    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nsync:\n  - file: generated/.portolan-manifest\n    format: yaml\n    values: { port: \"1\" }\n",
    )
    .unwrap();
    let out = portolan(root).args(["sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("ports.yaml:7:11: `generated/.portolan-manifest` is Portolan's manifest; Portolan never writes it as an output or team file\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_dir(root).unwrap().count(),
        1,
        "nothing written"
    );
}

#[test]
fn paths_that_leave_the_registry_directory_are_refused() {
    for (path, message) in [
        ("/etc/passwd", "is absolute"),
        ("../outside.yaml", "leaves ports.yaml's directory"),
        ("config/../../outside.yaml", "leaves ports.yaml's directory"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let registry = format!(
            "project: demo\nenvironments:\n  dev: {{ range: 8000-8099 }}\nservices:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ artifacts: [] }}\nsync:\n  - file: {path}\n    values: {{ port: \"{{{{ port('web') }}}}\" }}\n"
        );
        std::fs::write(dir.path().join("ports.yaml"), &registry).unwrap();
        let out = portolan(dir.path())
            .args(["sync", "--dry-run"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{path}");
        let text = stdout(&out);
        assert!(
            text.starts_with("ports.yaml:8:11: error[invalid-path]: `file`: "),
            "{text}"
        );
        assert!(text.contains(message), "{path}: {text}");
    }
}

#[cfg(unix)]
#[test]
fn symlinks_that_lead_out_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("app.yaml"), "port: 1\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("config")).unwrap();
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\nsync:\n  - file: config/app.yaml\n    values: { port: \"{{ port('web') }}\" }\n";
    std::fs::write(dir.path().join("ports.yaml"), registry).unwrap();
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("leads out of the registry's directory"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_to_string(outside.path().join("app.yaml")).unwrap(),
        "port: 1\n"
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_target_inside_the_directory_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("shared")).unwrap();
    std::fs::write(root.join("shared/app.yaml"), "# shared\nport: 1\n").unwrap();
    std::os::unix::fs::symlink("../shared/app.yaml", {
        std::fs::create_dir(root.join("config")).unwrap();
        root.join("config/app.yaml")
    })
    .unwrap();
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\nsync:\n  - file: config/app.yaml\n    values: { port: \"{{ port('web') }}\" }\n";
    std::fs::write(root.join("ports.yaml"), registry).unwrap();
    let out = portolan(root).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let link = std::fs::symlink_metadata(root.join("config/app.yaml")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    assert_eq!(
        std::fs::read_to_string(root.join("shared/app.yaml")).unwrap(),
        "# shared\nport: 8000\n"
    );

    // A second entry naming the real file is the same file under two names.
    std::fs::write(
        root.join("ports.yaml"),
        format!("{registry}  - file: shared/app.yaml\n    values: {{ port: \"2\" }}\n"),
    )
    .unwrap();
    let out = portolan(root).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("is the same file as `config/app.yaml`"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("shared/app.yaml")).unwrap(),
        "# shared\nport: 8000\n"
    );
}

#[test]
fn rerp_helm_values_and_kind_mappings_follow_the_registry() {
    let dir = rerp();
    let root = dir.path();
    let values = root.join("helm/rerp-microservice/values/invoice.yaml");
    let kind = root.join("kind-config.yaml");
    let (values_before, kind_before) = (
        std::fs::read_to_string(&values).unwrap(),
        std::fs::read_to_string(&kind).unwrap(),
    );
    edit(
        &root.join("ports.yaml"),
        "  invoice:\n    description: Invoicing\n    ports:\n      api: 8002",
        "  invoice:\n    description: Invoicing\n    ports:\n      api: 8012",
    );
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stdout(&sync));
    let values_after = std::fs::read_to_string(&values).unwrap();
    assert_eq!(
        values_after,
        values_before
            .replace("port: 8002", "port: 8012")
            .replace("containerPort: 8002", "containerPort: 8012")
            .replace("nodePort: 31002", "nodePort: 31012")
    );
    let kind_after = std::fs::read_to_string(&kind).unwrap();
    assert_eq!(
        kind_after,
        kind_before.replace(
            "      # portolan: invoice api\n      - containerPort: 31002\n        hostPort: 8002\n",
            "      # portolan: invoice api\n      - containerPort: 31012\n        hostPort: 8012\n"
        )
    );
    // Both still read as YAML, with the new values where Helm and kind look.
    let values: serde_json::Value = serde_saphyr::from_str(&values_after).unwrap();
    assert_eq!(values["service"]["nodePort"], 31012);
    assert_eq!(values["image"]["name"], values_before_image(&values_before));
    let kind: serde_json::Value = serde_saphyr::from_str(&kind_after).unwrap();
    let mappings = &kind["nodes"][0]["extraPortMappings"];
    // Three of Portolan's, and the team's Postgres and Grafana.
    assert_eq!(mappings.as_array().unwrap().len(), 5);
    assert!(
        mappings
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["hostPort"] == 8012
                && m["containerPort"] == 31012
                && m["protocol"] == "TCP")
    );
    // In PyYAML, and in the shape kind reads (v1alpha4): known keys only,
    // integer ports, a known protocol, no host port mapped twice.
    crate::python(
        root,
        "import yaml; \
         kind = yaml.safe_load(open('kind-config.yaml')); \
         assert kind['kind'] == 'Cluster' and kind['apiVersion'] == 'kind.x-k8s.io/v1alpha4'; \
         maps = [m for n in kind['nodes'] for m in n.get('extraPortMappings') or []]; \
         assert all(n['role'] in ('control-plane', 'worker') for n in kind['nodes']); \
         assert all(set(m) <= {'containerPort', 'hostPort', 'listenAddress', 'protocol'} for m in maps), maps; \
         assert all(type(m['containerPort']) is int and type(m['hostPort']) is int for m in maps), maps; \
         assert all(m.get('protocol', 'TCP') in ('TCP', 'UDP', 'SCTP') for m in maps), maps; \
         assert len({m['hostPort'] for m in maps}) == len(maps) == 5, maps; \
         values = yaml.safe_load(open('helm/rerp-microservice/values/invoice.yaml')); \
         assert values['service'] == {'type': 'NodePort', 'port': 8012, 'containerPort': 8012, 'nodePort': 31012}, values",
    );
    let check = portolan(root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

fn values_before_image(text: &str) -> serde_json::Value {
    let before: serde_json::Value = serde_saphyr::from_str(text).unwrap();
    before["image"]["name"].clone()
}

#[test]
fn temporary_files_of_a_killed_sync_are_swept_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let registry = "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\nsync:\n  - file: app.yaml\n    values: { port: \"{{ port('web') }}\" }\n";
    std::fs::write(root.join("ports.yaml"), registry).unwrap();
    std::fs::write(root.join("app.yaml"), "port: 1\n").unwrap();
    // Every writer holds the lock, so a temporary file found under it is a
    // killed run's; files that only look alike are left.
    let dead = root.join(".app.yaml.AbCd1234.portolan-tmp");
    let unrelated = [
        ".notes.tmp",
        ".app.yaml.portolan-tmp",
        "app.yaml.AbCd1234.portolan-tmp",
    ];
    std::fs::write(&dead, "half").unwrap();
    for f in unrelated {
        std::fs::write(root.join(f), "mine").unwrap();
    }
    // A symlink of the temporary name is not followed, nor removed.
    let outside = tempfile::NamedTempFile::new().unwrap();
    let link = root.join(".ports.yaml.ZZZZ9999.portolan-tmp");
    std::os::unix::fs::symlink(outside.path(), &link).unwrap();
    let out = portolan(root).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!dead.exists(), "a dead sync's temporary file is removed");
    for f in unrelated {
        assert!(root.join(f).exists(), "{f} is kept");
    }
    assert!(link.symlink_metadata().is_ok() && outside.path().exists());
    assert_eq!(
        std::fs::read_to_string(root.join("app.yaml")).unwrap(),
        "port: 8000\n"
    );
}

/// A team file that does not exist yet is reported as missing, not as a
/// missing key, and sync creates it from the entry's template.
#[test]
fn a_missing_team_file_is_named_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\nsync:\n  - file: config/app.yaml\n    create: app.template.yaml\n    values: { server.port: \"{{ port('web') }}\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.template.yaml"),
        "# The app.\nserver:\n  port: 0\n",
    )
    .unwrap();
    let out = portolan(dir.path())
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "ports.yaml: ok\nconfig/app.yaml: missing; sync creates it from `app.template.yaml` with the values ports.yaml owns\n1 file out of date; run `portolan sync` to update it\n"
    );
    let out = portolan(dir.path()).arg("sync").output().unwrap();
    assert_eq!(stdout(&out), "created config/app.yaml\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("config/app.yaml")).unwrap(),
        "# The app.\nserver:\n  port: 8000\n"
    );
}

/// List drift names the first line that differs and the item it belongs to.
#[test]
fn list_drift_names_the_line_and_the_item() {
    let dir = rerp();
    let root = dir.path();
    edit(
        &root.join("ports.yaml"),
        "      api: 8002\n",
        "      api: 8042\n",
    );
    let out = portolan(root)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "kind-config.yaml:35:1: nodes[role=control-plane].extraPortMappings differs from ports.yaml at line 35 (the item under `# portolan: invoice api`)\n"
        ),
        "{}",
        stdout(&out)
    );
}

/// A mapping the team wrote by hand that publishes a port ports.yaml gives a
/// service is refused at its line: kind would fail on the second mapping.
#[test]
fn a_hand_written_mapping_on_a_service_port_is_a_located_clash() {
    let dir = rerp();
    let root = dir.path();
    edit(
        &root.join("kind-config.yaml"),
        "      # Grafana.\n      - containerPort: 32300\n        hostPort: 9000\n",
        "      # Grafana.\n      - containerPort: 32300\n        hostPort: 8001\n",
    );
    let before = std::fs::read_to_string(root.join("kind-config.yaml")).unwrap();
    for command in [&["check", "--format", "short"][..], &["sync"]] {
        let out = portolan(root).args(command).output().unwrap();
        assert_ne!(out.status.code(), Some(0), "{command:?}");
        let text = format!("{}{}", stdout(&out), crate::stderr(&out));
        assert!(
            text.contains("kind-config.yaml:44:1: an item that is not Portolan's holds `hostPort: 8001`, as Portolan's item `# portolan: general-ledger api` in `nodes[role=control-plane].extraPortMappings` does"),
            "{command:?}: {text}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(root.join("kind-config.yaml")).unwrap(),
        before
    );
}

/// `services:` and `environments:` choose what an entry covers: its
/// `{service}` and `{environment}` files, and its list items.
#[test]
fn entries_cover_the_services_and_environments_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let registry = "\
project: demo
environments:
  production: { range: 8000-8099 }
  test: { range: 7000-7099 }
services:
  api: { ports: { http: { production: 8001, test: 7001 } } }
  worker: { ports: { http: { production: 8002, test: 7002 } } }
render: { artifacts: [] }
sync:
  - file: svc/{service}.{environment}.yaml
    services: [api]
    environments: [production]
    values: { port: \"{{ port(service) }}\" }
  - file: gateway.yaml
    environments: [test]
    services: [worker]
    lists:
      upstreams:
        key: name
        item: { name: \"{{ service }}\", port: \"{{ port }}\" }
";
    std::fs::write(root.join("ports.yaml"), registry).unwrap();
    std::fs::create_dir(root.join("svc")).unwrap();
    for f in [
        "api.production",
        "api.test",
        "worker.production",
        "worker.test",
    ] {
        std::fs::write(root.join(format!("svc/{f}.yaml")), "port: 1\n").unwrap();
    }
    std::fs::write(
        root.join("gateway.yaml"),
        "upstreams:\n  - name: cache\n    port: 6379\n",
    )
    .unwrap();
    let out = portolan(root).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", crate::stderr(&out));
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    assert_eq!(read("svc/api.production.yaml"), "port: 8001\n");
    for f in ["api.test", "worker.production", "worker.test"] {
        assert_eq!(
            read(&format!("svc/{f}.yaml")),
            "port: 1\n",
            "{f} is not covered"
        );
    }
    assert_eq!(
        read("gateway.yaml"),
        "upstreams:\n  - name: cache\n    port: 6379\n  - name: worker\n    port: 7002\n"
    );
    let check = portolan(root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

/// A port copied by hand into a team file, under a key no entry owns, is
/// named by `check` (and by `sync` as a warning) with the line and the entry
/// that would own it: it would go stale at the next port move.
#[test]
fn a_port_repeated_by_hand_outside_the_owned_values_is_named() {
    let dir = rerp();
    let root = dir.path();
    let values = "helm/rerp-microservice/values/invoice.yaml";
    edit(
        &root.join(values),
        "podAnnotations:\n  prometheus.io/scrape: \"true\"\n",
        "podAnnotations:\n  prometheus.io/scrape: \"true\"\n  prometheus.io/port: \"8001\"\n",
    );
    let out = portolan(root)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let expected = format!(
        "{values}:64:23: `podAnnotations.\"prometheus.io/port\": 8001` is the port of `general-ledger api` (cluster), repeated by hand: own it (`podAnnotations.\"prometheus.io/port\": \"{{{{ port('general-ledger', 'api') }}}}\"` in the entry's `values:`), or remove it\n"
    );
    assert!(stdout(&out).contains(&expected), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("11 files up to date; 1 port is repeated by hand in a team file\n"),
        "{}",
        stdout(&out)
    );
    let json = portolan(root)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let items: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let stray = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "unowned-port")
        .unwrap();
    // The file's own place, as the short format's `file:line:column`, in
    // the shape of the registry's findings.
    assert_eq!(stray["file"].as_str(), Some(values));
    assert_eq!(
        (stray["line"].as_u64(), stray["column"].as_u64()),
        (Some(64), Some(23))
    );
    assert_eq!(stray["related"], serde_json::json!([]));
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0));
    assert!(
        stdout(&sync).contains(&format!("warning: {expected}")),
        "{}",
        stdout(&sync)
    );
}

/// A `{service}` file's owned list holds that service's ports only.
#[test]
fn a_per_service_list_holds_its_own_services_ports() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  ledger: { ports: { api: 8001 } }\n  invoice: { ports: { http: 8002, admin: 8003 } }\nrender: { artifacts: [] }\nsync:\n  - file: values/{service}.yaml\n    lists:\n      service.ports:\n        key: name\n        item: { name: \"{{ name }}\", port: \"{{ port }}\" }\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("values")).unwrap();
    for s in ["ledger", "invoice"] {
        std::fs::write(
            root.join(format!("values/{s}.yaml")),
            "service:\n  ports: []\n",
        )
        .unwrap();
    }
    let out = portolan(root).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let read = |s: &str| std::fs::read_to_string(root.join(format!("values/{s}.yaml"))).unwrap();
    assert_eq!(
        read("ledger"),
        "service:\n  ports:\n    - name: api\n      port: 8001\n"
    );
    assert_eq!(
        read("invoice"),
        "service:\n  ports:\n    - name: admin\n      port: 8003\n    - name: http\n      port: 8002\n"
    );
}

/// Ports repeated by hand are compared with the file's own environments, and
/// a container-side key is never taken for a host port.
#[test]
fn ports_repeated_by_hand_are_those_of_the_files_environment() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  production: { range: 8000-8099 }\n  test: { range: 7000-7099 }\nservices:\n  web: { ports: { api: { production: 8001, test: 7001 } } }\n  admin: { ports: { api: { production: 8000, test: 7000 } } }\nrender: { artifacts: [] }\nsync:\n  - file: deploy/production.yaml\n    environments: [production]\n    values: { port: \"{{ port('web') }}\" }\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("deploy")).unwrap();
    std::fs::write(
        root.join("deploy/production.yaml"),
        "port: 8001\ncontainerPort: 8000\ndebugPort: 7000\nadminPort: 8000\n",
    )
    .unwrap();
    let out = portolan(root)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // One line: adminPort (production's admin); not containerPort, not test's 7000.
    assert_eq!(text.matches("repeated by hand").count(), 2, "{text}");
    assert!(
        text.contains(
            "deploy/production.yaml:4:12: `adminPort: 8000` is the port of `admin api` (production)"
        ),
        "{text}"
    );
}

/// `check` names an item by Portolan's own comment only: a team comment may
/// hold anything, and CI logs are public.
#[test]
fn list_drift_never_prints_a_team_comment() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  ledger: { ports: { api: 8001 } }\nrender: { artifacts: [] }\nsync:\n  - file: gateway.yaml\n    lists:\n      upstreams:\n        key: name\n        item: { name: \"{{ service }}\", port: \"{{ port }}\" }\n",
    )
    .unwrap();
    std::fs::write(
        root.join("gateway.yaml"),
        "upstreams:\n  # AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI (rotate monthly)\n  - name: ledger\n    port: 7001\n",
    )
    .unwrap();
    let out = portolan(root)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("gateway.yaml:4:1: upstreams differs from ports.yaml at line 4\n"),
        "{text}"
    );
    assert!(!text.contains("wJalr"), "{text}");
}

/// A generated file the repository's .gitignore ignores is never committed:
/// `check` names it with the rule, and `sync` warns.
#[test]
fn generated_files_git_ignores_are_named_with_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
    };
    if git(&["init", "-q"]).is_err() {
        eprintln!("skipped: git is not installed");
        return;
    }
    std::fs::write(root.join(".gitignore"), "# local settings\n*.env\n").unwrap();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [env, ports.json] }\n",
    )
    .unwrap();
    let sync = portolan(root).arg("sync").output().unwrap();
    assert_eq!(sync.status.code(), Some(0), "{}", stdout(&sync));
    let expected = "generated/dev.env: git ignores it (rule `.gitignore:2: *.env`), so it is never committed and a fresh clone lacks it: change the ignore rules so git keeps it (`git check-ignore -v generated/dev.env` names the rule; a directory ignored whole must be un-ignored first)\n";
    assert!(
        stdout(&sync).contains(&format!("warning: {expected}")),
        "{}",
        stdout(&sync)
    );
    let check = portolan(root)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    assert!(stdout(&check).contains(expected), "{}", stdout(&check));
    assert!(
        !stdout(&check).contains("ports.json: git"),
        "{}",
        stdout(&check)
    );
    // Un-ignored by a negated rule: clean.
    std::fs::write(root.join(".gitignore"), "*.env\n!generated/*.env\n").unwrap();
    let check = portolan(root).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    // The manifest, and a team file Portolan keeps in sync, count too.
    std::fs::write(root.join(".gitignore"), ".portolan-manifest\nlocal.env\n").unwrap();
    std::fs::write(root.join("local.env"), "WEB_PORT=8000\n").unwrap();
    let registry = std::fs::read_to_string(root.join("ports.yaml")).unwrap();
    std::fs::write(
        root.join("ports.yaml"),
        format!("{registry}sync:\n  - file: local.env\n    values: {{ WEB_PORT: \"{{{{ port('web') }}}}\" }}\n"),
    )
    .unwrap();
    portolan(root).arg("sync").output().unwrap();
    let check = portolan(root)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    let text = stdout(&check);
    assert!(
        text.contains(
            "generated/.portolan-manifest: git ignores it (rule `.gitignore:1: .portolan-manifest`)"
        ),
        "{text}"
    );
    assert!(
        text.contains("local.env: git ignores it (rule `.gitignore:2: local.env`)"),
        "{text}"
    );
}

/// A dry run's diff shows control characters escaped: a file's bytes could
/// otherwise rewrite the terminal lines a reviewer reads.
#[test]
fn dry_run_diffs_escape_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\nsync:\n  - file: run.sh\n    format: text\n    values:\n      'PORT=(.*)': \"{{ port('web') }}\\e[2K\\e[1A\"\n",
    )
    .unwrap();
    std::fs::write(root.join("run.sh"), "PORT=1\n").unwrap();
    let dry = portolan(root).args(["sync", "--dry-run"]).output().unwrap();
    let text = stdout(&dry);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(
        text.contains("+PORT=8000\\u{1b}[2K\\u{1b}[1A\n"),
        "{text:?}"
    );
}

/// The dry run's diff is coloured as the environment asks: added lines
/// green, removed red; never in a pipe unless forced.
#[test]
fn the_dry_run_diff_is_coloured_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8000 } }\nrender: { artifacts: [] }\nsync:\n  - file: app.yaml\n    values: { port: \"{{ port('web') }}\" }\n",
    )
    .unwrap();
    std::fs::write(root.join("app.yaml"), "port: 1\n").unwrap();
    let dry = |args: &[&str], force: Option<&str>| {
        let mut cmd = portolan(root);
        cmd.env_remove("CLICOLOR_FORCE");
        if let Some(v) = force {
            cmd.env("CLICOLOR_FORCE", v);
        }
        stdout(&cmd.args(["sync", "--dry-run"]).args(args).output().unwrap())
    };
    let forced = dry(&[], Some("1"));
    assert!(
        forced.contains("\u{1b}[32m+port: 8000\u{1b}[0m\n"),
        "{forced:?}"
    );
    assert!(
        forced.contains("\u{1b}[31m-port: 1\u{1b}[0m\n"),
        "{forced:?}"
    );
    assert!(!dry(&[], None).contains('\u{1b}'));
    assert!(!dry(&["--color", "never"], Some("1")).contains('\u{1b}'));
    assert!(dry(&["--color", "always"], None).contains('\u{1b}'));
}

/// The repository's own artifacts load in the readers teams use: Python's
/// `json`, python-dotenv (every `_CONTAINER_PORT` a compose file may name),
/// PyYAML for the compose, Kubernetes and Prometheus files.
#[test]
fn the_repositorys_artifacts_load_in_python_readers() {
    let generated = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated");
    super::python(
        &generated,
        r#"
import glob, json, yaml
from dotenv import dotenv_values
ports = json.load(open("ports.json"))["ports"]
assert any(p["service"] == "courier" and p["environment"] == "development" for p in ports), ports
for env in glob.glob("*.env"):
    values = dotenv_values(env)
    name = env[: -len(".env")]
    assert values["LUMIERE_ENV"] == name, (env, values)
    for p in ports:
        if p.get("environment") == name:
            key = (p["service"] + "_" + p["name"]).upper().replace("-", "_") + "_CONTAINER_PORT"
            assert values[key] == str(p["container_port"]), (env, key)
for path in glob.glob("*.yaml") + glob.glob("*.yml"):
    for doc in yaml.load_all(open(path), Loader=yaml.BaseLoader):
        assert isinstance(doc, dict), path
"#,
    );
}

/// A list item of a range sees its last port (`port_end`) and its transport;
/// `url()` of a range says why it has none.
#[test]
fn a_range_reaches_owned_lists_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  media: { ports: { rtp: { range: 8010-8019, protocol: udp } } }\nrender: { artifacts: [] }\nsync:\n  - file: firewall.yaml\n    lists:\n      rules:\n        key: name\n        item: { name: \"{{ service }}-{{ name }}\", ports: \"{{ port }}-{{ port_end }}\", proto: \"{{ protocol }}\" }\n",
    )
    .unwrap();
    std::fs::write(root.join("firewall.yaml"), "rules: []\n").unwrap();
    let out = portolan(root).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(root.join("firewall.yaml")).unwrap(),
        "rules:\n  - name: media-rtp\n    ports: 8010-8019\n    proto: udp\n"
    );
    let registry = std::fs::read_to_string(root.join("ports.yaml")).unwrap();
    std::fs::write(root.join("other.yaml"), "u: x\n").unwrap();
    std::fs::write(
        root.join("ports.yaml"),
        format!(
            "{registry}  - file: other.yaml\n    values: {{ u: \"{{{{ url('media') }}}}\" }}\n"
        ),
    )
    .unwrap();
    let out = portolan(root).arg("check").output().unwrap();
    assert!(
        stdout(&out).contains("url(): `media`'s port is a range (8010-8019), which has no URL"),
        "{}",
        stdout(&out)
    );
}

/// A file's drift lines come in the file's order, whatever the entry's.
#[test]
fn drift_lines_follow_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  web: { ports: { api: 8001 } }\nrender: { artifacts: [] }\nsync:\n  - file: app.yaml\n    values: { second: \"{{ port('web') }}\", first: \"{{ port('web') }}\" }\n",
    )
    .unwrap();
    std::fs::write(root.join("app.yaml"), "first: 1\nsecond: 2\n").unwrap();
    let out = portolan(root)
        .args(["check", "--format", "short"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "ports.yaml: ok\napp.yaml:1:8: first differs, ports.yaml says 8001\napp.yaml:2:9: second differs, ports.yaml says 8001\n1 file out of date; run `portolan sync` to update it\n"
    );
}

/// A template never writes a function or an empty value into a team file:
/// `{{ node_port }}` where a port has no NodePort, or a bare `{{ port }}` in
/// `values:`, is a located error, and nothing is written.
#[test]
fn a_function_or_an_empty_value_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let kind = "nodes:\n  - role: control-plane\n    extraPortMappings: []\n";
    std::fs::write(root.join("kind-config.yaml"), kind).unwrap();
    std::fs::write(root.join("app.yaml"), "port: 1\n").unwrap();
    for (sync, what) in [
        (
            "  - file: kind-config.yaml\n    lists:\n      nodes[role=control-plane].extraPortMappings:\n        comment: \"portolan: {{ service }} {{ name }}\"\n        item: { containerPort: \"{{ node_port }}\", hostPort: \"{{ port }}\" }\n",
            "a function is printed without being called",
        ),
        (
            "  - file: app.yaml\n    values: { port: \"{{ port }}\" }\n",
            "a function is printed without being called",
        ),
        (
            "  - file: kind-config.yaml\n    lists:\n      nodes[role=control-plane].extraPortMappings:\n        key: name\n        item: { name: \"{{ name }}\", url: \"{{ description }}\" }\n",
            "an empty value (none) is printed",
        ),
    ] {
        std::fs::write(
            root.join("ports.yaml"),
            format!("project: demo\nenvironments:\n  development: {{ range: 8000-8999 }}\nservices:\n  web: {{ ports: {{ api: 8000 }} }}\nrender: {{ artifacts: [] }}\nsync:\n{sync}"),
        )
        .unwrap();
        let out = portolan(root).arg("sync").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(stdout(&out).contains(what), "{what}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("ports.yaml:"),
            "located: {}",
            stdout(&out)
        );
        assert_eq!(
            std::fs::read_to_string(root.join("kind-config.yaml")).unwrap(),
            kind
        );
        assert_eq!(
            std::fs::read_to_string(root.join("app.yaml")).unwrap(),
            "port: 1\n"
        );
    }
}

/// A list whose item cannot say a range's end leaves the range out rather
/// than map its first port alone.
#[test]
fn a_list_without_port_end_leaves_ranges_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("ports.yaml"),
        "project: demo\nenvironments:\n  dev: { range: 8000-8099 }\nservices:\n  media: { ports: { rtp: { range: 8010-8019, protocol: udp }, api: 8001 } }\nrender: { artifacts: [] }\nsync:\n  - file: kind.yaml\n    lists:\n      maps:\n        comment: \"portolan: {{ service }} {{ name }}\"\n        item: { hostPort: \"{{ port }}\", protocol: \"{{ protocol | upper }}\" }\n",
    )
    .unwrap();
    std::fs::write(root.join("kind.yaml"), "maps: []\n").unwrap();
    let out = portolan(root).arg("sync").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(root.join("kind.yaml")).unwrap(),
        "maps:\n  # portolan: media api\n  - hostPort: 8001\n    protocol: TCP\n"
    );
}
