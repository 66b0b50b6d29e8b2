import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { xmppNodePorts, type DeskConfig } from './config.js';
import { account, type Credentials } from './credentials.js';

export interface XmppTarget {
  /** The node this service starts on. */
  service: string;
  /** Every node, for reconnecting to another when this one dies. */
  services?: readonly string[];
  domain: string;
  ca: string;
}

/** Connect as one of the desk's accounts. */
export async function connectAs(target: XmppTarget, credentials: Credentials, user: string, log: Logger, resource?: string): Promise<XmppClient> {
  const client = createXmppClient({
    service: target.service,
    ...(target.services ? { services: target.services } : {}),
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

/**
 * Where a running desk's XMPP server is and the credentials of its accounts, from its
 * runtime folder. On a cluster `node` spreads services (feed 0, engine 1, recorder 2):
 * each starts on its own node and knows every other.
 */
export function deskTarget(config: DeskConfig, node = 0): { xmpp: XmppTarget; credentials: Credentials } {
  const home = config.TICKDESK_HOME;
  const services = xmppNodePorts(config).map((n) => `xmpp://127.0.0.1:${n.c2sPort}`);
  return {
    credentials: JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as Credentials,
    xmpp: {
      service: services[node % services.length]!,
      services,
      domain: config.TICKDESK_DOMAIN,
      ca: readFileSync(join(home, 'certs', 'ca.crt'), 'utf8'),
    },
  };
}
