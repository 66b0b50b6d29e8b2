import { type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The environment as a process sees it: unset and empty are the same. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * How a config object is read from the environment: its schema, the variable of each
 * field (a dotted path reaches into a nested object: `candleLimits.1s`), which
 * variables are secrets (their value is never echoed) and the service's own error.
 */
export interface EnvSpec<T extends TObject> {
  schema: T;
  vars: Readonly<Record<string, string>>;
  secrets?: readonly string[];
  error: (message: string) => Error;
}

/**
 * Each variable of `spec` that `env` sets, converted to its field's type and checked
 * against the field's schema; the first bad one throws `spec.error` naming the variable,
 * the value (unless secret) and what was expected. The result holds only the fields set.
 */
export function readEnv<T extends TObject>(spec: EnvSpec<T>, env: Env): Partial<Static<T>> {
  const out: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(spec.vars)) {
    const text = env[name]?.trim();
    if (text === undefined || text === '') continue;
    const schema = fieldSchema(spec.schema, field);
    const value = convert(schema, text);
    if (!Value.Check(schema, value)) {
      const shown = spec.secrets?.includes(name) ? '' : `=${JSON.stringify(text)}`;
      throw spec.error(`${name}${shown} is invalid: expected ${describeSchema(schema)}`);
    }
    setPath(out, field, value);
  }
  return out;
}

/**
 * `partial` completed with the schema's defaults and checked as a whole; a bad field
 * throws `spec.error` naming its variable when it has one, else its path (`label` first).
 */
export function resolveConfig<T extends TObject>(spec: EnvSpec<T>, partial: object, label: string): Static<T> {
  const config = Value.Default(spec.schema, structuredClone(partial)) as Static<T>;
  const error = Value.Errors(spec.schema, config).First();
  if (error) {
    const field = error.path.slice(1).replace(/\//g, '.');
    const name = spec.vars[field];
    throw spec.error(
      name
        ? `${name} is invalid: expected ${describeSchema(error.schema)} (${label} ${field})`
        : `${label} ${error.path}: ${error.message}`,
    );
  }
  return config;
}

/** `readEnv` then `resolveConfig`: the checked config with every default, or one error naming the variable. */
export function loadEnvConfig<T extends TObject>(spec: EnvSpec<T>, env: Env, label: string): Static<T> {
  return resolveConfig(spec, readEnv(spec, env), label);
}

/** What a field accepts, in words: `an integer from 1 to 65535`, `one of a, b`, `true or false`. */
export function describeSchema(schema: TSchema): string {
  if (Array.isArray(schema.anyOf))
    return `one of ${(schema.anyOf as TSchema[]).map((a) => String(a.const)).join(', ')}`;
  if (schema.type === 'integer' || schema.type === 'number') {
    const kind = schema.type === 'integer' ? 'an integer' : 'a number';
    if (schema.minimum !== undefined && schema.maximum !== undefined)
      return `${kind} from ${schema.minimum} to ${schema.maximum}`;
    if (schema.minimum !== undefined) return `${kind} from ${schema.minimum}`;
    if (schema.maximum !== undefined) return `${kind} up to ${schema.maximum}`;
    return kind;
  }
  if (schema.type === 'boolean') return 'true or false';
  if (schema.pattern) return `text matching ${schema.pattern}`;
  if (schema.minLength !== undefined && schema.maxLength !== undefined && schema.minLength > 1)
    return `${schema.minLength} to ${schema.maxLength} characters`;
  if (schema.minLength !== undefined && schema.minLength > 1) return `at least ${schema.minLength} characters`;
  if (schema.maxLength !== undefined) return `at most ${schema.maxLength} characters`;
  return String(schema.type ?? 'a value');
}

// Digits only: Number() would also take '1e3', '0x10', ' 5' and '1.0'.
function convert(schema: TSchema, text: string): unknown {
  if (schema.type === 'integer') return /^-?[0-9]{1,15}$/.test(text) ? Number(text) : text;
  if (schema.type === 'number') return /^-?[0-9]{1,15}(\.[0-9]{1,15})?$/.test(text) ? Number(text) : text;
  if (schema.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

function fieldSchema(schema: TObject, field: string): TSchema {
  let s: TSchema = schema;
  for (const part of field.split('.')) {
    const next = (s.properties as Record<string, TSchema> | undefined)?.[part];
    if (!next) throw new RangeError(`no field ${field} in the config schema`);
    s = next;
  }
  return s;
}

function setPath(target: Record<string, unknown>, field: string, value: unknown): void {
  const parts = field.split('.');
  let obj = target;
  for (const part of parts.slice(0, -1)) obj = (obj[part] ??= {}) as Record<string, unknown>;
  obj[parts.at(-1)!] = value;
}
