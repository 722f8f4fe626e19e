import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  createTransport,
  type SendMailOptions,
  type StreamSentMessageInfo,
  type Transporter,
} from 'nodemailer';

/**
 * Writes each mail as an RFC 822 `.eml` file into one folder, for development and tests
 * without an SMTP server. The files contain the links and tokens of the mails, so only the
 * owner of the process may read them.
 */
export class MailOutbox {
  private readonly composer: Transporter<StreamSentMessageInfo>;

  constructor(
    readonly folder: string,
    from: string,
  ) {
    this.composer = createTransport(
      { streamTransport: true, buffer: true, newline: 'unix' },
      { from },
    );
  }

  /**
   * Writes the message under `fileName`. The content goes to a hidden temporary file first
   * and is renamed into place, so a reader of the folder never sees a partial mail.
   */
  async write(message: SendMailOptions, fileName: string): Promise<void> {
    const info = await this.composer.sendMail(message);
    if (!Buffer.isBuffer(info.message)) {
      throw new TypeError('the nodemailer stream transport returned a stream instead of a buffer');
    }

    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const temporaryPath = join(this.folder, `.${fileName}.tmp`);
    await writeFile(temporaryPath, info.message, { mode: 0o600 });
    await rename(temporaryPath, join(this.folder, fileName));
  }

  close(): void {
    this.composer.close();
  }
}

/**
 * Names an outbox file so that a plain sort lists mails in the order they were queued:
 * UTC time to the millisecond, then a per-process sequence number, then a unique id.
 */
export function outboxFileName(queuedAt: Date, sequence: number, id: string): string {
  const timestamp = queuedAt.toISOString().replace(/[-:]/g, '').replace('.', '-');
  return `${timestamp}-${String(sequence).padStart(6, '0')}-${id}.eml`;
}
