import type { Logger } from 'pino';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
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
