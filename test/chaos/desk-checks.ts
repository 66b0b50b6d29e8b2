import { redisPartOnPort, redisRole } from './takeover.js';
import type { ChaosDesk } from './chaos-desk.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`no answer within ${ms} ms`)))]);

export async function until<T>(
  cd: ChaosDesk,
  what: string,
  ms: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}\n${cd.desk.diagnostics()}`);
    await sleep(100);
  }
}

/** Which supervised part is the Redis primary now (the test's client is connected to it). */
export async function redisPrimaryPart(cd: ChaosDesk): Promise<string> {
  return redisPartOnPort(cd, Number(/tcp_port:(\d+)/.exec(await cd.redis.info('server'))?.[1]));
}

/**
 * GET /v1/audit/verify as the compliance officer, carol: its `ok`. A login or a verify the
 * API could not answer (503: the XMPP server did not check the password within 10 s on a
 * loaded machine) is asked again, for up to 30 s; only a 200's answer counts.
 */
export async function chainVerifies(cd: ChaosDesk): Promise<boolean> {
  return until(cd, 'an answer from GET /v1/audit/verify', 30_000, async () => {
    const res = await fetch(`${cd.desk.apiUrl}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(15_000),
      body: JSON.stringify({ jid: 'carol@desk.localhost', password: cd.desk.credentials().accounts.carol!.password }),
    });
    if (!res.ok) return undefined;
    const { token } = (await res.json()) as { token: string };
    const verify = await fetch(`${cd.desk.apiUrl}/v1/audit/verify`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    return verify.ok ? { ok: ((await verify.json()) as { ok: boolean }).ok === true } : undefined;
  }).then((r) => r.ok);
}

/** Which Redis server is primary after the kill of `killed`, and what the killed one came back as (asked directly). */
export async function redisAfter(cd: ChaosDesk, killed: string): Promise<string> {
  const primary = await redisPrimaryPart(cd);
  const back = await until(cd, `${killed} answering again`, 15_000, async () => {
    const r = await redisRole(cd, killed);
    return killed === primary || (r.role === 'slave' && r.linkUp) ? r : undefined;
  }).catch(() => undefined);
  if (killed === primary) return `primary after: ${primary} (no fail-over)`;
  return `primary after: ${primary}; ${killed} came back as ${back ? `replica of :${back.masterPort}` : 'no replica within 15 s'}`;
}
