/**
 * Configuration from environment variables, validated once at start.
 *
 * Each process declares the variables it reads as a TypeBox object schema; `loadConfig` applies defaults,
 * converts strings to numbers/booleans and reports every bad variable by name in one error, so a typo in
 * `PORT=80O1` stops the process with "PORT: expected integer" instead of failing later.
 */
import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { Value } from 'typebox/value';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A TCP port; 0 lets the OS choose one (used by tests). */
export const PortVar = (defaultPort: number, description?: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description });

export const UrlVar = (defaultUrl?: string, description?: string) =>
  defaultUrl === undefined
    ? Type.String({ pattern: '^[a-z][a-z0-9+.-]*://', description })
    : Type.String({ pattern: '^[a-z][a-z0-9+.-]*://', default: defaultUrl, description });

export const HostVar = (defaultHost = '127.0.0.1') => Type.String({ minLength: 1, default: defaultHost });

export const LogLevelVar = () =>
  Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  );

export function loadConfig<P extends TProperties>(schema: TObject<P>, env: NodeJS.ProcessEnv = process.env): Static<TObject<P>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    // An empty variable counts as unset so `FOO= npm start` falls back to the default.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  if (Value.Check(schema, converted)) return converted;

  const problems = new Map<string, string>();
  for (const error of Value.Errors(schema, converted)) {
    const name =
      error.instancePath.replace(/^\//, '') ||
      String((error.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? '(root)');
    if (problems.has(name)) continue;
    const given = raw[name];
    problems.set(
      name,
      given === undefined ? `${name} is required (${error.message})` : `${name}=${JSON.stringify(given)}: ${error.message}`,
    );
  }
  throw new ConfigError([...problems.values()]);
}
