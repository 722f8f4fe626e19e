import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';

import { EmbeddedDatabase } from '@codexflow/core';
import { createTempDir, type TempDir } from '@codexflow/testing';

type Db = mongoose.mongo.Db;

/**
 * What FerretDB 1.24 on SQLite supports. The README's list of features the
 * code must not rely on is this table; a FerretDB upgrade that changes it
 * fails here first.
 */
const SUPPORTED: Array<[string, (db: Db) => Promise<unknown>]> = [
  [
    'unique indexes',
    async (db) => {
      await db.collection('items').createIndex({ key: 1 }, { unique: true });
      await db.collection('items').insertOne({ key: 'A' });
      await expect(db.collection('items').insertOne({ key: 'A' })).rejects.toThrow(/E11000/);
    },
  ],
  [
    'compound and sparse indexes',
    async (db) => {
      await db.collection('items').createIndex({ group: 1, order: -1 });
      await db.collection('items').createIndex({ optional: 1 }, { sparse: true });
    },
  ],
  [
    '$inc upsert with findOneAndUpdate',
    async (db) => {
      const counters = db.collection<{ _id: string; seq: number }>('counters');
      await counters.findOneAndUpdate({ _id: 'CFX' }, { $inc: { seq: 1 } }, { upsert: true });
      const second = await counters.findOneAndUpdate(
        { _id: 'CFX' },
        { $inc: { seq: 1 } },
        { upsert: true, returnDocument: 'after' },
      );
      expect(second?.seq).toBe(2);
    },
  ],
  [
    '$match, $group, $unwind, $addFields, $sort and $limit',
    async (db) => {
      await db.collection('rows').insertMany([
        { g: 1, tags: ['a', 'b'] },
        { g: 2, tags: ['a'] },
      ]);
      const rows = await db
        .collection('rows')
        .aggregate([
          { $match: { g: { $gte: 1 } } },
          { $unwind: '$tags' },
          { $group: { _id: '$tags', count: { $sum: 1 } } },
          { $addFields: { kind: 'tag' } },
          { $sort: { _id: 1 } },
          { $limit: 5 },
        ])
        .toArray();
      expect(rows).toEqual([
        { _id: 'a', count: 2, kind: 'tag' },
        { _id: 'b', count: 1, kind: 'tag' },
      ]);
    },
  ],
  [
    'GridFS upload and ranged download',
    async (db) => {
      const bucket = new mongoose.mongo.GridFSBucket(db);
      await new Promise((resolve, reject) => {
        bucket
          .openUploadStream('file.bin')
          .on('finish', resolve)
          .on('error', reject)
          .end(Buffer.alloc(300_000, 7));
      });
      const chunks: Buffer[] = [];
      for await (const chunk of bucket.openDownloadStreamByName('file.bin', {
        start: 100,
        end: 300,
      })) {
        chunks.push(chunk as Buffer);
      }
      expect(Buffer.concat(chunks)).toHaveLength(200);
    },
  ],
];

const UNSUPPORTED: Array<
  [string, (db: Db, client: mongoose.mongo.MongoClient) => Promise<unknown>]
> = [
  [
    'multi-document transactions',
    async (db, client) => {
      const session = client.startSession();
      try {
        await session.withTransaction(() => db.collection('tx').insertOne({ a: 1 }, { session }));
      } finally {
        await session.endSession();
      }
    },
  ],
  ['TTL indexes', (db) => db.collection('ttl').createIndex({ at: 1 }, { expireAfterSeconds: 60 })],
  [
    'partial indexes',
    (db) =>
      db.collection('p').createIndex({ a: 1 }, { partialFilterExpression: { a: { $gt: 1 } } }),
  ],
  ['text indexes', (db) => db.collection('a').createIndex({ name: 'text' })],
  [
    '$text queries',
    (db) =>
      db
        .collection('a')
        .find({ $text: { $search: 'x' } })
        .toArray(),
  ],
  [
    'collation',
    (db) =>
      db
        .collection('c')
        .find({}, { collation: { locale: 'en' } })
        .toArray(),
  ],
  [
    '$facet',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $facet: { n: [{ $count: 'n' }] } }])
        .toArray(),
  ],
  [
    '$lookup',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $lookup: { from: 'b', localField: 'x', foreignField: 'y', as: 'z' } }])
        .toArray(),
  ],
  [
    '$bucket',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $bucket: { groupBy: '$n', boundaries: [0, 10] } }])
        .toArray(),
  ],
  [
    '$sortByCount',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $sortByCount: '$n' }])
        .toArray(),
  ],
  [
    '$setWindowFields',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $setWindowFields: { sortBy: { n: 1 }, output: { r: { $rank: {} } } } }])
        .toArray(),
  ],
  [
    '$unionWith',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $unionWith: 'b' }])
        .toArray(),
  ],
  [
    '$sample',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $sample: { size: 1 } }])
        .toArray(),
  ],
  [
    '$out and $merge',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $match: {} }, { $out: 'b' }])
        .toArray(),
  ],
  [
    '$expr and $cond',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $project: { x: { $cond: [{ $gt: ['$n', 1] }, 1, 0] } } }])
        .toArray(),
  ],
  [
    'date operators such as $isoWeek and $dateToString',
    (db) =>
      db
        .collection('a')
        .aggregate([{ $project: { w: { $isoWeek: '$at' } } }])
        .toArray(),
  ],
  [
    'change streams',
    async (db) => {
      const stream = db.collection('a').watch();
      try {
        await stream.tryNext();
      } finally {
        await stream.close();
      }
    },
  ],
  [
    '$jsonSchema validators',
    (db) => db.createCollection('v', { validator: { $jsonSchema: { required: ['a'] } } }),
  ],
];

describe(EmbeddedDatabase.name, () => {
  let dataDir: TempDir;
  let database: EmbeddedDatabase;
  let client: mongoose.mongo.MongoClient;
  let db: Db;

  beforeAll(async () => {
    dataDir = createTempDir();
    database = await EmbeddedDatabase.start(dataDir.path);
    client = await mongoose.mongo.MongoClient.connect(database.uri);
  });

  afterAll(async () => {
    await client.close();
    await database.stop();
    dataDir.remove();
  });

  it('listens on a loopback address', () => {
    expect(new URL(database.uri).hostname).toBe('127.0.0.1');
  });

  it('keeps data across a restart on the same data folder', async () => {
    const folder = createTempDir();
    const first = await EmbeddedDatabase.start(folder.path);
    const firstClient = await mongoose.mongo.MongoClient.connect(first.uri);
    await firstClient.db('durable').collection('notes').insertOne({ text: 'kept' });
    await firstClient.close();
    await first.stop();

    const second = await EmbeddedDatabase.start(folder.path);
    const secondClient = await mongoose.mongo.MongoClient.connect(second.uri);
    const found = await secondClient.db('durable').collection('notes').findOne({ text: 'kept' });
    await secondClient.close();
    await second.stop();
    folder.remove();

    expect(found?.text).toBe('kept');
  });

  it('scans instead of using a secondary index', async () => {
    const tasks = client.db('plans').collection('tasks');
    await tasks.createIndex({ projectId: 1, createdAt: -1 });
    await tasks.insertMany([
      { projectId: 'prj_a', createdAt: new Date() },
      { projectId: 'prj_b', createdAt: new Date() },
    ]);

    const plan = await tasks
      .find({ projectId: 'prj_a' })
      .sort({ createdAt: -1 })
      .limit(50)
      .explain();

    expect(JSON.stringify(plan.queryPlanner)).toMatch(/SCAN/);
  });

  describe('supports', () => {
    it.each(SUPPORTED)('%s', async (name, probe) => {
      db = client.db(`supported_${name.replace(/\W+/g, '_')}`);

      await expect(probe(db)).resolves.not.toThrow();
    });
  });

  describe('rejects', () => {
    it.each(UNSUPPORTED)('%s', async (name, probe) => {
      db = client.db(`unsupported_${name.replace(/\W+/g, '_')}`);
      await db.collection('a').insertOne({ n: 1, at: new Date() });

      await expect(probe(db, client)).rejects.toThrow();
    });
  });
});
