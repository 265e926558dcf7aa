//! Arbitrary bytes as ports.yaml: load and validate never panic, every
//! finding's span lies inside the file, and every finding renders, as a
//! snippet (which slices the file around its spans) and as a plain line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan::{Source, check, diag};

fuzz_target!(|data: &[u8]| {
    let source = Source::from_bytes("ports.yaml", data.to_vec());
    let report = check(&source);
    let len = source.text().len() as u32;
    for d in report.diagnostics.iter() {
        assert!(d.primary.span.start <= d.primary.span.end && d.primary.span.end <= len);
        for label in &d.secondary {
            assert!(label.span.start <= label.span.end && label.span.end <= len);
        }
        let _ = diag::plain(&source, d);
        let _ = diag::snippet(&source, d, false);
    }
});
