import { describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { XmppError } from '@tickdesk/xmpp';

// The SASL refusal is the server's (RFC 6120 §6.5): a stand-in client refuses with the condition under test.
let refusal = 'not-authorized';
vi.mock('@tickdesk/xmpp', async (original) => ({
  ...(await original<typeof import('@tickdesk/xmpp')>()),
  createXmppClient: () => ({
    start: () => Promise.reject(new XmppError('TICKDESK_XMPP_AUTH_FAILED', `XMPP login refused (${refusal})`, refusal)),
    stop: () => Promise.resolve(),
  }),
}));
const { createXmppPasswordVerifier } = await import('./xmpp-verify.js');

const verify = createXmppPasswordVerifier({
  service: 'xmpp://127.0.0.1:1',
  domain: 'desk.localhost',
  log: pino({ level: 'silent' }),
  timeoutMs: 2_000,
});

describe('createXmppPasswordVerifier: what a refused login means', () => {
  it('not-authorized is a wrong password: false', async () => {
    refusal = 'not-authorized';
    await expect(verify('alice', 'pw')).resolves.toBe(false);
  });

  it('temporary-auth-failure (the account or address is locked after failed logins) is not a wrong password: it throws with the condition', async () => {
    refusal = 'temporary-auth-failure';
    await expect(verify('alice', 'pw')).rejects.toMatchObject({
      code: 'TICKDESK_XMPP_AUTH_FAILED',
      condition: 'temporary-auth-failure',
    });
  });
});
