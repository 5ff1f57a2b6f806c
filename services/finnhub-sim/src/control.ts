import express, { type Express, type Request } from 'express';
import type { Simulator } from './simulator.js';

const MALFORMED = ['{', 'not json at all', '{"type":"trade","data":{}}', '{"data":[{"s":"AAPL","p":"NaN"}],"type":"trade"}', '[]', '{"type":42}'];

/** The HTTP control API tests use to read what was sent and to trigger faults. */
export function controlRoutes(sim: Simulator) {
  const target = (req: Request) => {
    const id = (req.body as { connection?: unknown } | undefined)?.connection;
    return typeof id === 'number' ? id : undefined;
  };
  return (app: Express) => {
    const control = express.Router();
    control.use(express.json());
    control.get('/stats', (_req, res) => {
      res.json({ connections: sim.stats() });
    });
    control.get('/connections/:id/trades', (req, res) => {
      res.json(sim.sentTrades(Number(req.params.id)));
    });
    control.post('/close', (req, res) => {
      const { code, reason } = req.body as { code?: number; reason?: string };
      sim.close(target(req), code, reason);
      res.status(204).end();
    });
    control.post('/stall', (req, res) => {
      sim.stall(target(req), (req.body as { stalled?: boolean }).stalled !== false);
      res.status(204).end();
    });
    control.post('/malformed', (req, res) => {
      const { text } = req.body as { text?: string };
      for (const t of text === undefined ? MALFORMED : [text]) sim.sendRaw(target(req), t);
      res.status(204).end();
    });
    control.post('/rate', (req, res) => {
      sim.setRate(Number((req.body as { rate?: number }).rate));
      res.status(204).end();
    });
    control.post('/generating', (req, res) => {
      sim.setGenerating((req.body as { on?: boolean }).on !== false);
      res.status(204).end();
    });
    control.post('/ping', (_req, res) => {
      sim.ping();
      res.status(204).end();
    });
    app.use('/control', control);
  };
}
