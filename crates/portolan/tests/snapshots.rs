//! What users see, snapshotted: rendered diagnostics of each invalid fixture
//! (one-line, snippet and JSON forms) and the generated code of each valid one.

use portolan::{Source, check, codegen, diag};
use std::path::Path;

fn source(path: &Path) -> Source {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    Source::from_bytes(name, std::fs::read(path).unwrap())
}

#[test]
fn invalid_fixtures_render_located_diagnostics() {
    insta::glob!("fixtures/invalid/*.yaml", |path| {
        let source = source(path);
        let report = check(&source);
        assert!(
            report.diagnostics.has_errors(),
            "{} should be invalid",
            path.display()
        );
        let mut out = String::from("# one line per finding\n");
        for d in &report.diagnostics {
            out.push_str(&diag::plain(&source, d));
            out.push('\n');
        }
        out.push_str(&diag::summary(&source, &report.diagnostics));
        out.push_str("\n\n# snippets\n");
        for d in &report.diagnostics {
            out.push_str(&diag::snippet(&source, d, false));
            out.push_str("\n\n");
        }
        out.push_str("# json\n");
        out.push_str(&diag::json(&source, &report.diagnostics));
        insta::assert_snapshot!(out);
    });
}

#[test]
fn valid_fixtures_generate_stable_code() {
    insta::glob!("fixtures/valid/*.yaml", |path| {
        let report = check(&source(path));
        let registry = report
            .valid_registry()
            .unwrap_or_else(|| panic!("{}: {:?}", path.display(), report.diagnostics));
        let code = codegen::source(registry).unwrap();
        // Each call seeds its hash maps anew: equal texts show that no map's
        // iteration order reaches the code.
        assert_eq!(
            code,
            codegen::source(registry).unwrap(),
            "generation is deterministic"
        );
        insta::assert_snapshot!(code);
    });
}
