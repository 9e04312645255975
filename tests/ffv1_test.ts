import { deepStrictEqual } from "node:assert/strict";
import { isGray8, readFfv1Layout } from "../src/formats/ffv1.ts";
import { readAviInfo } from "../src/formats/avi/mod.ts";
import { withByteSource } from "../src/files.ts";
import { encodeTestPattern } from "./_helpers.ts";

async function encode(pixelFormat: string, extra: string[]): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".avi" });
  await encodeTestPattern(path, { size: "32x16", frames: 2, pixelFormat, extra });
  return path;
}

const cases: [string, string[], boolean | undefined][] = [
  ["gray", [], true],
  ["gray", ["-level", "1"], true],
  ["gray", ["-level", "3"], true],
  ["gray", ["-coder", "range_def"], true],
  ["bgr0", [], false],
  ["yuv420p", [], false],
  ["yuv444p", ["-level", "3"], false],
  ["gray", ["-coder", "range_tab"], undefined],
];

for (const [pixelFormat, extra, gray] of cases) {
  Deno.test(
    `readAviInfo() reports gray=${gray} for FFV1 ${pixelFormat} ${extra.join(" ")}`.trimEnd(),
    async () => {
      const path = await encode(pixelFormat, extra);
      try {
        deepStrictEqual((await withByteSource(path, readAviInfo)).gray, gray);
      } finally {
        await Deno.remove(path);
      }
    },
  );
}

Deno.test("readFfv1Layout() reads no layout from a frame without the keyframe bit", () => {
  deepStrictEqual(readFfv1Layout(new Uint8Array(), new Uint8Array([0x00, 0x00, 0x00])), undefined);
  deepStrictEqual(
    isGray8({
      version: 0,
      colorspace: 0,
      chromaPlanes: false,
      bitsPerRawSample: 8,
      transparency: false,
    }),
    true,
  );
});
