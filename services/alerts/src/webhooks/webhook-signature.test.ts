import { describe, expect, it } from 'vitest';
import { newSecret, signature, verifySignature } from './webhook-signature.js';

// Computed independently: python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test',
// b'1765033200.{\"id\":\"a1\"}', hashlib.sha256).hexdigest())"
const VECTOR = '09c44819e506b4289e6e721aa3815217dcd8d9ceba57ed3e420022860d710b08';
const BODY = '{"id":"a1"}';

describe('Tickdesk-Signature', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 as a known vector says', () => {
    expect(signature('whsec_test', 1765033200, BODY)).toBe(`t=1765033200,v1=${VECTOR}`);
  });

  it('verifies within the tolerance, and refuses an old timestamp, another body or another secret', () => {
    const header = signature('whsec_test', 1765033200, BODY);
    expect(verifySignature('whsec_test', header, BODY, 1765033200 + 300)).toBe(true);
    expect(verifySignature('whsec_test', header, BODY, 1765033200 + 301)).toBe(false);
    expect(verifySignature('whsec_test', header, '{"id":"a2"}', 1765033200)).toBe(false);
    expect(verifySignature('whsec_other', header, BODY, 1765033200)).toBe(false);
    expect(verifySignature('whsec_test', 'v1=00', BODY, 1765033200)).toBe(false);
  });

  it('makes a new 256-bit secret each time', () => {
    const a = newSecret();
    expect(a).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(newSecret()).not.toBe(a);
  });
});
