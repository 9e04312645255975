/**
 * The header list (`hdrl`) of an AVI file: the main header, the OpenDML frame count and, of the
 * first video stream, its time base, frame format and OpenDML super index.
 *
 * @module
 */

import { FormatError } from "../format_error.ts";
import { fourcc, MAX_DEPTH, view } from "./riff.ts";

/** What the header list says of the first video stream. */
export interface VideoStream {
  /** The stream's number, which names its chunks (`00dc`). */
  number: number;
  /** Time base numerator. */
  scale: number;
  /** Time base denominator. */
  rate: number;
  /** Frames, as the stream header claims. */
  length: number;
  /** The stream header's handler FourCC. */
  handler: string;
  width: number;
  height: number;
  bitCount: number;
  /** The stream format's compression FourCC, or `"raw"` for BI_RGB. */
  compression: string;
  /** Bytes after the 40-byte BITMAPINFOHEADER in the stream format. */
  extradata: Uint8Array;
  /** Where the OpenDML standard indexes are, in order. */
  superIndex: { offset: number; size: number }[];
}

/** What the header list holds. */
export interface Headers {
  /** The first video stream. */
  stream: VideoStream;
  /** The main header's frame count. */
  totalFrames: number;
  /** The OpenDML header's frame count, when there is one. */
  odmlTotalFrames: number | undefined;
}

/**
 * Parses the contents of the header list.
 *
 * @param list The bytes of `hdrl` after its list type.
 * @returns The headers.
 * @throws {FormatError} When there is no video stream.
 */
export function parseHeaderList(list: Uint8Array): Headers {
  let stream: VideoStream | undefined;
  let totalFrames = 0;
  let odmlTotalFrames: number | undefined;
  let streamNumber = 0;

  const walk = (
    start: number,
    end: number,
    inStrl: boolean,
    current: Partial<VideoStream>,
    depth = 0,
  ) => {
    if (depth > MAX_DEPTH) return;
    let at = start;
    while (at + 8 <= end) {
      const id = fourcc(list, at);
      const size = view(list).getUint32(at + 4, true);
      const dataAt = at + 8;
      const dataEnd = Math.min(dataAt + size, end);
      const data = list.subarray(dataAt, dataEnd);
      if (id === "LIST" && data.length >= 4) {
        const type = fourcc(data, 0);
        if (type === "strl") {
          const found: Partial<VideoStream> = { number: streamNumber, superIndex: [] };
          walk(dataAt + 4, dataEnd, true, found, depth + 1);
          if (!stream && found.width !== undefined && found.handler !== undefined) {
            stream = found as VideoStream;
          }
          streamNumber++;
        } else {
          walk(dataAt + 4, dataEnd, inStrl, current, depth + 1);
        }
      } else if (id === "avih" && data.length >= 40) {
        totalFrames = view(data).getUint32(16, true);
      } else if (id === "dmlh" && data.length >= 4) {
        odmlTotalFrames = view(data).getUint32(0, true);
      } else if (inStrl && id === "strh" && data.length >= 36) {
        if (fourcc(data, 0) === "vids") {
          const v = view(data);
          current.handler = fourcc(data, 4);
          current.scale = v.getUint32(20, true);
          current.rate = v.getUint32(24, true);
          current.length = v.getUint32(32, true);
        }
      } else if (inStrl && id === "strf" && data.length >= 40 && current.handler !== undefined) {
        const v = view(data);
        current.width = v.getInt32(4, true);
        current.height = Math.abs(v.getInt32(8, true));
        current.bitCount = v.getUint16(14, true);
        const compression = v.getUint32(16, true);
        current.compression = compression === 0 ? "raw" : fourcc(data, 16);
        current.extradata = data.slice(40);
      } else if (inStrl && id === "indx" && data.length >= 24) {
        const v = view(data);
        const longsPerEntry = v.getUint16(0, true);
        const indexType = v.getUint8(3);
        const entries = v.getUint32(4, true);
        if (indexType === 0 && longsPerEntry === 4) {
          for (let i = 0; i < entries && 24 + 16 * i + 16 <= data.length; i++) {
            const e = 24 + 16 * i;
            const offset = v.getUint32(e, true) + v.getUint32(e + 4, true) * 2 ** 32;
            const size = v.getUint32(e + 8, true);
            current.superIndex!.push({ offset, size });
          }
        }
      }
      at = dataAt + size + (size & 1);
    }
  };
  walk(0, list.length, false, {});
  if (!stream) throw new FormatError("it has no video stream");
  return { stream, totalFrames, odmlTotalFrames };
}

/**
 * The chunk ids of a video stream's frames: compressed (`00dc`) and uncompressed (`00db`).
 *
 * @param stream The stream.
 * @returns The ids, the compressed one first.
 */
export function streamIds(stream: VideoStream): Set<string> {
  const n = String(stream.number).padStart(2, "0");
  return new Set([`${n}dc`, `${n}db`]);
}
