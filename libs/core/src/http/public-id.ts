import { randomInt } from 'node:crypto';

import { HttpStatus, type PipeTransform } from '@nestjs/common';

import { ProblemException } from './problem-details.js';

export const PUBLIC_ID_PREFIXES = ['usr', 'ses', 'prj', 'tsk', 'cmt', 'att', 'evt'] as const;
export type PublicIdPrefix = (typeof PUBLIC_ID_PREFIXES)[number];

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 20;

/** Returns `prefix_` and 20 random base62 characters, about 119 bits. */
export function generatePublicId(prefix: PublicIdPrefix): string {
  let id = `${prefix}_`;
  for (let index = 0; index < RANDOM_LENGTH; index += 1) {
    id += ALPHABET[randomInt(ALPHABET.length)];
  }
  return id;
}

export function isPublicId(value: unknown, prefix: PublicIdPrefix): value is string {
  return (
    typeof value === 'string' && new RegExp(`^${prefix}_[0-9A-Za-z]{${RANDOM_LENGTH}}$`).test(value)
  );
}

/** Route parameter pipe: an id of the wrong shape is reported as not found, never queried. */
export class PublicIdPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly prefix: PublicIdPrefix,
    private readonly resourceName: string,
  ) {}

  transform(value: unknown): string {
    if (!isPublicId(value, this.prefix)) {
      throw new ProblemException(HttpStatus.NOT_FOUND, `${this.resourceName} not found`);
    }
    return value;
  }
}
