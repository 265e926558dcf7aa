// Generated from ports.yaml by `portolan sync`; do not edit.
// The ports of lumiere: `parseEnvironment(name)`, then a function per named port.

export const PROJECT = "lumiere" as const;

/** The environments, in the order ports.yaml declares them. */
export const ENVIRONMENTS = ["production", "development", "test"] as const;

export type Environment = (typeof ENVIRONMENTS)[number];

/** The environment called `name`; the error lists the valid names. */
export function parseEnvironment(name: string): Environment {
  for (const environment of ENVIRONMENTS) {
    if (environment === name) {
      return environment;
    }
  }
  throw new Error(`unknown environment ${JSON.stringify(name)}; expected one of: production, development, test`);
}

// Pairs, not an object: an environment may be called `constructor`.
type Table = ReadonlyArray<readonly [Environment, number]>;

function port(table: Table, environment: Environment, what: string): number {
  for (const [name, found] of table) {
    if (name === environment) {
      return found;
    }
  }
  throw new Error(`${what} has no port in ${environment}`);
}

export const COURIER_API_PRODUCTION = 8765;
export const COURIER_API_DEVELOPMENT = 9765;
export const COURIER_API_TEST = 7765;
const _COURIER_API: Table = [["production", 8765], ["development", 9765], ["test", 7765]];

/** The host port of `courier` `api` (Event Bus (WebSocket)) in `environment`. */
export function courierApi(environment: Environment): number {
  return port(_COURIER_API, environment, "courier api");
}

export const COURIER_HEALTH_PRODUCTION = 8791;
export const COURIER_HEALTH_DEVELOPMENT = 9791;
export const COURIER_HEALTH_TEST = 7791;
const _COURIER_HEALTH: Table = [["production", 8791], ["development", 9791], ["test", 7791]];

/** The host port of `courier` `health` (Event Bus (WebSocket)) in `environment`. */
export function courierHealth(environment: Environment): number {
  return port(_COURIER_HEALTH, environment, "courier health");
}

export const COURIER_METRICS_PRODUCTION = 8790;
export const COURIER_METRICS_DEVELOPMENT = 9790;
export const COURIER_METRICS_TEST = 7790;
const _COURIER_METRICS: Table = [["production", 8790], ["development", 9790], ["test", 7790]];

/** The host port of `courier` `metrics` (Event Bus (WebSocket)) in `environment`. */
export function courierMetrics(environment: Environment): number {
  return port(_COURIER_METRICS, environment, "courier metrics");
}

export const PASSEUR_API_PRODUCTION = 8766;
export const PASSEUR_API_DEVELOPMENT = 9766;
export const PASSEUR_API_TEST = 7766;
const _PASSEUR_API: Table = [["production", 8766], ["development", 9766], ["test", 7766]];

/** The host port of `passeur` `api` (Blockchain Bridge) in `environment`. */
export function passeurApi(environment: Environment): number {
  return port(_PASSEUR_API, environment, "passeur api");
}

export const PASSEUR_BRIDGE_PRODUCTION = 8768;
export const PASSEUR_BRIDGE_DEVELOPMENT = 9768;
export const PASSEUR_BRIDGE_TEST = 7768;
const _PASSEUR_BRIDGE: Table = [["production", 8768], ["development", 9768], ["test", 7768]];

/** The host port of `passeur` `bridge` (Blockchain Bridge) in `environment`. */
export function passeurBridge(environment: Environment): number {
  return port(_PASSEUR_BRIDGE, environment, "passeur bridge");
}

export const PASSEUR_HEALTH_PRODUCTION = 8793;
export const PASSEUR_HEALTH_DEVELOPMENT = 9793;
export const PASSEUR_HEALTH_TEST = 7793;
const _PASSEUR_HEALTH: Table = [["production", 8793], ["development", 9793], ["test", 7793]];

/** The host port of `passeur` `health` (Blockchain Bridge) in `environment`. */
export function passeurHealth(environment: Environment): number {
  return port(_PASSEUR_HEALTH, environment, "passeur health");
}

export const PASSEUR_METRICS_PRODUCTION = 8792;
export const PASSEUR_METRICS_DEVELOPMENT = 9792;
export const PASSEUR_METRICS_TEST = 7792;
const _PASSEUR_METRICS: Table = [["production", 8792], ["development", 9792], ["test", 7792]];

/** The host port of `passeur` `metrics` (Blockchain Bridge) in `environment`. */
export function passeurMetrics(environment: Environment): number {
  return port(_PASSEUR_METRICS, environment, "passeur metrics");
}

export const POURTIER_API_PRODUCTION = 8000;
export const POURTIER_API_DEVELOPMENT = 9000;
export const POURTIER_API_TEST = 7000;
const _POURTIER_API: Table = [["production", 8000], ["development", 9000], ["test", 7000]];

/** The host port of `pourtier` `api` (User Management API) in `environment`. */
export function pourtierApi(environment: Environment): number {
  return port(_POURTIER_API, environment, "pourtier api");
}

export const POURTIER_HEALTH_PRODUCTION = 8091;
export const POURTIER_HEALTH_DEVELOPMENT = 9091;
export const POURTIER_HEALTH_TEST = 7091;
const _POURTIER_HEALTH: Table = [["production", 8091], ["development", 9091], ["test", 7091]];

/** The host port of `pourtier` `health` (User Management API) in `environment`. */
export function pourtierHealth(environment: Environment): number {
  return port(_POURTIER_HEALTH, environment, "pourtier health");
}

export const POURTIER_METRICS_PRODUCTION = 8090;
export const POURTIER_METRICS_DEVELOPMENT = 9090;
export const POURTIER_METRICS_TEST = 7090;
const _POURTIER_METRICS: Table = [["production", 8090], ["development", 9090], ["test", 7090]];

/** The host port of `pourtier` `metrics` (User Management API) in `environment`. */
export function pourtierMetrics(environment: Environment): number {
  return port(_POURTIER_METRICS, environment, "pourtier metrics");
}

// Infrastructure: the same in every environment that publishes it.
export const INFLUXDB_PORT = 8086;
export const POSTGRES_PORT = 5432;
export const POSTGRES_TEST_PORT = 5433;
export const PYPI_PORT = 9001;
export const REDIS_PORT = 6379;
export const STATSD_PORT = 8125;
