/**
 * AVI files still being written: a writer opens the file with placeholder zeros as the sizes of
 * the RIFF chunk and the `movi` list, and sets them only when it closes the file. Read through
 * {@linkcode withFinalSizes}, such a file has the sizes its writer would give it now.
 *
 * @module
 */

import type { ByteSource } from "../../model.ts";
import { view } from "./riff.ts";

/** Bytes searched for the first `movi` list: past the header list of any real file. */
const HEAD_BYTES = 1 << 20;

/**
 * The file as its writer leaves it on closing, for a RIFF AVI whose RIFF or `movi` list size is
 * still the placeholder zero written when the file was opened: those sizes run to the end of
 * the file.
 *
 * @param source The file.
 * @returns The file with those sizes set, or undefined when it is no RIFF AVI or neither size
 *   is zero.
 */
export async function withFinalSizes(source: ByteSource): Promise<ByteSource | undefined> {
  const head = await source.read(0, Math.min(source.size, HEAD_BYTES));
  const text = new TextDecoder("latin1").decode(head);
  if (!text.startsWith("RIFF") || text.slice(8, 12) !== "AVI ") return undefined;
  const sizes = view(head);
  const patches: { at: number; value: number }[] = [];
  if (sizes.getUint32(4, true) === 0) patches.push({ at: 4, value: source.size - 8 });
  const movi = text.indexOf("movi", 12);
  if (
    movi >= 8 && text.slice(movi - 8, movi - 4) === "LIST" && sizes.getUint32(movi - 4, true) === 0
  ) {
    patches.push({ at: movi - 4, value: source.size - movi });
  }
  if (patches.length === 0) return undefined;
  return {
    size: source.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const bytes = (await source.read(offset, length)).slice();
      const out = view(bytes);
      for (const { at, value } of patches) {
        for (let k = 0; k < 4; k++) {
          const position = at + k - offset;
          if (position >= 0 && position < bytes.length) {
            out.setUint8(position, (value >>> (8 * k)) & 0xff);
          }
        }
      }
      return bytes;
    },
  };
}
