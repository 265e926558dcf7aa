//! User templates and the values of team files: minijinja over the
//! registry, strict and bounded (fuel, output size), with `port()` and its
//! siblings defaulting to the file's environment.

use super::{Row, Scope, rows};
use crate::model::Registry;
use minijinja::value::{Kwargs, Value as JinjaValue};
use minijinja::{Environment as Jinja, ErrorKind, State, UndefinedBehavior};
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// The template engine over one registry: minijinja with strict undefined, the
/// registry as variables and `port()`, `container_port()`, `node_port()`,
/// `url()` as functions that default to the file's environment.
pub struct Engine {
    jinja: Jinja<'static>,
    /// The variables every file sees, converted once.
    base: JinjaValue,
    rows: Arc<Vec<Row<'static>>>,
    /// `ports` for each environment a file is rendered in (`None`: every
    /// environment), built on first use and shared by every file after.
    ports: Mutex<HashMap<Option<String>, JinjaValue>>,
}

/// The rows of each service, by index into the rows, in order.
type RowIndex = HashMap<String, Vec<usize>>;

impl Engine {
    /// An engine for `registry`.
    pub fn new(registry: &Registry) -> Self {
        // The engine's functions outlive the borrow of the registry.
        let rows = Arc::new(
            rows(registry)
                .into_iter()
                .map(Row::into_owned)
                .collect::<Vec<_>>(),
        );
        let mut index = RowIndex::new();
        for (i, r) in rows.iter().enumerate() {
            index.entry(r.service.to_string()).or_default().push(i);
        }
        let index = Arc::new(index);
        let mut jinja = Jinja::new();
        jinja.set_undefined_behavior(UndefinedBehavior::Strict);
        jinja.set_keep_trailing_newline(true);
        jinja.set_fuel(Some(FUEL));
        // What a template prints lands in a team's file: a function written
        // without its call (`{{ node_port }}` where a row has none) or an
        // empty value would be written as text and read back as a port.
        jinja.set_formatter(|out, state, value| match value.kind() {
            minijinja::value::ValueKind::Plain => Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                "a function is printed without being called: write `port('web')`, not `port` (a list item's `node_port` exists only where the port has a NodePort)",
            )),
            minijinja::value::ValueKind::None => Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                "an empty value (none) is printed: the port has no such field (a range has no URL, infrastructure no name or URL); write `x or ''` to print nothing",
            )),
            _ => minijinja::escape_formatter(out, state, value),
        });
        let only =
            (registry.environments.len() == 1).then(|| registry.environments[0].name.value.clone());
        for field in ["port", "port_end", "container_port", "node_port", "url"] {
            let rows = Arc::clone(&rows);
            let index = Arc::clone(&index);
            let only = only.clone();
            jinja.add_function(
                field,
                move |state: &State, service: String, name: Option<String>, kwargs: Kwargs| {
                    let environment: Option<String> = kwargs.get("environment")?;
                    // `port('web', 'metrics')` and `port('web', name='metrics')` alike.
                    let named: Option<String> = kwargs.get("name")?;
                    kwargs.assert_all_used()?;
                    let name = match (name, named) {
                        (Some(_), Some(_)) => {
                            return Err(minijinja::Error::new(
                                minijinja::ErrorKind::TooManyArguments,
                                "the port name is given twice (as an argument and as `name=`)",
                            ));
                        }
                        (name, named) => name.or(named),
                    };
                    let environment = environment
                        .or_else(|| {
                            state
                                .lookup("environment")
                                .and_then(|v| v.as_str().map(str::to_owned))
                        })
                        .or_else(|| only.clone());
                    lookup(
                        &rows,
                        &index,
                        field,
                        &service,
                        name.as_deref(),
                        environment.as_deref(),
                    )
                },
            );
        }
        let mut services = serde_json::Map::new();
        for s in &registry.services {
            services.insert(
                s.name.value.clone(),
                json!({ "description": s.description, "ports": s.ports.iter().map(|p| p.name.value.clone()).collect::<Vec<_>>() }),
            );
        }
        let base = json!({
            "project": registry.project.value,
            "environments": registry.environments.iter().map(|e| e.name.value.clone()).collect::<Vec<_>>(),
            "services": services,
            "reserved": registry.reserved.iter().map(|r| json!({"start": r.ports.start.get(), "end": r.ports.end.get(), "reason": r.reason})).collect::<Vec<_>>(),
        });
        Engine {
            jinja,
            base: JinjaValue::from_serialize(base),
            rows,
            ports: Mutex::new(HashMap::new()),
        }
    }

    /// The variables of a file in `scope`, plus `extra`.
    fn context(&self, scope: &Scope, extra: &[(&str, Json)]) -> JinjaValue {
        // Layers looked up in order, so `extra` wins over the scope, which
        // wins over the registry; nothing of the registry is copied per file
        // (a copy per file would make syncing N per-service files quadratic).
        let ports = {
            let mut cache = self.ports.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .entry(scope.environment.clone())
                .or_insert_with(|| {
                    let ports: Vec<Json> = self
                        .rows
                        .iter()
                        .filter(|r| match (&scope.environment, &r.environment) {
                            (Some(want), Some(have)) => want == have,
                            _ => true,
                        })
                        .map(Row::to_json)
                        .collect();
                    JinjaValue::from_serialize(ports)
                })
                .clone()
        };
        let mut local = BTreeMap::new();
        if let Some(env) = &scope.environment {
            local.insert("environment", JinjaValue::from(env.as_str()));
        }
        if let Some(service) = &scope.service {
            local.insert("service", JinjaValue::from(service.as_str()));
        }
        local.insert("ports", ports);
        let extra: BTreeMap<&str, JinjaValue> = extra
            .iter()
            .map(|(k, v)| (*k, JinjaValue::from_serialize(v)))
            .collect();
        minijinja::value::merge_maps([
            JinjaValue::from(extra),
            JinjaValue::from(local),
            self.base.clone(),
        ])
    }

    /// Renders a template string (a value or comment from ports.yaml), within
    /// a bounded number of template steps and at most 64 KiB of output.
    pub fn render_str(
        &self,
        template: &str,
        scope: &Scope,
        extra: &[(&str, Json)],
    ) -> Result<String, String> {
        let tmpl = self.jinja.template_from_str(template).map_err(describe)?;
        bounded(&tmpl, self.context(scope, extra), MAX_VALUE_OUTPUT)
    }

    /// Renders a template file (at most 1 MiB) within a bounded number of
    /// template steps and at most 64 MiB of output;
    /// `name` appears in errors.
    pub fn render_file(&self, name: &str, source: &str, scope: &Scope) -> Result<String, String> {
        if source.len() > MAX_TEMPLATE_SOURCE {
            return Err(format!(
                "the template is {} bytes; templates may hold at most {} bytes",
                source.len(),
                MAX_TEMPLATE_SOURCE
            ));
        }
        let tmpl = self
            .jinja
            .template_from_named_str(name, source)
            .map_err(describe)?;
        bounded(&tmpl, self.context(scope, &[]), MAX_FILE_OUTPUT)
    }

    /// The service ports of `environment`, for owned lists: one item each;
    /// with `node_ports`, the infrastructure that has a NodePort too (a list
    /// of NodePort mappings, such as kind's, maps those as well).
    pub fn list_rows(&self, environment: Option<&str>, node_ports: bool) -> Vec<Row<'static>> {
        self.rows
            .iter()
            .filter(|r| r.name.is_some() || (node_ports && r.node_port.is_some()))
            .filter(|r| {
                environment.is_none()
                    || r.environment.as_deref() == environment
                    || (r.name.is_none() && r.environment.is_none())
            })
            .cloned()
            .collect()
    }
}

/// Template instructions one file, value or comment may run (minijinja's
/// fuel): a template is code from the repository, and `check` runs it in CI.
/// A loop over every port of a full port space runs well under a tenth of it.
pub(crate) const FUEL: u64 = 10_000_000;
/// The most bytes one rendered template file may hold.
pub(crate) const MAX_FILE_OUTPUT: usize = 64 << 20;
/// The most bytes one rendered value or list-item comment may hold.
pub(crate) const MAX_VALUE_OUTPUT: usize = 64 << 10;
/// The most bytes a template file may hold.
pub(crate) const MAX_TEMPLATE_SOURCE: usize = 1 << 20;

/// Renders `tmpl` into a string of at most `cap` bytes.
pub(super) fn bounded(
    tmpl: &minijinja::Template<'_, '_>,
    context: JinjaValue,
    cap: usize,
) -> Result<String, String> {
    struct Capped {
        out: Vec<u8>,
        cap: usize,
        over: bool,
    }
    impl std::io::Write for Capped {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.out.len() + buf.len() > self.cap {
                self.over = true;
                return Err(std::io::Error::other("output bound"));
            }
            self.out.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped {
        out: Vec::new(),
        cap,
        over: false,
    };
    match tmpl.render_captured_to(context, &mut out) {
        Ok(_) => String::from_utf8(out.out).map_err(|_| "rendered text is not UTF-8".to_owned()),
        Err(_) if out.over => Err(format!(
            "renders more than {cap} bytes, the most Portolan writes for one {}",
            if cap == MAX_FILE_OUTPUT {
                "template file"
            } else {
                "value"
            }
        )),
        Err(e) if e.kind() == ErrorKind::OutOfFuel => Err(format!(
            "runs more than {FUEL} template instructions, the most Portolan runs for one file or value (a loop too large, or one that never ends?)"
        )),
        Err(e) => Err(describe(e)),
    }
}

pub(super) fn describe(e: minijinja::Error) -> String {
    let mut message = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    if let Some(line) = e.line() {
        let _ = write!(message, " (template line {line})");
    }
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        let _ = write!(message, ": {inner}");
        source = inner.source();
    }
    message
}

pub(super) fn lookup(
    rows: &[Row],
    index: &RowIndex,
    field: &str,
    service: &str,
    name: Option<&str>,
    environment: Option<&str>,
) -> Result<JinjaValue, minijinja::Error> {
    let of_service: Vec<&Row> = index
        .get(service)
        .map(|ix| ix.iter().map(|&i| &rows[i]).collect())
        .unwrap_or_default();
    if of_service.is_empty() {
        let names: Vec<&str> = rows.iter().map(|r| &*r.service).collect();
        let hint = crate::load::did_you_mean(service, names)
            .map(|b| format!("; did you mean `{b}`?"))
            .unwrap_or_default();
        return Err(lookup_error(format!(
            "{field}(): no service `{service}`{hint}"
        )));
    }
    let row = if of_service[0].name.is_none() {
        infrastructure_row(&of_service, field, service, environment)?
    } else {
        service_row(of_service, field, service, name, environment)?
    };
    field_value(row, field)
}

fn lookup_error(message: String) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, message)
}

/// Infrastructure's row: one for every environment, or one per
/// environment it belongs to.
fn infrastructure_row<'r>(
    of_service: &[&'r Row<'r>],
    field: &str,
    service: &str,
    environment: Option<&str>,
) -> Result<&'r Row<'r>, minijinja::Error> {
    match (
        environment,
        of_service.iter().all(|r| r.environment.is_some()),
    ) {
        (Some(env), true) => match of_service
            .iter()
            .find(|r| r.environment.as_deref() == Some(env))
        {
            Some(r) => Ok(r),
            None => {
                let envs: Vec<&str> = of_service
                    .iter()
                    .filter_map(|r| r.environment.as_deref())
                    .collect();
                Err(lookup_error(format!(
                    "{field}(): infrastructure `{service}` is not in {env} (it belongs to {})",
                    envs.join(", ")
                )))
            }
        },
        _ => Ok(of_service[0]),
    }
}

/// A service's row: the port `name` (else `api`, else its only port) in
/// `environment`, which a service's ports need.
fn service_row<'r>(
    of_service: Vec<&'r Row<'r>>,
    field: &str,
    service: &str,
    name: Option<&str>,
    environment: Option<&str>,
) -> Result<&'r Row<'r>, minijinja::Error> {
    let Some(environment) = environment else {
        return Err(lookup_error(format!(
            "{field}(\"{service}\"): this file is not per environment; put `{{environment}}` in its path or pass environment=\"…\""
        )));
    };
    let in_env: Vec<&Row> = of_service
        .into_iter()
        .filter(|r| r.environment.as_deref() == Some(environment))
        .collect();
    let wanted = name.unwrap_or("api");
    match in_env.iter().find(|r| r.name.as_deref() == Some(wanted)) {
        Some(r) => Ok(r),
        None if name.is_none() && in_env.len() == 1 => Ok(in_env[0]),
        None => {
            let names: Vec<&str> = in_env.iter().filter_map(|r| r.name.as_deref()).collect();
            Err(lookup_error(if names.is_empty() {
                format!("{field}(): `{service}` does not run in {environment}")
            } else {
                format!(
                    "{field}(): `{service}` has no port `{wanted}` in {environment} (it has {})",
                    names.join(", ")
                )
            }))
        }
    }
}

/// The value `field()` returns for `row`.
fn field_value(row: &Row, field: &str) -> Result<JinjaValue, minijinja::Error> {
    Ok(match field {
        "port" => JinjaValue::from(row.port),
        // A range's last port; a single port's own.
        "port_end" => JinjaValue::from(row.port_end.unwrap_or(row.port)),
        "container_port" => JinjaValue::from(row.container_port),
        "node_port" => match row.node_port {
            Some(p) => JinjaValue::from(p),
            None => {
                return Err(lookup_error(format!(
                    "node_port(): {} has no NodePort (its environment has no `node_ports`, or the infrastructure entry no `node_port:`)",
                    row.service
                )));
            }
        },
        _ => match &row.url {
            Some(url) => JinjaValue::from(url.as_str()),
            None if row.port_end.is_some() => {
                return Err(lookup_error(format!(
                    "url(): `{}`'s port is a range ({}), which has no URL",
                    row.service,
                    row.ports_text()
                )));
            }
            None => {
                return Err(lookup_error(format!(
                    "url(): `{}` is infrastructure and has no URL",
                    row.service
                )));
            }
        },
    })
}
