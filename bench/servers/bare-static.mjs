// Baseline for a cheap route: a bare node:http handler that serves one path
// with bytes the harness captured from the service, and does nothing else.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const path = process.env.BENCH_STATIC_PATH;
const body = readFileSync(process.env.BENCH_STATIC_BODY_FILE);
const contentType = process.env.BENCH_STATIC_CONTENT_TYPE ?? 'application/json; charset=utf-8';

const server = createServer((request, response) => {
  if (request.url === '/ready') {
    response.writeHead(204).end();
    return;
  }
  if (request.method === 'GET' && request.url === path) {
    response.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
    response.end(body);
    return;
  }
  response.writeHead(404).end();
});
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
