import { describe, expect, it } from 'vitest';
import { renderProsodyConfig, type ProsodyOptions } from './prosody-server.js';

const base: ProsodyOptions = {
  dir: '/tmp/desk',
  domain: 'desk.localhost',
  c2sPort: 5222,
  c2sDirectTlsPort: 5223,
  httpPort: 5280,
  certs: { dir: '/tmp/certs' } as ProsodyOptions['certs'],
  admins: ['admin@desk.localhost'],
  pubsubAdmins: [],
  unlimited: ['alerts@desk.localhost'],
};

describe('Prosody config', () => {
  it('loads the login limit and the WebSocket origin check with their defaults', () => {
    const cfg = renderProsodyConfig(base);
    expect(cfg).toContain('"tickdesk_auth_limit";');
    expect(cfg).toContain('"tickdesk_ws_origin";');
    expect(cfg).toContain('"tickdesk_pubsub_delivery";');
    expect(cfg).toMatch(/^auth_limit_ip_max = 10$/m);
    expect(cfg).toMatch(/^auth_limit_account_max = 20$/m);
    expect(cfg).toMatch(/^auth_limit_window = 300$/m);
    expect(cfg).toMatch(/^auth_limit_lockout = 300$/m);
    expect(cfg).toMatch(/^auth_limit_exempt_ips = \{ "127\.0\.0\.1", "::1" \}$/m);
    expect(cfg).toMatch(/^websocket_allowed_origins = \{ {2}\}$/m);
    expect(cfg).toMatch(/^trusted_proxies = \{ "127\.0\.0\.1"; "::1" \}$/m);
    expect(cfg).not.toContain('{{');
  });

  it('takes other limits and origins, and refuses a limit that is not a positive integer', () => {
    const cfg = renderProsodyConfig({
      ...base,
      authLimit: { ipMax: 3, lockoutS: 60 },
      websocketOrigins: ['https://desk.example'],
    });
    expect(cfg).toMatch(/^auth_limit_ip_max = 3$/m);
    expect(cfg).toMatch(/^auth_limit_lockout = 60$/m);
    expect(cfg).toMatch(/^websocket_allowed_origins = \{ "https:\/\/desk\.example" \}$/m);
    expect(() => renderProsodyConfig({ ...base, authLimit: { ipMax: 0 } })).toThrow(RangeError);
  });
});
