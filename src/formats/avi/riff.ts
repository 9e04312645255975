/**
 * The RIFF chunks an AVI file is made of: an id, a little-endian size, the data and a pad byte
 * when the size is odd; `RIFF` and `LIST` chunks begin with a list type and hold chunks.
 *
 * @module
 */

import type { ByteSource } from "../../model.ts";

/** Bytes read once from the start of a file and kept: the headers are read there many times. */
const HEAD_BYTES = 64 * 1024;

/** LIST chunks nested deeper than this are skipped: real files nest two or three levels. */
export const MAX_DEPTH = 8;

const latin1 = new TextDecoder("latin1");

/**
 * The four characters at `at`.
 *
 * @param bytes The bytes.
 * @param at Where the FourCC starts.
 * @returns The FourCC, one character per byte.
 */
export function fourcc(bytes: Uint8Array, at: number): string {
  return latin1.decode(bytes.subarray(at, at + 4));
}

/**
 * A view of `bytes` for reading little-endian fields.
 *
 * @param bytes The bytes.
 * @returns The view, over exactly those bytes.
 */
export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The header of one chunk. */
export interface Chunk {
  /** The chunk's FourCC. */
  id: string;
  /** Offset of the chunk header. */
  offset: number;
  /** Size of the chunk data as declared. */
  size: number;
  /** For RIFF and LIST chunks, the list type. */
  listType?: string;
}

/**
 * The offset of the chunk after `chunk`.
 *
 * @param chunk A chunk header.
 * @returns Its offset plus its header, its data and the pad byte of an odd size.
 */
export function nextChunk(chunk: Chunk): number {
  return chunk.offset + 8 + chunk.size + (chunk.size & 1);
}

/** Reads chunks of a file, keeping its first bytes, where the headers are. */
export class ChunkReader {
  #source: ByteSource;
  #head: Uint8Array | undefined;

  /**
   * Reads chunks of `source`.
   *
   * @param source The file.
   */
  constructor(source: ByteSource) {
    this.#source = source;
  }

  /** The size of the file. */
  get size(): number {
    return this.#source.size;
  }

  /**
   * Reads bytes of the file.
   *
   * @param offset Where to start.
   * @param length How many bytes.
   * @returns The bytes; fewer only at the end of the file.
   */
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.#head ??= await this.#source.read(0, Math.min(HEAD_BYTES, this.#source.size));
    if (offset + length <= this.#head.length) return this.#head.subarray(offset, offset + length);
    return await this.#source.read(offset, length);
  }

  /**
   * Reads the chunk header at `offset`.
   *
   * @param offset Where the header starts.
   * @returns The header, or undefined when the file ends first.
   */
  async chunk(offset: number): Promise<Chunk | undefined> {
    if (offset + 8 > this.size) return undefined;
    const bytes = await this.read(offset, 12);
    if (bytes.length < 8) return undefined;
    const id = fourcc(bytes, 0);
    const size = view(bytes).getUint32(4, true);
    if ((id === "RIFF" || id === "LIST") && bytes.length >= 12) {
      return { id, offset, size, listType: fourcc(bytes, 8) };
    }
    return { id, offset, size };
  }
}
