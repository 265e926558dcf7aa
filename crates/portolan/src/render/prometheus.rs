//! `prometheus.<environment>.yml`: a Prometheus configuration that scrapes
//! the `render.scrape` ports (`metrics`) of every service of the environment,
//! one job per service, as other containers reach it (`service:container
//! port`, like the `_URL` variables).

use super::*;

pub(super) fn config(registry: &Registry, rows: &[Row], environment: &str) -> String {
    let mut jobs: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        // Prometheus scrapes over HTTP: a UDP-only port (statsd) is not a target.
        if r.environment.as_deref() == Some(environment)
            && r.protocol != crate::model::Protocol::Udp
            && r.port_end.is_none()
            && r.name
                .as_ref()
                .is_some_and(|n| registry.render.scrape.iter().any(|s| *s == **n))
        {
            jobs.entry(&r.service).or_default().push(r);
        }
    }
    let mut out = format!(
        "# {NOTICE}\n# prometheus --config.file={}/prometheus.{environment}.yml\n\
         # Scrapes the {} ports (`render.scrape`) of the services of {environment}.\n",
        registry.render.dir.value.trim_end_matches('/'),
        registry.render.scrape.join(", ")
    );
    if jobs.is_empty() {
        out.push_str("scrape_configs: []\n");
        return out;
    }
    out.push_str("scrape_configs:\n");
    for (service, rows) in jobs {
        let targets: Vec<String> = rows
            .iter()
            .map(|r| yaml_string(&format!("{service}:{}", r.container_port)))
            .collect();
        let _ = write!(
            out,
            "  - job_name: {}\n    static_configs:\n      - targets: [{}]\n        labels:\n          \
             environment: {}\n          service: {}\n",
            yaml_string(&format!(
                "{}-{environment}-{service}",
                registry.project.value
            )),
            targets.join(", "),
            yaml_string(environment),
            yaml_string(service)
        );
    }
    out
}
