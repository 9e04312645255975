import { assertEquals, assertThrows } from "./_assert.ts";
import { parseMetadataJson } from "../src/formats/metadata_json.ts";
import { FormatError } from "../src/formats/format_error.ts";
import { SAMPLE } from "./_helpers.ts";

Deno.test("parseMetadataJson() reads a device metaData.json with string and number values", async () => {
  const meta = parseMetadataJson(await Deno.readTextFile(`${SAMPLE}/metaData.json`));
  assertEquals(meta.deviceType, "Miniscope_V4_BNO");
  assertEquals(meta.frameRate, "30FPS");
  assertEquals(meta.gain, 3.5);
  assertEquals(meta.ROI, { height: 40, leftEdge: 0, topEdge: 0, width: 48 });
});

Deno.test("parseMetadataJson() gives the position of invalid JSON", () => {
  assertThrows(
    () => parseMetadataJson('{\n    "gain": 3.5,\n    "led0": }'),
    FormatError,
    "not valid JSON at line 3, column 13",
  );
  assertThrows(
    () => parseMetadataJson('{"a": 1'),
    FormatError,
    "not valid JSON at line 1, column 8",
  );
});

Deno.test("parseMetadataJson() rejects a top level that is not an object", () => {
  assertThrows(() => parseMetadataJson("[1, 2]"), FormatError, "top level is an array");
  assertThrows(() => parseMetadataJson("null"), FormatError, "top level is null");
  assertThrows(() => parseMetadataJson("42"), FormatError, "top level is number");
});
