import type { AccountDirectory } from '@tickdesk/accounts';
import type { Caller } from './deps.js';
import { ApiError, unavailable } from './errors.js';

type Members = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Which instruments a caller may read over REST and SSE: the same rule as on XMPP.
 * Desk roles (trader, compliance, admin) read every instrument; an analyst reads the
 * instruments whose nodes list them by affiliation (granted by an admin). The
 * affiliations are read from the XMPP server, all instruments at once, and trusted
 * for `ttlMs`, so a grant or a revocation made elsewhere takes effect within that time
 * (at once when made through this API). Without an admin session the server cannot be
 * asked: analysts are refused (503), never shown everything.
 */
export function createEntitlements({
  accounts,
  ttlMs,
  now = Date.now,
}: {
  accounts: Pick<AccountDirectory, 'members'> | undefined;
  ttlMs: number;
  now?: () => number;
}) {
  let cache: { at: number; members: Promise<Members> } | undefined;

  function members(): Promise<Members> {
    if (!accounts)
      return Promise.reject(
        unavailable('entitlements cannot be read: the API has no admin session with the XMPP server'),
      );
    const t = now();
    if (cache && t - cache.at < ttlMs) return cache.members;
    const read = accounts.members();
    const entry = { at: t, members: read as Promise<Members> };
    cache = entry;
    read.catch(() => {
      if (cache === entry) cache = undefined;
    });
    return entry.members;
  }

  async function allowed(caller: Caller): Promise<ReadonlySet<string> | undefined> {
    if (caller.role !== 'analyst') return undefined;
    let all: Members;
    try {
      all = await members();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw unavailable('entitlements cannot be read from the XMPP server');
    }
    const out = new Set<string>();
    for (const [symbol, users] of all) if (users.has(caller.user)) out.add(symbol);
    return out;
  }

  return {
    /** The symbols `caller` may read; undefined for every symbol. */
    allowed,
    /** 403 TICKDESK_API_NOT_ENTITLED unless `caller` may read `symbol`. */
    async check(caller: Caller, symbol: string): Promise<void> {
      const mine = await allowed(caller);
      if (mine && !mine.has(symbol))
        throw new ApiError('TICKDESK_API_NOT_ENTITLED', `${caller.user} is not entitled to ${symbol}`);
    },
    /** Forget what was read (after a grant or revocation through this API). */
    invalidate(): void {
      cache = undefined;
    },
  };
}

export type Entitlements = ReturnType<typeof createEntitlements>;
