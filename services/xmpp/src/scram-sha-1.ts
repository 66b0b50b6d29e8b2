import { checkServerSignature, SaslError } from './sasl.js';

// SCRAM-SHA-1 (RFC 5802) on WebCrypto: PBKDF2, HMAC and SHA-1 are native in Node
// (globalThis.crypto) and in browsers (a secure page), so services and the dashboard
// log in through this one module.

/**
 * What a reconnect can log in with instead of the password (RFC 5802 §3: ClientKey and
 * ServerKey are derived from SaltedPassword, which only the salt and iteration count
 * the server sent produce). Base64 throughout.
 */
export interface ScramKeys {
  salt: string;
  iterations: number;
  clientKey: string;
  serverKey: string;
}

export interface ScramCredentials {
  username?: string;
  password?: string;
  /** Keys from an earlier login; used while the server's salt and count are unchanged. */
  keys?: ScramKeys;
}

export interface ScramOptions {
  cnonce?: string;
  /** Called with the keys this login used, once they are derived. */
  onKeys?: (keys: ScramKeys) => void;
}

const subtle = () => {
  const s = globalThis.crypto?.subtle;
  if (!s)
    throw new SaslError(
      'temporary-auth-failure',
      'SCRAM needs WebCrypto (in a browser: a secure page, https or localhost)',
    );
  return s;
};
const utf8 = (s: string) => new TextEncoder().encode(s);
export const toBase64 = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return globalThis.btoa(s);
};
export const fromBase64 = (s: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(globalThis.atob(s), (c) => c.charCodeAt(0));
const saslname = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

/**
 * The highest iteration count accepted from a server: a hostile one could ask for 2^31 and
 * hold the client for minutes. Prosody asks 10,000 and ejabberd 4,096; 1,000,000 is about
 * 0.25 s of native PBKDF2 here.
 */
export const SCRAM_MAX_ITERATIONS = 1_000_000;

/** HMAC(key, data) for each data, the key imported once; WebCrypto runs the signs side by side. */
async function hmacs(key: Uint8Array<ArrayBuffer>, ...data: string[]): Promise<Uint8Array<ArrayBuffer>[]> {
  const k = await subtle().importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return Promise.all(data.map(async (d) => new Uint8Array(await subtle().sign('HMAC', k, utf8(d)))));
}

/** SaltedPassword := Hi(Normalize(password), salt, i), RFC 5802 §2.2: PBKDF2 with HMAC-SHA-1. */
async function saltedPassword(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const base = await subtle().importKey('raw', utf8(password.normalize('NFKC')), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await subtle().deriveBits({ name: 'PBKDF2', hash: 'SHA-1', salt, iterations }, base, 160));
}

/**
 * ClientKey and ServerKey (RFC 5802 §3) from the password. Not cached: native PBKDF2 at
 * 4,096 iterations costs about a millisecond, and a cache would keep something
 * derived from the password (or the password, as its key) in memory for the life of a tab.
 */
async function keysFromPassword(password: string, salt: string, iterations: number): Promise<ScramKeys> {
  const [clientKey, serverKey] = await hmacs(
    await saltedPassword(password, fromBase64(salt), iterations),
    'Client Key',
    'Server Key',
  );
  return { salt, iterations, clientKey: toBase64(clientKey!), serverKey: toBase64(serverKey!) };
}

/** SCRAM-SHA-1 for the saslmechanisms factory our SASL negotiation uses; it authenticates the server too. */
export class ScramSha1 {
  readonly name = 'SCRAM-SHA-1';
  readonly clientFirst = true;
  private stage: 'initial' | 'challenge' | 'final' = 'initial';
  private clientFirstBare = '';
  private challengeText = '';
  private serverNonce = '';
  private salt = '';
  private iterations = 0;
  private readonly cnonce: string;
  private readonly onKeys: ((keys: ScramKeys) => void) | undefined;
  private serverSignature = '';

  constructor(options: ScramOptions = {}) {
    this.cnonce = options.cnonce ?? toBase64(globalThis.crypto.getRandomValues(new Uint8Array(18)));
    this.onKeys = options.onKeys;
  }

  async response(cred: ScramCredentials): Promise<string> {
    if (this.stage === 'initial') {
      this.clientFirstBare = `n=${saslname(cred.username ?? '')},r=${this.cnonce}`;
      this.stage = 'challenge';
      return `n,,${this.clientFirstBare}`;
    }
    if (this.stage === 'challenge') {
      this.stage = 'final';
      const keys = await this.keys(cred);
      const withoutProof = `c=biws,r=${this.serverNonce}`;
      const authMessage = `${this.clientFirstBare},${this.challengeText},${withoutProof}`;
      const clientKey = fromBase64(keys.clientKey);
      const [[signature], [serverSignature]] = await Promise.all([
        subtle()
          .digest('SHA-1', clientKey)
          .then((storedKey) => hmacs(new Uint8Array(storedKey), authMessage)),
        hmacs(fromBase64(keys.serverKey), authMessage),
      ]);
      const proof = clientKey.map((b, i) => b ^ signature![i]!);
      this.serverSignature = toBase64(serverSignature!);
      this.onKeys?.(keys);
      return `${withoutProof},p=${toBase64(proof)}`;
    }
    return '';
  }

  private async keys(cred: ScramCredentials): Promise<ScramKeys> {
    const k = cred.keys;
    if (k && k.salt === this.salt && k.iterations === this.iterations) return k;
    if (cred.password === undefined) {
      throw new SaslError(
        'credentials-expired',
        'SCRAM: the server changed the salt or iteration count; the password is needed again',
      );
    }
    return keysFromPassword(cred.password, this.salt, this.iterations);
  }

  /** RFC 5802 §3: the server proves it knows the password too. */
  verifyServerFinal(data: string): void {
    checkServerSignature(data, this.serverSignature);
  }

  challenge(chal: string): this {
    const values = new Map(chal.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
    this.challengeText = chal;
    this.serverNonce = values.get('r') ?? '';
    this.salt = values.get('s') ?? '';
    this.iterations = Number(values.get('i') ?? 0);
    if (!this.serverNonce.startsWith(this.cnonce)) throw new Error('SCRAM: server nonce does not extend ours');
    if (!Number.isInteger(this.iterations) || this.iterations < 1 || this.iterations > SCRAM_MAX_ITERATIONS)
      throw new Error('SCRAM: bad iteration count');
    return this;
  }
}
