import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { auditKeys, GENESIS_HASH, verifyRecords, type AuditEntry, type AuditRecord } from '@tickdesk/alerts';
import { TEST_AUDIT_KEY } from '../app.test-util.js';
import auditRoutes, { csvField, CSV_COLUMNS } from './audit.js';
import { AS, bearer, OTHER_SYMBOL, SYMBOL, useRouteApp } from './route.test-util.js';

const t = useRouteApp([auditRoutes]);

const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  alertId: `a${i}`,
  trader: i % 2 ? 'bob' : 'alice',
  symbol: i % 3 ? SYMBOL : OTHER_SYMBOL,
  event: 'fired',
  stanzaHash: '',
  time: new Date(Date.UTC(2026, 10, 21, 10, 0, i)).toISOString(),
  ...over,
});

/** Records 1…n, one a second from 10:00:01; odd ones bob's, every third on the other instrument. */
async function seed(n: number): Promise<AuditRecord[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => t.app.deps.audit.append(entry(i + 1))));
}

const get = (url: string, as: string = AS.compliance) => t.app.inject({ url, headers: bearer(as) });

/** RFC 4180, enough for the tests: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('GET /v1/audit', () => {
  it('returns records in chain order, filtered, and pages with a cursor', async () => {
    const all = await seed(7);
    const page = async (query: string) =>
      (await get(`/v1/audit${query}`)).json<{ records: AuditRecord[]; next?: number }>();
    expect((await page('')).records).toEqual(all);
    expect((await page('?trader=bob')).records.map((r) => r.seq)).toEqual([1, 3, 5, 7]);
    expect((await page(`?symbol=${OTHER_SYMBOL}`)).records.map((r) => r.seq)).toEqual([3, 6]);
    expect((await page('?alertId=a4')).records.map((r) => r.seq)).toEqual([4]);
    expect((await page('?trader=bob&symbol=BTCUSDT')).records.map((r) => r.seq)).toEqual([1, 5, 7]);
    expect((await page('?from=2026-11-21T10:00:02Z&to=2026-11-21T10:00:04Z')).records.map((r) => r.seq)).toEqual([
      2, 3,
    ]);
    const first = await page('?limit=3');
    expect(first).toMatchObject({ next: 3 });
    const second = await page(`?limit=3&cursor=${first.next}`);
    expect(second.records.map((r) => r.seq)).toEqual([4, 5, 6]);
    expect((await page('?limit=3&cursor=6')).next).toBeUndefined();
  });

  it.each([
    ['a malformed time', '?from=10am'],
    ['an impossible date', '?to=2026-13-01T00:00:00Z'],
    ['a negative cursor', '?cursor=-1'],
    ['a limit of zero', '?limit=0'],
  ])('refuses %s with 400', async (_what, query) => {
    const res = await get(`/v1/audit${query}`);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('TICKDESK_API_BAD_REQUEST');
  });
});

describe('GET /v1/audit/verify', () => {
  it('says ok with the head, or where and why the chain breaks', async () => {
    const all = await seed(5);
    expect((await get('/v1/audit/verify')).json()).toEqual({
      ok: true,
      records: 5,
      head: all[4]!.hash,
      keyed: 5,
      unkeyed: 0,
    });
    await t.client.xdel(auditKeys().log, '3-0');
    const res = await get('/v1/audit/verify', AS.admin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ok: false,
      records: 2,
      brokenSeq: 3,
      reason: expect.stringContaining('record 3 is missing') as string,
    });
  });

  it('names the first record of a tail rewritten in Redis with plain SHA-256 links (no key)', async () => {
    const all = await seed(6);
    const log = auditKeys().log;
    const entries = (await t.client.xrange(log, '-', '+')) as [string, string[]][];
    let prev = GENESIS_HASH;
    const m = t.client.multi().del(log);
    for (const [id, f] of entries) {
      const seq = Number(id.split('-')[0]);
      if (seq < 4) {
        m.xadd(log, id, ...f);
        prev = f[3]!;
        continue;
      }
      const r = JSON.parse(f[1]!) as (string | number)[];
      if (seq === 4) r[3] = 'mallory';
      r[8] = prev;
      prev = createHash('sha256').update(JSON.stringify(r)).digest('hex');
      m.xadd(log, id, 'r', JSON.stringify(r), 'h', prev); // the key id dropped: a plain record
    }
    await m.hset(auditKeys().head, 'hash', prev).exec();
    expect(all).toHaveLength(6);
    expect((await get('/v1/audit/verify')).json()).toEqual({
      ok: false,
      records: 3,
      brokenSeq: 4,
      reason: expect.stringMatching(/^record 4 is not keyed/) as string,
    });
  });

  it('verifies an empty chain', async () => {
    expect((await get('/v1/audit/verify')).json()).toMatchObject({ ok: true, records: 0 });
  });
});

describe('GET /v1/audit/export', () => {
  it('streams JSON Lines that verify against the stated head', async () => {
    await seed(4);
    const res = await get('/v1/audit/export');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-.*\.jsonl"$/);
    const records = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(records[0]!)).toEqual([
      'seq',
      'time',
      'alertId',
      'trader',
      'symbol',
      'event',
      'stanzaHash',
      'prevHash',
      'hash',
      'keyId',
    ]);
    const head = { seq: Number(res.headers['x-audit-head-seq']), hash: String(res.headers['x-audit-head-hash']) };
    expect(verifyRecords(records, head, TEST_AUDIT_KEY)).toMatchObject({ ok: true, records: 4, keyed: 4 });
    // Without the key an export cannot be checked: its records are keyed.
    expect(verifyRecords(records, head)).toMatchObject({ ok: false, brokenSeq: 1 });
  });

  it('streams CSV with a header row and RFC 4180 quoting', async () => {
    await t.app.deps.audit.append(entry(1, { event: 'escalated', detail: 'to=bob, "urgent"' }));
    await t.app.deps.audit.append(entry(2));
    const res = await get('/v1/audit/export?format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    expect(rows[1]![CSV_COLUMNS.indexOf('detail')]).toBe('to=bob, "urgent"');
    expect(rows[2]![CSV_COLUMNS.indexOf('detail')]).toBe('');
    const records = rows.slice(1).map((r): AuditRecord => {
      const o = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]])) as Record<string, string>;
      return {
        ...o,
        seq: Number(o.seq),
        ...(o.detail ? {} : { detail: undefined }),
        ...(o.keyId ? {} : { keyId: undefined }),
      } as unknown as AuditRecord;
    });
    expect(verifyRecords(records, undefined, TEST_AUDIT_KEY)).toMatchObject({ ok: true, records: 2, keyed: 2 });
  });

  it('applies the filters, and pages through a long chain (several store pages)', async () => {
    await Promise.all(
      Array.from({ length: 2_500 }, (_, i) =>
        t.app.deps.audit.append(entry(1, { alertId: `a${i}`, trader: i % 2 ? 'bob' : 'alice', time: undefined })),
      ),
    );
    const all = await get('/v1/audit/export');
    expect(all.body.trimEnd().split('\n')).toHaveLength(2_500);
    const bob = (await get('/v1/audit/export?trader=bob&cursor=100')).body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    expect(bob).toHaveLength(1_200);
    expect(bob.every((r) => r.trader === 'bob' && r.seq > 100)).toBe(true);
  });

  it('sends nothing past the head read when it started', async () => {
    await seed(3);
    await t.client.hset(auditKeys().head, 'seq', '2'); // as if record 3 were appended after the head was read
    const res = await get('/v1/audit/export');
    expect(
      res.body
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as AuditRecord).seq),
    ).toEqual([1, 2]);
    expect(res.headers['x-audit-head-seq']).toBe('2');
  });

  it('refuses a bad filter or format with 400 before streaming', async () => {
    for (const query of ['?format=xml', '?from=2026-02-30T00:00:00Z', '?cursor=x']) {
      const res = await get(`/v1/audit/export${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/json');
    }
  });
});

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    [undefined, ''],
    [42, '42'],
  ] as const)('%j → %j', (value, out) => expect(csvField(value)).toBe(out));
});

describe('authorization: every role against every audit endpoint', () => {
  const expected = { none: 401, trader: 403, analyst: 403, compliance: 200, admin: 200 } as const;
  const rows = ['/v1/audit', '/v1/audit/verify', '/v1/audit/export', '/v1/audit/export?format=csv'].flatMap((url) =>
    (Object.keys(expected) as (keyof typeof expected)[]).map((who) => [url, who, expected[who]] as const),
  );

  it.each(rows)('GET %s as %s → %i', async (url, who, status) => {
    await seed(2);
    const res = await t.app.inject({ url, headers: who === 'none' ? {} : bearer(AS[who]) });
    expect(res.statusCode, res.body).toBe(status);
    if (status >= 400) expect(Object.keys(res.json()).sort()).toEqual(['code', 'message']);
  });
});
