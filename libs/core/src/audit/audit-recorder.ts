/** Whether the audited action did what was asked. */
export type AuditResult = 'success' | 'failure';

/** Values an audit event may carry in `details`: never passwords, tokens, codes or bodies. */
export type AuditDetails = Record<string, string | number | boolean | null>;

/** The caller's account of an audited action. The recorder adds the time, ids and request. */
export interface AuditInput {
  /** Dotted name such as `auth.login` or `tasks.update`. */
  action: string;
  resource: string;
  resourceId?: string | null;
  result: AuditResult;
  /** The acting user; defaults to the signed-in caller of the request. */
  userId?: string | null;
  details?: AuditDetails;
}

/** An event as written to the trail. */
export interface AuditedEvent {
  id: string;
  timestamp: Date;
  action: string;
  resource: string;
  resourceId: string | null;
  result: AuditResult;
  userId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: AuditDetails;
}

export interface RecordOptions {
  /**
   * The action must not proceed unrecorded: when the write fails, `record`
   * throws 503 instead of logging the failure and going on.
   */
  required?: boolean;
}

/**
 * Writes audit events. The audit library provides the implementation; the
 * other libraries depend on this class only, so they need not import it.
 */
export abstract class AuditRecorder {
  abstract record(input: AuditInput, options?: RecordOptions): Promise<void>;
}
