import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver got it. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Behaviour = (req: IncomingMessage, res: ServerResponse, nth: number) => void;

/**
 * A webhook receiver on 127.0.0.1 whose paths behave as a test says (answer, hang, reset,
 * redirect…); every request is recorded with its headers and body.
 */
export async function startReceiver(paths: Record<string, Behaviour>) {
  const received: Received[] = [];
  const hung: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const behaviour = paths[path];
      if (!behaviour) return void res.writeHead(404).end();
      behaviour(req, res, received.filter((r) => r.path === path).length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    of: (path: string) => received.filter((r) => r.path === path),
    hang: (res: ServerResponse) => void hung.push(res),
    async close(): Promise<void> {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
