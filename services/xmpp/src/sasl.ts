import xml, { type Element } from '@xmpp/xml';
import SASLFactory from 'saslmechanisms';
import { XmppError } from './errors.js';
import { NS as NAMESPACES } from './namespaces.js';

const NS = NAMESPACES.sasl;

/** A saslmechanisms mechanism; SCRAM ones also check the server's final message. */
export interface SaslMechanism {
  name: string;
  clientFirst?: boolean;
  response(credentials: Record<string, unknown>): unknown;
  challenge(data: string): unknown;
  /** RFC 5802 §3: the client MUST verify ServerSignature (`v=`) sent with <success/>. */
  verifyServerFinal?(data: string): void;
}

interface SaslFactoryLike {
  create(names: string[]): SaslMechanism | null;
  _mechs: Array<{ name: string }>;
}

interface EntityLike {
  on(event: 'nonza', listener: (el: Element) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  removeListener(event: 'nonza', listener: (el: Element) => void): unknown;
  removeListener(event: 'disconnect', listener: () => void): unknown;
  send(el: Element): Promise<unknown>;
  restart(): Promise<unknown>;
}

interface StreamFeaturesLike {
  use(
    name: string,
    ns: string,
    handler: (ctx: { entity: EntityLike }, next: unknown, element: Element) => Promise<void>,
  ): void;
}

/**
 * A saslmechanisms factory holding these mechanisms, for sasl(). saslmechanisms only keeps
 * each class for create(); sasl() is what calls the mechanism, and it awaits the answers that
 * SCRAM on WebCrypto gives asynchronously (saslmechanisms' own mechanisms, as
 * @types/saslmechanisms describes them, answer synchronously).
 */
export function createSaslFactory(mechanisms: Record<string, new () => SaslMechanism>): SASLFactory {
  const factory = new SASLFactory();
  for (const [name, mechanism] of Object.entries(mechanisms))
    factory.use(name, mechanism as unknown as SASLFactory.MechanismStatic);
  return factory;
}

export class SaslError extends Error {
  override name = 'SASLError';
  constructor(
    readonly condition: string,
    message: string,
  ) {
    super(message);
  }
}

// Base64 of a binary string, in Node and in browsers alike.
const encode = (s: string) => globalThis.btoa(s);
const decode = (s: string) => globalThis.atob(s);
const utf8ToBinary = (s: string) => String.fromCharCode(...new TextEncoder().encode(s));
const binaryToUtf8 = (s: string) => new TextDecoder().decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));

/**
 * SASL negotiation (RFC 6120 §6.4) for xmpp.js stream features. Unlike @xmpp/sasl it
 * hands the additional data of <success/> to the mechanism, so SCRAM authenticates the
 * server too: a server that does not know the password is refused.
 */
export function sasl(
  opts: { streamFeatures: unknown; saslFactory: unknown },
  onAuthenticate: (
    authenticate: (credentials: Record<string, unknown>, mechanism: string) => Promise<void>,
    offered: string[],
  ) => Promise<void>,
): void {
  // xmpp.js' stream features and saslmechanisms' factory are untyped.
  const streamFeatures = opts.streamFeatures as StreamFeaturesLike;
  const saslFactory = opts.saslFactory as SaslFactoryLike;
  streamFeatures.use('mechanisms', NS, async ({ entity }, _next, element) => {
    const offeredByServer = new Set(element.getChildren('mechanism', NS).map((m) => m.text()));
    const offered = saslFactory._mechs.map((m) => m.name).filter((name) => offeredByServer.has(name));
    if (offered.length === 0) throw new SaslError('invalid-mechanism', 'SASL: no mechanism in common with the server');
    await onAuthenticate((credentials, name) => authenticate(entity, saslFactory, name, credentials), offered);
    await entity.restart();
  });
}

async function authenticate(
  entity: EntityLike,
  factory: SaslFactoryLike,
  name: string,
  credentials: Record<string, unknown>,
): Promise<void> {
  const mech = factory.create([name]);
  if (!mech) throw new SaslError('invalid-mechanism', `SASL: mechanism ${name} not registered`);
  if (name.startsWith('SCRAM-') && !mech.verifyServerFinal)
    throw new SaslError('invalid-mechanism', `SASL: ${name} cannot verify the server`);
  const respond = async () => {
    const r = await mech.response(credentials);
    return typeof r === 'string' && r !== '' ? encode(utf8ToBinary(r)) : '';
  };
  await new Promise<void>((resolve, reject) => {
    const finish = (err?: unknown) => {
      entity.removeListener('nonza', listener);
      entity.removeListener('disconnect', onDisconnect);
      if (err instanceof Error) reject(err);
      else if (err) reject(new Error('SASL exchange failed', { cause: err }));
      else resolve();
    };
    const listener = (el: Element) => {
      if (el.attrs.xmlns !== NS) return;
      void (async () => {
        if (el.name === 'challenge') {
          await mech.challenge(binaryToUtf8(decode(el.text())));
          await entity.send(xml('response', { xmlns: NS }, await respond()));
        } else if (el.name === 'failure') {
          const condition =
            el.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? 'not-authorized';
          throw new SaslError(condition, el.getChildText('text') ?? condition);
        } else if (el.name === 'success') {
          const data = el.text();
          mech.verifyServerFinal?.(data === '' || data === '=' ? '' : binaryToUtf8(decode(data)));
          finish();
        }
      })().catch(finish);
    };
    // A connection lost mid-exchange ends it: left listening, this exchange answered the
    // next connection's <challenge/> with its own nonce ("server nonce does not extend ours").
    const onDisconnect = () =>
      finish(new XmppError('TICKDESK_XMPP_NOT_CONNECTED', 'not connected: the connection was lost during SASL'));
    entity.on('nonza', listener);
    entity.on('disconnect', onDisconnect);
    void (async () =>
      entity.send(xml('auth', { xmlns: NS, mechanism: name }, mech.clientFirst ? await respond() : '')))().catch(
      finish,
    );
  });
}

/** Compare the server's `v=` with the ServerSignature we computed (base64). */
export function checkServerSignature(data: string, expectedBase64: string): void {
  const v = new Map(data.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
  if (v.has('e')) throw new SaslError('not-authorized', `SCRAM: server error ${v.get('e')}`);
  if (v.get('v') !== expectedBase64)
    throw new SaslError(
      'not-authorized',
      'SCRAM: the server signature does not match; the server does not know the password',
    );
}
