import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signature, verifySignature } from './webhook-signature.js';

// docs/protocol.md §12 is what receivers build from: its test vector and its two verifiers
// must agree with the desk's own signer.
const doc = readFileSync(new URL('../../../../docs/protocol.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## 12. Alert webhooks'));
const vectorBlock = /<!-- webhook-test-vector -->\n```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(vectorBlock)?.[1] ?? '';
const vector = { secret: field('secret'), t: Number(field('t')), body: field('body'), header: field('signature') };
const codeBlock = (lang: string) => new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section)?.[1] ?? '';
const scratch = mkdtempSync(join(tmpdir(), 'tickdesk-webhook-doc-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('docs/protocol.md §12: the webhook test vector and verifiers', () => {
  it('the documented signature is the desk signer’s for the documented secret, t and body', () => {
    expect(vector.body).toMatch(/^\{"id":"a[0-9a-f]{24}"/);
    expect(signature(vector.secret, vector.t, vector.body)).toBe(vector.header);
    expect(verifySignature(vector.secret, vector.header, vector.body, vector.t)).toBe(true);
    expect(verifySignature(vector.secret, vector.header, vector.body.replace('65000.5', '65000.6'), vector.t)).toBe(
      false,
    );
  });

  it('the Node.js verifier as printed accepts the vector at its time and refuses a changed byte or a late clock', () => {
    const file = join(scratch, 'verify.mjs');
    const run = `${codeBlock('js')}
const v = JSON.parse(process.argv[2]);
Date.now = () => v.nowMs;
console.log(JSON.stringify([verify(v.secret, v.header, v.body), verify(v.secret, v.header, v.body + ' '),
  (Date.now = () => v.nowMs + 301_000, verify(v.secret, v.header, v.body))]));`;
    writeFileSync(file, run);
    const out = execFileSync(process.execPath, [file, JSON.stringify({ ...vector, nowMs: vector.t * 1000 })]);
    expect(JSON.parse(String(out))).toEqual([true, false, false]);
  });

  it('the Python verifier as printed does the same', () => {
    const file = join(scratch, 'verify.py');
    const run = `${codeBlock('python')}
import json, sys
v = json.loads(sys.argv[1])
time.time = lambda: v['t']
a = verify(v['secret'], v['header'], v['body'].encode())
b = verify(v['secret'], v['header'], (v['body'] + ' ').encode())
time.time = lambda: v['t'] + 301
c = verify(v['secret'], v['header'], v['body'].encode())
print(json.dumps([a, b, c]))
`;
    writeFileSync(file, run);
    const out = execFileSync('python3', [file, JSON.stringify(vector)]);
    expect(JSON.parse(String(out))).toEqual([true, false, false]);
  });
});
