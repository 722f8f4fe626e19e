// The check that makes the throughput ratios mean something: every variant
// of a scenario must send the same bytes for the same request.
import { createHash } from 'node:crypto';

import { BenchFailure } from './load.mjs';

/**
 * Fetches like fetch(), trying once more when the connection fails. A server
 * may close an idle keep-alive connection just as the client reuses it, and
 * then the request never reached the server.
 */
export async function fetchRetrying(url, init = {}) {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    if (error.name !== 'TypeError') {
      throw error;
    }
    process.stdout.write(`bench: ${init.method ?? 'GET'} ${url} failed (${error.cause?.code ?? error.cause?.message ?? error.message}); trying once more\n`);
    return fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
  }
}

/** Fetches one response. A status that is not 2xx fails the run. */
export async function fetchBody(label, url, init = {}) {
  const response = await fetchRetrying(url, init);
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status < 200 || response.status > 299) {
    throw new BenchFailure(`${label}: ${init.method ?? 'GET'} ${url} returned status ${response.status}: ${body.toString('utf8').slice(0, 500)}`);
  }
  return { label, status: response.status, headers: response.headers, body };
}

const digest = (body) => createHash('sha256').update(body).digest('hex').slice(0, 16);

/**
 * Replaces the value of each named top-level field of a JSON body with a
 * placeholder, leaving every other byte as sent. Each field must occur
 * exactly once as a string or number, so a response without it fails the
 * comparison instead of passing it.
 */
function withoutVolatileFields(label, body, fields) {
  let text = body.toString('utf8');
  for (const field of fields) {
    const pattern = new RegExp(`"${field}":("(?:[^"\\\\]|\\\\.)*"|-?[0-9.eE+-]+)`, 'g');
    const count = text.match(pattern)?.length ?? 0;
    if (count !== 1) {
      throw new BenchFailure(`${label}: expected the field "${field}" once in the body, found it ${count} times`);
    }
    text = text.replace(pattern, `"${field}":"(volatile)"`);
  }
  return Buffer.from(text, 'utf8');
}

/**
 * Fails unless every response's body is byte for byte the first one's, after
 * `volatileFields` (per-request values such as timestamps) are blanked out.
 * Returns the size and digest of the first body as compared.
 */
export function requireSameBytes(responses, { volatileFields = [] } = {}) {
  const compared = responses.map((response) => ({
    label: response.label,
    body: volatileFields.length === 0 ? response.body : withoutVolatileFields(response.label, response.body, volatileFields),
  }));
  const [reference, ...others] = compared;
  for (const other of others) {
    if (!reference.body.equals(other.body)) {
      let offset = 0;
      while (offset < reference.body.length && reference.body[offset] === other.body[offset]) {
        offset += 1;
      }
      const excerpt = (body) => JSON.stringify(body.subarray(Math.max(0, offset - 40), offset + 80).toString('utf8'));
      throw new BenchFailure(
        `${other.label} sent other bytes than ${reference.label} (first difference at byte ${offset}):\n` +
          `  ${reference.label}: ${excerpt(reference.body)}\n  ${other.label}: ${excerpt(other.body)}`,
      );
    }
  }
  return {
    bytes: reference.body.length,
    sha256: digest(reference.body),
    variants: compared.map((response) => response.label),
    volatileFields,
  };
}

/**
 * Fetches the same request from every variant and fails unless all bodies
 * are byte for byte the first one's. Returns the size and digest.
 */
export async function requireIdenticalBodies(requests) {
  const responses = [];
  for (const { label, url, init } of requests) {
    responses.push(await fetchBody(label, url, init));
  }
  const { bytes, sha256, variants } = requireSameBytes(responses);
  return { bytes, sha256, variants };
}
