import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress } from './webhook-url.js';

/** One delivery attempt's result. `retry`: worth trying again later. */
export type PostOutcome = { ok: true; status: number } | { ok: false; retry: boolean; reason: string; status?: number };

export interface PostOptions {
  timeoutMs: number;
  /** Response bytes read at most; the rest is dropped with the connection. */
  maxResponseBytes: number;
  allowPrivate: boolean;
}

/** A host name resolved as usual, refused when it resolves to a private address and the policy says so. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const usable = allowPrivate ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
      if (usable.length === 0)
        return callback(
          Object.assign(new Error(`${hostname} resolves to a private address`), { code: 'EPRIVATE' }),
          '',
          0,
        );
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/**
 * 408 (timeout) and 429 (rate limited) say "later"; any other 4xx says the request itself
 * is wrong (gone, unauthorised, refused), and the same bytes sent again get the same answer.
 */
function classify(status: number): PostOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  if (status >= 300 && status < 400)
    return { ok: false, retry: false, status, reason: `redirect ${status} not followed` };
  const retry = status >= 500 || status === 408 || status === 429;
  return { ok: false, retry, status, reason: `HTTP ${status}` };
}

/**
 * POSTs `body` once. No redirect is followed (a 3xx is a failure: the signature was made
 * for this endpoint, not wherever it points), the whole exchange has one deadline, and at
 * most `maxResponseBytes` of the answer are read.
 */
export function postOnce(url: string, headers: Record<string, string>, body: string, opt: PostOptions) {
  return new Promise<PostOutcome>((resolve) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (o: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(o);
    };
    const req = send(target, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      lookup: guardedLookup(opt.allowPrivate),
      agent: false,
    });
    const timer = setTimeout(
      () => done({ ok: false, retry: true, reason: `no answer within ${opt.timeoutMs} ms` }),
      opt.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      done({ ok: false, retry: err.code !== 'EPRIVATE', reason: err.code ?? err.message }),
    );
    req.on('response', (res: IncomingMessage) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > opt.maxResponseBytes) done(classify(res.statusCode ?? 0));
      });
      res.on('end', () => done(classify(res.statusCode ?? 0)));
      res.on('error', () => done(classify(res.statusCode ?? 0)));
    });
    req.end(body);
  });
}
