import type { Logger } from 'pino';
import { xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { parseChatCommand, USAGE } from './chat-command.js';
import type { CommandOutcome, RuleCommands } from './rule-commands.js';

export interface ChatServiceDeps {
  client: XmppClient;
  commands: RuleCommands;
  domain: string;
  isTrader(user: string): boolean;
  log: Logger;
}

/**
 * Traders manage their rules by chatting with the desk account, so any XMPP client,
 * a phone's included, can do it. Only chat messages with a body from a trader of this
 * domain are commands; receipts, markers and everything else pass by.
 */
export function createChatService({ client, commands, domain, isTrader, log: parentLog }: ChatServiceDeps) {
  const log = parentLog.child({ component: 'chat' });

  async function run(user: string, text: string): Promise<CommandOutcome> {
    const cmd = parseChatCommand(text);
    switch (cmd.kind) {
      case 'help': return { ok: true, text: USAGE };
      case 'usage': return { ok: false, text: cmd.message };
      case 'list': return commands.list(user);
      case 'add': return commands.add(user, cmd.input);
      case 'delete': return commands.remove(user, cmd.id);
      case 'pause': return commands.setActive(user, cmd.id, false);
      case 'resume': return commands.setActive(user, cmd.id, true);
    }
  }

  function onStanza(stanza: Element) {
    if (stanza.name !== 'message' || (stanza.attrs.type ?? 'normal') !== 'chat') return;
    const body = stanza.getChildText('body');
    const from = stanza.attrs.from as string | undefined;
    if (body === null || !from) return;
    const [user, host] = from.split('/')[0]!.split('@') as [string, string?];
    if (host !== domain) return;
    const reply = (text: string) =>
      client.send(xml('message', { to: from, type: 'chat', ...(stanza.attrs.id ? { id: `re-${String(stanza.attrs.id)}` } : {}) }, xml('body', {}, text)));
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
        log.error({ user, err: err.message }, 'chat command failed');
        return reply('Sorry, that failed on our side. Send "alerts" to see your rules, then try again.').catch(() => undefined);
      });
  }

  return {
    start: () => void client.on('stanza', onStanza),
    stop: () => void client.off('stanza', onStanza),
  };
}
