// The baseline of the start-up benchmark (startup.ts): the least a server like LabLink is made of — Fastify
// answering GET /health and a `ws` server on /ws that greets each client — started the same way (a Node child
// process, plain JavaScript, nothing compiled at start). Whatever LabLink takes beyond this is its own.
//
//   node bench/minimal-server.mjs <port>

import Fastify from 'fastify';
import { WebSocketServer } from 'ws';

const app = Fastify();
app.get('/health', async () => ({ status: 'healthy' }));
const wss = new WebSocketServer({ noServer: true });
app.server.on('upgrade', (req, socket, head) => {
  if (req.url !== '/ws') return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => ws.send('{"type":"welcome"}'));
});
const url = await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
console.log(`minimal server listening on ${url}`);
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
