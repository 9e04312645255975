/**
 * The recording model: what all views of one opened recording share, assembled by
 * `openRecording` (`open/recording.ts`).
 *
 * @module
 */

import type { RowSegment } from "./analysis/dropped_frames.ts";
import type { PixelFormat, VideoFile } from "./model.ts";
import type { LiveDecoders } from "./read/live_decoders.ts";

export /** What all views of one opened recording share. */
interface Recording {
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
  /** The decoders kept alive between reads and the cache of decoded frames. */
  live: LiveDecoders;
}
