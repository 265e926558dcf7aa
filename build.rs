//! Build script of the `ports` crate.
// Generates the port constants from ports.yaml into OUT_DIR. A registry with
// errors fails the build with one `ports.yaml:LINE:COL: …` line per finding.
fn main() {
    portolan::build::generate("ports.yaml");
}
