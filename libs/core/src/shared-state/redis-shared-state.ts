import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

import { ExpiringMembers } from './expiring-members.js';
import type { ExpiringSet, MemberListener } from './shared-state.js';
import { SharedState } from './shared-state.js';
import { bucketLength, type WindowCount } from './window-counter.js';

/** Every key and channel starts with this, so the service can share a Redis database. */
const PREFIX = 'codexflow:';
/** The error of SELECT when the server has fewer databases than the URL's number. */
const MISSING_DATABASE = /DB index is out of range/i;
/** A command that takes longer fails, so a hung Redis turns into 503s instead of hung requests. */
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnection delay grows with each try up to this, so service resumes soon after Redis does. */
const MAX_RECONNECT_DELAY_MS = 1_000;
const NO_LIMIT = -1;
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Sliding window in the same 60 buckets as the in-memory counter, one hash
 * field per bucket. Redis's own clock stamps the hit, so replicas whose
 * clocks differ still count in one window. Returns allowed (0 or 1), the
 * count and the milliseconds until the oldest bucket leaves the window.
 */
const TAKE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local bucket = tonumber(ARGV[3])
local oldestKept = math.floor((now - window) / bucket) + 1
local fields = redis.call('HGETALL', KEYS[1])
local count = 0
local oldest = nil
for i = 1, #fields, 2 do
  local index = tonumber(fields[i])
  if index < oldestKept then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    count = count + tonumber(fields[i + 1])
    if oldest == nil or index < oldest then oldest = index end
  end
end
local allowed = 0
if limit < 0 or count < limit then
  local current = math.floor(now / bucket)
  redis.call('HINCRBY', KEYS[1], string.format('%d', current), 1)
  count = count + 1
  allowed = 1
  if oldest == nil or current < oldest then oldest = current end
end
redis.call('PEXPIRE', KEYS[1], window + bucket)
local resetMs = 0
if oldest ~= nil then resetMs = oldest * bucket + window - now end
return {allowed, count, resetMs}
`;

interface MemberChange {
  member: string;
  expiresAtMs: number | null;
}

function parseChange(message: string): MemberChange | undefined {
  try {
    const change = JSON.parse(message) as Partial<MemberChange>;
    if (
      typeof change.member === 'string' &&
      (change.expiresAtMs === null || typeof change.expiresAtMs === 'number')
    ) {
      return { member: change.member, expiresAtMs: change.expiresAtMs };
    }
  } catch {
    // Not ours: fall through.
  }
  return undefined;
}

/**
 * One set as a sorted set scored by expiry, with a channel announcing each
 * change. This process keeps a copy: it subscribes first, then reloads the
 * whole set after every (re)connection, so no change falls between the two.
 * Channels, unlike keys, are shared by all databases of a server, so the
 * channel name carries the database number.
 */
class RedisExpiringSet implements ExpiringSet {
  private readonly members = new ExpiringMembers();
  private readonly listeners: MemberListener[] = [];
  private loaded = false;

  constructor(
    private readonly owner: RedisSharedState,
    readonly key: string,
    private readonly channel: string,
  ) {}

  get synced(): boolean {
    return this.loaded && this.owner.connected;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  has(member: string): boolean {
    return this.members.has(member);
  }

  async add(member: string, expiresAtMs: number): Promise<void> {
    this.apply({ member, expiresAtMs }, false);
    await this.owner.client
      .multi()
      .zadd(this.key, 'GT', expiresAtMs, member)
      .zremrangebyscore(this.key, '-inf', Date.now())
      .publish(this.channel, JSON.stringify({ member, expiresAtMs }))
      .exec();
  }

  async delete(member: string): Promise<void> {
    this.apply({ member, expiresAtMs: null }, false);
    await this.owner.client
      .multi()
      .zrem(this.key, member)
      .publish(this.channel, JSON.stringify({ member, expiresAtMs: null }))
      .exec();
  }

  onChange(listener: MemberListener): void {
    this.listeners.push(listener);
  }

  /** Marks the copy stale until the next reload. */
  invalidate(): void {
    this.loaded = false;
  }

  prune(now = Date.now()): void {
    this.members.prune(now);
  }

  async reload(): Promise<void> {
    const now = Date.now();
    this.prune(now);
    const entries = await this.owner.client.zrangebyscore(this.key, now, '+inf', 'WITHSCORES');
    for (let index = 0; index + 1 < entries.length; index += 2) {
      this.apply({ member: entries[index]!, expiresAtMs: Number(entries[index + 1]) }, true);
    }
    this.loaded = true;
  }

  receive(message: string): void {
    const change = parseChange(message);
    if (change !== undefined) {
      this.apply(change, true);
    }
  }

  private apply(change: MemberChange, notify: boolean): void {
    if (change.expiresAtMs === null) {
      this.members.delete(change.member);
    } else {
      this.members.extend(change.member, change.expiresAtMs);
    }
    if (notify) {
      for (const listener of this.listeners) {
        listener(change.member, change.expiresAtMs);
      }
    }
  }
}

/**
 * Shared state in Redis, for several replicas. Commands are not queued while
 * the connection is down: they fail at once, so the rules that must fail
 * closed (revocations, lockouts) return 503 instead of waiting.
 */
export class RedisSharedState extends SharedState implements OnModuleInit, OnModuleDestroy {
  readonly shared = true;
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly logger = new Logger('SharedState');
  /** The sets by channel name. */
  private readonly sets = new Map<string, RedisExpiringSet>();
  private readonly database: number;
  /** Set when Redis has no database of the URL's number; the connections then stay closed. */
  private databaseMissing = false;
  private subscriberReady = false;
  private outage = false;
  private pruneTimer?: NodeJS.Timeout;

  constructor(url: string) {
    super();
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    };
    this.client = new Redis(url, options);
    this.database = this.client.options.db ?? 0;
    this.client.defineCommand('takeFromWindow', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.subscriber = this.client.duplicate({ commandTimeout: undefined });

    for (const connection of [this.client, this.subscriber]) {
      connection.on('error', (error: Error) => {
        if (MISSING_DATABASE.test(error.message)) {
          this.closeForMissingDatabase();
        } else {
          this.reportOutage(error);
        }
      });
      connection.on('ready', () => this.reportRecovery());
    }
    this.subscriber.on('close', () => {
      this.subscriberReady = false;
      for (const set of this.sets.values()) {
        set.invalidate();
      }
    });
    this.subscriber.on('ready', () => {
      void this.resubscribe();
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      this.sets.get(channel)?.receive(message);
    });
  }

  /** Both connections are up, so commands reach Redis and announcements reach this process. */
  get connected(): boolean {
    return this.client.status === 'ready' && this.subscriberReady;
  }

  onModuleInit(): void {
    this.pruneTimer = setInterval(() => {
      for (const set of this.sets.values()) {
        set.prune();
      }
    }, PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    // Start-up does not wait for Redis: readiness reports 503 until it is connected.
    for (const connection of [this.client, this.subscriber]) {
      connection.connect().catch((error: unknown) => this.reportOutage(error as Error));
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.pruneTimer);
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
  }

  async take(key: string, windowMs: number, limit: number): Promise<WindowCount> {
    const client = this.client as Redis & {
      takeFromWindow(key: string, ...args: number[]): Promise<[number, number, number]>;
    };
    const [allowed, count, resetMs] = await client.takeFromWindow(
      PREFIX + key,
      windowMs,
      Number.isFinite(limit) ? limit : NO_LIMIT,
      bucketLength(windowMs),
    );
    return { allowed: allowed === 1, count, resetMs: Math.max(0, resetMs) };
  }

  async reset(key: string): Promise<void> {
    await this.client.del(PREFIX + key);
  }

  read(key: string): Promise<string | null> {
    return this.client.get(PREFIX + key);
  }

  async write(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(PREFIX + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async remove(...keys: string[]): Promise<void> {
    if (keys.length > 0) {
      await this.client.del(...keys.map((key) => PREFIX + key));
    }
  }

  expiringSet(name: string): ExpiringSet {
    const channel = `${PREFIX}db${this.database}:set:${name}`;
    let set = this.sets.get(channel);
    if (set === undefined) {
      set = new RedisExpiringSet(this, `${PREFIX}set:${name}`, channel);
      this.sets.set(channel, set);
      if (this.subscriber.status === 'ready') {
        void this.resubscribe();
      }
    }
    return set;
  }

  async ping(): Promise<void> {
    if (!this.connected || [...this.sets.values()].some((set) => !set.isLoaded)) {
      throw new Error('Redis is not connected, or a shared set is still loading');
    }
    await this.client.ping();
  }

  /** Subscribes to every set's channel, then reloads each set, so no change falls in between. */
  private async resubscribe(): Promise<void> {
    try {
      const channels = [...this.sets.keys()];
      if (channels.length > 0) {
        await this.subscriber.subscribe(...channels);
      }
      await Promise.all([...this.sets.values()].map((set) => set.reload()));
      // Ready only now: readiness and the sets' checks wait until every copy is complete.
      this.subscriberReady = true;
    } catch (error) {
      this.reportOutage(error as Error);
      // The next 'ready' of either connection tries again; until then the sets stay unsynced.
      setTimeout(() => {
        if (this.subscriber.status === 'ready') {
          void this.resubscribe();
        }
      }, MAX_RECONNECT_DELAY_MS).unref();
    }
  }

  /**
   * Closes both connections for good when SELECT failed. ioredis would go on
   * in database 0, mixing this deployment's keys with another's, so the
   * shared rules fail closed and readiness stays 503 until the URL is fixed.
   */
  private closeForMissingDatabase(): void {
    if (this.databaseMissing) {
      return;
    }
    this.databaseMissing = true;
    this.logger.error(
      `REDIS_URL selects database ${this.database}, which this Redis server does not have; ` +
        'shared rules fail closed until REDIS_URL names an existing database',
    );
    this.client.disconnect(false);
    this.subscriber.disconnect(false);
  }

  /** Logs the first error of an outage only; ioredis reports one per reconnection attempt. */
  private reportOutage(error: Error): void {
    if (!this.outage) {
      this.outage = true;
      this.logger.error(
        { err: error },
        'Redis is unreachable; shared rules fail closed until it returns',
      );
    }
  }

  private reportRecovery(): void {
    if (this.outage && this.client.status === 'ready') {
      this.outage = false;
      this.logger.log('Redis is reachable again');
    }
  }
}
