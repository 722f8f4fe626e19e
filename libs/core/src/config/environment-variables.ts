import 'reflect-metadata';

import { Expose, Transform } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateBy,
} from 'class-validator';

import type { LogLevel, NodeEnvironment } from './app-config.js';

/** Variables that may come from a file named by `NAME_FILE`. */
export const SECRET_VARIABLES = [
  'MONGODB_URI',
  'REDIS_URL',
  'JWT_PRIVATE_KEYS',
  'ENCRYPTION_KEYS',
  'SMTP_URL',
  'SMS_WEBHOOK_URL',
  'ALERT_WEBHOOK_URL',
  'BOOTSTRAP_ADMIN_EMAIL',
  'BOOTSTRAP_ADMIN_PASSWORD',
] as const;

/** Converts decimal digits only, so `0x10`, `1e3` or ` 80` stay strings and fail validation. */
const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false };

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value === 'string' && value in BOOLEAN_WORDS) {
    return BOOLEAN_WORDS[value];
  }
  return value;
};

const PORT_MESSAGE = (name: string) => `${name} must be an integer between 0 and 65535`;
const BODY_LIMIT_MESSAGE = 'JSON_BODY_LIMIT must be an integer between 1024 and 104857600 (bytes)';
const ATTACHMENT_LIMIT_MESSAGE =
  'ATTACHMENT_SIZE_LIMIT must be an integer between 1024 and 104857600 (bytes)';
const AUDIT_RETENTION_MESSAGE = 'AUDIT_RETENTION_DAYS must be an integer between 1 and 3650';
const OUTBOX_RETENTION_MESSAGE = 'OUTBOX_RETENTION_DAYS must be an integer between 1 and 365';
const SHUTDOWN_DELAY_MESSAGE = 'SHUTDOWN_DELAY_SECONDS must be an integer between 0 and 60';
const SHUTDOWN_TIMEOUT_MESSAGE = 'SHUTDOWN_TIMEOUT_SECONDS must be an integer between 1 and 300';

const ERASURE_GRACE_MESSAGE = 'ERASURE_GRACE_DAYS must be an integer between 0 and 30';

const REUSE_GRACE_MESSAGE = 'REFRESH_REUSE_GRACE_SECONDS must be an integer between 0 and 10';
const LOCK_THRESHOLD_MESSAGE = 'LOGIN_LOCK_THRESHOLD must be an integer between 1 and 100';

const SERVICE_URL = { require_tld: false, require_protocol: true };

const REDIS_URL_MESSAGE =
  'REDIS_URL must be a redis:// or rediss:// URL with a valid port, percent-encoded credentials ' +
  'and at most a database number as its path or db parameter, such as redis://:password@redis:6379/0';

const DATABASE_NUMBER = /^\d{1,5}$/;

/**
 * Accepts what ioredis can connect with: a well-formed URL whose credentials decode and whose
 * database (path or `db` parameter) is a number when given. ioredis would throw on the first
 * two at start-up with messages that do not name the variable, and carries on in database 0
 * when SELECT fails.
 */
function isRedisUrl(value: unknown): boolean {
  if (typeof value !== 'string' || !/^rediss?:\/\/\S+$/.test(value)) {
    return false;
  }
  try {
    const url = new URL(value);
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    return (
      url.hostname !== '' &&
      /^(\/\d{1,5})?\/?$/.test(url.pathname) &&
      url.searchParams.getAll('db').every((database) => DATABASE_NUMBER.test(database))
    );
  } catch {
    return false;
  }
}

/** Declares an optional integer variable between `min` and `max`, with one message for any failure. */
function OptionalIntegerBetween(name: string, min: number, max: number): PropertyDecorator {
  const message = `${name} must be an integer between ${min} and ${max}`;
  const decorators = [
    Expose(),
    IsOptional(),
    Transform(toInteger),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  ];
  return (target, propertyKey) => {
    for (const decorate of decorators) {
      decorate(target, propertyKey);
    }
  };
}

const MAX_ALERT_THRESHOLD = 1_000_000;
const MAX_ALERT_WINDOW_SECONDS = 86_400;
const MAX_IP_BLOCK_SECONDS = 604_800;
const MAX_RATE_LIMIT = 100_000_000;
const MAX_RATE_WINDOW_SECONDS = 604_800;

/** The environment as read at start; each property is validated before use. */
export class EnvironmentVariables {
  @Expose()
  @IsOptional()
  @IsIn(['development', 'test', 'production'], {
    message: 'NODE_ENV must be one of development, test, production',
  })
  NODE_ENV?: NodeEnvironment;

  @Expose()
  @IsOptional()
  @IsString()
  HOST?: string;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: PORT_MESSAGE('PORT') })
  @Min(0, { message: PORT_MESSAGE('PORT') })
  @Max(65535, { message: PORT_MESSAGE('PORT') })
  PORT?: number;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: PORT_MESSAGE('METRICS_PORT') })
  @Min(0, { message: PORT_MESSAGE('METRICS_PORT') })
  @Max(65535, { message: PORT_MESSAGE('METRICS_PORT') })
  METRICS_PORT?: number;

  @Expose()
  @IsOptional()
  @IsString()
  DATA_DIR?: string;

  @Expose()
  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\/\S+$/, {
    message: 'MONGODB_URI must be a mongodb:// or mongodb+srv:// connection string',
  })
  MONGODB_URI?: string;

  @Expose()
  @IsOptional()
  @ValidateBy(
    { name: 'isRedisUrl', validator: { validate: isRedisUrl } },
    { message: REDIS_URL_MESSAGE },
  )
  REDIS_URL?: string;

  @Expose()
  @IsOptional()
  @IsUrl(
    { ...SERVICE_URL, protocols: ['http', 'https'] },
    { message: 'APP_BASE_URL must be an http or https URL' },
  )
  APP_BASE_URL?: string;

  @Expose()
  @IsOptional()
  @IsString()
  JWT_PRIVATE_KEYS?: string;

  @Expose()
  @IsOptional()
  @IsString()
  JWT_ISSUER?: string;

  @Expose()
  @IsOptional()
  @IsString()
  JWT_AUDIENCE?: string;

  @Expose()
  @IsOptional()
  @IsString()
  ACCESS_TOKEN_TTL?: string;

  @Expose()
  @IsOptional()
  @IsString()
  REFRESH_IDLE_TTL?: string;

  @Expose()
  @IsOptional()
  @IsString()
  REFRESH_ABSOLUTE_TTL?: string;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: REUSE_GRACE_MESSAGE })
  @Min(0, { message: REUSE_GRACE_MESSAGE })
  @Max(10, { message: REUSE_GRACE_MESSAGE })
  REFRESH_REUSE_GRACE_SECONDS?: number;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: LOCK_THRESHOLD_MESSAGE })
  @Min(1, { message: LOCK_THRESHOLD_MESSAGE })
  @Max(100, { message: LOCK_THRESHOLD_MESSAGE })
  LOGIN_LOCK_THRESHOLD?: number;

  @Expose()
  @IsOptional()
  @IsString()
  LOGIN_LOCK_WINDOW?: string;

  @Expose()
  @IsOptional()
  @IsString()
  LOGIN_LOCK_MAX?: string;

  @Expose()
  @IsOptional()
  @IsString()
  ENCRYPTION_KEYS?: string;

  @Expose()
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @Expose()
  @IsOptional()
  @IsString()
  MAIL_FROM?: string;

  @Expose()
  @IsOptional()
  @IsUrl(
    { ...SERVICE_URL, protocols: ['http', 'https'] },
    { message: 'SMS_WEBHOOK_URL must be an http or https URL' },
  )
  SMS_WEBHOOK_URL?: string;

  @Expose()
  @IsOptional()
  @IsUrl(
    { ...SERVICE_URL, protocols: ['http', 'https'] },
    { message: 'ALERT_WEBHOOK_URL must be an http or https URL' },
  )
  ALERT_WEBHOOK_URL?: string;

  @OptionalIntegerBetween('ALERT_FAILED_LOGINS_PER_HOUR', 1, MAX_ALERT_THRESHOLD)
  ALERT_FAILED_LOGINS_PER_HOUR?: number;

  @OptionalIntegerBetween('ALERT_UNAUTHORIZED_PER_IP', 1, MAX_ALERT_THRESHOLD)
  ALERT_UNAUTHORIZED_PER_IP?: number;

  @OptionalIntegerBetween('ALERT_UNAUTHORIZED_WINDOW_SECONDS', 1, MAX_ALERT_WINDOW_SECONDS)
  ALERT_UNAUTHORIZED_WINDOW_SECONDS?: number;

  @OptionalIntegerBetween('IP_BLOCK_SECONDS', 1, MAX_IP_BLOCK_SECONDS)
  IP_BLOCK_SECONDS?: number;

  @OptionalIntegerBetween('ALERT_EXPORTS_PER_HOUR', 1, MAX_ALERT_THRESHOLD)
  ALERT_EXPORTS_PER_HOUR?: number;

  @OptionalIntegerBetween('ALERT_SERVER_ERRORS', 1, MAX_ALERT_THRESHOLD)
  ALERT_SERVER_ERRORS?: number;

  @OptionalIntegerBetween('ALERT_SERVER_ERRORS_WINDOW_SECONDS', 1, MAX_ALERT_WINDOW_SECONDS)
  ALERT_SERVER_ERRORS_WINDOW_SECONDS?: number;

  @OptionalIntegerBetween('RATE_LIMIT_IP_MAX', 1, MAX_RATE_LIMIT)
  RATE_LIMIT_IP_MAX?: number;

  @OptionalIntegerBetween('RATE_LIMIT_IP_WINDOW_SECONDS', 1, MAX_RATE_WINDOW_SECONDS)
  RATE_LIMIT_IP_WINDOW_SECONDS?: number;

  @OptionalIntegerBetween('RATE_LIMIT_USER_MAX', 1, MAX_RATE_LIMIT)
  RATE_LIMIT_USER_MAX?: number;

  @OptionalIntegerBetween('RATE_LIMIT_USER_WINDOW_SECONDS', 1, MAX_RATE_WINDOW_SECONDS)
  RATE_LIMIT_USER_WINDOW_SECONDS?: number;

  @OptionalIntegerBetween('RATE_LIMIT_AUTH_MAX', 1, MAX_RATE_LIMIT)
  RATE_LIMIT_AUTH_MAX?: number;

  @OptionalIntegerBetween('RATE_LIMIT_AUTH_WINDOW_SECONDS', 1, MAX_RATE_WINDOW_SECONDS)
  RATE_LIMIT_AUTH_WINDOW_SECONDS?: number;

  @Expose()
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @Expose()
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @Expose()
  @IsOptional()
  @IsEmail({}, { message: 'BOOTSTRAP_ADMIN_EMAIL must be an e-mail address' })
  BOOTSTRAP_ADMIN_EMAIL?: string;

  @Expose()
  @IsOptional()
  @IsString()
  BOOTSTRAP_ADMIN_PASSWORD?: string;

  @Expose()
  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
  })
  LOG_LEVEL?: LogLevel;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: BODY_LIMIT_MESSAGE })
  @Min(1024, { message: BODY_LIMIT_MESSAGE })
  @Max(100 * 1024 * 1024, { message: BODY_LIMIT_MESSAGE })
  JSON_BODY_LIMIT?: number;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: ATTACHMENT_LIMIT_MESSAGE })
  @Min(1024, { message: ATTACHMENT_LIMIT_MESSAGE })
  @Max(100 * 1024 * 1024, { message: ATTACHMENT_LIMIT_MESSAGE })
  ATTACHMENT_SIZE_LIMIT?: number;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: AUDIT_RETENTION_MESSAGE })
  @Min(1, { message: AUDIT_RETENTION_MESSAGE })
  @Max(3650, { message: AUDIT_RETENTION_MESSAGE })
  AUDIT_RETENTION_DAYS?: number;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: OUTBOX_RETENTION_MESSAGE })
  @Min(1, { message: OUTBOX_RETENTION_MESSAGE })
  @Max(365, { message: OUTBOX_RETENTION_MESSAGE })
  OUTBOX_RETENTION_DAYS?: number;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: SHUTDOWN_TIMEOUT_MESSAGE })
  @Min(1, { message: SHUTDOWN_TIMEOUT_MESSAGE })
  @Max(300, { message: SHUTDOWN_TIMEOUT_MESSAGE })
  SHUTDOWN_TIMEOUT_SECONDS?: number;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: SHUTDOWN_DELAY_MESSAGE })
  @Min(0, { message: SHUTDOWN_DELAY_MESSAGE })
  @Max(60, { message: SHUTDOWN_DELAY_MESSAGE })
  SHUTDOWN_DELAY_SECONDS?: number;

  @Expose()
  @IsOptional()
  @Transform(toBoolean)
  @IsIn([true, false], { message: 'DOCS_ENABLED must be true or false' })
  DOCS_ENABLED?: boolean;

  @Expose()
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: ERASURE_GRACE_MESSAGE })
  @Min(0, { message: ERASURE_GRACE_MESSAGE })
  @Max(30, { message: ERASURE_GRACE_MESSAGE })
  ERASURE_GRACE_DAYS?: number;

  @Expose()
  @IsOptional()
  @Matches(/^(mailto:|https:\/\/)\S+$/, {
    message: 'SECURITY_CONTACT must be a mailto: or https:// URI',
  })
  SECURITY_CONTACT?: string;
}
