import { Client } from '@xmpp/client-core';
import middlewareFactory, { type IncomingContext } from '@xmpp/middleware';
import streamFeaturesFactory, { type StreamFeatures } from '@xmpp/stream-features';
import iqCalleeFactory from '@xmpp/iq/callee.js';
import resourceBinding from '@xmpp/resource-binding';
import type { IQCaller as XmppIqCaller } from '@xmpp/iq/caller.js';
import type { Element } from '@xmpp/xml';
import { createIqCaller, type IQCaller } from './iq-caller.js';
import { NS } from './namespaces.js';
import { createSaslFactory, sasl, SaslError } from './sasl.js';
import { ScramSha1, type ScramCredentials, type ScramKeys } from './scram-sha-1.js';
import { streamManagement, type StreamManagement, type StreamManagementOptions } from './stream-management.js';

export interface ComposeOptions {
  service: string;
  domain: string;
  resource?: string;
  /**
   * Puts the transport on the entity: @xmpp/tcp with our STARTTLS in Node, @xmpp/websocket
   * in a browser (RFC 7395, TLS is the page's). Called after stream management registered
   * and before SASL, the order XEP-0170 recommends features be negotiated in.
   */
  transport(parts: { entity: Client; streamFeatures: StreamFeatures<Client> }): void;
  /** Runs on the new entity before anything wraps it (guards, a send filter stream management must see). */
  prepare?(entity: Client): void;
  /** The SCRAM credentials of this login: the password, or keys from an earlier one. */
  credentials(): ScramCredentials;
  /** The keys the login derived, for a later login without the password. */
  onKeys?: (keys: ScramKeys) => void;
  /** XEP-0198 acknowledgements; absent: not set up at all (the dashboard resubscribes instead). */
  streamManagement?: StreamManagementOptions;
}

/** An IQ request handler: `element` is the request's query child; `next` passes it to the next handler. */
export type IQHandler = (ctx: { stanza: Element; element: Element }, next: () => unknown) => unknown;

/** IQ requests answered by namespace and name (@xmpp/iq's callee, RFC 6120 §8.2.3). */
export interface IQCallee {
  get(ns: string, name: string, handler: IQHandler): void;
  set(ns: string, name: string, handler: IQHandler): void;
}

// @xmpp/iq 0.14's callee puts the query child on the context as `element` (callee.js), which
// @types/xmpp__iq's context type leaves out.
type CalleeContext = IncomingContext<Client> & { element: Element };

export interface ComposedClient {
  entity: Client;
  iq: IQCaller;
  iqCallee: IQCallee;
  streamManagement: StreamManagement | undefined;
}

/**
 * The one XMPP client composition, for Node and browsers alike, from xmpp.js parts and our
 * own replacements: SASL that verifies the server (SCRAM-SHA-1 only, never PLAIN), resource
 * binding (RFC 6120 §7), our IQ caller, XEP-0199 ping answered, XEP-0198 when asked for.
 * Reconnection is the caller's: services walk a node ring, the dashboard's store backs off.
 */
export function composeClient(opts: ComposeOptions): ComposedClient {
  const entity = new Client({ service: opts.service, domain: opts.domain });
  opts.prepare?.(entity);
  const middleware = middlewareFactory({ entity });
  const streamFeatures = streamFeaturesFactory({ middleware });
  const sm = opts.streamManagement ? streamManagement({ entity, streamFeatures, ...opts.streamManagement }) : undefined;
  const iq = createIqCaller(entity);
  const callee = iqCalleeFactory({ middleware, entity });
  const iqCallee: IQCallee = {
    get: (ns, name, handler) => callee.get(ns, name, (ctx, next) => handler(ctx as CalleeContext, next)),
    set: (ns, name, handler) => callee.set(ns, name, (ctx, next) => handler(ctx as CalleeContext, next)),
  };
  opts.transport({ entity, streamFeatures });
  const saslFactory = createSaslFactory({
    'SCRAM-SHA-1': class extends ScramSha1 {
      constructor() {
        super(opts.onKeys ? { onKeys: opts.onKeys } : {});
      }
    },
  });
  sasl({ streamFeatures, saslFactory }, async (done, mechanisms) => {
    // RFC 6120 §6.4.2: only ever SCRAM; the server never sees the password.
    if (!mechanisms.includes('SCRAM-SHA-1'))
      throw new SaslError('invalid-mechanism', 'the server offers no SCRAM-SHA-1');
    await done({ ...opts.credentials() }, 'SCRAM-SHA-1');
  });
  // @xmpp/resource-binding 0.14 calls only `iqCaller.set(<bind/>)` (its index.js), which ours
  // answers like xmpp.js' caller, so ours stands in for the whole class its types ask for.
  resourceBinding({ streamFeatures, iqCaller: iq as unknown as XmppIqCaller<Client> }, opts.resource);
  iqCallee.get(NS.ping, 'ping', () => ({}));
  return { entity, iq, iqCallee, streamManagement: sm };
}
