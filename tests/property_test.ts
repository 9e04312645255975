// Property tests: random and mutated inputs to the parsers only ever end in their documented
// error (FormatError) or a value, and always finish.
import fc from "fast-check";
import assert, { deepStrictEqual, throws } from "node:assert/strict";
import { readAviInfo } from "../src/formats/avi/mod.ts";
import type { ByteSource } from "../src/model.ts";
import { FormatError } from "../src/formats/format_error.ts";
import { parseTimestampsCsv } from "../src/formats/timestamps_csv.ts";
import { parseMetadataJson } from "../src/formats/metadata_json.ts";
import { SAMPLE, V1 } from "./_helpers.ts";

const RUNS = 400;

function memory(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.slice(offset, offset + length)),
  };
}

/** Fails unless `error` is the documented parser error. */
function documented(error: unknown): void {
  if (!(error instanceof FormatError)) {
    throw new Error(`undocumented error: ${error instanceof Error ? error.stack : String(error)}`);
  }
}

/**
 * What `parse` returns, or undefined when it throws the documented error; the checks of the
 * value stay outside, so that their failures are reported as such.
 */
function parsedOrDocumented<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    documented(error);
    return undefined;
  }
}

/** A mutation of a byte array: overwritten bytes, a cut, or inserted bytes. */
const byteMutation = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

type Mutation = { kind: "set" | "cut" | "insert"; at: number; bytes?: Uint8Array };

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = original.slice();
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === "set") {
      bytes.set(m.bytes!.subarray(0, bytes.length - at), at);
    } else if (m.kind === "cut") {
      bytes = bytes.slice(0, at);
    } else {
      const grown = new Uint8Array(bytes.length + m.bytes!.length);
      grown.set(bytes.subarray(0, at));
      grown.set(m.bytes!, at);
      grown.set(bytes.subarray(at), at + m.bytes!.length);
      bytes = grown;
    }
  }
  return bytes;
}

/** Mutations aimed at the headers, where the structure lives, and some anywhere. */
function headerBiased(length: number) {
  return fc.array(
    fc.oneof(
      byteMutation.map((m) => ({ ...m, at: m.at % 6000 })),
      byteMutation.map((m) => ({ ...m, at: length - 1 - (m.at % 2000) })),
      byteMutation,
    ),
    { minLength: 1, maxLength: 6 },
  );
}

Deno.test("readAviInfo() ends in a value or a FormatError for mutated real AVI files", async () => {
  const originals = [
    await Deno.readFile(`${SAMPLE}/0.avi`),
    await Deno.readFile(`${V1}/1.avi`),
  ];
  for (const original of originals) {
    await fc.assert(
      fc.asyncProperty(headerBiased(original.length), async (mutations) => {
        const bytes = mutate(original, mutations as Mutation[]);
        const info = await readAviInfo(memory(bytes)).catch(documented);
        if (!info) return;
        deepStrictEqual(info.frameCount, info.frameOffsets.length);
        assert(info.width > 0 && info.height > 0, `${info.width}x${info.height}`);
      }),
      { numRuns: RUNS },
    );
  }
});

Deno.test("readAviInfo() ends in a value or a FormatError for random bytes behind a RIFF header", async () => {
  const riff = new TextEncoder().encode("RIFF\x00\x10\x00\x00AVI LIST");
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (body, withHeader) => {
      const bytes = new Uint8Array((withHeader ? riff.length : 0) + body.length);
      if (withHeader) bytes.set(riff);
      bytes.set(body, withHeader ? riff.length : 0);
      try {
        await readAviInfo(memory(bytes));
      } catch (error) {
        documented(error);
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test("parseTimestampsCsv() ends in a table or a FormatError for mutated and random text", async () => {
  const original = await Deno.readTextFile(`${SAMPLE}/timeStamps.csv`);
  const pieces = fc.constantFrom(",", "\n", "\r\n", "-", "1", "e", ".", " ", "\ufeff", "x", "");
  await fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.nat(20), fc.array(pieces, { maxLength: 4 })), {
        maxLength: 8,
      }),
      (edits) => {
        let text = original;
        for (const [at, cut, inserted] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + inserted.join("") + text.slice(i + cut);
        }
        const table = parsedOrDocumented(() => parseTimestampsCsv(text));
        if (!table) return;
        deepStrictEqual(table.frameNumbers.length, table.timeStampsMs.length);
        deepStrictEqual([...table.timeStampsMs].filter((t) => !Number.isFinite(t)), []);
      },
    ),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      try {
        parseTimestampsCsv(text);
      } catch (error) {
        documented(error);
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test("parseMetadataJson() ends in an object or a FormatError for mutated and random text", async () => {
  const original = await Deno.readTextFile(`${SAMPLE}/metaData.json`);
  await fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.nat(6), fc.string({ maxLength: 3 })), { maxLength: 5 }),
      (edits) => {
        let text = original;
        for (const [at, cut, inserted] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + inserted + text.slice(i + cut);
        }
        const value = parsedOrDocumented(() => parseMetadataJson(text));
        if (value === undefined) return;
        deepStrictEqual(Object.prototype.toString.call(value), "[object Object]");
      },
    ),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.oneof(fc.json(), fc.string({ maxLength: 200 })), (text) => {
      try {
        parseMetadataJson(text);
      } catch (error) {
        documented(error);
      }
    }),
    { numRuns: RUNS },
  );
  // Nesting deep enough to exhaust a recursive scanner still ends in a FormatError.
  throws(() => parseMetadataJson("[".repeat(200_000)), FormatError);
});
