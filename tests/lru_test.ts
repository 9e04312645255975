import { deepStrictEqual } from "node:assert/strict";
import { ByteLru } from "../src/lru.ts";

Deno.test("ByteLru keeps the most recently used values within its byte bound", () => {
  const cache = new ByteLru<number>(3 * 100);
  for (let k = 0; k < 5; k++) cache.set(k, new Uint8Array(100).fill(k));
  deepStrictEqual(cache.bytes, 300);
  deepStrictEqual(cache.get(0), undefined);
  deepStrictEqual(cache.get(1), undefined);
  deepStrictEqual(cache.get(2)![0], 2);
  cache.set(9, new Uint8Array(100).fill(9)); // drops 3, the least recently used
  deepStrictEqual(cache.get(3), undefined);
  deepStrictEqual(cache.get(4)![0], 4);
  cache.set(10, new Uint8Array(301)); // larger than the bound: not kept
  deepStrictEqual(cache.get(10), undefined);
  deepStrictEqual(cache.bytes, 300);
  const none = new ByteLru<number>(0);
  none.set(1, new Uint8Array(1));
  deepStrictEqual(none.get(1), undefined);
});

Deno.test("ByteLru replaces a key's value, and has() does not count as a use", () => {
  const cache = new ByteLru<string>(250);
  cache.set("a", new Uint8Array(100).fill(1));
  cache.set("b", new Uint8Array(100).fill(2));
  cache.set("a", new Uint8Array(50).fill(3));
  deepStrictEqual(cache.bytes, 150);
  deepStrictEqual(cache.has("a"), true);
  // "b" was used before "a" was replaced: it goes first, has() notwithstanding.
  deepStrictEqual(cache.has("b"), true);
  cache.set("c", new Uint8Array(150));
  deepStrictEqual([cache.has("a"), cache.has("b"), cache.has("c")], [true, false, true]);
  deepStrictEqual(cache.get("a")![0], 3);
  deepStrictEqual(cache.bytes, 200);
});

Deno.test("ByteLru drops keys one by one, by a test, or all, and keeps its byte count", () => {
  const cache = new ByteLru<string>(1000);
  for (const key of ["1:a.avi", "2:a.avi", "1:b.avi", "2:b.avi"]) {
    cache.set(key, new Uint8Array(10));
  }
  cache.delete("1:a.avi");
  cache.delete("nope");
  deepStrictEqual(cache.bytes, 30);
  cache.deleteWhere((key) => key.endsWith(":b.avi"));
  deepStrictEqual([cache.has("2:a.avi"), cache.has("1:b.avi"), cache.has("2:b.avi")], [
    true,
    false,
    false,
  ]);
  deepStrictEqual(cache.bytes, 10);
  cache.clear();
  deepStrictEqual([cache.bytes, cache.has("2:a.avi")], [0, false]);
});
