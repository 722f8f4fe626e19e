import { ValidateIf } from 'class-validator';

/**
 * Marks a DTO property that may be left out. Unlike class-validator's
 * IsOptional, it does not accept null: a null value still goes through the
 * property's other rules and fails them.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf(
    (object: Record<string | symbol, unknown>, value: unknown) => value !== undefined,
  );
}
