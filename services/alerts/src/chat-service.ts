import type { Logger } from 'pino';
import { xmlTextProblem } from '@tickdesk/schemas';
import { xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { parseChatCommand, USAGE } from './chat-command.js';
import { deskUser } from './desk-user.js';
import { cutToBytes, DEFAULT_REPLY_LIMITS, pageOf, pageText, type ReplyLimits } from './reply-pages.js';
import { describeRule, type CommandOutcome, type RuleCommands } from './rule-commands.js';

export interface ChatLimits extends ReplyLimits {
  /** Bytes of a command's body (UTF-8); the longest rule command is well under 1 KiB. */
  maxCommandBytes: number;
}
export const DEFAULT_CHAT_LIMITS: ChatLimits = { ...DEFAULT_REPLY_LIMITS, maxCommandBytes: 4_096 };

export interface ChatServiceDeps {
  client: XmppClient;
  commands: RuleCommands;
  domain: string;
  isTrader: (user: string) => boolean;
  log: Logger;
  limits?: Partial<ChatLimits>;
  /**
   * Whether to take a message sent to `to`. Several engines share alerts@ and the server
   * may hand a message to the bare JID to each (RFC 6121 §8.5.2.1.1): one of them answers.
   */
  answers?: (to: string) => boolean;
}

/**
 * Traders manage their rules by chatting with the desk account, so any XMPP client,
 * a phone's included, can do it. Only chat messages with a body from a trader of this
 * domain are commands; receipts, markers and everything else pass by.
 */
export function createChatService({
  client,
  commands,
  domain,
  isTrader,
  log: parentLog,
  limits: over = {},
  answers = () => true,
}: ChatServiceDeps) {
  const log = parentLog.child({ component: 'chat' });
  const limits: ChatLimits = { ...DEFAULT_CHAT_LIMITS, ...over };

  async function list(user: string, page: number): Promise<CommandOutcome> {
    const mine = await commands.mine(user);
    if (mine.length === 0) return { ok: true, text: 'You have no rules. Try: alert BTCUSDT crosses 65000' };
    return { ok: true, text: pageText(pageOf(mine.map(describeRule), page, limits), (n) => `send "alerts ${n}"`) };
  }

  async function run(user: string, text: string): Promise<CommandOutcome> {
    const size = Buffer.byteLength(text, 'utf8');
    if (size > limits.maxCommandBytes)
      return {
        ok: false,
        text: `Refused: a command is at most ${limits.maxCommandBytes} bytes; this one has ${size}.`,
      };
    // A command's text can come back in a reply and a rule's message goes into every alert:
    // refused here, with the character named, rather than replaced behind the trader's back.
    const problem = xmlTextProblem(text);
    if (problem) return { ok: false, text: `Refused: the command ${problem}. Type it again without it.` };
    const cmd = parseChatCommand(text);
    switch (cmd.kind) {
      case 'help':
        return { ok: true, text: USAGE };
      case 'usage':
        return { ok: false, text: cmd.message };
      case 'list':
        return list(user, cmd.page);
      case 'add':
        return commands.add(user, cmd.input);
      case 'delete':
        return commands.remove(user, cmd.id);
      case 'pause':
        return commands.setActive(user, cmd.id, false);
      case 'resume':
        return commands.setActive(user, cmd.id, true);
      case 'escalate':
        return commands.escalate(user, cmd.id, cmd.escalation);
    }
  }

  function onStanza(stanza: Element) {
    // RFC 6121 §5.2.2: a message without a type is 'normal'; some clients send commands that way.
    const type = (stanza.attrs.type as string | undefined) ?? 'normal';
    if (stanza.name !== 'message' || (type !== 'chat' && type !== 'normal')) return;
    const body = stanza.getChildText('body');
    const from = stanza.attrs.from as string | undefined;
    if (body === null || !from || !answers(String(stanza.attrs.to ?? ''))) return;
    const user = deskUser(from, domain)?.user;
    if (!user) return;
    const id = typeof stanza.attrs.id === 'string' && stanza.attrs.id.length <= 128 ? stanza.attrs.id : undefined;
    const reply = (text: string) =>
      client.send(
        xml(
          'message',
          { to: from, type: 'chat', ...(id ? { id: `re-${id}` } : {}) },
          xml('body', {}, cutToBytes(text, limits.maxBytes)),
        ),
      );
    if (!isTrader(user)) {
      void reply('Only traders can manage alerts here.').catch(() => undefined);
      return;
    }
    run(user, body)
      .then((out) => {
        log.info({ user, ok: out.ok, command: body.slice(0, 80) }, 'chat command');
        return reply(out.text);
      })
      .catch((err: Error) => {
        log.error({ user, err }, 'chat command failed');
        return reply('Sorry, that failed on our side. Send "alerts" to see your rules, then try again.').catch(
          () => undefined,
        );
      });
  }

  return {
    start: () => void client.on('stanza', onStanza),
    stop: () => void client.off('stanza', onStanza),
  };
}
