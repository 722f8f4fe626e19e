import { describe, expect, it } from '@jest/globals';

import {
  accountLocked,
  alreadyRegistered,
  buildLink,
  confirmEmailChange,
  emailChangeRequested,
  escapeHtml,
  invitation,
  MAIL_LINK_PATHS,
  type MailContent,
  passwordChanged,
  passwordReset,
  verifyEmail,
} from './mail-templates.js';

const BASE_URL = 'https://app.example.com';
const LINK = buildLink(BASE_URL, MAIL_LINK_PATHS.verifyEmail, 'tok_abc123');

describe(buildLink.name, () => {
  it.each([
    [MAIL_LINK_PATHS.verifyEmail, 'https://app.example.com/verify-email?token=t1'],
    [MAIL_LINK_PATHS.resetPassword, 'https://app.example.com/reset-password?token=t1'],
    [MAIL_LINK_PATHS.acceptInvite, 'https://app.example.com/accept-invite?token=t1'],
  ])('builds the %s link', (path, expected) => {
    expect(buildLink(BASE_URL, path, 't1')).toBe(expected);
  });

  it('drops a trailing slash of the base URL', () => {
    expect(buildLink('http://localhost:3000/', '/verify-email', 't1')).toBe(
      'http://localhost:3000/verify-email?token=t1',
    );
  });

  it('URL-encodes the token', () => {
    const link = buildLink(BASE_URL, '/reset-password', 'a+b/c=&d');

    expect(link).toBe('https://app.example.com/reset-password?token=a%2Bb%2Fc%3D%26d');
    expect(new URL(link).searchParams.get('token')).toBe('a+b/c=&d');
  });

  it('rejects a path without a leading slash', () => {
    expect(() => buildLink(BASE_URL, 'verify-email', 't1')).toThrow(/must start with "\/"/);
  });
});

describe(escapeHtml.name, () => {
  it('escapes markup and quote characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('mail templates', () => {
  const templates: Array<[string, MailContent, string | undefined]> = [
    ['verifyEmail', verifyEmail(LINK), LINK],
    ['alreadyRegistered', alreadyRegistered(LINK), LINK],
    ['passwordReset', passwordReset(LINK), LINK],
    ['invitation', invitation(LINK, 'member'), LINK],
    ['accountLocked', accountLocked(15), undefined],
    ['confirmEmailChange', confirmEmailChange(LINK), LINK],
    ['emailChangeRequested', emailChangeRequested(), undefined],
    ['passwordChanged', passwordChanged(), undefined],
  ];

  it.each(templates)('%s has a subject and both bodies', (_name, content) => {
    expect(content.subject).toMatch(/CodexFlow/);
    expect(content.text).toMatch(/CodexFlow/);
    expect(content.html).toMatch(/^<!DOCTYPE html>/);
  });

  it.each(templates.filter(([, , link]) => link !== undefined))(
    '%s carries its link in both bodies',
    (_name, content, link) => {
      expect(content.text).toContain(`\n${link}\n`);
      expect(content.html).toContain(`<a href="${link}">`);
    },
  );

  it('escapes the link in the html part', () => {
    const link = 'https://app.example.com/verify-email?token=a&b="><script>x</script>';

    const { html, text } = verifyEmail(link);

    expect(html).not.toContain('<script>');
    expect(html).toContain(
      '<a href="https://app.example.com/verify-email?token=a&amp;b=&quot;&gt;&lt;script&gt;x&lt;/script&gt;">',
    );
    expect(text).toContain(link);
  });

  it('escapes the role in the invitation', () => {
    const { html, text } = invitation(LINK, '<b>admin</b> & "owner"');

    expect(html).toContain('the role &lt;b&gt;admin&lt;/b&gt; &amp; &quot;owner&quot;.');
    expect(html).not.toContain('<b>');
    expect(text).toContain('the role <b>admin</b> & "owner".');
  });

  it('names the lock duration in minutes', () => {
    expect(accountLocked(15).text).toContain('locked for 15 minutes');
    expect(accountLocked(1).text).toContain('locked for 1 minute ');
  });

  it('tells the registered user how to sign in or reset', () => {
    const { text } = alreadyRegistered(LINK);

    expect(text).toMatch(/already exists/);
    expect(text).toMatch(/sign in with your password/);
    expect(text).toMatch(/reset it/);
  });
});
