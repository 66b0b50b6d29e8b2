import type { Redis } from 'ioredis';
import type { AlertState } from '@tickdesk/schemas';
import { msIso, type StoredAlert } from './alert-record.js';
import type { alertKeys } from './redis-layout.js';
import { values } from './redis-script.js';
import { badInput, StoreError } from './store-errors.js';

export interface AlertListOptions {
  /** The alert's owner. */
  trader?: string;
  symbol?: string;
  state?: AlertState;
  /** firedAt ≥ fromTime. */
  fromTime?: string;
  /** firedAt < toTime. */
  toTime?: string;
  /** The `next` of the previous page. */
  after?: string;
  limit: number;
}

const MAX_LIMIT = 1_000;
/** Members examined per round trip when several filters are combined. */
const SCAN_BATCH = 200;
const MEMBER = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\|[A-Za-z0-9._:-]{1,64}$/;

/** A cursor is the last index member returned ("<firedAt>|<id>"), base64url so it travels in a URL. */
const encodeAlertCursor = (member: string): string => Buffer.from(member, 'utf8').toString('base64url');

function decodeAlertCursor(cursor: string): string {
  const member = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!MEMBER.test(member))
    throw new StoreError('TICKDESK_ALERTS_STORE_BAD_CURSOR', `malformed alert cursor ${JSON.stringify(cursor)}`);
  return member;
}

type Fetch = (ids: readonly string[]) => Promise<(StoredAlert | undefined)[]>;

/**
 * Alert history newest first. Every index holds the same "<firedAt>|<id>" members, so
 * a time range and a cursor are lex bounds on any of them; with several filters the
 * smallest index in range is walked and the rest are checked on the alerts read.
 */
export function createAlertQuery({
  redis,
  keys,
  fetch,
}: {
  redis: Redis;
  keys: ReturnType<typeof alertKeys>;
  fetch: Fetch;
}) {
  return async function list(opts: AlertListOptions): Promise<{ alerts: StoredAlert[]; next?: string }> {
    const { trader, symbol, state, limit } = opts;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw badInput(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    const min = opts.fromTime !== undefined ? `[${msIso(opts.fromTime, 'fromTime')}` : '-';
    let max = opts.toTime !== undefined ? `(${msIso(opts.toTime, 'toTime')}` : '+';
    if (opts.after !== undefined) {
      const member = decodeAlertCursor(opts.after);
      if (max === '+' || member < max.slice(1)) max = `(${member}`;
    }
    const indexes = [
      trader !== undefined && keys.byTrader(trader),
      symbol !== undefined && keys.bySymbol(symbol),
      state !== undefined && keys.byState(state),
    ].filter((k): k is string => k !== false);
    let driver = indexes[0] ?? keys.byTime;
    if (indexes.length > 1) {
      const counts = values(
        await indexes.reduce((p, k) => p.zlexcount(k, min, max), redis.pipeline()).exec(),
      ) as number[];
      driver = indexes[counts.indexOf(Math.min(...counts))]!;
    }
    const matches = (a: StoredAlert) =>
      (trader === undefined || a.owner === trader) &&
      (symbol === undefined || a.symbol === symbol) &&
      (state === undefined || a.state === state);
    const batch = indexes.length > 1 ? Math.max(limit + 1, SCAN_BATCH) : limit + 1;
    const found: { alert: StoredAlert; member: string }[] = [];
    for (let upper = max; found.length <= limit;) {
      const members = await redis.zrange(driver, upper, min, 'BYLEX', 'REV', 'LIMIT', 0, batch);
      const alerts = await fetch(members.map((m) => m.slice(m.indexOf('|') + 1)));
      members.forEach((member, i) => {
        const alert = alerts[i];
        if (alert && matches(alert) && found.length <= limit) found.push({ alert, member });
      });
      if (members.length < batch) break;
      upper = `(${members[members.length - 1]}`;
    }
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return {
      alerts: page.map((f) => f.alert),
      ...(found.length > limit && last ? { next: encodeAlertCursor(last.member) } : {}),
    };
  };
}
