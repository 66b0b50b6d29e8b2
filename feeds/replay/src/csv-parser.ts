import { ReplayFeedError } from './errors.js';
import { decimalText, integerText, refuse, sideText, timeText, type LineResult } from './fields.js';

/** Accepted header names per field, first match wins (tardis.dev trades use the first). */
const COLUMNS = {
  symbol: ['symbol'],
  timestamp: ['timestamp', 'time'],
  price: ['price'],
  size: ['amount', 'size', 'quantity', 'qty'],
  seq: ['id', 'seq', 'trade_id'],
  side: ['side'],
} as const;
type Field = keyof typeof COLUMNS;
const REQUIRED: readonly Field[] = ['symbol', 'timestamp', 'price', 'size'];

/** RFC 4180 fields; the fast path is a plain split when the line has no quote. */
export function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** Reads the header line and returns a parser for the data lines; columns may come in any order. */
export function createCsvParser(headerLine: string): (line: string) => LineResult {
  const names = splitCsv(headerLine.replace(/^\uFEFF/, '')).map((h) => h.trim().toLowerCase());
  const index = {} as Record<Field, number>;
  for (const field of Object.keys(COLUMNS) as Field[]) {
    index[field] = COLUMNS[field].map((n) => names.indexOf(n)).find((i) => i >= 0) ?? -1;
  }
  const missing = REQUIRED.filter((f) => index[f] < 0);
  if (missing.length > 0) {
    throw new ReplayFeedError(
      'TICKDESK_REPLAY_BAD_HEADER',
      `CSV header lacks ${missing.map((f) => COLUMNS[f].join('|')).join(', ')}: ${JSON.stringify(headerLine)}`,
    );
  }
  const width = names.length;

  return (line) => {
    const cells = splitCsv(line);
    if (cells.length !== width) return refuse(`wrong column count (expected ${width})`);
    const symbol = cells[index.symbol]!.trim();
    if (symbol === '') return refuse('missing symbol');
    const eventTimeMicros = timeText(cells[index.timestamp]!);
    if (eventTimeMicros === undefined) return refuse('bad timestamp');
    const price = decimalText(cells[index.price]!);
    if (price === undefined) return refuse('non-numeric price');
    const size = decimalText(cells[index.size]!);
    if (size === undefined) return refuse('non-numeric size');
    const seqCell = index.seq >= 0 ? cells[index.seq]!.trim() : '';
    const seq = seqCell === '' ? undefined : integerText(seqCell);
    if (seqCell !== '' && seq === undefined) return refuse('non-integer id');
    const side = index.side >= 0 ? sideText(cells[index.side]!) : undefined;
    if (side === null) return refuse('bad side');
    return { ok: true, tick: { symbol, seq, price, size, side, eventTimeMicros } };
  };
}
