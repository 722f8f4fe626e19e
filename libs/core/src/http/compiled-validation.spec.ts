import { inspect, isDeepStrictEqual } from 'node:util';

import { describe, expect, it, jest } from '@jest/globals';
import { HttpException, type Type, type ValidationPipe } from '@nestjs/common';
import {
  Exclude,
  Expose,
  Transform,
  type TransformFnParams,
  Type as TransformType,
} from 'class-transformer';
import {
  Allow,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  Validate,
  ValidateIf,
  ValidateNested,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';

import { ROLES } from '@codexflow/access';

import { AuditQueryDto } from '../../../audit/src/audit-query.dto.js';
import {
  AcceptInvitationDto,
  ChangePasswordDto,
  EmailDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
  TokenDto,
} from '../../../auth/src/flows/auth.dto.js';
import {
  MfaChallengeDto,
  MfaCodeDto,
  MfaVerifyDto,
  SmsEnrollDto,
  StepUpChallengeDto,
} from '../../../auth/src/mfa/mfa.dto.js';
import { ConsentDto } from '../../../gdpr/src/consent.dto.js';
import {
  AddMemberDto,
  CreateProjectDto,
  UpdateProjectDto,
} from '../../../projects/src/project.dto.js';
import { CreateCommentDto } from '../../../tasks/src/comments/comment.dto.js';
import {
  CreateTaskDto,
  ListTasksQueryDto,
  TASK_SORTS,
  UpdateTaskDto,
} from '../../../tasks/src/task.dto.js';
import { TASK_PRIORITIES, TASK_STATUSES, TASK_TYPES } from '../../../tasks/src/task.schema.js';
import {
  ChangeRoleDto,
  EraseOwnAccountDto,
  EraseUserDto,
  InviteUserDto,
  UpdateProfileDto,
} from '../../../users/src/user.dto.js';
import { PageQueryDto } from '../pagination/pagination.js';
import { type CompileSettings, compileValidator } from './compiled-validation.js';
import { Optional } from './optional.js';
import { createValidationPipe } from './validation.pipe.js';

type Body = Record<string, unknown>;
type Location = 'body' | 'query';

interface DtoCase {
  name: string;
  dto: Type<unknown>;
  location: Location;
  /** A valid value that sets every property of the class. */
  example: Body;
}

const USER_ID = 'usr_0123456789abcdefghij';
const TOKEN = 'Ab3_-'.repeat(8);
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'ada@example.com';

const DTO_CASES: DtoCase[] = [
  {
    name: CreateTaskDto.name,
    dto: CreateTaskDto,
    location: 'body',
    example: {
      title: 'Write the release notes',
      description: 'Covers <b>every</b> change',
      priority: 'high',
      status: 'in_review',
      type: 'bug',
      assignee: USER_ID,
      dueDate: '2030-01-15T10:00:00Z',
      labels: ['docs', 'release'],
    },
  },
  {
    name: UpdateTaskDto.name,
    dto: UpdateTaskDto,
    location: 'body',
    example: {
      type: 'design',
      title: '  Renamed task  ',
      description: '',
      priority: 'low',
      status: 'done',
      assignee: null,
      dueDate: null,
      labels: [],
    },
  },
  {
    name: ListTasksQueryDto.name,
    dto: ListTasksQueryDto,
    location: 'query',
    example: {
      limit: '20',
      cursor: 'eyJpZCI6MX0',
      status: 'todo',
      priority: 'critical',
      type: 'task',
      assignee: USER_ID,
      dueBefore: '2030-01-01',
      q: 'release',
      sort: '-dueDate',
    },
  },
  {
    name: PageQueryDto.name,
    dto: PageQueryDto,
    location: 'query',
    example: { limit: '5', cursor: 'eyJpZCI6MX0' },
  },
  {
    name: CreateCommentDto.name,
    dto: CreateCommentDto,
    location: 'body',
    example: { body: 'Looks good to me' },
  },
  {
    name: CreateProjectDto.name,
    dto: CreateProjectDto,
    location: 'body',
    example: { key: 'CFX', name: 'CodexFlow', description: 'The tracker itself' },
  },
  {
    name: UpdateProjectDto.name,
    dto: UpdateProjectDto,
    location: 'body',
    example: { name: 'Renamed project', description: '' },
  },
  {
    name: AddMemberDto.name,
    dto: AddMemberDto,
    location: 'body',
    example: { userId: USER_ID },
  },
  {
    name: UpdateProfileDto.name,
    dto: UpdateProfileDto,
    location: 'body',
    example: { name: ' Ada Lovelace ', email: EMAIL },
  },
  {
    name: InviteUserDto.name,
    dto: InviteUserDto,
    location: 'body',
    example: { email: EMAIL, name: 'Ada Lovelace', role: 'developer' },
  },
  {
    name: ChangeRoleDto.name,
    dto: ChangeRoleDto,
    location: 'body',
    example: { role: 'manager', mfaCode: '123456' },
  },
  {
    name: EraseUserDto.name,
    dto: EraseUserDto,
    location: 'body',
    example: { mfaCode: '123456' },
  },
  {
    name: EraseOwnAccountDto.name,
    dto: EraseOwnAccountDto,
    location: 'body',
    example: { password: PASSWORD, mfaCode: '123456' },
  },
  {
    name: RegisterDto.name,
    dto: RegisterDto,
    location: 'body',
    example: { email: EMAIL, password: PASSWORD, name: 'Ada Lovelace' },
  },
  { name: EmailDto.name, dto: EmailDto, location: 'body', example: { email: EMAIL } },
  { name: TokenDto.name, dto: TokenDto, location: 'body', example: { token: TOKEN } },
  {
    name: LoginDto.name,
    dto: LoginDto,
    location: 'body',
    example: { email: EMAIL, password: PASSWORD },
  },
  {
    name: RefreshDto.name,
    dto: RefreshDto,
    location: 'body',
    example: { refreshToken: TOKEN },
  },
  {
    name: ResetPasswordDto.name,
    dto: ResetPasswordDto,
    location: 'body',
    example: { token: TOKEN, newPassword: PASSWORD },
  },
  {
    name: ChangePasswordDto.name,
    dto: ChangePasswordDto,
    location: 'body',
    example: { currentPassword: PASSWORD, newPassword: `${PASSWORD}!`, mfaCode: '123456' },
  },
  {
    name: AcceptInvitationDto.name,
    dto: AcceptInvitationDto,
    location: 'body',
    example: { token: TOKEN, password: PASSWORD, name: 'Ada Lovelace' },
  },
  { name: MfaCodeDto.name, dto: MfaCodeDto, location: 'body', example: { code: '123456' } },
  {
    name: SmsEnrollDto.name,
    dto: SmsEnrollDto,
    location: 'body',
    example: { phone: '+14155550100' },
  },
  {
    name: MfaChallengeDto.name,
    dto: MfaChallengeDto,
    location: 'body',
    example: { mfaToken: TOKEN, method: 'sms' },
  },
  {
    name: MfaVerifyDto.name,
    dto: MfaVerifyDto,
    location: 'body',
    example: { mfaToken: TOKEN, method: 'recovery', code: 'ABCD-EFGH-JKMN' },
  },
  {
    name: StepUpChallengeDto.name,
    dto: StepUpChallengeDto,
    location: 'body',
    example: { method: 'email' },
  },
  {
    name: AuditQueryDto.name,
    dto: AuditQueryDto,
    location: 'query',
    example: {
      limit: '100',
      cursor: 'eyJpZCI6MX0',
      userId: USER_ID,
      action: 'auth.login',
      resource: 'tasks',
      resourceId: 'tsk_0123456789abcdefghij',
      result: 'failure',
      from: '2025-01-01',
      to: '2025-12-31T23:59:59.999Z',
    },
  },
  {
    name: ConsentDto.name,
    dto: ConsentDto,
    location: 'body',
    example: { analytics: true, marketing: false, productUpdates: true },
  },
];

/** Returns an array of `length` with only the given indexes set, as a parser of `a[3]=x` may. */
function sparse(length: number, items: Record<number, unknown>): unknown[] {
  const array: unknown[] = new Array<unknown>(length);
  for (const [index, item] of Object.entries(items)) {
    array[Number(index)] = item;
  }
  return array;
}

const BOUNDARY_LENGTHS = [
  0, 1, 2, 3, 6, 7, 19, 20, 21, 50, 51, 100, 101, 128, 129, 200, 201, 254, 255, 512, 513, 1024,
  1025, 2000, 2001, 5000, 5001,
];

/**
 * Values tried in every property: wrong types, strings at each length limit of the DTOs, values
 * of each enumeration and pattern, valid and malformed, and arrays of each shape.
 */
const SAMPLE_VALUES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  1,
  -1,
  1.5,
  20,
  100,
  101,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  {},
  { title: 'nested' },
  new Date(0),
  new Set(['a']),
  ...BOUNDARY_LENGTHS.map((length) => 'x'.repeat(length)),
  // Whitespace that the trimming transforms remove, and strings that are only whitespace.
  '  Padded title  ',
  '  ab  ',
  ' ',
  '\t\n',
  '\u00a0abc\u00a0',
  '\u3000Ideographic space\u3000',
  // Unicode: astral characters count once in lengths, control and format characters and angle
  // brackets fail the name rules.
  '😀😀😀',
  `${'😀'.repeat(100)}x`,
  'é'.repeat(201),
  'Zoë Ångström',
  'Ada\u0000Lovelace',
  'Ada\u200bLovelace',
  'Ada <script>',
  'e\u0301',
  // Enumerations, in and out of case.
  ...TASK_PRIORITIES,
  ...TASK_STATUSES,
  ...TASK_TYPES,
  ...TASK_SORTS,
  ...ROLES,
  'success',
  'failure',
  'email',
  'sms',
  'totp',
  'recovery',
  'HIGH',
  'urgent',
  'Admin',
  // Ids, codes, tokens and keys.
  USER_ID,
  'usr_0123456789abcdefghi',
  `${USER_ID} `,
  'USR_0123456789abcdefghij',
  'tsk_0123456789abcdefghij',
  'auth.login',
  'auth login',
  '123456',
  '12345',
  '1234567',
  '12345a',
  '١٢٣٤٥٦',
  'ABCD-EFGH-JKMN',
  TOKEN,
  'A'.repeat(19),
  'A'.repeat(128),
  'A'.repeat(129),
  `${TOKEN}=`,
  '+14155550100',
  '14155550100',
  '+04155550100',
  '+1415555010012345',
  'CFX',
  'C',
  'ABCDEFGHIJK',
  'cfx',
  'CF1',
  // Dates.
  '2030-01-15',
  '2030-01-15T10:00:00Z',
  '2030-01-15T10:00:00.000+02:00',
  '2030-02-29',
  '2028-02-29',
  '2030-13-01',
  '2030-01-15T25:00:00Z',
  '2030-1-5',
  '20300115',
  '2030-W03',
  'tomorrow',
  // E-mail addresses.
  EMAIL,
  'ADA@Example.COM',
  'ada@localhost',
  'ada@@example.com',
  '"ada lovelace"@example.com',
  'adä@example.com',
  'ada@xn--bcher-kva.example',
  `${'a'.repeat(243)}@example.com`,
  'ada@exa_mple.com',
  // Numbers as a query string carries them.
  '1',
  '5',
  '0',
  '100',
  '101',
  '000100',
  '1e2',
  ' 5',
  '0x10',
  '-1',
  '1.5',
  '1234567',
  'true',
  'false',
  // Arrays.
  [],
  ['backend'],
  ['a', 'b'],
  Array.from({ length: 20 }, (_, index) => `label${index}`),
  Array.from({ length: 21 }, (_, index) => `label${index}`),
  [''],
  ['x'.repeat(50)],
  ['x'.repeat(51)],
  ['😀'.repeat(50)],
  ['  padded  '],
  [1],
  [null],
  ['ok', 2],
  ['ok', undefined],
  [['nested']],
  [{}],
  sparse(2, { 1: 'a' }),
  sparse(3, { 0: 'a', 2: 'b' }),
];

/** Returns a fixed linear congruential sequence in [0, 1), so every run tries the same bodies. */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** Lists the bodies tried for one class: single-property changes first, then mixes of them. */
function bodiesFor(example: Body, seed: number): unknown[] {
  const fields = Object.keys(example);
  const bodies: unknown[] = [example, {}, null, undefined, 'text', 42, [], [example]];

  for (const field of fields) {
    const withoutField = { ...example };
    delete withoutField[field];
    bodies.push(withoutField);
    for (const sample of SAMPLE_VALUES) {
      bodies.push({ ...example, [field]: sample });
    }
  }

  bodies.push({ ...example, extra: 'x' });
  bodies.push({ ...example, toString: 'x' });
  bodies.push({ ...example, '': 1 });
  bodies.push(Object.assign(JSON.parse('{"__proto__": {"polluted": true}}') as Body, example));
  bodies.push({ ...example, constructor: 'x' });

  const next = sequence(seed);
  for (let index = 0; index < 300; index += 1) {
    const body: Body = {};
    for (const field of fields) {
      const roll = next();
      if (roll < 0.35) {
        body[field] = example[field];
      } else if (roll < 0.55) {
        continue;
      } else {
        body[field] = pick(SAMPLE_VALUES, next);
      }
    }
    if (next() < 0.1) {
      body.unknownProperty = pick(SAMPLE_VALUES, next);
    }
    bodies.push(body);
  }
  return bodies;
}

/**
 * Copies an input for one pipe, since the full path closes array gaps in place. It keeps gaps,
 * undefined values, own `__proto__` keys and null prototypes.
 */
function copyInput(value: unknown): unknown {
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array<unknown>(value.length);
    for (const key of Object.keys(value)) {
      copy[Number(key)] = copyInput(value[Number(key)]);
    }
    return copy;
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    return value;
  }
  const copy = Object.create(prototype) as Body;
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(copy, key, {
      value: copyInput(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** Gives a body the null prototype of an object from Node's query string parser. */
function asQuery(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  return Object.assign(Object.create(null) as Body, value);
}

type Outcome =
  | { accepted: unknown; keys: string[] }
  | { rejected: { kind: string; status: number; response: unknown; errors: unknown } }
  | { thrown: string };

async function outcomeOf(
  pipe: ValidationPipe,
  value: unknown,
  dto: Type<unknown>,
  location: Location,
): Promise<Outcome> {
  try {
    const accepted = await pipe.transform(value, { type: location, metatype: dto });
    return { accepted, keys: Object.keys(accepted as object) };
  } catch (error) {
    if (error instanceof HttpException) {
      const { errors } = error as HttpException & { errors?: unknown };
      const status = error.getStatus();
      const kind = error.constructor.name;
      return { rejected: { kind, status, response: error.getResponse(), errors } };
    }
    return { thrown: String(error) };
  }
}

function printInput(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity, maxStringLength: 40 });
}

/** Spies on ValidationPipe.validate, which only the full path calls. */
function spyOnFullPath(pipe: ValidationPipe) {
  const inner = pipe as unknown as { validate: (...args: unknown[]) => Promise<unknown[]> };
  return jest.spyOn(inner, 'validate');
}

interface Comparison {
  accepted: number;
  rejected: number;
  compiledAccepted: number;
}

/**
 * Sends every input through a pipe with compiled checks and one without, expects the same
 * outcome from both, and counts the outcomes.
 */
async function compareOutcomes(
  dto: Type<unknown>,
  location: Location,
  inputs: unknown[],
): Promise<Comparison> {
  const compiled = createValidationPipe();
  const full = createValidationPipe({ compiledChecks: false });
  const fullPathCalls = spyOnFullPath(compiled);
  const comparison: Comparison = { accepted: 0, rejected: 0, compiledAccepted: 0 };

  for (const input of inputs) {
    const value = location === 'query' ? asQuery(input) : input;
    const callsBefore = fullPathCalls.mock.calls.length;

    const compiledOutcome = await outcomeOf(compiled, copyInput(value), dto, location);
    const fullOutcome = await outcomeOf(full, copyInput(value), dto, location);

    // Node's comparison is several times faster than Jest's on thousands of inputs, and at
    // least as strict, so Jest's runs only to print the difference and the input.
    const same = isDeepStrictEqual(compiledOutcome, fullOutcome);
    if (!same) {
      const printed = printInput(value);
      expect({ printed, outcome: compiledOutcome }).toStrictEqual({
        printed,
        outcome: fullOutcome,
      });
    }
    expect(same).toBe(true);
    if ('accepted' in fullOutcome) {
      comparison.accepted += 1;
      if (fullPathCalls.mock.calls.length === callsBefore) {
        comparison.compiledAccepted += 1;
      }
    } else {
      comparison.rejected += 1;
    }
  }
  return comparison;
}

function pipeSettings(): CompileSettings {
  const pipe = createValidationPipe() as unknown as {
    validatorOptions: ValidatorOptions;
    transformOptions: undefined;
  };
  return { validatorOptions: pipe.validatorOptions, transformOptions: pipe.transformOptions };
}

// Classes that use what the compiled checks leave to the full path.

class Address {
  @IsString()
  city!: string;
}

class WithNestedDto {
  @ValidateNested()
  @TransformType(() => Address)
  address!: Address;
}

@ValidatorConstraint({ name: 'isEven' })
class IsEvenConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'number' && value % 2 === 0;
  }
}

class WithConstraintClassDto {
  @Validate(IsEvenConstraint)
  count!: number;
}

function IsKnownAsync(): PropertyDecorator {
  return (target, key) => {
    registerDecorator({
      name: 'isKnownAsync',
      target: target.constructor,
      propertyName: String(key),
      async: true,
      validator: { validate: (value: unknown) => Promise.resolve(value === 'known') },
    });
  };
}

class WithAsyncDto {
  @IsKnownAsync()
  name!: string;
}

/** Registers an async validator under a built-in name, which only the full path may run. */
function IsStringAsync(): PropertyDecorator {
  return (target, key) => {
    registerDecorator({
      name: 'isString',
      target: target.constructor,
      propertyName: String(key),
      async: true,
      validator: { validate: (value: unknown) => Promise.resolve(typeof value === 'string') },
    });
  };
}

class WithAsyncBuiltInNameDto {
  @IsStringAsync()
  name!: string;
}

@Expose()
class WithExposeDto {
  @Expose({ name: 'full_name' })
  @IsString()
  name!: string;
}

class WithExcludeDto {
  @IsString()
  name!: string;

  @Exclude()
  @IsOptional()
  @IsString()
  secret?: string;
}

class WithTypeDto {
  @TransformType(() => Number)
  @IsInt()
  count!: number;
}

class WithStickyPatternDto {
  @Matches(/ab/y)
  code!: string;
}

class WithAccessorDto {
  private stored = '';

  @IsString()
  get name(): string {
    return this.stored;
  }

  set name(value: string) {
    this.stored = value;
  }
}

class WithoutRulesDto {
  note?: string;
}

const UNSUPPORTED_CASES: Array<{ name: string; dto: Type<unknown>; inputs: unknown[] }> = [
  {
    name: 'nested validation',
    dto: WithNestedDto,
    inputs: [{ address: { city: 'Paris' } }, { address: { city: 1 } }, { address: 'Paris' }],
  },
  {
    name: 'a constraint class',
    dto: WithConstraintClassDto,
    inputs: [{ count: 2 }, { count: 3 }, {}],
  },
  { name: 'an async validator', dto: WithAsyncDto, inputs: [{ name: 'known' }, { name: 'x' }] },
  {
    name: 'an async validator with a built-in name',
    dto: WithAsyncBuiltInNameDto,
    inputs: [{ name: 'text' }, { name: 1 }],
  },
  {
    name: '@Expose',
    dto: WithExposeDto,
    inputs: [{ full_name: 'Ada' }, { name: 'Ada' }, { full_name: 1 }],
  },
  {
    name: '@Exclude',
    dto: WithExcludeDto,
    inputs: [{ name: 'Ada' }, { name: 'Ada', secret: 'x' }],
  },
  { name: '@Type', dto: WithTypeDto, inputs: [{ count: '2' }, { count: 'x' }, { count: 2 }] },
  { name: 'an accessor', dto: WithAccessorDto, inputs: [{ name: 'Ada' }, { name: 1 }] },
  { name: 'no rules', dto: WithoutRulesDto, inputs: [{}, { note: 'x' }] },
];

// A class with rule features that the service's DTOs do not use but the compiled checks run.

class BaseFeaturesDto {
  @IsIn(['a', 'b'])
  kind!: string;

  @IsInt()
  @Min(0)
  @Max(10)
  count!: number;
}

const upperCase = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.toUpperCase() : value;

/** Appends what class-transformer passes besides the value, to compare those arguments too. */
const appendArguments = ({ value, key, obj, options }: TransformFnParams): unknown =>
  typeof value === 'string'
    ? `${value}:${key}:${Object.keys(obj as object).length}:${String(options.exposeUnsetFields)}`
    : value;

class FeaturesDto extends BaseFeaturesDto {
  // Overrides the inherited rule of the same type and property.
  @IsIn(['a', 'b', 'c'])
  declare kind: string;

  @IsOptional()
  @IsString()
  nickname?: string | null;

  @IsDefined()
  @Allow()
  anything!: unknown;

  @Optional()
  @IsString({ each: true })
  @MaxLength(3, { each: true })
  tags?: string[] | string;

  @Optional()
  @Length(2, 4, { validateIf: (_object: object, value: unknown) => value !== 'skip' })
  @IsString()
  code?: string;

  @Optional()
  @ValidateIf((object: FeaturesDto) => object.kind === 'c')
  @IsString()
  onlyForC?: string;

  @Optional()
  @Transform(upperCase)
  @Transform(appendArguments)
  @Transform(() => 'grouped', { groups: ['admin'] })
  @Transform(() => 'to plain', { toPlainOnly: true })
  @IsString()
  decorated?: string;

  // The constructor's value stays when a body leaves the property out.
  @IsIn(['draft', 'published'])
  status = 'draft';
}

class WithUndecoratedFieldDto {
  @IsString()
  name!: string;

  note = 'set by the constructor';
}

describe(compileValidator.name, () => {
  it.each(DTO_CASES)('compiles $name', ({ dto }) => {
    expect(compileValidator(dto, pipeSettings())).toBeInstanceOf(Function);
  });

  it.each(UNSUPPORTED_CASES)('leaves a class with $name to the full path', ({ dto }) => {
    expect(compileValidator(dto, pipeSettings())).toBeUndefined();
  });

  it('leaves a class with a sticky pattern to the full path', () => {
    // Each test of a sticky pattern starts where the last one stopped, so even two runs of the
    // full path may disagree, and only the compile result is compared.
    expect(compileValidator(WithStickyPatternDto, pipeSettings())).toBeUndefined();
  });

  it.each([
    ['validation groups', { groups: ['admin'] }],
    ['always', { always: true }],
    ['skipMissingProperties', { skipMissingProperties: true }],
    ['no whitelist', { whitelist: false }],
    ['stripping unknown properties', { forbidNonWhitelisted: false }],
    ['an option it does not know', { unknownOption: true }],
  ])('compiles nothing with %s', (_case, options) => {
    const settings = pipeSettings();
    const validatorOptions = { ...settings.validatorOptions, ...options } as ValidatorOptions;

    expect(compileValidator(CreateTaskDto, { ...settings, validatorOptions })).toBeUndefined();
  });

  it('compiles nothing with transform options', () => {
    const settings = { ...pipeSettings(), transformOptions: { exposeDefaultValues: true } };

    expect(compileValidator(CreateTaskDto, settings)).toBeUndefined();
  });

  it('returns the trimmed instance for a valid body', () => {
    const validator = compileValidator(CreateTaskDto, pipeSettings());

    const instance = validator?.({ title: '  Ship it  ', priority: 'low', labels: ['a'] });

    expect(instance).toBeInstanceOf(CreateTaskDto);
    expect(instance).toMatchObject({ title: 'Ship it', priority: 'low', labels: ['a'] });
  });

  it('returns undefined for an invalid body', () => {
    const validator = compileValidator(CreateTaskDto, pipeSettings());

    expect(validator?.({ title: 'ab', priority: 'low' })).toBeUndefined();
  });

  it('copies arrays instead of sharing them', () => {
    const validator = compileValidator(CreateTaskDto, pipeSettings());
    const labels = ['a', 'b'];

    const instance = validator?.({ title: 'Ship it', priority: 'low', labels }) as CreateTaskDto;

    expect(instance.labels).toEqual(labels);
    expect(instance.labels).not.toBe(labels);
  });
});

describe(createValidationPipe.name, () => {
  it('takes the compiled path for a valid CreateTaskDto', async () => {
    const pipe = createValidationPipe();
    const fullPathCalls = spyOnFullPath(pipe);

    const result = await pipe.transform(
      { title: 'Ship it', priority: 'low' },
      { type: 'body', metatype: CreateTaskDto },
    );

    expect(result).toBeInstanceOf(CreateTaskDto);
    expect(fullPathCalls).not.toHaveBeenCalled();
  });

  it('takes the full path for an invalid CreateTaskDto', async () => {
    const pipe = createValidationPipe();
    const fullPathCalls = spyOnFullPath(pipe);

    await expect(
      pipe.transform({ title: 'ab', priority: 'low' }, { type: 'body', metatype: CreateTaskDto }),
    ).rejects.toThrow('title must be between 3 and 200 characters');
    expect(fullPathCalls).toHaveBeenCalledTimes(1);
  });

  it('takes the full path when compiled checks are off', async () => {
    const pipe = createValidationPipe({ compiledChecks: false });
    const fullPathCalls = spyOnFullPath(pipe);

    await pipe.transform(
      { title: 'Ship it', priority: 'low' },
      { type: 'body', metatype: CreateTaskDto },
    );

    expect(fullPathCalls).toHaveBeenCalledTimes(1);
  });

  it('rejects forbidden keys before the compiled path', async () => {
    const pipe = createValidationPipe();
    const body: unknown = JSON.parse('{"title":"Ship it","priority":"low","__proto__":{}}');

    await expect(pipe.transform(body, { type: 'body', metatype: CreateTaskDto })).rejects.toThrow(
      '__proto__ is not an allowed property',
    );
  });

  it.each(DTO_CASES)('matches the full path for $name', async ({ dto, location, example }) => {
    const seed = [...dto.name].reduce((sum, character) => sum + character.charCodeAt(0), 0);

    const comparison = await compareOutcomes(dto, location, bodiesFor(example, seed));

    expect(comparison.accepted).toBeGreaterThan(0);
    expect(comparison.rejected).toBeGreaterThan(0);
    expect(comparison.compiledAccepted).toBeGreaterThan(0);
  });

  it.each(UNSUPPORTED_CASES)('matches the full path with $name', async ({ dto, inputs }) => {
    const comparison = await compareOutcomes(dto, 'body', inputs);

    expect(comparison.compiledAccepted).toBe(0);
  });

  it('matches the full path for other rule features', async () => {
    const example: Body = {
      kind: 'c',
      count: 3,
      nickname: null,
      anything: 'any value',
      tags: ['abc', 'de'],
      code: 'abc',
      onlyForC: 'yes',
      decorated: 'mixed Case',
    };
    const inputs = [
      ...bodiesFor(example, 7),
      { ...example, anything: { any: ['shape'] } },
      { ...example, anything: 1 },
      { ...example, anything: null },
      { ...example, kind: 'a', onlyForC: 1 },
      { ...example, tags: 'abc' },
      { ...example, tags: 'abcd' },
      { ...example, code: 'skip' },
      { ...example, status: 'published' },
    ];

    const comparison = await compareOutcomes(FeaturesDto, 'body', inputs);

    expect(compileValidator(FeaturesDto, pipeSettings())?.(example)).toBeInstanceOf(FeaturesDto);

    expect(comparison.accepted).toBeGreaterThan(0);
    expect(comparison.rejected).toBeGreaterThan(0);
    expect(comparison.compiledAccepted).toBeGreaterThan(0);
  });

  it('matches the full path for constructor fields', async () => {
    const comparison = await compareOutcomes(WithUndecoratedFieldDto, 'body', [
      { name: 'Ada' },
      { name: 'Ada', note: 'x' },
    ]);

    expect(comparison.accepted).toBe(0);
  });
});
