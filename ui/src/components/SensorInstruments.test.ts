import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { BarPrice, PriceFormat, PriceFormatCustom } from 'lightweight-charts';
import { encodeAlert } from '@tickdesk/schemas';
import { markable, receiptRequest, xml } from '@tickdesk/xmpp/browser';
import App from '../App.svelte';
import { deskContext } from '../lib/desk-context.js';
import { choose, fakeDesk, json, settle } from '../test/fakes.js';

// happy-dom has no canvas: a chart that keeps the options it is given.
const series = vi.hoisted(() => ({
  setData: vi.fn(),
  update: vi.fn(),
  applyOptions: vi.fn<(o: { priceFormat: PriceFormat }) => void>(),
  createPriceLine: vi.fn(() => ({})),
  removePriceLine: vi.fn(),
}));
vi.mock('lightweight-charts', () => ({
  createChart: vi.fn(() => ({ addSeries: vi.fn(() => series), remove: vi.fn() })),
  CandlestickSeries: {},
  ColorType: { Solid: 'solid' },
  LineStyle: { Dotted: 1, Dashed: 2 },
}));

const TEMP = {
  kind: 'sensor',
  symbol: 'IOT.SITE1.TEMP',
  name: 'Site 1 cold room',
  unit: '°C',
  decimals: 1,
  min: '-40',
  max: '85',
};
const BTC = {
  kind: 'market',
  symbol: 'BTCUSDT',
  name: 'Bitcoin',
  unit: 'USDT',
  decimals: 2,
  assetClass: 'crypto',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
  referencePrice: '65000',
};
const last = (symbol: string, price: string) => ({
  symbol,
  price,
  size: '0',
  seq: 1,
  eventTime: '2026-11-21T09:59:00Z',
  ingestTime: '2026-11-21T09:59:00Z',
});
const hourCandle = (symbol: string, open: string) => ({
  symbol,
  interval: '1h',
  start: '2026-11-21T00:00:00.000000Z',
  open,
  high: open,
  low: open,
  close: open,
  volume: '0',
  trades: 1,
});

describe('sensor instruments on the dashboard', () => {
  it('the watchlist and the chart show a sensor with its unit and its decimals; a market price keeps its own', async () => {
    const t = fakeDesk({
      routes: {
        'GET /instruments': () => json(200, { instruments: [BTC, TEMP] }),
        'GET /prices': () => json(200, { prices: [last('BTCUSDT', '65000.1'), last(TEMP.symbol, '8')] }),
        'GET /instruments/BTCUSDT/candles': ({ query }) =>
          json(200, { symbol: 'BTCUSDT', interval: query.get('interval'), candles: [] }),
        [`GET /instruments/${TEMP.symbol}/candles`]: ({ query }) =>
          json(200, {
            symbol: TEMP.symbol,
            interval: query.get('interval'),
            candles: query.get('interval') === '1h' ? [hourCandle(TEMP.symbol, '7.5')] : [],
          }),
        'GET /rules': () =>
          json(200, {
            rules: [
              {
                id: 'r1',
                owner: 'alice',
                status: 'active',
                createdAt: '2026-01-01T00:00:00Z',
                updatedAt: '2026-01-01T00:00:00Z',
                version: 1,
                symbol: TEMP.symbol,
                condition: 'greater-than',
                threshold: '8',
                frequency: 'once',
                priority: 'critical',
              },
            ],
          }),
      },
    });
    render(App, { context: deskContext(t.desk) });
    await t.login();
    await settle();
    const row = (s: string) => screen.getAllByTestId('watch-row').find((r) => r.dataset.symbol === s)!;
    const cell = (s: string, id: string) => row(s).querySelector(`[data-testid="${id}"]`)!.textContent.trim();

    expect(row(TEMP.symbol).dataset.kind).toBe('sensor');
    expect(cell(TEMP.symbol, 'watch-last')).toBe('8.0 °C');
    // A change in the sensor's unit, without a percentage of a reading.
    expect(cell(TEMP.symbol, 'watch-change')).toBe('+0.5 °C');
    expect(row('BTCUSDT').dataset.kind).toBe('market');
    expect(cell('BTCUSDT', 'watch-last')).toBe('65000.10');

    // The rule form names the unit of the values it asks for.
    const symbol = screen.getByTestId('rule-symbol');
    expect([...(symbol as HTMLSelectElement).options].map((o) => o.textContent)).toEqual([
      'BTCUSDT',
      `${TEMP.symbol} (°C)`,
    ]);
    choose(symbol, TEMP.symbol);
    await settle();
    expect(screen.getByText('Threshold (°C)')).toBeTruthy();
    expect(screen.getByTestId<HTMLInputElement>('rule-threshold').placeholder).toBe('8');
    choose(symbol, 'BTCUSDT');
    await settle();
    expect(screen.getByText('Threshold')).toBeTruthy();

    // The rule and its alert read in the sensor's unit.
    expect(screen.getByTestId('rule-text').textContent).toMatch(/8 \(°C\)$/);
    t.xmpp.last().receive(
      xml(
        'message',
        { from: 'alerts@desk.localhost/engine', type: 'chat', id: 'a1' },
        encodeAlert({
          id: 'a1',
          rule: 'r1',
          symbol: TEMP.symbol,
          condition: 'greater-than',
          threshold: '8',
          price: '8.4',
          seq: 1,
          eventTime: '2026-11-21T10:00:00Z',
          firedAt: '2026-11-21T10:00:00.1Z',
          priority: 'critical',
        }),
        receiptRequest(),
        markable(),
      ),
    );
    await settle();
    expect(screen.getByTestId('alert-price').textContent.trim()).toBe('8.4 °C');

    series.applyOptions.mockClear();
    await fireEvent.click(row(TEMP.symbol));
    await settle();
    expect(screen.getByText(`Chart ${TEMP.symbol} (°C)`)).toBeTruthy();
    expect(screen.getByTestId('chart').dataset.unit).toBe('°C');
    const format = series.applyOptions.mock.calls.at(-1)![0].priceFormat as PriceFormatCustom;
    expect(format.type).toBe('custom');
    expect(format.minMove).toBe(0.1);
    expect([format.formatter(8.4 as BarPrice), format.formatter(-18.5 as BarPrice)]).toEqual(['8.4 °C', '-18.5 °C']);

    await fireEvent.click(row('BTCUSDT'));
    await settle();
    expect(series.applyOptions.mock.calls.at(-1)![0].priceFormat).toEqual({
      type: 'price',
      precision: 2,
      minMove: 0.01,
    });
  });
});
