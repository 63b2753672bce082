import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * Child process: the baseline, an express endpoint that only parses the same
 * JSON bodies on writes, and on reads answers, from memory, the very bodies
 * the service gave for the same URLs (sent by the parent: `{ bodies }`), so
 * the two differ by the service's own work alone.
 */
const bodies = new Map<string, unknown>();
const app = express();
app.use(express.json({ limit: '1mb', type: ['application/json', 'application/merge-patch+json'] }));
const reply: express.RequestHandler = (req, res) => {
  res.status(200).json({ id: req.params['id'], received: Object.keys(req.body as object).length });
};
const answer: express.RequestHandler = (req, res) => {
  const body = bodies.get(req.originalUrl);
  if (body === undefined) res.status(404).json({ url: req.originalUrl });
  else res.status(200).json(body);
};
app.put('/api/v1/cis/:id', reply);
app.patch('/api/v1/cis/:id', reply);
app.get('/api/v1/cis', answer);
app.get('/api/v1/cis/:id', answer);
app.get('/api/v1/cis/:id/history', answer);
const server = app.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (message: 'stop' | { bodies: [string, unknown][] }) => {
  if (message === 'stop') server.close(() => process.exit(0));
  else {
    for (const [url, body] of message.bodies) bodies.set(url, body);
    process.send!({ stored: bodies.size });
  }
});
