import type { AddressInfo } from 'node:net';

import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

import { MessageWaiter } from './message-waiter.js';

/** One message the sink accepted, parsed. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** Address of the From header, or the envelope sender when the header has none. */
  from: string;
  subject: string;
  text: string;
  html: string;
  /** Every http(s) URL in the plain text part, in order. */
  links: string[];
}

/**
 * Criteria for `waitForMail`: a recipient and a subject pattern, or any predicate. Mails
 * carry no template name, so match on the subject instead.
 */
export type MailMatch =
  | { to?: string; subject?: RegExp; template?: never }
  | ((mail: ReceivedMail) => boolean);

export interface SmtpSink {
  /** `smtp://127.0.0.1:PORT`, ready to use as SMTP_URL. */
  url: string;
  /** Every mail accepted so far, in arrival order. */
  mails: ReceivedMail[];
  /**
   * Resolves with the first mail, already received or still to come, that matches and that
   * no earlier call returned. Rejects after `timeoutMs` (default 10 s) with a message that
   * lists the mails that did arrive.
   */
  waitForMail(match: MailMatch, timeoutMs?: number): Promise<ReceivedMail>;
  /** Rejects the next `count` messages with a transient 451 reply, to exercise retries. */
  failNext(count: number): void;
  /** Stops listening and rejects every pending `waitForMail`. */
  close(): Promise<void>;
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"]+/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;
const DEFAULT_WAIT_TIMEOUT_MS = 10_000;

/**
 * Starts a real SMTP server on a free loopback port, with no authentication and no TLS,
 * that keeps every message it accepts. For tests only.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const received = new MessageWaiter<ReceivedMail>({
    noun: 'mail',
    counted: ['mail', 'mails'],
    describe: (mail) => `to ${mail.to.join(', ')}, subject "${mail.subject}"`,
  });
  let failuresLeft = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        rejectMessage(stream, callback);
        return;
      }
      simpleParser(stream).then(
        (parsed) => {
          received.add(toReceivedMail(parsed, session));
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  // Connection errors, such as a client that resets, are ignored so they cannot crash the test run.
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails: received.messages,

    async waitForMail(match, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS) {
      return received.waitFor(toPredicate(match), describeMatch(match), timeoutMs);
    },

    failNext(count) {
      failuresLeft = count;
    },

    async close() {
      received.rejectAll(
        (description) => `SMTP sink closed before a mail matching ${description} arrived`,
      );
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads the whole message, as SMTP requires before a reply, then rejects it with 451. */
function rejectMessage(stream: SMTPServerDataStream, callback: (error: Error) => void): void {
  stream.on('end', () => {
    const error = Object.assign(new Error('temporary failure injected by the SMTP sink'), {
      responseCode: 451,
    });
    callback(error);
  });
  stream.resume();
}

function toReceivedMail(parsed: ParsedMail, session: SMTPServerSession): ReceivedMail {
  const text = parsed.text ?? '';
  const envelopeFrom = session.envelope.mailFrom;
  return {
    to: session.envelope.rcptTo.map((recipient) => recipient.address),
    from: parsed.from?.value[0]?.address ?? (envelopeFrom ? envelopeFrom.address : ''),
    subject: parsed.subject ?? '',
    text,
    html: typeof parsed.html === 'string' ? parsed.html : '',
    links: (text.match(URL_IN_TEXT) ?? []).map((link) => link.replace(TRAILING_PUNCTUATION, '')),
  };
}

function toPredicate(match: MailMatch): (mail: ReceivedMail) => boolean {
  if (typeof match === 'function') {
    return match;
  }
  const { to, subject } = match;
  return (mail) =>
    (to === undefined || mail.to.some((address) => sameAddress(address, to))) &&
    (subject === undefined || subject.test(mail.subject));
}

function sameAddress(left: string, right: string): boolean {
  return left.toLowerCase() === right.toLowerCase();
}

function describeMatch(match: MailMatch): string {
  if (typeof match === 'function') {
    return 'the given predicate';
  }
  const parts = [
    match.to === undefined ? undefined : `to ${match.to}`,
    match.subject === undefined ? undefined : `subject ${String(match.subject)}`,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? `{ ${parts.join(', ')} }` : 'any mail';
}
