import { createAdhocService } from './adhoc-service.js';
import { createChatService } from './chat-service.js';
import { createAlertEngine, type AlertEngineDeps } from './engine.js';
import { createRuleCommands } from './rule-commands.js';
import { createWriteBudget } from './write-budget.js';

/** The whole alerts service on one XMPP session: engine, chat commands and ad-hoc commands. */
export async function startAlertService(deps: AlertEngineDeps) {
  const engine = createAlertEngine(deps);
  const symbols = deps.instruments.map((i) => i.symbol);
  const commands = createRuleCommands({
    rules: engine.rules, symbols: new Set(symbols), traders: engine.traders, minCooldownSeconds: deps.config.minCooldownSeconds,
    writeBudget: createWriteBudget({ redis: deps.redis, max: deps.config.writeRateMax, windowMs: deps.config.writeRateWindowMs, log: deps.log }),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const common = { client: deps.client, commands, domain: deps.domain, isTrader: engine.isTrader, log: deps.log };
  // Sent to this engine's resource: answered here; to the bare JID: by the leading engine only.
  const chat = createChatService({ ...common, answers: (to) => to === deps.client.jid() || engine.leads() });
  const adhoc = createAdhocService({ ...common, symbols });
  adhoc.start();
  chat.start();
  await engine.start();
  return {
    engine,
    async stop(): Promise<void> {
      chat.stop();
      adhoc.stop();
      await engine.stop();
    },
  };
}
export type AlertService = Awaited<ReturnType<typeof startAlertService>>;
