import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import xml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ctlOutput,
  ejabberdCluster,
  type ClusterNodeOptions,
  type EjabberdCluster,
  type XmppServer,
} from '@tickdesk/infra';
import { createPubsub, createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { threeNodeLayout } from './cluster-layout.js';

// Three ejabberd nodes of one desk on one machine, joined into one Mnesia cluster, all on 127.0.0.1.
const domain = 'desk.localhost';
const home = mkdtempSync(join(tmpdir(), 'tickdesk-cluster-'));
const log = pino({ level: 'silent' });
let nodes: ClusterNodeOptions[];
let cluster: EjabberdCluster;
let servers: XmppServer[] = [];
const clients: XmppClient[] = [];
let ca: string;
let base: Parameters<typeof ejabberdCluster>[0];
let epmdPort: number;

beforeAll(async () => {
  ({ ca, nodes, base, epmdPort } = await threeNodeLayout(home, domain, 'tdcluster'));
  cluster = ejabberdCluster(base, nodes, epmdPort);
  servers = await cluster.start([
    ['feed', 'feed-password-1'],
    ['admin', 'admin-password-1'],
  ]);
}, 180_000);

afterAll(async () => {
  for (const c of clients) await c.stop().catch(() => undefined);
  for (const s of servers) await s.stop().catch(() => undefined);
  await cluster?.stopEpmd();
  rmSync(home, { recursive: true, force: true });
}, 120_000);

async function login(user: string, node: number, password: string): Promise<XmppClient> {
  const services = nodes.map((n) => `xmpp://127.0.0.1:${n.c2sPort}`);
  const client = createXmppClient({
    service: services[node]!,
    services,
    domain,
    username: user,
    password,
    ca,
    log,
    resource: `test-${node}`,
    reconnect: { initialMs: 100, maxMs: 500 },
  });
  clients.push(client);
  // Notifications to a bare JID reach available sessions only (RFC 6121 §8.5.2.1).
  client.on('online', () => void client.send(xml('presence')).catch(() => undefined));
  await client.start();
  await client.send(xml('presence'));
  return client;
}

function itemsOn(client: XmppClient, node: string): string[] {
  const ids: string[] = [];
  client.on('stanza', (s: Element) => {
    const items = s.getChild('event', 'http://jabber.org/protocol/pubsub#event')?.getChild('items');
    if (items?.attrs.node === node) for (const i of items.getChildren('item')) ids.push(String(i.attrs.id));
  });
  return ids;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a clustered desk on one machine (3 ejabberd nodes)', () => {
  it('joins every node into one cluster', async () => {
    const members = (await ctlOutput({ ...base, ...nodes[2]!, epmdPort }, nodes[2]!.name, ['list_cluster']))
      .split(/\s+/)
      .filter(Boolean);
    expect(members.sort()).toEqual(nodes.map((n) => n.name).sort());
  });

  it('delivers to a subscriber on node 3 what the feed publishes on node 1, and goes on after kill -9 of node 1', async () => {
    const feed = await login('feed', 0, 'feed-password-1');
    const admin = await login('admin', 2, 'admin-password-1');
    const pubsub = createPubsub(feed, `pubsub.${domain}`);
    const node = 'ticks/CLUSTER';
    await pubsub.create(node);
    await pubsub.setAffiliations(node, [{ jid: `admin@${domain}`, affiliation: 'owner' }]);
    await createPubsub(admin, `pubsub.${domain}`).subscribe(node);
    const got = itemsOn(admin, node);
    const publish = (id: string) => pubsub.publish(node, xml('tick', { xmlns: 'urn:test:tick', seq: id }), id);
    await publish('s1');
    await until(() => got.includes('s1'), 5_000);

    process.kill(servers[0]!.serverPid(), 'SIGKILL');
    const killedAt = Date.now();
    await until(() => feed.state() === 'degraded', 5_000);
    await until(() => feed.state() === 'running', 10_000);
    const backMs = Date.now() - killedAt;
    await publish('s2');
    await until(() => got.includes('s2'), 5_000);
    expect(backMs).toBeLessThan(5_000);
    expect(got.filter((id) => id === 's1')).toHaveLength(1);
  });
});
