import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import mongoose, { type Connection } from 'mongoose';

const MONGODB_DUPLICATE_KEY = 11000;
/** SQLite's SQLITE_CONSTRAINT_UNIQUE, which FerretDB 1.24 passes through for some updates. */
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/** Tells whether an error is a unique index violation, as MongoDB and FerretDB report it. */
export function isDuplicateKeyError(error: unknown): boolean {
  if (!(error instanceof mongoose.mongo.MongoServerError)) {
    return false;
  }
  return (
    error.code === MONGODB_DUPLICATE_KEY ||
    error.code === SQLITE_CONSTRAINT_UNIQUE ||
    /E11000|UNIQUE constraint failed/.test(error.message)
  );
}

/**
 * Single-use claims backed by a unique index: the first `claim(key)` returns
 * true and every later one false, even across replicas and concurrent
 * requests. Conditional updates cannot promise this on FerretDB 1.24, whose
 * find-and-modify reads and writes without isolation.
 * NOTE: claims are never deleted yet; the retention job must remove those
 * older than the longest-lived token they guard.
 */
@Injectable()
export class OnceClaims {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async claim(key: string): Promise<boolean> {
    try {
      await this.connection.collection<{ _id: string; claimedAt: Date }>('claims').insertOne({
        _id: key,
        claimedAt: new Date(),
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        return false;
      }
      throw error;
    }
  }
}
