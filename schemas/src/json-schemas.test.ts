import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles } from './json-schemas.js';

const dir = new URL('../json/', import.meta.url);

describe('exported JSON Schema files', () => {
  it('match the TypeBox schemas (run `npm run export -w @tickdesk/schemas` after a change)', () => {
    const expected = jsonSchemaFiles();
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.schema.json'))
        .sort(),
    ).toEqual(Object.keys(expected).sort());
    for (const [name, text] of Object.entries(expected))
      expect(readFileSync(new URL(name, dir), 'utf8'), name).toBe(text);
  });
});
