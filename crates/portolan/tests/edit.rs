//! Byte-faithful edits of team-owned YAML (`portolan::edit`): an edit changes
//! the owned value's bytes and nothing else, keeps its quoting, adds missing
//! keys where a person would, regenerates owned lists whole, and refuses what
//! it cannot do with a message instead of a panic.

use portolan::edit::{
    Current, Document, EditError, Item, OwnedItems, Owner, Value, plain_or_quoted,
};
use portolan::model::{KeyPath, Segment};

fn path(text: &str) -> KeyPath {
    KeyPath::parse(text).unwrap_or_else(|e| panic!("bad key path {text:?}: {e}"))
}

fn str(text: &str) -> Value {
    Value::Str(text.to_owned())
}

/// `apply` with scalar values only; panics unless the text changes.
#[track_caller]
fn set_all(text: &str, values: &[(&str, Value)]) -> String {
    let values: Vec<(KeyPath, Value)> = values.iter().map(|(p, v)| (path(p), v.clone())).collect();
    let doc = Document::parse(text).expect("the input parses");
    doc.apply(&values, &[])
        .unwrap_or_else(|e| panic!("apply failed: {e}"))
        .expect("apply changed nothing")
}

/// One owned value through `apply`, checked against `set` (which must agree).
#[track_caller]
fn set_one(text: &str, key: &str, value: Value) -> String {
    let doc = Document::parse(text).expect("the input parses");
    let direct = doc.set(&path(key), &value).expect("set");
    let applied = set_all(text, &[(key, value)]);
    assert_eq!(
        direct.as_deref(),
        Some(applied.as_str()),
        "set and apply differ"
    );
    applied
}

/// One owned list through `apply`, checked against `set_list`.
#[track_caller]
fn set_list(text: &str, key: &str, items: &[Item]) -> String {
    let doc = Document::parse(text).expect("the input parses");
    let direct = doc.set_list(&owned(key, items)).expect("set_list");
    let applied = doc
        .apply(&[], &[owned(key, items)])
        .unwrap_or_else(|e| panic!("apply failed: {e}"))
        .expect("apply changed nothing");
    assert_eq!(
        direct.as_deref(),
        Some(applied.as_str()),
        "set_list and apply differ"
    );
    applied
}

/// The error of setting `key` to `value` in `text` (parse errors included).
#[track_caller]
fn set_err(text: &str, key: &str, value: Value) -> EditError {
    match Document::parse(text).and_then(|d| d.apply(&[(path(key), value)], &[])) {
        Ok(out) => panic!("expected an error, got {out:?}"),
        Err(e) => e,
    }
}

fn get(text: &str, key: &str) -> Current {
    Document::parse(text)
        .expect("parses")
        .get(&path(key))
        .unwrap_or_else(|e| panic!("get {key}: {e}"))
}

/// Portolan's items of the list at `key`, marked by comments starting `portolan:`.
fn owned(key: &str, items: &[Item]) -> OwnedItems {
    OwnedItems {
        path: path(key),
        owner: Owner::Comment("portolan: .*".to_owned()),
        items: items.to_vec(),
    }
}

fn item(comment: Option<&str>, fields: &[(&str, Value)]) -> Item {
    Item {
        comment: comment.map(str::to_owned),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    }
}

/// Asserts that `new` is `old` with one occurrence of `old_value` replaced by
/// `new_value`, every other byte identical. The common prefix and suffix of
/// the two texts are computed, and the region that differs must lie inside
/// that one value (the prefix may run into the value when old and new share
/// leading characters, as `9765` and `9767` do).
#[track_caller]
fn assert_only_value_changed(old: &str, new: &str, old_value: &str, new_value: &str) {
    let (o, n) = (old.as_bytes(), new.as_bytes());
    let prefix = o.iter().zip(n).take_while(|(a, b)| a == b).count();
    let max_suffix = o.len().min(n.len()) - prefix;
    let suffix = o
        .iter()
        .rev()
        .zip(n.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    assert!(
        prefix + suffix < o.len().max(n.len()),
        "the texts are identical"
    );
    // The value starts at or before the first differing byte.
    let start = (prefix.saturating_sub(old_value.len().max(new_value.len()))..=prefix)
        .rev()
        .find(|&at| {
            old.get(at..at + old_value.len()) == Some(old_value)
                && new.get(at..at + new_value.len()) == Some(new_value)
                && old[..at] == new[..at]
                && old[at + old_value.len()..] == new[at + new_value.len()..]
        });
    let Some(start) = start else {
        panic!(
            "the change is not exactly {old_value:?} -> {new_value:?}:\n\
             old differs in {:?}\nnew differs in {:?}",
            &old[prefix..old.len() - suffix],
            &new[prefix..new.len() - suffix],
        );
    };
    // The differing middle lies inside the value in both texts.
    assert!(start + old_value.len() >= o.len() - suffix);
    assert!(start + new_value.len() >= n.len() - suffix);
}

// ---------------------------------------------------------------------------
// 1. Byte-faithful edits
// ---------------------------------------------------------------------------

const COURIER: &str = "\
# Courier: delivers messages to connected clients.
# `port` is owned by Portolan (ports.yaml); edit the rest freely.

name: courier
port: 9765  # WebSocket
bind: \"0.0.0.0\"

# Health checks
health:
  path: /healthz
  interval: 10s   # keep short

banner: |
  Welcome to courier.
    Indented line stays.

limits: {connections: 512, burst: 64}
tags: [edge, 'realtime']
# end
";

#[test]
fn changing_the_owned_value_changes_only_its_bytes() {
    let new = set_one(COURIER, "port", Value::Int(9767));
    assert_eq!(
        new,
        "\
# Courier: delivers messages to connected clients.
# `port` is owned by Portolan (ports.yaml); edit the rest freely.

name: courier
port: 9767  # WebSocket
bind: \"0.0.0.0\"

# Health checks
health:
  path: /healthz
  interval: 10s   # keep short

banner: |
  Welcome to courier.
    Indented line stays.

limits: {connections: 512, burst: 64}
tags: [edge, 'realtime']
# end
"
    );
    assert_only_value_changed(COURIER, &new, "9765", "9767");
    assert_eq!(get(&new, "port"), Current::Scalar("9767".into()));
}

#[test]
fn values_of_other_widths_and_nested_values_change_only_their_bytes() {
    let new = set_one(COURIER, "port", Value::Int(80));
    assert_only_value_changed(COURIER, &new, "9765", "80");
    let new = set_one(COURIER, "health.path", str("/ready"));
    assert_only_value_changed(COURIER, &new, "/healthz", "/ready");
    let new = set_one(COURIER, "bind", str("127.0.0.1"));
    assert_only_value_changed(COURIER, &new, "\"0.0.0.0\"", "\"127.0.0.1\"");
    // Inside a flow mapping and a flow sequence.
    let new = set_one(COURIER, "limits.burst", Value::Int(128));
    assert_only_value_changed(COURIER, &new, "64", "128");
    let new = set_one(COURIER, "tags[1]", str("live"));
    assert_only_value_changed(COURIER, &new, "'realtime'", "'live'");
}

#[test]
fn the_helper_rejects_changes_outside_the_value() {
    let moved = COURIER.replace("9765  # WebSocket", "9767 # WebSocket");
    let caught = std::panic::catch_unwind(|| {
        assert_only_value_changed(COURIER, &moved, "9765", "9767");
    });
    assert!(caught.is_err(), "a changed comment went unnoticed");
    let elsewhere = COURIER.replace("burst: 64", "burst: 65");
    let caught = std::panic::catch_unwind(|| {
        assert_only_value_changed(COURIER, &elsewhere, "9765", "9767");
    });
    assert!(caught.is_err(), "a change elsewhere went unnoticed");
}

#[test]
fn crlf_line_endings_are_kept_around_a_changed_value() {
    let old = "# c\r\nname: courier\r\nport: 9765  # ws\r\n";
    let new = set_one(old, "port", Value::Int(9767));
    assert_eq!(new, "# c\r\nname: courier\r\nport: 9767  # ws\r\n");
}

// ---------------------------------------------------------------------------
// 2. Quote styles
// ---------------------------------------------------------------------------

const STYLES: &str = "\
url: \"https://old.example.com:8080/v1\"   # double
title: 'Old title'   # single
host: old-host   # plain
port: 8080   # integer
";

#[test]
fn double_quoted_stays_double_quoted() {
    assert_eq!(
        set_one(STYLES, "url", str("https://new.example.com:9090/v2")),
        "\
url: \"https://new.example.com:9090/v2\"   # double
title: 'Old title'   # single
host: old-host   # plain
port: 8080   # integer
"
    );
    // Escapes are YAML double-quoted escapes, and read back.
    let new = set_one(STYLES, "url", str("tab\there \"q\" back\\slash"));
    assert!(new.starts_with("url: \"tab\\there \\\"q\\\" back\\\\slash\"   # double\n"));
    assert_eq!(
        get(&new, "url"),
        Current::Scalar("tab\there \"q\" back\\slash".into())
    );
}

#[test]
fn single_quoted_stays_single_quoted_and_doubles_quotes() {
    let new = set_one(STYLES, "title", str("It's new"));
    assert_eq!(
        new,
        "\
url: \"https://old.example.com:8080/v1\"   # double
title: 'It''s new'   # single
host: old-host   # plain
port: 8080   # integer
"
    );
    assert_eq!(get(&new, "title"), Current::Scalar("It's new".into()));
    // A line break cannot be written single-quoted on one line: double quotes.
    let new = set_one(STYLES, "title", str("two\nlines"));
    assert!(
        new.contains("\ntitle: \"two\\nlines\"   # single\n"),
        "{new}"
    );
    assert_eq!(get(&new, "title"), Current::Scalar("two\nlines".into()));
}

#[test]
fn plain_stays_plain_when_it_reads_back_the_same() {
    assert_eq!(
        set_one(STYLES, "host", str("new-host.internal")),
        "\
url: \"https://old.example.com:8080/v1\"   # double
title: 'Old title'   # single
host: new-host.internal   # plain
port: 8080   # integer
"
    );
    assert_eq!(
        set_one(STYLES, "host", str("a,b [c] {d} it's")),
        STYLES.replace("old-host", "a,b [c] {d} it's")
    );
}

#[test]
fn integers_stay_plain_integers() {
    let new = set_one(STYLES, "port", Value::Int(9090));
    assert_eq!(new, STYLES.replace("8080   # integer", "9090   # integer"));
    assert_eq!(
        set_one(STYLES, "port", Value::Int(-1)),
        STYLES.replace("8080   # integer", "-1   # integer")
    );
    // A plain string over an integer: written plain when safe.
    assert_eq!(
        set_one(STYLES, "port", str("auto")),
        STYLES.replace("8080   # integer", "auto   # integer")
    );
}

#[test]
fn a_plain_value_that_would_read_differently_is_double_quoted() {
    for (value, written) in [
        ("a: b", "\"a: b\""),
        ("yes", "\"yes\""),
        ("No", "\"No\""),
        ("null", "\"null\""),
        ("~", "\"~\""),
        ("123abc", "\"123abc\""),
        ("8080", "\"8080\""),
        ("1.5", "\"1.5\""),
        ("-x", "\"-x\""),
        ("x #y", "\"x #y\""),
        ("key:", "\"key:\""),
        ("#tag", "\"#tag\""),
        ("*star", "\"*star\""),
        (" padded", "\" padded\""),
        ("", "\"\""),
    ] {
        let new = set_one(STYLES, "host", str(value));
        assert_eq!(new, STYLES.replace("old-host", written), "value {value:?}");
        assert_eq!(get(&new, "host"), Current::Scalar(value.into()));
    }
}

#[test]
fn plain_or_quoted_decides_by_context() {
    assert_eq!(plain_or_quoted(&Value::Int(42), false), "42");
    assert_eq!(plain_or_quoted(&Value::Int(-7), true), "-7");
    assert_eq!(plain_or_quoted(&str("courier"), false), "courier");
    assert_eq!(plain_or_quoted(&str("a b"), true), "a b");
    assert_eq!(plain_or_quoted(&str("a#b"), false), "a#b");
    // Commas and brackets are only special inside flow collections.
    assert_eq!(plain_or_quoted(&str("a,b"), false), "a,b");
    assert_eq!(plain_or_quoted(&str("a,b"), true), "\"a,b\"");
    assert_eq!(plain_or_quoted(&str("x[0]"), true), "\"x[0]\"");
    assert_eq!(plain_or_quoted(&str("a: b"), false), "\"a: b\"");
    assert_eq!(plain_or_quoted(&str("yes"), false), "\"yes\"");
    assert_eq!(plain_or_quoted(&str("TRUE"), false), "\"TRUE\"");
    assert_eq!(plain_or_quoted(&str("123abc"), false), "\"123abc\"");
    assert_eq!(plain_or_quoted(&str(""), false), "\"\"");
    assert_eq!(plain_or_quoted(&str("say \"hi\""), false), "say \"hi\"");
    assert_eq!(plain_or_quoted(&str("\"hi\""), false), "\"\\\"hi\\\"\"");
}

#[test]
fn from_rendered_reads_canonical_integers_only() {
    assert_eq!(Value::from_rendered("9767"), Value::Int(9767));
    assert_eq!(Value::from_rendered("-5"), Value::Int(-5));
    assert_eq!(Value::from_rendered("0"), Value::Int(0));
    assert_eq!(Value::from_rendered("09767"), str("09767"));
    assert_eq!(Value::from_rendered("+5"), str("+5"));
    assert_eq!(Value::from_rendered(" 5"), str(" 5"));
    assert_eq!(Value::from_rendered("localhost"), str("localhost"));
    assert_eq!(
        Value::from_rendered("99999999999999999999"),
        str("99999999999999999999")
    );
    assert_eq!(Value::Int(12).as_text(), "12");
    assert_eq!(str("x").to_string(), "x");
}

// ---------------------------------------------------------------------------
// 3. Nested keys, missing keys and missing parents
// ---------------------------------------------------------------------------

#[test]
fn a_nested_key_is_found_by_its_path() {
    let old = "\
port: 9765
metrics:
  enabled: true
  port: 9100   # Prometheus
  path: /metrics
";
    let new = set_one(old, "metrics.port", Value::Int(9101));
    assert_eq!(
        new,
        "\
port: 9765
metrics:
  enabled: true
  port: 9101   # Prometheus
  path: /metrics
"
    );
    assert_only_value_changed(old, &new, "9100", "9101");
}

#[test]
fn a_missing_top_level_key_goes_after_the_last_entry_and_its_comment() {
    // No final newline: none is added.
    assert_eq!(
        set_one(
            "name: courier\nhost: localhost  # dev only",
            "port",
            Value::Int(9765)
        ),
        "name: courier\nhost: localhost  # dev only\nport: 9765"
    );
    assert_eq!(
        set_one(
            "name: courier\nhost: localhost  # dev only\n",
            "port",
            Value::Int(9765)
        ),
        "name: courier\nhost: localhost  # dev only\nport: 9765\n"
    );
    // Comment lines after the last entry stay at the end.
    assert_eq!(
        set_one("name: courier\n\n# the end\n", "port", Value::Int(9765)),
        "name: courier\nport: 9765\n\n# the end\n"
    );
    // The key goes after the last entry, whatever that holds.
    assert_eq!(
        set_one(
            "name: courier\nlimits:\n  burst: 64  # b\n",
            "port",
            Value::Int(1)
        ),
        "name: courier\nlimits:\n  burst: 64  # b\nport: 1\n"
    );
    assert_eq!(
        set_one("name: courier\ntags:\n- a\n- b\n", "port", Value::Int(1)),
        "name: courier\ntags:\n- a\n- b\nport: 1\n"
    );
}

#[test]
fn a_missing_nested_key_takes_its_mappings_indentation() {
    let old = "\
metrics:
    host: localhost
    path: /metrics  # scraped

other: true
";
    assert_eq!(
        set_one(old, "metrics.port", Value::Int(9100)),
        "\
metrics:
    host: localhost
    path: /metrics  # scraped
    port: 9100

other: true
"
    );
    // The last entry of the nested mapping ends the file, without a newline.
    assert_eq!(
        set_one(
            "a: 1\nmetrics:\n  host: x  # h",
            "metrics.port",
            Value::Int(9100)
        ),
        "a: 1\nmetrics:\n  host: x  # h\n  port: 9100"
    );
    // An entry whose value is empty (`enabled:`) ends the mapping.
    assert_eq!(
        set_one(
            "metrics:\n  enabled:\nother: 1\n",
            "metrics.port",
            Value::Int(9)
        ),
        "metrics:\n  enabled:\n  port: 9\nother: 1\n"
    );
}

#[test]
fn a_missing_key_in_a_list_item_takes_the_items_indentation() {
    let old = "\
nodes:
  - role: control-plane
    image: kind  # pinned
  - role: worker
";
    assert_eq!(
        set_one(old, "nodes[role=worker].port", Value::Int(8080)),
        "\
nodes:
  - role: control-plane
    image: kind  # pinned
  - role: worker
    port: 8080
"
    );
    assert_eq!(
        set_one(old, "nodes[0].port", Value::Int(8080)),
        "\
nodes:
  - role: control-plane
    image: kind  # pinned
    port: 8080
  - role: worker
"
    );
}

#[test]
fn missing_parents_are_created_as_block_mappings() {
    assert_eq!(
        set_one(
            "name: courier\nport: 9765\n",
            "health.port",
            Value::Int(9766)
        ),
        "name: courier\nport: 9765\nhealth:\n  port: 9766\n"
    );
    assert_eq!(
        set_one(
            "metrics:\n    host: x\n",
            "metrics.tls.port",
            Value::Int(9443)
        ),
        "metrics:\n    host: x\n    tls:\n      port: 9443\n"
    );
    // Two missing keys under one missing parent share it.
    assert_eq!(
        set_all(
            "name: courier\n",
            &[
                ("service.port", Value::Int(80)),
                ("service.nodePort", Value::Int(30080)),
            ]
        ),
        "name: courier\nservice:\n  port: 80\n  nodePort: 30080\n"
    );
    // An empty file gets a root mapping.
    assert_eq!(set_one("", "a.b", Value::Int(1)), "a:\n  b: 1\n");
    assert_eq!(
        set_one("# only a comment", "port", Value::Int(1)),
        "# only a comment\nport: 1\n"
    );
    assert_eq!(set_one("---\n", "port", Value::Int(1)), "---\nport: 1\n");
}

#[test]
fn an_empty_value_is_filled_in() {
    // `metrics:` with nothing is an empty mapping to fill.
    let old = "metrics:\nname: courier\n";
    assert_eq!(get(old, "metrics"), Current::Missing);
    assert_eq!(get(old, "metrics.port"), Current::Missing);
    assert_eq!(
        set_one(old, "metrics.port", Value::Int(9100)),
        "metrics:\n  port: 9100\nname: courier\n"
    );
    assert_eq!(
        set_one(
            "  metrics:\n  name: courier\n",
            "metrics.port",
            Value::Int(9100)
        ),
        "  metrics:\n    port: 9100\n  name: courier\n"
    );
    // `port:` with nothing gets its value after the colon, comment kept.
    assert_eq!(
        set_one(
            "port:   # to fill\nname: courier\n",
            "port",
            Value::Int(9765)
        ),
        "port: 9765   # to fill\nname: courier\n"
    );
    assert_eq!(set_one("port:", "port", str("auto")), "port: auto");
    // A quoted key.
    assert_eq!(
        set_one("\"metrics\":\nb: 1\n", "metrics.port", Value::Int(2)),
        "\"metrics\":\n  port: 2\nb: 1\n"
    );
}

#[test]
fn a_missing_key_in_a_flow_mapping_is_added_inside_the_braces() {
    assert_eq!(
        set_one(
            "limits: {connections: 512}  # c\n",
            "limits.burst",
            Value::Int(64)
        ),
        "limits: {connections: 512, burst: 64}  # c\n"
    );
    assert_eq!(
        set_one("limits: {}\n", "limits.burst", Value::Int(64)),
        "limits: {burst: 64}\n"
    );
    assert_eq!(set_one("{a: 1}\n", "b", str("x")), "{a: 1, b: x}\n");
}

// ---------------------------------------------------------------------------
// 4. Idempotence
// ---------------------------------------------------------------------------

#[test]
fn unchanged_values_change_nothing() {
    let doc = Document::parse(COURIER).unwrap();
    let same = [
        (path("port"), Value::Int(9765)),
        (path("name"), str("courier")),
        (path("bind"), str("0.0.0.0")),
        (path("health.path"), str("/healthz")),
        (path("limits.burst"), Value::Int(64)),
        (path("tags[1]"), str("realtime")),
    ];
    assert_eq!(doc.apply(&same, &[]), Ok(None));
    assert_eq!(doc.apply(&[], &[]), Ok(None));
    for (p, v) in &same {
        assert_eq!(doc.set(p, v), Ok(None), "{p}");
    }
}

#[test]
fn applying_the_result_again_changes_nothing() {
    let values = vec![
        (path("port"), Value::Int(9767)),
        (path("bind"), str("::")),
        (path("health.port"), Value::Int(9768)),
        (path("metrics.scrape.port"), Value::Int(9100)),
        (path("name"), str("yes")),
    ];
    let lists = vec![owned(
        "ingress",
        &[
            item(
                Some("portolan: ws"),
                &[("port", Value::Int(9767)), ("path", str("/ws: live"))],
            ),
            item(Some("portolan: empty"), &[]),
        ],
    )];
    let once = Document::parse(COURIER)
        .unwrap()
        .apply(&values, &lists)
        .unwrap()
        .expect("changes");
    let twice = Document::parse(&once).unwrap().apply(&values, &lists);
    assert_eq!(twice, Ok(None), "second apply on:\n{once}");
    assert_eq!(get(&once, "name"), Current::Scalar("yes".into()));
    assert_eq!(get(&once, "bind"), Current::Scalar("::".into()));
    assert_eq!(
        get(&once, "metrics.scrape.port"),
        Current::Scalar("9100".into())
    );
}

// ---------------------------------------------------------------------------
// 5. Owned lists
// ---------------------------------------------------------------------------

const KIND: &str = "\
kind: Cluster
nodes:
  - role: control-plane
    # mappings
    extraPortMappings:
      # portolan: old-service api
      - containerPort: 31009
        hostPort: 8009
        protocol: TCP
    labels: {a: b}
  - role: worker
";

fn mappings() -> Vec<Item> {
    vec![
        item(
            Some("portolan: courier api"),
            &[
                ("containerPort", Value::Int(30001)),
                ("hostPort", Value::Int(8001)),
                ("protocol", str("TCP")),
            ],
        ),
        item(
            Some("portolan: courier ws"),
            &[
                ("containerPort", Value::Int(30002)),
                ("hostPort", Value::Int(8002)),
                ("protocol", str("TCP")),
            ],
        ),
    ]
}

#[test]
fn an_owned_list_is_regenerated_whole() {
    let key = "nodes[role=control-plane].extraPortMappings";
    let new = set_list(KIND, key, &mappings());
    assert_eq!(
        new,
        "\
kind: Cluster
nodes:
  - role: control-plane
    # mappings
    extraPortMappings:
      # portolan: courier api
      - containerPort: 30001
        hostPort: 8001
        protocol: TCP
      # portolan: courier ws
      - containerPort: 30002
        hostPort: 8002
        protocol: TCP
    labels: {a: b}
  - role: worker
"
    );
    assert_eq!(get(&new, "nodes[0].labels.a"), Current::Scalar("b".into()));
    assert_eq!(
        get(&new, &format!("{key}[1].hostPort")),
        Current::Scalar("8002".into())
    );
    // Idempotent.
    let doc = Document::parse(&new).unwrap();
    assert_eq!(doc.set_list(&owned(key, &mappings())), Ok(None));
    assert_eq!(doc.apply(&[], &[owned(key, &mappings())]), Ok(None));
}

#[test]
fn list_items_quote_what_needs_quoting_and_flatten_comments() {
    let items = vec![
        item(
            Some("portolan:  two\nlines  "),
            &[("name", str("a: b")), ("on", str("x"))],
        ),
        item(Some("portolan: empty"), &[]),
    ];
    let new = set_list("ports: []\n", "ports", &items);
    assert_eq!(
        new,
        "ports:\n  # portolan:  two lines\n  - name: \"a: b\"\n    \"on\": x\n  # portolan: empty\n  - {}\n"
    );
    assert_eq!(get(&new, "ports[0].name"), Current::Scalar("a: b".into()));
    assert_eq!(get(&new, "ports[0].on"), Current::Scalar("x".into()));
    assert_eq!(
        Document::parse(&new)
            .unwrap()
            .set_list(&owned("ports", &items)),
        Ok(None)
    );
}

#[test]
fn a_flow_list_is_replaced_by_a_block_list() {
    let old = "\
nodes:
  - role: control-plane
    extraPortMappings: []
    labels: {a: b}
";
    assert_eq!(
        set_list(old, "nodes[0].extraPortMappings", &mappings()[..1]),
        "\
nodes:
  - role: control-plane
    extraPortMappings:
      # portolan: courier api
      - containerPort: 30001
        hostPort: 8001
        protocol: TCP
    labels: {a: b}
"
    );
    // An empty owned list is written `[]`, and stays.
    let doc = Document::parse(old).unwrap();
    assert_eq!(
        doc.set_list(&owned("nodes[0].extraPortMappings", &[])),
        Ok(None)
    );
    assert_eq!(
        set_list(KIND, "nodes[0].extraPortMappings", &[]),
        KIND.replace(
            "extraPortMappings:\n      # portolan: old-service api\n      - containerPort: 31009\n        hostPort: 8009\n        protocol: TCP\n",
            "extraPortMappings: []\n"
        )
    );
}

#[test]
fn a_missing_list_is_added() {
    // In the worker item, which has no extraPortMappings yet.
    let new = set_list(
        KIND,
        "nodes[role=worker].extraPortMappings",
        &mappings()[1..],
    );
    assert_eq!(
        new,
        format!(
            "{KIND}    extraPortMappings:
      # portolan: courier ws
      - containerPort: 30002
        hostPort: 8002
        protocol: TCP
"
        )
    );
    // Under a missing parent, and into an empty value.
    assert_eq!(
        set_list(
            "kind: Cluster\n",
            "networking.ports",
            &[item(Some("portolan: p"), &[("p", Value::Int(1))])]
        ),
        "kind: Cluster\nnetworking:\n  ports:\n    # portolan: p\n    - p: 1\n"
    );
    assert_eq!(
        set_list(
            "ports:\nkind: Cluster\n",
            "ports",
            &[item(Some("portolan: p"), &[("p", Value::Int(1))])]
        ),
        "ports:\n  # portolan: p\n  - p: 1\nkind: Cluster\n"
    );
    assert_eq!(
        set_list("kind: Cluster", "ports", &[]),
        "kind: Cluster\nports: []"
    );
}

// ---------------------------------------------------------------------------
// 6. Errors
// ---------------------------------------------------------------------------

#[track_caller]
fn parse_err(text: &str) -> EditError {
    Document::parse(text).expect_err("parse should fail")
}

#[test]
fn unreadable_documents_are_refused() {
    let e = parse_err("a: 1\nb: [1, 2\n");
    assert!(e.message.starts_with("not valid YAML: "), "{e}");
    assert!(e.line.is_some(), "{e:?}");
    assert!(e.to_string().starts_with("line "), "{e}");

    let e = parse_err("a: 1\n---\nb: 2\n");
    assert_eq!(
        e.message,
        "holds several YAML documents; Portolan edits one"
    );
    assert_eq!(e.line, None);
    assert_eq!(e.to_string(), e.message);

    let e = parse_err("- a\n- b\n");
    assert_eq!(e.message, "the document's root is not a mapping");
    assert_eq!(e.line, Some(1));
    assert_eq!(
        e.to_string(),
        "line 1: the document's root is not a mapping"
    );

    let e = parse_err("# header\njust text\n");
    assert_eq!(e.message, "the document's root is not a mapping");
    assert_eq!(e.line, Some(2));

    // `apply` on such a text says the same.
    let e = set_err("- a\n", "a", Value::Int(1));
    assert_eq!(e.message, "the document's root is not a mapping");
}

#[test]
fn paths_that_do_not_fit_the_document_are_refused() {
    let e = set_err("a: 1\n", "a.b", Value::Int(2));
    assert_eq!(e.message, "`a` is not a mapping, so it cannot hold `b`");
    assert_eq!(e.line, Some(1));

    let e = set_err("a: 1\nb:\n  c: [1]\n", "b.c.d", Value::Int(2));
    assert_eq!(e.message, "`b.c` is not a mapping, so it cannot hold `d`");
    assert_eq!(e.line, Some(3));

    let e = set_err("a:\n  b: 1\n", "a[0]", Value::Int(2));
    assert_eq!(e.message, "`a` is not a list, so it cannot hold `[0]`");
    assert_eq!(e.line, Some(2));

    let e = set_err(KIND, "nodes[role=nope].image", str("kind"));
    assert_eq!(e.message, "`nodes` has no item with `role: nope`");
    assert_eq!(e.line, Some(3));

    let e = set_err(KIND, "nodes[5].image", str("kind"));
    assert_eq!(e.message, "`nodes` has no item 5");
    assert_eq!(e.line, Some(3));
    assert_eq!(e.to_string(), "line 3: `nodes` has no item 5");

    let e = set_err("a: 1\n", "nodes[0].image", str("kind"));
    assert_eq!(
        e.message,
        "`nodes[0].image` does not exist, and Portolan does not add list items"
    );

    // `get` reports the same problems.
    let doc = Document::parse(KIND).unwrap();
    let e = doc.get(&path("nodes[2]")).unwrap_err();
    assert_eq!(e.message, "`nodes` has no item 2");
    assert_eq!(doc.get(&path("nodes[1].image")), Ok(Current::Missing));
    assert_eq!(doc.get(&path("nodes")), Ok(Current::Other));
}

#[test]
fn owned_values_that_are_not_single_line_scalars_are_refused() {
    let e = set_err("a:\n  b: 1\n", "a", Value::Int(2));
    assert_eq!(e.message, "`a` holds a list or mapping, not a single value");
    assert_eq!(e.line, Some(2));

    let e = set_err("a: [1, 2]\n", "a", Value::Int(2));
    assert_eq!(e.message, "`a` holds a list or mapping, not a single value");
    assert_eq!(e.line, Some(1));

    let e = set_err("banner: |\n  hello\nport: 1\n", "banner", str("hi"));
    assert_eq!(
        e.message,
        "`banner` is a block scalar (`|` or `>`); write it on one line so Portolan can keep it"
    );
    assert!(e.line.is_some(), "{e:?}");
    let e = set_err("banner: >-\n  hello\n", "banner", str("hi"));
    assert!(e.message.contains("block scalar"), "{e}");

    // The parser lets a plain value run on past a tab-indented comment line;
    // replacing the value would delete the comment (found by fuzzing).
    let text = "port: 8080\n\t\t # the old port:\n\n more\nnext: 1\n";
    let e = set_err(text, "port", Value::Int(9090));
    assert_eq!(
        e.message,
        "`port` runs over several lines around a comment; write it on one line so Portolan can keep the comment"
    );
    assert_eq!(e.line, Some(1));
    // A multi-line value without a comment is still one value, replaced whole.
    let doc = Document::parse("port: 80\n  80\nnext: 1\n").unwrap();
    assert_eq!(
        doc.set(&path("port"), &Value::Int(9090))
            .unwrap()
            .as_deref(),
        Some("port: 9090\nnext: 1\n")
    );

    // A list item is not a key an owned list can hang from.
    let doc = Document::parse(KIND).unwrap();
    let e = doc.set_list(&owned("nodes[0]", &mappings())).unwrap_err();
    assert_eq!(
        e.message,
        "`nodes[0]` is a list item; an owned list must be a mapping's value"
    );
    let e = doc
        .set_list(&owned("nodes[0].labels", &mappings()))
        .unwrap_err();
    assert_eq!(
        e.message,
        "`nodes[0].labels` holds a mapping or a quoted value, not a list"
    );
    let e = doc.set_list(&owned("kind", &mappings())).unwrap_err();
    assert_eq!(
        e.message,
        "`kind` holds a mapping or a quoted value, not a list"
    );
}

#[test]
fn aliases_are_refused() {
    let text = "base: &base\n  port: 1\nother: *base\nn: &n 5\nm: *n\n";
    let e = set_err(text, "other.port", Value::Int(2));
    assert_eq!(
        e.message,
        "`other` is an alias; Portolan does not edit through aliases"
    );
    assert_eq!(e.line, Some(3));
    // The alias itself as the owned value.
    let e = set_err(text, "m", Value::Int(6));
    assert!(e.message.starts_with("`m` "), "{e}");
    assert_eq!(e.line, Some(5));
    // Reading it says what it is, not "a list or mapping".
    let e = Document::parse(text).unwrap().get(&path("m")).unwrap_err();
    assert_eq!(
        e.message,
        "`m` is an alias (`*…`) of a value written elsewhere; Portolan does not edit through aliases: write the value here"
    );
    // Inside an anchored mapping, as for an anchored scalar: the alias would
    // follow unseen.
    let e = set_err(text, "base.port", Value::Int(2));
    assert!(
        e.message
            .starts_with("`base.port` lies inside `base`, which carries an anchor"),
        "{e}"
    );
    assert_eq!(e.line, Some(2));
    // Adding a key to it, or a list item under it, too.
    let e = set_err(text, "base.host", str("x"));
    assert!(e.message.contains("carries an anchor"), "{e}");
    let anchored_list = "maps: &m
  # portolan: x
  - p: 1
copy: *m
";
    let e = Document::parse(anchored_list)
        .unwrap()
        .set_list(&owned("maps", &mappings()))
        .unwrap_err();
    assert!(e.message.contains("`maps`, which carries an anchor"), "{e}");
    // Nothing to change, nothing refused.
    assert_eq!(
        Document::parse(text)
            .unwrap()
            .set(&path("base.port"), &Value::Int(1)),
        Ok(None)
    );
}

#[test]
fn a_value_with_a_custom_tag_is_refused() {
    let text = "port: !env PORT
host: !!str localhost
";
    let e = set_err(text, "port", Value::Int(8001));
    assert_eq!(
        e.message,
        "`port` carries the tag `!env`, which its reader interprets; Portolan does not know what it makes of the value: write the value without the tag, or own another key"
    );
    assert_eq!(e.line, Some(1));
    assert!(Document::parse(text).unwrap().get(&path("port")).is_err());
    // A core-schema tag says what YAML already reads.
    assert_eq!(
        set_one(text, "host", str("db")),
        "port: !env PORT\nhost: !!str db\n"
    );
}

#[test]
fn a_missing_key_that_would_need_a_block_inside_a_flow_mapping_is_refused() {
    let e = set_err("limits: {a: 1}\n", "limits.b.c", Value::Int(1));
    assert!(e.message.contains("flow mapping"), "{e}");
    let doc = Document::parse("limits: {a: 1}\n").unwrap();
    let e = doc
        .set_list(&owned("limits.ports", &mappings()))
        .unwrap_err();
    assert_eq!(
        e.message,
        "`ports` would go into a flow mapping (`{…}`); add it by hand once, then Portolan keeps it"
    );
    assert_eq!(e.line, Some(1));
}

// ---------------------------------------------------------------------------
// Regressions: edits that once produced text that did not read back.
// ---------------------------------------------------------------------------

#[test]
fn a_key_added_after_a_block_scalar_goes_right_after_it() {
    // Nested: the key goes inside `metrics`, not after the next line.
    let doc = Document::parse("metrics:\n  script: |\n    echo hi\ntop: 1\n").unwrap();
    assert_eq!(
        doc.set(&path("metrics.port"), &Value::Int(9)),
        Ok(Some(
            "metrics:\n  script: |\n    echo hi\n  port: 9\ntop: 1\n".into()
        ))
    );
    // Top level: no blank line, and the final newline stays last.
    assert_eq!(
        set_one("a: 1\nscript: |\n  echo hi\n", "port", Value::Int(9)),
        "a: 1\nscript: |\n  echo hi\nport: 9\n"
    );
    // With `|+` the unowned block scalar keeps its trailing line breaks.
    let old = "a: 1\nscript: |+\n  echo hi\n\n";
    let new = set_one(old, "port", Value::Int(9));
    assert_eq!(get(&new, "script"), get(old, "script"));
}

#[test]
fn values_in_flow_collections_are_quoted_for_flow_context() {
    assert_eq!(
        set_one("metrics: {host: x}\n", "metrics.host", str("a,b")),
        "metrics: {host: \"a,b\"}\n"
    );
    assert_eq!(
        set_one("metrics: {host: x}\n", "metrics.path", str("a,b")),
        "metrics: {host: x, path: \"a,b\"}\n"
    );
    assert_eq!(
        set_one("hosts: [x, y]\n", "hosts[0]", str("a]b")),
        "hosts: [\"a]b\", y]\n"
    );
}

#[test]
fn emptying_a_block_list_with_a_comment_on_its_key_line() {
    let doc = Document::parse("ports:  # owned\n  # portolan: a\n  - a: 1\nb: 2\n").unwrap();
    let new = doc.set_list(&owned("ports", &[])).unwrap().unwrap();
    assert_eq!(
        Document::parse(&new).unwrap().get(&path("ports")),
        Ok(Current::Other),
        "{new:?}"
    );
    assert_eq!(
        doc.apply(&[], &[owned("ports", &[])]),
        Ok(Some("ports: []  # owned\nb: 2\n".into()))
    );
}

#[test]
fn a_null_root_is_replaced_by_a_mapping() {
    let doc = Document::parse("~\n").unwrap();
    assert_eq!(doc.get(&path("port")), Ok(Current::Missing));
    let new = doc.apply(&[(path("port"), Value::Int(9))], &[]);
    assert!(
        matches!(&new, Ok(Some(text)) if Document::parse(text).is_ok()),
        "{new:?}"
    );
}

#[test]
fn characters_yaml_forbids_raw_are_escaped() {
    // serde_json escapes only U+0000..U+001F; YAML also forbids raw U+007F,
    // U+0080..U+009F (but U+0085) and U+FFFE/U+FFFF, and a BOM inside a plain
    // scalar: each is written escaped and reads back.
    for value in ["\u{7f}", "a\u{80}b", "\u{9f}", "\u{fffe}", "\u{feff}x"] {
        let doc = Document::parse("a: x\n").unwrap();
        let result = doc.apply(&[(path("a"), str(value))], &[]);
        let Ok(Some(new)) = &result else {
            panic!("{value:?}: {result:?}");
        };
        assert!(new.starts_with("a: \"") && new.ends_with("\"\n"), "{new:?}");
        assert_eq!(new.lines().count(), 1, "{new:?}");
        assert_eq!(get(new, "a"), Current::Scalar(value.into()));
    }
}

#[test]
fn added_lines_follow_crlf_line_endings() {
    let doc = Document::parse("a: 1\r\nb: 2\r\n").unwrap();
    assert_eq!(
        doc.set(&path("metrics.port"), &Value::Int(9)),
        Ok(Some("a: 1\r\nb: 2\r\nmetrics:\r\n  port: 9\r\n".into()))
    );
}

// ---------------------------------------------------------------------------
// 7. Property: random owned edits of a random commented block mapping
// ---------------------------------------------------------------------------

mod property {
    use super::{Current, Document, KeyPath, Value, path};
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use yaml_rust2::{Yaml, YamlLoader};

    /// The value at dotted `key` in `text` as yaml-rust2 reads it. Unlike
    /// `get`, it keeps the scalar's type: `"8080"` is a string, `8080` an
    /// integer; and it shares no code with the editor.
    fn independent(text: &str, key: &str) -> Yaml {
        let docs = YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let root = docs.into_iter().next().unwrap_or(Yaml::Null);
        key.split('.').fold(root, |node, k| node[k].clone())
    }

    /// What `value` must read as where `key` held `old` (a value as written
    /// in the generated document): an integer is written as one, except over
    /// a quoted value, whose quotes stay (the team's own choice of a string).
    fn typed(value: &Value, old: Option<&str>) -> Yaml {
        match value {
            Value::Int(n) if old.is_some_and(|o| o.starts_with(['\'', '"'])) => {
                Yaml::String(n.to_string())
            }
            Value::Int(n) => Yaml::Integer(*n),
            Value::Str(s) => Yaml::String(s.clone()),
        }
    }

    /// The value `key` holds in a generated document, as written (each key
    /// appears once, on its own line).
    fn written<'t>(text: &'t str, key: &str) -> Option<&'t str> {
        let key = key.rsplit('.').next().unwrap();
        text.lines()
            .find_map(|l| l.trim_start().strip_prefix(key)?.strip_prefix(':'))
            .map(str::trim_start)
    }

    const TOP: [&str; 6] = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
    const NESTED: [&str; 3] = ["india", "juliet", "kilo"];

    #[derive(Clone, Debug)]
    struct Entry {
        key: &'static str,
        value: String,
        comment_above: Option<String>,
        blank_above: bool,
        trailing: Option<String>,
    }

    fn reserved(s: &str) -> bool {
        [
            "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
        ]
        .contains(&s)
    }

    /// A scalar as it appears in a file: plain word, integer, single- or
    /// double-quoted printable text.
    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z_./-]{0,8}"
                .prop_filter("reserved word", |s| !reserved(s))
                .boxed(),
            any::<i32>().prop_map(|n| n.to_string()).boxed(),
            "[ -~]{0,10}"
                .prop_map(|s| format!("'{}'", s.replace('\'', "''")))
                .boxed(),
            "[ -~é]{0,10}"
                .prop_map(|s| serde_json::to_string(&s).unwrap())
                .boxed(),
        ]
    }

    fn comment() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("[ -~]{0,20}".prop_map(|s| format!("# {s}")))
    }

    fn entries(keys: &'static [&'static str]) -> impl Strategy<Value = Vec<Entry>> {
        proptest::sample::subsequence(keys, 0..=keys.len())
            .prop_shuffle()
            .prop_flat_map(|keys| {
                keys.into_iter()
                    .map(|key| {
                        (scalar(), comment(), any::<bool>(), comment()).prop_map(
                            move |(value, comment_above, blank_above, trailing)| Entry {
                                key,
                                value,
                                comment_above,
                                blank_above,
                                trailing,
                            },
                        )
                    })
                    .collect::<Vec<_>>()
            })
    }

    fn write(out: &mut Vec<String>, entries: &[Entry], indent: &str) {
        for e in entries {
            if e.blank_above {
                out.push(String::new());
            }
            if let Some(c) = &e.comment_above {
                out.push(format!("{indent}{c}"));
            }
            let trailing = e
                .trailing
                .as_deref()
                .map_or(String::new(), |c| format!("  {c}"));
            out.push(format!("{indent}{}: {}{trailing}", e.key, e.value));
        }
    }

    /// A document: a header comment, top-level entries, maybe a `nested:`
    /// block mapping somewhere among them (possibly empty), and maybe a final
    /// newline.
    fn document() -> impl Strategy<Value = String> {
        (
            comment(),
            entries(&TOP),
            proptest::option::of((entries(&NESTED), comment(), any::<prop::sample::Index>())),
            any::<bool>(),
        )
            .prop_map(|(header, top, nested, final_newline)| {
                let mut lines = Vec::new();
                lines.extend(header);
                let split = nested
                    .as_ref()
                    .map_or(top.len(), |(_, _, at)| at.index(top.len() + 1));
                write(&mut lines, &top[..split], "");
                if let Some((entries, comment, _)) = &nested {
                    if entries.is_empty() {
                        // An empty value: no comment after it.
                        lines.push("nested:".to_owned());
                    } else {
                        let comment = comment
                            .as_deref()
                            .map_or(String::new(), |c| format!("  {c}"));
                        lines.push(format!("nested:{comment}"));
                        write(&mut lines, entries, "  ");
                    }
                }
                write(&mut lines, &top[split..], "");
                let mut text = lines.join("\n");
                if final_newline && !text.is_empty() {
                    text.push('\n');
                }
                text
            })
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::Int),
            "[ -~]{0,12}".prop_map(Value::Str),
            "[a-z]{1,8}".prop_map(Value::Str),
            "[0-9]{1,4}".prop_map(Value::Str),
            // Any printable text (BOM, C1 controls and DEL excluded: see
            // `characters_yaml_forbids_raw_are_escaped`), and the Unicode
            // line and space characters YAML 1.1 and 1.2 treat differently.
            "[^\\u{feff}\\p{C}]{0,8}".prop_map(Value::Str),
            "[\\u{85}\\u{a0}\\u{2028}\\u{2029}a :#]{0,6}".prop_map(Value::Str),
        ]
    }

    fn owned() -> impl Strategy<Value = BTreeMap<String, Value>> {
        let keys: Vec<String> = TOP
            .iter()
            .map(|k| (*k).to_owned())
            .chain(NESTED.iter().map(|k| format!("nested.{k}")))
            .collect();
        proptest::collection::btree_map(proptest::sample::select(keys), value(), 1..6)
    }

    /// The line holds `key:` (indented or not).
    fn holds(line: &str, key: &str) -> bool {
        line.trim_start().starts_with(&format!("{key}:"))
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn owned_edits_read_back_and_keep_every_other_line(
            text in document(),
            owned in owned(),
        ) {
            let doc = Document::parse(&text);
            prop_assert!(doc.is_ok(), "generated input does not parse: {doc:?}\n{text}");
            let doc = doc.unwrap();
            let values: Vec<(KeyPath, Value)> =
                owned.iter().map(|(p, v)| (path(p), v.clone())).collect();
            let result = doc.apply(&values, &[]);
            prop_assert!(result.is_ok(), "apply failed: {result:?}\n{text}");
            let new = result.unwrap().unwrap_or_else(|| text.clone());

            let reread = Document::parse(&new);
            prop_assert!(reread.is_ok(), "result does not parse: {reread:?}\n{new}");
            let reread = reread.unwrap();
            for (p, v) in &values {
                prop_assert_eq!(
                    reread.get(p),
                    Ok(Current::Scalar(v.as_text())),
                    "{} in\n{}", p, new
                );
            }
            for (key, v) in &owned {
                prop_assert_eq!(
                    independent(&new, key),
                    typed(v, written(&text, key)),
                    "{} in\n{}", key, new
                );
            }

            let owned_keys: Vec<&str> = owned
                .keys()
                .map(|k| k.rsplit('.').next().unwrap())
                .collect();
            let mut rest = new.lines();
            for line in text.lines().filter(|l| !owned_keys.iter().any(|k| holds(l, k))) {
                prop_assert!(
                    rest.any(|l| l == line),
                    "line {:?} is gone or out of order:\n--- old\n{}\n--- new\n{}",
                    line, text, new
                );
            }

            // Applying the same values again changes nothing.
            prop_assert_eq!(reread.apply(&values, &[]), Ok(None));
        }
    }
}

#[test]
fn an_owned_list_ending_in_a_block_scalar_stops_at_its_last_line() {
    let old = "\
nodes:
  - role: control-plane
    extraPortMappings:
      - containerPort: 1
        note: |
          by hand
    labels: {a: b}
";
    let new = set_list(old, "nodes[0].extraPortMappings", &mappings());
    assert!(
        new.ends_with("        protocol: TCP\n    labels: {a: b}\n"),
        "{new}"
    );
    assert_eq!(get(&new, "nodes[0].labels.a"), Current::Scalar("b".into()));
    // A block scalar last in the file: the span stops at its newline.
    let old = "list:\n  # portolan: x\n  - |\n    x\n";
    let doc = Document::parse(old).unwrap();
    assert_eq!(
        doc.set_list(&owned("list", &[])),
        Ok(Some("list: []\n".into()))
    );
}

#[test]
fn anchors_and_aliases_are_named_not_edited_through() {
    let e = set_err("base: &p 8080\nport: *p\n", "port", Value::Int(1));
    assert!(e.message.contains("`port` is an alias (`*…`)"), "{e}");
    assert_eq!(e.line, Some(2));
    let e = set_err("port: &p 8080\nother: *p\n", "port", Value::Int(1));
    assert!(e.message.contains("`port` carries an anchor"), "{e}");
    assert_eq!(e.line, Some(1));
    // An anchored value that already holds the wanted value is left alone.
    let doc = Document::parse("port: &p 8080\nother: *p\n").unwrap();
    assert_eq!(doc.set(&path("port"), &Value::Int(8080)), Ok(None));
}

#[test]
fn a_flat_key_holding_dots_is_quoted_in_the_key_path() {
    let old = "# Spring style\nserver.port: 8080\nserver:\n  port: 1\n";
    assert_eq!(
        set_one(old, "\"server.port\"", Value::Int(9000)),
        "# Spring style\nserver.port: 9000\nserver:\n  port: 1\n"
    );
    assert_eq!(
        set_one(old, "server.port", Value::Int(2)),
        "# Spring style\nserver.port: 8080\nserver:\n  port: 2\n"
    );
    let p = path("app.\"a.b[0]\"[1].\"q\\\"uote\"");
    assert_eq!(
        p.segments,
        vec![
            Segment::Key("app".into()),
            Segment::Key("a.b[0]".into()),
            Segment::Index(1),
            Segment::Key("q\"uote".into()),
        ]
    );
    // Displayed as written, so messages name the key a user can paste back.
    assert_eq!(path(&p.to_string()), p);
    for bad in ["\"open", "a\"b\"", "\"\"", "a.\"b\"c", "\"a\\x\""] {
        assert!(KeyPath::parse(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------------------
// Owned lists the team shares
// ---------------------------------------------------------------------------

/// A kind config as teams write it: an indentless list, hand-written
/// mappings with comments, and Portolan's items marked `# portolan:`.
const SHARED_KIND: &str = "\
nodes:
- role: control-plane
  extraPortMappings:
  # Postgres for local debugging (by hand).
  - containerPort: 30432
    hostPort: 5432
  # portolan: courier api
  - containerPort: 30001
    hostPort: 8000   # moved by ports.yaml
    protocol: TCP
    listenAddress: 127.0.0.1
  # Grafana; 9000-9099 are the team's dashboards.
  - containerPort: 30300
    hostPort: 9000
  # portolan: ledger api
  - containerPort: 30009
    hostPort: 8009
    protocol: TCP
- role: worker
";

#[test]
fn portolan_items_change_and_the_team_items_stay_byte_for_byte() {
    let key = "nodes[role=control-plane].extraPortMappings";
    let new = set_list(SHARED_KIND, key, &mappings());
    // courier api updated in place (its comment and extra key stay), ledger
    // api (released) removed with its comment, courier ws added after
    // Portolan's last item with the list's indentation.
    assert_eq!(
        new,
        "\
nodes:
- role: control-plane
  extraPortMappings:
  # Postgres for local debugging (by hand).
  - containerPort: 30432
    hostPort: 5432
  # portolan: courier api
  - containerPort: 30001
    hostPort: 8001   # moved by ports.yaml
    protocol: TCP
    listenAddress: 127.0.0.1
  # portolan: courier ws
  - containerPort: 30002
    hostPort: 8002
    protocol: TCP
  # Grafana; 9000-9099 are the team's dashboards.
  - containerPort: 30300
    hostPort: 9000
- role: worker
"
    );
    let doc = Document::parse(&new).unwrap();
    assert_eq!(doc.set_list(&owned(key, &mappings())), Ok(None));
    // No item of Portolan's yet: new ones go after the team's last.
    let team_only = "ports:\n  # by hand\n  - hostPort: 5432\n";
    assert_eq!(
        set_list(team_only, "ports", &mappings()[..1]),
        "ports:\n  # by hand\n  - hostPort: 5432\n  # portolan: courier api\n  - containerPort: 30001\n    hostPort: 8001\n    protocol: TCP\n"
    );
}

#[test]
fn new_items_follow_the_lists_flow_item_style() {
    let old = "ports:\n    - { hostPort: 5432 }  # db\n";
    assert_eq!(
        set_list(old, "ports", &mappings()[..1]),
        "ports:\n    - { hostPort: 5432 }  # db\n    # portolan: courier api\n    - { containerPort: 30001, hostPort: 8001, protocol: TCP }\n"
    );
}

#[test]
fn items_can_be_owned_by_a_key_value() {
    let old = "\
upstreams:
  - name: cache   # the team's
    port: 6379
  - name: courier
    port: 7000
    timeout: 5s
  - name: gone    # a released service's: the team's now
    port: 8005
";
    let list = OwnedItems {
        path: path("upstreams"),
        owner: Owner::Key("name".to_owned()),
        items: vec![
            item(
                None,
                &[("name", str("courier")), ("port", Value::Int(8001))],
            ),
            item(None, &[("name", str("ledger")), ("port", Value::Int(8009))]),
        ],
    };
    let doc = Document::parse(old).unwrap();
    let new = doc
        .apply(&[], std::slice::from_ref(&list))
        .unwrap()
        .unwrap();
    assert_eq!(
        new,
        old.replace(
            "timeout: 5s\n",
            "timeout: 5s\n  - name: ledger\n    port: 8009\n"
        )
        .replace("port: 7000", "port: 8001")
    );
    assert_eq!(doc.set_list(&list).unwrap().as_deref(), Some(new.as_str()));
    assert_eq!(Document::parse(&new).unwrap().set_list(&list), Ok(None));
}

#[test]
fn a_team_item_holding_a_port_of_portolans_is_a_clash() {
    let old = "\
ports:
  # portolan: courier api
  - containerPort: 30001
    hostPort: 8001
  # dashboard, by hand
  - containerPort: 30300
    hostPort: 8002
";
    let doc = Document::parse(old).unwrap();
    let ports = ["containerPort", "hostPort"];
    let clashes = doc.clashes(&owned("ports", &mappings()), &ports).unwrap();
    assert_eq!(clashes.len(), 1, "{clashes:?}");
    assert_eq!(clashes[0].line, 7);
    assert_eq!(clashes[0].key, "hostPort");
    assert_eq!(clashes[0].value, "8002");
    assert_eq!(clashes[0].item, "`# portolan: courier ws`");
    // Portolan's own items never clash with themselves.
    let new = set_list("ports: []\n", "ports", &mappings());
    let doc = Document::parse(&new).unwrap();
    assert_eq!(
        doc.clashes(&owned("ports", &mappings()), &ports),
        Ok(Vec::new())
    );
    // A constant that is not a port (`protocol: TCP`, a weight) never clashes.
    let doc = Document::parse("ports:\n  - protocol: TCP\n    hostPort: 8002\n").unwrap();
    assert_eq!(
        doc.clashes(&owned("ports", &mappings()), &["containerPort"]),
        Ok(Vec::new())
    );
    // The same port over another transport is no clash: kind maps 8002/TCP
    // and 8002/UDP side by side (Portolan's items here are TCP).
    let doc = Document::parse("ports:\n  - protocol: UDP\n    hostPort: 8002\n").unwrap();
    assert_eq!(
        doc.clashes(&owned("ports", &mappings()), &["hostPort"]),
        Ok(Vec::new())
    );
    let doc = Document::parse("ports:\n  - protocol: tcp\n    hostPort: 8002\n").unwrap();
    assert_eq!(
        doc.clashes(&owned("ports", &mappings()), &["hostPort"])
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn ambiguous_owned_items_are_refused() {
    let old = "\
ports:
  # portolan: courier api
  - hostPort: 1
  # portolan: courier api
  - hostPort: 2
";
    let e = Document::parse(old)
        .unwrap()
        .set_list(&owned("ports", &mappings()))
        .unwrap_err();
    assert!(e.message.contains("lines 3 and 5"), "{e}");
    assert_eq!(e.line, Some(5));
    // Two of Portolan's items rendered alike could not be found again.
    let twins = vec![mappings()[0].clone(), mappings()[0].clone()];
    let e = Document::parse("ports: []\n")
        .unwrap()
        .set_list(&owned("ports", &twins))
        .unwrap_err();
    assert!(e.message.contains("tell them apart"), "{e}");
    // A flow list with items has no line for a marker.
    let e = Document::parse("ports: [{hostPort: 1}]\n")
        .unwrap()
        .set_list(&owned("ports", &mappings()))
        .unwrap_err();
    assert!(e.message.contains("is a flow list"), "{e}");
}

/// Portolan's comments as the sync's pattern makes them: each variable one word.
fn strict(key: &str, items: &[Item]) -> OwnedItems {
    OwnedItems {
        path: path(key),
        owner: Owner::Comment(r"portolan: \S+ \S+".to_owned()),
        items: items.to_vec(),
    }
}

#[test]
fn marker_comments_are_recognised_by_shape_and_across_blank_lines() {
    let old = "\
ports:
  # portolan: courier api

  - containerPort: 1
    hostPort: 2
  # portolan: not managed, Grafana is mapped by hand
  - containerPort: 32300
    hostPort: 9000
  # portolan: gone api
  - containerPort: 30009
    hostPort: 8009
";
    let doc = Document::parse(old).unwrap();
    let new = doc
        .set_list(&strict("ports", &mappings()))
        .unwrap()
        .unwrap();
    assert_eq!(
        new,
        "\
ports:
  # portolan: courier api

  - containerPort: 30001
    hostPort: 8001
    protocol: TCP
  # portolan: courier ws
  - containerPort: 30002
    hostPort: 8002
    protocol: TCP
  # portolan: not managed, Grafana is mapped by hand
  - containerPort: 32300
    hostPort: 9000
"
    );
}

#[test]
fn replacing_every_item_keeps_the_comments_between_and_the_item_style() {
    let old = "\
ports:   # Portolan's
  # portolan: old api
  - { containerPort: 30009, hostPort: 8009 }

  # ---- keep sorted by hostPort ----
  # portolan: older api
  - { containerPort: 30010, hostPort: 8010 }
kind: Cluster
";
    let doc = Document::parse(old).unwrap();
    let new = doc
        .set_list(&strict("ports", &mappings()[..1]))
        .unwrap()
        .unwrap();
    assert_eq!(
        new,
        "\
ports:   # Portolan's
  # portolan: courier api
  - { containerPort: 30001, hostPort: 8001, protocol: TCP }

  # ---- keep sorted by hostPort ----
kind: Cluster
"
    );
    // Emptied: `[]` on the key's line, before its comment; the rest stays.
    let empty = doc.set_list(&strict("ports", &[])).unwrap().unwrap();
    assert_eq!(
        empty,
        "ports: []   # Portolan's\n\n  # ---- keep sorted by hostPort ----\nkind: Cluster\n"
    );
}

#[test]
fn a_comment_on_an_empty_lists_key_line_stays_there() {
    for old in [
        "ports:   # none yet, add below\nkind: Cluster\n",
        "ports: []   # none yet, add below\nkind: Cluster\n",
    ] {
        assert_eq!(
            set_list(old, "ports", &mappings()[..1]),
            "ports:   # none yet, add below\n  # portolan: courier api\n  - containerPort: 30001\n    hostPort: 8001\n    protocol: TCP\nkind: Cluster\n",
            "{old}"
        );
    }
}

#[test]
fn a_list_ending_the_file_without_a_line_break_takes_new_items() {
    for old in ["ports:\n  - hostPort: 5432", "ports:\r\n  - hostPort: 5432"] {
        let new = set_list(old, "ports", &mappings()[..1]);
        let crlf = old.contains('\r');
        let expected = "ports:\n  - hostPort: 5432\n  # portolan: courier api\n  - containerPort: 30001\n    hostPort: 8001\n    protocol: TCP";
        match crlf {
            true => assert_eq!(new, expected.replace('\n', "\r\n")),
            false => assert_eq!(new, expected),
        }
    }
}

#[test]
fn core_tags_that_change_the_reading_and_tagged_mappings_are_refused() {
    for (text, tag) in [
        ("port: !!bool true\n", "!!bool"),
        ("port: !!null ~\n", "!!null"),
        ("port: !!float 1\n", "!!float"),
    ] {
        let e = set_err(text, "port", Value::Int(8001));
        assert!(e.message.contains("carries the tag"), "{text}: {e}");
        assert!(
            e.message.contains(tag) || e.message.contains("tag:yaml.org"),
            "{text}: {e}"
        );
    }
    let e = set_err("svc: !custom\n  port: 1\n", "svc.port", Value::Int(8001));
    assert!(e.message.contains("carries the tag `!custom`"), "{e}");
    // `!!int` and `!!str` say what the value is: edited.
    assert_eq!(
        set_one("port: !!int 1\n", "port", Value::Int(8001)),
        "port: !!int 8001\n"
    );
}
