/**
 * The types the reading engine shares: an opened recording, its video files and where their
 * frames are, ranges of frames, decode plans, pixel formats and the byte sources files are
 * read through.
 *
 * @module
 */

import type { RowSegment } from "./analysis/dropped_frames.ts";

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

/**
 * What tells one version of a file from another: its size, modification and status change
 * times and inode. A file still being written when it was opened may grow, in place.
 */
export interface FileVersion {
  /** Size in bytes. */
  size: number;
  /** Modification time in ms since the epoch, where the system gives it. */
  mtimeMs: number | null;
  /**
   * Status change time in ms since the epoch, where the system gives it: unlike the
   * modification time, no program can set it back after rewriting the file.
   */
  ctimeMs: number | null;
  /** Inode and device, where the system gives them. */
  ino: number | null;
  dev: number;
  /** Whether the file may grow (bytes appended, the rest unchanged) and still be this version. */
  growing: boolean;
}

/** What the decoder needs to know about one video file. */
export interface VideoFile {
  /** Absolute path of the file, named in messages. */
  path: string;
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
   * file (see `formats/seek_points.ts`): the index's keyframes, or fewer or more, by the
   * codec's seek rule; frame 0 always.
   */
  seekPoints: Uint8Array;
  /** Whether frames may be stored before frames shown earlier (B-frames). */
  reorders: boolean;
  /**
   * Whether the file stores gray frames as 24-bit colour with three equal channels (the
   * Miniscope files of the software before 2020): read as 8-bit gray, frames are decoded as
   * stored and one channel is kept once the three are found equal. Default: false.
   */
  equalChannels?: boolean;
  /** Where each frame's chunk is. */
  index: FrameIndex;
  /**
   * The version of the file the headers and index were read from: every read checks that the
   * file still is it. Without it (a model built by hand), nothing is checked.
   */
  version?: FileVersion;
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
  /** The first chunk fed: the seek point at or before the range. */
  first: number;
  /**
   * The chunk after the last one fed: the range's end or, in a codec that reorders frames, the
   * next seek point after it (or the file's end).
   */
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

/**
 * An opened recording, as plain data: what all views of it share, assembled by
 * `openRecording` (`open/recording.ts`). The processes that decode it belong to the
 * extractor reading it.
 */
export interface Recording {
  videos: VideoFile[];
  /** Index of each video's first frame in the concatenated recording. */
  firstFrames: number[];
  filePaths: string[];
  rows: number;
  cols: number;
  samplingFrequency: number;
  /** Seconds from timeStamps.csv for the readable samples, or null without a CSV. */
  nativeTimestamps: Float64Array | null;
  /**
   * The samples of each timestamps file with their rows (one per recording; empty without a
   * CSV), for finding dropped frames.
   */
  segments: RowSegment[];
  /** Frames with a row in timeStamps.csv missing from a video file cut short. */
  lostInFiles: number;
  /** Frames in the videos, before matching them to the CSV rows. */
  videoFrames: number;
  /** Rows in the timestamps files, or null without one. */
  timestampRows: number | null;
  ffmpegPath: string;
  concurrency: number;
  /** The pixel format frames are decoded to. */
  pixelFormat: PixelFormat;
  /** How long a decode waits for ffmpeg's output before taking it as stalled. */
  stallTimeoutMs: number | undefined;
}
