import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { ejabberdFederationVars } from './ejabberd-federation.js';
import { InfraError } from './errors.js';
import { peerDnsInetrc } from './peer-dns.js';
import { renderFile } from './template.js';
import { authLimitValues, type XmppServerOptions } from './xmpp-server.js';

const TEMPLATE = new URL('../ejabberd/ejabberd.yml.tmpl', import.meta.url);
/** Debian's ejabberd runs as this user; ejabberdctl refuses any other but root. */
const EJABBERD_USER = 'ejabberd';

export type EjabberdOptions = XmppServerOptions & {
  distPort: number;
  /**
   * A node of a cluster on one machine: the desk's private epmd listens on this loopback
   * port and each node registers its own `distPort` there. Without it a node runs without
   * epmd, and such a node looks for every other node on its own port.
   */
  epmdPort?: number;
  /** Join the cluster of this node (node 2 and up; its cookie must be in this node's spool). */
  joinNode?: string;
  /** How start-up errors name this node and its ports, e.g. `node 2 (each port of node 1 + 100)`. */
  nodeLabel?: string;
  /** The UDP port of the desk's resolver of its peers (peer-dns.ts) on 127.0.0.1, when it has peers. */
  peerDnsPort?: number;
};

/** Where one node keeps what: config (`dir`), Mnesia spool, SQLite, logs, pidfile. */
export function ejabberdPaths(dir: string) {
  return {
    config: join(dir, 'ejabberd.yml'),
    ctlConfig: join(dir, 'ejabberdctl.cfg'),
    spool: join(dir, 'spool'),
    sql: join(dir, 'sql'),
    logs: join(dir, 'logs'),
    log: join(dir, 'logs', 'ejabberd.log'),
    errorLog: join(dir, 'logs', 'error.log'),
    console: join(dir, 'logs', 'console.log'),
    pid: join(dir, 'ejabberd.pid'),
    pem: join(dir, 'server.pem'),
    ca: join(dir, 'ca.pem'),
  };
}

/** A short Erlang node name, stable for a desk folder (Mnesia is bound to it) and distinct between desks. */
export function ejabberdNodeName(dir: string): string {
  return `tickdesk-${createHash('sha256').update(dir).digest('hex').slice(0, 10)}@localhost`;
}

const yamlList = (items: readonly string[], indent: number): string =>
  items.length === 0
    ? '[]'
    : items.map((s, i) => `${i === 0 ? '' : ' '.repeat(indent)}- ${JSON.stringify(s)}`).join('\n');
const userPart = (jid: string) => jid.split('@')[0]!;

export function renderEjabberdConfig(opts: EjabberdOptions): string {
  const limit = authLimitValues(opts.authLimit);
  const p = ejabberdPaths(opts.dir);
  const origins = opts.websocketOrigins ?? [];
  return renderFile(TEMPLATE, {
    dir: opts.dir,
    domain: opts.domain,
    pubsubHost: `pubsub.${opts.domain}`,
    c2sPort: opts.c2sPort,
    c2sDirectTlsPort: opts.c2sDirectTlsPort,
    httpPort: opts.httpPort,
    certFile: p.pem,
    caFile: p.ca,
    // ACL `user:` entries are local parts of the host's users.
    adminUsers: yamlList(opts.admins.map(userPart), 6),
    pubsubCreators: yamlList(opts.pubsubAdmins.map(userPart), 6),
    serviceUsers: yamlList(opts.unlimited.map(userPart), 6),
    pubsubMaxItems: opts.pubsubMaxItems ?? 1000,
    authIpMax: limit.ipMax,
    authLockoutS: limit.lockoutS,
    authExemptIps: yamlList(limit.exemptIps, 6),
    // No listed origin: a placeholder no page has, so every page origin is refused.
    websocketOrigin: yamlList(origins.length > 0 ? origins : ['http://websocket-origin.invalid'], 2),
    logLevel: opts.logLevel === 'warn' ? 'warning' : (opts.logLevel ?? 'info'),
    ...ejabberdFederationVars(opts.dir, opts.certs, opts.federation),
  });
}

function ctlConfig(opts: EjabberdOptions, node: string): string {
  const p = ejabberdPaths(opts.dir);
  return [
    '# ejabberdctl settings of one tickdesk node (rendered on every start).',
    `ERLANG_NODE=${node}`,
    // A fixed distribution port and no epmd: desks never share a name server, and the
    // port is bound to loopback (a cluster binds it to its own network instead).
    ...(opts.epmdPort === undefined
      ? [`ERL_DIST_PORT=${opts.distPort}`]
      : ["# A cluster node: its port is registered with the desk's epmd (ERL_EPMD_PORT)."]),
    'ERL_EPMD_ADDRESS=127.0.0.1',
    // No busy-waiting schedulers: on a shared machine their spinning cost more CPU than the desk's traffic.
    'ERL_OPTIONS="-kernel inet_dist_use_interface {127,0,0,1} -env ERL_CRASH_DUMP_BYTES 0 +sbwt none +sbwtdcpu none +sbwtdio none"',
    `EJABBERD_PID_PATH=${p.pid}`,
    'EJABBERD_BYPASS_WARNINGS=true',
    '',
  ].join('\n');
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** ejabberdctl refuses other users than root and `ejabberd`; as root we switch to `ejabberd` ourselves. */
export function runAs(): RunAs {
  const me = userInfo();
  if (me.username === EJABBERD_USER) return {};
  if (me.uid !== 0) {
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `ejabberd runs as the '${EJABBERD_USER}' user: start the desk as root or as '${EJABBERD_USER}', or choose Prosody (TICKDESK_XMPP_SERVER=prosody).`,
    );
  }
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${EJABBERD_USER}:`));
  if (!line)
    throw new InfraError(
      'TICKDESK_INFRA_BINARY_MISSING',
      `no '${EJABBERD_USER}' user: install ejabberd with: apt-get install -y ejabberd erlang-p1-sqlite3`,
    );
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function chownTree(path: string, who: RunAs): void {
  if (who.uid === undefined) return;
  chownSync(path, who.uid, who.gid!);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), who);
}

/** The desk folder above `dir` is private (0700): let ejabberd's group through it, and no one else. */
function openParent(dir: string, who: RunAs): void {
  if (who.gid === undefined) return;
  const parent = dirname(dir);
  const st = statSync(parent);
  if ((st.mode & 0o001) !== 0 || (st.gid === who.gid && (st.mode & 0o010) !== 0)) return;
  chownSync(parent, st.uid, who.gid);
  chmodSync(parent, (st.mode & 0o700) | 0o010);
}

/** Render config, ctl config, certificate PEM and Mnesia schema; folders owned by ejabberd. */
export function writeEjabberdConfig(opts: EjabberdOptions, who: RunAs = runAs()): { node: string } {
  const p = ejabberdPaths(opts.dir);
  const node = opts.nodeName ?? ejabberdNodeName(opts.dir);
  for (const d of [opts.dir, p.spool, p.sql, p.logs]) mkdirSync(d, { recursive: true, mode: 0o700 });
  writeFileSync(p.config, renderEjabberdConfig(opts), { mode: 0o600 });
  writeFileSync(p.ctlConfig, ctlConfig(opts, node), { mode: 0o600 });
  const inetrc = opts.peerDnsPort === undefined ? '{lookup, ["file", "native"]}.\n' : peerDnsInetrc(opts.peerDnsPort);
  writeFileSync(join(opts.dir, 'inetrc'), inetrc, { mode: 0o600 });
  writeFileSync(p.pem, readFileSync(opts.certs.serverKey, 'utf8') + readFileSync(opts.certs.serverCert, 'utf8'), {
    mode: 0o600,
  });
  writeFileSync(p.ca, readFileSync(opts.certs.caCert, 'utf8'), { mode: 0o600 });
  // Tick items in RAM (ejabberd_mnesia reads per-table storage from the spool's
  // ejabberd.schema): they are recent history, the recorder keeps the durable one.
  writeFileSync(join(p.spool, 'ejabberd.schema'), 'pubsub_item:\n  storage_type: ram_copies\n', { mode: 0o600 });
  chownTree(opts.dir, who);
  openParent(opts.dir, who);
  return { node };
}
