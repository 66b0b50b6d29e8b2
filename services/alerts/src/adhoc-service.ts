import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { RULE_CONDITIONS } from '@tickdesk/schemas';
import { parseForm, xml, NS_COMMANDS, NS_DATA, type Element, type XmppClient } from '@tickdesk/xmpp';
import type { CommandOutcome, RuleCommands } from './rule-commands.js';

const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const FORM_TYPE = 'urn:tickdesk:alerts:rule:0';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** XEP-0050 command nodes of the desk account. */
export const ALERT_COMMANDS = {
  list: 'urn:tickdesk:alerts:list',
  add: 'urn:tickdesk:alerts:add',
  delete: 'urn:tickdesk:alerts:delete',
} as const;
const NAMES: Record<string, string> = { [ALERT_COMMANDS.list]: 'List my alert rules', [ALERT_COMMANDS.add]: 'Add an alert rule', [ALERT_COMMANDS.delete]: 'Delete an alert rule' };

const TEXT_FIELDS = ['threshold', 'lower', 'upper', 'amount', 'backup', 'expiresAt', 'message'] as const;
const INT_FIELDS = ['windowSeconds', 'cooldownSeconds'] as const;

const field = (v: string, type: string, label: string, options: string[] = [], value?: string) =>
  xml('field', { var: v, type, label }, ...(value !== undefined ? [xml('value', {}, value)] : []), ...options.map((o) => xml('option', { label: o }, xml('value', {}, o))));

function addForm(symbols: readonly string[]): Element {
  return xml('x', { xmlns: NS_DATA, type: 'form' },
    xml('title', {}, 'New alert rule'),
    xml('instructions', {}, 'Fill the fields the condition needs: threshold for crossings and levels, lower and upper for channels, amount and window for moves. Prices are decimals such as 65000.5.'),
    field('FORM_TYPE', 'hidden', '', [], FORM_TYPE),
    field('symbol', 'list-single', 'Instrument', [...symbols]),
    field('condition', 'list-single', 'Condition', [...RULE_CONDITIONS], 'crossing'),
    field('threshold', 'text-single', 'Price level'),
    field('lower', 'text-single', 'Channel low'),
    field('upper', 'text-single', 'Channel high'),
    field('amount', 'text-single', 'Move (price units, or percent for the -percent conditions)'),
    field('windowSeconds', 'text-single', 'Move window, seconds'),
    field('frequency', 'list-single', 'Frequency', ['once', 'once-per-bar', 'every-time'], 'once'),
    field('interval', 'list-single', 'Bar (once-per-bar)', ['1s', '1m', '1h']),
    field('cooldownSeconds', 'text-single', 'Cooldown, seconds (every-time)'),
    field('priority', 'list-single', 'Priority', ['normal', 'critical'], 'normal'),
    field('backup', 'text-single', 'Backup trader'),
    field('expiresAt', 'text-single', 'Expires (UTC, e.g. 2026-12-31T23:00:00Z)'),
    field('message', 'text-single', 'Message'),
  );
}

/** The submitted form as rule input; empty fields are absent, integers stay strings only when malformed (validation names them). */
function formInput(x: Element | undefined): Record<string, unknown> {
  const f = parseForm(x);
  const one = (name: string) => f.get(name)?.values[0]?.trim() || undefined;
  const input: Record<string, unknown> = { symbol: one('symbol'), condition: one('condition'), frequency: one('frequency') ?? 'once', priority: one('priority') ?? 'normal' };
  if (input.frequency === 'once-per-bar') input.interval = one('interval');
  for (const name of TEXT_FIELDS) if (one(name) !== undefined) input[name] = one(name);
  for (const name of INT_FIELDS) {
    const v = one(name);
    if (v !== undefined) input[name] = /^[0-9]{1,9}$/.test(v) ? Number(v) : v;
  }
  return input;
}

export interface AdhocServiceDeps {
  client: XmppClient;
  commands: RuleCommands;
  symbols: readonly string[];
  domain: string;
  isTrader(user: string): boolean;
  log: Logger;
}

/** XEP-0050 ad-hoc commands for rules, so a client with a commands menu needs no typing. */
export function createAdhocService({ client, commands, symbols, domain, isTrader, log: parentLog }: AdhocServiceDeps) {
  const log = parentLog.child({ component: 'adhoc' });
  const sessions = new Map<string, { node: string; user: string; expires: number }>();

  const error = (type: string, condition: string, text?: string) =>
    xml('error', { type }, xml(condition, NS_STANZAS), ...(text ? [xml('text', { xmlns: NS_STANZAS }, text)] : []));
  const command = (node: string, sessionid: string, status: string, ...children: Element[]) =>
    xml('command', { xmlns: NS_COMMANDS, node, sessionid, status }, ...children);
  const note = (out: CommandOutcome) => xml('note', { type: out.ok ? 'info' : 'error' }, out.text);

  async function handle(from: string, cmd: Element): Promise<Element> {
    const [user, host] = from.split('/')[0]!.split('@') as [string, string?];
    if (host !== domain || !isTrader(user)) return error('auth', 'forbidden', 'Only traders of this desk manage alerts.');
    const node = cmd.attrs.node as string;
    if (!NAMES[node]) return error('cancel', 'item-not-found');
    const action = (cmd.attrs.action as string | undefined) ?? 'execute';
    const now = Date.now();
    for (const [id, s] of sessions) if (s.expires < now) sessions.delete(id);
    if (action === 'cancel') {
      sessions.delete(cmd.attrs.sessionid as string);
      return command(node, cmd.attrs.sessionid as string, 'canceled');
    }
    if (node === ALERT_COMMANDS.list) return command(node, randomBytes(6).toString('hex'), 'completed', note(await commands.list(user)));
    if (action === 'execute' && !cmd.attrs.sessionid) {
      const sessionid = randomBytes(8).toString('hex');
      sessions.set(sessionid, { node, user, expires: now + 10 * 60_000 });
      if (node === ALERT_COMMANDS.add) return command(node, sessionid, 'executing', xml('actions', { execute: 'complete' }, xml('complete')), addForm(symbols));
      const ids = (await commands.mine(user)).map((r) => r.id);
      return command(node, sessionid, 'executing', xml('actions', { execute: 'complete' }, xml('complete')),
        xml('x', { xmlns: NS_DATA, type: 'form' }, field('FORM_TYPE', 'hidden', '', [], FORM_TYPE), field('id', 'list-single', 'Rule', ids)));
    }
    const session = sessions.get(cmd.attrs.sessionid as string);
    if (!session || session.node !== node || session.user !== user) return error('modify', 'bad-request', 'Unknown or expired session; start the command again.');
    sessions.delete(cmd.attrs.sessionid as string);
    const x = cmd.getChild('x', NS_DATA);
    const out = node === ALERT_COMMANDS.add
      ? await commands.add(user, formInput(x))
      : await commands.remove(user, parseForm(x).get('id')?.values[0] ?? '');
    log.info({ user, node, ok: out.ok }, 'ad-hoc command');
    return command(node, cmd.attrs.sessionid as string, 'completed', note(out));
  }

  return {
    start(): void {
      client.iqCallee.set(NS_COMMANDS, 'command', (ctx: { stanza: Element; element: Element }) => handle(ctx.stanza.attrs.from as string, ctx.element));
      // XEP-0050 §2.2: commands are listed as disco items of the commands node.
      client.iqCallee.get(NS_DISCO_ITEMS, 'query', (ctx: { element: Element }, next: () => unknown) => {
        if (ctx.element.attrs.node !== NS_COMMANDS) return next();
        return xml('query', { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS },
          ...Object.entries(NAMES).map(([node, name]) => xml('item', { jid: client.jid() ?? '', node, name })));
      });
      client.iqCallee.get(NS_DISCO_INFO, 'query', (ctx: { element: Element }, next: () => unknown) => {
        if (ctx.element.attrs.node) return next();
        return xml('query', { xmlns: NS_DISCO_INFO }, xml('identity', { category: 'client', type: 'bot', name: 'tickdesk alerts' }),
          xml('feature', { var: NS_DISCO_INFO }), xml('feature', { var: NS_COMMANDS }), xml('feature', { var: 'urn:xmpp:receipts' }), xml('feature', { var: 'urn:xmpp:chat-markers:0' }));
      });
    },
  };
}
