//! `kubernetes.<environment>.yaml`: a Service per service of the environment,
//! NodePort where the environment has NodePorts, ClusterIP otherwise, with
//! Kubernetes' recommended labels. Infrastructure is left to its own charts.

use super::*;

use crate::ident::dns_label;

pub(super) fn services(registry: &Registry, rows: &[Row], environment: &str) -> String {
    let mut by_service: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        // A Service has no port ranges: a range stays out (validation keeps
        // ranges out of NodePort environments).
        if r.name.is_some() && r.port_end.is_none() && r.environment.as_deref() == Some(environment)
        {
            by_service.entry(&r.service).or_default().push(r);
        }
    }
    let mut out = format!(
        "# {NOTICE}\n# kubectl apply -f {}/kubernetes.{environment}.yaml\n",
        registry.render.dir.value.trim_end_matches('/')
    );
    if by_service.is_empty() {
        // kubectl refuses a file with no object; an empty List applies.
        out.push_str("apiVersion: v1\nkind: List\nitems: []\n");
        return out;
    }
    let project = yaml_string(&dns_label(&registry.project.value, 63));
    for (service, mut ports) in by_service {
        ports.sort_by_key(|r| r.port);
        let name = yaml_string(&dns_label(service, 63));
        let node_ports = ports.iter().any(|r| r.node_port.is_some());
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  labels:\n    \
             app.kubernetes.io/name: {name}\n    app.kubernetes.io/part-of: {project}\n    \
             app.kubernetes.io/managed-by: portolan\nspec:\n  type: {}\n  selector:\n    \
             app.kubernetes.io/name: {name}\n  ports:\n",
            if node_ports { "NodePort" } else { "ClusterIP" }
        );
        for r in ports {
            let names =
                crate::ident::kube_port_names(r.name.as_deref().unwrap_or("api"), r.protocol);
            let transports = r.protocol.transports();
            for (port_name, transport) in names.iter().zip(transports) {
                let _ = write!(
                    out,
                    "    - name: {}\n      port: {}\n      targetPort: {}\n      protocol: {}\n",
                    yaml_string(port_name),
                    r.port,
                    r.container_port,
                    transport.as_str().to_ascii_uppercase()
                );
                if let Some(np) = r.node_port {
                    let _ = writeln!(out, "      nodePort: {np}");
                }
            }
        }
    }
    out
}
