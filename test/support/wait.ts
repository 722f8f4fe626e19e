import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `check` every 50 ms until it returns true, for effects the service completes after its
 * response. Resolves false once `timeoutMs` passes without it.
 */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) {
      return true;
    }
    await delay(50);
  }
  return false;
}
