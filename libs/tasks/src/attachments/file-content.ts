import { fileTypeFromBuffer } from 'file-type';

import { isWellFormedText } from '@codexflow/core';

/** Bytes read before deciding a file's type; enough for every allowed format. */
export const TYPE_SAMPLE_BYTES = 4100;

const MAX_NAME_BYTES = 255;

/** The types an attachment may have, with the extensions that fit each. */
const ALLOWED_TYPES: Record<string, readonly string[]> = {
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg', 'jpe'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'application/pdf': ['pdf'],
};

export const ALLOWED_CONTENT_TYPES = Object.keys(ALLOWED_TYPES);

export interface DetectedType {
  mime: string;
  ext: string;
}

/** Decides the type from the first bytes of the content; undefined when it is not allowed. */
export async function detectAllowedType(head: Buffer): Promise<DetectedType | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (detected === undefined || !(detected.mime in ALLOWED_TYPES)) {
    return undefined;
  }
  return { mime: detected.mime, ext: detected.ext };
}

// Control characters, and the bidirectional overrides that can make "gnp.exe" read as "exe.png".
const UNSAFE_CHARACTERS = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
// Names Windows reserves for devices, whatever the extension; prefixed so the name saves anywhere.
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i;
// Characters that Windows refuses in file names; replaced so the name saves anywhere.
const RESERVED_CHARACTERS = /[<>:"|?*]/g;

/**
 * Returns the name to store for a client's file name, or a reason to refuse it.
 * Paths, control characters and names over 255 bytes are refused rather than
 * silently rewritten, so the client learns why.
 */
export function vetFileName(raw: string): { name: string } | { problem: string } {
  // Windows drops trailing dots and spaces, so "a.png." would save as "a.png" anyway.
  const name = raw
    .normalize('NFC')
    .trim()
    .replace(/[. ]+$/, '');
  if (name === '' || name === '.' || name === '..') {
    return { problem: 'The file needs a name' };
  }
  if (name.includes('/') || name.includes('\\')) {
    return { problem: 'The file name must not contain a path' };
  }
  if (UNSAFE_CHARACTERS.test(name)) {
    return { problem: 'The file name must not contain control characters' };
  }
  // Storing would turn a lone surrogate into U+FFFD, so the stored name would differ from the reply.
  if (!isWellFormedText(name)) {
    return { problem: 'The file name is not well-formed Unicode text' };
  }
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    return { problem: `The file name must be at most ${MAX_NAME_BYTES} bytes` };
  }
  const safe = name.replace(RESERVED_CHARACTERS, '_');
  return { name: WINDOWS_DEVICE.test(safe) ? `_${safe}` : safe };
}

/**
 * Makes the name end in an extension of the detected type, so a saved
 * download opens as what it is: "cat.html" holding PNG bytes becomes
 * "cat.html.png". The base is shortened if the result would pass 255 bytes.
 */
export function withTypeExtension(name: string, type: DetectedType): string {
  const dot = name.lastIndexOf('.');
  const current = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (ALLOWED_TYPES[type.mime]?.includes(current)) {
    return name;
  }
  const suffix = `.${type.ext}`;
  let base = name;
  while (Buffer.byteLength(base + suffix) > MAX_NAME_BYTES) {
    base = Array.from(base).slice(0, -1).join('');
  }
  return base + suffix;
}
