/**
 * The runtime half of the compiled checks. It builds a DTO instance from a plain value with the
 * plans that compiled-validation.ts reads from the decorators' metadata, and runs their rules.
 * Every function here returns undefined or false, never an error, for a value it does not accept.
 */
import type { Type } from '@nestjs/common';
import {
  type ClassTransformOptions,
  type TransformFnParams,
  TransformationType,
} from 'class-transformer';
import { defaultOptions } from 'class-transformer/cjs/constants/default-options.constant.js';
import type { ValidationArguments, ValidatorConstraintInterface } from 'class-validator';

/** Returns the validated DTO instance, or undefined when the value needs the full path. */
export type CompiledValidator = (value: unknown) => object | undefined;

export type Condition = (object: object, value: unknown) => boolean;
export type TransformFunction = (params: TransformFnParams) => unknown;

/** One decorator's check, as class-validator's ValidationExecutor runs it. */
export interface Rule {
  readonly validators: ValidatorConstraintInterface[];
  /** The stored constraints, undefined for a decorator without any, as validators receive them. */
  readonly constraints: ValidationArguments['constraints'];
  readonly each: boolean;
  readonly validateIf: Condition | undefined;
}

/** The steps of plainToInstance and validate for one property of a class. */
export interface PropertyPlan {
  readonly name: string;
  readonly transforms: TransformFunction[];
  readonly conditions: Condition[];
  readonly rules: Rule[];
}

const NOT_COPIED = Symbol('not copied');
const PLAIN_TO_CLASS = TransformationType.PLAIN_TO_CLASS;

/** Creates the compiled validator of `metatype` from the plans of all its validated properties. */
export function createValidator(
  metatype: Type<unknown>,
  plans: Map<string, PropertyPlan>,
): CompiledValidator {
  const planList = [...plans.values()];
  return (value) => {
    if (!isPlainObject(value)) {
      return undefined;
    }
    const instance = new metatype() as Record<string, unknown>;
    // ValidationPipe patches the constructor of an instance from a constructor that returns
    // another object, so such classes stay on its path.
    if (instance.constructor !== metatype || !assignProperties(instance, value, plans)) {
      return undefined;
    }
    // With forbidNonWhitelisted, class-validator rejects any key of the instance without rules,
    // including one that the constructor set.
    for (const key of Object.keys(instance)) {
      if (!plans.has(key)) {
        return undefined;
      }
    }
    for (const plan of planList) {
      if (!passes(plan, instance, metatype.name)) {
        return undefined;
      }
    }
    return instance;
  };
}

/**
 * Checks that `value` is an object as a JSON or query string parser returns it. Such objects
 * contain only data properties, so one read of each gives the value class-transformer reads.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Sets each key of `value` on `instance` as plainToInstance does, or returns false to fall back. */
function assignProperties(
  instance: Record<string, unknown>,
  value: Record<string, unknown>,
  plans: Map<string, PropertyPlan>,
): boolean {
  // plainToInstance passes one fresh copy of its options to every transform of a call.
  let options: ClassTransformOptions | undefined;
  for (const key of Object.keys(value)) {
    const plan = plans.get(key);
    // class-transformer skips a key whose value on the new instance is a function.
    if (plan === undefined || instance[key] instanceof Function) {
      return false;
    }
    let item = copyValue(value[key]);
    if (item === NOT_COPIED) {
      return false;
    }
    for (const transform of plan.transforms) {
      options ??= { ...defaultOptions };
      item = transform({ value: item, key, obj: value, type: PLAIN_TO_CLASS, options });
    }
    instance[key] = item;
  }
  return true;
}

/**
 * Copies a property value as class-transformer does for a property without @Type: a primitive
 * as it is, an array of primitives as a new array. Returns NOT_COPIED for anything else (objects,
 * nested arrays, sparse arrays, arrays with another prototype).
 */
function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) {
    return NOT_COPIED;
  }
  const copy: unknown[] = [];
  for (let index = 0; index < value.length; index += 1) {
    const item: unknown = value[index];
    if (!Object.hasOwn(value, index) || (typeof item === 'object' && item !== null)) {
      return NOT_COPIED;
    }
    copy.push(item);
  }
  return copy;
}

/** Runs the rules of one property as ValidationExecutor.performValidations does. */
function passes(
  plan: PropertyPlan,
  instance: Record<string, unknown>,
  targetName: string,
): boolean {
  const value = instance[plan.name];
  // class-validator calls every condition and validates when all of them hold.
  let validated = true;
  for (const condition of plan.conditions) {
    validated = condition(instance, value) && validated;
  }
  if (!validated) {
    return true;
  }

  for (const rule of plan.rules) {
    if (rule.validateIf !== undefined && !rule.validateIf(instance, value)) {
      continue;
    }
    const args: ValidationArguments = {
      targetName,
      property: plan.name,
      object: instance,
      value,
      constraints: rule.constraints,
    };
    if (!rule.validators.every((validator) => satisfies(validator, rule.each, value, args))) {
      return false;
    }
  }
  return true;
}

/**
 * Checks `value` with `validator`, item by item for an `each` rule on an array. Only a result of
 * exactly `true` passes, so a promise or a truthy non-boolean result falls back to class-validator.
 */
function satisfies(
  validator: ValidatorConstraintInterface,
  each: boolean,
  value: unknown,
  args: ValidationArguments,
): boolean {
  const collection = Array.isArray(value) || value instanceof Set || value instanceof Map;
  if (!each || !collection) {
    return validator.validate(value, args) === true;
  }
  // class-validator turns a Set or Map into an array first, so such values stay on the full path.
  if (!Array.isArray(value)) {
    return false;
  }
  return value.every((item) => validator.validate(item, args) === true);
}
