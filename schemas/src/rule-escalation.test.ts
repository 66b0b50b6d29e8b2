import { describe, expect, it } from 'vitest';
import { checkEscalation } from './rule-escalation.js';
import { validateRuleInput } from './rule-validation.js';

const rule = (over: Record<string, unknown>) => ({
  symbol: 'BTCUSDT',
  condition: 'greater-than',
  threshold: '1',
  frequency: 'once',
  priority: 'normal',
  ...over,
});
const ctx = { symbols: new Set(['BTCUSDT']), nowMicros: 0 };

describe('escalation chains', () => {
  it('accepts a chain, with every wait written out', () => {
    const out = checkEscalation([
      { to: 'recipient' },
      { to: 'webhook', afterSeconds: 60 },
      { to: 'desk', afterSeconds: 60 },
    ]);
    expect(out).toEqual({
      ok: true,
      value: [
        { to: 'recipient', afterSeconds: 0 },
        { to: 'webhook', afterSeconds: 60 },
        { to: 'desk', afterSeconds: 60 },
      ],
    });
  });

  it.each([
    [[], 'escalation'],
    [Array.from({ length: 7 }, () => ({ to: 'desk' })), 'escalation'],
    [[{ to: 'phone' }], 'escalation[0].to'],
    [[{ to: 'webhook' }, { to: 'recipient', afterSeconds: 5 }], 'escalation[1].to'],
    [[{ to: 'webhook' }, { to: 'webhook', afterSeconds: 5 }], 'escalation[1].to'],
    [[{ to: 'webhook', afterSeconds: 86_401 }], 'escalation[0].afterSeconds'],
    [[{ to: 'webhook', afterSeconds: -1 }], 'escalation[0].afterSeconds'],
    [[{ to: 'webhook', afterSeconds: 1.5 }], 'escalation[0].afterSeconds'],
    [
      [
        { to: 'webhook', afterSeconds: 60 },
        { to: 'desk', afterSeconds: 30 },
      ],
      'escalation[1].afterSeconds',
    ],
    [[{ to: 'recipient', afterSeconds: 10 }], 'escalation[0].afterSeconds'],
    [[{ to: 'desk', wait: 1 }], 'escalation[0].wait'],
  ])('refuses %j naming %s', (chain, field) => {
    expect(checkEscalation(chain)).toMatchObject({ ok: false, field });
  });

  it('a rule naming a backup step without a backup is refused at escalation[i].to; a default chain is not', () => {
    const chain = [{ to: 'recipient' }, { to: 'backup', afterSeconds: 30 }];
    expect(validateRuleInput(rule({ escalation: chain }), ctx)).toMatchObject({ ok: false, field: 'escalation[1].to' });
    expect(validateRuleInput(rule({ escalation: chain, backup: 'bob' }), ctx)).toMatchObject({ ok: true });
    expect(checkEscalation(chain)).toMatchObject({ ok: true });
  });
});
