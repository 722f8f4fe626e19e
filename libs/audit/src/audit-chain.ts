import { createHash, randomBytes } from 'node:crypto';

import { canonicalJson } from '@codexflow/core';

import type { AuditEvent } from './audit-event.schema.js';

/** The previous hash of the first event of a chain that never lost events to retention. */
export const GENESIS_HASH = '0'.repeat(64);

export type PersonalFields = Pick<AuditEvent, 'userId' | 'resourceId' | 'ipAddress' | 'userAgent'>;

export function newSalt(): string {
  return randomBytes(16).toString('base64');
}

/** Serialises the id and personal fields of an event, as a pseudonymisation seal covers them. */
export function sealedContent(event: Pick<AuditEvent, 'publicId'> & PersonalFields): string {
  return canonicalJson({
    id: event.publicId,
    userId: event.userId,
    resourceId: event.resourceId,
    ipAddress: event.ipAddress,
    userAgent: event.userAgent,
  });
}

/** Commits to the personal fields under a salt, so they can later be replaced without breaking the chain. */
export function personalDigest(fields: PersonalFields, salt: string): string {
  const personal = {
    userId: fields.userId,
    resourceId: fields.resourceId,
    ipAddress: fields.ipAddress,
    userAgent: fields.userAgent,
  };
  return createHash('sha256')
    .update(`${salt}\n${canonicalJson(personal)}`)
    .digest('hex');
}

/**
 * Hashes an event with the hash of its predecessor: SHA-256 over the
 * canonical JSON of its position, id, time, action, outcome, request id,
 * details, personal digest and previous hash.
 */
export function eventHash(
  event: Omit<
    AuditEvent,
    'hash' | 'personalSalt' | 'pseudonymisedAt' | 'pseudonymSeal' | keyof PersonalFields
  >,
): string {
  const content = {
    seq: event._id,
    id: event.publicId,
    timestamp: event.timestamp.toISOString(),
    action: event.action,
    resource: event.resource,
    result: event.result,
    requestId: event.requestId,
    details: event.details,
    personalDigest: event.personalDigest,
    prevHash: event.prevHash,
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** The reason verification reports an event as breaking the chain. */
export type ChainBreak =
  | 'missing events before this one'
  | 'previous hash does not match'
  | 'content does not match its hash'
  | 'personal fields do not match their digest';

/**
 * Checks one event against the expected position and previous hash. Returns
 * why it breaks the chain, or undefined when it is intact.
 */
export function checkEvent(
  event: AuditEvent,
  expectedSeq: number,
  expectedPrevHash: string,
  sealHolds: (event: AuditEvent) => boolean,
): ChainBreak | undefined {
  try {
    return checkLinks(event, expectedSeq, expectedPrevHash, sealHolds);
  } catch {
    // A field of the wrong type, such as a timestamp stored as text, cannot be hashed.
    return 'content does not match its hash';
  }
}

function checkLinks(
  event: AuditEvent,
  expectedSeq: number,
  expectedPrevHash: string,
  sealHolds: (event: AuditEvent) => boolean,
): ChainBreak | undefined {
  if (event._id !== expectedSeq) {
    return 'missing events before this one';
  }
  if (event.prevHash !== expectedPrevHash) {
    return 'previous hash does not match';
  }
  if (eventHash(event) !== event.hash) {
    return 'content does not match its hash';
  }
  const personalHolds =
    event.personalSalt === null || event.personalSalt === undefined
      ? sealHolds(event)
      : personalDigest(event, event.personalSalt) === event.personalDigest;
  return personalHolds ? undefined : 'personal fields do not match their digest';
}
