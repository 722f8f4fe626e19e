import { BUG_REPORTING_ROLES, type Role } from '@codexflow/access';
import { generatePublicId } from '@codexflow/core';
import {
  type Comment,
  isoWeekOf,
  PRIORITY_RANK,
  type Task,
  type TaskPriority,
  type TaskStatus,
  type TaskType,
} from '@codexflow/tasks';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Mean time from creation to done of the bulk-loaded tasks that get done. */
const MEAN_LEAD_TIME_DAYS = 25;

/** Names the demo accounts inside this file, so project and task specs can refer to them. */
export type DemoHandle =
  | 'admin'
  | 'manager'
  | 'developer1'
  | 'developer2'
  | 'developer3'
  | 'designer'
  | 'qa'
  | 'viewer';

export interface DemoAccount {
  handle: DemoHandle;
  role: Role;
  name: string;
  email: string;
  /** Published on purpose, so the command does not run with NODE_ENV=production. */
  password: string;
}

/**
 * One account per role of the permission matrix, and three developers so that
 * assignments spread over several people. The `.example` top-level domain is
 * reserved (RFC 2606), so no mail to these addresses can reach anyone.
 */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    handle: 'admin',
    role: 'admin',
    name: 'Amara Okafor',
    email: 'demo.admin@codexflow.example',
    password: 'admin-demo-passphrase',
  },
  {
    handle: 'manager',
    role: 'manager',
    name: 'Mateo Rossi',
    email: 'demo.manager@codexflow.example',
    password: 'manager-demo-passphrase',
  },
  {
    handle: 'developer1',
    role: 'developer',
    name: 'Priya Nair',
    email: 'demo.developer1@codexflow.example',
    password: 'developer1-demo-passphrase',
  },
  {
    handle: 'developer2',
    role: 'developer',
    name: 'Jonas Berg',
    email: 'demo.developer2@codexflow.example',
    password: 'developer2-demo-passphrase',
  },
  {
    handle: 'developer3',
    role: 'developer',
    name: 'Lin Wei',
    email: 'demo.developer3@codexflow.example',
    password: 'developer3-demo-passphrase',
  },
  {
    handle: 'designer',
    role: 'designer',
    name: 'Sofia Almeida',
    email: 'demo.designer@codexflow.example',
    password: 'designer-demo-passphrase',
  },
  {
    handle: 'qa',
    role: 'qa',
    name: 'Kwame Mensah',
    email: 'demo.qa@codexflow.example',
    password: 'qa-demo-passphrase',
  },
  {
    handle: 'viewer',
    role: 'viewer',
    name: 'Elena Petrova',
    email: 'demo.viewer@codexflow.example',
    password: 'viewer-demo-passphrase',
  },
];

export interface DemoProject {
  key: string;
  name: string;
  description: string;
  /** Members besides the manager, who owns every project and is a member through that. */
  members: DemoHandle[];
  taskCount: number;
  /**
   * How the tasks get into the database. `bulk` inserts them in batches, with
   * creation times spread over the past months. `service` creates each through
   * TasksService as the API would, so they are created at seeding time.
   */
  loading: 'bulk' | 'service';
  /** Parts of the product that task titles name. */
  components: readonly string[];
}

export const BIG_PROJECT_TASKS = 10_000;

/** The viewer is left out of PLAT, so the demo shows that projects are scoped to members. */
export const DEMO_PROJECTS: readonly DemoProject[] = [
  {
    key: 'SHOP',
    name: 'Storefront',
    description: 'The customer-facing web shop: catalogue, cart, checkout and accounts.',
    members: ['developer1', 'developer2', 'developer3', 'designer', 'qa', 'viewer'],
    taskCount: BIG_PROJECT_TASKS,
    loading: 'bulk',
    components: [
      'checkout',
      'cart',
      'product page',
      'search results',
      'order history',
      'wishlist',
      'payment form',
      'shipping estimate',
      'promo codes',
      'account settings',
      'invoice PDF',
      'category filters',
      'image gallery',
      'newsletter signup',
      'gift cards',
      'returns flow',
    ],
  },
  {
    key: 'MOBILE',
    name: 'Mobile app',
    description: 'The iOS and Android shopping app.',
    members: ['developer2', 'developer3', 'designer', 'qa', 'viewer'],
    taskCount: 40,
    loading: 'service',
    components: [
      'login screen',
      'push notifications',
      'offline sync',
      'store listing',
      'deep links',
      'biometric sign-in',
      'crash reporting',
      'settings screen',
      'in-app purchases',
      'onboarding',
    ],
  },
  {
    key: 'PLAT',
    name: 'Platform',
    description: 'Build, deployment and operations of the shop and the app.',
    members: ['developer1', 'qa'],
    taskCount: 20,
    loading: 'service',
    components: [
      'CI pipeline',
      'staging cluster',
      'database backups',
      'TLS certificates',
      'log shipping',
      'alert rules',
      'container images',
      'secrets rotation',
      'CDN cache',
      'cost dashboard',
    ],
  },
];

/** A deterministic generator of numbers in [0, 1) (mulberry32), so every seed run looks alike. */
export type Random = () => number;

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) {
    throw new RangeError('cannot pick from an empty list');
  }
  return item;
}

/** Picks a value with a chance proportional to its weight. */
function weighted<T>(random: Random, entries: ReadonlyArray<readonly [T, number]>): T {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let remaining = random() * total;
  for (const [value, weight] of entries) {
    remaining -= weight;
    if (remaining < 0) {
      return value;
    }
  }
  const last = entries[entries.length - 1];
  if (last === undefined) {
    throw new RangeError('cannot pick from an empty list');
  }
  return last[0];
}

function between(random: Random, low: number, high: number): number {
  return low + random() * (high - low);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const PRIORITY_WEIGHTS: ReadonlyArray<readonly [TaskPriority, number]> = [
  ['low', 20],
  ['medium', 45],
  ['high', 25],
  ['critical', 10],
];

const TYPE_WEIGHTS: ReadonlyArray<readonly [TaskType, number]> = [
  ['task', 65],
  ['bug', 25],
  ['design', 10],
];

const OPEN_STATUS_WEIGHTS: ReadonlyArray<readonly [TaskStatus, number]> = [
  ['todo', 50],
  ['in_progress', 30],
  ['in_review', 20],
];

const LABELS = [
  'frontend',
  'backend',
  'api',
  'accessibility',
  'performance',
  'security',
  'tech-debt',
  'customer-reported',
  'release-blocker',
  'good-first-task',
];

const BUG_SYMPTOMS = [
  'fails now and then',
  'times out under load',
  'shows stale data',
  'returns 500 for empty input',
  'broke with the last release',
  'loses its state after a restart',
  'logs personal data in plain text',
  'is slow on the first request',
  'ignores the configured timeout',
  'reports wrong totals',
];

/** Task titles, with `%s` standing for the part of the product. */
const TASK_TEMPLATES = [
  'Refactor the %s',
  'Write end-to-end tests for the %s',
  'Add monitoring to the %s',
  'Document the %s',
  'Speed up the %s',
  'Put the %s behind a feature flag',
  'Clean up the error handling of the %s',
  'Upgrade the dependencies of the %s',
  'Review the permissions of the %s',
  'Add structured logging to the %s',
];

const DESIGN_SUBJECTS = [
  'empty state',
  'mobile layout',
  'dark mode',
  'loading skeleton',
  'error messages',
  'first-use tour',
];

const COMMENTS = [
  'Reproduced on staging.',
  'I have a fix in review.',
  'Can we ship this behind a flag first?',
  'Blocked until the payments API change is deployed.',
  'Moved to the next sprint.',
  'Looks good to me.',
  'The customer confirmed the fix.',
  'Needs a design review before we build it.',
  'Added a regression test.',
  'Not reproducible any more; please reopen if it comes back.',
];

/** The role that creates most tasks of each type. */
const USUAL_CREATOR: Record<TaskType, Role> = { bug: 'qa', design: 'designer', task: 'developer' };

/** Writes a title that reads like the type of task it names. */
function titleFor(random: Random, type: TaskType, components: readonly string[]): string {
  const component = pick(random, components);
  switch (type) {
    case 'bug':
      return `${capitalise(component)}: ${pick(random, BUG_SYMPTOMS)}`;
    case 'design':
      return `Design the ${pick(random, DESIGN_SUBJECTS)} of the ${component}`;
    case 'task':
      return pick(random, TASK_TEMPLATES).replace('%s', component);
  }
}

function descriptionFor(random: Random, type: TaskType): string {
  if (random() < 0.3) {
    return '';
  }
  switch (type) {
    case 'bug':
      return 'Steps to reproduce are in the first comment. Expected: the documented behaviour. Actual: see the title.';
    case 'design':
      return 'Mock-ups for desktop and mobile, reviewed with the product manager before development starts.';
    case 'task':
      return 'Done when the change is merged, covered by tests and deployed to staging.';
  }
}

function labelsFor(random: Random): string[] {
  const count = weighted(random, [
    [0, 25],
    [1, 40],
    [2, 25],
    [3, 10],
  ]);
  const labels = new Set<string>();
  while (labels.size < count) {
    labels.add(pick(random, LABELS));
  }
  return [...labels];
}

/** Picks the creator of a task of this type. Only BUG_REPORTING_ROLES may create bugs. */
function creatorFor(random: Random, type: TaskType, members: readonly DemoMember[]): DemoMember {
  const candidates = members.filter((member) => {
    if (member.role === 'viewer' || member.role === 'admin') {
      return false;
    }
    return type !== 'bug' || BUG_REPORTING_ROLES.includes(member.role);
  });
  const favourites = candidates.filter((member) => member.role === USUAL_CREATOR[type]);
  return pick(random, favourites.length > 0 && random() < 0.7 ? favourites : candidates);
}

/** Picks the assignee of a task of this type, or null for an unassigned task. */
function assigneeFor(
  random: Random,
  type: TaskType,
  members: readonly DemoMember[],
): DemoMember | null {
  if (random() < 0.08) {
    return null;
  }
  const workers = members.filter((member) => member.role !== 'viewer' && member.role !== 'admin');
  const byRole = (role: Role) => workers.filter((member) => member.role === role);
  const developers = byRole('developer');
  let pool: DemoMember[];
  if (type === 'design') {
    pool = random() < 0.8 ? byRole('designer') : developers;
  } else if (type === 'bug') {
    pool = random() < 0.85 ? developers : byRole('qa');
  } else {
    pool = random() < 0.85 ? developers : workers;
  }
  if (pool.length === 0) {
    pool = workers;
  }
  // The first developer takes more work than the others, so the breakdown by assignee is uneven.
  if (pool === developers && pool.length > 1 && random() < 0.25) {
    return pool[0] ?? null;
  }
  return pick(random, pool);
}

/** A member of a demo project, once its account exists. */
export interface DemoMember {
  userId: string;
  role: Role;
}

export interface BulkTaskOptions {
  projectId: string;
  projectKey: string;
  /** The first task number to use; the numbers continue without gaps from it. */
  firstNumber: number;
  count: number;
  members: readonly DemoMember[];
  components: readonly string[];
  now: Date;
  /** How far back the oldest task was created. */
  historyDays: number;
  random: Random;
}

/**
 * Builds stored tasks as TasksService writes them, created evenly over
 * `historyDays` up to `now` in the order of their numbers. Older tasks are
 * more often done, and about a quarter have no due date. The open tasks with
 * a past due date make up the overdue count.
 */
export function buildBulkTasks(options: BulkTaskOptions): Task[] {
  const { random, now } = options;
  const span = options.historyDays * DAY_MS;
  const start = now.getTime() - span;
  const step = span / options.count;
  const tasks: Task[] = [];

  for (let index = 0; index < options.count; index += 1) {
    const createdAt = new Date(Math.floor(start + (index + random()) * step));
    const age = now.getTime() - createdAt.getTime();
    const type = weighted(random, TYPE_WEIGHTS);
    const priority = weighted(random, PRIORITY_WEIGHTS);
    // Exponentially distributed lead times keep the weekly count of done tasks steady; one
    // task in ten is never done, so the old backlog keeps open and overdue tasks too.
    const leadTime = 2 * HOUR_MS - Math.log(1 - random()) * MEAN_LEAD_TIME_DAYS * DAY_MS;
    const isDone = random() >= 0.1 && leadTime <= age;
    const status = isDone ? 'done' : weighted(random, OPEN_STATUS_WEIGHTS);
    const doneAt = isDone ? new Date(createdAt.getTime() + leadTime) : null;
    const dueDate =
      random() < 0.25
        ? null
        : new Date(createdAt.getTime() + Math.round(between(random, 3, 45)) * DAY_MS);
    const number = options.firstNumber + index;

    tasks.push({
      publicId: generatePublicId('tsk'),
      projectId: options.projectId,
      number,
      key: `${options.projectKey}-${number}`,
      title: titleFor(random, type, options.components),
      description: descriptionFor(random, type),
      priority,
      priorityRank: PRIORITY_RANK[priority],
      status,
      type,
      assigneeId: assigneeFor(random, type, options.members)?.userId ?? null,
      dueDate,
      labels: labelsFor(random),
      createdBy: creatorFor(random, type, options.members).userId,
      version: 1,
      createdWeek: isoWeekOf(createdAt).label,
      doneAt,
      doneWeek: doneAt === null ? null : isoWeekOf(doneAt).label,
      createdAt,
      updatedAt: doneAt ?? createdAt,
    });
  }
  return tasks;
}

export interface BulkCommentOptions {
  tasks: readonly Task[];
  /** The share of tasks that get comments, between 0 and 1. */
  share: number;
  members: readonly DemoMember[];
  now: Date;
  random: Random;
}

/** Writes a comment body; now and then it names a member by id, as the API's mentions expect. */
function commentBody(random: Random, mentioned: DemoMember | undefined): string {
  const text = pick(random, COMMENTS);
  return mentioned === undefined ? text : `${mentioned.userId}, could you take a look? ${text}`;
}

/**
 * Builds 1 to 3 stored comments, as CommentsService writes them, on about
 * `share` of the tasks. Authors are members who may comment, and each comment
 * is dated after its task and before `now`, oldest first.
 */
export function buildBulkComments(options: BulkCommentOptions): Comment[] {
  const { random, now } = options;
  const authors = options.members.filter(
    (member) => member.role !== 'viewer' && member.role !== 'admin',
  );
  const comments: Comment[] = [];

  for (const task of options.tasks) {
    if (random() >= options.share) {
      continue;
    }
    const count = weighted(random, [
      [1, 50],
      [2, 30],
      [3, 20],
    ]);
    const window = Math.min(now.getTime() - task.createdAt.getTime(), 20 * DAY_MS);
    const times = Array.from({ length: count }, () =>
      Math.floor(task.createdAt.getTime() + random() * window),
    ).sort((a, b) => a - b);

    for (const time of times) {
      const mentioned = random() < 0.1 ? pick(random, authors) : undefined;
      const at = new Date(time);
      comments.push({
        publicId: generatePublicId('cmt'),
        taskId: task.publicId,
        projectId: task.projectId,
        authorId: pick(random, authors).userId,
        body: commentBody(random, mentioned),
        mentions: mentioned === undefined ? [] : [mentioned.userId],
        createdAt: at,
        updatedAt: at,
      });
    }
  }
  return comments;
}

/** A task to create through TasksService, with the comments to add through CommentsService. */
export interface ServiceTaskDraft {
  creator: DemoMember;
  input: {
    title: string;
    description?: string;
    priority: TaskPriority;
    status: TaskStatus;
    type: TaskType;
    assignee?: string;
    dueDate?: string;
    labels: string[];
  };
  comments: Array<{ author: DemoMember; body: string }>;
}

/**
 * Drafts the tasks of a project that TasksService creates one by one. The
 * service rejects due dates in the past, so every due date lies 1 to 60 days
 * after `now`.
 */
export function draftServiceTasks(
  project: DemoProject,
  members: readonly DemoMember[],
  now: Date,
  random: Random,
): ServiceTaskDraft[] {
  const authors = members.filter((member) => member.role !== 'viewer' && member.role !== 'admin');
  return Array.from({ length: project.taskCount }, () => {
    const type = weighted(random, TYPE_WEIGHTS);
    const priority = weighted(random, PRIORITY_WEIGHTS);
    const assignee = assigneeFor(random, type, members);
    const description = descriptionFor(random, type);
    const dueInDays = random() < 0.3 ? undefined : Math.round(between(random, 1, 60));
    const commentCount =
      random() < 0.3 ? weighted(random, [[1, 60] as const, [2, 40] as const]) : 0;
    return {
      creator: creatorFor(random, type, members),
      input: {
        title: titleFor(random, type, project.components),
        ...(description === '' ? {} : { description }),
        priority,
        status: weighted(random, [
          ['todo', 45],
          ['in_progress', 25],
          ['in_review', 15],
          ['done', 15],
        ] as const),
        type,
        ...(assignee === null ? {} : { assignee: assignee.userId }),
        ...(dueInDays === undefined
          ? {}
          : { dueDate: new Date(now.getTime() + dueInDays * DAY_MS).toISOString() }),
        labels: labelsFor(random),
      },
      comments: Array.from({ length: commentCount }, () => ({
        author: pick(random, authors),
        body: pick(random, COMMENTS),
      })),
    };
  });
}
