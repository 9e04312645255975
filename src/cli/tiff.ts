/**
 * A streaming writer of multi-page 8-bit grayscale TIFF files, uncompressed, one strip per page.
 * Files that would pass 4 GiB are written as BigTIFF. Every page has the same size, so all
 * offsets are known in advance and pages are written as they arrive.
 *
 * @module
 */

/** The layout of a TIFF file of equal gray pages. */
export interface TiffLayout {
  /** Page width in pixels. */
  width: number;
  /** Page height in pixels. */
  height: number;
  /** Number of pages. */
  pages: number;
  /** Write BigTIFF even when classic TIFF would do. Default: only past 4 GiB. */
  bigTiff?: boolean;
}

const TAGS = 10;

/** Plans and encodes the header and per-page directories of a TIFF file. */
export class TiffPlan {
  /** Whether the file is BigTIFF. */
  readonly bigTiff: boolean;
  readonly #layout: TiffLayout;
  readonly #ifdSize: number;
  readonly #dataSize: number;
  readonly #stride: number;
  readonly #headerSize: number;

  /**
   * Plans the file.
   *
   * @param layout Page size and count.
   */
  constructor(layout: TiffLayout) {
    this.#layout = layout;
    this.#dataSize = layout.width * layout.height;
    const padded = this.#dataSize + (this.#dataSize & 1);
    const classicTotal = 8 + layout.pages * (2 + TAGS * 12 + 4 + padded);
    this.bigTiff = layout.bigTiff ?? classicTotal >= 2 ** 32;
    this.#headerSize = this.bigTiff ? 16 : 8;
    this.#ifdSize = this.bigTiff ? 8 + TAGS * 20 + 8 : 2 + TAGS * 12 + 4;
    this.#stride = this.#ifdSize + padded;
  }

  /** The file header, pointing at the first page. */
  header(): Uint8Array {
    const bytes = new Uint8Array(this.#headerSize);
    const view = new DataView(bytes.buffer);
    bytes.set([0x49, 0x49]); // "II": little-endian
    if (this.bigTiff) {
      view.setUint16(2, 43, true);
      view.setUint16(4, 8, true);
      view.setBigUint64(8, BigInt(this.#headerSize), true);
    } else {
      view.setUint16(2, 42, true);
      view.setUint32(4, this.#headerSize, true);
    }
    return bytes;
  }

  /**
   * The directory of page `index` followed by nothing; its pixels must follow it directly,
   * then a pad byte when the page size is odd.
   *
   * @param index Page number from 0.
   * @returns The directory bytes.
   */
  directory(index: number): Uint8Array {
    const { width, height, pages } = this.#layout;
    const at = this.#headerSize + index * this.#stride;
    const dataAt = at + this.#ifdSize;
    const next = index + 1 < pages ? at + this.#stride : 0;
    const bytes = new Uint8Array(this.#ifdSize);
    const view = new DataView(bytes.buffer);
    const SHORT = 3, LONG = 4, LONG8 = 16;
    const entries: [number, number, number][] = [
      [256, LONG, width],
      [257, LONG, height],
      [258, SHORT, 8],
      [259, SHORT, 1], // no compression
      [262, SHORT, 1], // black is zero
      [273, this.bigTiff ? LONG8 : LONG, dataAt],
      [277, SHORT, 1],
      [278, LONG, height],
      [279, this.bigTiff ? LONG8 : LONG, this.#dataSize],
      [284, SHORT, 1],
    ];
    if (this.bigTiff) {
      view.setBigUint64(0, BigInt(TAGS), true);
      entries.forEach(([tag, type, value], i) => {
        const e = 8 + i * 20;
        view.setUint16(e, tag, true);
        view.setUint16(e + 2, type, true);
        view.setBigUint64(e + 4, 1n, true);
        if (type === SHORT) view.setUint16(e + 12, value, true);
        else if (type === LONG) view.setUint32(e + 12, value, true);
        else view.setBigUint64(e + 12, BigInt(value), true);
      });
      view.setBigUint64(8 + TAGS * 20, BigInt(next), true);
    } else {
      view.setUint16(0, TAGS, true);
      entries.forEach(([tag, type, value], i) => {
        const e = 2 + i * 12;
        view.setUint16(e, tag, true);
        view.setUint16(e + 2, type, true);
        view.setUint32(e + 4, 1, true);
        if (type === SHORT) view.setUint16(e + 8, value, true);
        else view.setUint32(e + 8, value, true);
      });
      view.setUint32(2 + TAGS * 12, next, true);
    }
    return bytes;
  }

  /** The pad after a page's pixels: one zero byte when the page size is odd. */
  padding(): Uint8Array {
    return new Uint8Array(this.#dataSize & 1);
  }
}
