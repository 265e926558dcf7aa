//! The YAML layer: the core schema, alias and merge budgets, and what the
//! tree keeps for the editor.

use super::*;

fn own(node: Value<'_>) -> Value<'static> {
    let own = |t: Cow<'_, str>| Cow::Owned(t.into_owned());
    match node {
        Value::Str(t) => Value::Str(own(t)),
        Value::Int(n, t) => Value::Int(n, own(t)),
        Value::Float(t) => Value::Float(own(t)),
        Value::Bool(t) => Value::Bool(own(t)),
        Value::Null(t) => Value::Null(own(t)),
        other => panic!("{other:?}"),
    }
}

fn value(text: &str) -> Value<'static> {
    let src = Source::new("t.yaml", format!("k: {text}\n"));
    match parse(&src).expect("parses").0.value {
        Value::Map(mut entries) => own(entries.remove(0).1.value),
        other => panic!("{other:?}"),
    }
}

#[test]
fn scalars_resolve_by_the_core_schema() {
    assert!(matches!(value("8080"), Value::Int(8080, _)));
    assert!(matches!(value("-3"), Value::Int(-3, _)));
    assert!(matches!(value("0x1F90"), Value::Int(8080, _)));
    assert!(matches!(value("0o17620"), Value::Int(8080, _)));
    assert!(matches!(value("8_080"), Value::Int(8080, _)));
    assert!(matches!(value("'8080'"), Value::Str(s) if s == "8080"));
    assert!(matches!(value("!!str 8080"), Value::Str(s) if s == "8080"));
    assert!(matches!(value("8080.5"), Value::Float(_)));
    assert!(matches!(value("1e3"), Value::Float(_)));
    assert!(matches!(value(".inf"), Value::Float(_)));
    assert!(matches!(
        value("99999999999999999999999999999999999999999"),
        Value::Float(_)
    ));
    assert!(matches!(value("true"), Value::Bool(_)));
    assert!(matches!(value("yes"), Value::Str(s) if s == "yes"));
    assert!(matches!(value("~"), Value::Null(_)));
    assert!(matches!(value(""), Value::Null(_)));
    assert!(matches!(value("8080-8090"), Value::Str(_)));
    assert!(matches!(value("1.2.3"), Value::Str(_)));
    assert!(matches!(value("-x"), Value::Str(_)));
    assert!(matches!(value("0x"), Value::Str(_)));
    assert!(matches!(value("._"), Value::Str(_)));
    assert!(matches!(value("."), Value::Str(_)));
}

/// Asserts that `text` is refused as too large or complex, for `why`.
fn refused(text: String, why: &str) {
    let d = parse(&Source::new("t.yaml", text)).unwrap_err();
    assert_eq!(d.code, Code::YamlSyntax);
    assert_eq!(
        d.message,
        format!("the document is too large or too complex: {why}")
    );
}

/// The integers of the mapping under `key`, in order.
fn ints(text: &str, key: &str) -> Vec<(String, i128)> {
    let src = Source::new("t.yaml", text);
    let Value::Map(root) = parse(&src).unwrap().0.value else {
        panic!()
    };
    let (_, value) = root.iter().find(|(k, _)| k.value == key).unwrap();
    let Value::Map(m) = &value.value else {
        panic!()
    };
    m.iter()
        .map(|(k, v)| match v.value {
            Value::Int(n, _) => (k.value.to_string(), i128::from(n)),
            _ => panic!(),
        })
        .collect()
}

fn pairs(expected: &[(&str, i128)]) -> Vec<(String, i128)> {
    expected.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

#[test]
fn merge_keys_add_what_the_mapping_does_not_set() {
    let got = ints("base: &b { a: 1, b: 2 }\nm: { <<: *b, b: 3, c: 4 }\n", "m");
    assert_eq!(got, pairs(&[("b", 3), ("c", 4), ("a", 1)]));
}

#[test]
fn explicit_core_tags_decide_the_type() {
    assert!(matches!(value("!!int \"8080\""), Value::Int(8080, _)));
    assert!(matches!(value("!!str true"), Value::Str(s) if s == "true"));
    assert!(matches!(value("!!null ''"), Value::Null(_)));
    assert!(matches!(value("!!float 8080"), Value::Float(_)));
    // A local tag means nothing to Portolan: the value reads as written.
    assert!(matches!(value("!port 8080"), Value::Int(8080, _)));
}

#[test]
fn a_merge_takes_a_list_of_mappings_and_nothing_else() {
    let got = ints(
        "a: &a { x: 1 }\nb: &b { x: 2, y: 3 }\nm: { <<: [*a, *b] }\n",
        "m",
    );
    assert_eq!(got, pairs(&[("x", 1), ("y", 3)]), "the first mapping wins");
    // Reported, left out, and the read goes on.
    let src = Source::new("t.yaml", "m: { <<: 8080, x: 1 }\n".to_owned());
    let (root, findings) = parse(&src).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, Code::InvalidType);
    let at = findings[0].primary.span;
    assert_eq!((at.line, at.column), (1, 10));
    let Value::Map(root) = root.value else {
        panic!()
    };
    assert!(matches!(&root[0].1.value, Value::Map(m) if m.len() == 1));
    // Quoted, `<<` is an ordinary key.
    let src = Source::new("t.yaml", "m: { '<<': 8080 }\n".to_owned());
    assert!(parse(&src).is_ok());
}

#[test]
fn aliases_cannot_deepen_the_tree_without_bound() {
    // Each alias nests the previous value one level deeper than it was written.
    let mut text = format!("a0: &a0 {}1{}\n", "[".repeat(60), "]".repeat(60));
    for i in 1..=80 {
        text.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    refused(text, "aliases nest values more than 128 levels deep");
}

#[test]
fn a_copied_string_costs_its_length() {
    // 64 KB strings the parser cannot borrow (an escape), repeated 10^4
    // times: few values, 640 MB of copies.
    let mut text = format!("a: &a \"\\t{}\"\n", "x".repeat(65_536));
    for (name, prev) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d")] {
        text.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    refused(text, "aliases expand to more than 1000000 values");
}

#[test]
fn anchoring_every_entry_is_not_an_alias_bomb() {
    // The whole document and each of its 25,000 entries anchored: the
    // copies kept for aliases come to 1,050,000 values, past the alias
    // budget, yet nothing is repeated.
    let list: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
    let mut text = String::from("root: &root\n");
    for i in 0..25_000 {
        text.push_str(&format!("  s{i}: &s{i} [{}]\n", list.join(",")));
    }
    assert!(parse(&Source::new("t.yaml", text)).is_ok());
}

#[test]
fn nested_anchors_cannot_multiply_a_large_value() {
    // Each anchor keeps its own copy of the 2 MB string inside it.
    let text = format!(
        "a: {}\"\\t{}\"{}\n",
        (0..60).map(|i| format!("&a{i} [")).collect::<String>(),
        "x".repeat(2 << 20),
        "]".repeat(60)
    );
    refused(
        text,
        "anchors nested around this value copy it too many times",
    );
}

#[test]
fn an_alias_copy_is_reported_where_it_is_used() {
    let src = Source::new(
        "t.yaml",
        "x: &svc { ports: { api: 8001 } }\nweb: *svc\n".to_owned(),
    );
    let Value::Map(root) = parse(&src).unwrap().0.value else {
        panic!()
    };
    let Value::Map(web) = &root[1].1.value else {
        panic!()
    };
    let Value::Map(ports) = &web[0].1.value else {
        panic!()
    };
    let (key, port) = &ports[0];
    for span in [web[0].0.span, key.span, port.span] {
        assert_eq!((span.line, span.column), (2, 6));
    }
    // The text stays the written one.
    assert!(matches!(&port.value, Value::Int(8001, t) if t == "8001"));
}

#[test]
fn keys_are_the_text_of_their_scalar() {
    let src = Source::new(
        "t.yaml",
        "n: &n 12\n*n : a\n!!int \"8\": b\n? [x]\n: c\nd: 1\n".to_owned(),
    );
    let (root, findings) = parse(&src).unwrap();
    let Value::Map(root) = root.value else {
        panic!()
    };
    let keys: Vec<&str> = root.iter().map(|(k, _)| k.value.as_ref()).collect();
    assert_eq!(keys, ["n", "12", "8", "d"]);
    assert_eq!(findings.len(), 1, "the list key is reported and left out");
    assert_eq!(findings[0].code, Code::InvalidType);
}

#[test]
fn a_recursive_alias_is_an_error() {
    let src = Source::new("t.yaml", "a: &a [1, *a]\n".to_owned());
    let d = parse(&src).unwrap_err();
    assert_eq!(d.code, Code::YamlSyntax);
    assert!(d.message.contains("contains it"), "{}", d.message);
}

#[test]
fn a_finding_inside_an_anchored_value_is_reported_once() {
    let src = Source::new(
        "t.yaml",
        "m: &m { <<: 8080, x: 1 }\nn: *m\no: *m\n".to_owned(),
    );
    let (root, findings) = parse(&src).unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let Value::Map(root) = root.value else {
        panic!()
    };
    assert!(
        root.iter()
            .all(|(_, v)| matches!(&v.value, Value::Map(m) if m.len() == 1))
    );
}

#[test]
fn the_tree_keeps_what_the_editor_needs() {
    let text = "a: &a 'x'  # c\nb: *a\nc: [1, 2]\nd: |\n  text\ne: !env PORT\n";
    let tree = read(text).unwrap();
    let Value::Map(entries) = &tree.root.value else {
        panic!()
    };
    let node = |key: &str| &entries.iter().find(|(k, _)| k.value == key).unwrap().1;
    assert!(node("a").is_anchored());
    assert_eq!(node("a").style(), ScalarStyle::SingleQuoted);
    assert_eq!(&text[node("a").start()..node("a").end()], "'x'");
    assert!(matches!(node("b").value, Value::Alias(_)));
    assert!(node("c").is_flow());
    assert_eq!(&text[node("c").start()..node("c").end()], "[1, 2]");
    // A block scalar starts at its text (as the parser reports it) and ends after its newline.
    assert_eq!(&text[node("d").start()..node("d").end()], "text\n");
    assert_eq!(tree.tags, ["!env"]);
    assert_eq!(node("e").layout_tag(), 1);
}
