// Typings for what the dashboard imports that ships none (the xmpp.js parts are typed in services/xmpp).
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<any>;
  export default component;
}
