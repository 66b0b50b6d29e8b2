import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { createAuditLive, type LiveAuditRecord } from './audit-live.js';

const rec = (seq: number, event = 'sent'): LiveAuditRecord => ({
  seq,
  time: '2026-11-21T10:00:00.000Z',
  alertId: 'a1',
  trader: 'alice',
  symbol: 'BTCUSDT',
  event,
});
const frame = (r: LiveAuditRecord) => `id: ${r.seq}\nevent: audit\ndata: ${JSON.stringify(r)}\n\n`;

/** A fetch that answers each call with the next script: chunks of SSE text, then the stream ends (or a status). */
function fakeFetch(scripts: Array<string[] | number>) {
  const calls: Array<Record<string, string>> = [];
  const fetch = (_url: string, init?: RequestInit) => {
    calls.push({ ...(init?.headers as Record<string, string>) });
    const script = scripts.shift() ?? [];
    if (typeof script === 'number') return Promise.resolve(new Response(null, { status: script }));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of script) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    });
    return Promise.resolve(new Response(body, { status: 200 }));
  };
  return { fetch, calls };
}
const timers = { set: (fn: () => void) => setTimeout(fn, 1), clear: (h: unknown) => clearTimeout(h as number) };
const settle = () => new Promise((r) => setTimeout(r, 30));

describe('the live audit feed', () => {
  it('parses records split across chunks, newest first, and resumes after the last seq it saw', async () => {
    const whole = frame(rec(7)) + frame(rec(8, 'delivered'));
    const { fetch, calls } = fakeFetch([
      [': connected\n\n', whole.slice(0, 40), whole.slice(40), ': heartbeat\n\n'],
      [frame(rec(9, 'acknowledged'))],
      403,
    ]);
    const live = createAuditLive({ fetch, token: () => 'T', timers });
    const seen: number[] = [];
    live.on('records', (rs) => seen.push(...rs.map((r) => r.seq)));
    live.start();
    await settle();
    expect(seen).toEqual([7, 8, 9]);
    expect(get(live.view).records.map((r) => r.seq)).toEqual([9, 8, 7]);
    expect(calls.map((h) => h['last-event-id'])).toEqual([undefined, '8', '9']);
    expect(calls[0]!.authorization).toBe('Bearer T');
    // 403 (not compliance): it stops trying.
    expect(get(live.view).state).toBe('off');
    live.clear();
    expect(get(live.view).records).toEqual([]);
  });
});
