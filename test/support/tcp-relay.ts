import net from 'node:net';

/**
 * A TCP relay in front of the XMPP server, for tests of what a client does when its server
 * goes away. `kill()` does to the client what a kill -9 of the server process does: the
 * kernel ends each connection with a FIN, or with a RST when the server had unread bytes (a
 * busy feed's publishes). `hold()` also refuses new connections, so reconnects fail, until
 * `release()`.
 */
export async function createTcpRelay(upstreamPort: number) {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let held = false;
  const server = net.createServer((down) => {
    if (held) return void down.destroy();
    const up = net.connect(upstreamPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [down, up];
    pairs.add(pair);
    down.pipe(up).pipe(down);
    const drop = () => {
      pairs.delete(pair);
      down.destroy();
      up.destroy();
    };
    for (const s of pair) s.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  function kill(rst = false): void {
    for (const [down, up] of pairs) {
      up.destroy();
      if (rst) down.resetAndDestroy();
      else down.destroy();
    }
    pairs.clear();
  }
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => pairs.size,
    kill,
    /** Drops every connection and refuses new ones until release(). */
    hold(): void {
      held = true;
      kill();
    },
    release(): void {
      held = false;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
