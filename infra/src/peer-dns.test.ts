import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { peerDnsAnswers, peerDnsInetrc, startPeerDns, type PeerDns } from './peer-dns.js';
import { decodeQuery, encodeAnswer, encodeName, MAX_UDP_MESSAGE, RCODE, RR } from './peer-dns-wire.js';

const peers = [
  { domain: 'deskb.localhost', host: '127.0.0.1', port: 15270, ca: '/x/b.crt' },
  { domain: 'deskc.example', host: 'deskc-s2s.internal', port: 5269, ca: '/x/c.crt' },
];
const lookup = (host: string, family: 4 | 6) =>
  Promise.resolve(host === 'deskc-s2s.internal' ? (family === 4 ? ['10.0.0.7', '10.0.0.8'] : ['fd00::7']) : []);

/** A standard query as a resolver sends it (RD set), id 0x1234. */
function query(name: string, type: number, opts: { qclass?: number; flags?: number; qdcount?: number } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x1234, 0);
  header.writeUInt16BE(opts.flags ?? 0x0100, 2);
  header.writeUInt16BE(opts.qdcount ?? 1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(opts.qclass ?? 1, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

describe('peer DNS messages', () => {
  it('reads one question, lower-cased, and echoes it in an authoritative answer with its id', () => {
    const q = decodeQuery(query('_XMPP-Server._tcp.DeskB.localhost', RR.SRV))!;
    expect(q).toMatchObject({ id: 0x1234, rd: true, name: '_xmpp-server._tcp.deskb.localhost', type: RR.SRV });
    const a = encodeAnswer(q, RCODE.NOERROR, [{ type: RR.A, address: '10.1.2.3' }], 60);
    expect(a.readUInt16BE(0)).toBe(0x1234);
    expect(a.readUInt16BE(2)).toBe(0x8500); // QR, AA, RD; NOERROR
    expect([a.readUInt16BE(4), a.readUInt16BE(6)]).toEqual([1, 1]);
    expect(a.subarray(12, 12 + q.raw.length)).toEqual(q.raw);
    expect([...a.subarray(a.length - 4)]).toEqual([10, 1, 2, 3]);
  });

  it('drops what is not one well-formed standard query of at most 512 bytes', () => {
    const ok = query('deskb.localhost', RR.A);
    expect(decodeQuery(ok)).toBeDefined();
    expect(decodeQuery(ok.subarray(0, 20))).toBeUndefined(); // truncated name
    expect(decodeQuery(ok.subarray(0, ok.length - 1))).toBeUndefined(); // truncated class
    expect(decodeQuery(query('deskb.localhost', RR.A, { flags: 0x8000 }))).toBeUndefined(); // a response
    expect(decodeQuery(query('deskb.localhost', RR.A, { flags: 0x2800 }))).toBeUndefined(); // UPDATE
    expect(decodeQuery(query('deskb.localhost', RR.A, { qdcount: 2 }))).toBeUndefined();
    const pointer = Buffer.concat([ok.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
    expect(decodeQuery(pointer)).toBeUndefined();
    expect(decodeQuery(Buffer.concat([ok, Buffer.alloc(MAX_UDP_MESSAGE)]))).toBeUndefined();
    expect(() => encodeName(`${'a'.repeat(64)}.localhost`)).toThrow(RangeError);
    expect(() => encodeName(Array(130).fill('ab').join('.'))).toThrow(RangeError);
  });
});

describe('peer DNS answers', () => {
  const answer = peerDnsAnswers(peers, lookup);

  it("SRV of each peer domain and its pubsub service: the peer's host and port; A and AAAA: the host's addresses", async () => {
    for (const d of ['deskb.localhost', 'pubsub.deskb.localhost'])
      expect(await answer({ name: `_xmpp-server._tcp.${d}`, type: RR.SRV })).toEqual({
        rcode: RCODE.NOERROR,
        records: [{ type: RR.SRV, priority: 0, weight: 0, port: 15270, target: '127.0.0.1' }],
      });
    expect((await answer({ name: '_xmpp-server._tcp.deskc.example', type: RR.SRV })).records).toEqual([
      { type: RR.SRV, priority: 0, weight: 0, port: 5269, target: 'deskc-s2s.internal' },
    ]);
    expect((await answer({ name: 'deskc-s2s.internal', type: RR.A })).records).toHaveLength(2);
    expect(await answer({ name: 'pubsub.deskb.localhost', type: RR.A })).toEqual({
      rcode: RCODE.NOERROR,
      records: [{ type: RR.A, address: '127.0.0.1' }],
    });
    expect(await answer({ name: 'deskb.localhost', type: RR.AAAA })).toEqual({ rcode: RCODE.NOERROR, records: [] });
    expect((await answer({ name: 'deskc.example', type: RR.A })).records).toEqual([
      { type: RR.A, address: '10.0.0.7' },
      { type: RR.A, address: '10.0.0.8' },
    ]);
    expect((await answer({ name: 'deskc.example', type: RR.AAAA })).records).toEqual([
      { type: RR.AAAA, address: 'fd00::7' },
    ]);
  });

  it('NXDOMAIN for other names under a peer domain (direct TLS is not offered); REFUSED for any other name', async () => {
    const nx = { rcode: RCODE.NXDOMAIN, records: [] };
    expect(await answer({ name: '_xmpps-server._tcp.deskb.localhost', type: RR.SRV })).toEqual(nx);
    expect(await answer({ name: 'conference.deskb.localhost', type: RR.A })).toEqual(nx);
    const refused = { rcode: RCODE.REFUSED, records: [] };
    for (const name of ['_xmpp-server._tcp.example.com', 'example.com', 'localhost', 'xdeskb.localhost'])
      expect(await answer({ name, type: RR.A })).toEqual(refused);
    // Another record type of a known name: it exists, with no such records.
    expect(await answer({ name: 'deskb.localhost', type: 16 })).toEqual({ rcode: RCODE.NOERROR, records: [] });
  });
});

describe('peer DNS responder', () => {
  let dns: PeerDns | undefined;
  afterEach(async () => {
    await dns?.stop();
    dns = undefined;
  });

  it('answers a real resolver on 127.0.0.1, drops malformed datagrams, refuses other names', async () => {
    dns = await startPeerDns({ peers, lookup });
    const resolver = new Resolver({ timeout: 1_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dns.port}`]);
    expect(await resolver.resolveSrv('_xmpp-server._tcp.pubsub.deskb.localhost')).toEqual([
      { name: '127.0.0.1', port: 15270, priority: 0, weight: 0 },
    ]);
    expect(await resolver.resolve4('deskb.localhost')).toEqual(['127.0.0.1']);
    expect(await resolver.resolve6('deskc.example')).toEqual(['fd00::7']);
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
    await expect(resolver.resolveSrv('_xmpps-server._tcp.deskb.localhost')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.send(Buffer.from('not dns'), dns!.port, '127.0.0.1', () => r()));
    await new Promise<void>((r) => client.send(Buffer.alloc(600), dns!.port, '127.0.0.1', () => r()));
    await expect.poll(() => dns!.stats().dropped).toBe(2);
    client.close();
    expect(dns.stats().answered).toBe(5);
  });

  it("ejabberd's inetrc: hosts file, then DNS from the responder only", () => {
    expect(peerDnsInetrc(40053)).toContain('{nameserver, {127,0,0,1}, 40053}.');
    expect(peerDnsInetrc(40053)).toContain('{resolv_conf, ""}.');
    expect(peerDnsInetrc(40053)).toContain('{lookup, ["file", "dns"]}.');
  });
});
