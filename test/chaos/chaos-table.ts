import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ChaosRow {
  desk: string;
  kill: string;
  /** Alerts received by id / alerts the audit chain records as fired; the rules of the burst in brackets. */
  delivered: number;
  fired: number;
  rules: number;
  /** Alerts stored for the burst's rules with no `fired` record in the audit chain. */
  unrecorded: number;
  duplicatesById: number;
  shownTwice: number;
  chainOk: boolean;
  secondsToWhole: number;
  /** Parts with a standby: seconds from the kill to the first sign of another process doing its work (takeover.ts); Infinity when none. */
  takeoverS?: number;
  /** The feed: seconds until every instrument it published was published again. */
  takeoverAllS?: number;
  /** Items out of order or repeated (analyst), ticks stored twice or out of order (history). */
  disorderAnalyst: number;
  disorderHistory: number;
  ticksLostAnalyst: number;
  ticksLostHistory: number;
  /** Places in the history where ticks are missing: one per lost item (an item carries several ticks when the feed batches). */
  holesHistory: number;
  notes: string;
}

const DOC = fileURLToPath(new URL('../../docs/reliability.md', import.meta.url));
const BEGIN = '<!-- chaos-table:begin (rewritten by test/chaos with TICKDESK_CHAOS_WRITE_DOCS=1) -->';
const END = '<!-- chaos-table:end -->';

const takeover = (s: number | undefined) => (s === undefined ? '–' : Number.isFinite(s) ? s.toFixed(1) : '**none**');

export function renderTable(rows: readonly ChaosRow[], header: string): string {
  const lines = [
    header,
    '',
    '| desk | kill -9 of | delivered / fired (rules) | duplicates by id | shown twice | chain verifies | s to whole | taken over in s | ticks lost: analyst / history | notes |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.desk} | ${r.kill} | ${r.delivered} / ${r.fired} (${r.rules}) | ${r.duplicatesById} | ${r.shownTwice} | ${r.chainOk ? 'yes' : '**no**'} | ${r.secondsToWhole.toFixed(1)} | ${takeover(r.takeoverS)} | ${r.ticksLostAnalyst} / ${r.ticksLostHistory} | ${r.notes} |`,
    ),
  ];
  return lines.join('\n');
}

/** Rewrites the marker section of docs/reliability.md with the table (kept as is without the markers). */
export function writeTable(table: string): void {
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC} has no chaos table markers`);
  writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${table}\n${doc.slice(b)}`);
}
