/**
 * Runs tasks that share a key one after another inside this process, so a
 * burst of parallel requests for one account cannot interleave a read and
 * its write.
 * NOTE: this serialises within one replica only; with several replicas the
 * same key can still run concurrently on each of them.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async runExclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === tail) {
        this.tails.delete(key);
      }
    }
  }
}
