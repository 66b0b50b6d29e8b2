import type { DeskTopology } from '@tickdesk/schemas';
import type { UrlPolicy, WebhooksConfig } from '@tickdesk/alerts';

/**
 * Every `host:port` the desk listens on (its API, XMPP nodes, Redis, MQTT broker): an
 * endpoint there would have the desk POST to itself (a loop, or a request forged from inside).
 */
export function webhookPolicy(
  topology: DeskTopology,
  api: { host: string; port: number },
  config: Pick<WebhooksConfig, 'allowPrivate'>,
): UrlPolicy {
  const self = [`${api.host}:${api.port}`, `${topology.api.host}:${topology.api.port}`];
  for (const n of topology.xmppNodes)
    for (const port of [n.c2sPort, n.c2sDirectTlsPort, n.httpPort, n.distPort]) self.push(`${n.host}:${port}`);
  if (topology.redis.mode === 'single') self.push(`${topology.redis.host}:${topology.redis.port}`);
  if (topology.mqtt) self.push(`${topology.mqtt.host}:${topology.mqtt.port}`);
  return { allowPrivate: config.allowPrivate, self };
}
