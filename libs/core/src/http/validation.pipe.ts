import {
  type ArgumentMetadata,
  type Type,
  ValidationPipe,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';

import { type CompiledValidator, compileValidator } from './compiled-validation.js';
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

/** Drops repeats, such as one message reported by three constraints of one field. */
function uniqueErrors(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.field}\u0000${error.message}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

/** Keys that could reach an object's prototype if a library ever merged the input. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_SCAN_DEPTH = 32;
/**
 * Bounds no request shape comes near. Past them the body is rejected before the DTO
 * transformation, which took seconds on a body of 50,000 unknown properties.
 */
const MAX_PROPERTIES = 100;
const MAX_ITEMS = 1_000;

/**
 * A UTF-16 surrogate without its partner, which JSON escapes such as `\ud800` can carry.
 * Paired surrogates form one code point, so they do not match in Unicode mode.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** Tells whether `text` is well-formed UTF-16: no surrogate without its partner. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function findUnsafeInput(value: unknown, path: string, depth: number, found: FieldError[]): void {
  const subject = path === '' ? 'the body' : path;
  // Errors about this value name its path, or `body` for the whole body.
  const ownField = path === '' ? 'body' : path;
  if (typeof value === 'string') {
    // Validators that percent-encode their input (isEmail, isURL) throw on these.
    if (!isWellFormedText(value)) {
      found.push({
        field: ownField,
        message: `${subject} is not well-formed Unicode text`,
      });
    }
    return;
  }
  if (value === null || typeof value !== 'object') {
    return;
  }
  if (depth > MAX_SCAN_DEPTH) {
    found.push({
      field: path,
      message: `${subject} is nested more than ${MAX_SCAN_DEPTH} levels deep`,
    });
    return;
  }
  if (Array.isArray(value) && value.length > MAX_ITEMS) {
    found.push({
      field: ownField,
      message: `${subject} has more than ${MAX_ITEMS} items`,
    });
    return;
  }
  const keys = Object.keys(value);
  if (!Array.isArray(value) && keys.length > MAX_PROPERTIES) {
    found.push({
      field: ownField,
      message: `${subject} has more than ${MAX_PROPERTIES} properties`,
    });
    return;
  }
  for (const key of keys) {
    const field = path ? `${path}.${key}` : key;
    if (!isWellFormedText(key)) {
      // The name itself is not repeated: it would carry the broken text into responses and logs.
      found.push({
        field: ownField,
        message: `${subject} has a property name that is not well-formed Unicode text`,
      });
    } else if (FORBIDDEN_KEYS.has(key)) {
      found.push({ field, message: `${field} is not an allowed property` });
    } else {
      findUnsafeInput((value as Record<string, unknown>)[key], field, depth + 1, found);
    }
  }
}

/**
 * Throws the 400 of a body or query with prototype-polluting keys, strings
 * that are not well-formed UTF-16, or nesting or sizes past the bounds (deep
 * enough to exhaust the stack of a recursive reader). The validation pipe
 * calls it, and so must anything that reads a body before the pipe runs.
 */
export function assertSafeInput(value: unknown): void {
  const found: FieldError[] = [];
  findUnsafeInput(value, '', 0, found);
  if (found.length > 0) {
    throw new ValidationFailedException(found);
  }
}

/**
 * Rejects unsafe input with assertSafeInput before validation.
 * Then a body or query of a class that compileValidator accepts goes through
 * the compiled checks, and any value they do not accept takes
 * ValidationPipe's full path, which reports the errors.
 */
class RequestValidationPipe extends ValidationPipe {
  /**
   * Compiled checks by DTO class, with null for a class that always takes the full path. The
   * metadata is read on a class's first request, after its decorators ran at definition time.
   */
  private readonly compiled = new WeakMap<Type<unknown>, CompiledValidator | null>();
  private readonly useCompiledChecks: boolean;

  constructor(options: ValidationPipeOptions, compiledChecks: boolean) {
    super(options);
    // The compiled checks return the instance, which is what the pipe returns only with transform.
    this.useCompiledChecks =
      compiledChecks && this.isTransformEnabled && this.expectedType === undefined;
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      assertSafeInput(value);

      const instance = this.compiledValidatorFor(metadata.metatype)?.(value);
      if (instance !== undefined) {
        return instance;
      }
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }

  private compiledValidatorFor(metatype: Type<unknown> | undefined): CompiledValidator | undefined {
    if (!this.useCompiledChecks || typeof metatype !== 'function') {
      return undefined;
    }
    let validator = this.compiled.get(metatype);
    if (validator === undefined) {
      const settings = {
        validatorOptions: this.validatorOptions,
        transformOptions: this.transformOptions,
      };
      validator = compileValidator(metatype, settings) ?? null;
      this.compiled.set(metatype, validator);
    }
    return validator ?? undefined;
  }
}

/** Settings of createValidationPipe. */
export interface ValidationPipeSettings {
  /**
   * Whether valid values of supported DTO classes take the compiled checks.
   * When false, every value takes class-transformer and class-validator,
   * which the tests compare the compiled checks against. Defaults to true.
   */
  compiledChecks?: boolean;
}

/**
 * Creates the one validation pipe for every route. It rejects unknown
 * properties, transforms payloads to their DTO classes and reports every
 * field error at once.
 */
export function createValidationPipe(settings: ValidationPipeSettings = {}): ValidationPipe {
  const options: ValidationPipeOptions = {
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new ValidationFailedException(uniqueErrors(flattenErrors(errors))),
  };
  return new RequestValidationPipe(options, settings.compiledChecks ?? true);
}
