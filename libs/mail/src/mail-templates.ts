/** Subject and bodies of one mail, ready to pass to MailService.send with a recipient. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** Paths of the web app pages that mail links open. */
export const MAIL_LINK_PATHS = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
  acceptInvite: '/accept-invite',
} as const;

/**
 * Builds the link a mail carries, such as `https://app.example.com/verify-email?token=…`.
 * The token is URL-encoded, and a trailing slash of `appBaseUrl` is dropped.
 */
export function buildLink(appBaseUrl: string, path: string, token: string): string {
  if (!path.startsWith('/')) {
    throw new Error(`mail link path must start with "/", got "${path}"`);
  }
  const base = appBaseUrl.replace(/\/+$/, '');
  return `${base}${path}?token=${encodeURIComponent(token)}`;
}

/** A paragraph of plain text, or a link shown on its own line. */
type Block = string | { link: string };

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes the characters that are markup in HTML text and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/** Renders the same blocks as plain text and as HTML, so the two parts never disagree. */
function compose(subject: string, blocks: Block[]): MailContent {
  const text = blocks.map((block) => (typeof block === 'string' ? block : block.link)).join('\n\n');

  const paragraphs = blocks.map((block) => {
    if (typeof block === 'string') {
      return `<p>${escapeHtml(block)}</p>`;
    }
    const link = escapeHtml(block.link);
    return `<p><a href="${link}">${link}</a></p>`;
  });
  const html = `<!DOCTYPE html>\n<html><body>\n${paragraphs.join('\n')}\n</body></html>\n`;

  return { subject, text: `${text}\n`, html };
}

export function verifyEmail(link: string): MailContent {
  return compose('Confirm your email address for CodexFlow', [
    'Welcome to CodexFlow. To finish creating your account, confirm your email address by opening this link:',
    { link },
    'If you did not create a CodexFlow account, you can ignore this email.',
  ]);
}

/** Sent instead of a verification mail when someone registers with an address already in use. */
export function alreadyRegistered(resetLink: string): MailContent {
  return compose('Sign-up attempt with your CodexFlow email address', [
    'Someone tried to create a CodexFlow account with this email address, but an account with this address already exists.',
    'If that was you, sign in with your password. If you have forgotten it, reset it with this link:',
    { link: resetLink },
    'If it was not you, you can ignore this email. Your account has not changed.',
  ]);
}

export function passwordReset(link: string): MailContent {
  return compose('Reset your CodexFlow password', [
    'We received a request to reset the password of your CodexFlow account. Choose a new password by opening this link:',
    { link },
    'If you did not request this, you can ignore this email. Your password stays the same.',
  ]);
}

export function invitation(link: string, role: string): MailContent {
  return compose('You are invited to CodexFlow', [
    `You have been invited to join CodexFlow with the role ${role}. Accept the invitation by opening this link:`,
    { link },
    'If you did not expect this invitation, you can ignore this email.',
  ]);
}

export function accountLocked(minutes: number): MailContent {
  const duration = minutes === 1 ? '1 minute' : `${minutes} minutes`;
  return compose('Your CodexFlow account is temporarily locked', [
    `Your CodexFlow account was locked for ${duration} after too many failed sign-in attempts. You can sign in again when the lock ends.`,
    'If these attempts were not yours, someone may be trying to guess your password. Change your password after you sign in again.',
  ]);
}

/** Sent to the new address of an email change, to prove the user controls it. */
export function confirmEmailChange(link: string): MailContent {
  return compose('Confirm your new CodexFlow email address', [
    'A request was made to change the email address of a CodexFlow account to this address. Confirm the change by opening this link:',
    { link },
    'If you did not request this, you can ignore this email and the address will not change.',
  ]);
}

/** Sent to the old address of an email change, so the owner notices a change they did not make. */
export function emailChangeRequested(): MailContent {
  return compose('Your CodexFlow email address is being changed', [
    'A request was made to change the email address of your CodexFlow account. The change takes effect once it is confirmed from the new address.',
    'If you did not request this, change your password now and contact your CodexFlow administrator.',
  ]);
}

export function passwordChanged(): MailContent {
  return compose('Your CodexFlow password was changed', [
    'The password of your CodexFlow account was changed. If you made this change, no action is needed.',
    'If you did not, reset your password now and contact your CodexFlow administrator.',
  ]);
}

const MFA_CODE_PURPOSES: Record<string, string> = {
  enroll: 'confirm this address as a sign-in factor',
  login: 'finish signing in',
  'step-up': 'confirm a sensitive change to your account',
};

/** Composes the mail of a 6-digit MFA code, for the purpose `enroll`, `login` or `step-up`. */
export function mfaCode(code: string, purpose: string, minutes: number): MailContent {
  const action = MFA_CODE_PURPOSES[purpose] ?? 'confirm your identity';
  return compose(`Your CodexFlow code: ${code}`, [
    `Use the code ${code} to ${action}. It is valid for ${minutes} minutes and works once.`,
    'If you did not request it, someone may know your password: change it.',
  ]);
}

export function recoveryCodeUsed(remaining: number): MailContent {
  return compose('A CodexFlow recovery code was used', [
    `A recovery code was used to sign in to your CodexFlow account. ${remaining} unused recovery codes remain.`,
    'If this was not you, change your password and review your sessions at once.',
  ]);
}
