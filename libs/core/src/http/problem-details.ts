import { STATUS_CODES } from 'node:http';

import { HttpException, HttpStatus } from '@nestjs/common';

/** One invalid input field, as listed in a problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem document, the body of every error response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * A failure that services throw and the exception filter renders. Each
 * subclass has a stable `type` that clients may switch on.
 */
export class ProblemException extends HttpException {
  constructor(
    status: HttpStatus,
    readonly detail: string,
    readonly problemType = 'about:blank',
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail, status);
  }
}

/** 400 with every invalid field listed at once. */
export class ValidationFailedException extends ProblemException {
  constructor(errors: FieldError[]) {
    const summary = errors.map((error) => error.message).join('; ');
    super(HttpStatus.BAD_REQUEST, summary || 'The request is invalid', 'about:blank', errors);
  }
}

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}
