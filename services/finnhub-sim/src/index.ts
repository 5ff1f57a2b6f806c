import { createRegistry, startOpsServer } from '@tickerflow/common';
import { Gauge } from 'prom-client';
import { controlRoutes } from './control.js';
import { createSimulator, defaultSimOptions, type SimOptions } from './simulator.js';

export { createSimulator, defaultSimOptions, type SimOptions, type ConnectionStats } from './simulator.js';
export { loadReplay } from './replay.js';
export { createMarket, assetClass, seededRandom } from './market.js';

export interface RunningSim {
  /** ws://host:port (the token goes in ?token=). */
  url: string;
  /** http://host:port for /control, /metrics, /healthz. */
  httpUrl: string;
  sim: ReturnType<typeof createSimulator>;
  stop(): Promise<void>;
}

/** Starts the simulator's HTTP + WebSocket server. Port 0 picks a free port. */
export async function startSim(options: Partial<SimOptions> & { token: string; port?: number; host?: string }): Promise<RunningSim> {
  const host = options.host ?? '127.0.0.1';
  const sim = createSimulator({ ...defaultSimOptions, ...options });
  const registry = createRegistry();
  const sum = (f: (s: ReturnType<typeof sim.stats>[number]) => number) => sim.stats().reduce((n, s) => n + f(s), 0);
  new Gauge({
    name: 'finnhub_sim_connections',
    help: 'Open WebSocket connections.',
    registers: [registry],
    collect() {
      this.set(sim.stats().filter((s) => s.open).length);
    },
  });
  new Gauge({
    name: 'finnhub_sim_trades_sent',
    help: 'Trades sent over all connections since start.',
    registers: [registry],
    collect() {
      this.set(sum((s) => s.tradesSent));
    },
  });
  new Gauge({
    name: 'finnhub_sim_frames_sent',
    help: 'Frames sent over all connections since start.',
    registers: [registry],
    collect() {
      this.set(sum((s) => s.framesSent));
    },
  });
  const ops = await startOpsServer({ port: options.port ?? 0, host, registry, readiness: [], routes: controlRoutes(sim) });
  sim.attach(ops.server);
  return {
    url: `ws://${host}:${ops.port}`,
    httpUrl: `http://${host}:${ops.port}`,
    sim,
    async stop() {
      await sim.stop();
      await ops.close();
    },
  };
}
