import { describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS, type Rule, type SensorInstrument } from '@tickdesk/schemas';
import rulesRoutes from './rules.js';
import { AS, bearer, ruleInput, useRouteApp } from './route.test-util.js';

const freezer: SensorInstrument = {
  kind: 'sensor',
  symbol: 'IOT.X',
  name: 'Freezer',
  unit: '°C',
  decimals: 1,
  min: '-40',
  max: '85',
};
const t = useRouteApp([rulesRoutes], { instruments: [...DEFAULT_INSTRUMENTS, freezer] });
const post = (body: object) =>
  t.app.inject({ method: 'POST', url: '/v1/rules', headers: bearer(AS.alice), payload: body });

describe('POST /v1/rules on a sensor instrument', () => {
  it('accepts negative and zero thresholds, stored canonical', async () => {
    for (const [condition, threshold, stored] of [
      ['crossing-down', '-18', '-18'],
      ['greater-than', '-5.50', '-5.5'],
      ['less-than', '0', '0'],
    ] as const) {
      const res = await post(ruleInput({ symbol: 'IOT.X', condition, threshold }));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<Rule>()).toMatchObject({ symbol: 'IOT.X', condition, threshold: stored });
    }
  });

  it('refuses a negative threshold on a market instrument with 422 naming threshold', async () => {
    const res = await post(ruleInput({ threshold: '-18' }));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json<{ message: string }>().message).toContain('"threshold"');
  });

  it('refuses a percentage move on a sensor whose range reaches zero with 422 naming condition', async () => {
    const res = await post(
      ruleInput({
        symbol: 'IOT.X',
        condition: 'moving-up-percent',
        threshold: undefined,
        amount: '10',
        windowSeconds: 60,
      }),
    );
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toEqual({
      code: 'TICKDESK_API_INVALID_RULE',
      message: expect.stringContaining('"condition"') as string,
    });
  });
});
