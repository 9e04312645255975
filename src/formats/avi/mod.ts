/**
 * The AVI container, in one place: reading its headers and index (`parse.ts`, from
 * `headers.ts`, `index.ts` and the RIFF chunks of `riff.ts`), reading frame chunks to feed a
 * decoder (`chunks.ts`), and the sizes of a file still being written (`patch.ts`). Nothing
 * here decodes a frame or starts a process.
 *
 * @module
 */

export { type AviIndexSource, type AviInfo, readAviInfo } from "./parse.ts";
export { feedChunks, readChunk, readHeaders } from "./chunks.ts";
export { withFinalSizes } from "./patch.ts";
