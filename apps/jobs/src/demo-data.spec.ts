import { describe, expect, it } from '@jest/globals';

import { BUG_REPORTING_ROLES, ROLES } from '@codexflow/access';
import { PasswordPolicy } from '@codexflow/auth';
import {
  isoWeekOf,
  PRIORITY_RANK,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
} from '@codexflow/tasks';

import {
  buildBulkComments,
  buildBulkTasks,
  createRandom,
  DEMO_ACCOUNTS,
  DEMO_PROJECTS,
  type DemoMember,
  draftServiceTasks,
} from './demo-data.js';
import { formatSummary } from './demo-summary.js';

const NOW = new Date('2026-03-04T12:00:00Z');
const MEMBERS: DemoMember[] = [
  { userId: 'usr_manager0000000000000', role: 'manager' },
  { userId: 'usr_developer100000000000', role: 'developer' },
  { userId: 'usr_developer200000000000', role: 'developer' },
  { userId: 'usr_designer0000000000000', role: 'designer' },
  { userId: 'usr_qa0000000000000000000', role: 'qa' },
  { userId: 'usr_viewer000000000000000', role: 'viewer' },
];
const ROLE_OF = new Map(MEMBERS.map((member) => [member.userId, member.role]));

function bulkTasks(count = 2_000) {
  return buildBulkTasks({
    projectId: 'prj_demo0000000000000000',
    projectKey: 'SHOP',
    firstNumber: 1,
    count,
    members: MEMBERS,
    components: ['checkout', 'cart'],
    now: NOW,
    historyDays: 180,
    random: createRandom(7),
  });
}

describe('demo accounts', () => {
  it('cover every role, with passwords the policy accepts', () => {
    const policy = new PasswordPolicy();

    expect(new Set(DEMO_ACCOUNTS.map((account) => account.role))).toEqual(new Set(ROLES));
    for (const account of DEMO_ACCOUNTS) {
      expect(policy.check(account.password, account.email)).toEqual([]);
    }
  });
});

describe('demo projects', () => {
  it('are three, one with 10,000 tasks', () => {
    expect(DEMO_PROJECTS).toHaveLength(3);
    expect(DEMO_PROJECTS.filter((project) => project.taskCount === 10_000)).toHaveLength(1);
  });

  it('leave the admin out of the members', () => {
    const handles = new Set(DEMO_PROJECTS.flatMap((project) => project.members));

    expect(handles.has('admin')).toBe(false);
  });
});

describe(buildBulkTasks.name, () => {
  const tasks = bulkTasks();

  it('numbers the tasks without gaps, in the order they were created', () => {
    expect(tasks.map((task) => task.number)).toEqual(tasks.map((_, index) => index + 1));
    expect(tasks.map((task) => task.key)).toEqual(tasks.map((_, index) => `SHOP-${index + 1}`));
    for (let index = 1; index < tasks.length; index += 1) {
      expect(tasks[index]!.createdAt.getTime()).toBeGreaterThanOrEqual(
        tasks[index - 1]!.createdAt.getTime(),
      );
    }
    expect(tasks.at(-1)!.createdAt.getTime()).toBeLessThanOrEqual(NOW.getTime());
  });

  it('stores the derived fields as TasksService does', () => {
    for (const task of tasks) {
      expect(task.priorityRank).toBe(PRIORITY_RANK[task.priority]);
      expect(task.createdWeek).toBe(isoWeekOf(task.createdAt).label);
      expect(task.version).toBe(1);
      if (task.status === 'done') {
        expect(task.doneAt!.getTime()).toBeGreaterThanOrEqual(task.createdAt.getTime());
        expect(task.doneAt!.getTime()).toBeLessThanOrEqual(NOW.getTime());
        expect(task.doneWeek).toBe(isoWeekOf(task.doneAt!).label);
      } else {
        expect(task.doneAt).toBeNull();
        expect(task.doneWeek).toBeNull();
      }
    }
  });

  it('spreads the tasks over every status, priority and type', () => {
    expect(new Set(tasks.map((task) => task.status))).toEqual(new Set(TASK_STATUSES));
    expect(new Set(tasks.map((task) => task.priority))).toEqual(new Set(TASK_PRIORITIES));
    expect(new Set(tasks.map((task) => task.type))).toEqual(new Set(TASK_TYPES));
  });

  it('assigns members who can work on tasks, and leaves some unassigned', () => {
    const assignees = new Set(tasks.map((task) => task.assigneeId));

    expect(assignees.has(null)).toBe(true);
    for (const assignee of assignees) {
      if (assignee !== null) {
        expect(['manager', 'developer', 'designer', 'qa']).toContain(ROLE_OF.get(assignee));
      }
    }
  });

  it('lets only roles that may create bugs create them', () => {
    for (const task of tasks) {
      const role = ROLE_OF.get(task.createdBy);
      expect(role).toBeDefined();
      expect(role).not.toBe('viewer');
      if (task.type === 'bug') {
        expect(BUG_REPORTING_ROLES).toContain(role);
      }
    }
  });

  it('leaves some tasks without a due date and some overdue', () => {
    const overdue = tasks.filter(
      (task) => task.status !== 'done' && task.dueDate !== null && task.dueDate < NOW,
    );

    expect(tasks.some((task) => task.dueDate === null)).toBe(true);
    expect(overdue.length).toBeGreaterThan(0);
    expect(overdue.length).toBeLessThan(tasks.length / 2);
  });

  it('gives each task at most 3 distinct labels', () => {
    for (const task of tasks) {
      expect(task.labels.length).toBeLessThanOrEqual(3);
      expect(new Set(task.labels).size).toBe(task.labels.length);
    }
  });

  it('is deterministic apart from the public ids', () => {
    const titles = (list: typeof tasks) => list.map((task) => task.title);

    expect(titles(bulkTasks(50))).toEqual(titles(bulkTasks(50)));
  });
});

describe(buildBulkComments.name, () => {
  const tasks = bulkTasks();
  const comments = buildBulkComments({
    tasks,
    share: 0.3,
    members: MEMBERS,
    now: NOW,
    random: createRandom(11),
  });
  const taskById = new Map(tasks.map((task) => [task.publicId, task]));

  it('puts 1 to 3 comments on about the requested share of tasks', () => {
    const perTask = new Map<string, number>();
    for (const comment of comments) {
      perTask.set(comment.taskId, (perTask.get(comment.taskId) ?? 0) + 1);
    }

    expect(perTask.size).toBeGreaterThan(tasks.length * 0.25);
    expect(perTask.size).toBeLessThan(tasks.length * 0.35);
    expect(Math.max(...perTask.values())).toBe(3);
    expect(Math.min(...perTask.values())).toBe(1);
  });

  it('dates comments between their task and now', () => {
    for (const comment of comments) {
      const task = taskById.get(comment.taskId)!;
      expect(comment.projectId).toBe(task.projectId);
      expect(comment.createdAt.getTime()).toBeGreaterThanOrEqual(task.createdAt.getTime());
      expect(comment.createdAt.getTime()).toBeLessThanOrEqual(NOW.getTime());
    }
  });

  it('has only members who may comment write', () => {
    for (const comment of comments) {
      expect(['manager', 'developer', 'designer', 'qa']).toContain(ROLE_OF.get(comment.authorId));
    }
  });

  it('lists in mentions exactly the member ids named in the body', () => {
    const mentioning = comments.filter((comment) => comment.mentions.length > 0);

    expect(mentioning.length).toBeGreaterThan(0);
    for (const comment of comments) {
      const named = comment.body.match(/usr_[0-9A-Za-z]+/g) ?? [];
      expect(comment.mentions).toEqual(named);
    }
  });
});

describe(draftServiceTasks.name, () => {
  const project = DEMO_PROJECTS.find((candidate) => candidate.loading === 'service')!;
  const drafts = draftServiceTasks(project, MEMBERS, NOW, createRandom(3));

  it('drafts the project task count', () => {
    expect(drafts).toHaveLength(project.taskCount);
  });

  it('sets due dates after now', () => {
    for (const draft of drafts) {
      if (draft.input.dueDate !== undefined) {
        expect(new Date(draft.input.dueDate).getTime()).toBeGreaterThan(NOW.getTime());
      }
    }
  });

  it('lets only roles that may create bugs create them', () => {
    for (const draft of drafts) {
      if (draft.input.type === 'bug') {
        expect(BUG_REPORTING_ROLES).toContain(draft.creator.role);
      }
    }
  });
});

describe(formatSummary.name, () => {
  it('lists accounts with passwords and projects with task counts', () => {
    const summary = formatSummary(
      {
        users: [
          {
            email: 'demo.qa@codexflow.example',
            password: 'qa-demo-passphrase',
            role: 'qa',
            id: 'usr_1',
          },
        ],
        projects: [{ id: 'prj_1', key: 'SHOP', name: 'Storefront', taskCount: 10_000 }],
      },
      '12.5',
    );

    expect(summary).toContain('Demo data created in 12.5 s.');
    expect(summary).toMatch(/qa\s+demo\.qa@codexflow\.example\s+qa-demo-passphrase\s+usr_1/);
    expect(summary).toMatch(/prj_1\s+SHOP\s+Storefront\s+10000/);
  });
});
