import { describe, expect, it } from 'vitest';
import { decodeBar, encodeBar } from './bar-codec.js';
import type { Bar } from './bar.js';

const bar = (o: Partial<Bar> = {}): Bar => ({
  symbol: 'IOT.X',
  interval: '1s',
  start: '2026-12-06T15:00:00.000000Z',
  open: '-18.5',
  high: '0',
  low: '-19.25',
  close: '-0.5',
  volume: '0',
  trades: 4,
  ...o,
});

describe('bar codec', () => {
  it('round-trips a sensor bar with negative and zero values exactly (kind="sensor")', () => {
    const el = encodeBar(bar(), 'sensor');
    expect(el.attrs.kind).toBe('sensor');
    expect(decodeBar(el)).toEqual({ ok: true, value: bar() });
  });

  it('refuses zero or negative prices in a market bar, and a malformed or unknown kind', () => {
    expect(decodeBar(encodeBar(bar()))).toMatchObject({ ok: false, reason: 'invalid open' });
    expect(decodeBar(encodeBar(bar({ open: '1', low: '1', close: '1', high: '0' })))).toMatchObject({ ok: false });
    const market = bar({ open: '65000', high: '65001.5', low: '64999', close: '65000.25' });
    expect(decodeBar(encodeBar(market))).toEqual({ ok: true, value: market });
    expect(decodeBar(encodeBar(bar({ low: '-0' }), 'sensor'))).toMatchObject({ ok: false, reason: 'invalid low' });
    const el = encodeBar(market);
    el.attrs.kind = 'market';
    expect(decodeBar(el)).toMatchObject({ ok: false, reason: 'invalid kind' });
  });
});
