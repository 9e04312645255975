/**
 * The options and results of the public classes and functions: {@linkcode
 * MiniscopeImagingExtractor}, {@linkcode MiniscopeMultiRecordingImagingExtractor},
 * {@linkcode MiniscopeSession} and {@linkcode readHeadOrientation}.
 *
 * @module
 */

import type { PixelFormat } from "./model.ts";
import type { DeviceMetadata, RecordingStartTime } from "./formats/metadata_json.ts";

export type { PixelFormat };

/** Options of {@linkcode MiniscopeImagingExtractor.open}. Pass `folderPath` or `filePaths`. */
export interface MiniscopeOpenOptions {
  /**
   * The device folder (such as `.../09_18_41/Miniscope`) holding `0.avi, 1.avi, ...`,
   * `timeStamps.csv` and `metaData.json`, or a recording folder of the software before 2020
   * (such as `.../6_29_15/H15_M45_S12`) holding `msCam1.avi, ...` and `timestamp.dat`. The
   * videos are found and ordered by number.
   */
  folderPath?: string;
  /** Video files to read as one recording, in the order given. */
  filePaths?: readonly string[];
  /** The timestamps file. Default: `timeStamps.csv` beside the first video. */
  timestampsPath?: string;
  /**
   * Sampling frequency in Hz, overriding the one measured from the time stamps. With it, a
   * missing `timeStamps.csv` is a warning instead of an error.
   */
  samplingFrequency?: number;
  /** Accepted for compatibility with the reference API and ignored, with a warning. */
  configurationFilePath?: string;
  /** The ffmpeg executable. Default: `"ffmpeg"`, looked up on PATH. */
  ffmpegPath?: string;
  /** How many ffmpeg processes may decode at once. Default: the number of CPU cores. */
  concurrency?: number;
  /** Receives warnings about the recording. Default: `console.warn`. */
  onWarning?: (message: string) => void;
  /**
   * What frames are decoded to: `"gray8"` (one byte per pixel, the Miniscope's own format) or
   * `"rgb24"` (three bytes per pixel, red, green, blue: for colour behaviour cameras). With
   * `"rgb24"` a frame is `rows * cols * 3` bytes and shapes end in 3. Default: `"gray8"`.
   */
  pixelFormat?: PixelFormat;
  /**
   * How long, in milliseconds, a read waits for ffmpeg's output before it takes ffmpeg as
   * stalled (a hung network share, a program that never answers), stops it and fails.
   * Default: 120,000.
   */
  stallTimeoutMs?: number;
  /**
   * Bytes of decoded frames kept for later reads (a viewer stepping back and forth decodes
   * each frame once), least recently used dropped first; 0 keeps none. Default: 64 MiB.
   */
  frameCacheBytes?: number;
  /**
   * Whether ffmpeg processes are kept alive between reads, so that a frame, or the next one,
   * comes without starting a process (at most `concurrency`, closed after `decoderIdleMs`
   * unused and by {@linkcode MiniscopeImagingExtractor.close}). For codecs that store frames
   * out of display order (B-frames) every read starts its own process regardless.
   * Default: true.
   */
  liveDecoders?: boolean;
  /**
   * How long, in milliseconds, a process kept alive between reads may stay unused before it is
   * closed; `Infinity` keeps it until {@linkcode MiniscopeImagingExtractor.close}. It never
   * keeps the program running. Default: 5,000.
   */
  decoderIdleMs?: number;
  /**
   * For a recording folder of the software before 2020 (`msCam1.avi, ...`, `behavCam1.avi,
   * ...`, `timestamp.dat`): which camera to read, `"msCam"` (the Miniscope, read as 8-bit gray
   * by keeping one of the three equal channels its files hold) or `"behavCam"` (the behaviour
   * camera, in colour: open it with `pixelFormat: "rgb24"`). Default: `"msCam"`.
   */
  camera?: "msCam" | "behavCam";
  /**
   * For a recording folder of the software before 2020: the `camNum` of the Miniscope in
   * `timestamp.dat`. Only needed when the row counts of its cameras cannot tell which is which
   * (both cameras saved as many frames); the other camera is then the behaviour camera.
   */
  scopeCamNum?: number;
}

/** Options of the reads that decode a whole batch of frames. */
export interface ReadOptions {
  /** Stops the read: its ffmpeg processes are killed at once and it rejects. */
  signal?: AbortSignal;
}

/**
 * Frames as one buffer: `shape` is `[frames, rows, cols]` (gray) or `[frames, rows, cols, 3]`
 * (`rgb24`), `data` row-major `uint8`.
 */
export interface FrameSeries {
  /** The pixels, frame after frame, each frame row after row (and pixel after pixel). */
  data: Uint8Array;
  /** `[frames, rows, cols]`, or `[frames, rows, cols, 3]` for `rgb24`. */
  shape: [number, number, number] | [number, number, number, 3];
}

/** One frame delivered by {@linkcode MiniscopeImagingExtractor.stream}. */
export interface Frame {
  /** Sample index within the extractor (a slice counts from its own start). */
  index: number;
  /** Time of the frame in seconds, as {@linkcode MiniscopeImagingExtractor.getTimestamps}. */
  timestamp: number;
  /**
   * The pixels, row-major, `rows * cols` bytes (`rows * cols * 3` for `rgb24`); a fresh array
   * the caller may keep.
   */
  data: Uint8Array;
}

/** Options of {@linkcode MiniscopeImagingExtractor.stream}. */
export interface StreamOptions {
  /** First sample. Default: 0. */
  start?: number;
  /** End sample, exclusive. Default: the number of samples. */
  end?: number;
  /** Stops the stream; ffmpeg is killed at once. */
  signal?: AbortSignal;
  /**
   * How far decoding may run ahead of the consumer, in bytes of frames. With read-ahead, up
   * to `concurrency` ffmpeg processes decode consecutive chunks at once. 0 decodes strictly as
   * frames are consumed, one process at a time. Default: 64 MiB.
   */
  readAheadBytes?: number;
}

/**
 * One video file within an extractor's samples, from
 * {@linkcode MiniscopeImagingExtractor.getFiles}.
 */
export interface FilePart {
  /** The file. */
  path: string;
  /** The sample index of its first frame that is a sample. */
  firstSample: number;
  /** How many samples its frames are. */
  samples: number;
}

/** Options of {@linkcode MiniscopeMultiRecordingImagingExtractor.open}. */
export interface MultiRecordingOpenOptions {
  /** The folder holding one folder per recording (`<time folder>/<device>/`). */
  folderPath: string;
  /** The device folder name inside each recording. Default: `"Miniscope"`. */
  deviceName?: string;
  /** The ffmpeg executable. Default: `"ffmpeg"`. */
  ffmpegPath?: string;
  /** How many ffmpeg processes may decode at once. Default: the number of CPU cores. */
  concurrency?: number;
  /** Bytes of decoded frames kept for later reads; see `MiniscopeOpenOptions`. */
  frameCacheBytes?: number;
  /** Whether decoders are kept alive between reads; see `MiniscopeOpenOptions`. */
  liveDecoders?: boolean;
  /** Receives warnings. Default: `console.warn`. */
  onWarning?: (message: string) => void;
}

/**
 * One recording within a {@linkcode MiniscopeMultiRecordingImagingExtractor}, from
 * {@linkcode MiniscopeImagingExtractor.getRecordings}.
 */
export interface RecordingPart {
  /** The recording's folder (holding its session `metaData.json`). */
  folder: string;
  /** Its start time from that folder's `metaData.json`. */
  startTime: RecordingStartTime;
  /** Seconds from the first recording's start to this one's, added to its time stamps. */
  offsetSeconds: number;
  /** Its first sample in the combined series. */
  firstSample: number;
  /** Its number of samples. */
  samples: number;
}

/** Options of {@linkcode MiniscopeSession.open}. */
export interface SessionOpenOptions {
  /** Receives warnings about the session folder. Default: `console.warn`. */
  onWarning?: (message: string) => void;
  /**
   * For a recording folder of the software before 2020: the `camNum` of the Miniscope in
   * `timestamp.dat`, used by {@linkcode MiniscopeSession.openDevice} when the row counts cannot
   * tell the cameras apart.
   */
  scopeCamNum?: number;
}

/** Options for opening a device of a session, as for {@linkcode MiniscopeImagingExtractor.open}. */
export type DeviceOpenOptions = Omit<MiniscopeOpenOptions, "folderPath" | "filePaths">;

/** A device folder of a session. */
export interface SessionDevice {
  /** The folder name, such as `Miniscope`, `HPC_miniscope1` or `BehavCam 0`. */
  name: string;
  /** The folder path. */
  path: string;
  /** Its `metaData.json`, typed. */
  metadata: DeviceMetadata;
  /** Whether it has `headOrientation.csv`. */
  hasHeadOrientation: boolean;
  /**
   * What it is, by the one rule the viewer, the NWB export and `info` share: the session's
   * `cameras` and `miniscopes` lists, else its `deviceType`, else a name with `cam` in it.
   */
  kind: DeviceKind;
}

/** What a device is: a Miniscope (8-bit gray imaging) or a behaviour camera (often colour). */
export type DeviceKind = "miniscope" | "camera";

/** Options of {@linkcode readHeadOrientation}. */
export interface HeadOrientationOptions {
  /**
   * Receives a warning when a last row cut while writing is left out. Default: `console.warn`.
   */
  onWarning?: (message: string) => void;
}
