/**
 * Reads the colour layout of an FFV1 stream without decoding pixels.
 *
 * FFV1 versions 0 and 1 (what OpenCV writes) carry their parameters at the start of every
 * keyframe; versions 2 and later carry them in the codec extradata. Both are coded with the
 * FFV1 range coder (RFC 9043), so this module holds a small range decoder that reads just
 * enough symbols to tell gray from colour.
 *
 * @module
 */

/** The parameters of an FFV1 stream that decide whether its frames are 8-bit gray. */
export interface Ffv1Layout {
  /** FFV1 version (0 to 3). */
  version: number;
  /** 0 for YCbCr, 1 for RGB. */
  colorspace: number;
  /** Whether chroma planes are present. */
  chromaPlanes: boolean;
  /** Bits per sample (8 for 8-bit video). */
  bitsPerRawSample: number;
  /** Whether an alpha plane is present. */
  transparency: boolean;
}

/** Whether an FFV1 layout is single-plane 8-bit gray. */
export function isGray8(layout: Ffv1Layout): boolean {
  return layout.colorspace === 0 && !layout.chromaPlanes && !layout.transparency &&
    (layout.bitsPerRawSample === 8 || layout.bitsPerRawSample === 0);
}

const ONE = 1n << 32n;

/** Builds the default one-state transition table of the FFV1 range coder. */
function buildOneState(): Uint8Array {
  const factor = BigInt(Math.trunc(0.05 * 2 ** 32));
  const maxP = 256 - 8;
  const oneState = new Uint8Array(256);
  let lastP8 = 0;
  let p = ONE / 2n;
  for (let i = 0; i < 128; i++) {
    let p8 = Number((256n * p + ONE / 2n) >> 32n);
    if (p8 <= lastP8) p8 = lastP8 + 1;
    if (lastP8 && lastP8 < 256 && p8 <= maxP) oneState[lastP8] = p8;
    p += ((ONE - p) * factor + ONE / 2n) >> 32n;
    lastP8 = p8;
  }
  for (let i = 256 - maxP; i <= maxP; i++) {
    if (oneState[i]) continue;
    let q = (BigInt(i) * ONE + 128n) >> 8n;
    q += ((ONE - q) * factor + ONE / 2n) >> 32n;
    let p8 = Number((256n * q + ONE / 2n) >> 32n);
    if (p8 <= i) p8 = i + 1;
    if (p8 > maxP) p8 = maxP;
    oneState[i] = p8;
  }
  return oneState;
}

let tables: { one: Uint8Array; zero: Uint8Array } | undefined;

function stateTables(): { one: Uint8Array; zero: Uint8Array } {
  if (!tables) {
    const one = buildOneState();
    const zero = new Uint8Array(256);
    for (let i = 1; i < 255; i++) zero[i] = 256 - one[256 - i]!;
    tables = { one, zero };
  }
  return tables;
}

class RangeDecoder {
  #bytes: Uint8Array;
  #pos: number;
  #low: number;
  #range = 0xff00;
  #one: Uint8Array;
  #zero: Uint8Array;

  constructor(bytes: Uint8Array) {
    if (bytes.length < 2) throw new RangeError("FFV1 data is shorter than 2 bytes");
    this.#bytes = bytes;
    this.#low = (bytes[0]! << 8) | bytes[1]!;
    this.#pos = 2;
    if (this.#low >= 0xff00) throw new RangeError("FFV1 range coder starts out of range");
    const { one, zero } = stateTables();
    this.#one = one;
    this.#zero = zero;
  }

  #refill(): void {
    if (this.#range < 0x100) {
      this.#range <<= 8;
      this.#low <<= 8;
      if (this.#pos < this.#bytes.length) this.#low += this.#bytes[this.#pos++]!;
    }
  }

  bit(states: Uint8Array, at: number): number {
    const state = states[at]!;
    const range1 = (this.#range * state) >> 8;
    this.#range -= range1;
    if (this.#low < this.#range) {
      states[at] = this.#zero[state]!;
      this.#refill();
      return 0;
    }
    this.#low -= this.#range;
    states[at] = this.#one[state]!;
    this.#range = range1;
    this.#refill();
    return 1;
  }

  symbol(states: Uint8Array, signed: boolean): number {
    if (this.bit(states, 0)) return 0;
    let e = 0;
    while (this.bit(states, 1 + Math.min(e, 9))) {
      e++;
      if (e > 31) throw new RangeError("FFV1 symbol is too long");
    }
    let a = 1;
    for (let i = e - 1; i >= 0; i--) a = a * 2 + this.bit(states, 22 + Math.min(i, 9));
    const negative = signed && this.bit(states, 11 + Math.min(e, 10)) === 1;
    return negative ? -a : a;
  }
}

function readParameters(rc: RangeDecoder, fromExtradata: boolean): Ffv1Layout | undefined {
  const states = new Uint8Array(32).fill(128);
  const version = rc.symbol(states, false);
  if (fromExtradata && version >= 3) rc.symbol(states, false); // micro version
  const coder = rc.symbol(states, false);
  // A custom state-transition table (coder 2) precedes the colour fields. Neither OpenCV nor
  // ffmpeg's defaults write one, and reading past it is not supported: report "unknown".
  if (coder > 1) return undefined;
  const colorspace = rc.symbol(states, false);
  const bitsPerRawSample = version > 0 ? rc.symbol(states, false) : 8;
  const chromaPlanes = rc.bit(states, 0) === 1;
  rc.symbol(states, false); // log2 horizontal chroma subsampling
  rc.symbol(states, false); // log2 vertical chroma subsampling
  const transparency = rc.bit(states, 0) === 1;
  return { version, colorspace, chromaPlanes, bitsPerRawSample, transparency };
}

/**
 * Reads the FFV1 parameters from the codec extradata (versions 2 and later) or, when there is
 * none, from the start of a keyframe (versions 0 and 1).
 *
 * @param extradata Bytes after the 40-byte BITMAPINFOHEADER in the AVI `strf` chunk.
 * @param keyframe The first bytes (a few dozen suffice) of the first frame, a keyframe.
 * @returns The layout, or `undefined` when it cannot be told: the keyframe bit is not set, or
 *   the stream uses a custom state-transition table.
 * @throws {RangeError} When the bytes are too short or malformed for the range coder.
 */
export function readFfv1Layout(
  extradata: Uint8Array,
  keyframe: Uint8Array,
): Ffv1Layout | undefined {
  if (extradata.length >= 4) return readParameters(new RangeDecoder(extradata), true);
  const rc = new RangeDecoder(keyframe);
  const keyState = new Uint8Array([128]);
  if (!rc.bit(keyState, 0)) return undefined;
  return readParameters(rc, false);
}
