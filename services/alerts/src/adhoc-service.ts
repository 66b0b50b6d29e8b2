import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { xml, NS_COMMANDS, NS_DATA, type Element, type XmppClient } from '@tickdesk/xmpp';
import { addForm, deleteForm, formInput } from './adhoc-forms.js';
import { deskUser } from './desk-user.js';
import {
  createAdhocSessions,
  DEFAULT_ADHOC_SESSION_LIMITS,
  type AdhocSession,
  type AdhocSessionLimits,
} from './adhoc-sessions.js';
import { cutToBytes, DEFAULT_REPLY_LIMITS, pageOf, pageText, type ReplyLimits } from './reply-pages.js';
import { describeRule, type CommandOutcome, type RuleCommands } from './rule-commands.js';

const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** XEP-0050 command nodes of the desk account. */
export const ALERT_COMMANDS = {
  list: 'urn:tickdesk:alerts:list',
  add: 'urn:tickdesk:alerts:add',
  delete: 'urn:tickdesk:alerts:delete',
} as const;
const NAMES: Record<string, string> = {
  [ALERT_COMMANDS.list]: 'List my alert rules',
  [ALERT_COMMANDS.add]: 'Add an alert rule',
  [ALERT_COMMANDS.delete]: 'Delete an alert rule',
};

export type AdhocLimits = AdhocSessionLimits & ReplyLimits;

export interface AdhocServiceDeps {
  client: XmppClient;
  commands: RuleCommands;
  symbols: readonly string[];
  domain: string;
  isTrader: (user: string) => boolean;
  log: Logger;
  limits?: Partial<AdhocLimits>;
}

/** XEP-0050 ad-hoc commands for rules, so a client with a commands menu needs no typing. */
export function createAdhocService({
  client,
  commands,
  symbols,
  domain,
  isTrader,
  log: parentLog,
  limits: over = {},
}: AdhocServiceDeps) {
  const log = parentLog.child({ component: 'adhoc' });
  const limits: AdhocLimits = { ...DEFAULT_ADHOC_SESSION_LIMITS, ...DEFAULT_REPLY_LIMITS, ...over };
  const sessions = createAdhocSessions(limits);
  let stopped = false;

  const error = (type: string, condition: string, text?: string, specific?: string) =>
    // RFC 6120 §8.3.2: the defined condition, then the text, then the application-specific condition.
    xml(
      'error',
      { type },
      xml(condition, NS_STANZAS),
      ...(text ? [xml('text', { xmlns: NS_STANZAS }, text)] : []),
      ...(specific ? [xml(specific, NS_COMMANDS)] : []),
    );
  const command = (node: string, sessionid: string, status: string, ...children: Element[]) =>
    xml('command', { xmlns: NS_COMMANDS, node, sessionid, status }, ...children);
  const note = (out: CommandOutcome) =>
    xml('note', { type: out.ok ? 'info' : 'error' }, cutToBytes(out.text, limits.maxBytes));
  const nextOnly = () => xml('actions', { execute: 'next' }, xml('next'));
  const completeOnly = () => xml('actions', { execute: 'complete' }, xml('complete'));

  /**
   * The list command, a page per stage (XEP-0050 §3.4: next moves on; the last page
   * completes). A list that fits one page needs no session, so it never counts against the caps.
   */
  async function listPage(
    user: string,
    node: string,
    session: AdhocSession | undefined,
    page: number,
    keep: boolean,
  ): Promise<Element> {
    const mine = await commands.mine(user);
    const p = pageOf(mine.map(describeRule), page, limits);
    const text =
      mine.length === 0 ? 'You have no rules. Try the "Add an alert rule" command.' : pageText(p, () => 'choose Next');
    if (p.page >= p.pages || !keep) {
      if (session) sessions.close(session.id);
      return command(node, session?.id ?? randomBytes(6).toString('hex'), 'completed', note({ ok: true, text }));
    }
    const s = session ?? open(user, node);
    if (!('id' in s)) return s;
    return command(node, s.id, 'executing', nextOnly(), note({ ok: true, text }));
  }

  /** A new session, or the XEP-0050 refusal when the desk's cap is reached (RFC 6120 §8.3.3.18 resource-constraint, type wait). */
  function open(user: string, node: string) {
    const s = sessions.open(user, node);
    if (s === 'total-limit')
      return error(
        'wait',
        'resource-constraint',
        'Too many open command sessions on the desk: try again in a few minutes.',
      );
    return s;
  }

  async function handle(from: string, cmd: Element): Promise<Element> {
    if (stopped) return error('cancel', 'service-unavailable');
    const user = deskUser(from, domain)?.user;
    if (!user || !isTrader(user)) return error('auth', 'forbidden', 'Only traders of this desk manage alerts.');
    const node = cmd.attrs.node as string;
    if (typeof node !== 'string' || !Object.hasOwn(NAMES, node)) return error('cancel', 'item-not-found');
    const action = (cmd.attrs.action as string | undefined) ?? 'execute';
    const sessionid = cmd.attrs.sessionid as unknown;
    if (action === 'cancel') {
      const s = sessions.get(sessionid, user, node);
      if (s) sessions.close(s.id);
      return command(node, typeof sessionid === 'string' ? sessionid.slice(0, 64) : '', 'canceled');
    }
    if (sessionid === undefined && action === 'execute') {
      if (node === ALERT_COMMANDS.list) return listPage(user, node, undefined, 1, true);
      const s = open(user, node);
      if (!('id' in s)) return s;
      if (node === ALERT_COMMANDS.add) return command(node, s.id, 'executing', completeOnly(), addForm(symbols));
      return command(node, s.id, 'executing', completeOnly(), deleteForm((await commands.mine(user)).map((r) => r.id)));
    }
    // XEP-0050 §4.6: an unknown (or expired) session is bad-request + <bad-sessionid/>.
    const session = sessions.get(sessionid, user, node);
    if (!session)
      return error('modify', 'bad-request', 'Unknown or expired session; start the command again.', 'bad-sessionid');
    if (node === ALERT_COMMANDS.list) {
      if (action !== 'next' && action !== 'execute' && action !== 'complete')
        return error('modify', 'bad-request', undefined, 'bad-action');
      if (action === 'complete') return listPage(user, node, session, session.page, false);
      session.page += 1;
      return listPage(user, node, session, session.page, true);
    }
    if (action !== 'complete' && action !== 'execute') return error('modify', 'bad-request', undefined, 'bad-action');
    sessions.close(session.id);
    const form = formInput(cmd.getChild('x', NS_DATA));
    const verb = node === ALERT_COMMANDS.add ? 'added' : 'deleted';
    const out: CommandOutcome = !form.ok
      ? { ok: false, field: form.field, text: `Not ${verb}. ${form.field}: ${form.problem}` }
      : node === ALERT_COMMANDS.add
        ? await commands.add(user, form.input)
        : await commands.remove(user, form.id ?? '');
    log.info({ user, node, ok: out.ok }, 'ad-hoc command');
    return command(node, session.id, 'completed', note(out));
  }

  return {
    start(): void {
      stopped = false;
      client.iqCallee.set(NS_COMMANDS, 'command', (ctx: { stanza: Element; element: Element }) =>
        handle(ctx.stanza.attrs.from as string, ctx.element),
      );
      // XEP-0050 §2.2: commands are listed as disco items of the commands node.
      client.iqCallee.get(NS_DISCO_ITEMS, 'query', (ctx: { element: Element }, next: () => unknown) => {
        if (ctx.element.attrs.node !== NS_COMMANDS) return next();
        return xml(
          'query',
          { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS },
          ...Object.entries(NAMES).map(([node, name]) => xml('item', { jid: client.jid() ?? '', node, name })),
        );
      });
      client.iqCallee.get(NS_DISCO_INFO, 'query', (ctx: { element: Element }, next: () => unknown) => {
        if (ctx.element.attrs.node) return next();
        return xml(
          'query',
          { xmlns: NS_DISCO_INFO },
          xml('identity', { category: 'client', type: 'bot', name: 'tickdesk alerts' }),
          xml('feature', { var: NS_DISCO_INFO }),
          xml('feature', { var: NS_COMMANDS }),
          xml('feature', { var: 'urn:xmpp:receipts' }),
          xml('feature', { var: 'urn:xmpp:chat-markers:0' }),
        );
      });
    },
    /** Drop every session and its idle timer; later commands get service-unavailable. */
    stop(): void {
      stopped = true;
      sessions.clear();
    },
    sessionCount: (): number => sessions.size,
  };
}
