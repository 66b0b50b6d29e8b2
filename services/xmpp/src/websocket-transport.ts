import websocket from '@xmpp/websocket';
import type { ComposeOptions } from './compose.js';

/**
 * XMPP over WebSocket (RFC 7395) for composeClient, in browsers: TLS is the page's (wss:),
 * so no STARTTLS; SASL stays SCRAM-SHA-1 even where xmpp.js would call ws://localhost secure.
 */
export const websocketTransport: ComposeOptions['transport'] = ({ entity }) => websocket({ entity });
