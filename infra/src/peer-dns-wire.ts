/**
 * The few DNS messages the peer resolver handles (RFC 1035 §4.1): one question in a query,
 * an authoritative answer with SRV (RFC 2782), A or AAAA records. Nothing else is parsed.
 */

/** RFC 1035 §4.2.1: a UDP message is at most 512 bytes without EDNS, which Erlang's inet_res does not send by default. */
export const MAX_UDP_MESSAGE = 512;
const HEADER = 12;
/** RFC 1035 §2.3.4: a name is at most 255 bytes on the wire, a label at most 63. */
const MAX_NAME = 255;
const MAX_LABEL = 63;

export const RR = { A: 1, AAAA: 28, SRV: 33 } as const;
const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

export interface DnsQuestion {
  id: number;
  /** Recursion desired, copied into the answer (RFC 1035 §4.1.1). */
  rd: boolean;
  /** Lower case, no trailing dot. */
  name: string;
  type: number;
  qclass: number;
  /** The question section as received (name, type, class), echoed in the answer. */
  raw: Buffer;
}

export type DnsRecord =
  | { type: typeof RR.SRV; priority: number; weight: number; port: number; target: string }
  | { type: typeof RR.A; address: string }
  | { type: typeof RR.AAAA; address: string };

/**
 * The question of a standard query, or undefined for anything else: a response, another
 * opcode, not exactly one question, a compressed or over-long name, a truncated message or
 * one over 512 bytes. Records after the question (an EDNS OPT, say) are not read.
 */
export function decodeQuery(msg: Buffer): DnsQuestion | undefined {
  if (msg.length < HEADER + 5 || msg.length > MAX_UDP_MESSAGE) return undefined;
  const flags = msg.readUInt16BE(2);
  const qr = flags >> 15;
  const opcode = (flags >> 11) & 0xf;
  if (qr !== 0 || opcode !== 0 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let at = HEADER;
  for (;;) {
    if (at >= msg.length) return undefined;
    const len = msg[at]!;
    at += 1;
    if (len === 0) break;
    // A pointer (0xC0) or the reserved label types: a query's one name is never compressed.
    if (len > MAX_LABEL || at + len > msg.length) return undefined;
    labels.push(
      msg
        .subarray(at, at + len)
        .toString('latin1')
        .toLowerCase(),
    );
    at += len;
    if (at - HEADER > MAX_NAME) return undefined;
  }
  if (at + 4 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0),
    rd: (flags & 0x0100) !== 0,
    name: labels.join('.'),
    type: msg.readUInt16BE(at),
    qclass: msg.readUInt16BE(at + 2),
    raw: Buffer.from(msg.subarray(HEADER, at + 4)),
  };
}

/** A name in wire form, uncompressed; throws on a label or name over the limits. */
export function encodeName(name: string): Buffer {
  const parts = name === '' ? [] : name.split('.');
  const out: Buffer[] = [];
  for (const p of parts) {
    const label = Buffer.from(p, 'latin1');
    if (label.length === 0 || label.length > MAX_LABEL) throw new RangeError(`bad DNS label in ${name}`);
    out.push(Buffer.from([label.length]), label);
  }
  out.push(Buffer.from([0]));
  const wire = Buffer.concat(out);
  if (wire.length > MAX_NAME) throw new RangeError(`DNS name too long: ${name}`);
  return wire;
}

function rdata(r: DnsRecord): Buffer {
  if (r.type === RR.SRV) {
    const head = Buffer.alloc(6);
    head.writeUInt16BE(r.priority, 0);
    head.writeUInt16BE(r.weight, 2);
    head.writeUInt16BE(r.port, 4);
    return Buffer.concat([head, encodeName(r.target)]);
  }
  if (r.type === RR.A) return Buffer.from(r.address.split('.').map(Number));
  return ipv6Bytes(r.address);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * The answer to `q`: authoritative, no recursion available, the question echoed and each
 * record named by a pointer to it (RFC 1035 §4.1.4), class IN, `ttl` seconds.
 */
export function encodeAnswer(q: DnsQuestion, rcode: Rcode, records: readonly DnsRecord[], ttl: number): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt16BE(q.id, 0);
  // QR=1, opcode 0, AA=1, RD as asked, RA=0.
  header.writeUInt16BE(0x8400 | (q.rd ? 0x0100 : 0) | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const answers = records.map((r) => {
    const data = rdata(r);
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc000 | HEADER, 0);
    fixed.writeUInt16BE(r.type, 2);
    fixed.writeUInt16BE(CLASS_IN, 4);
    fixed.writeUInt32BE(ttl, 6);
    fixed.writeUInt16BE(data.length, 10);
    return Buffer.concat([fixed, data]);
  });
  return Buffer.concat([header, q.raw, ...answers]);
}

export const isInternetClass = (q: DnsQuestion) => q.qclass === CLASS_IN;
