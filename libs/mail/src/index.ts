export { MailModule } from './mail.module.js';
export { DEFAULT_MAIL_RETRY_OPTIONS, type MailRetryOptions } from './mail-retry.js';
export {
  accountLocked,
  alreadyRegistered,
  buildLink,
  confirmEmailChange,
  emailChangeRequested,
  escapeHtml,
  invitation,
  MAIL_LINK_PATHS,
  type MailContent,
  mfaCode,
  passwordChanged,
  passwordReset,
  recoveryCodeUsed,
  verifyEmail,
} from './mail-templates.js';
export { MailService, type OutgoingMail } from './mail.service.js';
export { type OutgoingSms, SmsService } from './sms.service.js';
