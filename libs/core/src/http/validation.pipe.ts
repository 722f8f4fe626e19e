import { ValidationPipe, type ValidationError } from '@nestjs/common';

import { type FieldError, ValidationFailedException } from './problem-details.js';

function flattenErrors(errors: ValidationError[], parentPath = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parentPath ? `${parentPath}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      message:
        constraint === 'whitelistValidation' ? `${field} is not an allowed property` : message,
    }));
    return [...own, ...flattenErrors(error.children ?? [], field)];
  });
}

/**
 * The one validation pipe for every route: unknown properties are rejected,
 * payloads are transformed to their DTO classes, and every field error is
 * reported at once.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedException(flattenErrors(errors)),
  });
}
