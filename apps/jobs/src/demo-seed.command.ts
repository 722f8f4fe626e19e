import { HttpStatus, type INestApplicationContext, Logger } from '@nestjs/common';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';

import { type Principal, permissionsForRole, type Role } from '@codexflow/access';
import { PasswordHasher, PasswordPolicy } from '@codexflow/auth';
import { AuditRecorder, generatePublicId, ProblemException } from '@codexflow/core';
import { Project, ProjectsService } from '@codexflow/projects';
import { Comment, CommentsService, Task, TasksService } from '@codexflow/tasks';
import { UsersService } from '@codexflow/users';

import type { JobCommand } from './commands.js';
import {
  buildBulkComments,
  buildBulkTasks,
  createRandom,
  DEMO_ACCOUNTS,
  DEMO_PROJECTS,
  type DemoAccount,
  type DemoHandle,
  type DemoMember,
  type DemoProject,
  draftServiceTasks,
} from './demo-data.js';
import { type DemoSeedReport, formatSummary } from './demo-summary.js';
import { withJobContext } from './job-context.js';

/** Exit status when the command does nothing: bad arguments, production, or demo data already there. */
export const EXIT_REJECTED = 2;

/** Documents per insertMany call: FerretDB 1.24 is slow per round trip, and this keeps each call small. */
const INSERT_BATCH_SIZE = 1_000;
/** The oldest bulk-loaded task is this old, so the 12-week analytics series is filled. */
const HISTORY_DAYS = 180;
/** About this share of bulk-loaded tasks get 1 to 3 comments. */
const COMMENTED_SHARE = 0.3;
/** Fixed, so that two seeded databases contain the same titles, statuses and spread. */
const RANDOM_SEED = 20_240_601;

const USAGE = 'Usage: demo:seed [--json]\n';

/** The reason the command left the database as it was, printed as one line. */
class SeedRejected extends Error {}

interface CreatedAccount extends DemoAccount {
  id: string;
}

/** Builds the principal that a signed-in request of the demo user would carry, for calling the services. */
function principalOf(userId: string, role: Role): Principal {
  return {
    userId,
    sessionId: 'demo-seed',
    role,
    permissions: permissionsForRole(role),
    amr: [],
    tokenId: 'demo-seed',
    tokenExpiresAt: new Date(),
    transport: 'bearer',
  };
}

function seconds(startedAt: number): string {
  return ((performance.now() - startedAt) / 1000).toFixed(1);
}

/** Fills the database through the domain services, and bulk-inserts the big project's tasks and comments. */
class DemoSeeder {
  private readonly logger = new Logger('DemoSeed');
  private readonly users: UsersService;
  private readonly projects: ProjectsService;
  private readonly tasks: TasksService;
  private readonly comments: CommentsService;
  private readonly audit: AuditRecorder;
  private readonly random = createRandom(RANDOM_SEED);
  private readonly now = new Date();

  constructor(private readonly context: INestApplicationContext) {
    this.users = context.get(UsersService, { strict: false });
    this.projects = context.get(ProjectsService, { strict: false });
    this.tasks = context.get(TasksService, { strict: false });
    this.comments = context.get(CommentsService, { strict: false });
    this.audit = context.get(AuditRecorder, { strict: false });
  }

  async seed(): Promise<DemoSeedReport> {
    await this.assertNoDemoData();
    const accounts = await this.createAccounts();
    const byHandle = new Map<DemoHandle, CreatedAccount>(
      accounts.map((account) => [account.handle, account]),
    );
    const member = (handle: DemoHandle): DemoMember => {
      const account = byHandle.get(handle);
      if (account === undefined) {
        throw new Error(`no demo account ${handle}`);
      }
      return { userId: account.id, role: account.role };
    };
    const manager = member('manager');

    // TasksService finds the next task number with a sorted query that FerretDB evaluates by
    // reading the whole tasks collection, so the tasks it creates go in before the bulk load.
    const loadingOrder = [
      ...DEMO_PROJECTS.filter((spec) => spec.loading === 'service'),
      ...DEMO_PROJECTS.filter((spec) => spec.loading === 'bulk'),
    ];
    const projectIds = new Map<string, string>();
    let commentCount = 0;
    for (const spec of loadingOrder) {
      const members = [manager, ...spec.members.map(member)];
      const projectId = await this.createProject(spec, manager, members);
      projectIds.set(spec.key, projectId);
      commentCount +=
        spec.loading === 'bulk'
          ? await this.bulkLoadTasks(spec, projectId, members)
          : await this.createTasksThroughServices(spec, projectId, members);
    }
    const projects = DEMO_PROJECTS.map((spec) => ({
      id: projectIds.get(spec.key) ?? '',
      key: spec.key,
      name: spec.name,
      taskCount: spec.taskCount,
    }));

    await this.audit.record({
      action: 'demo.seed',
      resource: 'projects',
      userId: null,
      result: 'success',
      details: {
        users: accounts.length,
        projects: projects.length,
        tasks: projects.reduce((sum, project) => sum + project.taskCount, 0),
        comments: commentCount,
      },
    });

    return {
      users: accounts.map((account) => ({
        email: account.email,
        password: account.password,
        role: account.role,
        id: account.id,
      })),
      projects,
    };
  }

  /** Rejects a database that contains any demo account or demo project key, so a second run changes nothing. */
  private async assertNoDemoData(): Promise<void> {
    for (const account of DEMO_ACCOUNTS) {
      if ((await this.users.findByEmail(account.email)) !== null) {
        throw new SeedRejected(
          `the database already contains demo data (the account ${account.email} exists); nothing was changed`,
        );
      }
    }
    const projectModel = this.context.get<Model<Project>>(getModelToken(Project.name), {
      strict: false,
    });
    for (const project of DEMO_PROJECTS) {
      if ((await projectModel.exists({ key: project.key }).exec()) !== null) {
        throw new SeedRejected(
          `the project key ${project.key} is already in use; nothing was changed`,
        );
      }
    }
  }

  private async createAccounts(): Promise<CreatedAccount[]> {
    const policy = this.context.get(PasswordPolicy, { strict: false });
    const hasher = this.context.get(PasswordHasher, { strict: false });
    for (const account of DEMO_ACCOUNTS) {
      const problems = policy.check(account.password, account.email);
      if (problems.length > 0) {
        throw new Error(
          `the demo password of ${account.email} is rejected: ${problems.join('; ')}`,
        );
      }
    }
    const hashes = await Promise.all(DEMO_ACCOUNTS.map((account) => hasher.hash(account.password)));

    const created: CreatedAccount[] = [];
    for (const [index, account] of DEMO_ACCOUNTS.entries()) {
      const user = await this.users.create({
        publicId: generatePublicId('usr'),
        email: account.email,
        name: account.name,
        role: account.role,
        status: 'active',
        emailVerified: true,
        passwordHash: hashes[index] ?? null,
      });
      if (user === null) {
        throw new SeedRejected(
          `another run created the account ${account.email} after this run checked for it; this run stopped after creating ${created.length} accounts`,
        );
      }
      // Accounts with published passwords are worth a line each in the audit trail.
      await this.audit.record({
        action: 'users.create',
        resource: 'users',
        resourceId: user.publicId,
        userId: null,
        result: 'success',
        details: { role: account.role, source: 'demo:seed' },
      });
      created.push({ ...account, id: user.publicId });
    }
    this.logger.log({ users: created.length }, 'created the demo accounts');
    return created;
  }

  private async createProject(
    spec: DemoProject,
    manager: DemoMember,
    members: readonly DemoMember[],
  ): Promise<string> {
    const actor = principalOf(manager.userId, manager.role);
    let project: Project;
    try {
      project = await this.projects.create(actor, {
        key: spec.key,
        name: spec.name,
        description: spec.description,
      });
    } catch (error) {
      if (error instanceof ProblemException && error.getStatus() === Number(HttpStatus.CONFLICT)) {
        throw new SeedRejected(
          `the project key ${spec.key} was taken after this run checked for it; the accounts and projects created before stay`,
        );
      }
      throw error;
    }
    for (const { userId } of members) {
      if (userId !== manager.userId) {
        await this.projects.addMember(actor, project.publicId, userId);
      }
    }
    this.logger.log(
      { project: spec.key, projectId: project.publicId, members: members.length },
      'created a demo project',
    );
    return project.publicId;
  }

  /** Creates each task and comment through the services, with the checks and sanitising of the API. */
  private async createTasksThroughServices(
    spec: DemoProject,
    projectId: string,
    members: readonly DemoMember[],
  ): Promise<number> {
    const startedAt = performance.now();
    let commentCount = 0;
    for (const draft of draftServiceTasks(spec, members, this.now, this.random)) {
      const task = await this.tasks.create(
        principalOf(draft.creator.userId, draft.creator.role),
        projectId,
        draft.input,
      );
      for (const comment of draft.comments) {
        await this.comments.create(
          principalOf(comment.author.userId, comment.author.role),
          task.publicId,
          comment.body,
        );
        commentCount += 1;
      }
    }
    this.logger.log(
      {
        project: spec.key,
        tasks: spec.taskCount,
        comments: commentCount,
        seconds: seconds(startedAt),
      },
      'created the tasks through the services',
    );
    return commentCount;
  }

  /**
   * Inserts the tasks and comments in batches, in the shape TasksService and
   * CommentsService write. The project is new, so the task numbers start at 1
   * and the next task created through the API continues the sequence.
   */
  private async bulkLoadTasks(
    spec: DemoProject,
    projectId: string,
    members: readonly DemoMember[],
  ): Promise<number> {
    const taskModel = this.context.get<Model<Task>>(getModelToken(Task.name), { strict: false });
    const commentModel = this.context.get<Model<Comment>>(getModelToken(Comment.name), {
      strict: false,
    });
    const tasks = buildBulkTasks({
      projectId,
      projectKey: spec.key,
      firstNumber: 1,
      count: spec.taskCount,
      members,
      components: spec.components,
      now: this.now,
      historyDays: HISTORY_DAYS,
      random: this.random,
    });
    const comments = buildBulkComments({
      tasks,
      share: COMMENTED_SHARE,
      members,
      now: this.now,
      random: this.random,
    });

    const startedAt = performance.now();
    await this.insertInBatches(taskModel, tasks, `${spec.key} tasks`);
    await this.insertInBatches(commentModel, comments, `${spec.key} comments`);
    this.logger.log(
      {
        project: spec.key,
        tasks: tasks.length,
        comments: comments.length,
        seconds: seconds(startedAt),
      },
      'inserted the tasks and comments in batches',
    );
    return comments.length;
  }

  /** Inserts in order, so a failure leaves a prefix of the numbered tasks and no gap. */
  private async insertInBatches<Row>(model: Model<Row>, rows: Row[], label: string): Promise<void> {
    for (let start = 0; start < rows.length; start += INSERT_BATCH_SIZE) {
      const batch = rows.slice(start, start + INSERT_BATCH_SIZE);
      await model.insertMany(batch, { ordered: true });
      this.logger.log({ inserted: start + batch.length, of: rows.length }, `inserting ${label}`);
    }
  }
}

function parseOptions(args: string[]): { json: boolean } | undefined {
  const unknown = args.filter((arg) => arg !== '--json');
  return unknown.length > 0 ? undefined : { json: args.includes('--json') };
}

/**
 * Seeds an empty database with demo accounts of every role, three projects and
 * 10,000 tasks. It exits with code 2 after one line on stderr, changing nothing, when
 * the database already contains a demo account or project key, and in production.
 */
export const seedDemoCommand: JobCommand = {
  name: 'demo:seed',
  description:
    'Fill an empty database with demo users, projects, tasks and comments (options: --json)',
  run: async (args) => {
    const options = parseOptions(args);
    if (options === undefined) {
      process.stderr.write(USAGE);
      return EXIT_REJECTED;
    }
    if (process.env.NODE_ENV === 'production') {
      process.stderr.write(
        'demo:seed: NODE_ENV=production is not allowed, because the demo accounts have published passwords\n',
      );
      return EXIT_REJECTED;
    }

    const startedAt = performance.now();
    try {
      const report = await withJobContext((context) => new DemoSeeder(context).seed());
      process.stdout.write(
        options.json ? `${JSON.stringify(report)}\n` : formatSummary(report, seconds(startedAt)),
      );
      return 0;
    } catch (error) {
      if (error instanceof SeedRejected) {
        process.stderr.write(`demo:seed: ${error.message}\n`);
        return EXIT_REJECTED;
      }
      throw error;
    }
  },
};
