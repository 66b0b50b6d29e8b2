import type { CertPaths } from './certs.js';
import type { FederationOptions } from './federation.js';
import type { ManagedProcess } from './managed-process.js';

/** Which XMPP server a desk runs; nothing outside infra/ and the desk's starter depends on it. */
export type XmppServerKind = 'prosody' | 'ejabberd';
export const XMPP_SERVER_KINDS: readonly XmppServerKind[] = ['prosody', 'ejabberd'];

export interface AuthLimit {
  /** Failed logins from one address within `windowS` that lock the address (default 10). */
  ipMax: number;
  /** Failed logins for one account within `windowS` that lock the account (default 20; Prosody only). */
  accountMax: number;
  windowS: number;
  /** How long a locked address or account is refused, seconds (default 300). */
  lockoutS: number;
  /** Addresses never locked as addresses (default loopback: the desk's own processes). */
  exemptIps: readonly string[];
}

export const DEFAULT_AUTH_LIMIT: AuthLimit = {
  ipMax: 10,
  accountMax: 20,
  windowS: 300,
  lockoutS: 300,
  exemptIps: ['127.0.0.1', '::1'],
};

/** One node of the desk's XMPP service: its name and its own loopback ports. */
export interface XmppNode {
  /** Erlang node name (ejabberd), stable for a desk folder: Mnesia belongs to it. */
  name: string;
  c2sPort: number;
  c2sDirectTlsPort: number;
  httpPort: number;
  /** Erlang distribution port (ejabberd; no epmd). */
  distPort: number;
}

/** What every server is configured with: what users get is the same on each. */
export interface XmppServerOptions {
  /** Folder for the rendered config, logs, pidfile and data. */
  dir: string;
  domain: string;
  c2sPort: number;
  c2sDirectTlsPort: number;
  httpPort: number;
  /** Erlang distribution port, bound to loopback (ejabberd only). */
  distPort?: number;
  /** Erlang node name (ejabberd only; default derived from `dir`). */
  nodeName?: string;
  certs: CertPaths;
  /** Bare JIDs that administer the server (XEP-0133 ad-hoc commands). */
  admins: readonly string[];
  /** Bare JIDs that may create nodes; on Prosody they also own every node. */
  pubsubAdmins: readonly string[];
  /** Bare JIDs exempt from client rate limits (service accounts). */
  unlimited: readonly string[];
  pubsubMaxItems?: number;
  /** Failed logins before an address (or, on Prosody, an account) is locked, and for how long. */
  authLimit?: Partial<AuthLimit>;
  /** Page origins that may open /xmpp-websocket directly (default none: browsers come through the API). */
  websocketOrigins?: readonly string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Server-to-server links with these peers (absent or no peers: no s2s listener at all). */
  federation?: FederationOptions;
}

/** A running XMPP server. */
export interface XmppServer {
  readonly kind: XmppServerKind;
  readonly domain: string;
  readonly pubsubHost: string;
  readonly c2sPort: number;
  readonly httpPort: number;
  readonly configPath: string;
  /** The server's main log file. */
  readonly logPath: string;
  /** The pidfile the server writes (its own process, which may be a child of `process`). */
  readonly pidPath: string;
  /** What `tickdesk up` supervises: it ends when the server ends. */
  readonly process: ManagedProcess;
  /** The server's own process id (for CPU and memory figures). */
  serverPid(): number;
  /** Create an account, or reset its password (bootstrap accounts only). */
  register(user: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

/** Start, and start again after a crash, one configured server. */
export interface XmppServerControl {
  readonly kind: XmppServerKind;
  readonly logPath: string;
  /** Start the server; `accounts` exist with these passwords once it resolves. */
  start(accounts?: ReadonlyArray<readonly [user: string, password: string]>): Promise<XmppServer>;
}

export function authLimitValues(partial: Partial<AuthLimit> | undefined): AuthLimit {
  const l = { ...DEFAULT_AUTH_LIMIT, ...partial };
  for (const n of [l.ipMax, l.accountMax, l.windowS, l.lockoutS]) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`auth limit values must be positive integers, got ${n}`);
  }
  return l;
}
