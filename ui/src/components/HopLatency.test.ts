import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { HOP_BUCKETS_MS, type HopLatency as Latency } from '@tickdesk/schemas/rest';
import { deskContext } from '../lib/desk-context.js';
import { choose, fakeDesk, json, settle } from '../test/fakes.js';
import HopLatency from './HopLatency.svelte';

const empty = () => ({ count: 0, buckets: HOP_BUCKETS_MS.map(() => 0).concat(0) });
/** Two alerts: every hop, with sent → delivered at 3 and 40 ms. */
function answer(from: string, to: string): Latency {
  const some = (p50: number, p99: number) => {
    const buckets = empty().buckets;
    buckets[HOP_BUCKETS_MS.findIndex((b) => p50 <= b)]! += 1;
    buckets[HOP_BUCKETS_MS.findIndex((b) => p99 <= b)]! += 1;
    return { count: 2, p50, p90: p99, p99, max: p99, buckets };
  };
  return {
    from,
    to,
    sampled: 2,
    truncated: false,
    bucketsMs: [...HOP_BUCKETS_MS],
    hops: {
      eventToIngest: some(0, 1),
      ingestToFired: some(2, 4),
      firedToSent: some(1, 1),
      sentToServerAcked: some(1, 2),
      sentToDelivered: some(3, 40),
      deliveredToDisplayed: empty(),
      displayedToAcknowledged: empty(),
      tickToAcknowledged: some(900, 1800),
    },
  };
}

function deskAnswering(respond: (q: URLSearchParams) => Response) {
  const queries: URLSearchParams[] = [];
  const t = fakeDesk({
    routes: {
      'GET /alerts/latency': ({ query }) => (queries.push(query), respond(query)),
    },
  });
  return { t, queries };
}

const row = (hop: string) => screen.getAllByTestId('hop-row').find((r) => r.dataset.hop === hop)!;
const cell = (hop: string, what: string) => row(hop).querySelector(`[data-testid="hop-${what}"]`)!.textContent.trim();

describe('the per-hop latency distribution', () => {
  it('reads the last hour on mount and shows each hop in order with p50, p99, max and a histogram', async () => {
    const { t, queries } = deskAnswering((q) => json(200, answer(q.get('from')!, q.get('to')!)));
    render(HopLatency, { context: deskContext(t.desk) });
    await settle();
    expect(queries.map((q) => [q.get('from'), q.get('to')])).toEqual([
      ['2026-11-21T09:00:00.000Z', '2026-11-21T10:00:00.000Z'],
    ]);
    expect(screen.getAllByTestId('hop-row').map((r) => r.dataset.hop)).toEqual([
      'eventToIngest',
      'ingestToFired',
      'firedToSent',
      'sentToServerAcked',
      'sentToDelivered',
      'deliveredToDisplayed',
      'displayedToAcknowledged',
      'tickToAcknowledged',
    ]);
    expect([cell('sentToDelivered', 'p50'), cell('sentToDelivered', 'p99'), cell('sentToDelivered', 'max')]).toEqual([
      '3 ms',
      '40 ms',
      '40 ms',
    ]);
    expect(cell('tickToAcknowledged', 'p99')).toBe('1.8 s');
    expect(cell('sentToDelivered', 'count')).toBe('2');
    const bars = [...row('sentToDelivered').querySelectorAll<HTMLElement>('[data-testid="hop-bar"]')];
    expect(bars).toHaveLength(HOP_BUCKETS_MS.length + 1);
    expect(bars.filter((b) => b.dataset.count === '1').map((b) => b.title)).toEqual(['≤ 5 ms: 1', '≤ 50 ms: 1']);
    expect(screen.getByTestId('hop-latency-summary').textContent).toContain('2 alerts');
  });

  it('a hop no alert has shows a dash, not 0', async () => {
    const { t } = deskAnswering((q) => json(200, answer(q.get('from')!, q.get('to')!)));
    render(HopLatency, { context: deskContext(t.desk) });
    await settle();
    expect(cell('deliveredToDisplayed', 'p50')).toBe('—');
    expect(cell('deliveredToDisplayed', 'p99')).toBe('—');
    expect(cell('deliveredToDisplayed', 'count')).toBe('0');
  });

  it('a chosen window reads that window again; a truncated sample says so', async () => {
    const { t, queries } = deskAnswering((q) =>
      json(200, { ...answer(q.get('from')!, q.get('to')!), sampled: 10_000, truncated: true }),
    );
    render(HopLatency, { context: deskContext(t.desk) });
    await settle();
    choose(screen.getByTestId('hop-latency-window'), String(86_400_000));
    await settle();
    expect(queries.at(-1)?.get('from')).toBe('2026-11-20T10:00:00.000Z');
    expect(screen.getByTestId('hop-latency-summary').textContent).toMatch(/newest 10000 alerts/);
  });

  it("shows the server's refusal", async () => {
    const { t } = deskAnswering(() =>
      json(422, { code: 'TICKDESK_API_INVALID_WINDOW', message: 'the window must be at most 24 h' }),
    );
    render(HopLatency, { context: deskContext(t.desk) });
    await settle();
    expect(screen.getByRole('alert').textContent).toContain('the window must be at most 24 h');
    expect(screen.queryAllByTestId('hop-row')).toHaveLength(0);
  });
});
