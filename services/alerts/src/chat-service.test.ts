import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import type { Rule } from '@tickdesk/schemas';
import { createChatService } from './chat-service.js';
import { listedRuleCommands, listedRule } from './rule-commands.test-util.js';
import { wireBytes } from './reply-pages.js';

const rule = (i: number): Rule =>
  listedRule(i, { priority: 'critical', backup: 'bob', message: `take profit ${'€'.repeat(300)}` });

function harness(rules: Rule[], limits?: Parameters<typeof createChatService>[0]['limits']) {
  const client = new EventEmitter() as unknown as XmppClient & { sent: Element[] };
  client.sent = [];
  (client as unknown as { send(el: Element): Promise<void> }).send = async (el: Element) => void client.sent.push(el);
  const { commands, added } = listedRuleCommands(rules, rule(9_999));
  const chat = createChatService({
    client,
    commands,
    domain: 'desk.localhost',
    isTrader: () => true,
    log: pino({ level: 'silent' }),
    ...(limits ? { limits } : {}),
  });
  chat.start();
  async function say(text: string): Promise<string> {
    const n = client.sent.length;
    client.emit(
      'stanza',
      xml('message', { from: 'alice@desk.localhost/phone', type: 'chat', id: 'm1' }, xml('body', {}, text)),
    );
    for (let i = 0; i < 100 && client.sent.length === n; i++) await new Promise((r) => setTimeout(r, 1));
    return client.sent[n]!.getChildText('body')!;
  }
  return { say, added, client };
}

describe('chat replies', () => {
  it('alerts with 1,300 rules: a page far below the stanza limit, saying how many more and how to see them', async () => {
    const rules = Array.from({ length: 1_300 }, (_, i) => rule(i));
    const { say } = harness(rules);
    const first = await say('alerts');
    expect(wireBytes(first)).toBeLessThanOrEqual(16_384);
    expect(first.split('\n')[0]).toContain(rules[0]!.id);
    expect(first.split('\n').at(-1)).toMatch(
      /^Page 1 of [0-9]+ \(1–[0-9]+ of 1300\)\. [0-9]+ more: send "alerts 2"\.$/,
    );
    const shown = first.split('\n').length - 1;
    const second = await say('alerts 2');
    expect(second.split('\n')[0]).toContain(rules[shown]!.id);
    expect(wireBytes(second)).toBeLessThanOrEqual(16_384);
  }, 30_000);

  it('a short list comes whole, with no page line', async () => {
    const { say } = harness([rule(1), rule(2)]);
    expect((await say('alerts')).split('\n')).toHaveLength(2);
  });

  it('refuses a command with a character XML 1.0 forbids or discourages, naming it, and adds nothing', async () => {
    const { say, added } = harness([]);
    const reply = await say('alert BTCUSDT crosses 1 "a\u0085b"');
    expect(reply).toMatch(/^Refused: the command must not contain the control character U\+0085 \(at character 27\)/);
    expect(added).toEqual([]);
  });

  it('refuses a command over the size limit without echoing it', async () => {
    const { say, added } = harness([], { maxCommandBytes: 100 });
    const reply = await say(`alert BTCUSDT crosses 1 "${'x'.repeat(200)}"`);
    expect(reply).toBe('Refused: a command is at most 100 bytes; this one has 226.');
    expect(added).toEqual([]);
  });

  it('cuts any other reply at the byte limit', async () => {
    const { say } = harness([], { maxBytes: 300 });
    const reply = await say(`frobnicate`);
    expect(wireBytes(reply)).toBeLessThanOrEqual(300);
    expect(reply.endsWith('…')).toBe(true);
  });
});

describe('chat message types', () => {
  it('answers a command sent as a normal message (no type, RFC 6121 §5.2.2), and ignores headline, groupchat and error messages', async () => {
    const { client } = harness([]);
    const send = (type: string | undefined) =>
      client.emit(
        'stanza',
        xml(
          'message',
          { from: 'alice@desk.localhost/phone', ...(type ? { type } : {}), id: `m-${type}` },
          xml('body', {}, 'help'),
        ),
      );
    for (const type of [undefined, 'normal', 'headline', 'groupchat', 'error']) send(type);
    await new Promise((r) => setTimeout(r, 20));
    expect(client.sent.map((el) => [el.attrs.id as string, el.attrs.type as string])).toEqual([
      ['re-m-undefined', 'chat'],
      ['re-m-normal', 'chat'],
    ]);
  });

  it("answers only JIDs of the desk's domain: not one whose domain only begins with it (RFC 7622 §3)", async () => {
    const { client } = harness([]);
    for (const from of [
      'alice@desk.localhost@evil.example/x',
      'alice@evil.example/desk.localhost',
      'Alice@Desk.Localhost/c@d/e',
    ])
      client.emit('stanza', xml('message', { from, type: 'chat', id: 'm' }, xml('body', {}, 'help')));
    await new Promise((r) => setTimeout(r, 20));
    expect(client.sent.map((el) => el.attrs.to as string)).toEqual(['Alice@Desk.Localhost/c@d/e']);
  });
});
