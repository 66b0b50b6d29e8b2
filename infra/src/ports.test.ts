import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { FREE_PORT_RANGE, freePort } from './ports.js';

describe('freePort', () => {
  it('hands out ports below the ephemeral range that a server can then bind', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(FREE_PORT_RANGE.from);
      expect(port).toBeLessThanOrEqual(FREE_PORT_RANGE.to);
    }
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(ports[0], '127.0.0.1', resolve));
    expect((srv.address() as net.AddressInfo).port).toBe(ports[0]);
    await new Promise((r) => srv.close(r));
  });
});
