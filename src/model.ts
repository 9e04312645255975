/**
 * The types the reading engine shares: video files and where their frames are, ranges of
 * frames, decode plans, pixel formats and the byte sources files are read through.
 *
 * @module
 */

/** The pixel layout of decoded frames: 8-bit gray, or 8-bit red, green, blue. */
export type PixelFormat = "gray8" | "rgb24";

/** Bytes per pixel of a pixel format. */
export function channelsOf(format: PixelFormat): 1 | 3 {
  return format === "rgb24" ? 3 : 1;
}

/** Random access to the bytes of one file. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Reads up to `length` bytes at `offset`; fewer only at the end of the source.
   *
   * @param offset Byte position to start at.
   * @param length Number of bytes wanted.
   * @returns The bytes read.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** What the decoder needs to know about one video file. */
export interface VideoFile {
  /** Absolute path of the file. */
  path: string;
  /** The name used in messages. */
  displayPath: string;
  /** The codec FourCC, such as `FFV1` or `H264`. */
  codec: string;
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Frames that can be decoded. */
  frameCount: number;
  /** Bytes of the file before its first frame chunk (RIFF header, hdrl, `movi` list type). */
  headerSize: number;
  /**
   * 1 for each frame a decode may start at and give the same frames as a decode of the whole
   * file (see `formats/seek_points.ts`); frame 0 always.
   */
  keyframes: Uint8Array;
  /** Whether frames may be stored before frames shown earlier (B-frames). */
  reorders: boolean;
  /** Where each frame's chunk is. */
  index: FrameIndex;
}

/** Where each frame of a file is. */
export interface FrameIndex {
  /** Byte offset of each frame's data. */
  frameOffsets: Float64Array;
  /** Byte size of each frame's data. */
  frameSizes: Uint32Array;
  /** The stream's chunk ids, the compressed one (`00dc`) first. */
  chunkIds: string[];
}

/**
 * `count` frames from frame `start`: the one range shape of the engine, counted within one file
 * (pieces, decodes) or over the whole recording (the reads in `read/`).
 */
export interface FrameRange {
  /** First frame, 0-based. */
  start: number;
  /** Number of frames. */
  count: number;
}

/** How to decode a range: which chunks to feed and how many leading frames to drop. */
export interface DecodePlan {
  /** The first chunk fed: a keyframe at or before the range (0 when keyframes are unknown). */
  first: number;
  /** The chunk after the last one fed: the next keyframe after the range, or the file's end. */
  end: number;
  /** Frames decoded before the range, to drop. */
  skip: number;
}

/** A range of frames of one file, placed `at` frames after the start of the requested range. */
export interface Piece extends FrameRange {
  /** The file. */
  video: VideoFile;
  /** Frames from the start of the requested range to this piece's first frame. */
  at: number;
}
