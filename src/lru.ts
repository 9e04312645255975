/**
 * {@linkcode ByteLru}: byte arrays by key, least recently used dropped first, bounded in bytes.
 * The engine's cache of decoded frames and the viewer's cache of PNG frames are both one.
 *
 * @module
 */

/** Byte arrays by key, the least recently used dropped first beyond a bound in bytes. */
export class ByteLru<K> {
  // A Map iterates in insertion order: re-inserting on use keeps the oldest first.
  readonly #values = new Map<K, Uint8Array>();
  readonly #maxBytes: number;
  #bytes = 0;

  /** @param maxBytes The most bytes held; 0 holds nothing. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `key` is held, without marking it used. */
  has(key: K): boolean {
    return this.#values.has(key);
  }

  /** The value of `key`, marked as just used, or `undefined`. */
  get(key: K): Uint8Array | undefined {
    const value = this.#values.get(key);
    if (value) {
      this.#values.delete(key);
      this.#values.set(key, value);
    }
    return value;
  }

  /**
   * Keeps a value (not copied: it must not change), dropping the least recently used beyond
   * the bound; a value larger than the bound is not kept.
   */
  set(key: K, value: Uint8Array): void {
    if (value.length > this.#maxBytes) return;
    this.delete(key);
    this.#values.set(key, value);
    this.#bytes += value.length;
    for (const [oldest, bytes] of this.#values) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#values.delete(oldest);
      this.#bytes -= bytes.length;
    }
  }

  /** Drops `key`. */
  delete(key: K): void {
    const old = this.#values.get(key);
    if (!old) return;
    this.#values.delete(key);
    this.#bytes -= old.length;
  }

  /** Drops every key for which `drop` is true. */
  deleteWhere(drop: (key: K) => boolean): void {
    for (const key of [...this.#values.keys()]) if (drop(key)) this.delete(key);
  }

  /** Drops everything. */
  clear(): void {
    this.#values.clear();
    this.#bytes = 0;
  }
}
