import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { loginFor, redisClientOptions, type RedisClientOptions } from '@tickdesk/infra';
import { xmppServiceUrls, type DeskTopology } from '@tickdesk/schemas';
import { createXmppClient, type XmppClient } from '@tickdesk/xmpp';
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
export async function connectAs(
  target: XmppTarget,
  credentials: Credentials,
  user: string,
  log: Logger,
  resource?: string,
): Promise<XmppClient> {
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
 * Where the desk's XMPP server is (from its topology) and the credentials of its
 * accounts. On a cluster `node` spreads services (feed 0, engine 1, recorder 2): each
 * starts on its own node and knows every other.
 */
export function deskTarget(topology: DeskTopology, node = 0): { xmpp: XmppTarget; credentials: Credentials } {
  const services = xmppServiceUrls(topology);
  return {
    credentials: JSON.parse(readFileSync(topology.paths.credentials, 'utf8')) as Credentials,
    xmpp: {
      service: services[node % services.length]!,
      services,
      domain: topology.domain,
      ca: readFileSync(topology.paths.ca, 'utf8'),
    },
  };
}

/** ioredis options for one of the desk's Redis users, wherever the topology says Redis is (one server or sentinels). */
export function deskRedisOptions(topology: DeskTopology, credentials: Credentials, user: string): RedisClientOptions {
  return redisClientOptions(topology.redis, loginFor(credentials.redis, user), credentials.redis.sentinelPassword);
}
