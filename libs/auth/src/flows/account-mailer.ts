import { Inject, Injectable } from '@nestjs/common';

import { APP_CONFIG, type AppConfig } from '@codexflow/core';
import {
  accountLocked,
  alreadyRegistered,
  buildLink,
  confirmEmailChange,
  emailChangeRequested,
  invitation,
  MailService,
  passwordChanged,
  passwordReset,
  verifyEmail,
} from '@codexflow/mail';

interface Rendered {
  subject: string;
  text: string;
  html: string;
}

/** The account mails of the auth flows. MailService queues them, so delivery never fails a request. */
@Injectable()
export class AccountMailer {
  constructor(
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  verifyEmail(to: string, token: string): void {
    this.send(to, 'verify-email', verifyEmail(this.link('/verify-email', token)));
  }

  confirmEmailChange(to: string, token: string): void {
    this.send(to, 'confirm-email-change', confirmEmailChange(this.link('/verify-email', token)));
  }

  emailChangeRequested(to: string): void {
    this.send(to, 'email-change-requested', emailChangeRequested());
  }

  alreadyRegistered(to: string): void {
    this.send(
      to,
      'already-registered',
      alreadyRegistered(`${this.config.appBaseUrl}/forgot-password`),
    );
  }

  passwordReset(to: string, token: string): void {
    this.send(to, 'reset-password', passwordReset(this.link('/reset-password', token)));
  }

  passwordChanged(to: string): void {
    this.send(to, 'password-changed', passwordChanged());
  }

  invitation(to: string, token: string, role: string): void {
    this.send(to, 'invitation', invitation(this.link('/accept-invite', token), role));
  }

  accountLocked(to: string, minutes: number): void {
    this.send(to, 'account-locked', accountLocked(minutes));
  }

  private link(path: string, token: string): string {
    return buildLink(this.config.appBaseUrl, path, token);
  }

  private send(to: string, template: string, rendered: Rendered): void {
    this.mail.send({ to, template, ...rendered });
  }
}
