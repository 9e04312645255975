/**
 * Loading the videos of a recording: AVI headers and indexes, checked against each other, with
 * where decodes may start in each.
 *
 * @module
 */

import { codecOf } from "../codecs.ts";
import { type AviInfo, readAviInfo, withFinalSizes } from "../formats/avi/mod.ts";
import type { FileVersion, PixelFormat, VideoFile } from "../model.ts";
import { findSeekPoints } from "../formats/seek_points.ts";
import { FormatError } from "../formats/format_error.ts";
import { MalformedRecordingError } from "../errors.ts";
import { versionOf, withByteSource } from "../files.ts";
import { runPool } from "../async.ts";
import { wrapFormatError } from "./metadata.ts";

/** Videos of a recording, checked to agree, with their frame counts. */
export interface LoadedVideos {
  videos: VideoFile[];
  /** Frames in all videos. */
  videoFrames: number;
  rows: number;
  cols: number;
}

/**
 * Reads the headers and indexes of the videos and checks they are of one shape and, for 8-bit
 * gray output, not known to be colour. The last of several files is left out, with a warning,
 * when it is still being written and holds no complete frame yet.
 *
 * @param filePaths The videos in order.
 * @param pixelFormat What the frames are decoded to.
 * @param warn Receives warnings.
 * @param options `equalChannels`: the files are gray frames kept in three equal channels where
 *   they are uncompressed 24-bit (the Miniscope files of the software before 2020), read as
 *   gray by keeping one channel.
 * @returns The videos (`videos[i].path` the files kept) and their frame counts.
 */
export async function loadVideos(
  filePaths: string[],
  pixelFormat: PixelFormat,
  warn: (message: string) => void,
  options: { equalChannels?: boolean } = {},
): Promise<LoadedVideos> {
  const { infos, paths } = await readAllAviInfo(filePaths, warn);
  filePaths = paths;
  const first = infos[0]!;
  const equal = infos.map((info) =>
    options.equalChannels === true &&
    codecOf(info.codec)?.threeChannelGray?.bitCount === info.bitCount
  );
  infos.forEach((info, i) => {
    const path = filePaths[i]!;
    if (pixelFormat === "gray8" && info.gray === false && !equal[i]) {
      throw new MalformedRecordingError(
        path,
        `it is a colour video (${info.codec}); open it with pixelFormat "rgb24" (a behaviour ` +
          `camera), as Miniscope scope videos are 8-bit gray`,
      );
    }
    if (pixelFormat === "gray8" && info.gray === undefined) {
      warn(
        `"${path}": cannot tell from its ${info.codec} headers whether it is gray; ` +
          `frames are converted to 8-bit gray (open with pixelFormat "rgb24" for colour)`,
      );
    }
    if (info.width !== first.width || info.height !== first.height) {
      throw new MalformedRecordingError(
        path,
        `its frames are ${info.width}x${info.height} (width x height) but those of ` +
          `"${filePaths[0]}" are ${first.width}x${first.height}; all files must agree`,
      );
    }
  });
  const videos: VideoFile[] = infos.map((info, i) => ({
    path: filePaths[i]!,
    codec: info.codec,
    width: info.width,
    height: info.height,
    frameCount: info.frameCount,
    headerSize: info.headerSize,
    seekPoints: info.seekPoints,
    reorders: info.reorders,
    ...(equal[i] ? { equalChannels: true } : {}),
    index: {
      frameOffsets: info.frameOffsets,
      frameSizes: info.frameSizes,
      chunkIds: info.chunkIds,
    },
    version: info.version,
  }));
  const videoFrames = videos.reduce((sum, video) => sum + video.frameCount, 0);
  return { videos, videoFrames, rows: first.height, cols: first.width };
}

/**
 * What the headers and index of a video say, with where decodes may start in it and the
 * version of the file they were read from.
 */
type VideoInfo = AviInfo & { seekPoints: Uint8Array; reorders: boolean; version: FileVersion };

/**
 * Reads the headers and indexes of all videos. The last file may be one still being written
 * (the newest file of a live recording, or a copy made during it): when it is empty, holds no
 * complete frame or cannot be parsed, it is left out with a warning; when its RIFF sizes are
 * still the writer's placeholder zeros, they are read as running to the end of the file. Any
 * other file that cannot be read is an error.
 */
async function readAllAviInfo(
  filePaths: string[],
  warn: (message: string) => void,
): Promise<{ infos: VideoInfo[]; paths: string[] }> {
  const infos: VideoInfo[] = new Array(filePaths.length);
  const last = filePaths.length - 1;
  let lastProblem: string | null = null;
  const jobs = filePaths.map((path, i) => async () => {
    try {
      infos[i] = await withByteSource(path, async (source, stat) => {
        let info: AviInfo;
        // A file still being written grows after this: appended frames leave it the same.
        let growing = false;
        try {
          info = await readAviInfo(source);
        } catch (error) {
          if (i !== last || !(error instanceof FormatError)) throw error;
          const live = await withFinalSizes(source);
          if (!live) throw error;
          info = await readAviInfo(live);
          growing = true;
          warn(
            `"${path}": its RIFF sizes are not final, as in a file still being written; it is ` +
              `read up to its last complete frame`,
          );
        }
        const seek = await findSeekPoints(source, {
          ...info,
          indexed: info.indexSource !== "scan",
        });
        return {
          ...info,
          seekPoints: seek.points,
          reorders: seek.reorders,
          version: versionOf(stat, growing),
        };
      });
    } catch (error) {
      if (i === last && last > 0 && error instanceof FormatError) {
        lastProblem = error.message;
        return;
      }
      throw wrapFormatError(error, path);
    }
  });
  await runPool(jobs, 16);
  const paths = [...filePaths];
  if (lastProblem === null && last > 0 && infos[last]!.frameCount === 0) {
    lastProblem = "it holds no complete frame";
  }
  if (lastProblem !== null) {
    warn(
      `"${filePaths[last]}": ${lastProblem}. As the newest file of a recording still being ` +
        `written (or copied while it was), it is left out; the ${last} files before it are read`,
    );
    infos.pop();
    paths.pop();
  }
  infos.forEach((info, i) => {
    for (const warning of info.warnings) warn(`"${paths[i]}": ${warning}`);
  });
  return { infos, paths };
}
