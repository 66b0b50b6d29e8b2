import { describe, expect, it } from 'vitest';
import type { Rule } from '@tickdesk/schemas';
import { parseChatCommand } from './chat-command.js';
import { createRuleCommands, describeRule, type CommandOutcome } from './rule-commands.js';
import { memoryRules } from './rule-commands.test-util.js';

const commandsOf = () =>
  createRuleCommands({
    rules: memoryRules(10).store,
    symbols: new Set(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']),
    traders: () => new Set(['alice', 'bob']),
  });
/** The rule an outcome carries; a refusal fails the test with its reply. */
function ruleOf(out: CommandOutcome): Rule {
  if (!out.ok || !out.rule) throw new Error(out.text);
  return out.rule;
}
/** A chat command's rule, added for alice through the shared validation. */
async function added(text: string) {
  const commands = commandsOf();
  const cmd = parseChatCommand(text);
  if (cmd.kind !== 'add') throw new Error(cmd.kind === 'usage' ? cmd.message : cmd.kind);
  return { commands, out: await commands.add('alice', cmd.input) };
}

describe('rules across instruments and escalation chains by chat and ad-hoc', () => {
  it('adds a spread with exact coefficients, and says so in words', async () => {
    const { out } = await added('alert spread BTCUSDT -15*ETHUSDT + 0.50*SOLUSDT crosses above 0');
    expect(out.ok, out.text).toBe(true);
    expect(ruleOf(out).series).toEqual({
      kind: 'spread',
      legs: [
        { symbol: 'BTCUSDT', coefficient: '1' },
        { symbol: 'ETHUSDT', coefficient: '-15' },
        { symbol: 'SOLUSDT', coefficient: '0.5' },
      ],
    });
    expect(out.text).toMatch(
      /^Added r1 \[active\] BTCUSDT − 15 × ETHUSDT \+ 0\.5 × SOLUSDT crossed up through 0, once$/,
    );
  });

  it.each([
    ['alert spread BTCUSDT 1e3*ETHUSDT above 1', 'series.legs[1].coefficient', /exact decimal/],
    ['alert spread BTCUSDT 0*ETHUSDT above 1', 'series.legs[1].coefficient', /must not be zero/],
    ['alert spread BTCUSDT -0.000*ETHUSDT above 1', 'series.legs[1].coefficient', /must not be zero/],
    ['alert spread BTCUSDT 1/3*ETHUSDT above 1', 'series.legs[1].coefficient', /exact decimal/],
    ['alert spread BTCUSDT XRPUSDT above 1', 'series.legs[1].symbol', /unknown instrument XRPUSDT/],
    ['alert spread BTCUSDT above 1', 'series.legs', /from 2 to 5 legs \(1 given\)/],
    ['alert ratio BTCUSDT/BTCUSDT above 1', 'series.denominator', /must not repeat/],
    ['alert ratio BTCUSDT/ETHUSDT up 1 in 5m', 'condition', /not defined on a ratio/],
    ['alert BTCUSDT above 1 and ETHUSDT crosses 2', 'and[0].condition', /must be one of/],
    ['alert BTCUSDT above 1 escalate webhook, recipient', 'escalation[1].to', /recipient can only be the first/],
    ['alert BTCUSDT above 1 escalate backup after 1m', 'escalation[0].to', /no backup/],
  ])('refuses %j naming %s', async (text, field, message) => {
    const { out } = await added(text);
    expect(out).toMatchObject({ ok: false, field });
    expect(out.text).toMatch(new RegExp(`^Not added\\. ${field.replace(/[[\].]/g, '\\$&')}: `));
    expect(out.text).toMatch(message);
  });

  it('adds a ratio and an AND rule, worded as their alerts are', async () => {
    const ratio = await added('alert ratio BTCUSDT/ETHUSDT above 19.5');
    expect(ratio.out.text).toBe('Added r1 [active] BTCUSDT / ETHUSDT is above 19.5, once');
    const and = await added('alert BTCUSDT above 70000 and ETHUSDT below 3000');
    expect(ruleOf(and.out).and).toEqual([{ symbol: 'ETHUSDT', condition: 'less-than', threshold: '3000' }]);
    expect(and.out.text).toBe('Added r1 [active] BTCUSDT is above 70000 and ETHUSDT less-than 3000, once');
  });

  it("sets and removes a rule's own escalation chain; only the owner's rule, checked like any change", async () => {
    const { commands, out } = await added('alert BTCUSDT above 70000 backup bob');
    const id = ruleOf(out).id;
    const chain = [
      { to: 'recipient', afterSeconds: 0 },
      { to: 'webhook', afterSeconds: 60 },
      { to: 'backup', afterSeconds: 120 },
      { to: 'desk', afterSeconds: 300 },
    ];
    const set = await commands.escalate(
      'alice',
      id,
      chain.map(({ to, afterSeconds }) => ({ to, afterSeconds })),
    );
    expect(set.ok, set.text).toBe(true);
    expect(ruleOf(set)).toMatchObject({ escalation: chain, backup: 'bob', threshold: '70000', version: 2 });
    expect(set.text).toBe(
      `Changed ${id} [active] BTCUSDT is above 70000, once, backup bob, escalates recipient, webhook after 60s, backup after 120s, desk after 300s`,
    );
    const bad = await commands.escalate('alice', id, [{ to: 'desk', afterSeconds: 90_000 }]);
    expect(bad).toMatchObject({ ok: false, field: 'escalation[0].afterSeconds' });
    expect(bad.text).toMatch(/^Not changed\. escalation\[0\]\.afterSeconds: must be a whole number/);
    expect(await commands.escalate('bob', id, [{ to: 'desk' }])).toEqual({
      ok: false,
      text: `No rule ${id} of yours.`,
    });
    const off = await commands.escalate('alice', id, null);
    expect(off.ok).toBe(true);
    expect(ruleOf(off)).not.toHaveProperty('escalation');
    expect(ruleOf(off)).toMatchObject({ backup: 'bob', version: 3 });
  });

  it('lists a rule of each kind on one line', () => {
    const base: Rule = {
      id: 'r9',
      owner: 'alice',
      symbol: 'BTCUSDT',
      condition: 'less-than',
      threshold: '-10',
      frequency: 'once',
      priority: 'normal',
      status: 'active',
      createdAt: '2026-12-06T10:00:00Z',
      updatedAt: '2026-12-06T10:00:00Z',
      version: 1,
    };
    const spread: Rule['series'] = {
      kind: 'spread',
      legs: [
        { symbol: 'BTCUSDT', coefficient: '2' },
        { symbol: 'ETHUSDT', coefficient: '-1' },
      ],
    };
    expect(describeRule({ ...base, series: spread })).toBe('r9 [active] 2 × BTCUSDT − ETHUSDT is below -10, once');
  });
});
