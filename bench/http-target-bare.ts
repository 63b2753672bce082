import type { AddressInfo } from 'node:net';
import express from 'express';

/** Child process: the baseline, an express endpoint that only parses the same JSON bodies. */
const app = express();
app.use(express.json({ limit: '1mb', type: ['application/json', 'application/merge-patch+json'] }));
const reply: express.RequestHandler = (req, res) => {
  res.status(200).json({ id: req.params['id'], received: Object.keys(req.body as object).length });
};
app.put('/api/v1/cis/:id', reply);
app.patch('/api/v1/cis/:id', reply);
const server = app.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (message) => {
  if (message === 'stop') server.close(() => process.exit(0));
});
