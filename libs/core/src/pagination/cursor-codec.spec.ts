import { describe, expect, it } from '@jest/globals';

import { SecretKeyRing } from '../security/secret-key-ring.js';
import { CursorCodec } from './cursor-codec.js';

const codec = new CursorCodec(SecretKeyRing.parse(`k1:${Buffer.alloc(32, 7).toString('base64')}`));

describe(CursorCodec.name, () => {
  it('round-trips a position', () => {
    expect(codec.decode(codec.encode({ after: 'usr_1', list: 'users' }))).toEqual({
      after: 'usr_1',
      list: 'users',
    });
  });

  it('rejects a changed payload', () => {
    const [payload, signature] = codec.encode({ after: 'usr_1' }).split('.');
    const forged = `${Buffer.from('{"after":"usr_2"}').toString('base64url')}.${signature}`;

    expect(payload).not.toBe(forged.split('.')[0]);
    expect(() => codec.decode(forged)).toThrow('cursor is invalid');
  });

  it('rejects a cursor of another list', () => {
    const cursor = codec.encode({ after: 'prj_1', list: 'projects' });

    expect(() => codec.decodeFor(cursor, 'users')).toThrow('cursor was issued for another list');
  });

  it('rejects an after id that is not text', () => {
    expect(() => codec.decodeAfter(codec.encode({ after: 5, list: 'users' }), 'users')).toThrow(
      'cursor is invalid',
    );
  });

  it('pages rows fetched with one extra', () => {
    const full = codec.page([1, 2, 3], 2, (last) => ({ after: String(last) }));
    const lastPage = codec.page([1, 2], 2, (last) => ({ after: String(last) }));

    expect(full.data).toEqual([1, 2]);
    expect(codec.decode(full.nextCursor!)).toEqual({ after: '2' });
    expect(lastPage).toEqual({ data: [1, 2], nextCursor: null });
  });
});
