#!/usr/bin/env node
// Verifies an audit export (GET /v1/audit/export, JSON Lines or CSV) offline, with Node's
// built-ins only: no desk code, no Redis, no network. docs/alerts-protocol.md, "Verifying an
// export offline", says what it checks and where compliance gets the key, head and anchor.
//
//   node verify-audit-export.mjs <export.jsonl|export.csv> [--key <base64url> | --key-file <credentials.json>]
//        [--keyed-from <seq>] [--head-seq <n> --head-hash <hex>] [--anchor <audit-anchor.json>]
//
// Exit 0: intact (prints the record count and the head); 1: broken (prints the first bad
// record's seq and why); 2: the command line or the file could not be used.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const GENESIS = '0'.repeat(64);
const HEX64 = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{16}$/;
const MS_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;
const COLUMNS = [
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
];

function fail(message) {
  process.stderr.write(`verify-audit-export: ${message}\n`);
  process.exit(2);
}

/** RFC 4180: CRLF-ended rows, a quoted field may hold commas, quotes (doubled) and line breaks. */
function csvRows(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(field), (field = ''));
    else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      (row.push(field), rows.push(row), (row = []), (field = ''));
    } else field += c;
  }
  if (field !== '' || row.length > 0) (row.push(field), rows.push(row));
  return rows;
}

/** The export's records in file order; a line that cannot be read is an Error in its place. */
function readExport(path) {
  const text = readFileSync(path, 'utf8');
  if (text.startsWith(`${COLUMNS[0]},`)) {
    const [header, ...rows] = csvRows(text);
    if (header.join(',') !== COLUMNS.join(',')) fail(`${path}: not an audit CSV export (header ${header.join(',')})`);
    return rows.map((cells, i) => {
      if (cells.length !== COLUMNS.length) return new Error(`CSV row ${i + 2} has ${cells.length} fields`);
      // Empty cells are absent optional fields (detail, keyId); stanzaHash may be empty itself.
      const r = Object.fromEntries(
        COLUMNS.map((c, j) => [c, cells[j]]).filter(([c, v]) => v !== '' || (c !== 'detail' && c !== 'keyId')),
      );
      return { ...r, seq: /^[0-9]+$/.test(r.seq ?? '') ? Number(r.seq) : r.seq };
    });
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        return new Error(`line ${i + 1} is not JSON`);
      }
    });
}

/** The exact bytes a record's hash covers (services/alerts/src/store/audit-record.ts canonicalRecord). */
const canonical = (r) =>
  JSON.stringify([r.seq, r.time, r.alertId, r.trader, r.symbol, r.event, r.detail ?? '', r.stanzaHash, r.prevHash]);

function loadKey(args) {
  let key = args.key;
  let keyedFrom = args['keyed-from'] !== undefined ? Number(args['keyed-from']) : undefined;
  if (args['key-file']) {
    const creds = JSON.parse(readFileSync(args['key-file'], 'utf8'));
    key ??= creds.audit?.key;
    keyedFrom ??= creds.audit?.keyedFrom;
    if (!key) fail(`${args['key-file']} holds no audit.key`);
  }
  if (key === undefined) return undefined;
  const bytes = Buffer.from(key, 'base64url');
  if (bytes.length < 32) fail('the audit key must be at least 32 bytes, base64url');
  const id = createHash('sha256').update('tickdesk audit key id\0').update(bytes).digest('hex').slice(0, 16);
  return { bytes, id, keyedFrom };
}

/** Why record `r`, where seq `at` belongs, breaks the chain after `last`; undefined when it links on. */
function problem(r, at, last, key, lastKeyed, first, seqs) {
  if (r instanceof Error) return `record ${at} cannot be read: ${r.message}`;
  if (!Number.isSafeInteger(r.seq)) return `record ${at} has no valid seq`;
  for (const f of ['time', 'alertId', 'trader', 'symbol', 'event', 'stanzaHash', 'prevHash', 'hash'])
    if (typeof r[f] !== 'string') return `record ${r.seq} lacks ${f}`;
  const readAs = r.seq === at ? '' : ` (read as seq ${r.seq})`;
  if (r.keyId !== undefined) {
    if (!KEY_ID.test(r.keyId)) return `record ${at}${readAs} names no valid key id`;
    if (!key) return `record ${at} is keyed (key ${r.keyId}): verifying it needs the audit key (--key or --key-file)`;
    if (r.keyId !== key.id) return `record ${at} is keyed with another key (${r.keyId}), not this one (${key.id})`;
  } else if (key?.keyedFrom !== undefined && r.seq >= key.keyedFrom) {
    return `record ${at}${readAs} is not keyed, but every record from seq ${key.keyedFrom} is: it was rewritten without the key`;
  } else if (lastKeyed > 0) {
    return `record ${at}${readAs} is not keyed, but record ${lastKeyed} before it is: it was rewritten without the key`;
  }
  const expected =
    r.keyId !== undefined
      ? createHmac('sha256', key.bytes).update(canonical(r), 'utf8').digest('hex')
      : createHash('sha256').update(canonical(r), 'utf8').digest('hex');
  if (expected !== r.hash)
    return `record ${at}${readAs} was altered: its ${r.keyId !== undefined ? 'HMAC' : 'hash'} does not match its content`;
  if (first) return undefined; // the first record of an export that starts after seq 1: its own link is not in the file
  if (r.seq > at)
    return seqs.has(at)
      ? `record ${at} is out of order: record ${r.seq} comes before it`
      : `record ${at} is missing (the next record is ${r.seq})`;
  if (r.seq !== at) return `record ${r.seq} is repeated or out of order where ${at} was expected`;
  if (r.prevHash !== last.hash)
    return `record ${at}: prevHash does not match the hash of ${at === 1 ? 'the genesis (64 zeros)' : `record ${at - 1}`}`;
  if (!MS_TIME.test(r.time)) return `record ${at}: malformed time ${JSON.stringify(r.time)}`;
  if (r.time < last.time) return `record ${at}: time ${r.time} is earlier than record ${at - 1}'s ${last.time}`;
  if (!HEX64.test(r.prevHash)) return `record ${at}: prevHash is not 64 hex digits`;
  return undefined;
}

function verify(records, { key, head, anchor }) {
  let last = { seq: 0, hash: GENESIS, time: '' };
  let lastKeyed = 0;
  let keyed = 0;
  const broken = (seq, reason) => ({ ok: false, seq, reason });
  const seqs = new Set(records.map((r) => r?.seq));
  for (const [i, r] of records.entries()) {
    // An export that starts after seq 1 (a `cursor` or `from` filter) is checked from its first record on.
    const first = i === 0 && !(r instanceof Error) && Number.isSafeInteger(r.seq) && r.seq > 1;
    const at = first ? r.seq : last.seq + 1;
    const why = problem(r, at, last, key, lastKeyed, first, seqs);
    if (why) return broken(at, why);
    if (anchor && r.seq === anchor.seq && r.hash !== anchor.hash)
      return broken(
        r.seq,
        `record ${r.seq} is not the one anchored at ${anchor.at}: the chain was replaced from there`,
      );
    last = { seq: r.seq, hash: r.hash, time: r.time };
    if (r.keyId !== undefined) ((lastKeyed = r.seq), keyed++);
  }
  if (head) {
    if (head.seq > last.seq)
      return broken(
        last.seq + 1,
        `record ${last.seq + 1} is missing: the file ends at seq ${last.seq} but the export's head is seq ${head.seq}`,
      );
    if (head.seq < last.seq)
      return broken(head.seq + 1, `record ${head.seq + 1} lies past the export's head (seq ${head.seq})`);
    if (head.hash !== undefined && head.hash !== last.hash)
      return broken(last.seq, `record ${last.seq}: its hash does not match the export's head`);
  }
  if (anchor && last.seq < anchor.seq)
    return broken(
      last.seq + 1,
      `records ${last.seq + 1} to ${anchor.seq} are missing: seq ${anchor.seq} was anchored at ${anchor.at}`,
    );
  return { ok: true, records: records.length, first: records[0]?.seq, last: last.seq, head: last.hash, keyed };
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    key: { type: 'string' },
    'key-file': { type: 'string' },
    'keyed-from': { type: 'string' },
    'head-seq': { type: 'string' },
    'head-hash': { type: 'string' },
    anchor: { type: 'string' },
  },
});
if (positionals.length !== 1)
  fail(
    'usage: verify-audit-export.mjs <export.jsonl|export.csv> [--key <base64url> | --key-file <credentials.json>] [--keyed-from <seq>] [--head-seq <n> --head-hash <hex>] [--anchor <audit-anchor.json>]',
  );
let records;
try {
  records = readExport(positionals[0]);
} catch (err) {
  fail(`${positionals[0]}: ${err.message}`);
}
const head =
  args['head-seq'] !== undefined
    ? { seq: Number(args['head-seq']), ...(args['head-hash'] !== undefined ? { hash: args['head-hash'] } : {}) }
    : undefined;
if (head && !Number.isSafeInteger(head.seq)) fail('--head-seq must be an integer');
const anchor = args.anchor ? JSON.parse(readFileSync(args.anchor, 'utf8')) : undefined;
const result = verify(records, { key: loadKey(args), head, anchor });
if (result.ok) {
  process.stdout.write(
    `OK: ${result.records} records (seq ${result.first ?? '-'} to ${result.last}), ${result.keyed} keyed; head ${result.head}\n`,
  );
} else {
  process.stdout.write(`BROKEN at record ${result.seq}: ${result.reason}\n`);
  process.exitCode = 1;
}
