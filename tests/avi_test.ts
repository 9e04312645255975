import assert, { deepStrictEqual, rejects } from "node:assert/strict";
import { readAviInfo } from "../src/formats/avi/mod.ts";
import type { ByteSource } from "../src/model.ts";
import { FormatError } from "../src/formats/format_error.ts";
import { withByteSource } from "../src/files.ts";
import { containing, errorWith, ODD, SAMPLE, toOpenDml, V1 } from "./_helpers.ts";

function memory(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.slice(offset, offset + length)),
  };
}

function le32(bytes: Uint8Array, at: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);
}

Deno.test("readAviInfo() reads size, codec, time base, frame count and keyframe flags from the headers and idx1", async () => {
  const info = await withByteSource(`${SAMPLE}/0.avi`, readAviInfo);
  deepStrictEqual([info.width, info.height, info.codec, info.gray], [48, 40, "FFV1", true]);
  deepStrictEqual([info.scale, info.rate], [1, 60]);
  deepStrictEqual([info.frameCount, info.declaredFrameCount, info.indexSource], [24, 24, "idx1"]);
  deepStrictEqual(
    [...info.keyframeFlags].flatMap((key, i) => (key ? [i] : [])),
    [0, 12],
  );
  deepStrictEqual(info.warnings, []);
  const last = await withByteSource(`${SAMPLE}/2.avi`, readAviInfo);
  deepStrictEqual(last.frameCount, 10);
});

Deno.test("readAviInfo() tells colour FFV1 from gray", async () => {
  deepStrictEqual((await withByteSource(`${ODD}/colour.avi`, readAviInfo)).gray, false);
  deepStrictEqual((await withByteSource(`${V1}/0.avi`, readAviInfo)).gray, true);
});

Deno.test("readAviInfo() rejects an empty file and random bytes", async () => {
  await rejects(
    () => readAviInfo(memory(new Uint8Array())),
    errorWith(FormatError, "empty (0 bytes)"),
  );
  const random = new Uint8Array(5000).map((_, i) => (i * 7919 + 13) & 0xff);
  await rejects(() => readAviInfo(memory(random)), errorWith(FormatError, "not an AVI file"));
});

Deno.test("readAviInfo() scans a file cut in half and keeps its complete frames, with a warning", async () => {
  const bytes = await Deno.readFile(`${SAMPLE}/0.avi`);
  const info = await readAviInfo(memory(bytes));
  const cut = bytes.slice(0, Math.floor(bytes.length / 2));
  const half = await readAviInfo(memory(cut));
  const complete =
    [...info.frameOffsets].filter((offset, i) => offset + info.frameSizes[i]! <= cut.length).length;
  deepStrictEqual(half.indexSource, "scan");
  deepStrictEqual(half.frameCount, complete);
  assert(half.frameCount > 0 && half.frameCount < 24, `${half.frameCount} of 24 frames kept`);
  deepStrictEqual([...half.frameOffsets], [...info.frameOffsets].slice(0, complete));
  deepStrictEqual(half.warnings.length, 1);
  assert.match(half.warnings[0]!, containing(`${complete} complete frames`));
});

Deno.test("readAviInfo() counts the frames present when the header claims more", async () => {
  const bytes = await Deno.readFile(`${V1}/0.avi`);
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
  le32(bytes, text.indexOf("strh") + 8 + 32, 500); // dwLength
  const info = await readAviInfo(memory(bytes));
  deepStrictEqual([info.frameCount, info.declaredFrameCount], [12, 500]);
  deepStrictEqual(info.warnings, ["its header claims 500 frames but only 12 are present"]);
});

Deno.test("readAviInfo() reads the OpenDML index (indx and ix00) of a file without idx1", async () => {
  const original = await withByteSource(`${SAMPLE}/0.avi`, readAviInfo);
  const info = await readAviInfo(memory(toOpenDml(await Deno.readFile(`${SAMPLE}/0.avi`))));
  deepStrictEqual(info.indexSource, "odml");
  deepStrictEqual(info.frameCount, 24);
  deepStrictEqual([...info.frameOffsets], [...original.frameOffsets]);
  deepStrictEqual([...info.frameSizes], [...original.frameSizes]);
  deepStrictEqual([...info.keyframeFlags], [...original.keyframeFlags]);
  deepStrictEqual(info.warnings, []);
});

Deno.test("reads of one file started together each get their own bytes", async () => {
  const path = `${SAMPLE}/0.avi`;
  const whole = await Deno.readFile(path);
  // Many reads in flight at once, at offsets far apart, as the chunk feed's read-ahead does.
  const offsets = Array.from({ length: 64 }, (_, i) => (i * 7919 * 13) % (whole.length - 4096));
  const parts = await withByteSource(
    path,
    (source) => Promise.all(offsets.map((at, i) => source.read(at, 1 + (i * 97) % 4096))),
  );
  parts.forEach((part, i) => {
    const at = offsets[i]!;
    deepStrictEqual(part, whole.subarray(at, at + part.length), `read ${i} at ${at}`);
    deepStrictEqual(part.length, 1 + (i * 97) % 4096);
  });
});
