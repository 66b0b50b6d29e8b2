import { describe, expect, it } from 'vitest';
import { alertHops, type HopInput } from './alert-hops.js';
import { HOP_BUCKETS_MS, hopStats } from './hop-stats.js';

const T = '2026-12-06T19:00:0';
/** A whole lifecycle: event .100100, ingest .101900, fired .103, sent .104, acked .106, delivered .109, displayed .400, acknowledged 1.250. */
const whole = (): HopInput => ({
  eventTime: `${T}0.100100Z`,
  ingestTime: `${T}0.101900Z`,
  firedAt: `${T}0.103Z`,
  lifecycle: [
    { event: 'fired', at: `${T}0.103Z` },
    { event: 'sent', at: `${T}0.104Z`, detail: 'to=alice' },
    { event: 'server-acked', at: `${T}0.106Z` },
    { event: 'delivered', at: `${T}0.109Z` },
    { event: 'displayed', at: `${T}0.400Z` },
    { event: 'acknowledged', at: `${T}1.250Z` },
  ],
});

describe('alertHops: tick to acknowledge, per hop, in whole ms', () => {
  it('gives every hop of a whole lifecycle, each time taken at 1 ms granularity', () => {
    expect(alertHops(whole())).toEqual({
      eventToIngest: 1, // 100 → 101: the µs are dropped before subtracting, not after
      ingestToFired: 2,
      firedToSent: 1,
      sentToServerAcked: 2,
      sentToDelivered: 5,
      deliveredToDisplayed: 291,
      displayedToAcknowledged: 850,
      tickToAcknowledged: 1150,
    });
  });

  it('leaves a hop out when either end is missing, never 0', () => {
    const a = whole();
    delete a.ingestTime; // an alert stored before ingest times were kept
    a.lifecycle = a.lifecycle.filter((s) => s.event !== 'server-acked' && s.event !== 'displayed');
    const hops = alertHops(a);
    expect(hops).toEqual({
      firedToSent: 1,
      sentToDelivered: 5,
      tickToAcknowledged: 1150,
    });
    expect(Object.keys(alertHops({ ...whole(), lifecycle: [] })).sort()).toEqual(['eventToIngest', 'ingestToFired']);
  });

  it('a pending or suppressed alert has only the tick side', () => {
    const a = whole();
    a.lifecycle = [{ event: 'suppressed', at: `${T}0.103Z`, detail: 'cap=rule' }];
    expect(alertHops(a)).toEqual({ eventToIngest: 1, ingestToFired: 2 });
  });

  it('times from the first transmission: a resend or an escalation later does not move it', () => {
    const a = whole();
    a.lifecycle = [
      { event: 'fired', at: `${T}0.103Z` },
      { event: 'sent', at: `${T}0.104Z` },
      { event: 'resent', at: `${T}5.104Z` },
      { event: 'server-acked', at: `${T}5.106Z` },
      { event: 'delivered', at: `${T}5.110Z` },
    ];
    expect(alertHops(a)).toMatchObject({ firedToSent: 1, sentToServerAcked: 5002, sentToDelivered: 5006 });
    // Routed straight to the backup (the addressee offline): that first message is the send.
    a.lifecycle = [
      { event: 'fired', at: `${T}0.103Z` },
      { event: 'escalated', at: `${T}0.105Z`, detail: 'to=bob' },
      { event: 'delivered', at: `${T}0.120Z` },
    ];
    expect(alertHops(a)).toMatchObject({ firedToSent: 2, sentToDelivered: 15 });
  });

  it('takes the first of a repeated step (a second server ack after a resend)', () => {
    const a = whole();
    a.lifecycle.splice(3, 0, { event: 'server-acked', at: `${T}0.900Z` });
    expect(alertHops(a).sentToServerAcked).toBe(2);
  });

  it('a hold for a busy trader is part of fired → sent', () => {
    const a = whole();
    a.lifecycle.splice(1, 0, { event: 'held', at: `${T}0.103Z` }, { event: 'released', at: `${T}9.000Z` });
    a.lifecycle[3] = { event: 'sent', at: `${T}9.001Z` };
    expect(alertHops(a).firedToSent).toBe(8898);
  });

  it('a hop whose end was recorded before its start (displayed after acknowledged) is absent', () => {
    const a = whole();
    a.lifecycle = [
      { event: 'fired', at: `${T}0.103Z` },
      { event: 'sent', at: `${T}0.104Z` },
      { event: 'delivered', at: `${T}0.109Z` },
      { event: 'acknowledged', at: `${T}0.300Z` },
      { event: 'displayed', at: `${T}0.310Z` },
    ];
    const hops = alertHops(a);
    expect(hops.displayedToAcknowledged).toBeUndefined();
    expect(hops.deliveredToDisplayed).toBe(201); // late, but after the receipt: it is measured
    expect(hops.tickToAcknowledged).toBe(200);
  });

  it('reports a venue clock ahead of ours as it is: a negative event → ingest shows the skew', () => {
    const a = whole();
    a.eventTime = `${T}0.150000Z`;
    expect(alertHops(a)).toMatchObject({ eventToIngest: -49, tickToAcknowledged: 1100 });
  });

  it('ignores a malformed time rather than inventing a hop', () => {
    const a = whole();
    a.ingestTime = 'yesterday';
    const hops = alertHops(a);
    expect(hops.eventToIngest).toBeUndefined();
    expect(hops.ingestToFired).toBeUndefined();
    expect(hops.firedToSent).toBe(1);
  });
});

describe('hopStats: nearest-rank percentiles and a fixed histogram', () => {
  it('answers exact sample values: p50, p90, p99, max and the count', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 1..200, shuffled order
    const s = hopStats(values);
    expect(s).toMatchObject({ count: 200, p50: 100, p90: 180, p99: 198, max: 200 });
    expect(s.buckets).toHaveLength(HOP_BUCKETS_MS.length + 1);
    expect(s.buckets.reduce((x, y) => x + y, 0)).toBe(200);
  });

  it('puts each value in the first bucket whose bound it does not exceed, the rest past the last', () => {
    const s = hopStats([-3, 0, 1, 2, 3, 7, 60_000, 10_000_000]);
    expect(s.buckets[0]).toBe(3); // ≤ 1 ms, a negative skew included
    expect(s.buckets[1]).toBe(1); // ≤ 2
    expect(s.buckets[2]).toBe(1); // ≤ 5
    expect(s.buckets[3]).toBe(1); // ≤ 10
    expect(s.buckets[HOP_BUCKETS_MS.indexOf(60_000)]).toBe(1);
    expect(s.buckets[HOP_BUCKETS_MS.length]).toBe(1);
  });

  it('an empty sample has a count of 0 and no percentiles', () => {
    const s = hopStats([]);
    expect(s.count).toBe(0);
    expect(s).not.toHaveProperty('p50');
    expect(s).not.toHaveProperty('max');
    expect(s.buckets.every((b) => b === 0)).toBe(true);
  });

  it('one value is every percentile', () => {
    expect(hopStats([42])).toMatchObject({ count: 1, p50: 42, p90: 42, p99: 42, max: 42 });
  });
});
