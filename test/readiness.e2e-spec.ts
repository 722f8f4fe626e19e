import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { EmbeddedDatabase } from '@codexflow/core';
import { createTempDir, createTestApp, type TempDir, type TestApp } from '@codexflow/testing';

describe('readiness with the database down', () => {
  let dataDir: TempDir;
  let database: EmbeddedDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    dataDir = createTempDir();
    database = await EmbeddedDatabase.start(dataDir.path);
    testApp = await createTestApp({ env: { MONGODB_URI: `${database.uri}readiness` } });
  });

  afterAll(async () => {
    await testApp.close();
    await database.stop();
    dataDir.remove();
  });

  it('returns 503 without internals once the database stops', async () => {
    expect((await testApp.http.get('/health/ready')).status).toBe(200);

    await database.stop();
    const response = await testApp.http.get('/health/ready');

    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.detail).toBe('The service is not ready: the database does not respond');
    const body = JSON.stringify(response.body);
    const port = new URL(database.uri).port;
    for (const leaked of ['127.0.0.1', port, 'mongodb', 'ECONNREFUSED', 'FerretDB']) {
      expect(body).not.toContain(leaked);
    }
  });

  it('keeps reporting liveness', async () => {
    const response = await testApp.http.get('/health/live');

    expect(response.status).toBe(200);
  });
});
