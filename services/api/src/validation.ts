import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value, type ValueError } from '@sinclair/typebox/value';

/**
 * Request validation with TypeBox's compiler instead of fastify's default Ajv, whose
 * defaults (`removeAdditional: true`, `coerceTypes: 'array'`) would silently drop
 * unknown fields and turn the number 5 into the string "5". Here bodies are checked
 * exactly as sent: no coercion, no removal, no defaults. Query strings, params and
 * headers arrive as text, so text that is exactly a number or a boolean is converted
 * where the schema declares one ("25" becomes 25 for an integer; "abc", "1.5" or
 * "1e3" stay text and fail: TypeBox's own Value.Convert would truncate "1.5" to 1)
 * and their declared defaults are filled in.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const exact = httpPart === 'body';
  return (input: unknown) => {
    const value = exact ? input : Value.Default(schema, convertText(schema, input));
    if (check.Check(value)) return { value };
    const errors: FastifySchemaValidationError[] = [];
    for (const e of check.Errors(value)) {
      errors.push({
        keyword: String(e.type),
        instancePath: e.path,
        schemaPath: '',
        params: {},
        message: describeError(e),
      });
      if (errors.length === 5) break;
    }
    return { error: errors };
  };
};

const INTEGER = /^-?(0|[1-9][0-9]{0,15})$/;
const NUMBER = /^-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,16})?$/;

/** Text converted where `schema` declares an integer, number or boolean; anything else as it is. */
export function convertText(schema: TSchema, value: unknown): unknown {
  if (schema.type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const props = (schema.properties ?? {}) as Record<string, TSchema>;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = props[key] ? convertText(props[key], v) : v;
    return out;
  }
  if (typeof value !== 'string') return value;
  if (schema.type === 'integer' && INTEGER.test(value)) return Number(value);
  if (schema.type === 'number' && NUMBER.test(value)) return Number(value);
  if (schema.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** A short reason for one validation error, without echoing the value. */
function describeError(e: ValueError): string {
  const s = e.schema;
  if (e.message === 'Unexpected property') return 'unknown field';
  if (e.message === 'Expected required property') return 'required';
  if (Array.isArray(s.anyOf) && s.anyOf.every((v: TSchema) => v.const !== undefined)) {
    return `must be one of ${s.anyOf.map((v: TSchema) => String(v.const)).join(', ')}`;
  }
  return e.message.replace(/^Expected/, 'expected');
}

/** `body field "jid": required` from a path such as `/rules/0/threshold`. */
export function fieldName(where: string, path: string): string {
  if (path === '' || path === '/') return where;
  const field = path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p, i) => (/^[0-9]+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
  return `${where} field "${field.length > 80 ? `${field.slice(0, 80)}…` : field}"`;
}
