import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';

import { plainToInstance } from 'class-transformer';
import { type ValidationError, validateSync } from 'class-validator';

import { EnvironmentVariables, SECRET_VARIABLES } from './environment-variables.js';

export type NodeEnvironment = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Validated configuration of one service process, built once at start. */
export interface AppConfig {
  nodeEnv: NodeEnvironment;
  isProduction: boolean;
  http: {
    host: string;
    port: number;
    jsonBodyLimitBytes: number;
    /** Largest file a multipart upload may carry. */
    attachmentLimitBytes: number;
    corsOrigins: string[];
    trustProxy: boolean | number | string[];
    shutdownTimeoutMs: number;
    /** Time between SIGTERM (readiness turns 503) and closing the listener, for the load balancer. */
    shutdownDelayMs: number;
  };
  metricsPort: number;
  dataDir: string;
  mongodbUri?: string;
  redisUrl?: string;
  appBaseUrl: string;
  jwt: {
    privateKeys?: string;
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
  };
  sessions: {
    /** A refresh token unused for this long expires. */
    refreshIdleSeconds: number;
    /** A session ends this long after its login, however often it is refreshed. */
    refreshAbsoluteSeconds: number;
    /** A rotated refresh token presented again within this time is not treated as reuse. */
    reuseGraceSeconds: number;
  };
  lockout: {
    threshold: number;
    windowSeconds: number;
    maxLockSeconds: number;
  };
  encryptionKeys?: string;
  mail: { smtpUrl?: string; from: string };
  smsWebhookUrl?: string;
  alertWebhookUrl?: string;
  /** Requests allowed per window: per client address, per signed-in user, and on credential routes. */
  rateLimits: {
    ip: RateLimitRule;
    user: RateLimitRule;
    /** Per address and per account, on each credential route (login, register, refresh...). */
    auth: RateLimitRule;
  };
  /** Security detectors, each alerting when one key's count within its window exceeds its threshold. */
  alerts: {
    /** Failed logins per account. */
    failedLogins: AlertRule;
    /** Responses of 401 per client address; crossing it blocks the address. */
    unauthorizedResponses: AlertRule;
    /** Personal-data exports per user. */
    dataExports: AlertRule;
    /** Responses of 500 or above other than 503, over all clients. */
    serverErrors: AlertRule;
    /** How long a blocked address stays blocked. */
    ipBlockSeconds: number;
  };
  bootstrapAdmin?: { email: string; password: string };
  logLevel: LogLevel;
  /** The stream that receives log lines. The jobs use stderr, so stdout carries only their result. */
  logDestination: 'stdout' | 'stderr';
  docsEnabled: boolean;
  /** Days between an erasure request and the purge of the account; at most 30. */
  erasureGraceDays: number;
  /** Days an audit event is kept before retention removes it. */
  auditRetentionDays: number;
  /** Days a file stays in the local mail outbox. */
  outboxRetentionDays: number;
  securityContact: string;
}

/** A detector's limit: more than `threshold` hits within `windowSeconds` raise an alert. */
export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}

export interface AlertRule {
  threshold: number;
  windowSeconds: number;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

const MAX_ACCESS_TOKEN_TTL_SECONDS = 3600;

/**
 * Builds the configuration from environment variables. Every problem found is
 * collected, so one failed start lists all of them in a ConfigValidationError.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): AppConfig {
  const problems: string[] = [];
  const raw = resolveFileVariables(env, problems);
  const variables = plainToInstance(EnvironmentVariables, raw, { excludeExtraneousValues: true });
  problems.push(...validateSync(variables).flatMap(describeValidationError));

  const nodeEnv = variables.NODE_ENV ?? 'development';
  const isProduction = nodeEnv === 'production';
  if (isProduction && !variables.MONGODB_URI) {
    problems.push(
      'MONGODB_URI is required when NODE_ENV=production; the embedded database is for development and tests only',
    );
  }
  if (isProduction && !variables.JWT_PRIVATE_KEYS) {
    problems.push(
      'JWT_PRIVATE_KEYS is required when NODE_ENV=production (PEM private keys, newest first)',
    );
  }
  if (isProduction && !variables.ENCRYPTION_KEYS) {
    problems.push('ENCRYPTION_KEYS is required when NODE_ENV=production (id:base64key entries)');
  }

  const accessTokenTtlSeconds = parseDurationSeconds(variables.ACCESS_TOKEN_TTL ?? '15m');
  if (accessTokenTtlSeconds === undefined) {
    problems.push('ACCESS_TOKEN_TTL must be a duration such as 900, 900s, 15m or 1h');
  } else if (accessTokenTtlSeconds < 1 || accessTokenTtlSeconds > MAX_ACCESS_TOKEN_TTL_SECONDS) {
    problems.push('ACCESS_TOKEN_TTL must be between 1 second and 1 hour');
  }

  const durations = {
    refreshIdle: durationOrProblem(
      'REFRESH_IDLE_TTL',
      variables.REFRESH_IDLE_TTL ?? '7d',
      problems,
    ),
    refreshAbsolute: durationOrProblem(
      'REFRESH_ABSOLUTE_TTL',
      variables.REFRESH_ABSOLUTE_TTL ?? '30d',
      problems,
    ),
    lockWindow: durationOrProblem(
      'LOGIN_LOCK_WINDOW',
      variables.LOGIN_LOCK_WINDOW ?? '15m',
      problems,
    ),
    lockMax: durationOrProblem('LOGIN_LOCK_MAX', variables.LOGIN_LOCK_MAX ?? '15m', problems),
  };
  if (durations.refreshIdle > durations.refreshAbsolute) {
    problems.push('REFRESH_IDLE_TTL must not be longer than REFRESH_ABSOLUTE_TTL');
  }

  const corsOrigins = splitList(variables.CORS_ORIGINS);
  for (const origin of corsOrigins.filter((candidate) => !isOrigin(candidate))) {
    problems.push(
      `CORS_ORIGINS entry "${origin}" must be an origin such as https://app.example.com (scheme, host and optional port, no path)`,
    );
  }

  const trustProxy = parseTrustProxy(variables.TRUST_PROXY);
  if (trustProxy === undefined) {
    problems.push(
      'TRUST_PROXY must be a hop count, "loopback", "linklocal", "uniquelocal", or a comma-separated list of IP addresses or CIDR ranges',
    );
  }

  if (variables.BOOTSTRAP_ADMIN_EMAIL && !variables.BOOTSTRAP_ADMIN_PASSWORD) {
    problems.push('BOOTSTRAP_ADMIN_PASSWORD is required when BOOTSTRAP_ADMIN_EMAIL is set');
  }
  if (variables.BOOTSTRAP_ADMIN_PASSWORD && !variables.BOOTSTRAP_ADMIN_EMAIL) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL is required when BOOTSTRAP_ADMIN_PASSWORD is set');
  }

  if (problems.length > 0) {
    throw new ConfigValidationError([...new Set(problems)]);
  }

  const appBaseUrl = (variables.APP_BASE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  const dataDir = variables.DATA_DIR ?? '.data';

  return {
    nodeEnv,
    isProduction,
    http: {
      host: variables.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
      port: variables.PORT ?? 3000,
      jsonBodyLimitBytes: variables.JSON_BODY_LIMIT ?? 1024 * 1024,
      attachmentLimitBytes: variables.ATTACHMENT_SIZE_LIMIT ?? 10 * 1024 * 1024,
      corsOrigins,
      trustProxy: trustProxy ?? false,
      shutdownTimeoutMs: (variables.SHUTDOWN_TIMEOUT_SECONDS ?? 10) * 1000,
      shutdownDelayMs: (variables.SHUTDOWN_DELAY_SECONDS ?? 0) * 1000,
    },
    metricsPort: variables.METRICS_PORT ?? 9464,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    mongodbUri: variables.MONGODB_URI,
    redisUrl: variables.REDIS_URL,
    appBaseUrl,
    jwt: {
      privateKeys: variables.JWT_PRIVATE_KEYS,
      issuer: variables.JWT_ISSUER ?? appBaseUrl,
      audience: variables.JWT_AUDIENCE ?? 'codexflow-api',
      accessTokenTtlSeconds: accessTokenTtlSeconds ?? 900,
    },
    sessions: {
      refreshIdleSeconds: durations.refreshIdle,
      refreshAbsoluteSeconds: durations.refreshAbsolute,
      reuseGraceSeconds: variables.REFRESH_REUSE_GRACE_SECONDS ?? 5,
    },
    lockout: {
      threshold: variables.LOGIN_LOCK_THRESHOLD ?? 5,
      windowSeconds: durations.lockWindow,
      maxLockSeconds: durations.lockMax,
    },
    encryptionKeys: variables.ENCRYPTION_KEYS,
    mail: {
      smtpUrl: variables.SMTP_URL,
      from: variables.MAIL_FROM ?? `CodexFlow <no-reply@${new URL(appBaseUrl).hostname}>`,
    },
    smsWebhookUrl: variables.SMS_WEBHOOK_URL,
    alertWebhookUrl: variables.ALERT_WEBHOOK_URL,
    alerts: {
      failedLogins: { threshold: variables.ALERT_FAILED_LOGINS_PER_HOUR ?? 5, windowSeconds: 3600 },
      unauthorizedResponses: {
        threshold: variables.ALERT_UNAUTHORIZED_PER_IP ?? 50,
        windowSeconds: variables.ALERT_UNAUTHORIZED_WINDOW_SECONDS ?? 300,
      },
      dataExports: { threshold: variables.ALERT_EXPORTS_PER_HOUR ?? 100, windowSeconds: 3600 },
      serverErrors: {
        threshold: variables.ALERT_SERVER_ERRORS ?? 10,
        windowSeconds: variables.ALERT_SERVER_ERRORS_WINDOW_SECONDS ?? 300,
      },
      ipBlockSeconds: variables.IP_BLOCK_SECONDS ?? 900,
    },
    rateLimits: {
      ip: {
        limit: variables.RATE_LIMIT_IP_MAX ?? 2000,
        windowSeconds: variables.RATE_LIMIT_IP_WINDOW_SECONDS ?? 300,
      },
      user: {
        limit: variables.RATE_LIMIT_USER_MAX ?? 10_000,
        windowSeconds: variables.RATE_LIMIT_USER_WINDOW_SECONDS ?? 86_400,
      },
      auth: {
        limit: variables.RATE_LIMIT_AUTH_MAX ?? 10,
        windowSeconds: variables.RATE_LIMIT_AUTH_WINDOW_SECONDS ?? 60,
      },
    },
    bootstrapAdmin:
      variables.BOOTSTRAP_ADMIN_EMAIL && variables.BOOTSTRAP_ADMIN_PASSWORD
        ? { email: variables.BOOTSTRAP_ADMIN_EMAIL, password: variables.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    logLevel: variables.LOG_LEVEL ?? 'info',
    logDestination: 'stdout',
    docsEnabled: variables.DOCS_ENABLED ?? !isProduction,
    auditRetentionDays: variables.AUDIT_RETENTION_DAYS ?? 365,
    outboxRetentionDays: variables.OUTBOX_RETENTION_DAYS ?? 7,
    erasureGraceDays: variables.ERASURE_GRACE_DAYS ?? 30,
    securityContact:
      variables.SECURITY_CONTACT ?? `mailto:security@${new URL(appBaseUrl).hostname}`,
  };
}

/**
 * Replaces each `NAME_FILE` variable by the content of the file it names,
 * without trailing whitespace, so Kubernetes secrets mounted as files can supply any setting.
 */
function resolveFileVariables(env: NodeJS.ProcessEnv, problems: string[]): Record<string, string> {
  const resolved: Record<string, string> = {};

  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== '' && !name.endsWith('_FILE')) {
      resolved[name] = value;
    }
  }

  for (const name of SECRET_VARIABLES) {
    const path = env[`${name}_FILE`];
    if (!path) {
      continue;
    }
    if (resolved[name] !== undefined) {
      problems.push(`${name} and ${name}_FILE are both set; set only one of them`);
      continue;
    }
    try {
      resolved[name] = readFileSync(path, 'utf8').trimEnd();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      problems.push(`${name}_FILE names a file that cannot be read (${path}: ${code})`);
    }
  }

  return resolved;
}

function describeValidationError(error: ValidationError): string[] {
  return Object.values(error.constraints ?? {});
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function durationOrProblem(name: string, value: string, problems: string[]): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined || seconds < 1) {
    problems.push(`${name} must be a positive duration such as 900, 900s, 15m, 1h or 7d`);
    return 1;
  }
  return seconds;
}

/** Parses `900`, `900s`, `15m`, `1h` or `7d` into seconds; undefined when malformed. */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d{1,7})([smhd]?)$/.exec(value.trim());
  if (!match) {
    return undefined;
  }
  const unitSeconds: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
  return Number(match[1]) * (unitSeconds[match[2] ?? ''] ?? 1);
}

const TRUST_PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Accepts an IPv4 or IPv6 address, optionally with a CIDR prefix length valid for it. */
function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) {
    return false;
  }
  if (prefix === undefined) {
    return true;
  }
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Parses TRUST_PROXY into the value Express's `trust proxy` setting expects. */
function parseTrustProxy(value: string | undefined): boolean | number | string[] | undefined {
  if (value === undefined || value === 'false') {
    return false;
  }
  if (/^\d{1,2}$/.test(value)) {
    return Number(value);
  }
  const entries = splitList(value);
  const valid = entries.every(
    (entry) => TRUST_PROXY_KEYWORDS.has(entry) || isAddressOrRange(entry),
  );
  return valid && entries.length > 0 ? entries : undefined;
}
