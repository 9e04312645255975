/**
 * Where the frames of an AVI file are: from its `idx1` index, from its OpenDML standard
 * indexes (`ix00`, found through the `indx` super index), or, when neither is usable, from a
 * walk through the chunks of every `movi` list.
 *
 * @module
 */

import { type Chunk, type ChunkReader, fourcc, MAX_DEPTH, nextChunk, view } from "./riff.ts";

const AVIIF_KEYFRAME = 0x10;

/** The frames found, in order: data offset, data size and keyframe flag of each. */
export class FrameTable {
  /** Byte offset of each frame's data. */
  offsets: number[] = [];
  /** Byte size of each frame's data. */
  sizes: number[] = [];
  /** 1 for each frame the index flags as a keyframe. */
  keys: number[] = [];

  /**
   * Adds a frame.
   *
   * @param offset Its data's offset.
   * @param size Its data's size.
   * @param key Whether it is flagged a keyframe.
   */
  add(offset: number, size: number, key: boolean): void {
    this.offsets.push(offset);
    this.sizes.push(size);
    this.keys.push(key ? 1 : 0);
  }

  /** The number of frames. */
  get length(): number {
    return this.offsets.length;
  }

  /**
   * Keeps the first `count` frames.
   *
   * @param count How many.
   */
  truncate(count: number): void {
    this.offsets.length = this.sizes.length = this.keys.length = count;
  }
}

/**
 * Reads the frames of a stream from `idx1`.
 *
 * @param reader The file.
 * @param idx1 The `idx1` chunk.
 * @param moviList The first `movi` list, which offsets may be relative to.
 * @param ids The stream's chunk ids.
 * @returns The frames, or undefined when the index runs past the end of the file.
 */
export async function readIdx1(
  reader: ChunkReader,
  idx1: Chunk,
  moviList: Chunk,
  ids: Set<string>,
): Promise<FrameTable | undefined> {
  if (idx1.offset + 8 + idx1.size > reader.size) return undefined;
  const bytes = await reader.read(idx1.offset + 8, idx1.size);
  const v = view(bytes);
  const entries = Math.floor(bytes.length / 16);
  const table = new FrameTable();
  let base: number | undefined;
  for (let i = 0; i < entries; i++) {
    const e = i * 16;
    const id = fourcc(bytes, e);
    if (!ids.has(id)) continue;
    const flags = v.getUint32(e + 4, true);
    const offset = v.getUint32(e + 8, true);
    const size = v.getUint32(e + 12, true);
    if (base === undefined) {
      // Offsets are relative to the "movi" FourCC in most files, absolute in a few.
      const relative = moviList.offset + 8 + offset;
      const header = await reader.read(relative, 4);
      base = header.length === 4 && fourcc(header, 0) === id ? moviList.offset + 8 : 0;
    }
    table.add(base + offset + 8, size, (flags & AVIIF_KEYFRAME) !== 0);
  }
  return table;
}

/**
 * Reads the frames of a stream from the OpenDML standard indexes its super index lists.
 *
 * @param reader The file.
 * @param superIndex The super index's entries.
 * @param ids The stream's chunk ids.
 * @returns The frames, or undefined when an index is missing, cut or of another stream.
 */
export async function readOdmlIndex(
  reader: ChunkReader,
  superIndex: { offset: number; size: number }[],
  ids: Set<string>,
): Promise<FrameTable | undefined> {
  const table = new FrameTable();
  for (const part of superIndex) {
    // Writers differ on whether the entry's size counts the chunk header: use the chunk's own.
    const chunk = await reader.chunk(part.offset);
    if (!chunk || chunk.size < 24 || part.offset + 8 + chunk.size > reader.size) return undefined;
    const bytes = await reader.read(part.offset, 8 + chunk.size);
    const v = view(bytes);
    const longsPerEntry = v.getUint16(8, true);
    const indexType = v.getUint8(11);
    const entries = v.getUint32(12, true);
    const base = v.getUint32(20, true) + v.getUint32(24, true) * 2 ** 32;
    if (indexType !== 1 || longsPerEntry !== 2 || !ids.has(fourcc(bytes, 16))) return undefined;
    for (let i = 0; i < entries && 32 + 8 * i + 8 <= bytes.length; i++) {
      const e = 32 + 8 * i;
      const raw = v.getUint32(e + 4, true);
      table.add(base + v.getUint32(e, true), raw & 0x7fffffff, (raw & 0x80000000) === 0);
    }
  }
  return table;
}

/**
 * Walks the chunks of every movi list, for files whose index is missing or unusable. Every
 * frame found is flagged a keyframe: nothing here tells.
 *
 * @param reader The file.
 * @param ids The stream's chunk ids.
 * @returns The frames whose data is complete in the file.
 */
export async function scanMovi(reader: ChunkReader, ids: Set<string>): Promise<FrameTable> {
  const table = new FrameTable();
  const scanList = async (start: number, end: number, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    let at = start;
    while (at + 8 <= end) {
      const chunk = await reader.chunk(at);
      if (!chunk || !/^[\x20-\x7e]{4}$/.test(chunk.id)) return;
      if (chunk.id === "LIST" || chunk.id === "RIFF") {
        await scanList(chunk.offset + 12, Math.min(nextChunk(chunk), end), depth + 1);
      } else if (ids.has(chunk.id)) {
        if (chunk.offset + 8 + chunk.size > reader.size) return;
        table.add(chunk.offset + 8, chunk.size, true);
      }
      at = nextChunk(chunk);
    }
  };
  let at = 0;
  while (at + 12 <= reader.size) {
    const riff = await reader.chunk(at);
    if (!riff || riff.id !== "RIFF") break;
    let inner = at + 12;
    const end = Math.min(nextChunk(riff), reader.size);
    while (inner + 8 <= end) {
      const chunk = await reader.chunk(inner);
      if (!chunk) break;
      if (chunk.id === "LIST" && chunk.listType === "movi") {
        await scanList(chunk.offset + 12, Math.min(nextChunk(chunk), reader.size), 0);
      }
      inner = nextChunk(chunk);
    }
    at = nextChunk(riff);
  }
  return table;
}
