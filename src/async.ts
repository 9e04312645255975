/**
 * The asynchronous building blocks of the reading engine: a wait that an abort ends, a pool
 * that bounds how many jobs run at once, a bounded queue between a producer and a consumer, and
 * slots that bound how many holders work at once.
 *
 * @module
 */

/**
 * Waits for `promise`, or rejects with the abort reason as soon as `signal` aborts.
 *
 * @param promise What to wait for.
 * @param signal Ends the wait.
 * @returns What `promise` gives.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() =>
    signal.removeEventListener("abort", onAbort)
  );
}

/**
 * Runs every job, at most `limit` at a time. When one fails, no further job starts, the
 * shared signal is aborted so running jobs can stop early, and the first error is thrown once
 * all started jobs have settled.
 *
 * @param jobs Functions that start one job each; they receive a signal to stop early.
 * @param limit The most jobs running at once (at least 1).
 * @param signal An outer signal that stops everything.
 */
export async function runPool(
  jobs: ((signal: AbortSignal) => Promise<void>)[],
  limit: number,
  signal?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < jobs.length && !failure && !controller.signal.aborted) {
      const job = jobs[next++]!;
      try {
        await job(controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (failure) throw failure.error;
  signal?.throwIfAborted();
}

/**
 * A bounded first-in first-out queue between one producer and one consumer, that can end or
 * fail: the producer waits while the queue is full, so a slow consumer holds back the producer
 * (and, through the pipe, ffmpeg).
 */
export class BoundedQueue<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  #ended = false;
  #failure: { error: unknown } | undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;

  /** @param capacity The most items held at once (at least 1). */
  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Adds an item, waiting while the queue is full. */
  async push(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wakeProducer = resolve));
    }
    this.#items.push(item);
    this.#wakeConsumer?.();
  }

  /** No more items will come. */
  end(): void {
    this.#ended = true;
    this.#wakeConsumer?.();
    this.#wakeProducer?.();
  }

  /** The producer failed; the consumer gets `error` after the items already queued. */
  fail(error: unknown): void {
    this.#failure ??= { error };
    this.end();
  }

  /** The next item, or `undefined` after the last; throws the producer's error in its turn. */
  async next(): Promise<T | undefined> {
    while (this.#items.length === 0) {
      if (this.#failure) throw this.#failure.error;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
    }
    const item = this.#items.shift()!;
    this.#wakeProducer?.();
    return item;
  }
}

/**
 * At most `limit` holders at a time; the others wait in order. A wait ends early, without the
 * slot, when its signal aborts.
 */
export class Slots {
  readonly #limit: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  /**
   * Makes the slots.
   *
   * @param limit How many may hold one at once.
   */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Runs `run` once a slot is free, and frees it after.
   *
   * @param signal Ends the wait for a slot (and is `run`'s to honour).
   * @param run The work.
   * @returns What `run` returns.
   * @throws The signal's reason when it aborts before a slot is free.
   */
  async use<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    if (this.#held >= this.#limit) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#waiting.push(resolve);
      try {
        await untilAborted(promise, signal);
      } catch (error) {
        const at = this.#waiting.indexOf(resolve);
        if (at >= 0) this.#waiting.splice(at, 1);
        else this.#release(); // handed a slot just as the wait ended
        throw error;
      }
    } else {
      this.#held++;
    }
    try {
      return await run();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next(); // the slot passes to the next holder
    else this.#held--;
  }
}
