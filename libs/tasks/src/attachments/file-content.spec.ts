import { describe, expect, it } from '@jest/globals';

import { detectAllowedType, vetFileName, withTypeExtension } from './file-content.js';

describe('detectAllowedType', () => {
  it('recognises a PNG image', async () => {
    const pixel = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
      'base64',
    );

    expect((await detectAllowedType(pixel))?.mime).toBe('image/png');
  });

  it.each([
    ['JPEG', [0xff, 0xd8, 0xff, 0xdb], 'image/jpeg'],
    ['PDF', [...Buffer.from('%PDF-1.4\n')], 'application/pdf'],
  ])('recognises %s by its magic bytes', async (_name, bytes, mime) => {
    const head = Buffer.concat([Buffer.from(bytes), Buffer.alloc(64)]);

    expect((await detectAllowedType(head))?.mime).toBe(mime);
  });

  it.each([
    ['HTML', '<html><script>alert(1)</script></html>'],
    ['SVG', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['plain text', 'just words'],
  ])('refuses %s', async (_name, text) => {
    expect(await detectAllowedType(Buffer.from(text))).toBeUndefined();
  });

  it('refuses a detected type outside the allowed list', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60)]);

    expect(await detectAllowedType(zip)).toBeUndefined();
  });
});

describe('vetFileName', () => {
  it('keeps an ordinary name and normalises it to NFC', () => {
    expect(vetFileName('  cafe\u0301 menu.pdf ')).toEqual({ name: 'café menu.pdf' });
  });

  it.each([
    ['CON.png', '_CON.png'],
    ['nul', '_nul'],
    ['com1.pdf', '_com1.pdf'],
    ['console.png', 'console.png'],
    ['a.png.', 'a.png'],
  ])('makes %s safe as %s', (given, expected) => {
    expect(vetFileName(given)).toEqual({ name: expected });
  });

  it('replaces the characters Windows refuses', () => {
    expect(vetFileName('a<b>:c"d|e?f*.png')).toEqual({ name: 'a_b__c_d_e_f_.png' });
  });

  it.each([
    ['a Unix path', '../../etc/passwd'],
    ['a Windows path', 'C:\\Users\\me\\a.png'],
    ['an empty name', '   '],
    ['a dot-dot name', '..'],
    ['a NUL byte', 'a\u0000.png'],
    ['a C1 control', 'a\u0085.png'],
    ['a bidirectional override', 'invoice\u202egnp.exe'],
    ['a name over 255 bytes', `${'ü'.repeat(126)}.png`],
    ['a lone surrogate', '\ud800a.png'],
  ])('refuses %s', (_case, name) => {
    expect(vetFileName(name)).toHaveProperty('problem');
  });

  it('accepts a name of exactly 255 bytes', () => {
    expect(vetFileName(`${'a'.repeat(251)}.png`)).toHaveProperty('name');
  });
});

describe('withTypeExtension', () => {
  const png = { mime: 'image/png', ext: 'png' };

  it('keeps an extension that fits the type, in any case', () => {
    expect(withTypeExtension('Shot.PNG', png)).toBe('Shot.PNG');
    expect(withTypeExtension('photo.jpeg', { mime: 'image/jpeg', ext: 'jpg' })).toBe('photo.jpeg');
  });

  it('appends the type’s extension to a name without a fitting one', () => {
    expect(withTypeExtension('cat.html', png)).toBe('cat.html.png');
    expect(withTypeExtension('.png-less', png)).toBe('.png-less.png');
  });

  it('shortens the base so the result stays within 255 bytes', () => {
    const result = withTypeExtension(`${'é'.repeat(127)}`, png);

    expect(Buffer.byteLength(result)).toBeLessThanOrEqual(255);
    expect(result.endsWith('.png')).toBe(true);
  });
});
