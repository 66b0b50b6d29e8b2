import { describe, expect, it } from 'vitest';
import { parseChatCommand, USAGE } from './chat-command.js';

const add = (text: string) => {
  const cmd = parseChatCommand(text);
  expect(cmd.kind, cmd.kind === 'usage' ? cmd.message : '').toBe('add');
  return cmd.kind === 'add' ? cmd.input : {};
};

describe('chat commands for rules across instruments and escalation chains', () => {
  it('reads a spread: the first leg is the rule symbol, coefficients go on exactly as typed', () => {
    expect(add('alert spread BTCUSDT -15*ETHUSDT crosses above 0')).toEqual({
      symbol: 'BTCUSDT',
      condition: 'crossing-up',
      threshold: '0',
      frequency: 'once',
      priority: 'normal',
      series: {
        kind: 'spread',
        legs: [
          { symbol: 'BTCUSDT', coefficient: '1' },
          { symbol: 'ETHUSDT', coefficient: '-15' },
        ],
      },
    });
    expect(add('alert spread 2*btcusdt - 0.5*ETHUSDT + SOLUSDT below -10').series).toEqual({
      kind: 'spread',
      legs: [
        { symbol: 'BTCUSDT', coefficient: '2' },
        { symbol: 'ETHUSDT', coefficient: '-0.5' },
        { symbol: 'SOLUSDT', coefficient: '1' },
      ],
    });
    // Not judged here: the shared validation refuses it naming series.legs[1].coefficient.
    expect(add('alert spread BTCUSDT 1e3*ETHUSDT above 1').series).toMatchObject({
      legs: [{}, { symbol: 'ETHUSDT', coefficient: '1e3' }],
    });
    expect(add('alert spread BTCUSDT -ETHUSDT up 50 in 5m')).toMatchObject({
      condition: 'moving-up',
      amount: '50',
      windowSeconds: 300,
    });
  });

  it('reads a ratio, with or without spaces around the slash', () => {
    const ratio = { kind: 'ratio', numerator: 'BTCUSDT', denominator: 'ETHUSDT' };
    expect(add('alert ratio BTCUSDT/ETHUSDT above 19.5 every 5m')).toEqual({
      symbol: 'BTCUSDT',
      condition: 'greater-than',
      threshold: '19.5',
      frequency: 'every-time',
      cooldownSeconds: 300,
      priority: 'normal',
      series: ratio,
    });
    expect(add('alert ratio btcusdt / ethusdt crosses below 19').series).toEqual(ratio);
  });

  it('reads AND conditions, then the options after them', () => {
    expect(add('alert BTCUSDT above 70000 and ETHUSDT below 3000 and solusdt inside 140 150 critical')).toEqual({
      symbol: 'BTCUSDT',
      condition: 'greater-than',
      threshold: '70000',
      frequency: 'once',
      priority: 'critical',
      and: [
        { symbol: 'ETHUSDT', condition: 'less-than', threshold: '3000' },
        { symbol: 'SOLUSDT', condition: 'inside-channel', lower: '140', upper: '150' },
      ],
    });
  });

  it('reads an escalation chain on a new rule and on an existing one', () => {
    const chain = [
      { to: 'recipient' },
      { to: 'webhook', afterSeconds: 60 },
      { to: 'backup', afterSeconds: 120 },
      { to: 'desk', afterSeconds: 300 },
    ];
    expect(parseChatCommand('escalate r1a2b recipient, webhook after 60s, backup after 2m, desk after 300s')).toEqual({
      kind: 'escalate',
      id: 'r1a2b',
      escalation: chain,
    });
    expect(parseChatCommand('escalate r1a2b off')).toEqual({ kind: 'escalate', id: 'r1a2b', escalation: null });
    expect(
      add(
        'alert BTCUSDT above 1 backup bob escalate recipient , webhook after 60s, backup after 2m, desk after 300s critical',
      ),
    ).toMatchObject({ backup: 'bob', escalation: chain, priority: 'critical' });
  });

  it.each([
    ['alert spread crosses 0', /A spread needs its legs/],
    ['alert spread BTCUSDT -15**ETHUSDT crosses 0', /A leg is \[coefficient\*\]SYMBOL/],
    ['alert spread BTCUSDT - crosses 0', /A leg is/],
    ['alert ratio BTCUSDT above 19', /A ratio is written A\/B/],
    ['alert ratio BTCUSDT/ETHUSDT/SOLUSDT above 19', /A ratio is written A\/B/],
    ['alert BTCUSDT above 1 and', /"and" needs an instrument and a condition/],
    ['alert BTCUSDT above 1 and ETHUSDT up 5 in 5m', /Unknown condition "up"/],
    ['alert BTCUSDT above 1 and ETHUSDT inside 1', /needs a low and a high/],
    ['alert BTCUSDT above 1 escalate', /An escalation step is/],
    ['alert BTCUSDT above 1 escalate webhook after soon', /"after" needs a wait such as 60s, 5m or 1h; not "soon"/],
    ['escalate', /Usage: escalate <rule id>/],
    ['escalate r1a2b', /Usage: escalate <rule id>/],
    ['escalate bogus webhook', /Usage: escalate <rule id>/],
    ['escalate r1a2b webhook after 60s desk', /Unexpected "desk"/],
  ])('answers %j with usage naming what is wrong', (text, message) => {
    const cmd = parseChatCommand(text);
    expect(cmd.kind).toBe('usage');
    expect(cmd.kind === 'usage' && cmd.message).toMatch(message);
  });

  it('help shows the new forms', () => {
    expect(parseChatCommand('help')).toEqual({ kind: 'help' });
    for (const form of ['alert spread <SYMBOL>', 'alert ratio <SYMBOL>/<SYMBOL>', 'and <SYMBOL> <condition>'])
      expect(USAGE).toContain(form);
    expect(USAGE).toContain('escalate <rule id> <step>[, <step>...]');
  });
});
