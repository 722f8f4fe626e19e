import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';

import { EmbeddedDatabase } from '@codexflow/core';
import {
  createTempDir,
  createTestApp,
  runBuiltEntryPoint,
  type SmtpSink,
  startSmtpSink,
  type TempDir,
  type TestApp,
} from '@codexflow/testing';

import { registerVerified, signIn } from './support/identity.js';
import { enrollTotp, signInWithTotp } from './support/mfa.js';

const OLD_KEYS = `old:${randomBytes(32).toString('base64')}`;
const NEW_KEYS = `new:${randomBytes(32).toString('base64')},${OLD_KEYS}`;

describe('encryption key rotation', () => {
  let dataDir: TempDir;
  let database: EmbeddedDatabase;
  let sink: SmtpSink;
  let uri: string;

  beforeAll(async () => {
    dataDir = createTempDir();
    database = await EmbeddedDatabase.start(dataDir.path);
    sink = await startSmtpSink();
    uri = `${database.uri}rotation`;
  });

  afterAll(async () => {
    await sink.close();
    await database.stop();
    dataDir.remove();
  });

  async function storedSecret(): Promise<string> {
    const client = await mongoose.mongo.MongoClient.connect(database.uri);
    try {
      const factor = await client.db('rotation').collection('mfa_factors').findOne({});
      return factor?.encryptedSecret as string;
    } finally {
      await client.close();
    }
  }

  async function app(keys: string): Promise<TestApp> {
    return createTestApp({ env: { MONGODB_URI: uri, ENCRYPTION_KEYS: keys, SMTP_URL: sink.url } });
  }

  it('re-encrypts under the newest key and keeps TOTP working', async () => {
    const before = await app(OLD_KEYS);
    const email = await registerVerified(before, sink);
    const { secret } = await enrollTotp(before, (await signIn(before, email)).accessToken);
    await before.close();
    expect(await storedSecret()).toMatch(/^v1\.old\./);

    const job = runBuiltEntryPoint('apps/jobs/src/main.js', ['encryption:rotate'], {
      MONGODB_URI: uri,
      ENCRYPTION_KEYS: NEW_KEYS,
      LOG_LEVEL: 'warn',
    });
    expect(await job.exited).toBe(0);
    expect(job.output().join('\n')).toMatch(/re-encrypted 1 records under the newest key/);
    expect(await storedSecret()).toMatch(/^v1\.new\./);

    const after = await app(NEW_KEYS);
    try {
      await signInWithTotp(after, email, secret, 1);
    } finally {
      await after.close();
    }
  });

  it('fails loudly on a tampered ciphertext', async () => {
    const client = await mongoose.mongo.MongoClient.connect(database.uri);
    const factors = client.db('rotation').collection('mfa_factors');
    const factor = await factors.findOne({});
    const value = factor?.encryptedSecret as string;
    const tampered = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    await factors.updateOne({ _id: factor?._id }, { $set: { encryptedSecret: tampered } });
    await client.close();

    const job = runBuiltEntryPoint('apps/jobs/src/main.js', ['encryption:rotate'], {
      MONGODB_URI: uri,
      ENCRYPTION_KEYS: `newer:${randomBytes(32).toString('base64')},${NEW_KEYS}`,
      LOG_LEVEL: 'warn',
    });

    expect(await job.exited).not.toBe(0);
    expect(job.output().join('\n')).toMatch(/tampered|authentic|decrypt/i);
  });
});
