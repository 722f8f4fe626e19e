import { describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';

import {
  type DeliveryFailure,
  DeliveryQueue,
  type DeliveryQueueOptions,
  type QueuedMessage,
} from './delivery-queue.js';

const FAST_RETRIES = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4 };

type Deliver = DeliveryQueueOptions<string>['deliver'];

function createLogger() {
  return { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
}

function createQueue(deliver: Deliver, logger = createLogger()) {
  const queue = new DeliveryQueue<string>({
    logger: logger as unknown as Logger,
    retry: FAST_RETRIES,
    label: 'test',
    logFields: (queued) => ({ testId: queued.id }),
    deliver,
  });
  return { queue, logger };
}

describe(DeliveryQueue.name, () => {
  describe('enqueue', () => {
    it('delivers in queue order with sequence numbers', async () => {
      const delivered: QueuedMessage<string>[] = [];
      const { queue } = createQueue((queued) => {
        delivered.push(queued);
        return Promise.resolve(undefined);
      });

      ['a', 'b', 'c'].forEach((message) => queue.enqueue(message));
      await queue.flush(1_000);

      expect(delivered.map((queued) => queued.message)).toEqual(['a', 'b', 'c']);
      expect(delivered.map((queued) => queued.sequence)).toEqual([1, 2, 3]);
    });

    it('runs at most 4 deliveries at once', async () => {
      let active = 0;
      let maxActive = 0;
      const { queue } = createQueue(async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active -= 1;
        return undefined;
      });

      for (let i = 0; i < 10; i += 1) {
        queue.enqueue(`message ${i}`);
      }
      await queue.flush(1_000);

      expect(maxActive).toBe(4);
    });
  });

  describe('retries', () => {
    it('logs failures with message fields', async () => {
      const failure: DeliveryFailure & { error: string } = { error: 'down', permanent: false };
      const deliver = jest.fn<Deliver>().mockResolvedValue(failure);
      const { queue, logger } = createQueue(deliver);

      queue.enqueue('a');
      await queue.flush(1_000);

      expect(deliver).toHaveBeenCalledTimes(3);
      expect(logger.warn).toHaveBeenNthCalledWith(
        2,
        expect.objectContaining({ testId: expect.any(String), attempt: 2, retryInMs: 2 }),
        'test delivery failed',
      );
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ attempts: 3, error: 'down' }),
        'test not delivered: giving up',
      );
    });

    it('stops after success', async () => {
      const deliver = jest
        .fn<Deliver>()
        .mockResolvedValueOnce({ permanent: false })
        .mockResolvedValue(undefined);
      const { queue, logger } = createQueue(deliver);

      queue.enqueue('a');
      await queue.flush(1_000);

      expect(deliver).toHaveBeenCalledTimes(2);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.error).not.toHaveBeenCalled();
    });
  });

  describe('shutdown', () => {
    it('returns 0 when the queue drains', async () => {
      const { queue } = createQueue(() => Promise.resolve(undefined));
      queue.enqueue('a');

      await expect(queue.shutdown(1_000)).resolves.toBe(0);
      expect(queue.isShutDown).toBe(true);
    });

    it('aborts a delivery in progress', async () => {
      let signalSeen: AbortSignal | undefined;
      const { queue } = createQueue(
        (_queued, _attempt, signal) =>
          new Promise((resolve) => {
            signalSeen = signal;
            signal.addEventListener('abort', () => resolve({ permanent: false }));
          }),
      );
      queue.enqueue('a');
      queue.enqueue('b');

      await expect(queue.shutdown(10)).resolves.toBe(2);

      expect(signalSeen?.aborted).toBe(true);
      await expect(queue.flush(100)).resolves.toBeUndefined();
    });
  });
});
