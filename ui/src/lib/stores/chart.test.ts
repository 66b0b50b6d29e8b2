import { get } from 'svelte/store';
import { describe, expect, it } from 'vitest';
import { encodeBar, type Bar } from '@tickdesk/schemas';
import { NS_PUBSUB_EVENT, xml } from '@tickdesk/xmpp/browser';
import { fakeDesk, json, settle } from '../../test/fakes.js';

const candle = (start: string, close: string, interval = '1m'): Bar => ({
  symbol: 'BTCUSDT',
  interval: interval as Bar['interval'],
  start,
  open: '100',
  high: close,
  low: '99',
  close,
  volume: '1',
  trades: 1,
});

describe('chart store', () => {
  it('backfills from REST candles, follows the cursor, then extends live', async () => {
    const pages: string[] = [];
    const t = fakeDesk({
      routes: {
        'GET /instruments/BTCUSDT/candles': ({ query }) => {
          pages.push(`${query.get('interval')} ${query.get('cursor') ?? '-'}`);
          if (query.get('interval') === '1h') return json(200, { symbol: 'BTCUSDT', interval: '1h', candles: [] });
          return query.get('cursor')
            ? json(200, { symbol: 'BTCUSDT', interval: '1m', candles: [candle('2026-11-21T09:59:00.000000Z', '101')] })
            : json(200, {
                symbol: 'BTCUSDT',
                interval: '1m',
                candles: [candle('2026-11-21T09:58:00.000000Z', '100.5')],
                nextCursor: '2026-11-21T09:59:00.000000Z',
              });
        },
      },
    });
    await t.login();
    await settle();
    const v = get(t.desk.chart.view);
    expect(pages).toContain('1m 2026-11-21T09:59:00.000000Z');
    expect(v).toMatchObject({ symbol: 'BTCUSDT', interval: '1m', loading: false });
    expect(v.candles.map((c) => [c.time, c.close])).toEqual([
      [Date.UTC(2026, 10, 21, 9, 58) / 1000, 100.5],
      [Date.UTC(2026, 10, 21, 9, 59) / 1000, 101],
    ]);

    const s = t.xmpp.last();
    const live = (start: string, close: string) =>
      s.receive(
        xml(
          'message',
          { from: 'pubsub.desk.localhost' },
          xml(
            'event',
            { xmlns: NS_PUBSUB_EVENT },
            xml(
              'items',
              { node: 'bars/BTCUSDT' },
              xml('item', { id: start }, encodeBar({ ...candle(start, close, '1s') })),
            ),
          ),
        ),
      );
    live('2026-11-21T09:59:30.000000Z', '102');
    live('2026-11-21T10:00:01.000000Z', '103');
    t.frames.flush();
    const after = get(t.desk.chart.view);
    expect(after.revision).toBe(v.revision);
    expect(after.candles.map((c) => c.close)).toEqual([100.5, 102, 103]);
    expect(after.candles.at(-1)!.time).toBe(Date.UTC(2026, 10, 21, 10, 0) / 1000);
  });

  it("draws the thresholds of the selected instrument's active and paused rules", async () => {
    const rule = (id: string, symbol: string, status: string, extra: object) => ({
      id,
      owner: 'alice',
      status,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      version: 1,
      frequency: 'once',
      priority: 'normal',
      symbol,
      ...extra,
    });
    const t = fakeDesk({
      routes: {
        'GET /rules': () =>
          json(200, {
            rules: [
              rule('r1', 'BTCUSDT', 'active', { condition: 'crossing-up', threshold: '65000' }),
              rule('r2', 'BTCUSDT', 'paused', { condition: 'entering-channel', lower: '60000', upper: '61000' }),
              rule('r3', 'BTCUSDT', 'triggered', { condition: 'less-than', threshold: '1' }),
              rule('r4', 'EURUSD', 'active', { condition: 'less-than', threshold: '1.05' }),
            ],
          }),
      },
    });
    await t.login();
    await settle();
    expect(get(t.desk.chart.priceLines).map((l) => l.price)).toEqual([65000, 60000, 61000]);
  });

  it("charts a sensor's negative and zero values, from REST candles and live bars", async () => {
    const freezer = (start: string, close: string, interval = '1m'): Bar => ({
      ...candle(start, close, interval),
      symbol: 'IOT.X',
      open: '-18.5',
      high: '0',
      low: '-19.25',
      volume: '0',
    });
    const t = fakeDesk({
      routes: {
        'GET /instruments': () =>
          json(200, {
            instruments: [
              { kind: 'sensor', symbol: 'IOT.X', name: 'Freezer', unit: '°C', decimals: 2, min: '-40', max: '85' },
            ],
          }),
        'GET /instruments/IOT.X/candles': ({ query }) =>
          json(200, {
            symbol: 'IOT.X',
            interval: query.get('interval'),
            candles: query.get('interval') === '1m' ? [freezer('2026-11-21T09:58:00.000000Z', '-18.75')] : [],
          }),
      },
    });
    await t.login();
    await t.desk.chart.select('IOT.X');
    await settle();
    expect(get(t.desk.chart.view).candles.map((c) => [c.open, c.high, c.low, c.close])).toEqual([
      [-18.5, 0, -19.25, -18.75],
    ]);
    t.xmpp
      .last()
      .receive(
        xml(
          'message',
          { from: 'pubsub.desk.localhost' },
          xml(
            'event',
            { xmlns: NS_PUBSUB_EVENT },
            xml(
              'items',
              { node: 'bars/IOT.X' },
              xml('item', { id: 'b1' }, encodeBar(freezer('2026-11-21T09:59:30.000000Z', '-0.5', '1s'), 'sensor')),
            ),
          ),
        ),
      );
    t.frames.flush();
    expect(get(t.desk.chart.view).candles.map((c) => c.close)).toEqual([-18.75, -0.5]);
  });
});
