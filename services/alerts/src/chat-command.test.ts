import { describe, expect, it } from 'vitest';
import { parseChatCommand } from './chat-command.js';

describe('chat commands', () => {
  it.each([
    [
      'alert BTCUSDT crosses 65000',
      { symbol: 'BTCUSDT', condition: 'crossing', threshold: '65000', frequency: 'once', priority: 'normal' },
    ],
    [
      'alert btcusdt crosses up 65000.5 critical "take profit now"',
      {
        symbol: 'BTCUSDT',
        condition: 'crossing-up',
        threshold: '65000.5',
        priority: 'critical',
        message: 'take profit now',
      },
    ],
    [
      'alert EURUSD below 1.08 every 30s backup bob',
      { condition: 'less-than', threshold: '1.08', frequency: 'every-time', cooldownSeconds: 30, backup: 'bob' },
    ],
    [
      'alert EURUSD above 1.1 to Bob@DeskB.example backup bob',
      { condition: 'greater-than', threshold: '1.1', recipient: 'bob@deskb.example', backup: 'bob' },
    ],
    [
      'alert EURUSD enters 1.08 1.09 per bar 1m',
      { condition: 'entering-channel', lower: '1.08', upper: '1.09', frequency: 'once-per-bar', interval: '1m' },
    ],
    ['alert SOLUSDT up 2% in 5m', { condition: 'moving-up-percent', amount: '2', windowSeconds: 300 }],
    [
      'alert SOLUSDT down 1.5 in 30s expires 2030-01-01T00:00:00Z',
      { condition: 'moving-down', amount: '1.5', windowSeconds: 30, expiresAt: '2030-01-01T00:00:00Z' },
    ],
  ])('%s', (text, expected) => {
    expect(parseChatCommand(text)).toMatchObject({ kind: 'add', input: expected });
  });

  it('lists, deletes, pauses and resumes', () => {
    expect(parseChatCommand('alerts')).toEqual({ kind: 'list', page: 1 });
    expect(parseChatCommand('alerts 3')).toEqual({ kind: 'list', page: 3 });
    expect(parseChatCommand('rules 2')).toEqual({ kind: 'list', page: 2 });
    expect(parseChatCommand('delete r1abc')).toEqual({ kind: 'delete', id: 'r1abc' });
    expect(parseChatCommand('Pause r1abc')).toEqual({ kind: 'pause', id: 'r1abc' });
    expect(parseChatCommand('help')).toEqual({ kind: 'help' });
  });

  it.each([
    ['alert', /Which instrument/],
    ['alert BTCUSDT', /Which condition/],
    ['alert BTCUSDT jumps 5', /Unknown condition "jumps"/],
    ['alert BTCUSDT crosses', /needs a price/],
    ['alert BTCUSDT enters 1', /low and a high/],
    ['alert BTCUSDT up 5 within 5m', /needs "in/],
    ['alert BTCUSDT up 5 in 5 minutes', /window is a number/],
    ['alert BTCUSDT crosses 5 loudly', /Unexpected "loudly"/],
    ['alert BTCUSDT crosses 5 "unclosed', /Unbalanced quote/],
    ['delete', /Usage: delete <rule id>/],
    ['frobnicate', /Unknown command "frobnicate"/],
    ['alert BTCUSDT crosses 99999999 backup', /"backup" needs a trader/],
    ['alert BTCUSDT crosses 1 to', /"to" needs a trader/],
    ['alert BTCUSDT crosses 1 backup "bob"', /"backup" needs a trader/],
    ['alert BTCUSDT crosses 1 expires', /"expires" needs a UTC time/],
    ['alert BTCUSDT crosses 1 per bar', /"per bar" needs 1s, 1m or 1h/],
    ['alert BTCUSDT crosses 1 per', /"per bar" needs 1s, 1m or 1h/],
    ['alert BTCUSDT crosses 1 every 5x', /Unexpected "5x"/],
    ['alerts two', /Usage: alerts \[page\]/],
    ['alerts 0', /Usage: alerts \[page\]/],
    ['alerts 1 2', /Usage: alerts \[page\]/],
  ])('answers %j with usage', (text, message) => {
    const cmd = parseChatCommand(text);
    expect(cmd.kind).toBe('usage');
    expect(cmd.kind === 'usage' && cmd.message).toMatch(message);
    expect(cmd.kind === 'usage' && cmd.message).toMatch(/Commands:/);
  });

  it('echoes at most 40 characters of a word it did not understand', () => {
    const cmd = parseChatCommand(`frob${'x'.repeat(10_000)}`);
    expect(cmd.kind === 'usage' && cmd.message.split('\n')[0]).toBe(`Unknown command "frob${'x'.repeat(35)}…".`);
  });
});
