/**
 * A bounded queue between one producer and one consumer of frames: the producer waits while
 * the queue is full, so a slow consumer holds back the producer (and, through the pipe,
 * ffmpeg).
 *
 * @module
 */

/** A bounded first-in first-out queue that can end or fail. */
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
