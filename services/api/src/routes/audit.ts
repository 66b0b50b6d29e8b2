import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TLiteral } from '@sinclair/typebox';
import { StoreError, type AuditChain, type AuditQuery, type AuditRecord } from '@tickdesk/alerts';
import { AUDIT_EVENTS, parseTimestamp, SYMBOL_PATTERN, TIMESTAMP_PATTERN } from '@tickdesk/schemas';
import { AuditVerdict } from '@tickdesk/schemas/rest';
import type { Role } from '../deps.js';
import { badRequest, errorResponses } from '../errors.js';
import { BEARER } from '../plugins/openapi.js';

const HEX64 = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** One link of the tamper-evident chain (services/alerts/src/store/audit-record.ts says what its hash covers). */
const AuditRecordSchema = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  time: Type.String(),
  alertId: Type.String(),
  trader: Type.String(),
  symbol: Type.String(),
  event: Type.Union(AUDIT_EVENTS.map<TLiteral<(typeof AUDIT_EVENTS)[number]>>((e) => Type.Literal(e))),
  detail: Type.Optional(Type.String()),
  stanzaHash: Type.String(),
  prevHash: HEX64,
  /** HMAC-SHA256 with the desk's audit key when keyId is set, else (a record from before the key) a plain SHA-256. */
  hash: HEX64,
  /** The id of the audit key the hash was made with; absent on an unkeyed record. */
  keyId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
});

const Filters = {
  /** Record time ≥ from. */
  from: Type.Optional(Type.String({ pattern: TIMESTAMP_PATTERN })),
  /** Record time < to. */
  to: Type.Optional(Type.String({ pattern: TIMESTAMP_PATTERN })),
  trader: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  symbol: Type.Optional(Type.String({ pattern: SYMBOL_PATTERN })),
  alertId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** Only records after this seq: the `next` of the previous page. */
  cursor: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
};
const DEFAULT_LIMIT = 100;
const QueryQuery = Type.Object({
  ...Filters,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_LIMIT })),
});
const ExportQuery = Type.Object({
  ...Filters,
  format: Type.Optional(Type.Union([Type.Literal('jsonl'), Type.Literal('csv')], { default: 'jsonl' })),
});
const AuditPage = Type.Object({ records: Type.Array(AuditRecordSchema), next: Type.Optional(Type.Integer()) });

const errors = errorResponses(400, 401, 403);
const AUDITORS: Role[] = ['compliance', 'admin'];

type Filter = { from?: string; to?: string; trader?: string; symbol?: string; alertId?: string; cursor?: number };

/** The chain query for the filters; a 400 for an impossible date (the pattern lets 2026-02-31 through). */
function toQuery(f: Filter): AuditQuery {
  for (const [name, value] of [
    ['from', f.from],
    ['to', f.to],
  ] as const) {
    if (value !== undefined && parseTimestamp(value) === undefined)
      throw badRequest(`${name} is not a real time: ${value}`);
  }
  return {
    ...(f.from !== undefined ? { fromTime: f.from } : {}),
    ...(f.to !== undefined ? { toTime: f.to } : {}),
    ...(f.trader !== undefined ? { trader: f.trader } : {}),
    ...(f.symbol !== undefined ? { symbol: f.symbol } : {}),
    ...(f.alertId !== undefined ? { alertId: f.alertId } : {}),
    ...(f.cursor !== undefined ? { afterSeq: f.cursor } : {}),
  };
}

export const CSV_COLUMNS = [
  'seq',
  'time',
  'alertId',
  'trader',
  'symbol',
  'event',
  'detail',
  'stanzaHash',
  'prevHash',
  'hash',
  'keyId',
] as const;

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLine = (r: AuditRecord) => `${CSV_COLUMNS.map((c) => csvField(r[c])).join(',')}\r\n`;
// The record's own key order (seq … hash), whatever order the store built it in.
const jsonLine = (r: AuditRecord) =>
  `${JSON.stringify(Object.fromEntries(CSV_COLUMNS.filter((c) => r[c] !== undefined).map((c) => [c, r[c]])))}\n`;

/**
 * The export's lines, a page of the chain at a time (constant memory), up to the head
 * read when it started so that a verifier can check the file against the stated head.
 * The first page is read before anything is sent: a bad filter is still a 400.
 */
async function exportLines(
  chain: AuditChain,
  query: AuditQuery,
  format: 'jsonl' | 'csv',
  headSeq: number,
): Promise<AsyncIterable<string>> {
  const records = chain.iterate(query)[Symbol.asyncIterator]();
  const first = await records.next();
  const line = format === 'csv' ? csvLine : jsonLine;
  return (async function* () {
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
    try {
      for (let r = first; !r.done && r.value.seq <= headSeq; r = await records.next()) yield line(r.value);
    } finally {
      await records.return?.();
    }
  })();
}

/** The audit chain, for compliance and admin: query, verify, export. */
export default async function auditRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['audit'], security: BEARER };
  const { audit, log } = app.deps;

  app.get(
    '/audit',
    {
      onRequest: [app.authenticate, app.requireRole(...AUDITORS)],
      schema: {
        ...common,
        summary:
          'Audit records in chain order, filtered by time, trader, instrument and alert; pass `next` back as `cursor`',
        querystring: QueryQuery,
        response: { 200: AuditPage, ...errors },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const query = toQuery(request.query);
      try {
        const records = await audit.range({ ...query, limit });
        const last = records[records.length - 1];
        return { records, ...(records.length === limit && last ? { next: last.seq } : {}) };
      } catch (err) {
        if (err instanceof StoreError) throw badRequest(err.message);
        throw err;
      }
    },
  );

  app.get(
    '/audit/verify',
    {
      onRequest: [app.authenticate, app.requireRole(...AUDITORS)],
      schema: {
        ...common,
        summary:
          "Recompute the chain (HMACs with the desk's audit key): ok with its head and how many records are keyed, or the first broken record and why",
        response: { 200: AuditVerdict, ...errorResponses(401, 403) },
      },
    },
    async () => audit.verify(),
  );

  app.get(
    '/audit/export',
    {
      onRequest: [app.authenticate, app.requireRole(...AUDITORS)],
      schema: {
        ...common,
        summary: 'Export the (filtered) chain as JSON Lines or CSV, streamed; X-Audit-Head-* name the head it ends at',
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The records in chain order, streamed',
            content: {
              'application/x-ndjson': {
                schema: Type.String({ description: 'One JSON record per line (format=jsonl)' }),
              },
              'text/csv': {
                schema: Type.String({
                  description: `A header row (${CSV_COLUMNS.join(',')}), then one record per CRLF-ended row, RFC 4180 quoting (format=csv)`,
                }),
              },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? 'jsonl';
      const head = await audit.head();
      const query = toQuery(request.query);
      let lines: AsyncIterable<string>;
      try {
        lines = await exportLines(audit, query, format, head.seq);
      } catch (err) {
        if (err instanceof StoreError) throw badRequest(err.message);
        throw err;
      }
      const stream = Readable.from(lines, { objectMode: false });
      stream.on('error', (err) => log.error({ err }, 'audit export failed mid-stream'));
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('content-disposition', `attachment; filename="audit-${stamp}.${format}"`)
        .header('x-audit-head-seq', String(head.seq))
        .header('x-audit-head-hash', head.hash)
        .send(stream);
    },
  );
}
