// Baseline of node:http and the official mongodb driver, with no framework,
// for the task list and for GET /v1/users/me/permissions. It does the work the
// service cannot skip, and no more. It checks the RS256 bearer token
// (signature, expiry, issuer, audience). For the list it reads what the
// service reads: the project for the access check, then the page. It writes
// the same JSON bytes as the service.
import { createPublicKey, verify } from 'node:crypto';
import { createServer } from 'node:http';

import { MongoClient } from 'mongodb';

import { createCursorSigner, LIST_SORT, mayReadProject, parseLimit, toPage, toPermissionsResponse } from './shared.mjs';

const LIST_ROUTE = /^\/v1\/projects\/(prj_[0-9A-Za-z]{1,64})\/tasks$/;
const CLOCK_TOLERANCE_SECONDS = 30;

const publicKey = createPublicKey(process.env.BENCH_PUBLIC_KEY_PEM);
const issuer = process.env.BENCH_JWT_ISSUER;
const audience = process.env.BENCH_JWT_AUDIENCE;
const signCursor = createCursorSigner(process.env.BENCH_ENCRYPTION_KEYS);

const client = new MongoClient(process.env.BENCH_MONGODB_URI);
await client.connect();
const projects = client.db().collection('projects');
const tasks = client.db().collection('tasks');

/** Returns the verified claims of an `Authorization: Bearer` token, or undefined. */
function verifiedClaims(header) {
  const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header ?? '')?.[1];
  const parts = token?.split('.');
  if (parts === undefined || parts.length !== 3) {
    return undefined;
  }
  try {
    const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    if (head.alg !== 'RS256') {
      return undefined;
    }
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!verify('sha256', signed, publicKey, Buffer.from(parts[2], 'base64url'))) {
      return undefined;
    }
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const now = Date.now() / 1000;
    if (claims.exp + CLOCK_TOLERANCE_SECONDS < now || claims.iss !== issuer || claims.aud !== audience) {
      return undefined;
    }
    return claims;
  } catch {
    return undefined;
  }
}

function send(response, status, body) {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': bytes.length,
  });
  response.end(bytes);
}

async function sendPage(response, claims, projectId, rawLimit) {
  const limit = parseLimit(rawLimit);
  if (limit === undefined) {
    send(response, 400, { title: 'Bad Request' });
    return;
  }
  const project = await projects.findOne({ publicId: projectId });
  if (project === null || !mayReadProject(claims, project)) {
    send(response, 404, { title: 'Not Found' });
    return;
  }

  const rows = await tasks
    .find({ projectId })
    .sort(LIST_SORT)
    .limit(limit + 1)
    .toArray();
  send(response, 200, toPage(rows, limit, projectId, signCursor));
}

async function handle(request, response) {
  const url = new URL(request.url, 'http://localhost');
  if (url.pathname === '/ready') {
    response.writeHead(204).end();
    return;
  }

  const projectId = LIST_ROUTE.exec(url.pathname)?.[1];
  const isPermissions = url.pathname === '/v1/users/me/permissions';
  if (request.method !== 'GET' || (projectId === undefined && !isPermissions)) {
    send(response, 404, { title: 'Not Found' });
    return;
  }
  const claims = verifiedClaims(request.headers.authorization);
  if (claims === undefined) {
    send(response, 401, { title: 'Unauthorized' });
    return;
  }

  if (isPermissions) {
    send(response, 200, toPermissionsResponse(claims));
  } else {
    await sendPage(response, claims, projectId, url.searchParams.get('limit'));
  }
}

const server = createServer((request, response) => {
  handle(request, response).catch((error) => {
    process.stderr.write(`${request.method} ${request.url} failed: ${error.stack}\n`);
    if (response.headersSent) {
      response.destroy();
    } else {
      send(response, 500, { title: 'Internal Server Error' });
    }
  });
});
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  client.close().finally(() => process.exit(0));
});
