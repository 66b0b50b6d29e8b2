import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * The key layout is declared once (keys.ts). Any other source that spells a desk key
 * (a string starting with the desk prefix `td:`) or builds one from a prefix by hand
 * (`${prefix}…`) re-declares a family: this test names each such place.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONTRACT = 'services/store/src/keys.ts';
/** Places allowed to spell keys, and why. */
const ALLOWED: Record<string, string> = {
  // Redis ACL key patterns (~td:{rules}:*): infra depends on no package; key-acl.test.ts holds them against keys.ts, test/integration/redis-auth.test.ts against real keys.
  'infra/src/redis-auth.ts': 'ACL patterns',
};

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.(ts|svelte)$/.test(e.name) && !/\.test(-util)?\.ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
      out.push(p);
  }
  return out;
}

function packageSources(): string[] {
  const dirs = ['schemas/src', 'infra/src', 'ui/src'];
  for (const group of ['services', 'feeds']) {
    for (const pkg of readdirSync(join(ROOT, group))) dirs.push(`${group}/${pkg}/src`);
  }
  return dirs.flatMap((d) => {
    try {
      return sources(join(ROOT, d));
    } catch {
      return [];
    }
  });
}

/** Every string or template text that spells a key, and every template built on `${prefix}`. */
export function keySpellings(file: string, text: string): string[] {
  const code = file.endsWith('.svelte')
    ? [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n')
    : text;
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)) &&
      /^td:/.test(node.text)
    ) {
      found.push(
        `line ${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText().slice(0, 60)}`,
      );
    }
    if (
      ts.isTemplateExpression(node) &&
      node.head.text === '' &&
      ts.isIdentifier(node.templateSpans[0]!.expression) &&
      node.templateSpans[0]!.expression.text === 'prefix'
    ) {
      found.push(
        `line ${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText().slice(0, 60)}`,
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the Redis key layout is declared only in @tickdesk/store (keys.ts)', () => {
  it('finds a spelled key, a key built on the prefix, and nothing in comments', () => {
    expect(keySpellings('a.ts', "const K = 'td:users';")).toHaveLength(1);
    expect(keySpellings('a.ts', 'const k = `td:ticks:${s}`;')).toHaveLength(1);
    expect(keySpellings('a.ts', 'const k = `${prefix}alerts:heartbeat`;')).toHaveLength(1);
    expect(keySpellings('a.svelte', '<script lang="ts">const k = "td:last";</script><p>td:last</p>')).toHaveLength(1);
    expect(keySpellings('a.ts', '// td:users\n/** `td:last` */ const x = `${a}td:`; const y = "std:x";')).toEqual([]);
  });

  it('no source outside the contract module spells a key or builds one from the prefix', () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const file of packageSources()) {
      const rel = relative(ROOT, file);
      if (rel === CONTRACT || ALLOWED[rel]) continue;
      checked += 1;
      const text = readFileSync(file, 'utf8');
      // Only files that could hold one are parsed: a hit needs one of these two texts.
      if (!text.includes('td:') && !text.includes('${prefix}')) continue;
      for (const hit of keySpellings(rel, text)) offenders.push(`${rel} ${hit}`);
    }
    expect(checked).toBeGreaterThan(100);
    expect(offenders).toEqual([]);
  }, 60_000);

  it('the contract module itself spells every family (the scan would notice it)', () => {
    expect(keySpellings(CONTRACT, readFileSync(join(ROOT, CONTRACT), 'utf8')).length).toBeGreaterThan(5);
  });
});
