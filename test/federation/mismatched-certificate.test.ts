import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xml, type Element, type XmppClient } from '@tickdesk/xmpp';
import { until } from '../support/private-redis.js';
import { startPeeredDesks, type PeeredDesk, type PeeredDesks } from './peered-desks.js';

const WRONG_NAME = 'other.localhost';
const PROSODY_MISMATCH =
  /Forbidding insecure connection to\/from deskb\.localhost because its certificate is not valid for this name/;
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const BOUNCE_WAIT_MS = 60_000;

/**
 * Desk B's server now presents a certificate for another name, issued by desk B's own CA (which
 * desk A trusts): made with desk B's CA key, put in place of certs/server.crt, and loaded by
 * Prosody on SIGHUP ("Certificates reloaded"), after `up` has checked its certificates.
 */
async function presentCertificateFor(desk: PeeredDesk, name: string): Promise<void> {
  const dir = join(desk.home, 'certs');
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ext = ['extendedKeyUsage = serverAuth, clientAuth', `subjectAltName = DNS:${name}, DNS:*.${name}`];
  writeFileSync(join(dir, 'wrong-name.ext'), ext.join('\n') + '\n');
  openssl(['req', '-new', '-key', 'server.key', '-subj', `/CN=${name}`, '-out', 'wrong-name.csr']);
  const ca = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'];
  openssl([
    'x509',
    '-req',
    '-in',
    'wrong-name.csr',
    ...ca,
    '-days',
    '30',
    '-extfile',
    'wrong-name.ext',
    '-out',
    'w.crt',
  ]);
  renameSync(join(dir, 'w.crt'), join(dir, 'server.crt'));
  const reloads = () => readFileSync(desk.xmppLog, 'utf8').split('Certificates reloaded').length;
  const before = reloads();
  process.kill(Number(readFileSync(join(desk.home, 'prosody', 'prosody.pid'), 'utf8').trim()), 'SIGHUP');
  await until(() => reloads() > before, 15_000);
}

/** The certificate a server presents after STARTTLS on its s2s port for `host` (openssl's own XMPP client). */
function presented(desk: PeeredDesk, host: string): string {
  const out = execFileSync(
    'openssl',
    ['s_client', '-connect', `127.0.0.1:${desk.ports.s2s}`, '-starttls', 'xmpp-server', '-xmpphost', host],
    { input: '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'], timeout: 15_000 },
  );
  return execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: out, encoding: 'utf8' });
}

/** Sends a chat message and resolves with the error stanza that comes back for it. */
async function bounceOf(client: XmppClient, to: string, id: string): Promise<Element> {
  let bounce: Element | undefined;
  client.on('stanza', (st: Element) => {
    if (st.attrs.id === id && st.attrs.type === 'error') bounce = st;
  });
  await client.send(xml('message', { to, type: 'chat', id }, xml('body', {}, 'over the link?')));
  await until(() => bounce !== undefined, BOUNCE_WAIT_MS);
  return bounce!;
}

const condition = (st: Element) =>
  st.getChild('error')?.children.filter((c): c is Element => typeof c !== 'string' && c.name !== 'text')[0]?.name;
const s2sLog = (desk: PeeredDesk, from = 0) => readFileSync(desk.xmppLog, 'utf8').slice(from);

/** What desk A (on `server`) says and sends back; desk B is on Prosody. */
const CASES = [
  {
    server: 'prosody',
    refusedOut: PROSODY_MISMATCH,
    refusedIn: PROSODY_MISMATCH,
    bouncedOut: /certificate is not valid for this name/,
    linked: /s2s connection \S+ complete|Accepting SASL EXTERNAL identity/,
  },
  {
    server: 'ejabberd',
    refusedOut:
      /Failed to establish outbound s2s connection desk\.localhost -> deskb\.localhost: Peer certificate rejected: Certificate host name mismatch/,
    refusedIn:
      /Failed inbound s2s EXTERNAL authentication deskb\.localhost -> (pubsub\.)?desk\.localhost \(.*\): Certificate host name mismatch/,
    bouncedOut: /Certificate host name mismatch/,
    linked: /Accepted (inbound|outbound) s2s EXTERNAL authentication|s2s connection \S+ complete/,
  },
] as const;

describe.each(CASES)(
  'a peer presenting a certificate from a trusted CA but for another domain (desk A on $server)',
  ({ server, refusedOut, refusedIn, bouncedOut, linked }) => {
    let desks: PeeredDesks;
    const clients: XmppClient[] = [];
    // Connected before desk B's certificate is swapped: it is desk B's client certificate too.
    let alice: XmppClient;
    let bob: XmppClient;
    let fromA = 0;
    let fromB = 0;
    const count = (re: RegExp) => s2sLog(desks.a, fromA).split(re).length;

    beforeAll(async () => {
      desks = await startPeeredDesks({
        servers: { a: server, b: 'prosody' },
        env: { a: { TICKDESK_FEED_RATE: '20' }, b: { TICKDESK_FEED_RATE: '20' } },
      });
    });

    // A failed case keeps both desks' folders (logs, configs, the swapped certificate).
    afterAll(async (suite) => {
      for (const c of clients) await c.stop().catch(() => undefined);
      await desks?.stop(suite.tasks.some((t) => t.result?.state === 'fail'));
    });

    it(`desk B's server presents a certificate for ${WRONG_NAME}, and no link was open before`, async () => {
      expect(s2sLog(desks.a) + s2sLog(desks.b)).not.toMatch(linked);
      fromA = s2sLog(desks.a).length;
      fromB = s2sLog(desks.b).length;
      alice = await desks.a.connect('alice');
      bob = await desks.b.connect('bob');
      clients.push(alice, bob);
      await presentCertificateFor(desks.b, WRONG_NAME);
      for (const host of ['deskb.localhost', 'pubsub.deskb.localhost']) {
        const names = presented(desks.b, host);
        expect(names).toContain(`DNS:${WRONG_NAME}`);
        expect(names).not.toContain('deskb.localhost');
      }
    });

    it("a stanza from desk A to desk B bounces, and desk A's log names the certificate's name as the cause", async () => {
      const reply = await bounceOf(alice, 'bob@deskb.localhost', 'mismatch-a-to-b');
      expect(condition(reply)).toBe('remote-server-timeout');
      expect(reply.getChild('error')?.getChildText('text', STANZAS)).toMatch(bouncedOut);
      await until(() => refusedOut.test(s2sLog(desks.a, fromA)), 15_000);
    });

    it("a stanza from desk B to desk A bounces too: desk A refuses desk B's certificate on the link in", async () => {
      const before = count(refusedIn);
      const reply = await bounceOf(bob, 'alice@desk.localhost', 'mismatch-b-to-a');
      expect(condition(reply)).toBe('remote-server-timeout');
      await until(() => count(refusedIn) > before, 15_000);
    });

    it('no link was made either way and neither server tried dialback', () => {
      const logs = s2sLog(desks.a, fromA) + s2sLog(desks.b, fromB);
      expect(logs).not.toMatch(linked);
      expect(logs).not.toMatch(/dialback/i);
    });
  },
);
