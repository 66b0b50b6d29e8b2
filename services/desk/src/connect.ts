import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import type { DeskConfig } from './config.js';
import { account, type Credentials } from './credentials.js';

export interface XmppTarget {
  service: string;
  domain: string;
  ca: string;
}

/** Connect as one of the desk's accounts. */
export async function connectAs(target: XmppTarget, credentials: Credentials, user: string, log: Logger, resource?: string): Promise<XmppClient> {
  const client = createXmppClient({
    service: target.service,
    domain: target.domain,
    username: user,
    password: account(credentials, user).password,
    ca: target.ca,
    log,
    ...(resource ? { resource } : {}),
  });
  await client.start();
  return client;
}

/** Where a running desk's XMPP server is and the credentials of its accounts, from its runtime folder. */
export function deskTarget(config: DeskConfig): { xmpp: XmppTarget; credentials: Credentials } {
  const home = config.TICKDESK_HOME;
  return {
    credentials: JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as Credentials,
    xmpp: {
      service: `xmpp://127.0.0.1:${config.TICKDESK_XMPP_PORT}`,
      domain: config.TICKDESK_DOMAIN,
      ca: readFileSync(join(home, 'certs', 'ca.crt'), 'utf8'),
    },
  };
}
