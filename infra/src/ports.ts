import net from 'node:net';
import { InfraError } from './errors.js';

/**
 * Ports handed out by freePort(): below Linux's ephemeral range (32768–60999 by default),
 * from which every outgoing connection takes its local port. A port the system picked
 * from that range could be taken by another process's connection between the pick and
 * the server's bind (an Erlang node's distribution port was, in a full test run).
 */
export const FREE_PORT_RANGE = { from: 20_000, to: 32_767 } as const;

/** Binds `port` on 127.0.0.1 and lets go: the port, or undefined when it is in use. */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(bound));
    });
  });
}

/** A TCP port that was free on 127.0.0.1 a moment ago, outside the ephemeral range when one is free there. */
export async function freePort(): Promise<number> {
  const span = FREE_PORT_RANGE.to - FREE_PORT_RANGE.from + 1;
  for (let i = 0; i < 50; i++) {
    const port = await tryPort(FREE_PORT_RANGE.from + Math.floor(Math.random() * span));
    if (port !== undefined) return port;
  }
  const any = await tryPort(0);
  if (any === undefined) throw new InfraError('TICKDESK_INFRA_PORT_IN_USE', 'no free TCP port on 127.0.0.1');
  return any;
}

/** Throws a clear error when something already listens on the port. */
export async function assertPortFree(port: number, purpose: string, envVar: string): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
  if (inUse) {
    throw new InfraError(
      'TICKDESK_INFRA_PORT_IN_USE',
      `port ${port} (${purpose}) is already in use. Stop the program listening on it ` +
        `(see: ss -ltnp 'sport = :${port}'), or choose another port with ${envVar}=<port>.`,
    );
  }
}

/** Resolves once a TCP connection to the port succeeds, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!alive()) throw new Error('process exited before listening');
    if (Date.now() > deadline) throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
