import { mount } from 'svelte';
import App from './App.svelte';
import { deskContext } from './lib/desk-context.js';
import { saveBlob } from './lib/download.js';
import { animationFrames } from './lib/frame-batcher.js';
import { browserNotifierDeps } from './lib/stores/alert-notifier.js';
import { createDesk } from './lib/stores/desk.js';
import { tabResource } from './lib/tab-resource.js';
import { openBrowserSession } from './lib/xmpp/browser-client.js';

// One origin: the API serves this page and /v1, and proxies /xmpp-websocket to the XMPP server.
const desk = createDesk({
  fetch: (input, init) => fetch(input, init),
  openSession: openBrowserSession,
  service: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/xmpp-websocket`,
  resource: tabResource(globalThis.sessionStorage),
  frames: animationFrames,
  visibility: {
    visible: () => document.visibilityState === 'visible',
    onChange: (handler) => document.addEventListener('visibilitychange', handler),
  },
  notifier: browserNotifierDeps(),
  save: saveBlob,
});
addEventListener('online', () => desk.connection.retryNow());

mount(App, { target: document.getElementById('app')!, context: deskContext(desk) });
