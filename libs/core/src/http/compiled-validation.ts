/**
 * A fast path for the validation pipe: for a DTO class, a function that checks a plain value and
 * builds the same instance as class-transformer's plainToInstance followed by class-validator's
 * validate, without their per-call metadata lookups.
 *
 * The compiled function never rejects. It returns undefined for any value it does not accept
 * (an unknown key, a failing rule, a value it does not copy), and the caller then runs the full
 * class-transformer and class-validator path, which produces the error messages. So every value
 * it accepts must be one that the full path accepts and turns into an equal instance. To get
 * there, it calls the same functions with the same arguments: the constructor, the @Transform
 * functions and the conditions of @ValidateIf, which `Optional()` is built on. For each rule it
 * calls the validate method of the constraint that the decorator registered. That method calls
 * the exported validator, such as isString or length, with the constraints in the metadata.
 *
 * Those functions may be called once here and once more on the full path, so constructors,
 * transforms and conditions must be free of side effects, as the DTOs of this service are.
 */
import type { Type } from '@nestjs/common';
import { type ClassTransformOptions, TransformationType } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import {
  ARRAY_MAX_SIZE,
  ARRAY_MIN_SIZE,
  ARRAY_NOT_EMPTY,
  getMetadataStorage,
  IS_ARRAY,
  IS_BOOLEAN,
  IS_DEFINED,
  IS_EMAIL,
  IS_ENUM,
  IS_IN,
  IS_INT,
  IS_ISO8601,
  IS_LENGTH,
  IS_NOT_EMPTY,
  IS_NOT_IN,
  IS_NUMBER,
  IS_STRING,
  IS_UUID,
  MATCHES,
  MAX,
  MAX_LENGTH,
  MIN,
  MIN_LENGTH,
  ValidationTypes,
  type ValidatorOptions,
} from 'class-validator';

import {
  type CompiledValidator,
  type Condition,
  createValidator,
  type PropertyPlan,
  type Rule,
  type TransformFunction,
} from './validation-plan.js';

export type { CompiledValidator } from './validation-plan.js';

/** The settings of the pipe that decide what plainToInstance and validate do. */
export interface CompileSettings {
  validatorOptions: ValidatorOptions;
  transformOptions: ClassTransformOptions | undefined;
}

type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/**
 * Names of class-validator's built-in decorators whose validation is synchronous and depends only
 * on the value and the stored constraints. A decorator registered under any other name, a
 * constraint class (`@Validate`) and an async validator keep the class on the full path.
 */
const PURE_VALIDATORS: ReadonlySet<string> = new Set([
  ARRAY_MAX_SIZE,
  ARRAY_MIN_SIZE,
  ARRAY_NOT_EMPTY,
  IS_ARRAY,
  IS_BOOLEAN,
  IS_DEFINED,
  IS_EMAIL,
  IS_ENUM,
  IS_IN,
  IS_INT,
  IS_ISO8601,
  IS_LENGTH,
  IS_NOT_EMPTY,
  IS_NOT_IN,
  IS_NUMBER,
  IS_STRING,
  IS_UUID,
  MATCHES,
  MAX,
  MAX_LENGTH,
  MIN,
  MIN_LENGTH,
]);

/**
 * Validator options that only shape the error output, or that have the one value this module
 * reproduces. An option outside this list, set to anything, keeps every class on the full path.
 */
const MODELLED_VALIDATOR_OPTIONS: ReadonlySet<string> = new Set([
  'whitelist',
  'forbidNonWhitelisted',
  'forbidUnknownValues',
  'skipMissingProperties',
  'skipNullProperties',
  'skipUndefinedProperties',
  'groups',
  'always',
  'strictGroups',
  'stopAtFirstError',
  'validationError',
  'dismissDefaultMessages',
  'enableDebugMessages',
]);

/**
 * Compiles the checks of `metatype` for a pipe with `settings`. Returns undefined when the class
 * or the settings use anything this module does not reproduce. That is nested or promise
 * validation, constraint classes, validators missing from PURE_VALIDATORS, @Type, @Expose and
 * @Exclude. It is also any class-transformer option, a skip option, validation groups requested
 * by the pipe, and a class without validation rules.
 */
export function compileValidator(
  metatype: Type<unknown>,
  settings: CompileSettings,
): CompiledValidator | undefined {
  const { validatorOptions, transformOptions } = settings;
  if (
    transformOptions !== undefined ||
    !supportsValidatorOptions(validatorOptions) ||
    typeof metatype.prototype !== 'object' ||
    !usesDefaultKeys(metatype)
  ) {
    return undefined;
  }

  const metadatas = getMetadataStorage().getTargetValidationMetadatas(
    metatype,
    // class-validator passes no schema name when it validates an object.
    undefined as unknown as string,
    validatorOptions.always ?? false,
    validatorOptions.strictGroups ?? false,
    validatorOptions.groups,
  );
  if (metadatas.length === 0) {
    return undefined;
  }

  const plans = new Map<string, PropertyPlan>();
  for (const [name, propertyMetadatas] of groupByProperty(metadatas)) {
    const plan = compileProperty(metatype, name, propertyMetadatas);
    if (plan === undefined) {
      return undefined;
    }
    plans.set(name, plan);
  }
  return createValidator(metatype, plans);
}

function supportsValidatorOptions(options: ValidatorOptions): boolean {
  const known = Object.entries(options).every(
    ([key, value]) => MODELLED_VALIDATOR_OPTIONS.has(key) || value === undefined,
  );
  return (
    known &&
    options.whitelist === true &&
    options.forbidNonWhitelisted === true &&
    options.skipMissingProperties !== true &&
    options.skipNullProperties !== true &&
    options.skipUndefinedProperties !== true &&
    (options.groups === undefined || options.groups.length === 0) &&
    options.always !== true
  );
}

/** Checks that class-transformer takes the keys of a plain value as they are for this class. */
function usesDefaultKeys(metatype: Type<unknown>): boolean {
  return (
    defaultMetadataStorage.getStrategy(metatype) === 'none' &&
    defaultMetadataStorage.getExposedMetadatas(metatype).length === 0 &&
    defaultMetadataStorage.getExcludedMetadatas(metatype).length === 0
  );
}

function groupByProperty(metadatas: ValidationMetadata[]): Map<string, ValidationMetadata[]> {
  const grouped = new Map<string, ValidationMetadata[]>();
  for (const metadata of metadatas) {
    const list = grouped.get(metadata.propertyName);
    if (list === undefined) {
      grouped.set(metadata.propertyName, [metadata]);
    } else {
      list.push(metadata);
    }
  }
  return grouped;
}

function compileProperty(
  metatype: Type<unknown>,
  name: string,
  metadatas: ValidationMetadata[],
): PropertyPlan | undefined {
  // class-transformer never assigns a key that the prototype defines as a method or accessor.
  if (name in (metatype.prototype as object)) {
    return undefined;
  }
  if (defaultMetadataStorage.findTypeMetadata(metatype, name) !== undefined) {
    return undefined;
  }

  const conditions: Condition[] = [];
  const definedRules: Rule[] = [];
  const customRules: Rule[] = [];
  for (const metadata of metadatas) {
    if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      conditions.push(metadata.constraints[0] as Condition);
    } else if (metadata.type === ValidationTypes.WHITELIST) {
      continue;
    } else if (
      metadata.type === ValidationTypes.IS_DEFINED ||
      metadata.type === ValidationTypes.CUSTOM_VALIDATION
    ) {
      const rule = compileRule(metadata);
      if (rule === undefined) {
        return undefined;
      }
      (metadata.type === ValidationTypes.IS_DEFINED ? definedRules : customRules).push(rule);
    } else {
      return undefined;
    }
  }

  const transforms = transformsOf(metatype, name);
  // class-validator runs @IsDefined before the other rules of a property.
  return { name, transforms, conditions, rules: [...definedRules, ...customRules] };
}

function compileRule(metadata: ValidationMetadata): Rule | undefined {
  const constraintMetadatas = getMetadataStorage().getTargetValidatorConstraints(
    metadata.constraintCls,
  );
  const pure = constraintMetadatas.every(
    (constraint) =>
      !constraint.async &&
      constraint.name === metadata.name &&
      PURE_VALIDATORS.has(constraint.name),
  );
  const constraints = metadata.constraints;
  if (!pure || constraints?.some(isStatefulPattern)) {
    return undefined;
  }

  return {
    // A built-in constraint class only forwards to its validator, so one instance serves all calls.
    validators: constraintMetadatas.map((constraint) => constraint.instance),
    constraints,
    each: Boolean(metadata.each),
    validateIf: metadata.validateIf,
  };
}

/** Checks for a sticky or global expression, whose `lastIndex` can change the next result. */
function isStatefulPattern(constraint: unknown): boolean {
  return constraint instanceof RegExp && (constraint.global || constraint.sticky);
}

/** Lists the @Transform functions plainToInstance applies to `name`, in its order. */
function transformsOf(metatype: Type<unknown>, name: string): TransformFunction[] {
  return (
    defaultMetadataStorage
      .findTransformMetadatas(metatype, name, TransformationType.PLAIN_TO_CLASS)
      // With no groups in the transform options, class-transformer skips grouped transforms.
      .filter((metadata) => !metadata.options?.groups?.length)
      .map((metadata) => metadata.transformFn)
  );
}
