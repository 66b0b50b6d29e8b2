/**
 * A copy of `schema` in which an `$id` that already occurred higher up or earlier is
 * dropped. TypeBox copies a named schema (`BarInterval`) into every schema built from
 * it, so one response can hold the same `$id` twice, which fast-json-stringify
 * refuses ("resolves to more than one schema"). The first occurrence keeps its name
 * (it becomes a named component in the OpenAPI document); later ones are inlined.
 * Symbol keys (TypeBox's Kind) are kept: the validator needs them.
 */
export function dedupeSchemaIds<T>(schema: T, seen = new Set<string>()): T {
  if (Array.isArray(schema)) return (schema as unknown[]).map((s) => dedupeSchemaIds(s, seen)) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const src = schema as Record<string | symbol, unknown>;
  const out: Record<string | symbol, unknown> = {};
  const id = src.$id;
  const keepId = typeof id === 'string' && !seen.has(id);
  if (keepId) seen.add(id);
  for (const key of Object.keys(src)) {
    if (key === '$id' && !keepId) continue;
    out[key] = key === 'const' || key === 'default' || key === 'examples' ? src[key] : dedupeSchemaIds(src[key], seen);
  }
  for (const sym of Object.getOwnPropertySymbols(src)) out[sym] = src[sym];
  return out as T;
}
