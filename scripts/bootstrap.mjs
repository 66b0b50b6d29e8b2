#!/usr/bin/env node
// Installs what the desk needs (Debian packages, npm dependencies), builds, then
// runs the requested task: `start` (the desk), `test` (all tests) or `bench`.
// Plain Node with no dependencies, so it runs right after `git clone`.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const task = process.argv[2] ?? 'start';
const say = (msg) => process.stderr.write(`[tickdesk] ${msg}\n`);

function fail(msg) {
  say(msg);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) fail(`${cmd} could not run: ${r.error.message}`);
  return r.status ?? 1;
}

function onPath(bin) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']) {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

/** Debian's erlang-p1-sqlite3 installs the Erlang application p1_sqlite3-<version>. */
function sqliteDriver() {
  const lib = '/usr/lib/erlang/lib';
  return existsSync(lib) && readdirSync(lib).some((d) => d.startsWith('p1_sqlite3-'));
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19))
  fail(`Node ${process.versions.node} is too old: install Node 20.19 or newer.`);

// Debian packages: program → package. python3-slixmpp is the independent XMPP client
// the interoperability tests use; Debian's chromium is the browser of the end-to-end
// tests and the dashboard benchmark (playwright-core drives it; no browser is downloaded).
const wanted = { prosody: 'prosody', 'redis-server': 'redis-server', openssl: 'openssl' };
const needPy = task !== 'start' && !existsSync('/usr/lib/python3/dist-packages/slixmpp');
const needBrowser = (task === 'test' || task === 'bench') && !existsSync('/usr/bin/chromium');
// ejabberd (and the SQLite driver of its message archive): the tests run against both
// servers; `start` needs it when the desk is told to run it.
const needEjabberd = task === 'test' || task === 'bench' || process.env.TICKDESK_XMPP_SERVER === 'ejabberd';
const missing = Object.entries(wanted)
  .filter(([bin]) => !onPath(bin))
  .map(([, pkg]) => pkg);
// Debian's redis-sentinel (the sentinels of TICKDESK_REDIS_MODE=sentinel): the tests start a Sentinel set.
const needSentinel = task === 'test' || process.env.TICKDESK_REDIS_MODE === 'sentinel';
if (needSentinel && !onPath('redis-sentinel')) missing.push('redis-sentinel');
// Debian's mosquitto (with its dynamic-security plugin): the sensors' MQTT broker when TICKDESK_FEED
// lists mqtt (`synthetic,mqtt`); the tests and benchmarks start one.
const feeds = (process.env.TICKDESK_FEED ?? '').split(',').map((s) => s.trim());
const needMosquitto = task === 'test' || task === 'bench' || feeds.includes('mqtt');
if (needMosquitto && !onPath('mosquitto')) missing.push('mosquitto');
if (needPy) missing.push('python3-slixmpp');
if (needBrowser) missing.push('chromium');
if (needEjabberd && !onPath('ejabberdctl')) missing.push('ejabberd');
if (needEjabberd && !sqliteDriver()) missing.push('erlang-p1-sqlite3');
if (missing.length > 0) {
  if (process.getuid?.() !== 0)
    fail(
      `missing ${missing.join(', ')}: run as root, or install them with: sudo apt-get install -y ${missing.join(' ')}`,
    );
  say(`installing ${missing.join(', ')} from Debian's packages`);
  // Keep the packages' own system services from starting: the desk runs private instances.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update', '-q'], { env }) !== 0) fail('apt-get update failed');
    if (run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env }) !== 0)
      fail(`apt-get install ${missing.join(' ')} failed`);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

// npm dependencies, when missing or older than the lock file.
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
  say('installing npm dependencies');
  // `npm install` with the committed lock file: the versions are the lock's. (`npm ci`
  // refuses a lock written without other platforms' optional packages.)
  if (run('npm', ['install', '--no-audit', '--no-fund']) !== 0) fail('npm install failed');
}

say('building');
if (run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) fail('build failed');

const tasks = {
  start: ['node', ['services/desk/dist/cli.js', 'up']],
  test: ['npx', ['vitest', 'run']],
  bench: ['node', ['--conditions=tickdesk-source', '--import', 'tsx', 'test/bench/run.ts']],
};
const t = tasks[task];
if (!t) fail(`unknown task ${task}: use start, test or bench`);
// The code checks first (format, types of everything, type-aware lint, unused code, copies): they take
// about two minutes, and a test run over code that fails them is not a result.
if (task === 'test') {
  say('checking the code (npm run lint)');
  if (run('npm', ['run', 'lint']) !== 0) fail('code checks failed (npm run lint)');
}
process.exit(run(t[0], t[1]));
