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
 * Creates the one validation pipe for every route. It rejects unknown
 * properties, transforms payloads to their DTO classes and reports every
 * field error at once.
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
