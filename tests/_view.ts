/**
 * Helpers for the viewer tests: a session with a behaviour camera, and raw HTTP requests that
 * send a path exactly as written.
 *
 * @module
 */

import { join } from "node:path";
import { writeRecording } from "../src/sample.ts";
import { colourFrame } from "../testdata/make_fixtures.ts";
import { SAMPLE, TESTDATA } from "./_helpers.ts";

/** The colour behaviour camera of {@linkcode cameraSession}: 20 MJPG frames of 32x24 at 10 Hz. */
export const CAMERA = { name: "BehavCam 0", width: 32, height: 24, frames: 20, seed: 7 };

/**
 * Makes a session in a new temporary folder: the sample Miniscope and a behaviour camera.
 *
 * @returns The session folder; remove its parent when done.
 */
export async function cameraSession(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "miniscope_view_" });
  const session = join(root, "09_18_41");
  await Deno.mkdir(join(session, "Miniscope"), { recursive: true });
  for (const file of ["metaData.json", "notes.csv"]) {
    await Deno.copyFile(join(TESTDATA, "sample_session", file), join(session, file));
  }
  for await (const entry of Deno.readDir(SAMPLE)) {
    await Deno.copyFile(join(SAMPLE, entry.name), join(session, "Miniscope", entry.name));
  }
  await writeRecording(join(session, CAMERA.name), {
    width: CAMERA.width,
    height: CAMERA.height,
    frames: CAMERA.frames,
    framesPerFile: CAMERA.frames,
    deviceType: "BehavCam",
    timestamps: { startMs: 0, intervalMs: 100 },
    codec: "MJPG",
    input: "rgb24",
    frame: (i) => colourFrame(i, CAMERA.width, CAMERA.height),
  });
  return session;
}

/**
 * Sends one HTTP/1.1 request with the path exactly as given (no normalisation) and reads the
 * whole answer. `headers` may replace `host`.
 *
 * @returns The status code and the body as text.
 */
export async function rawRequest(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = [`GET ${path} HTTP/1.1`];
    const all = { host: `127.0.0.1:${port}`, connection: "close", ...headers };
    for (const [key, value] of Object.entries(all)) lines.push(`${key}: ${value}`);
    await connection.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
    const answer = new TextDecoder().decode(
      await new Response(connection.readable).arrayBuffer(),
    );
    const status = Number(answer.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
    return { status, body: answer.slice(answer.indexOf("\r\n\r\n") + 4) };
  } catch (error) {
    try {
      connection.close();
    } catch {
      // already closed by the readable stream
    }
    throw error;
  }
}
