//! One benchmark per pipeline stage, at 100, 1,000 and 10,000 single-port
//! services and at the full port space (15,000 services × 4 named ports).
//!
//! `parse` is the baseline: serde-saphyr alone, into a tree of spanned nodes of
//! the shape `load` builds (`load` itself reads the parser's events directly).
//! Every other stage is measured against it.
//!
//! ```text
//! cargo bench -p portolan-bench                 # everything
//! cargo bench -p portolan-bench -- check        # one stage
//! ```

use divan::Bencher;
use portolan::allocate::{self, Request};
use portolan::{Report, Source, Valid, render, validate};
use portolan_bench::Shape;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

/// The sizes every stage runs at.
const SIZES: [&str; 4] = ["100", "1k", "10k", "full"];

fn shape(size: &str) -> Shape {
    match size {
        "100" => Shape::services(100),
        "1k" => Shape::services(1_000),
        "10k" => Shape::services(10_000),
        "full" => Shape::full_port_space(),
        _ => unreachable!("unknown size {size}"),
    }
}

/// The registry text and its validated model, built once per size.
fn fixture(size: &str) -> (&'static Source, Valid<'static>) {
    static CELLS: [OnceLock<(Source, Report)>; 4] = [const { OnceLock::new() }; 4];
    let i = SIZES.iter().position(|s| *s == size).expect("a known size");
    let (source, report) = CELLS[i].get_or_init(|| {
        let source = Source::new("ports.yaml", shape(size).yaml());
        let report = validate::check(&source);
        assert!(report.is_ok(), "the generated {size} registry is invalid");
        (source, report)
    });
    (source, report.valid_registry().expect("valid"))
}

/// serde-saphyr's parse alone: the baseline the targets are ratios to.
#[divan::bench(args = SIZES, sample_count = 10)]
fn parse(bencher: Bencher, size: &str) {
    let (source, _) = fixture(size);
    bencher
        .counter(divan::counter::BytesCount::new(source.text().len()))
        .bench(|| portolan_bench::baseline::parse_only(divan::black_box(source.text())));
}

/// Text to model, with every located finding.
#[divan::bench(args = SIZES, sample_count = 10)]
fn load(bencher: Bencher, size: &str) {
    let (source, _) = fixture(size);
    bencher.bench(|| portolan::load(divan::black_box(source)));
}

/// Every rule on a loaded model.
#[divan::bench(args = SIZES, sample_count = 10)]
fn validate(bencher: Bencher, size: &str) {
    let (_, registry) = fixture(size);
    bencher.bench(|| validate::validate(divan::black_box(registry.registry())));
}

/// Load and validate, sorted findings: what `portolan check` does before drift.
#[divan::bench(args = SIZES, sample_count = 10)]
fn check(bencher: Bencher, size: &str) {
    let (source, _) = fixture(size);
    bencher.bench(|| validate::check(divan::black_box(source)));
}

/// The Rust constants build.rs writes (tokens, parse, pretty-print).
#[divan::bench(args = SIZES, sample_count = 10)]
fn codegen(bencher: Bencher, size: &str) {
    let (_, registry) = fixture(size);
    bencher.bench(|| portolan::codegen::source(divan::black_box(registry)));
}

/// Every built-in artifact (ports.json, PORTS.md, .env, compose, schema).
#[divan::bench(args = SIZES, sample_count = 10)]
fn render(bencher: Bencher, size: &str) {
    let (_, registry) = fixture(size);
    bencher.bench(|| render::artifacts(divan::black_box(registry)));
}

/// The lowest free port for a new service, and the format-preserving edit of
/// ports.yaml that adds it (on an already loaded registry).
#[divan::bench(args = SIZES, sample_count = 10)]
fn assign(bencher: Bencher, size: &str) {
    let (source, registry) = fixture(size);
    let request = Request {
        service: "newcomer".into(),
        name: String::new(),
        ports: Vec::new(),
        description: Some("A new service".into()),
        force: false,
        protocol: None,
        count: None,
    };
    bencher.bench(|| {
        allocate::assign(divan::black_box(source), registry, &request).expect("a free port")
    });
}
