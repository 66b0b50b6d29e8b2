import type { Logger } from 'pino';
import { Redis } from 'ioredis';
import { deskInstruments, type DeskTopology } from '@tickdesk/schemas';
import { createAccountDirectory, RemoteGrantError, type AccountDirectory } from '@tickdesk/accounts';
import { jidDomain, jidLocal } from '@tickdesk/xmpp';
import { loadApiConfig } from '@tickdesk/api';
import type { CliIo } from './cli-commands.js';
import type { DeskConfig } from './config.js';
import { connectAs, deskRedisOptions, deskTarget } from './connect.js';
import { deskTopology } from './topology.js';

/** The desk's account directory for one command, through the admin account, with the API's limit (TICKDESK_API_REMOTE_GRANTS_MAX). */
async function withDirectory(
  config: DeskConfig,
  env: NodeJS.ProcessEnv,
  log: Logger,
  use: (d: AccountDirectory, topology: DeskTopology) => Promise<number>,
): Promise<number> {
  const topology = deskTopology(config);
  const t = deskTarget(topology);
  const admin = await connectAs(t.xmpp, t.credentials, 'admin', log, 'cli');
  const redis = new Redis(deskRedisOptions(topology, t.credentials, 'desk'));
  try {
    const directory = createAccountDirectory({
      admin,
      redis,
      domain: topology.domain,
      pubsubHost: topology.pubsubHost,
      instruments: deskInstruments(topology),
      log,
      peerDomains: topology.federation?.peers.map((p) => p.domain) ?? [],
      maxRemoteGrants: loadApiConfig(env).remoteGrantsMax,
    });
    return await use(directory, topology);
  } finally {
    redis.disconnect();
    await admin.stop();
  }
}

/** A local user's name for `ana` or `ana@<our domain>`; undefined for another domain's JID. */
const localName = (account: string, domain: string): string | undefined =>
  !account.includes('@') ? account : jidDomain(account) === domain.toLowerCase() ? jidLocal(account) : undefined;

/** `tickdesk entitle|revoke <account> <symbol>`: an analyst of this desk, or an account of a peer desk. */
export async function entitle(
  config: DeskConfig,
  account: string,
  symbol: string,
  on: boolean,
  { env, io, log }: { env: NodeJS.ProcessEnv; io: CliIo; log: Logger },
): Promise<number> {
  return withDirectory(config, env, log, async (d, topology) => {
    if (!deskInstruments(topology).some((i) => i.symbol === symbol)) {
      io.err(`tickdesk: unknown instrument ${symbol}`);
      return 1;
    }
    const local = localName(account, topology.domain);
    if (local !== undefined) {
      const role = await d.roleOf(local);
      if (role !== 'analyst') {
        io.err(`tickdesk: ${local} is ${role ?? 'no user'}: only analysts are entitled per instrument`);
        return 1;
      }
      await d.grant(local, symbol, on);
      io.out(`${on ? 'entitled' : 'revoked'} ${local}@${topology.domain} ${symbol}`);
      return 0;
    }
    try {
      const jid = d.remote.account(account);
      if (!on) await d.remote.revoke(jid, symbol);
      else if (!(await d.remote.grant(jid, symbol))) {
        io.out(`${jid} already holds ${symbol}`);
        return 0;
      }
      io.out(`${on ? 'entitled' : 'revoked'} ${jid} ${symbol}`);
      return 0;
    } catch (err) {
      if (!(err instanceof RemoteGrantError)) throw err;
      io.err(`tickdesk: ${err.message}`);
      return 1;
    }
  });
}

/** `tickdesk grants [<account>]`: one account's instruments, or every peer-desk account's. */
export async function grants(
  config: DeskConfig,
  account: string | undefined,
  { env, io, log }: { env: NodeJS.ProcessEnv; io: CliIo; log: Logger },
): Promise<number> {
  return withDirectory(config, env, log, async (d, topology) => {
    const local = account === undefined ? undefined : localName(account, topology.domain);
    if (local !== undefined) {
      io.out(`${local}@${topology.domain}  ${(await d.entitlements(local)).join(' ')}`.trimEnd());
      return 0;
    }
    try {
      const all = await d.remote.list(account);
      for (const g of all) io.out(`${g.jid}  ${g.symbols.join(' ')}`.trimEnd());
      if (account === undefined)
        io.out(`${all.reduce((n, g) => n + g.symbols.length, 0)} of at most ${d.remote.max} remote grants`);
      return 0;
    } catch (err) {
      if (!(err instanceof RemoteGrantError)) throw err;
      io.err(`tickdesk: ${err.message}`);
      return 1;
    }
  });
}
