import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_AUDIT_KEY } from '../app.test-util.js';
import auditRoutes from './audit.js';
import { AS, bearer, SYMBOL, useRouteApp } from './route.test-util.js';

/** The standalone verifier compliance runs on an export (Node built-ins only, no desk code). */
const SCRIPT = fileURLToPath(new URL('../../../../scripts/verify-audit-export.mjs', import.meta.url));
const t = useRouteApp([auditRoutes]);
const dir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Six records of six alerts, one with a detail holding a comma and a quote (CSV quoting). */
async function seed(): Promise<void> {
  for (let i = 1; i <= 6; i++)
    await t.app.deps.audit.append({
      alertId: `a${i}`,
      trader: 'alice',
      symbol: SYMBOL,
      event: 'fired',
      ...(i === 3 ? { detail: 'to=bob, reason="away"' } : {}),
      stanzaHash: '',
    });
}

async function exported(format: 'jsonl' | 'csv'): Promise<{ body: string; seq: string; hash: string }> {
  const res = await t.app.inject({ url: `/v1/audit/export?format=${format}`, headers: bearer(AS.compliance) });
  expect(res.statusCode).toBe(200);
  return {
    body: res.body,
    seq: String(res.headers['x-audit-head-seq']),
    hash: String(res.headers['x-audit-head-hash']),
  };
}

/** Runs the script on `body` saved as a file; its exit code and what it printed. */
async function verify(body: string, ext: string, args: string[] = ['--key', TEST_AUDIT_KEY.key]) {
  const file = join(dir, `export-${Math.random().toString(36).slice(2)}.${ext}`);
  writeFileSync(file, body);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, file, ...args]);
    return { code: 0, out: stdout.trim() };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}`.trim() };
  }
}

const lines = (body: string) => body.split('\n').filter((l) => l !== '');

describe('scripts/verify-audit-export.mjs on a real export', () => {
  it('accepts an untouched JSON Lines and CSV export, checked against the head the export named', async () => {
    await seed();
    for (const format of ['jsonl', 'csv'] as const) {
      const { body, seq, hash } = await exported(format);
      const res = await verify(body, format, ['--key', TEST_AUDIT_KEY.key, '--head-seq', seq, '--head-hash', hash]);
      expect(res).toEqual({ code: 0, out: `OK: 6 records (seq 1 to 6), 6 keyed; head ${hash}` });
    }
  });

  it('names the first bad record of an edited, a deleted and a reordered export', async () => {
    await seed();
    const { body, seq } = await exported('jsonl');
    const rows = lines(body);
    const edited = [...rows];
    edited[3] = edited[3]!.replace('"trader":"alice"', '"trader":"bob"');
    expect(await verify(edited.join('\n'), 'jsonl')).toEqual({
      code: 1,
      out: 'BROKEN at record 4: record 4 was altered: its HMAC does not match its content',
    });
    const deleted = rows.filter((_, i) => i !== 2);
    expect(await verify(deleted.join('\n'), 'jsonl')).toEqual({
      code: 1,
      out: 'BROKEN at record 3: record 3 is missing (the next record is 4)',
    });
    const reordered = [rows[0], rows[1], rows[3], rows[2], rows[4], rows[5]];
    expect(await verify(reordered.join('\n'), 'jsonl')).toEqual({
      code: 1,
      out: 'BROKEN at record 3: record 3 is out of order: record 4 comes before it',
    });
    // The tail cut: only the head the export named shows it.
    const cut = await verify(rows.slice(0, 5).join('\n'), 'jsonl', ['--key', TEST_AUDIT_KEY.key, '--head-seq', seq]);
    expect(cut).toEqual({
      code: 1,
      out: "BROKEN at record 6: record 6 is missing: the file ends at seq 5 but the export's head is seq 6",
    });
  });

  it('a CSV edit is caught too; without the key, or with another, nothing passes', async () => {
    await seed();
    const { body } = await exported('csv');
    const edited = await verify(body.replace('to=bob', 'to=eve'), 'csv');
    expect(edited.code).toBe(1);
    expect(edited.out).toMatch(/^BROKEN at record 3: record 3 was altered/);
    const keyless = await verify(body, 'csv', []);
    expect(keyless.code).toBe(1);
    expect(keyless.out).toMatch(/^BROKEN at record 1: .*needs the audit key/);
    const other = await verify(body, 'csv', ['--key', 'x'.repeat(43)]);
    expect(other.code).toBe(1);
    expect(other.out).toMatch(/^BROKEN at record 1: .*another key/);
  });

  it('reads the key from a credentials file', async () => {
    await seed();
    const creds = join(dir, 'credentials.json');
    writeFileSync(creds, JSON.stringify({ audit: TEST_AUDIT_KEY }));
    expect((await verify((await exported('jsonl')).body, 'jsonl', ['--key-file', creds])).code).toBe(0);
  });
});
