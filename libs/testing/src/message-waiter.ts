/** Wording of a `MessageWaiter`'s timeout errors. */
export interface MessageWaiterWording<T> {
  /** Name of one message in "no … matching", such as `mail` or `SMS`. */
  noun: string;
  /** Names of the counted messages, in the singular and the plural. */
  counted: readonly [one: string, many: string];
  /** One line that identifies a received message, such as its recipient and subject. */
  describe: (message: T) => string;
}

interface Waiter<T> {
  matches: (message: T) => boolean;
  resolve: (message: T) => void;
  reject: (error: Error) => void;
  description: string;
  timer: NodeJS.Timeout;
}

/**
 * Keeps the messages a test server received and hands each to at most one `waitFor` call: the
 * first one that matches it and has not been returned before. For tests only.
 */
export class MessageWaiter<T> {
  /** Every message added so far, in arrival order. */
  readonly messages: T[] = [];
  private readonly returned = new Set<T>();
  private readonly waiters: Waiter<T>[] = [];

  constructor(private readonly wording: MessageWaiterWording<T>) {}

  /** Keeps a new message and hands it to the oldest pending `waitFor` that matches it. */
  add(message: T): void {
    this.messages.push(message);
    for (const waiter of [...this.waiters]) {
      let matched: boolean;
      try {
        matched = waiter.matches(message);
      } catch (error) {
        // A predicate that throws fails its own wait, not the delivery of the message.
        this.remove(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (matched) {
        this.remove(waiter);
        this.returned.add(message);
        waiter.resolve(message);
        return;
      }
    }
  }

  /**
   * Resolves with the first message, already received or still to come, that matches and that
   * no earlier call returned. Rejects after `timeoutMs` with an error that lists what arrived.
   */
  async waitFor(
    matches: (message: T) => boolean,
    description: string,
    timeoutMs: number,
  ): Promise<T> {
    const found = this.messages.find((message) => !this.returned.has(message) && matches(message));
    if (found !== undefined) {
      this.returned.add(found);
      return found;
    }

    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        matches,
        resolve,
        reject,
        description,
        timer: setTimeout(() => {
          this.remove(waiter);
          reject(
            new Error(
              `no ${this.wording.noun} matching ${description} arrived within ${timeoutMs} ms; ` +
                this.summarize(),
            ),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Rejects every pending `waitFor` with the error `reason` words for its description. */
  rejectAll(reason: (description: string) => string): void {
    for (const waiter of [...this.waiters]) {
      this.remove(waiter);
      waiter.reject(new Error(reason(waiter.description)));
    }
  }

  private remove(waiter: Waiter<T>): void {
    clearTimeout(waiter.timer);
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) {
      this.waiters.splice(index, 1);
    }
  }

  /** Lists the messages received so far, one per line, for a timeout error. */
  private summarize(): string {
    const lines = this.messages.map((message) => {
      const note = this.returned.has(message) ? ' (already returned)' : '';
      return `\n  - ${this.wording.describe(message)}${note}`;
    });
    const [one, many] = this.wording.counted;
    const count = this.messages.length === 1 ? `1 ${one}` : `${this.messages.length} ${many}`;
    return `received ${count}${lines.length > 0 ? ':' : ''}${lines.join('')}`;
  }
}
