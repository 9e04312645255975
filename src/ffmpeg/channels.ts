/**
 * Gray frames stored in three equal channels (the 24-bit DIB Miniscope files of the software
 * before 2020): ffmpeg is asked for the channels as stored, and one of them is kept once all
 * three are found equal, so no colour conversion ever touches the pixels and a file that is
 * not gray after all is refused instead of averaged.
 *
 * @module
 */

import { codecOf } from "../codecs.ts";
import { MalformedRecordingError } from "../errors.ts";
import type { PixelFormat, VideoFile } from "../model.ts";

/** What ffmpeg writes per pixel: a pixel format of the output, or the 3 stored channels. */
export type DecodedFormat = PixelFormat | "bgr24";

/**
 * What ffmpeg is asked to write for a file read in `format`: the channels as stored (the
 * codec's `threeChannelGray` format) of gray frames kept in three equal channels, else
 * `format` itself.
 *
 * @param video The file.
 * @param format The pixel format of the frames read.
 * @returns The format of ffmpeg's output.
 */
export function decodedFormat(video: VideoFile, format: PixelFormat): DecodedFormat {
  const stored = codecOf(video.codec)?.threeChannelGray?.pixelFormat;
  return format === "gray8" && video.equalChannels === true && stored ? stored : format;
}

/**
 * Bytes ffmpeg writes per frame of a file read in `format`.
 *
 * @param video The file.
 * @param format The pixel format of the frames read.
 * @returns The size of one decoded frame as ffmpeg writes it.
 */
export function decodedFrameSize(video: VideoFile, format: PixelFormat): number {
  return video.width * video.height * (decodedFormat(video, format) === "gray8" ? 1 : 3);
}

/**
 * Keeps one channel of a frame decoded as three, after checking that the three are equal.
 *
 * @param decoded The frame as ffmpeg wrote it, three bytes per pixel.
 * @param gray Receives one byte per pixel.
 * @param video The file, for the error.
 * @param frame The frame's index within the file, for the error.
 * @throws {MalformedRecordingError} When a pixel's channels differ, naming the file, the frame
 *   and the pixel.
 */
export function keepOneChannel(
  decoded: Uint8Array,
  gray: Uint8Array,
  video: VideoFile,
  frame: number,
): void {
  for (let i = 0, at = 0; i < gray.length; i++, at += 3) {
    const blue = decoded[at]!;
    if (decoded[at + 1] !== blue || decoded[at + 2] !== blue) {
      const row = Math.floor(i / video.width);
      throw new MalformedRecordingError(
        video.path,
        `frame ${frame} is not gray: the pixel at row ${row}, column ${i - row * video.width} ` +
          `has red ${decoded[at + 2]}, green ${decoded[at + 1]} and blue ${blue}, but a ` +
          `Miniscope file of the software before 2020 holds three equal channels (open it ` +
          `with pixelFormat "rgb24" to read its colours)`,
      );
    }
    gray[i] = blue;
  }
}

/**
 * Fills `target` with gray frames from a source of frames decoded as three channels, read one
 * at a time, keeping one channel of each (see {@linkcode keepOneChannel}).
 *
 * @param source Reads up to `into.length` bytes of decoded frames; fewer only at their end.
 * @param target Receives whole gray frames, back to back.
 * @param frames The file, and the index within it of the frame that goes first into `target`.
 * @returns The bytes of `target` filled with whole frames.
 * @throws {MalformedRecordingError} When a frame's channels differ.
 */
export async function readKeepingOne(
  source: { readInto(into: Uint8Array): Promise<number> },
  target: Uint8Array,
  frames: { video: VideoFile; firstFrame: number },
): Promise<number> {
  const { video } = frames;
  const size = video.width * video.height;
  const decoded = new Uint8Array(size * 3);
  for (let at = 0, k = frames.firstFrame; at < target.length; at += size, k++) {
    if (await source.readInto(decoded) < decoded.length) return at;
    keepOneChannel(decoded, target.subarray(at, at + size), video, k);
  }
  return target.length;
}
