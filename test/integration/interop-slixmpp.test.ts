import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeed, createFeedMetrics, type RawTick } from '@tickdesk/feed-core';
import { ensureCertificates } from '@tickdesk/infra';
import { DEFAULT_INSTRUMENTS, formatMicros, NS_TICKS, TIMESTAMP_PATTERN, type Tick } from '@tickdesk/schemas';
import { createPubsub, xml, type XmppClient } from '@tickdesk/xmpp';
import { collectTicks, connect, credentials, desk, log, waitFor } from './helpers.js';
import { listSource } from './feed-runner.js';

// docs/protocol.md, "Interoperability": a third-party client (slixmpp, Debian's
// python3-slixmpp) reads the desk's nodes knowing only the protocol document.
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../interop/slixmpp_ticks.py', import.meta.url));
const EXIT = { ok: 0, auth: 3, tls: 4, refused: 5, malformed: 8 } as const;

const slixmppMissing = (() => {
  const probe = spawn(PYTHON, ['-c', 'import slixmpp'], { stdio: 'ignore' });
  return new Promise<boolean>((resolve) => {
    probe.on('error', () => resolve(true));
    probe.on('exit', (code) => resolve(code !== 0));
  });
})();

let scratch: string;
beforeAll(async () => {
  if (await slixmppMissing) throw new Error(`${PYTHON} cannot import slixmpp: install python3-slixmpp`);
  scratch = mkdtempSync(join(tmpdir(), 'tickdesk-interop-'));
});
afterAll(() => {
  if (scratch && existsSync(scratch)) rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  kill: () => void;
}

/** Run the slixmpp script as `user`; the password goes through a 0600 file, not argv. */
function runScript(
  user: string,
  opts: { node: string; count: number; timeoutS?: number; password?: string; ca?: string },
): Run {
  const d = desk();
  const url = new URL(d.service);
  const pwFile = join(scratch, `${user}-${Math.random().toString(36).slice(2)}.pw`);
  writeFileSync(pwFile, `${opts.password ?? credentials().accounts[user]!.password}\n`, { mode: 0o600 });
  const child = spawn(
    PYTHON,
    [
      SCRIPT,
      '--jid',
      `${user}@${d.domain}`,
      '--password-file',
      pwFile,
      '--ca',
      opts.ca ?? join(d.home, 'certs', 'ca.crt'),
      '--host',
      url.hostname,
      '--port',
      url.port,
      '--service',
      d.pubsubHost,
      '--node',
      opts.node,
      '--count',
      String(opts.count),
      '--timeout',
      String(opts.timeoutS ?? 20),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  return { stdout: () => stdout, stderr: () => stderr, exited, kill: () => child.kill('SIGTERM') };
}

const base = (Math.floor(Date.now() / 1000) - 60) * 1_000_000;
const eur = (seq: number, price: string, size: string, side?: Tick['side']): RawTick => ({
  symbol: 'EURUSD',
  seq,
  price,
  size,
  eventTimeMicros: base + seq * 1_250,
  ...(side ? { side } : {}),
});
const input = [
  eur(1, '1.08123', '1000', 'buy'),
  eur(2, '1.08124', '250000', 'sell'),
  eur(3, '1.0812', '1000'),
  eur(7, '1.08131', '1500000', 'buy'),
  eur(8, '1.08099', '0.5', 'sell'),
  eur(9, '1.08125', '3000', 'buy'),
];

let feed: XmppClient;
let alice: XmppClient;
beforeAll(async () => {
  feed = await connect('feed', 'interop-test');
  alice = await connect('alice', 'interop-test');
});
afterAll(async () => {
  await feed?.stop();
  await alice?.stop();
});

describe('slixmpp (a third-party XMPP client) reads instrument nodes', () => {
  it('subscribes as an entitled analyst and decodes exactly the ticks the feed published', async () => {
    const run = runScript('ana', { node: 'ticks/EURUSD', count: input.length });
    try {
      await waitFor(
        () => /^subscribed /m.test(run.stderr()) || /slixmpp_ticks:/.test(run.stderr()),
        20_000,
        'the script to subscribe',
      );
      expect(run.stderr()).toMatch(/^subscribed pubsub\.desk\.localhost ticks\/EURUSD as ana@desk\.localhost$/m);
      // disco#items listed every instrument node before subscribing.
      for (const i of DEFAULT_INSTRUMENTS) expect(run.stderr()).toContain(`node ticks/${i.symbol} (${i.symbol} ticks)`);

      // Our own decoder subscribes too, so both readings of the same items can be compared.
      const ours = await collectTicks(alice, ['EURUSD']);
      // At most two ticks per item, so the script reads several notifications.
      const pipeline = createFeed({
        source: listSource(input),
        pubsub: createPubsub(feed, desk().pubsubHost),
        instruments: DEFAULT_INSTRUMENTS,
        log,
        metrics: createFeedMetrics(),
        config: { maxBatch: 2 },
      });
      await pipeline.start();
      await pipeline.finished();
      await pipeline.stop();

      expect(await run.exited, run.stderr()).toBe(EXIT.ok);
      await waitFor(() => ours.ticks.length >= input.length, 10_000, 'our own subscriber');
      await ours.sub.stop();
      await createPubsub(alice, desk().pubsubHost).unsubscribe('ticks/EURUSD');

      const lines = run.stdout().trim().split('\n');
      const theirs = lines.map((l) => JSON.parse(l) as Tick);
      expect(theirs.map(({ seq, price, size, side }) => ({ seq, price, size, side }))).toEqual([
        { seq: 1, price: '1.08123', size: '1000', side: 'buy' },
        { seq: 2, price: '1.08124', size: '250000', side: 'sell' },
        { seq: 3, price: '1.0812', size: '1000', side: 'unknown' },
        { seq: 7, price: '1.08131', size: '1500000', side: 'buy' },
        { seq: 8, price: '1.08099', size: '0.5', side: 'sell' },
        { seq: 9, price: '1.08125', size: '3000', side: 'buy' },
      ]);
      const timestamp = new RegExp(TIMESTAMP_PATTERN);
      for (const [i, t] of theirs.entries()) {
        expect(Object.keys(t).sort()).toEqual(['eventTime', 'ingestTime', 'price', 'seq', 'side', 'size', 'symbol']);
        expect(t.symbol).toBe('EURUSD');
        expect(t.eventTime).toBe(formatMicros(input[i]!.eventTimeMicros));
        expect(t.ingestTime).toMatch(timestamp);
      }
      // The independent Python parser and @tickdesk/schemas agree field for field.
      expect(theirs).toEqual(ours.ticks);
      expect(run.stderr()).toMatch(/^unsubscribed ticks\/EURUSD$/m);
    } finally {
      run.kill();
    }
  });

  it('rejects a malformed item whole, reports a conflation gap and ignores events not from the service', async () => {
    const run = runScript('ana', { node: 'ticks/USDJPY', count: 4 });
    try {
      await waitFor(
        () => /^subscribed /m.test(run.stderr()) || /slixmpp_ticks:/.test(run.stderr()),
        20_000,
        'the script to subscribe',
      );
      const t = '2026-11-20T12:00:00.000001Z';
      // Ticks written as `seq price size side`, encoded by hand with both times at the item's base time.
      const batch = (lines: string[], conflated?: number) => {
        const base = Number(lines[0]!.split(' ')[0]);
        const text = lines
          .map((l) => {
            const [seq, ...rest] = l.split(' ');
            return `${Number(seq) - base} ${rest.join(' ')} 0 0`;
          })
          .join(';');
        return xml(
          'ticks',
          {
            xmlns: NS_TICKS,
            symbol: 'USDJPY',
            count: String(lines.length),
            seq: String(base),
            time: t,
            ...(conflated ? { conflated: String(conflated) } : {}),
          },
          text,
        );
      };
      // A look-alike notification sent by another user straight to ana: not from the service.
      const forged = xml('item', { id: 'forged' }, batch(['999 1 1 b']));
      const event = xml(
        'event',
        { xmlns: 'http://jabber.org/protocol/pubsub#event' },
        xml('items', { node: 'ticks/USDJPY' }, forged),
      );
      await alice.send(xml('message', { to: `ana@${desk().domain}`, type: 'headline' }, event));
      const pubsub = createPubsub(feed, desk().pubsubHost);
      await pubsub.publish('ticks/USDJPY', batch(['10 151.201 1000 b', '11 151.202 2000 s']));
      await pubsub.publish('ticks/USDJPY', batch(['12 151.203 1000 b', '12 151.204 1000 b'])); // seq not increasing
      await pubsub.publish('ticks/USDJPY', batch(['41 151.3 5000 u', '42 151.301 1000 s'], 28));

      expect(await run.exited, run.stderr()).toBe(EXIT.malformed);
      expect(
        run
          .stdout()
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as Tick).seq),
      ).toEqual([10, 11, 41, 42]);
      expect(run.stderr()).toMatch(/^ignored a pubsub event from alice@desk\.localhost\//m);
      expect(run.stderr()).toMatch(/^rejected item \S+: tick 2: seq 12 not above 12$/m);
      expect(run.stderr()).toMatch(/^gap: 28 ticks conflated by the publisher before seq 41$/m);
      expect(run.stderr()).toMatch(/^unsubscribed ticks\/USDJPY$/m);
    } finally {
      run.kill();
    }
  });

  it('is refused (forbidden, or not-allowed) as an analyst without an entitlement', async () => {
    const run = runScript('eve', { node: 'ticks/EURUSD', count: 1, timeoutS: 15 });
    const code = await run.exited;
    expect(code).toBe(EXIT.refused);
    expect(run.stderr()).toMatch(/subscribe ticks\/EURUSD refused by pubsub\.desk\.localhost: (forbidden|not-allowed)/);
    expect(run.stdout()).toBe('');
  });

  it('fails clearly on a wrong password and on a server certificate it cannot verify', async () => {
    const badPassword = runScript('ana', {
      node: 'ticks/EURUSD',
      count: 1,
      timeoutS: 15,
      password: 'not-the-password',
    });
    expect(await badPassword.exited).toBe(EXIT.auth);
    expect(badPassword.stderr()).toMatch(/authentication as ana@desk\.localhost failed: not-authorized/);

    // A CA of our own making that never signed the desk's certificate.
    const foreign = ensureCertificates(join(scratch, 'foreign-ca'), desk().domain);
    const untrusted = runScript('ana', { node: 'ticks/EURUSD', count: 1, timeoutS: 15, ca: foreign.caCert });
    expect(await untrusted.exited).toBe(EXIT.tls);
    expect(untrusted.stderr()).toMatch(/TLS to 127\.0\.0\.1:\d+ failed: .*CERTIFICATE_VERIFY_FAILED/);
  });
});
