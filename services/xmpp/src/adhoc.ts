import xml, { type Element } from '@xmpp/xml';
import type { XmppClient } from './client.js';
import { toXmppError, XmppError } from './errors.js';
import { parseForm, submitForm, type FieldValue } from './data-form.js';
import { NS } from './namespaces.js';

// XEP-0050: Ad-Hoc Commands.
export const NS_COMMANDS = NS.commands;

export interface CommandResult {
  status: 'completed' | 'executing' | 'canceled';
  note?: { type: string; text: string };
  fields: Map<string, { values: string[] }>;
}

function parseCommand(res: Element): { cmd: Element; result: CommandResult } {
  const cmd = res.getChild('command', NS_COMMANDS);
  if (!cmd) throw new XmppError('TICKDESK_XMPP_STANZA_ERROR', 'ad-hoc reply without <command/>');
  const note = cmd.getChild('note');
  return {
    cmd,
    result: {
      status: cmd.attrs.status as CommandResult['status'],
      ...(note ? { note: { type: (note.attrs.type as string) ?? 'info', text: note.text() } } : {}),
      fields: parseForm(cmd.getChild('x', NS.data)),
    },
  };
}

/**
 * Run a command to completion: execute (§3.4), then submit `fields` with the form's
 * FORM_TYPE in one step. A `note type='error'` becomes an XmppError.
 */
export async function executeCommand(
  client: XmppClient,
  to: string,
  node: string,
  fields: Record<string, FieldValue> = {},
): Promise<CommandResult> {
  const what = `ad-hoc ${node}`;
  try {
    const first = parseCommand(
      await client.iq.request(
        xml('iq', { type: 'set', to }, xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' })),
      ),
    );
    if (first.result.status !== 'executing') return first.result;
    const formType = first.result.fields.get('FORM_TYPE')?.values[0];
    const sessionid = first.cmd.attrs.sessionid as string;
    const done = parseCommand(
      await client.iq.request(
        xml(
          'iq',
          { type: 'set', to },
          xml('command', { xmlns: NS_COMMANDS, node, sessionid, action: 'complete' }, submitForm(formType, fields)),
        ),
      ),
    );
    if (done.result.note?.type === 'error')
      throw new XmppError('TICKDESK_XMPP_STANZA_ERROR', `${what}: ${done.result.note.text}`, 'bad-request');
    return done.result;
  } catch (err) {
    throw toXmppError(err, what);
  }
}

// XEP-0133: Service Administration, the commands this project uses.
export const ADMIN = {
  addUser: 'http://jabber.org/protocol/admin#add-user',
  deleteUser: 'http://jabber.org/protocol/admin#delete-user',
  changePassword: 'http://jabber.org/protocol/admin#change-user-password',
  onlineUsers: 'http://jabber.org/protocol/admin#get-online-users-list',
  endSessions: 'http://jabber.org/protocol/admin#end-user-session',
} as const;

/** XEP-0133 §4.1 add a user. */
export async function addUser(client: XmppClient, domain: string, jid: string, password: string): Promise<void> {
  await executeCommand(client, domain, ADMIN.addUser, { accountjid: jid, password, 'password-verify': password });
}

/** XEP-0133 §4.7 change a user's password. */
export async function changeUserPassword(
  client: XmppClient,
  domain: string,
  jid: string,
  password: string,
): Promise<void> {
  await executeCommand(client, domain, ADMIN.changePassword, { accountjid: jid, password });
}

/** XEP-0133 §4.6 end every session of a user. */
export async function endUserSessions(client: XmppClient, domain: string, jid: string): Promise<void> {
  await executeCommand(client, domain, ADMIN.endSessions, { accountjids: [jid] });
}
