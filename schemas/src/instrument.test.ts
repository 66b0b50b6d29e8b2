import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { Instrument, marketInstrument, valueStep, type SensorInstrument } from './instrument.js';
import { DEFAULT_INSTRUMENTS } from './instruments.js';

const sensor = (decimals: number): SensorInstrument => ({
  kind: 'sensor',
  symbol: 'IOT.T',
  name: 'T',
  unit: '°C',
  decimals,
  min: '-18.5',
  max: '4',
});

describe('Instrument', () => {
  it('market instruments: unit is the quote currency, decimals those of tickSize', () => {
    const es = DEFAULT_INSTRUMENTS.find((i) => i.symbol === 'ESZ6')!;
    expect([es.kind, es.unit, es.decimals]).toEqual(['market', 'USD', 2]);
    expect(DEFAULT_INSTRUMENTS.find((i) => i.symbol === 'EURUSD')!.decimals).toBe(5);
    const whole = marketInstrument({ ...es, symbol: 'W', tickSize: '1' });
    expect(whole.decimals).toBe(0);
    for (const i of DEFAULT_INSTRUMENTS) expect(Value.Check(Instrument, i), i.symbol).toBe(true);
  });

  it('a sensor needs no venue fields but refuses them and a bad bound', () => {
    expect(Value.Check(Instrument, sensor(1))).toBe(true);
    expect(Value.Check(Instrument, { ...sensor(1), tickSize: '0.1' })).toBe(false);
    expect(Value.Check(Instrument, { ...sensor(1), min: '-0' })).toBe(false);
    expect(Value.Check(Instrument, { ...sensor(9) })).toBe(false);
    expect(Value.Check(Instrument, { ...DEFAULT_INSTRUMENTS[0]!, kind: 'sensor' })).toBe(false);
  });

  it('valueStep: tickSize of a market, 10^-decimals of a sensor', () => {
    expect(valueStep(DEFAULT_INSTRUMENTS.find((i) => i.symbol === 'ESZ6')!)).toBe('0.25');
    expect([0, 1, 3].map((d) => valueStep(sensor(d)))).toEqual(['1', '0.1', '0.001']);
  });
});
