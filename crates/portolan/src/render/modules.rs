//! `ports.py` and `ports.ts`: the Rust constants' shape for Python and
//! TypeScript services (a constant per environment and port, the
//! environment enum with a parse that lists the valid names, a function per
//! named port taking the environment), typed for mypy --strict and
//! tsc --strict. Names come from the one place Rust's do (`ident`), so the
//! collisions validation refuses for Rust are refused for these too.

use super::*;

/// The ports of each service port, by environment, in the registry's order.
struct Port<'r> {
    service: &'r str,
    name: &'r str,
    description: Option<&'r str>,
    by_env: Vec<(&'r str, u16)>,
}

/// An infrastructure entry's port.
struct Infra<'r> {
    name: &'r str,
    /// The environment it is limited to (`None`: every one).
    environment: Option<&'r str>,
    port: u16,
}

fn ports<'r>(rows: &'r [Row]) -> (Vec<Port<'r>>, Vec<Infra<'r>>) {
    let mut named: Vec<Port<'r>> = Vec::new();
    let mut infra = Vec::new();
    // A range is not one port a function could return; Python and
    // TypeScript services read ranges from ports.json.
    for r in rows.iter().filter(|r| r.port_end.is_none()) {
        match (&r.name, &r.environment) {
            (Some(name), Some(env)) => {
                match named
                    .iter_mut()
                    .find(|p| p.service == r.service && p.name == name)
                {
                    Some(p) => p.by_env.push((env, r.port)),
                    None => named.push(Port {
                        service: &r.service,
                        name,
                        description: r.description.as_deref(),
                        by_env: vec![(env, r.port)],
                    }),
                }
            }
            (None, env) => infra.push(Infra {
                name: &r.service,
                environment: env.as_deref(),
                port: r.port,
            }),
            (Some(_), None) => {}
        }
    }
    (named, infra)
}

/// A string literal both languages read the same way (JSON's syntax).
fn literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// Text as one line of a Python docstring: no line breaks, control
/// characters (a NUL makes the module unimportable), backslashes or quotes
/// that would end it.
fn doc_py(text: &str) -> String {
    one_line(text)
        .replace('\\', "\\\\")
        .replace("\"\"\"", "\\\"\"\"")
}

/// Text as one line of a TypeScript comment: no `*/` that would end it.
fn doc_ts(text: &str) -> String {
    one_line(text).replace("*/", "*\\/")
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub(super) fn python(registry: &Registry, rows: &[Row]) -> String {
    let envs: Vec<&str> = registry
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let (named, infra) = ports(rows);
    let mut out = format!(
        "\"\"\"{NOTICE}\n\nThe ports of {}: `Environment.parse(name)`, then a function per named port.\n\"\"\"\n\n\
         from __future__ import annotations\n\nimport enum\nfrom typing import Final\n\nPROJECT: Final = {}\n\n\n\
         class Environment(enum.Enum):\n    \"\"\"The environments, in the order ports.yaml declares them.\"\"\"\n\n",
        doc_py(&registry.project.value),
        literal(&registry.project.value)
    );
    for e in &envs {
        let _ = writeln!(out, "    {} = {}", screaming(e), literal(e));
    }
    let names = envs.join(", ");
    let _ = write!(
        out,
        "\n    @classmethod\n    def parse(cls, name: str) -> Environment:\n        \
         \"\"\"The environment called `name`; a ValueError lists the valid names.\"\"\"\n        \
         for environment in cls:\n            if environment.value == name:\n                \
         return environment\n        raise ValueError(\n            \
         f\"unknown environment {{name!r}}; expected one of: {}\"\n        )\n\n\n\
         def _port(table: dict[Environment, int], environment: Environment, what: str) -> int:\n    \
         try:\n        return table[environment]\n    except KeyError:\n        \
         raise ValueError(f\"{{what}} has no port in {{environment.value}}\") from None\n",
        doc_py(&names)
    );
    for p in &named {
        let table_name = crate::ident::module_table(p.service, p.name);
        out.push_str("\n\n");
        for (env, port) in &p.by_env {
            let name = crate::ident::module_constant(p.service, p.name, env);
            let _ = writeln!(out, "{name}: Final = {port}");
        }
        let table: Vec<String> = p
            .by_env
            .iter()
            .map(|(env, port)| format!("Environment.{}: {port}", screaming(env)))
            .collect();
        let function = crate::ident::python_function(p.service, p.name);
        let described = p
            .description
            .map_or(String::new(), |d| format!(" ({})", doc_py(d)));
        let _ = write!(
            out,
            "{table_name}: Final[dict[Environment, int]] = {{{}}}\n\n\n\
             def {function}(environment: Environment) -> int:\n    \
             \"\"\"The host port of `{}` `{}`{described} in `environment`.\"\"\"\n    \
             return _port({table_name}, environment, {})\n",
            table.join(", "),
            p.service,
            p.name,
            literal(&format!("{} {}", p.service, p.name))
        );
    }
    if !infra.is_empty() {
        out.push_str("\n\n# Infrastructure: the same in every environment that publishes it.\n");
        for Infra {
            name: service,
            environment: env,
            port,
        } in infra
        {
            let name = crate::ident::module_infra_constant(service, env);
            let _ = writeln!(out, "{name}: Final = {port}");
        }
    }
    out
}

pub(super) fn typescript(registry: &Registry, rows: &[Row]) -> String {
    let envs: Vec<&str> = registry
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let (named, infra) = ports(rows);
    let list: Vec<String> = envs.iter().map(|e| literal(e)).collect();
    let mut out = format!(
        "// {NOTICE}\n// The ports of {}: `parseEnvironment(name)`, then a function per named port.\n\n\
         export const PROJECT = {} as const;\n\n\
         /** The environments, in the order ports.yaml declares them. */\n\
         export const ENVIRONMENTS = [{}] as const;\n\n\
         export type Environment = (typeof ENVIRONMENTS)[number];\n\n\
         /** The environment called `name`; the error lists the valid names. */\n\
         export function parseEnvironment(name: string): Environment {{\n  \
         for (const environment of ENVIRONMENTS) {{\n    \
         if (environment === name) {{\n      return environment;\n    }}\n  }}\n  \
         throw new Error(`unknown environment ${{JSON.stringify(name)}}; expected one of: {}`);\n}}\n\n\
         // Pairs, not an object: an environment may be called `constructor`.\n\
         type Table = ReadonlyArray<readonly [Environment, number]>;\n\n\
         function port(table: Table, environment: Environment, what: string): number {{\n  \
         for (const [name, found] of table) {{\n    \
         if (name === environment) {{\n      return found;\n    }}\n  }}\n  \
         throw new Error(`${{what}} has no port in ${{environment}}`);\n}}\n",
        doc_ts(&registry.project.value).replace('`', "'"),
        literal(&registry.project.value),
        list.join(", "),
        doc_ts(&envs.join(", ")).replace(['`', '$'], "")
    );
    for p in &named {
        let table_name = crate::ident::module_table(p.service, p.name);
        let _ = writeln!(out);
        for (env, port) in &p.by_env {
            let name = crate::ident::module_constant(p.service, p.name, env);
            let _ = writeln!(out, "export const {name} = {port};");
        }
        let table: Vec<String> = p
            .by_env
            .iter()
            .map(|(env, port)| format!("[{}, {port}]", literal(env)))
            .collect();
        let described = p
            .description
            .map_or(String::new(), |d| format!(" ({})", doc_ts(d)));
        let _ = write!(
            out,
            "const {table_name}: Table = [{}];\n\n\
             /** The host port of `{}` `{}`{described} in `environment`. */\n\
             export function {}(environment: Environment): number {{\n  \
             return port({table_name}, environment, {});\n}}\n",
            table.join(", "),
            p.service,
            p.name,
            crate::ident::typescript_function(p.service, p.name),
            literal(&format!("{} {}", p.service, p.name))
        );
    }
    if !infra.is_empty() {
        out.push_str("\n// Infrastructure: the same in every environment that publishes it.\n");
        for Infra {
            name: service,
            environment: env,
            port,
        } in infra
        {
            let name = crate::ident::module_infra_constant(service, env);
            let _ = writeln!(out, "export const {name} = {port};");
        }
    }
    out
}
